//! Distinctive words between two corpora: the weighted log-odds ratio with an informative
//! Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"). Unlike raw frequency
//! differences it neither crowns frequent function words nor rare one-off words, and its z-score
//! says how sure the difference is.

use std::collections::HashMap;

use super::text::{Corpus, Tokenizer};

/// Settings of the log-odds statistic.
#[derive(Debug, Clone, PartialEq)]
pub struct DistinctiveOptions {
    /// Total weight α0 of the prior, whose shape is the combined word distribution of A and B.
    /// `None` uses the combined token count, so the prior weighs as much as the data. Larger
    /// values shrink the estimates of rare words harder.
    pub alpha0: Option<f64>,
    /// Words occurring fewer times than this in A and B together are left out.
    pub min_count: u64,
}

impl Default for DistinctiveOptions {
    fn default() -> Self {
        DistinctiveOptions {
            alpha0: Some(1000.0),
            min_count: 1,
        }
    }
}

/// One word's statistics; positive `delta`/`z` lean to A, negative to B.
#[derive(Debug, Clone, PartialEq)]
pub struct DistinctiveWord {
    /// The word as shown (the term's most frequent surface form in the corpus).
    pub word: String,
    /// The term (stem).
    pub term: String,
    /// Occurrences in A.
    pub count_a: u64,
    /// Occurrences in B.
    pub count_b: u64,
    /// Weighted log-odds ratio of A versus B.
    pub delta: f64,
    /// `delta` divided by its approximate standard deviation.
    pub z: f64,
}

/// All words of A and B, sorted by z descending (ties by word), so the head leans to A and the
/// tail to B.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Distinctive {
    /// Every word that passed `min_count`.
    pub words: Vec<DistinctiveWord>,
}

impl Distinctive {
    /// The `n` words most distinctive for A (z > 0), strongest first.
    pub fn for_a(&self, n: usize) -> Vec<&DistinctiveWord> {
        self.words.iter().filter(|w| w.z > 0.0).take(n).collect()
    }

    /// The `n` words most distinctive for B (z < 0), strongest (most negative z) first.
    pub fn for_b(&self, n: usize) -> Vec<&DistinctiveWord> {
        self.words
            .iter()
            .rev()
            .filter(|w| w.z < 0.0)
            .take(n)
            .collect()
    }
}

/// The statistic for one word given its counts `y_a`, `y_b`, the corpus sizes `n_a`, `n_b` (in
/// tokens), its prior weight `alpha_w` and the prior's total `alpha0`. Returns `(delta, z)`.
pub fn log_odds(y_a: f64, y_b: f64, n_a: f64, n_b: f64, alpha_w: f64, alpha0: f64) -> (f64, f64) {
    let odds_a = (y_a + alpha_w) / (n_a + alpha0 - y_a - alpha_w);
    let odds_b = (y_b + alpha_w) / (n_b + alpha0 - y_b - alpha_w);
    let delta = odds_a.ln() - odds_b.ln();
    let variance = 1.0 / (y_a + alpha_w) + 1.0 / (y_b + alpha_w);
    (delta, delta / variance.sqrt())
}

/// Distinctive words between the documents `a` and `b` of one corpus (indices into `corpus`).
/// A document listed in both counts in both.
pub fn distinctive_words(
    corpus: &Corpus,
    a: &[usize],
    b: &[usize],
    options: &DistinctiveOptions,
) -> Distinctive {
    let mut counts: HashMap<u32, (u64, u64)> = HashMap::new();
    for &d in a {
        for &t in &corpus.docs[d] {
            counts.entry(t).or_insert((0, 0)).0 += 1;
        }
    }
    for &d in b {
        for &t in &corpus.docs[d] {
            counts.entry(t).or_insert((0, 0)).1 += 1;
        }
    }
    let n_a: u64 = counts.values().map(|c| c.0).sum();
    let n_b: u64 = counts.values().map(|c| c.1).sum();
    let n = (n_a + n_b) as f64;
    let alpha0 = options.alpha0.unwrap_or(n);
    let mut words: Vec<DistinctiveWord> = counts
        .into_iter()
        .filter(|(_, (ya, yb))| ya + yb >= options.min_count.max(1))
        .map(|(t, (ya, yb))| {
            let alpha_w = alpha0 * (ya + yb) as f64 / n;
            let (delta, z) = log_odds(
                ya as f64, yb as f64, n_a as f64, n_b as f64, alpha_w, alpha0,
            );
            DistinctiveWord {
                word: corpus.vocab.display(t).to_owned(),
                term: corpus.vocab.term(t).to_owned(),
                count_a: ya,
                count_b: yb,
                delta,
                z,
            }
        })
        .collect();
    words.sort_by(|x, y| {
        y.z.total_cmp(&x.z)
            .then_with(|| x.word.cmp(&y.word))
            .then_with(|| x.term.cmp(&y.term))
    });
    Distinctive { words }
}

