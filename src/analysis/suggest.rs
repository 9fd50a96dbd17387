//! Assisted theming: once the analyst has placed a few documents in their own themes, suggest a
//! theme with a confidence for each unplaced one.
//!
//! The model is a nearest-centroid classifier over the same TF-IDF vectors as the clustering
//! (Rocchio), which needs no training beyond sums and does well with three to five examples per
//! theme, where discriminative models overfit. Centroids are then refined transductively: the
//! unplaced documents join the centroids with their current probabilities for a few rounds, so
//! words that the few examples lack but their neighbours share also count. Cosine similarities
//! become probabilities by a softmax whose temperature is fitted by leave-one-out on the placed
//! documents, so confidences track how well the analyst's themes separate.

use std::collections::BTreeMap;

use super::cluster::{Columns, Tfidf, TfidfOptions, ThemeId};
use super::text::Corpus;

/// Temperatures tried when fitting; cosine similarities of short texts differ by hundredths to
/// tenths, so the grid spans that scale.
const TEMPERATURE_GRID: [f32; 12] = [
    0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5,
];

/// Used when the placed documents cannot fit one (no theme has two of them).
const DEFAULT_TEMPERATURE: f32 = 0.05;

/// Settings of [`suggest_themes`].
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestOptions {
    /// Vectorisation; fitted over placed and unplaced documents alike, since unlabelled text is
    /// available and tells which words are rare.
    pub tfidf: TfidfOptions,
    /// Softmax temperature; `None` fits it by leave-one-out on the placed documents.
    pub temperature: Option<f32>,
    /// Rounds of transductive refinement (0 for plain nearest centroid).
    pub refine_rounds: usize,
    /// Weight of an unplaced document in a centroid relative to a placed one, times its
    /// probability for that theme.
    pub refine_weight: f32,
}

impl Default for SuggestOptions {
    fn default() -> Self {
        SuggestOptions {
            tfidf: TfidfOptions::default(),
            temperature: None,
            refine_rounds: 3,
            refine_weight: 0.5,
        }
    }
}

/// A suggested theme for one unplaced document.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// The document (corpus index).
    pub doc: usize,
    /// The most likely theme.
    pub theme: ThemeId,
    /// Probability of `theme`, in [0, 1].
    pub confidence: f64,
    /// Every theme with its probability, most likely first (ties by theme id).
    pub ranked: Vec<(ThemeId, f64)>,
}

/// Suggests a theme for each of `unplaced` from the analyst's `placed` documents
/// (`(document, theme)`, corpus indices). Returned most confident first (ties by document), so
/// the analyst can accept the sure ones quickly; accepting or correcting one and calling again
/// with it placed improves the rest. Empty if nothing is placed. A document without usable words
/// gets equal probabilities.
///
/// # Panics
/// If a document index is not a document of `corpus`.
pub fn suggest_themes(
    corpus: &Corpus,
    placed: &[(usize, ThemeId)],
    unplaced: &[usize],
    options: &SuggestOptions,
) -> Vec<Suggestion> {
    let m = Tfidf::fit(corpus, &options.tfidf);
    suggest_themes_matrix(&m, placed, unplaced, options)
}

