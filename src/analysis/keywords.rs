//! Expected keywords and relevance: which of the words a facilitator expected to stand out
//! appeared, how often and in which groups, the share found, and beside them the words that
//! stood out that nobody expected.
//!
//! Matching is by stem through the relay's [`Tokenizer`], so "borger" finds "borgerne"; a
//! keyword of several words matches them in sequence ("værdi for borgerne" matches "værdi for
//! borgerne" and "værdien for borgeren", stop words aside). The unexpected words are the
//! relay's distinctive words ([`log_odds`], as in [`super::distinctive`]) against a
//! [`Reference`]: the other relays of the platform, or general word frequencies of the
//! relay's language when it is the only one.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use unicode_segmentation::UnicodeSegmentation;

use super::distinctive::log_odds;
use super::text::{Corpus, Language, Tokenizer};

/// Word frequencies to compare a relay with, by term (stem) as the relay's tokenizer makes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    counts: HashMap<String, f64>,
    total: f64,
    /// Count given to a term the reference lacks.
    floor: f64,
}

/// The 6,000 most frequent Danish and English words per billion words (wordfreq 3.1.1, CC BY-SA
/// 4.0; see `data/README.md` for the source and licence).
const GENERAL_DA: &str = include_str!("data/general_da.tsv");
const GENERAL_EN: &str = include_str!("data/general_en.tsv");

impl Reference {
    /// The texts of other relays, read by the same tokenizer as the relay.
    pub fn from_texts<S: AsRef<str>>(tokenizer: &Tokenizer, texts: &[S]) -> Self {
        let mut reference = Reference {
            counts: HashMap::new(),
            total: 0.0,
            floor: 0.0,
        };
        for t in texts {
            reference.add(tokenizer, t.as_ref());
        }
        reference
    }

    /// Adds one more text of another relay, so a reference of many relays is built a page of
    /// texts at a time.
    pub fn add(&mut self, tokenizer: &Tokenizer, text: &str) {
        tokenizer.for_each_token(text, |term, _| {
            *self.counts.entry(term.to_owned()).or_default() += 1.0;
            self.total += 1.0;
        });
    }

    /// General frequencies of `language`, per billion words, stemmed by `tokenizer`. The list
    /// holds only the most frequent words, so a word missing from it is rarer than its last
    /// entry; it is given that entry's frequency, which understates how unexpected it is rather
    /// than overstating it.
    pub fn general(language: Language, tokenizer: &Tokenizer) -> Self {
        let data = match language {
            Language::Da => GENERAL_DA,
            Language::En => GENERAL_EN,
        };
        let mut counts: HashMap<String, f64> = HashMap::new();
        let mut floor = f64::INFINITY;
        for line in data.lines() {
            let Some((word, n)) = line.split_once('\t') else {
                continue;
            };
            let Ok(n) = n.trim().parse::<f64>() else {
                continue;
            };
            floor = floor.min(n);
            tokenizer.for_each_token(word, |term, _| {
                *counts.entry(term.to_owned()).or_default() += n;
            });
        }
        Reference {
            counts,
            total: 1e9,
            floor: if floor.is_finite() { floor } else { 0.0 },
        }
    }

    /// The reference count of `term`.
    pub fn count(&self, term: &str) -> f64 {
        self.counts.get(term).copied().unwrap_or(self.floor)
    }

    /// Total words of the reference.
    pub fn total(&self) -> f64 {
        self.total
    }
}

/// Settings of [`keywords`].
#[derive(Debug, Clone, PartialEq)]
pub struct KeywordOptions {
    /// At most this many unexpected words.
    pub top_unexpected: usize,
    /// Only words with at least this z-score are unexpected (1.96: 95% sure of the
    /// difference).
    pub min_z: f64,
    /// Only words the relay used at least this often; a word used once stands out by chance.
    pub min_count: u64,
    /// Prior weight α0 of the log-odds statistic.
    pub alpha0: f64,
}