/// Distinctive words between two sets of texts, tokenised together.
pub fn distinctive_words_texts<S: AsRef<str>>(
    tokenizer: &Tokenizer,
    a: &[S],
    b: &[S],
    options: &DistinctiveOptions,
) -> Distinctive {
    let texts: Vec<&str> = a.iter().chain(b).map(AsRef::as_ref).collect();
    let corpus = Corpus::from_texts(tokenizer, &texts);
    let ia: Vec<usize> = (0..a.len()).collect();
    let ib: Vec<usize> = (a.len()..texts.len()).collect();
    distinctive_words(&corpus, &ia, &ib, options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::text::Language;

    fn close(x: f64, y: f64) {
        assert!((x - y).abs() < 1e-9, "{x} != {y}");
    }

    /// A: sektor x5, ledelse x3, borger x2 (n_a = 10); B: organisation x4, ledelse x3, borger x1
    /// (n_b = 8). Written so that no stop word, stem or short word interferes.
    fn fixture() -> (Vec<&'static str>, Vec<&'static str>) {
        (
            vec![
                "sektor sektor ledelse borger",
                "sektor ledelse",
                "sektor sektor ledelse borger",
            ],
            vec![
                "organisation organisation ledelse",
                "organisation ledelse borger organisation ledelse",
            ],
        )
    }

    fn find<'a>(d: &'a Distinctive, w: &str) -> &'a DistinctiveWord {
        d.words.iter().find(|x| x.word == w).expect("word present")
    }

    #[test]
    fn matches_hand_computed_values_alpha0_10() {
        // By hand for "sektor", α0 = 10, n = 18: α = 10·5/18 = 2.7778;
        // δ = ln(7.7778/(10+10−5−2.7778)) − ln(2.7778/(8+10−0−2.7778))
        //   = ln(0.63636) − ln(0.18248) = −0.45199 + 1.70111 = 1.24912;
        // var = 1/7.7778 + 1/2.7778 = 0.48857, z = 1.24912/0.69898 = 1.78706.
        // The full-precision values below come from the same formulas in Python (f64).
        let t = Tokenizer::for_language(Language::Da, false);
        let (a, b) = fixture();
        let opts = DistinctiveOptions {
            alpha0: Some(10.0),
            min_count: 1,
        };
        let d = distinctive_words_texts(&t, &a, &b, &opts);
        let expected = [
            ("sektor", 5, 0, 1.2491199772168669, 1.7870640614591926),
            ("borger", 2, 1, 0.25527482949700286, 0.3171844610963425),
            ("ledelse", 3, 3, -0.158224005214894, -0.2815616808382056),
            (
                "organisation",
                0,
                4,
                -1.4413541383029178,
                -1.8443853325001442,
            ),
        ];
        assert_eq!(d.words.len(), 4);
        for (w, (word, ya, yb, delta, z)) in d.words.iter().zip(expected) {
            assert_eq!(w.word, word);
            assert_eq!((w.count_a, w.count_b), (ya, yb));
            close(w.delta, delta);
            close(w.z, z);
        }
        assert_eq!(
            d.for_a(5)
                .iter()
                .map(|w| w.word.as_str())
                .collect::<Vec<_>>(),
            ["sektor", "borger"]
        );
        assert_eq!(
            d.for_b(1)
                .iter()
                .map(|w| w.word.as_str())
                .collect::<Vec<_>>(),
            ["organisation"]
        );
    }

    #[test]
    fn alpha0_defaults_to_total_count_when_unset() {
        // α0 = n = 18 (Python, f64).
        let t = Tokenizer::for_language(Language::Da, false);
        let (a, b) = fixture();
        let opts = DistinctiveOptions {
            alpha0: None,
            min_count: 1,
        };
        let d = distinctive_words_texts(&t, &a, &b, &opts);
        close(find(&d, "sektor").delta, 0.8472978603872038);
        close(find(&d, "sektor").z, 1.5469471701997812);
        close(find(&d, "organisation").z, -1.6016874631159401);
        close(find(&d, "ledelse").z, -0.23594520248466072);
        close(find(&d, "borger").z, 0.26637799110081345);
    }

    #[test]
    fn min_count_and_symmetry() {
        let t = Tokenizer::for_language(Language::Da, false);
        let (a, b) = fixture();
        let opts = DistinctiveOptions {
            alpha0: Some(10.0),
            min_count: 4,
        };
        let d = distinctive_words_texts(&t, &a, &b, &opts);
        let words: Vec<&str> = d.words.iter().map(|w| w.word.as_str()).collect();
        assert_eq!(words, ["sektor", "ledelse", "organisation"]);
        // Swapping A and B flips the sign and nothing else.
        let swapped = distinctive_words_texts(&t, &b, &a, &opts);
        for w in &d.words {
            let s = find(&swapped, &w.word);
            close(s.z, -w.z);
            close(s.delta, -w.delta);
        }
    }
}
