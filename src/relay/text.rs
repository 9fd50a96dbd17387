//! Bounds on what participants write.

use super::types::RuleViolation;

/// Question length bounds in characters, after trimming.
pub const QUESTION_CHARS: (usize, usize) = (10, 2_000);
/// Answer length bounds in characters, after trimming.
pub const ANSWER_CHARS: (usize, usize) = (10, 5_000);

/// Trims `raw` and checks its length in characters (not bytes: "æ" is one).
pub fn validate(
    field: &'static str,
    raw: &str,
    (min, max): (usize, usize),
) -> Result<String, RuleViolation> {
    // Normalise Windows line endings so a text's length is the same from every client.
    let text = raw.trim().replace("\r\n", "\n");
    let got = text.chars().count();
    if got < min || got > max {
        return Err(RuleViolation::TextLength {
            field,
            min,
            max,
            got,
        });
    }
    Ok(text)
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
    }
}
