//! Focus: whether a question points inside the organisation (colleagues, employees,
//! management, the organisation itself) or outside it (citizens, users, politicians, partners,
//! society), from word lists the analyst can edit, with Danish and English defaults.
//!
//! A list entry is a word, matched by its stem so "borger" finds "borgerne", or a pattern with
//! `*`: `borger*` matches every word that starts with "borger" ("borgerinddragelse"),
//! `*politiker` every word that ends with it ("kommunalpolitiker"), `*sektor*` every word that
//! holds it ("sundhedssektoren"). Danish writes compounds as one word, so most defaults are
//! patterns.

use std::collections::BTreeMap;

use serde::Serialize;

use super::text::{Language, Tokenizer};

/// The editable word lists of one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FocusLexicon {
    /// Words and patterns that point inside the organisation.
    pub inward: Vec<String>,
    /// Words and patterns that point outside it.
    pub outward: Vec<String>,
}

const DANISH_INWARD: &[&str] = &[
    "kolleg*",
    "medarbejder*",
    "ansat",
    "ansatte",
    "ansattes",
    "personale*",
    "leder*",
    "ledelse*",
    "topleder*",
    "mellemleder*",
    "chef*",
    "direktør*",
    "direktion*",
    "organisation*",
    "afdeling*",
    "team*",
    "arbejdsplads*",
    "arbejdsmiljø*",
    "trivsel*",
    "intern*",
    "forvaltning*",
    "institution*",
    "tillidsrepræsentant*",
];

const DANISH_OUTWARD: &[&str] = &[
    "*borger*",
    // Patterns, not words: the stem of "brugere" is that of the verb "bruger" (uses).
    "brugere*",
    "brugerne*",
    "brugeren*",
    "brugerinddrag*",
    "brugerperspektiv*",
    "patient*",
    "elev*",
    "forældre*",
    "pårørende*",
    "*politiker*",
    "politisk*",
    "borgmester*",
    "byråd*",
    "kommunalbestyrelse*",
    "regionsråd*",
    "folketing*",
    "minister*",
    "regering*",
    "*partner*",
    "interessent*",
    "virksomhed*",
    "erhvervsliv*",
    "*samfund*",
    "omverden*",
    "offentlighed*",
    "medier",
    "medierne",
    "presse*",
    "frivillig*",
    "forening*",
    "kunde*",
    "klient*",
    "*sektor*",
];

const ENGLISH_INWARD: &[&str] = &[
    "colleague*",
    "employee*",
    "staff*",
    "workforce*",
    "personnel",
    "manager*",
    "management*",
    "leader*",
    "executive*",
    "organisation*",
    "organization*",
    "department*",
    "team*",
    "workplace*",
    "internal*",
];

const ENGLISH_OUTWARD: &[&str] = &[
    "citizen*",
    "user*",
    "patient*",
    "student*",
    "pupil*",
    "parent*",
    "customer*",
    "client*",
    "resident*",
    "politician*",
    "political*",
    "politics",
    "minister*",
    "government*",
    "council*",
    "parliament*",
    "partner*",
    "stakeholder*",
    "business*",
    "compan*",
    "societ*",
    "communit*",
    "*sector*",
    "media",
    "press",
    "volunteer*",
    "ngo*",
];

impl FocusLexicon {
    /// The default lists of a language.
    pub fn default_for(language: Language) -> Self {
        let (inward, outward) = match language {
            Language::Da => (DANISH_INWARD, DANISH_OUTWARD),
            Language::En => (ENGLISH_INWARD, ENGLISH_OUTWARD),
        };
        let owned = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        FocusLexicon {
            inward: owned(inward),
            outward: owned(outward),
        }
    }

    /// Lists as an analyst edits them: one entry per line, blank lines and surrounding spaces
    /// ignored.
    pub fn from_lines(inward: &str, outward: &str) -> Self {
        let lines = |s: &str| {
            s.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        };
        FocusLexicon {
            inward: lines(inward),
            outward: lines(outward),
        }
    }
}

/// One compiled list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    /// Same stem (the tokenizer's term).
    Term(String),
    Prefix(String),
    Suffix(String),
    Infix(String),
}

impl Pattern {
    fn compile(entry: &str, tokenizer: &Tokenizer) -> Option<Pattern> {
        let lower = entry.trim().to_lowercase();
        let (head, tail) = (lower.starts_with('*'), lower.ends_with('*'));
        let core = lower.trim_matches('*').trim();
        if core.is_empty() {
            return None;
        }
        Some(match (head, tail) {
            (true, true) => Pattern::Infix(core.to_owned()),
            (false, true) => Pattern::Prefix(core.to_owned()),
            (true, false) => Pattern::Suffix(core.to_owned()),
            // A stop word or a word too short for the tokenizer can never be found in text.
            (false, false) => Pattern::Term(tokenizer.tokens(core).into_iter().next()?.term),
        })
    }

