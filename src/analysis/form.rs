//! Question form: whether a question is open (Danish hv-words, English wh-words and "how"),
//! closed (a yes/no question: it starts with a verb, "er der", "kan vi", "do you", "is it") or
//! mixed (it holds both), and the analyst's corrections on top.
//!
//! The classifier reads the question sentences of a text (those ending in a question mark), not
//! the preamble before them. Within a sentence it looks at the start of the main clause and of
//! clauses joined by "og/men/eller" ("and/but/or"); a clause after a comma that starts with
//! "hvor" or "which" is most often a relative clause ("borgerpaneler, hvor borgerne inddrages")
//! and says nothing about the form. A fronted "hvis/når/if/when" clause hands the main clause
//! to what follows its comma.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// The form of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionForm {
    /// Asks for an account: "hvordan", "hvad", "how", "what", or a request to tell or describe.
    Open,
    /// Asks for yes or no: "er der", "kan vi", "do you", "is it".
    Closed,
    /// Holds both, in one sentence or across the question's sentences.
    Mixed,
}

impl QuestionForm {
    /// The name used in the API: `open`, `closed` or `mixed`.
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionForm::Open => "open",
            QuestionForm::Closed => "closed",
            QuestionForm::Mixed => "mixed",
        }
    }

    /// Parses `open`, `closed` or `mixed` (any case, surrounding spaces ignored).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_lowercase().as_str() {
            "open" => Some(QuestionForm::Open),
            "closed" => Some(QuestionForm::Closed),
            "mixed" => Some(QuestionForm::Mixed),
            _ => None,
        }
    }
}

/// Interrogative words that open an open question. "hvis" (if) and "hvorvidt" (whether) look
/// like hv-words but are not.
const WH_WORDS: &[&str] = &[
    "hvad",
    "hvem",
    "hvilken",
    "hvilket",
    "hvilke",
    "hvor",
    "hvordan",
    "hvorfor",
    "hvornår",
    "hvorledes",
    "hvorhen",
    "hvorfra",
    "hvormed",
    "hvorpå",
    "hvortil",
    "hvoraf",
    "hvorom",
    "hvori",
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "where",
    "when",
    "why",
    "how",
];

/// Verbs a yes/no question starts with whatever follows them (Danish auxiliaries and common
/// verbs, English auxiliaries); other Danish verbs are found by the subject after them.
const CLOSED_OPENERS: &[&str] = &[
    // Danish.
    "er",
    "var",
    "har",
    "havde",
    "kan",
    "kunne",
    "vil",
    "ville",
    "skal",
    "skulle",
    "må",
    "måtte",
    "bør",
    "burde",
    "får",
    "fik",
    "gør",
    "gjorde",
    "bliver",
    "blev",
    "findes",
    "fandtes",
    "mon",
    "tror",
    "synes",
    "mener",
    "oplever",
    "kender",
    "ved",
    // English.
    "am",
    "is",
    "are",
    "was",
    "were",
    "do",
    "does",
    "did",
    "have",
    "has",
    "had",
    "can",
    "could",
    "will",
    "would",
    "shall",
    "should",
    "may",
    "might",
    "must",
    "isn't",
    "aren't",
    "wasn't",
    "weren't",
    "don't",
    "doesn't",
    "didn't",
    "haven't",
    "hasn't",
    "hadn't",
    "can't",
    "cannot",
    "couldn't",
    "won't",
    "wouldn't",
    "shouldn't",
    "mustn't",
];

/// Words that, as the subject right after a first word, show Danish verb-first order
/// ("Oplever du ...", "Arbejder I ...", "Findes der ...").
const DANISH_SUBJECTS: &[&str] = &[
    "du", "i", "vi", "man", "de", "det", "der", "han", "hun", "den", "dette", "disse", "jeres",
    "din", "dit", "dine", "vores", "deres", "en", "et",
];

