//! The one rule for every bounded text people write: questions and answers, participants'
//! names, groups, titles and organisations, relay titles, topics and purposes, round names and
//! prompts, and theme labels.
//!
//! A text is cleaned, then its bounds count *visible* characters: what a reader sees as one
//! character (a grapheme cluster, so "å" typed as "a" and a combining ring is one, and so is an
//! emoji with its modifiers), leaving out what shows nothing: zero-width spaces and joiners,
//! direction marks, soft hyphens, variation selectors, tag characters, controls, combining
//! marks with nothing to sit on. A text of zero-width spaces is empty, and no text reaches a
//! lower bound on them. Spaces and line breaks between words count, as a reader sees them.
//!
//! Cleaning:
//! - Windows (`\r\n`) and old Mac (`\r`) line endings become `\n`.
//! - Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) are removed. They
//!   reorder the text after them, so a recipient could read something other than what was
//!   written (the "Trojan Source" trick), and one left open spills into the page around the
//!   text. The direction marks (LRM, RLM, ALM) stay: right-to-left writers use them, and they
//!   reorder nothing.
//! - Other control characters, except line break and tab, are removed.
//! - Blank clusters at either end are trimmed: whitespace (also no-break and ideographic
//!   spaces), invisible characters, and letters drawn as nothing (Braille blank, Hangul fillers).
//!
//! Invisible characters inside a text stay (emoji and several scripts need joiners), but a text
//! may carry at most as many of them as its upper bound allows visible ones, so hidden content
//! cannot make a short-looking text arbitrarily large.

use unicode_segmentation::UnicodeSegmentation as _;
use unicode_width::UnicodeWidthChar as _;

use super::types::RuleViolation;

/// Question length bounds in visible characters.
pub const QUESTION_CHARS: (usize, usize) = (10, 2_000);
/// Answer length bounds in visible characters.
pub const ANSWER_CHARS: (usize, usize) = (10, 5_000);

/// Whether `c` shows nothing by itself: a control other than line break and tab, or a
/// character of zero width (the default-ignorable ones such as zero-width spaces and joiners,
/// direction marks, the byte-order mark and soft hyphen; and combining marks, which show only
/// on the character before them).
pub fn is_invisible(c: char) -> bool {
    !matches!(c, '\n' | '\t') && c.width().is_none_or(|w| w == 0)
}

/// Removed from every text: bidi embeddings, overrides and isolates, and controls other than
/// line break and tab.
fn is_removed(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || (c.is_control() && !matches!(c, '\n' | '\t'))
}

/// Whether `c` looks blank: whitespace, invisible, or a letter drawn as nothing (the Braille
/// blank and the Hangul fillers, favourites for names that look empty).
fn is_blank(c: char) -> bool {
    c.is_whitespace()
        || is_invisible(c)
        || matches!(
            c,
            '\u{2800}' | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}'
        )
}

/// `raw` as it is stored and shown: line endings normalised, bidi controls and other controls
/// removed, blank clusters trimmed from both ends.
pub fn clean(raw: &str) -> String {
    let text: String = raw
        .replace("\r\n", "\n")
        .chars()
        .map(|c| if c == '\r' { '\n' } else { c })
        .filter(|&c| !is_removed(c))
        .collect();
    let shows = |(_, g): &(usize, &str)| !g.chars().all(is_blank);
    let Some((start, _)) = text.grapheme_indices(true).find(shows) else {
        return String::new();
    };
    let end = text
        .grapheme_indices(true)
        .rfind(shows)
        .map_or(text.len(), |(i, g)| i + g.len());
    text[start..end].to_string()
}

/// The number of visible characters in `text`: grapheme clusters that show something.
pub fn visible_len(text: &str) -> usize {
    text.graphemes(true)
        .filter(|g| !g.chars().all(is_invisible))
        .count()
}

