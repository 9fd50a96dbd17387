//! Tokenising: Unicode word segmentation, lower-casing, stop words and optional Snowball
//! stemming, plus the vocabulary that remembers how each stem was actually written.

use std::collections::{HashMap, HashSet};
use std::fmt;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

use super::stopwords;

/// A language the analysis knows stop words and a stemmer for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// Danish.
    Da,
    /// English.
    En,
}

impl Language {
    /// The language's stop words (lower-case).
    pub fn stop_words(self) -> &'static [&'static str] {
        match self {
            Language::Da => stopwords::DANISH,
            Language::En => stopwords::ENGLISH,
        }
    }

    fn algorithm(self) -> Algorithm {
        match self {
            Language::Da => Algorithm::Danish,
            Language::En => Algorithm::English,
        }
    }
}

/// How text becomes terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerOptions {
    /// Languages whose stop words are removed; a mixed Danish/English relay lists both.
    pub stop_words: Vec<Language>,
    /// Snowball stemmer to apply, if any. Only one, since running two stemmers over the same word
    /// would mangle it.
    pub stem: Option<Language>,
    /// Words shorter than this many characters are dropped; single letters are mostly the
    /// debris of abbreviations and enumerations.
    pub min_chars: usize,
}

impl TokenizerOptions {
    /// Stop words and stemming for one language.
    pub fn for_language(language: Language, stem: bool) -> Self {
        TokenizerOptions {
            stop_words: vec![language],
            stem: stem.then_some(language),
            min_chars: 2,
        }
    }
}

/// One kept word: the term it counts as and the lower-cased form it was written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The stem, or the surface form itself when not stemming.
    pub term: String,
    /// The lower-cased word as written.
    pub surface: String,
}

/// Turns text into [`Token`]s according to [`TokenizerOptions`].
pub struct Tokenizer {
    options: TokenizerOptions,
    stop: HashSet<&'static str>,
    stemmer: Option<Stemmer>,
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Stemmer holds only a function pointer and has no Debug of its own.
        f.debug_struct("Tokenizer")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Clone for Tokenizer {
    fn clone(&self) -> Self {
        Tokenizer::new(self.options.clone())
    }
}

impl Tokenizer {
    /// A tokenizer with the given options.
    pub fn new(options: TokenizerOptions) -> Self {
        let stop = options
            .stop_words
            .iter()
            .flat_map(|l| l.stop_words().iter().copied())
            .collect();
        let stemmer = options.stem.map(|l| Stemmer::create(l.algorithm()));
        Tokenizer {
            options,
            stop,
            stemmer,
        }
    }

    /// Stop words and stemming for one language.
    pub fn for_language(language: Language, stem: bool) -> Self {
        Tokenizer::new(TokenizerOptions::for_language(language, stem))
    }

    /// The options this tokenizer was built with.
    pub fn options(&self) -> &TokenizerOptions {
        &self.options
    }

    /// Calls `f(term, surface)` for each kept word of `text`, in order. This is the allocation-light
    /// path that [`Corpus`] uses; [`Tokenizer::tokens`] collects it.
    pub fn for_each_token(&self, text: &str, mut f: impl FnMut(&str, &str)) {
        let mut lower = String::new();
        for word in text.unicode_words() {
            lower.clear();
            for c in word.chars() {
                // Typographic apostrophes would otherwise hide "don’t" from the stop list.
                let c = if c == '\u{2019}' { '\'' } else { c };
                lower.extend(c.to_lowercase());
            }
            // Numbers, and words like "2017" or "3." that segmentation keeps, carry no theme.
            if !lower.chars().any(char::is_alphabetic) {
                continue;
            }
            if lower.chars().count() < self.options.min_chars {
                continue;
            }
            if self.stop.contains(lower.as_str()) {
                continue;
            }
            match &self.stemmer {
                Some(stemmer) => {
                    let stem = stemmer.stem(&lower);
                    f(&stem, &lower);
                }
                None => f(&lower, &lower),
            }
        }
    }