/// Words that can stand first before a subject without being a verb (subordinators, adverbs,
/// pronouns, prepositions), so "Når du ..." or "Også vi ..." are not read as verb-first.
const NOT_VERBS: &[&str] = &[
    "når",
    "hvis",
    "fordi",
    "selvom",
    "selv",
    "mens",
    "efter",
    "før",
    "siden",
    "da",
    "at",
    "om",
    "som",
    "ligesom",
    "idet",
    "såfremt",
    "medmindre",
    "måske",
    "også",
    "nu",
    "så",
    "her",
    "der",
    "jo",
    "vel",
    "ikke",
    "kun",
    "bare",
    "især",
    "derfor",
    "dengang",
    "og",
    "men",
    "eller",
    "i",
    "på",
    "til",
    "for",
    "med",
    "fra",
    "af",
    "hos",
    "ved",
    "under",
    "mod",
    "uden",
    "end",
    "sammen",
    "hvorvidt",
    "du",
    "vi",
    "man",
    "de",
    "det",
    "den",
    "han",
    "hun",
    "jeg",
    "en",
    "et",
    "jeres",
    "vores",
    "deres",
    "din",
    "dit",
    "dine",
    "min",
    "mit",
    "mine",
    "alle",
    "mange",
    "nogle",
];

/// Words that make the clause they start subordinate, so the main clause comes after the comma.
const SUBORDINATORS: &[&str] = &[
    "hvis",
    "når",
    "fordi",
    "selvom",
    "mens",
    "såfremt",
    "medmindre",
    "idet",
    "siden",
    "if",
    "when",
    "whenever",
    "although",
    "though",
    "because",
    "since",
    "while",
    "unless",
    "as",
    "once",
    "given",
];

/// Coordinating conjunctions: a clause they start after a comma is a main clause again.
const CONJUNCTIONS: &[&str] = &["og", "men", "eller", "så", "and", "but", "or", "so"];

/// Prepositions that may stand before an interrogative ("i hvilken grad", "to what extent").
const PREPOSITIONS: &[&str] = &[
    "i", "på", "til", "for", "med", "fra", "af", "om", "ud", "in", "on", "to", "with", "from",
    "of", "about", "at", "by", "under",
];

/// Verbs of telling: a yes/no opener followed by one asks for an account ("Kan du fortælle,
/// hvordan ...", "Could you describe ..."), and one at the start is an open request.
const TELLING: &[&str] = &[
    "fortælle",
    "fortæl",
    "beskrive",
    "beskriv",
    "forklare",
    "forklar",
    "uddybe",
    "uddyb",
    "nævne",
    "nævn",
    "dele",
    "del",
    "give",
    "giv",
    "sige",
    "sig",
    "komme",
    "tell",
    "describe",
    "explain",
    "elaborate",
    "share",
    "name",
    "list",
    "walk",
    "say",
    "outline",
];

/// Danish abbreviations whose full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "f.eks", "eks", "bl.a", "dvs", "mht", "ca", "evt", "osv", "mv", "jf", "pga", "vedr", "e.g",
    "i.e", "etc", "vs", "mr", "mrs", "dr", "no",
];

/// What one clause says about the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    Open,
    Closed,
}

/// A sentence of a text and whether it ends in a question mark.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sentence<'a> {
    text: &'a str,
    question: bool,
}

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…' | '？' | '¿' | '¡')
}

fn is_closing(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '”' | '’' | '»' | '«' | '“' | ')' | ']' | '›' | '‹'
    )
}

/// Splits `text` into sentences at runs of . ! ? … (with any closing quotes or brackets after
/// them) followed by white space or the end, and at line breaks. A run holding a question mark
/// ends a question, however many marks it has.
fn sentences(text: &str) -> Vec<Sentence<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c == '\n' || c == '\r' {
            push_sentence(&mut out, &text[start..pos], false);
            start = pos + c.len_utf8();
            i += 1;
            continue;
        }
        if !is_terminator(c) {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut question = false;
        while j < chars.len() && (is_terminator(chars[j].1) || is_closing(chars[j].1)) {
            question |= matches!(chars[j].1, '?' | '？');
            j += 1;
        }
        let at_boundary = j == chars.len() || chars[j].1.is_whitespace();
        let end = chars.get(j).map_or(text.len(), |&(p, _)| p);
        if at_boundary && !(c == '.' && !question && ends_with_abbreviation(&text[start..pos])) {
            push_sentence(&mut out, &text[start..end], question);
            start = end;
        }
        i = j.max(i + 1);
    }
    push_sentence(&mut out, &text[start..], false);
    out
}

fn push_sentence<'a>(out: &mut Vec<Sentence<'a>>, s: &'a str, question: bool) {
    if s.chars().any(char::is_alphanumeric) {
        out.push(Sentence {
            text: s.trim(),
            question,
        });
    }
}