impl Default for KeywordOptions {
    fn default() -> Self {
        KeywordOptions {
            top_unexpected: 20,
            min_z: 1.96,
            min_count: 2,
            alpha0: 1000.0,
        }
    }
}

/// One expected keyword: `{word, count, groups: {name: count}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeywordHit {
    /// The keyword as the facilitator wrote it.
    pub word: String,
    /// Occurrences in the relay.
    pub count: u64,
    /// Occurrences per group, for every group (0 where it did not appear).
    pub groups: BTreeMap<String, u64>,
}

/// A word that stood out though nobody expected it: `{word, z}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnexpectedWord {
    /// The word as the relay most often wrote it.
    pub word: String,
    /// How surely the relay uses it more than the reference (log-odds z-score).
    pub z: f64,
}

/// `{keywords, relevance, unexpected}` of one relay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeywordReport {
    /// The expected keywords, in the facilitator's order.
    pub keywords: Vec<KeywordHit>,
    /// Share of the expected keywords that appeared at least once; `None` when none were
    /// listed.
    pub relevance: Option<f64>,
    /// The unexpected words, strongest first.
    pub unexpected: Vec<UnexpectedWord>,
}

/// The facilitator's keywords from a text with one per line: trimmed, blank lines dropped,
/// repeats (ignoring case) kept once.
pub fn parse_keywords(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && seen.insert(l.to_lowercase()))
        .map(str::to_owned)
        .collect()
}

/// Occurrences of `needle` as a consecutive run in `hay`.
fn occurrences<T: PartialEq>(hay: &[T], needle: &[T]) -> u64 {
    if needle.is_empty() || hay.len() < needle.len() {
        return 0;
    }
    hay.windows(needle.len()).filter(|w| *w == needle).count() as u64
}

fn plain_words(text: &str) -> Vec<String> {
    text.unicode_words().map(str::to_lowercase).collect()
}

/// The expected keywords compiled for reading one text at a time (an export row): the same
/// matching as [`keywords`], by stem, several words in sequence, stop-word-only keywords as
/// written.
#[derive(Debug, Clone)]
pub struct KeywordMatcher {
    tokenizer: Tokenizer,
    /// Each keyword with its terms, or its plain words when it has no terms.
    keywords: Vec<(String, Vec<String>, bool)>,
}

impl KeywordMatcher {
    /// Compiles `expected` for texts read by `tokenizer`.
    pub fn new(tokenizer: &Tokenizer, expected: &[String]) -> Self {
        let keywords = expected
            .iter()
            .map(|word| {
                let terms: Vec<String> =
                    tokenizer.tokens(word).into_iter().map(|t| t.term).collect();
                if terms.is_empty() {
                    (word.clone(), plain_words(word), true)
                } else {
                    (word.clone(), terms, false)
                }
            })
            .collect();
        KeywordMatcher {
            tokenizer: tokenizer.clone(),
            keywords,
        }
    }

    /// The keywords that occur in `text`, in the facilitator's order.
    pub fn hits(&self, text: &str) -> Vec<&str> {
        if self.keywords.is_empty() {
            return Vec::new();
        }
        let terms: Vec<String> = self
            .tokenizer
            .tokens(text)
            .into_iter()
            .map(|t| t.term)
            .collect();
        let mut plain: Option<Vec<String>> = None;
        self.keywords
            .iter()
            .filter(|(_, needle, is_plain)| {
                let hay = if *is_plain {
                    &*plain.get_or_insert_with(|| plain_words(text))
                } else {
                    &terms
                };
                occurrences(hay, needle) > 0
            })
            .map(|(word, _, _)| word.as_str())
            .collect()
    }
}

