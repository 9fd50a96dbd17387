//! Finding themes: clustering the questions the analyst has not placed, and suggesting a theme
//! for each unplaced question from the placed ones. Pure functions over a relay's corpus.

use std::collections::{HashMap, HashSet};

use crate::analysis::{
    self, Cluster, ClusterOptions, Corpus, KChoice, PinnedThemes, SuggestOptions,
};
use crate::db::corpus::CorpusRow;
use crate::db::relays::RelayRow;
use crate::error::AppError;
use crate::ops::analysis::tokenizer;

use super::views::Suggestion;

/// What the clustering reads for each question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterText {
    /// The question alone.
    Question,
    /// The question and its answer (answers carry much of the meaning).
    QuestionAnswer,
}

impl ClusterText {
    /// Parses `question` or `question_answer` (default `question`).
    pub fn parse(s: Option<&str>) -> Result<Self, AppError> {
        match s.unwrap_or("question") {
            "question" => Ok(Self::Question),
            "question_answer" => Ok(Self::QuestionAnswer),
            _ => Err(AppError::validation(
                "text must be question or question_answer",
            )),
        }
    }
}

/// How a clustering run is asked for: `k` themes (or a k chosen by silhouette), a seed (or
/// the relay's), and what it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterRun {
    /// Themes wanted, 1 to 50; `None` lets the silhouette choose.
    pub k: Option<usize>,
    /// The seed, or the relay's.
    pub seed: Option<u64>,
    /// What it reads.
    pub text: ClusterText,
}

impl ClusterRun {
    /// Checks a request's `k` and parses its `text`.
    pub fn new(k: Option<usize>, seed: Option<u64>, text: Option<&str>) -> Result<Self, AppError> {
        let text = ClusterText::parse(text)?;
        if k.is_some_and(|k| !(1..=50).contains(&k)) {
            return Err(AppError::validation("k must be between 1 and 50"));
        }
        Ok(Self { k, seed, text })
    }
}

fn cluster_texts(rows: &[CorpusRow], text: ClusterText) -> Vec<String> {
    rows.iter()
        .map(|r| match (text, &r.answer) {
            (ClusterText::QuestionAnswer, Some(a)) => format!("{}\n{a}", r.question),
            _ => r.question.clone(),
        })
        .collect()
}

/// Each row's position in `rows`, by question id.
fn index(rows: &[CorpusRow]) -> HashMap<i64, usize> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| (r.question_id, i))
        .collect()
}

/// `(question, theme)` pairs as `(document, theme)`, for the questions in `rows`.
fn as_docs(pairs: &[(i64, i64)], index: &HashMap<i64, usize>) -> Vec<(usize, i64)> {
    pairs
        .iter()
        .filter_map(|(q, t)| index.get(q).map(|&d| (d, *t)))
        .collect()
}

/// A theme made by clustering, ready to store.
#[derive(Debug, Clone)]
pub struct NewTheme {
    /// Suggested label words.
    pub words: Vec<String>,
    /// Member question ids with their closeness score (representatives score highest).
    pub members: Vec<(i64, f64)>,
}

/// Clusters the questions that the analyst has not placed (pinned placements stay where they
/// are) into `k` new themes (or a k chosen by silhouette).
pub fn cluster(
    relay: &RelayRow,
    rows: &[CorpusRow],
    pinned: &[(i64, i64)],
    k: Option<usize>,
    seed: u64,
    text: ClusterText,
) -> Vec<NewTheme> {
    let texts = cluster_texts(rows, text);
    let corpus = Corpus::from_texts(&tokenizer(&relay.language), &texts);
    let pinned_docs = as_docs(pinned, &index(rows));
    let free = rows.len().saturating_sub(pinned_docs.len());
    let options = ClusterOptions {
        k: match k {
            Some(k) => KChoice::Fixed(k.max(1)),
            None => KChoice::Auto {
                min: 2,
                max: 12.min((free / 3).max(2)),
            },
        },
        seed,
        ..ClusterOptions::default()
    };
    let result =
        analysis::cluster_with_pinned(&corpus, &pinned_docs, PinnedThemes::Closed, &options);
    result
        .clusters
        .iter()
        .filter(|c| c.theme.is_none() && !c.members.is_empty())
        .map(|c| new_theme(c, rows))
        .collect()
}

/// A found cluster as a theme: its representatives score by rank, the other members 0.
fn new_theme(c: &Cluster, rows: &[CorpusRow]) -> NewTheme {
    let rank: HashMap<usize, usize> = c
        .representatives
        .iter()
        .enumerate()
        .map(|(i, &d)| (d, i))
        .collect();
    NewTheme {
        words: c.label_words.clone(),
        members: c
            .members
            .iter()
            .map(|&d| {
                let score = rank
                    .get(&d)
                    .map_or(0.0, |&r| (c.representatives.len() - r) as f64);
                (rows[d].question_id, score)
            })
            .collect(),
    }
}

/// A theme's default label: its three strongest words.
pub fn default_label(words: &[String]) -> String {
    if words.is_empty() {
        "Tema".to_string()
    } else {
        words.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
    }
}

/// Suggestions for every unplaced question, learned from the `placed` `(question, theme)`
/// pairs, most confident first.
pub fn suggest(relay: &RelayRow, rows: &[CorpusRow], placed: &[(i64, i64)]) -> Vec<Suggestion> {
    let texts = cluster_texts(rows, ClusterText::QuestionAnswer);
    let corpus = Corpus::from_texts(&tokenizer(&relay.language), &texts);
    let placed_ids: HashSet<i64> = placed.iter().map(|(q, _)| *q).collect();
    let labelled = as_docs(placed, &index(rows));
    let unplaced: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !placed_ids.contains(&r.question_id))
        .map(|(i, _)| i)
        .collect();
    analysis::suggest_themes(&corpus, &labelled, &unplaced, &SuggestOptions::default())
        .into_iter()
        .map(|s| Suggestion {
            question_id: rows[s.doc].question_id,
            theme_id: s.theme,
            confidence: s.confidence,
        })
        .collect()
}