fn ends_with_abbreviation(before: &str) -> bool {
    let last = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("")
        .to_lowercase();
    // A single letter before a full stop is an initial or an enumeration ("a. ", "J. Hansen").
    last.chars().count() == 1 || ABBREVIATIONS.contains(&last.as_str())
}

/// How a clause was entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// The start of the sentence, or after a colon: a main clause.
    Main,
    /// After a comma, semicolon or dash: main only if a conjunction starts it or a fronted
    /// subordinate clause came before.
    Comma,
}

/// The clauses of a sentence as lower-cased words, each with how it was entered.
fn clauses(sentence: &str) -> Vec<(Entry, Vec<String>)> {
    let mut out = Vec::new();
    let mut entry = Entry::Main;
    let mut current = String::new();
    for c in sentence.chars() {
        let boundary = match c {
            ',' | ';' | '–' | '—' => Some(Entry::Comma),
            // Quotes and brackets are no boundary: a quoted phrase ("borgeren i centrum") sits
            // inside its clause, and quoted speech follows a colon.
            ':' => Some(Entry::Main),
            _ => None,
        };
        match boundary {
            Some(next) => {
                push_clause(&mut out, entry, &current);
                current.clear();
                entry = next;
            }
            // Typographic apostrophes would hide "don’t" from the word lists.
            None => current.push(if c == '\u{2019}' { '\'' } else { c }),
        }
    }
    push_clause(&mut out, entry, &current);
    out
}

fn push_clause(out: &mut Vec<(Entry, Vec<String>)>, entry: Entry, text: &str) {
    let words: Vec<String> = text
        .unicode_words()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .map(str::to_lowercase)
        .collect();
    if !words.is_empty() {
        out.push((entry, words));
    }
}

/// The cue of a clause that stands as a main clause.
fn clause_cue(words: &[String]) -> Option<Cue> {
    let mut w: &[String] = words;
    while let Some(first) = w.first() {
        let skip_conjunction = CONJUNCTIONS.contains(&first.as_str()) && w.len() > 1;
        let skip_preposition = PREPOSITIONS.contains(&first.as_str())
            && w.get(1).is_some_and(|n| WH_WORDS.contains(&n.as_str()));
        if skip_conjunction || skip_preposition {
            w = &w[1..];
        } else {
            break;
        }
    }
    let first = w.first()?.as_str();
    if WH_WORDS.contains(&first) || TELLING.contains(&first) {
        return Some(Cue::Open);
    }
    let verb_first = CLOSED_OPENERS.contains(&first)
        || (!NOT_VERBS.contains(&first)
            && !SUBORDINATORS.contains(&first)
            && w.get(1)
                .is_some_and(|s| DANISH_SUBJECTS.contains(&s.as_str())));
    if verb_first {
        // "Kan du fortælle, hvordan ..." and "Could you describe ..." ask for an account.
        let asks_to_tell = w
            .iter()
            .skip(1)
            .take(3)
            .any(|x| TELLING.contains(&x.as_str()));
        return Some(if asks_to_tell { Cue::Open } else { Cue::Closed });
    }
    None
}

/// The cues of one sentence: its main clause, clauses joined by a conjunction, and the clause
/// after a fronted subordinate clause.
fn sentence_cues(sentence: &str) -> Vec<Cue> {
    let mut cues = Vec::new();
    let mut main_pending = true;
    let all = clauses(sentence);
    let n = all.len();
    for (i, (entry, words)) in all.into_iter().enumerate() {
        // "When do you ...?" asks; "When you hire, do you ...?" fronts a condition.
        let starts_subordinate = i + 1 < n
            && words
                .first()
                .is_some_and(|w| SUBORDINATORS.contains(&w.as_str()))
            && !words
                .get(1)
                .is_some_and(|w| CLOSED_OPENERS.contains(&w.as_str()));
        let coordinated = words
            .first()
            .is_some_and(|w| CONJUNCTIONS.contains(&w.as_str()));
        let counts = entry == Entry::Main || coordinated || main_pending;
        if starts_subordinate && (entry == Entry::Main || main_pending) {
            // "Hvis du kunne ændre én ting, hvad ville det være?": the main clause follows.
            main_pending = true;
            continue;
        }
        if counts {
            if let Some(cue) = clause_cue(&words) {
                cues.push(cue);
            }
            main_pending = false;
        }
    }
    cues
}