    /// The kept words of `text`, in order.
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        self.for_each_token(text, |term, surface| {
            out.push(Token {
                term: term.to_owned(),
                surface: surface.to_owned(),
            })
        });
        out
    }
}

/// Interns terms as dense ids and counts, per term, how often each surface form was seen, so a
/// stem such as "ledels" can be shown as the word people actually wrote ("ledelse").
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    ids: HashMap<String, u32>,
    terms: Vec<String>,
    surfaces: Vec<HashMap<String, u32>>,
}

impl Vocabulary {
    /// An empty vocabulary.
    pub fn new() -> Self {
        Vocabulary::default()
    }

    /// Records one occurrence of `term` written as `surface` and returns the term's id.
    pub fn add(&mut self, term: &str, surface: &str) -> u32 {
        let id = match self.ids.get(term) {
            Some(&id) => id,
            None => {
                // unwrap: four billion distinct terms would not fit in memory long before this.
                let id =
                    u32::try_from(self.terms.len()).expect("vocabulary exceeds u32::MAX terms");
                self.ids.insert(term.to_owned(), id);
                self.terms.push(term.to_owned());
                self.surfaces.push(HashMap::new());
                id
            }
        };
        let forms = &mut self.surfaces[id as usize];
        match forms.get_mut(surface) {
            Some(n) => *n += 1,
            None => {
                forms.insert(surface.to_owned(), 1);
            }
        }
        id
    }

    /// The id of `term`, if it has been seen.
    pub fn id(&self, term: &str) -> Option<u32> {
        self.ids.get(term).copied()
    }

    /// The term (stem) with this id.
    pub fn term(&self, id: u32) -> &str {
        &self.terms[id as usize]
    }

    /// The form to show for this term: its most frequent surface form; ties go to the shortest,
    /// then the alphabetically first, so the choice never depends on hash order.
    pub fn display(&self, id: u32) -> &str {
        self.surfaces[id as usize]
            .iter()
            .min_by(|(a, na), (b, nb)| {
                nb.cmp(na)
                    .then_with(|| a.chars().count().cmp(&b.chars().count()))
                    .then_with(|| a.cmp(b))
            })
            .map(|(s, _)| s.as_str())
            .unwrap_or_else(|| self.term(id))
    }

    /// How often each surface form of this term was seen.
    pub fn surface_counts(&self, id: u32) -> &HashMap<String, u32> {
        &self.surfaces[id as usize]
    }

    /// Number of distinct terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether no term has been seen.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// A tokenised set of documents sharing one vocabulary; the input of every analysis.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    /// The shared vocabulary.
    pub vocab: Vocabulary,
    /// Per document, its term ids in text order.
    pub docs: Vec<Vec<u32>>,
}