/// Expected keywords, relevance and unexpected words of a relay whose documents are the
/// `(group, text)` pairs of `docs`, read by the relay's `tokenizer`.
///
/// A keyword made only of stop words is counted as written, word by word, since the tokenizer
/// would drop it; it never counts as unexpected either way.
pub fn keywords<S: AsRef<str>>(
    tokenizer: &Tokenizer,
    docs: &[(String, S)],
    expected: &[String],
    reference: &Reference,
    options: &KeywordOptions,
) -> KeywordReport {
    let texts: Vec<&str> = docs.iter().map(|(_, t)| t.as_ref()).collect();
    let corpus = Corpus::from_texts(tokenizer, &texts);
    let mut groups: BTreeMap<String, u64> = BTreeMap::new();
    for (g, _) in docs {
        groups.entry(g.clone()).or_insert(0);
    }

    let mut expected_terms: HashSet<u32> = HashSet::new();
    let mut plain_docs: Option<Vec<Vec<String>>> = None;
    let hits: Vec<KeywordHit> = expected
        .iter()
        .map(|word| {
            let terms: Vec<String> = tokenizer.tokens(word).into_iter().map(|t| t.term).collect();
            let mut by_group = groups.clone();
            if terms.is_empty() {
                let needle = plain_words(word);
                let plain = plain_docs
                    .get_or_insert_with(|| texts.iter().map(|t| plain_words(t)).collect());
                for ((g, _), words) in docs.iter().zip(plain.iter()) {
                    *by_group.entry(g.clone()).or_default() += occurrences(words, &needle);
                }
            } else if let Some(ids) = terms
                .iter()
                .map(|t| corpus.vocab.id(t))
                .collect::<Option<Vec<u32>>>()
            {
                expected_terms.extend(ids.iter().copied());
                for ((g, _), doc) in docs.iter().zip(&corpus.docs) {
                    *by_group.entry(g.clone()).or_default() += occurrences(doc, &ids);
                }
            }
            KeywordHit {
                word: word.clone(),
                count: by_group.values().sum(),
                groups: by_group,
            }
        })
        .collect();
    let relevance = (!hits.is_empty())
        .then(|| hits.iter().filter(|h| h.count > 0).count() as f64 / hits.len() as f64);

    let mut counts = vec![0u64; corpus.vocab.len()];
    for doc in &corpus.docs {
        for &t in doc {
            counts[t as usize] += 1;
        }
    }
    let n_a: u64 = counts.iter().sum();
    let n_b = reference.total();
    let n = n_a as f64 + n_b;
    let mut unexpected: Vec<UnexpectedWord> = counts
        .iter()
        .enumerate()
        .filter(|&(t, &c)| c >= options.min_count.max(1) && !expected_terms.contains(&(t as u32)))
        .map(|(t, &c)| {
            let term = corpus.vocab.term(t as u32);
            let y_b = reference.count(term);
            let alpha_w = options.alpha0 * (c as f64 + y_b) / n;
            let (_, z) = log_odds(c as f64, y_b, n_a as f64, n_b, alpha_w, options.alpha0);
            UnexpectedWord {
                word: corpus.vocab.display(t as u32).to_owned(),
                z,
            }
        })
        .filter(|w| w.z >= options.min_z)
        .collect();
    unexpected.sort_by(|a, b| b.z.total_cmp(&a.z).then_with(|| a.word.cmp(&b.word)));
    unexpected.truncate(options.top_unexpected);

    KeywordReport {
        keywords: hits,
        relevance,
        unexpected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn docs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(g, t)| (g.to_string(), t.to_string()))
            .collect()
    }

    fn danish() -> Tokenizer {
        Tokenizer::for_language(Language::Da, true)
    }

    /// The report with default options against a reference that knows none of the words.
    fn keywords_plain<S: AsRef<str>>(
        tok: &Tokenizer,
        d: &[(String, S)],
        expected: &[String],
    ) -> KeywordReport {
        let reference = Reference::from_texts(tok, &["x"]);
        keywords(tok, d, expected, &reference, &KeywordOptions::default())
    }

    #[test]
    fn the_matcher_finds_per_text_what_the_report_counts() {
        let tok = danish();
        let texts = [
            "Hvordan skaber vi værdi for borgerne i sektoren?",
            "Hvad betyder sektoren for borgeren, og for organisationen?",
            "Er der plads til digitalisering?",
            "Ingen af ordene her.",
        ];
        let expected = parse_keywords("borger\nsektor\nværdi for borgerne\nog\nledelse");
        let m = KeywordMatcher::new(&tok, &expected);
        assert_eq!(m.hits(texts[0]), ["borger", "sektor", "værdi for borgerne"]);
        assert_eq!(m.hits(texts[1]), ["borger", "sektor", "og"]);
        assert!(m.hits(texts[2]).is_empty() && m.hits(texts[3]).is_empty());
        let d: Vec<(String, &str)> = texts.iter().map(|t| ("g".to_string(), *t)).collect();
        let r = keywords_plain(&tok, &d, &expected);
        for hit in &r.keywords {
            let texts_with = texts
                .iter()
                .filter(|t| m.hits(t).contains(&hit.word.as_str()))
                .count();
            assert_eq!(texts_with > 0, hit.count > 0, "{}", hit.word);
        }
    }

    #[test]
    fn parse_keywords_one_per_line() {
        assert_eq!(
            parse_keywords("  borger \n\nSektor\nsektor\r\nværdi for borgerne\n"),
            ["borger", "Sektor", "værdi for borgerne"]
        );
    }

    #[test]
    fn stemmed_counts_per_group_and_relevance() {
        let tok = danish();
        let d = docs(&[
            (
                "Topledere",
                "Hvordan skaber vi værdi for borgerne i sektoren?",
            ),
            ("Topledere", "Hvad betyder sektoren for borgeren?"),
            ("Institutionsledere", "Hvordan udvikler vi organisationen?"),
        ]);
        let expected =
            parse_keywords("borger\nsektor\norganisation\ndigitalisering\nværdi for borgerne\nog");
        let r = keywords_plain(&tok, &d, &expected);
        let count = |w: &str| r.keywords.iter().find(|k| k.word == w).unwrap();
        assert_eq!(count("borger").count, 2);
        assert_eq!(count("borger").groups["Topledere"], 2);
        assert_eq!(count("borger").groups["Institutionsledere"], 0);
        assert_eq!(count("sektor").count, 2);
        assert_eq!(count("organisation").groups["Institutionsledere"], 1);
        assert_eq!(count("digitalisering").count, 0);
        assert_eq!(count("værdi for borgerne").count, 1);
        // A stop word is counted as written: "og" does not occur.
        assert_eq!(count("og").count, 0);
        // Found: borger, sektor, organisation, værdi for borgerne; not: digitalisering, og.
        assert_eq!(r.relevance, Some(4.0 / 6.0));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["keywords"][0]["groups"]["Topledere"], 2);
    }

    #[test]
    fn no_keywords_no_relevance() {
        let tok = danish();
        let r = keywords(
            &tok,
            &docs(&[("A", "Hvordan?")]),
            &[],
            &Reference::general(Language::Da, &tok),
            &KeywordOptions::default(),
        );
        assert_eq!(r.relevance, None);
        assert!(r.keywords.is_empty());
    }

    #[test]
    fn unexpected_words_against_other_relays() {
        let tok = danish();
        let relay = docs(&[
            ("A", "Hvordan styrker vi tilliden til kernevelfærden?"),
            ("A", "Kernevelfærden og tilliden er vores fokus."),
            ("B", "Kernevelfærden kræver ledelse og tillid."),
        ]);
        let others = [
            "Ledelse handler om retning.",
            "God ledelse skaber retning og tillid.",
            "Ledelse, ledelse og atter ledelse.",
        ];
        let reference = Reference::from_texts(&tok, &others);
        let r = keywords(
            &tok,
            &relay,
            &["tillid".to_string()],
            &reference,
            &KeywordOptions {
                min_z: 0.0,
                ..KeywordOptions::default()
            },
        );
        let words: Vec<&str> = r.unexpected.iter().map(|w| w.word.as_str()).collect();
        // "kernevelfærden" is the relay's own; "tillid" was expected; "ledelse" is the
        // reference's.
        assert_eq!(words.first(), Some(&"kernevelfærden"));
        assert!(!words.contains(&"tilliden") && !words.contains(&"tillid"));
        assert!(!words.contains(&"ledelse"));
    }

    #[test]
    fn unexpected_words_against_general_danish() {
        let tok = danish();
        // Everyday Danish words ("tid", "dag") beside a topic's words.
        let mut items = Vec::new();
        for _ in 0..5 {
            items.push((
                "A",
                "Hvordan bruger vi tiden på borgerinddragelse hver dag?",
            ));
            items.push(("B", "Hvad kræver tillidsbaseret styring af ledelsen i dag?"));
        }
        let r = keywords(
            &tok,
            &docs(&items),
            &[],
            &Reference::general(Language::Da, &tok),
            &KeywordOptions::default(),
        );
        let words: Vec<&str> = r.unexpected.iter().map(|w| w.word.as_str()).collect();
        let rank = |w: &str| words.iter().position(|x| *x == w).unwrap_or(usize::MAX);
        // Topic words the general language rarely uses come before everyday words used as
        // often or more.
        for topic in ["borgerinddragelse", "tillidsbaseret"] {
            assert!(rank(topic) < words.len(), "{topic} in {words:?}");
            for everyday in ["dag", "tiden", "bruger"] {
                assert!(
                    rank(topic) < rank(everyday),
                    "{topic} before {everyday}: {words:?}"
                );
            }
        }
        assert!(r.unexpected.windows(2).all(|w| w[0].z >= w[1].z));
        assert!(r.unexpected.iter().all(|w| w.z >= 1.96));
    }

    #[test]
    fn general_english_reference_knows_common_words() {
        let tok = Tokenizer::for_language(Language::En, true);
        let g = Reference::general(Language::En, &tok);
        assert!(g.count("time") > g.count("citizen"));
        // A word outside the list gets the list's smallest frequency.
        assert_eq!(g.count("zzzunknown"), g.floor);
        assert!(g.floor > 0.0);
        let r = keywords(
            &tok,
            &docs(&[
                ("A", "How do citizens experience co-production?"),
                ("B", "Is co-production worth the time for citizens?"),
            ]),
            &["citizen".to_string()],
            &g,
            &KeywordOptions::default(),
        );
        assert_eq!(r.keywords[0].count, 2);
        assert_eq!(r.relevance, Some(1.0));
        assert!(
            r.unexpected.iter().any(|w| w.word == "production"),
            "{:?}",
            r.unexpected
        );
    }

    proptest! {
        #[test]
        fn never_panics_and_relevance_is_a_share(
            texts in prop::collection::vec(any::<String>(), 0..8),
            expected in prop::collection::vec("[a-zæøå ]{0,12}", 0..5),
        ) {
            let tok = danish();
            let d: Vec<(String, String)> =
                texts.into_iter().enumerate().map(|(i, t)| (format!("G{}", i % 2), t)).collect();
            let r = keywords(&tok, &d, &expected, &Reference::general(Language::Da, &tok), &KeywordOptions::default());
            prop_assert_eq!(r.keywords.len(), expected.len());
            match r.relevance {
                None => prop_assert!(expected.is_empty()),
                Some(x) => prop_assert!((0.0..=1.0).contains(&x)),
            }
            for k in &r.keywords {
                prop_assert_eq!(k.count, k.groups.values().sum::<u64>());
            }
        }

        #[test]
        fn keyword_counts_ignore_case(words in prop::collection::vec(prop::sample::select(vec![
            "borger", "Borgerne", "SEKTOR", "sektoren", "og", "værdi", "for", "Organisation",
        ]), 0..15)) {
            let tok = danish();
            let text = words.join(" ");
            let expected = vec!["borger".to_string(), "sektor".to_string(), "værdi for".to_string()];
            let reference = Reference::from_texts(&tok, &["x"]);
            let o = KeywordOptions::default();
            let a = keywords(&tok, &docs(&[("A", &text)]), &expected, &reference, &o);
            let b = keywords(&tok, &docs(&[("A", &text.to_uppercase())]), &expected, &reference, &o);
            prop_assert_eq!(a.keywords, b.keywords);
        }
    }
}