/// Classifies one question text. Only its question sentences count when it has any; a text
/// without a question mark is read sentence by sentence from the start of each. Without any
/// cue, a sentence ending in a question mark is a yes/no question said as a statement ("I har
/// prøvet det?"), while a text with no question mark is a request that invites an account.
pub fn classify_form(text: &str) -> QuestionForm {
    let all = sentences(text);
    let has_question = all.iter().any(|s| s.question);
    let mut open = false;
    let mut closed = false;
    for s in all.iter().filter(|s| s.question || !has_question) {
        let cues = if s.question {
            sentence_cues(s.text)
        } else {
            // Statements count only by how they start: a preamble clause after a comma is
            // no question.
            clauses(s.text)
                .first()
                .and_then(|(_, w)| clause_cue(w))
                .into_iter()
                .collect()
        };
        open |= cues.contains(&Cue::Open);
        closed |= cues.contains(&Cue::Closed);
    }
    match (open, closed) {
        (true, true) => QuestionForm::Mixed,
        (true, false) => QuestionForm::Open,
        (false, true) => QuestionForm::Closed,
        (false, false) if has_question => QuestionForm::Closed,
        (false, false) => QuestionForm::Open,
    }
}

/// A question's form as the API shows it: `{question_id, form, corrected}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FormEntry {
    /// The question.
    pub question_id: i64,
    /// The analyst's correction if there is one, else the classifier's form.
    pub form: QuestionForm,
    /// Whether the analyst set `form`.
    pub corrected: bool,
}

/// Classifies every `(question_id, text)` and lays the analyst's `corrections` over the result,
/// so a correction survives any re-run of the classifier. Corrections for questions not listed
/// are ignored.
pub fn question_forms<S: AsRef<str>>(
    questions: &[(i64, S)],
    corrections: &HashMap<i64, QuestionForm>,
) -> Vec<FormEntry> {
    questions
        .iter()
        .map(|(id, text)| match corrections.get(id) {
            Some(&form) => FormEntry {
                question_id: *id,
                form,
                corrected: true,
            },
            None => FormEntry {
                question_id: *id,
                form: classify_form(text.as_ref()),
                corrected: false,
            },
        })
        .collect()
}

/// Shares of the three forms among some questions: they sum to 1, or are all 0 when there are
/// no questions.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct FormShares {
    /// Share of open questions.
    pub open: f64,
    /// Share of closed questions.
    pub closed: f64,
    /// Share of mixed questions.
    pub mixed: f64,
    /// Number of questions counted.
    pub count: u64,
}

impl FormShares {
    /// The shares of `forms`.
    pub fn of(forms: impl IntoIterator<Item = QuestionForm>) -> Self {
        let mut counts = [0u64; 3];
        for f in forms {
            counts[f as usize] += 1;
        }
        let count: u64 = counts.iter().sum();
        let share = |n: u64| {
            if count == 0 {
                0.0
            } else {
                n as f64 / count as f64
            }
        };
        FormShares {
            open: share(counts[QuestionForm::Open as usize]),
            closed: share(counts[QuestionForm::Closed as usize]),
            mixed: share(counts[QuestionForm::Mixed as usize]),
            count,
        }
    }
}