/// [`suggest_themes`] over an already computed matrix.
pub fn suggest_themes_matrix(
    m: &Tfidf,
    placed: &[(usize, ThemeId)],
    unplaced: &[usize],
    options: &SuggestOptions,
) -> Vec<Suggestion> {
    let themes: Vec<ThemeId> = {
        let set: BTreeMap<ThemeId, ()> = placed.iter().map(|&(_, t)| (t, ())).collect();
        set.into_keys().collect()
    };
    if themes.is_empty() {
        return Vec::new();
    }
    let index: BTreeMap<ThemeId, usize> = themes.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    let k = themes.len();
    let labelled: Vec<(usize, usize)> = placed.iter().map(|&(d, t)| (d, index[&t])).collect();

    let mut placed_sums = Columns::zeros(m.n_features(), k);
    for &(d, c) in &labelled {
        placed_sums.add_row(m, d, c);
    }
    let temperature = options
        .temperature
        .unwrap_or_else(|| fit_temperature(m, &placed_sums, &labelled));

    let mut centroids = placed_sums.clone();
    centroids.normalize();
    let mut probs = probabilities(m, &centroids, unplaced, temperature);
    for _ in 0..options.refine_rounds {
        let mut sums = placed_sums.clone();
        for (&d, p) in unplaced.iter().zip(&probs) {
            let (idx, w) = m.row(d);
            for (&f, &x) in idx.iter().zip(w) {
                let base = f as usize * k;
                for (c, &pc) in p.iter().enumerate() {
                    sums.v[base + c] += options.refine_weight * pc as f32 * x;
                }
            }
        }
        sums.normalize();
        centroids = sums;
        probs = probabilities(m, &centroids, unplaced, temperature);
    }

    let mut out: Vec<Suggestion> = unplaced
        .iter()
        .zip(probs)
        .map(|(&doc, p)| {
            let mut ranked: Vec<(ThemeId, f64)> = themes.iter().copied().zip(p).collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            Suggestion {
                doc,
                theme: ranked[0].0,
                confidence: ranked[0].1,
                ranked,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.doc.cmp(&b.doc))
    });
    out
}

/// Softmax of each document's cosine to the centroids, divided by `temperature`.
fn probabilities(
    m: &Tfidf,
    centroids: &Columns,
    docs: &[usize],
    temperature: f32,
) -> Vec<Vec<f64>> {
    let mut scores = vec![0f32; centroids.k];
    docs.iter()
        .map(|&d| {
            centroids.scores(m, d, &mut scores);
            softmax(&scores, temperature)
        })
        .collect()
}

fn softmax(scores: &[f32], temperature: f32) -> Vec<f64> {
    let t = temperature.max(1e-6) as f64;
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let e: Vec<f64> = scores
        .iter()
        .map(|&s| ((s as f64 - max) / t).exp())
        .collect();
    let z: f64 = e.iter().sum();
    e.into_iter().map(|x| x / z).collect()
}

/// The grid temperature with the lowest leave-one-out log loss on the placed documents: each is
/// scored against centroids from the others, its own theme's sum minus itself. Documents alone
/// in their theme, or without words, are skipped as they cannot be predicted.
fn fit_temperature(m: &Tfidf, sums: &Columns, labelled: &[(usize, usize)]) -> f32 {
    let k = sums.k;
    let mut sizes = vec![0usize; k];
    for &(_, c) in labelled {
        sizes[c] += 1;
    }
    let norms = sums.norms();
    let mut raw = vec![0f32; k];
    let mut cases: Vec<(Vec<f32>, usize)> = Vec::new();
    for &(d, c) in labelled {
        if sizes[c] < 2 || m.is_empty_row(d) {
            continue;
        }
        sums.scores(m, d, &mut raw);
        let (_, w) = m.row(d);
        let self_dot: f32 = w.iter().map(|x| x * x).sum();
        let mut cos: Vec<f32> = raw
            .iter()
            .zip(&norms)
            .map(|(&s, &n)| if n > 0.0 { s / n } else { 0.0 })
            .collect();
        let own_sq = norms[c] * norms[c] - 2.0 * raw[c] + self_dot;
        cos[c] = if own_sq > 1e-12 {
            (raw[c] - self_dot) / own_sq.sqrt()
        } else {
            0.0
        };
        cases.push((cos, c));
    }
    if cases.is_empty() || k < 2 {
        return DEFAULT_TEMPERATURE;
    }
    let loss = |t: f32| -> f64 {
        cases
            .iter()
            .map(|(cos, c)| -softmax(cos, t)[*c].max(1e-300).ln())
            .sum()
    };
    let mut best = (DEFAULT_TEMPERATURE, f64::INFINITY);
    for t in TEMPERATURE_GRID {
        let l = loss(t);
        if l < best.1 {
            best = (t, l);
        }
    }
    best.0
}