impl Corpus {
    /// Tokenises every text; document `i` of the corpus is `texts[i]`.
    pub fn from_texts<S: AsRef<str>>(tokenizer: &Tokenizer, texts: &[S]) -> Self {
        let mut vocab = Vocabulary::new();
        let mut ids = Vec::new();
        let docs = texts
            .iter()
            .map(|t| {
                ids.clear();
                tokenizer.for_each_token(t.as_ref(), |term, surface| {
                    ids.push(vocab.add(term, surface));
                });
                // An exact-size copy: a vector grown token by token keeps up to half its
                // capacity unused, a third of the corpus's memory at a million questions.
                ids.to_vec()
            })
            .collect();
        Corpus { vocab, docs }
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether there are no documents.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surfaces(tokens: &[Token]) -> Vec<&str> {
        tokens.iter().map(|t| t.surface.as_str()).collect()
    }

    fn terms(tokens: &[Token]) -> Vec<&str> {
        tokens.iter().map(|t| t.term.as_str()).collect()
    }

    #[test]
    fn danish_sentence_without_stemming() {
        // From the follow-group minutes of 27 April 2017 in shared/context.
        let t = Tokenizer::for_language(Language::Da, false);
        let tokens = t.tokens(
            "Ledelseskommissionens følgegruppe mødtes for første gang i Danske Regioners hus",
        );
        assert_eq!(
            surfaces(&tokens),
            [
                "ledelseskommissionens",
                "følgegruppe",
                "mødtes",
                "første",
                "gang",
                "danske",
                "regioners",
                "hus"
            ]
        );
        assert_eq!(terms(&tokens), surfaces(&tokens));
    }

    #[test]
    fn danish_sentence_with_stemming_keeps_æøå() {
        let t = Tokenizer::for_language(Language::Da, true);
        let tokens = t.tokens(
            "Der blev blandt andet lagt vægt på, at styring og ledelse er vanskeligt at skille ad \
             og at det er nødvendigt, at lederne får rum til at lede.",
        );
        assert_eq!(
            surfaces(&tokens),
            [
                "lagt",
                "vægt",
                "styring",
                "ledelse",
                "vanskeligt",
                "skille",
                "nødvendigt",
                "lederne",
                "rum",
                "lede"
            ]
        );
        // Snowball Danish folds "ledelse", "lederne" and "lede" into one stem.
        assert_eq!(
            terms(&tokens),
            [
                "lagt", "vægt", "styring", "led", "vansk", "skil", "nødvend", "led", "rum", "led"
            ]
        );
        assert!(tokens.iter().any(|t| t.term.contains('æ')));
    }

    #[test]
    fn numbers_punctuation_and_short_words_are_dropped() {
        let t = Tokenizer::for_language(Language::Da, false);
        let tokens = t.tokens("Følgegruppemøde 27. april 2017 – 1. Ledelsesadfærd; 2) x!");
        assert_eq!(
            surfaces(&tokens),
            ["følgegruppemøde", "april", "ledelsesadfærd"]
        );
    }

    #[test]
    fn english_stop_words_with_typographic_apostrophe() {
        let t = Tokenizer::for_language(Language::En, true);
        let tokens = t.tokens("We don’t know how the leaders are managing their organisations.");
        assert_eq!(
            surfaces(&tokens),
            ["know", "leaders", "managing", "organisations"]
        );
        assert_eq!(terms(&tokens), ["know", "leader", "manag", "organis"]);
    }

    #[test]
    fn mixed_corpus_uses_both_stop_lists() {
        let t = Tokenizer::new(TokenizerOptions {
            stop_words: vec![Language::Da, Language::En],
            stem: None,
            min_chars: 2,
        });
        let tokens = t.tokens("Hvordan kan the leaders skabe tillid og trust?");
        assert_eq!(surfaces(&tokens), ["leaders", "skabe", "tillid", "trust"]);
    }

    #[test]
    fn display_is_most_frequent_surface_with_deterministic_ties() {
        let mut v = Vocabulary::new();
        let a = v.add("led", "lederne");
        v.add("led", "leder");
        v.add("led", "lederne");
        assert_eq!(v.display(a), "lederne");
        // Tie between two forms seen once each: the shorter wins, then alphabetical order.
        let b = v.add("styr", "styringen");
        v.add("styr", "styring");
        assert_eq!(v.display(b), "styring");
        let c = v.add("x", "bb");
        v.add("x", "ab");
        assert_eq!(v.display(c), "ab");
        assert_eq!(v.surface_counts(a)["lederne"], 2);
    }

    #[test]
    fn corpus_shares_ids_across_documents() {
        let t = Tokenizer::for_language(Language::Da, true);
        let c = Corpus::from_texts(
            &t,
            &[
                "Hvordan sikrer vi ledelsens rum til ledelse?",
                "Ledelse handler om at skabe retning for medarbejderne.",
            ],
        );
        assert_eq!(c.len(), 2);
        let ledel = c.vocab.id("led").expect("stem of ledelse/ledelsens");
        assert!(c.docs[0].contains(&ledel) && c.docs[1].contains(&ledel));
        assert_eq!(c.vocab.display(ledel), "ledelse");
    }
}