/// Form shares per key (a group, a round or a theme): `key_of(question_id)` names the key of
/// each entry, `None` leaves the entry out.
pub fn form_shares_by<K: Ord + Clone>(
    entries: &[FormEntry],
    mut key_of: impl FnMut(i64) -> Option<K>,
) -> BTreeMap<K, FormShares> {
    let mut by: BTreeMap<K, Vec<QuestionForm>> = BTreeMap::new();
    for e in entries {
        if let Some(k) = key_of(e.question_id) {
            by.entry(k).or_default().push(e.form);
        }
    }
    by.into_iter()
        .map(|(k, forms)| (k, FormShares::of(forms)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use QuestionForm::{Closed, Mixed, Open};
    use proptest::prelude::*;

    #[track_caller]
    fn check(cases: &[(&str, QuestionForm)]) {
        for &(text, want) in cases {
            assert_eq!(classify_form(text), want, "{text:?}");
        }
    }

    #[test]
    fn danish_open_questions() {
        check(&[
            (
                "Hvordan inddrager du borgerne, før I beslutter at ændre et tilbud?",
                Open,
            ),
            (
                "Hvad betyder det for dig at sætte borgeren i centrum?",
                Open,
            ),
            ("Hvilke erfaringer har du med borgerpaneler?", Open),
            ("Hvornår har du sidst ændret en beslutning?", Open),
            ("I hvilken grad oplever du tillid fra politikerne?", Open),
            ("Hvorfor?", Open),
            ("Fortæl om en gang, hvor det lykkedes.", Open),
            ("Kan du fortælle, hvordan I prioriterer?", Open),
        ]);
    }

    #[test]
    fn danish_closed_questions() {
        check(&[
            ("Er der noget, du ville gøre anderledes?", Closed),
            ("Kan vi lære noget af regionerne?", Closed),
            ("Oplever du, at bureaukratiet fylder mere end før?", Closed),
            ("Arbejder I med tillidsbaseret styring?", Closed),
            ("Findes der en fælles forståelse af kerneopgaven?", Closed),
            (
                "Har du erfaringer med borgerpaneler, hvor borgerne inddrages?",
                Closed,
            ),
            ("Mon ikke de fleste ledere kender det?", Closed),
            ("I har prøvet det før?", Closed),
        ]);
    }

    #[test]
    fn english_open_and_closed_questions() {
        check(&[
            ("How do you involve citizens before a decision?", Open),
            ("What would you change first?", Open),
            ("To what extent do politicians trust you?", Open),
            ("Could you describe a time it worked?", Open),
            ("Do you measure the value citizens experience?", Closed),
            ("Is it possible to lead without a budget?", Closed),
            ("Isn’t that the point?", Closed),
            ("Are there rules you would remove, and why?", Mixed),
        ]);
    }

    #[test]
    fn mixed_in_one_sentence_or_across_sentences() {
        check(&[
            (
                "Er der noget, du ville ændre, og hvad ville det være?",
                Mixed,
            ),
            ("Hvad gør I, og virker det?", Mixed),
            ("Har I prøvet det? Hvordan gik det?", Mixed),
            ("Do you agree? Why?", Mixed),
        ]);
    }

    #[test]
    fn a_preamble_does_not_count() {
        check(&[
            (
                "Vi taler meget om værdi for borgeren. Hvad gør I for at finde ud af det?",
                Open,
            ),
            // The preamble starts like a yes/no question but has no question mark.
            (
                "Har man først prøvet det, glemmer man det ikke. Hvordan kom I i gang?",
                Open,
            ),
            (
                "Hvordan vi prioriterer, er altid til debat. Er der en fast procedure hos jer?",
                Closed,
            ),
            (
                "We have tried many things over the years.\nDo you think it helped?",
                Closed,
            ),
        ]);
    }

    #[test]
    fn fronted_conditions_hand_over_to_the_main_clause() {
        check(&[
            ("Hvis du kunne ændre én ting, hvad ville det være?", Open),
            ("Når I ansætter, bruger I så personlighedstest?", Closed),
            ("If you could change one thing, what would it be?", Open),
            ("When you hire, do you use tests?", Closed),
            ("When did you last change a decision, and why?", Open),
            ("When do you hire?", Open),
            ("Når vi ansætter folk?", Closed),
        ]);
    }

    #[test]
    fn several_question_marks_quotes_and_none() {
        check(&[
            ("Hvorfor gør vi det???", Open),
            ("Virker det?!", Closed),
            ("Hvad betyder \"borgeren i centrum\" for dig?", Open),
            ("Er «tillid» bare et ord?", Closed),
            (
                "Han spurgte: \"Hvorfor gør vi det?\" Kan vi svare ham?",
                Mixed,
            ),
            ("Hvordan sikrer vi borgerinddragelse", Open),
            ("Kan vi mødes igen", Closed),
            ("Jeg vil gerne høre om jeres erfaringer", Open),
            ("Ledelse og styring?", Closed),
            ("F.eks. ved vi det ikke. Hvad gør I?", Open),
        ]);
    }

    #[test]
    fn empty_and_odd_texts() {
        check(&[
            ("", Open),
            // Nothing to read.
            ("???", Open),
            ("1. 2. 3.", Open),
            ("   \n\n  ", Open),
        ]);
    }

    #[test]
    fn sentences_split_on_runs_and_line_breaks() {
        let s = sentences("Først dette. Så det?! \"Hvad?\" Sidst\nny linje");
        let texts: Vec<(&str, bool)> = s.iter().map(|s| (s.text, s.question)).collect();
        assert_eq!(
            texts,
            [
                ("Først dette.", false),
                ("Så det?!", true),
                ("\"Hvad?\"", true),
                ("Sidst", false),
                ("ny linje", false)
            ]
        );
    }

    #[test]
    fn corrections_win_and_are_marked() {
        let questions = [(1, "Hvordan gør I?"), (2, "Gør I det?"), (3, "Hvad nu?")];
        let corrections = HashMap::from([(2, Mixed), (99, Open)]);
        let forms = question_forms(&questions, &corrections);
        assert_eq!(
            forms,
            [
                FormEntry {
                    question_id: 1,
                    form: Open,
                    corrected: false
                },
                FormEntry {
                    question_id: 2,
                    form: Mixed,
                    corrected: true
                },
                FormEntry {
                    question_id: 3,
                    form: Open,
                    corrected: false
                },
            ]
        );
        let json = serde_json::to_value(forms[1]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"question_id": 2, "form": "mixed", "corrected": true})
        );
    }

    #[test]
    fn shares_per_key() {
        let questions = [
            (1, "Hvordan gør I?"),
            (2, "Gør I det?"),
            (3, "Hvad nu?"),
            (4, "Har I prøvet? Hvordan gik det?"),
        ];
        let forms = question_forms(&questions, &HashMap::new());
        let group = |id: i64| match id {
            1 | 2 => Some("Kommune"),
            3 | 4 => Some("Stat"),
            _ => None,
        };
        let shares = form_shares_by(&forms, group);
        assert_eq!(shares["Kommune"].open, 0.5);
        assert_eq!(shares["Kommune"].closed, 0.5);
        assert_eq!(shares["Stat"].open, 0.5);
        assert_eq!(shares["Stat"].mixed, 0.5);
        assert_eq!(shares["Stat"].count, 2);
        assert_eq!(FormShares::of([]), FormShares::default());
    }

    #[test]
    fn parse_and_names_round_trip() {
        for f in [Open, Closed, Mixed] {
            assert_eq!(QuestionForm::parse(f.as_str()), Some(f));
        }
        assert_eq!(QuestionForm::parse(" MIXED "), Some(Mixed));
        assert_eq!(QuestionForm::parse("half"), None);
    }

    fn question_text() -> impl Strategy<Value = String> {
        let word = prop::sample::select(vec![
            "hvordan", "Hvad", "er", "der", "kan", "vi", "du", "I", "borgerne", "ledelse", "how",
            "do", "you", "is", "it", "what", "and", "og", "hvis", "if", "sektor", "Ønsker", "æble",
            "«", "»", "\"", ",", ".", "?", "??", "!", "\n", "–", "f.eks.", "1.",
        ]);
        prop::collection::vec(word, 0..25).prop_map(|w| w.join(" "))
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in any::<String>()) {
            let _ = classify_form(&s);
        }

        #[test]
        fn classification_ignores_case(s in question_text()) {
            prop_assert_eq!(classify_form(&s), classify_form(&s.to_uppercase()));
            prop_assert_eq!(classify_form(&s), classify_form(&s.to_lowercase()));
        }

        #[test]
        fn a_preamble_without_question_mark_never_changes_the_form(
            preamble in "[A-Za-zæøåÆØÅ ]{0,40}",
            s in question_text(),
        ) {
            prop_assume!(sentences(&s).iter().any(|x| x.question));
            let with = format!("{preamble}.\n{s}");
            prop_assert_eq!(classify_form(&with), classify_form(&s));
        }

        #[test]
        fn shares_sum_to_one_or_are_all_zero(forms in prop::collection::vec(0..3usize, 0..50)) {
            let forms: Vec<QuestionForm> =
                forms.into_iter().map(|i| [Open, Closed, Mixed][i]).collect();
            let s = FormShares::of(forms.iter().copied());
            let sum = s.open + s.closed + s.mixed;
            if forms.is_empty() {
                prop_assert_eq!(sum, 0.0);
            } else {
                prop_assert!((sum - 1.0).abs() < 1e-9);
            }
            prop_assert_eq!(s.count as usize, forms.len());
        }
    }
}