    fn matches(&self, term: &str, surface: &str) -> bool {
        match self {
            Pattern::Term(t) => t == term,
            Pattern::Prefix(p) => surface.starts_with(p.as_str()),
            Pattern::Suffix(p) => surface.ends_with(p.as_str()),
            Pattern::Infix(p) => surface.contains(p.as_str()),
        }
    }
}

/// Word lists compiled against a tokenizer, ready to read questions.
#[derive(Debug)]
pub struct FocusMatcher {
    tokenizer: Tokenizer,
    inward: Vec<Pattern>,
    outward: Vec<Pattern>,
}

impl FocusMatcher {
    /// Compiles `lexicon` for texts read by `tokenizer` (the relay's, so stems agree).
    pub fn new(lexicon: &FocusLexicon, tokenizer: &Tokenizer) -> Self {
        let compile = |l: &[String]| {
            l.iter()
                .filter_map(|e| Pattern::compile(e, tokenizer))
                .collect()
        };
        FocusMatcher {
            tokenizer: tokenizer.clone(),
            inward: compile(&lexicon.inward),
            outward: compile(&lexicon.outward),
        }
    }

    /// How many words of `text` point inward and outward; a word counts once per side.
    pub fn count(&self, text: &str) -> FocusCounts {
        let mut counts = FocusCounts::default();
        self.tokenizer.for_each_token(text, |term, surface| {
            if self.inward.iter().any(|p| p.matches(term, surface)) {
                counts.inward += 1;
            }
            if self.outward.iter().any(|p| p.matches(term, surface)) {
                counts.outward += 1;
            }
        });
        counts
    }
}

/// Where a question points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Focus {
    /// More inward words than outward ones.
    Inward,
    /// More outward words than inward ones.
    Outward,
    /// As many of each, and some.
    Both,
    /// No word of either list.
    Neither,
}

/// Inward and outward words found in one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct FocusCounts {
    /// Words pointing inside the organisation.
    pub inward: u32,
    /// Words pointing outside it.
    pub outward: u32,
}

impl FocusCounts {
    /// The question's focus.
    pub fn focus(self) -> Focus {
        match self.inward.cmp(&self.outward) {
            std::cmp::Ordering::Greater => Focus::Inward,
            std::cmp::Ordering::Less => Focus::Outward,
            std::cmp::Ordering::Equal if self.inward == 0 => Focus::Neither,
            std::cmp::Ordering::Equal => Focus::Both,
        }
    }

    /// The question's weight on each side: its words' split between inward and outward, or all
    /// on neither. A question about "medarbejdere og borgere" counts half to each side.
    pub fn weights(self) -> (f64, f64, f64) {
        let total = self.inward + self.outward;
        if total == 0 {
            (0.0, 0.0, 1.0)
        } else {
            let t = total as f64;
            (self.inward as f64 / t, self.outward as f64 / t, 0.0)
        }
    }
}

/// Focus shares among some questions: they sum to 1, or are all 0 when there are none.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct FocusShares {
    /// Share pointing inward.
    pub inward: f64,
    /// Share pointing outward.
    pub outward: f64,
    /// Share pointing neither way.
    pub neither: f64,
    /// Number of questions counted.
    pub count: u64,
}

impl FocusShares {
    /// The shares of these questions' counts.
    pub fn of(counts: impl IntoIterator<Item = FocusCounts>) -> Self {
        let mut s = FocusShares::default();
        for c in counts {
            let (i, o, n) = c.weights();
            s.inward += i;
            s.outward += o;
            s.neither += n;
            s.count += 1;
        }
        if s.count > 0 {
            let n = s.count as f64;
            s.inward /= n;
            s.outward /= n;
            s.neither /= n;
        }
        s
    }
}