/// Cleans `raw` and checks it against `(min, max)` visible characters, and that it hides no
/// more than `max` invisible ones. Returns the cleaned text.
pub fn validate(
    field: &'static str,
    raw: &str,
    (min, max): (usize, usize),
) -> Result<String, RuleViolation> {
    let text = clean(raw);
    let got = visible_len(&text);
    if got < min || got > max {
        return Err(RuleViolation::TextLength {
            field,
            min,
            max,
            got,
        });
    }
    if text.chars().filter(|&c| is_invisible(c)).count() > max {
        return Err(RuleViolation::HiddenCharacters { field, max });
    }
    Ok(text)
}

/// An optional text with at most `max` visible characters: `None` when it is absent or cleans
/// to nothing.
pub fn validate_optional(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, RuleViolation> {
    let Some(raw) = raw else { return Ok(None) };
    validate(field, raw, (0, max)).map(|t| Some(t).filter(|t| !t.is_empty()))
}

/// A validated question text.
pub fn question(raw: &str) -> Result<String, RuleViolation> {
    validate("question", raw, QUESTION_CHARS)
}

/// A validated answer text.
pub fn answer(raw: &str) -> Result<String, RuleViolation> {
    validate("answer", raw, ANSWER_CHARS)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn got(r: Result<String, RuleViolation>) -> usize {
        match r {
            Err(RuleViolation::TextLength { got, .. }) => got,
            other => panic!("expected TextLength, got {other:?}"),
        }
    }

    #[test]
    fn a_question_of_ten_characters_is_accepted() {
        assert_eq!(question("abcdefghij"), Ok("abcdefghij".into()));
    }

    #[test]
    fn a_question_of_nine_characters_is_refused() {
        assert_eq!(
            question("abcdefghi"),
            Err(RuleViolation::TextLength {
                field: "question",
                min: 10,
                max: 2_000,
                got: 9
            })
        );
    }

    #[test]
    fn a_question_may_be_two_thousand_characters_but_not_more() {
        assert!(question(&"x".repeat(2_000)).is_ok());
        assert_eq!(got(question(&"x".repeat(2_001))), 2_001);
    }

    #[test]
    fn an_answer_is_ten_to_five_thousand_characters() {
        assert!(answer("abcdefghi").is_err());
        assert!(answer("abcdefghij").is_ok());
        assert!(answer(&"x".repeat(5_000)).is_ok());
        let err = answer(&"x".repeat(5_001)).unwrap_err();
        assert_eq!(
            err,
            RuleViolation::TextLength {
                field: "answer",
                min: 10,
                max: 5_000,
                got: 5_001
            }
        );
        assert_eq!(
            err.to_string(),
            "answer must be between 10 and 5000 characters (got 5001)"
        );
        assert!(err.is_input_error());
        assert_eq!(err.code(), "text_length");
    }

    #[test]
    fn danish_letters_count_as_one_character_each() {
        // "æøåÆØÅæøåæ" is 10 characters but 20 bytes.
        let ten = "æøåÆØÅæøåæ";
        assert_eq!(ten.len(), 20);
        assert_eq!(question(ten), Ok(ten.into()));
        assert_eq!(got(question("æøåæøåæøå")), 9);
        assert!(question(&"å".repeat(2_000)).is_ok());
        assert_eq!(got(question(&"å".repeat(2_001))), 2_001);
        assert!(answer(&"ø".repeat(5_000)).is_ok());
    }

    #[test]
    fn text_is_trimmed_before_it_is_counted_and_stored() {
        assert_eq!(
            question("  \n\t Hvorfor det?  \n "),
            Ok("Hvorfor det?".into())
        );
        assert_eq!(got(question("     kort     ")), 4);
        assert_eq!(got(question(&" ".repeat(50))), 0);
        assert_eq!(got(question("")), 0);
        let padded = format!("   {}   ", "x".repeat(2_000));
        assert_eq!(question(&padded), Ok("x".repeat(2_000)));
    }

    #[test]
    fn line_breaks_inside_are_kept() {
        assert_eq!(
            answer("Første linje\n\nTredje linje"),
            Ok("Første linje\n\nTredje linje".into())
        );
    }

    #[test]
    fn windows_line_endings_become_one_line_break_and_count_as_one() {
        assert_eq!(
            answer("line one\r\nline two"),
            Ok("line one\nline two".into())
        );
        // 9 visible characters and one CRLF: 10 characters after normalising.
        assert_eq!(question("abcd\r\nefghi"), Ok("abcd\nefghi".into()));
        assert_eq!(got(question("abc\r\nefghi")), 9);
        // 1,999 letters and a CRLF fit within 2,000.
        let long = format!("{}\r\n{}", "a".repeat(1_000), "b".repeat(999));
        assert!(question(&long).is_ok());
    }

    #[test]
    fn html_is_kept_as_plain_text() {
        let raw = "<script>alert(1)</script> &amp;";
        assert_eq!(question(raw), Ok(raw.into()));
    }

    #[test]
    fn custom_bounds_are_inclusive() {
        assert_eq!(validate("x", "abc", (3, 3)), Ok("abc".into()));
        assert!(validate("x", "ab", (3, 3)).is_err());
        assert!(validate("x", "abcd", (3, 3)).is_err());
    }

    #[test]
    fn a_text_of_only_invisible_characters_is_empty() {
        let blanks = [
            "\u{200B}".repeat(20),                        // zero-width space
            "\u{00A0}".repeat(20),                        // no-break space
            "\u{202E}\u{2066}\u{200E}\u{200F}".repeat(5), // bidi controls and marks
            "\u{FEFF}\u{2060}\u{00AD}\u{200D}\u{200C}".repeat(4),
            "\u{3000}\u{2800}\u{3164}\u{115F}\u{FFA0}".repeat(4), // blank-looking letters
            "\u{0007}\u{001B}\u{0000}\u{0085}".repeat(5),         // controls
            "\u{0301}\u{FE0F}\u{E0041}".repeat(5),                // marks with nothing to sit on
            "\u{200B}\u{00A0} \n\t\u{2028}".repeat(5),
        ];
        for b in &blanks {
            assert_eq!(clean(b), "", "{b:?}");
            assert_eq!(got(question(b)), 0, "{b:?}");
            assert_eq!(got(answer(b)), 0, "{b:?}");
            assert_eq!(validate_optional("title", Some(b), 200), Ok(None));
        }
    }

    #[test]
    fn invisible_characters_are_trimmed_and_do_not_count_inside() {
        assert_eq!(
            question("\u{200B}\u{00A0}Hvorfor det?\u{2060}\u{3000}\u{200B}"),
            Ok("Hvorfor det?".into())
        );
        // Nine visible letters padded to twelve characters with zero-width ones.
        assert_eq!(got(question("abc\u{200B}def\u{2060}ghi\u{00AD}")), 9);
        assert_eq!(got(question("abcdefgh\u{200B}\u{200B}i")), 9);
        assert!(question("abcdefghi\u{200B}j").is_ok());
        // The upper bound counts what shows as well.
        let long = format!("{}{}", "x".repeat(1_000), "\u{200B}y".repeat(1_000));
        assert_eq!(visible_len(&clean(&long)), 2_000);
        assert!(question(&long).is_ok());
        assert_eq!(got(question(&format!("{long}z"))), 2_001);
    }

    #[test]
    fn a_character_a_reader_sees_as_one_counts_once() {
        // "é" as e and a combining accent, ten times.
        assert_eq!(visible_len(&"e\u{0301}".repeat(10)), 10);
        assert!(question(&"e\u{0301}".repeat(10)).is_ok());
        assert_eq!(visible_len("👨\u{200D}👩\u{200D}👧"), 1);
        assert_eq!(visible_len("🇩🇰"), 1);
        // An emoji's variation selector at the end is part of it, not trimmed.
        assert_eq!(
            question("Tak for svaret ❤\u{FE0F}"),
            Ok("Tak for svaret ❤\u{FE0F}".into())
        );
        assert_eq!(
            question("Hvad så? 👍\u{1F3FD}"),
            Ok("Hvad så? 👍\u{1F3FD}".into())
        );
    }

    #[test]
    fn bidi_overrides_and_isolates_are_removed_and_marks_kept() {
        // "Trojan Source": the override makes the end read backwards.
        assert_eq!(
            question("Se bilaget \u{202E}fdp.exe\u{202C}"),
            Ok("Se bilaget fdp.exe".into())
        );
        assert_eq!(
            clean("\u{2067}hvem\u{2069} \u{2066}spørger\u{2069} \u{202A}\u{202B}\u{202D}her"),
            "hvem spørger her"
        );
        let hebrew = "שלום\u{200F} (hello) עולם";
        assert_eq!(clean(hebrew), hebrew);
        let arabic = "\u{061C}مرحبا بالعالم";
        assert_eq!(clean(arabic), "مرحبا بالعالم", "a leading mark is blank");
    }

    #[test]
    fn controls_are_removed_except_line_breaks_and_tabs() {
        assert_eq!(
            answer("Svar\u{0007} med\u{001B}[31m farver\u{0000}\tog\u{0085}\nlinjer"),
            Ok("Svar med[31m farver\tog\nlinjer".into())
        );
        assert_eq!(
            question("old\rmac\rline ends"),
            Ok("old\nmac\nline ends".into())
        );
    }

    #[test]
    fn a_short_text_cannot_hide_a_long_one() {
        // Ten letters under a pile of combining marks ("Zalgo").
        let zalgo = format!("abcdefghij{}", "\u{0301}".repeat(2_001));
        assert_eq!(
            question(&zalgo),
            Err(RuleViolation::HiddenCharacters {
                field: "question",
                max: 2_000
            })
        );
        let err = question(&zalgo).unwrap_err();
        assert_eq!(err.code(), "text_length");
        assert!(err.is_input_error());
        assert_eq!(
            err.to_string(),
            "question holds more than 2000 invisible characters"
        );
        let hidden = format!("abcde{}fghij", "\u{200B}".repeat(2_001));
        assert!(question(&hidden).is_err());
        let fits = format!("abcdefghij{}", "\u{0301}".repeat(2_000));
        assert!(question(&fits).is_ok());
    }

    #[test]
    fn an_optional_text_is_none_when_absent_or_blank() {
        assert_eq!(validate_optional("title", None, 200), Ok(None));
        assert_eq!(validate_optional("title", Some("  "), 200), Ok(None));
        assert_eq!(
            validate_optional("title", Some(" Direktør\u{200B} "), 200),
            Ok(Some("Direktør".into()))
        );
        assert!(validate_optional("title", Some(&"x".repeat(201)), 200).is_err());
    }

    /// Characters that test the rule's edges.
    const TRICKY: [char; 24] = [
        '\u{200B}',
        '\u{200C}',
        '\u{200D}',
        '\u{200E}',
        '\u{200F}',
        '\u{202A}',
        '\u{202E}',
        '\u{2066}',
        '\u{2069}',
        '\u{2060}',
        '\u{FEFF}',
        '\u{00AD}',
        '\u{00A0}',
        '\u{3000}',
        '\u{2800}',
        '\u{3164}',
        '\u{0301}',
        '\u{FE0F}',
        '\u{E0041}',
        '\r',
        '\n',
        '\t',
        '\u{0007}',
        '\u{1F44D}',
    ];
    /// Pieces of visible text: letters, a space, a line break, a decomposed accent, emoji.
    const VISIBLE: [&str; 12] = [
        "a",
        "Z",
        "æ",
        "ø",
        "å",
        " ",
        "\n",
        "?",
        "e\u{0301}",
        "❤\u{FE0F}",
        "🇩🇰",
        "👨\u{200D}👩\u{200D}👧",
    ];
    /// Characters that stand alone between two visible ones (Unicode's grapheme class
    /// Control) and show nothing.
    const BETWEEN: [char; 11] = [
        '\u{200B}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}',
        '\u{2060}', '\u{FEFF}', '\u{00AD}', '\u{0007}',
    ];
    /// Blanks around a text.
    const PADDING: [&str; 8] = [
        " ", "\u{00A0}", "\u{200B}", "\u{3000}", "\u{2800}", "\n", "\r\n", "\u{202E}",
    ];

    proptest! {
        #[test]
        fn validation_matches_the_trimmed_character_count(
            raw in "[ \t\r\n]{0,3}[a-zæøåÆØÅ .,?!\n]{0,30}(\r\n[a-zæøå]{0,5}){0,3}[ \t\r\n]{0,3}",
            min in 0usize..20,
            span in 0usize..20,
        ) {
            let max = min + span;
            let expected = raw.trim().replace("\r\n", "\n");
            let n = expected.chars().count();
            match validate("question", &raw, (min, max)) {
                Ok(text) => {
                    prop_assert!(min <= n && n <= max);
                    prop_assert_eq!(text, expected);
                }
                Err(e) => {
                    prop_assert!(n < min || n > max);
                    prop_assert_eq!(e, RuleViolation::TextLength { field: "question", min, max, got: n });
                }
            }
        }

        #[test]
        fn a_valid_text_is_valid_again_unchanged(raw in "(\\PC|\r\n){0,40}") {
            if let Ok(once) = validate("answer", &raw, (0, 100)) {
                prop_assert_eq!(validate("answer", &once, (0, 100)), Ok(once.clone()));
                prop_assert!(!once.contains("\r\n"));
            }
        }

        /// Arbitrary text, tricky characters weighted in: cleaning and counting never panic,
        /// and whatever passes holds the bounds in visible characters.
        #[test]
        fn any_text_is_cleaned_and_bounded_by_what_shows(
            raw in prop::collection::vec(
                prop_oneof![
                    any::<char>(),
                    prop::sample::select(TRICKY.to_vec()),
                    prop::char::range('a', 'e'),
                ],
                0..80,
            )
            .prop_map(|cs| cs.into_iter().collect::<String>()),
            min in 0usize..12,
            span in 0usize..40,
        ) {
            let max = min + span;
            let cleaned = clean(&raw);
            let shown = visible_len(&cleaned);
            match validate("text", &raw, (min, max)) {
                Ok(text) => {
                    prop_assert!(min <= visible_len(&text) && visible_len(&text) <= max);
                    prop_assert_eq!(&text, &cleaned);
                    prop_assert_eq!(clean(&text), text.clone(), "cleaning is idempotent");
                    prop_assert!(!text.chars().any(is_removed));
                    prop_assert!(text.chars().filter(|&c| is_invisible(c)).count() <= max);
                    for g in [text.graphemes(true).next(), text.graphemes(true).next_back()]
                        .into_iter()
                        .flatten()
                    {
                        prop_assert!(!g.chars().all(is_blank), "blank end {g:?}");
                    }
                }
                Err(RuleViolation::TextLength { got, .. }) => {
                    prop_assert_eq!(got, shown);
                    prop_assert!(got < min || got > max);
                }
                Err(RuleViolation::HiddenCharacters { .. }) => {
                    prop_assert!(min <= shown && shown <= max);
                    prop_assert!(cleaned.chars().filter(|&c| is_invisible(c)).count() > max);
                }
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }

        /// Invisible characters between what a reader sees, and blanks around it, change
        /// neither the count nor what is kept of the visible text.
        #[test]
        fn invisible_padding_changes_no_count(
            pieces in prop::collection::vec(prop::sample::select(VISIBLE.to_vec()), 0..30),
            inserts in prop::collection::vec(prop::sample::select(BETWEEN.to_vec()), 0..30),
            before in prop::collection::vec(prop::sample::select(PADDING.to_vec()), 0..5),
            after in prop::collection::vec(prop::sample::select(PADDING.to_vec()), 0..5),
        ) {
            let plain: String = pieces.concat();
            let mut padded: String = before.concat();
            for (i, g) in plain.graphemes(true).enumerate() {
                padded.push_str(g);
                if let Some(c) = inserts.get(i) {
                    padded.push(*c);
                }
            }
            padded.push_str(&after.concat());
            prop_assert_eq!(visible_len(&clean(&padded)), visible_len(&clean(&plain)));
            let strip = |s: String| s.chars().filter(|&c| !is_invisible(c)).collect::<String>();
            prop_assert_eq!(strip(clean(&padded)), strip(clean(&plain)));
        }
    }
}