/// Focus shares per key (a group or a theme) of `(key, text)` questions.
pub fn focus_shares_by<K: Ord + Clone, S: AsRef<str>>(
    matcher: &FocusMatcher,
    items: &[(K, S)],
) -> BTreeMap<K, FocusShares> {
    let mut by: BTreeMap<K, Vec<FocusCounts>> = BTreeMap::new();
    for (k, text) in items {
        by.entry(k.clone())
            .or_default()
            .push(matcher.count(text.as_ref()));
    }
    by.into_iter()
        .map(|(k, c)| (k, FocusShares::of(c)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn danish() -> FocusMatcher {
        FocusMatcher::new(
            &FocusLexicon::default_for(Language::Da),
            &Tokenizer::for_language(Language::Da, true),
        )
    }

    fn english() -> FocusMatcher {
        FocusMatcher::new(
            &FocusLexicon::default_for(Language::En),
            &Tokenizer::for_language(Language::En, true),
        )
    }

    #[test]
    fn danish_questions_point_in_or_out() {
        let m = danish();
        let focus = |t: &str| m.count(t).focus();
        assert_eq!(
            focus("Hvordan sikrer vi trivsel blandt medarbejderne?"),
            Focus::Inward
        );
        assert_eq!(
            focus("Hvordan inddrager du borgerne, før I ændrer et tilbud?"),
            Focus::Outward
        );
        // The seed relay: one group wrote "sektor", the other "organisation".
        assert_eq!(
            focus("Hvad betyder det for den offentlige sektor?"),
            Focus::Outward
        );
        assert_eq!(focus("Hvad betyder det for organisationen?"), Focus::Inward);
        assert_eq!(
            focus("Hvordan samarbejder medarbejdere og kommunalpolitikere?"),
            Focus::Both
        );
        assert_eq!(focus("Hvad er din største udfordring?"), Focus::Neither);
        // A verb "bruger" (uses) is no user.
        assert_eq!(focus("Hvordan bruger I data?"), Focus::Neither);
        assert_eq!(focus("Hvad lærte I af brugerinddragelsen?"), Focus::Outward);
    }

    #[test]
    fn english_questions_point_in_or_out() {
        let m = english();
        let focus = |t: &str| m.count(t).focus();
        assert_eq!(
            focus("How do you keep your staff motivated?"),
            Focus::Inward
        );
        assert_eq!(
            focus("What do citizens expect from the public sector?"),
            Focus::Outward
        );
        assert_eq!(focus("Do politicians trust your managers?"), Focus::Both);
        assert_eq!(focus("Why is it so hard?"), Focus::Neither);
    }

    #[test]
    fn case_quotes_and_punctuation_do_not_matter() {
        let m = danish();
        let a = m.count("Hvad siger BORGERNE om \"Medarbejderne\"???");
        assert_eq!(
            a,
            FocusCounts {
                inward: 1,
                outward: 1
            }
        );
    }

    #[test]
    fn edited_lists_use_stems_and_patterns() {
        let tok = Tokenizer::for_language(Language::Da, true);
        let lexicon = FocusLexicon::from_lines("  kollega \n\nteam*\n*\n", "borger\n*råd*\nog");
        let m = FocusMatcher::new(&lexicon, &tok);
        // "kollega" by stem finds "kollegaerne"; "og" is a stop word and is dropped; "*" is
        // empty.
        assert_eq!(m.inward.len(), 2);
        assert_eq!(m.outward.len(), 2);
        assert_eq!(m.count("Kollegaerne i teamet").inward, 2);
        assert_eq!(m.count("Borgerne og byrådet").outward, 2);
    }

    #[test]
    fn shares_split_mixed_questions() {
        let m = danish();
        let items = [
            ("Stat", "Hvordan styrker vi organisationen?"),
            ("Stat", "Hvordan møder vi borgerne?"),
            ("Kommune", "Hvad med medarbejdere og borgere?"),
            ("Kommune", "Hvad nu?"),
        ];
        let shares = focus_shares_by(&m, &items);
        assert_eq!(
            shares["Stat"],
            FocusShares {
                inward: 0.5,
                outward: 0.5,
                neither: 0.0,
                count: 2
            }
        );
        assert_eq!(
            shares["Kommune"],
            FocusShares {
                inward: 0.25,
                outward: 0.25,
                neither: 0.5,
                count: 2
            }
        );
        assert_eq!(FocusShares::of([]), FocusShares::default());
        let json = serde_json::to_value(shares["Stat"]).unwrap();
        assert_eq!(json["inward"], 0.5);
    }

    proptest! {
        #[test]
        fn never_panics_and_shares_sum_to_one(texts in prop::collection::vec(any::<String>(), 0..12)) {
            let m = danish();
            let items: Vec<(u8, String)> = texts.into_iter().map(|t| (0, t)).collect();
            let shares = focus_shares_by(&m, &items);
            for s in shares.values() {
                prop_assert!((s.inward + s.outward + s.neither - 1.0).abs() < 1e-9);
            }
            prop_assert_eq!(shares.is_empty(), items.is_empty());
        }

        #[test]
        fn focus_ignores_case(words in prop::collection::vec(prop::sample::select(vec![
            "borgerne", "Medarbejdere", "sektor", "organisationen", "ledelse", "og", "hvordan",
            "politikerne", "vi", "kolleger", "citizens", "staff", "æble",
        ]), 0..12)) {
            let m = danish();
            let text = words.join(" ");
            prop_assert_eq!(m.count(&text), m.count(&text.to_uppercase()));
        }
    }
}
