//! Analysis of a relay's corpus as the API serves it: loading the texts, running the pure
//! functions of [`crate::analysis`], and storing themes. Loading happens on a pooled read
//! connection, the number crunching on a blocking thread, the writes in one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::analysis::{
    self, ClusterOptions, Corpus, KChoice, Language, PinnedThemes, SuggestOptions, Tokenizer,
    TokenizerOptions,
};
use crate::db::corpus::CorpusRow;
use crate::db::relays::RelayRow;
use crate::db::themes::{PlacementRow, ThemeRow};
use crate::db::{DbConn, to_db};
use crate::error::{AppError, Found};

/// Which texts an analysis reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The questions.
    Questions,
    /// The answers.
    Answers,
    /// Both, each a document of its own.
    Both,
}

impl Source {
    /// Parses `questions`, `answers` or `both` (default `questions`).
    pub fn parse(s: Option<&str>) -> Result<Self, AppError> {
        match s.unwrap_or("questions") {
            "questions" => Ok(Self::Questions),
            "answers" => Ok(Self::Answers),
            "both" => Ok(Self::Both),
            _ => Err(AppError::validation(
                "source must be questions, answers or both",
            )),
        }
    }

    /// The name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Questions => "questions",
            Self::Answers => "answers",
            Self::Both => "both",
        }
    }
}

/// A relay's corpus rows, in question order.
pub fn load(conn: &mut DbConn, relay_id: i64) -> Result<(RelayRow, Vec<CorpusRow>), AppError> {
    let relay = RelayRow::find(conn, relay_id).or_not_found("relay")?;
    let mut rows = Vec::new();
    CorpusRow::for_each(conn, relay_id, 5000, |r| -> Result<(), AppError> {
        rows.push(r);
        Ok(())
    })?;
    Ok((relay, rows))
}

fn language(code: &str) -> Language {
    if code == "en" {
        Language::En
    } else {
        Language::Da
    }
}

/// The tokenizer for a relay's language: its stemmer, and both stop-word lists, since Danish
/// leaders write English words and the other way round.
pub fn tokenizer(code: &str) -> Tokenizer {
    let lang = language(code);
    Tokenizer::new(TokenizerOptions {
        stop_words: vec![Language::Da, Language::En],
        ..TokenizerOptions::for_language(lang, true)
    })
}

/// `(group, text)` documents of `source`: a question counts for its asker's group, an answer
/// for the group of the one who answered.
pub fn documents(rows: &[CorpusRow], source: Source) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for r in rows {
        if source != Source::Answers {
            out.push((r.asker_group.clone(), r.question.clone()));
        }
        if source != Source::Questions
            && let Some(a) = &r.answer
        {
            out.push((r.recipient_group.clone(), a.clone()));
        }
    }
    out
}

/// Word frequencies of one group (or the whole relay), top `top`.
pub fn words(
    relay: &RelayRow,
    rows: &[CorpusRow],
    group: Option<&str>,
    source: Source,
    top: usize,
) -> Value {
    let docs = documents(rows, source);
    let texts: Vec<&str> = docs.iter().map(|(_, t)| t.as_str()).collect();
    // Tokenised over the whole relay, so a word reads the same in every group's table.
    let corpus = Corpus::from_texts(&tokenizer(&relay.language), &texts);
    let chosen: Vec<usize> = docs
        .iter()
        .enumerate()
        .filter(|(_, (g, _))| group.is_none_or(|want| g == want))
        .map(|(i, _)| i)
        .collect();
    let table = analysis::word_frequencies(&corpus, &chosen, Some(top));
    json!({
        "relay_id": relay.id,
        "group": group,
        "source": source.as_str(),
        "documents": chosen.len(),
        "words": table.iter().map(|w| json!({
            "word": w.word, "count": w.count, "questions": w.doc_count,
        })).collect::<Vec<_>>(),
    })
}

/// One side of a comparison: a relay, or one group of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    /// The relay.
    pub relay_id: i64,
    /// The group, or the whole relay.
    pub group: Option<String>,
}

impl Side {
    /// Parses `ID` or `ID:group`.
    pub fn parse(s: &str) -> Result<Self, AppError> {
        let (id, group) = match s.split_once(':') {
            Some((id, g)) => (id, Some(g.to_string())),
            None => (s, None),
        };
        let relay_id = id.trim().parse().map_err(|_| {
            AppError::validation("each side is a relay id or relay:group, e.g. 3 or 3:Kommune")
        })?;
        Ok(Self {
            relay_id,
            group: group.filter(|g| !g.is_empty()),
        })
    }
}

/// Distinctive words of side A against side B.
pub fn distinctive(
    a: (&Side, &RelayRow, &[CorpusRow]),
    b: (&Side, &RelayRow, &[CorpusRow]),
    source: Source,
    top: usize,
) -> Result<Value, AppError> {
    let pick = |side: &Side, rows: &[CorpusRow]| -> Vec<String> {
        documents(rows, source)
            .into_iter()
            .filter(|(g, _)| side.group.as_deref().is_none_or(|want| g == want))
            .map(|(_, t)| t)
            .collect()
    };
    let (ta, tb) = (pick(a.0, a.2), pick(b.0, b.2));
    for (side, relay, texts) in [(a.0, a.1, &ta), (b.0, b.1, &tb)] {
        if let Some(g) = &side.group
            && texts.is_empty()
            && !a
                .2
                .iter()
                .chain(b.2)
                .any(|r| &r.asker_group == g || &r.recipient_group == g)
        {
            return Err(AppError::validation(format!(
                "relay {} has no group named {g}",
                relay.id
            )));
        }
    }
    let mut options = TokenizerOptions::for_language(language(&a.1.language), true);
    options.stop_words = vec![Language::Da, Language::En];
    if a.1.language != b.1.language {
        // Two languages: no stemmer fits both, and a wrong one mangles words.
        options.stem = None;
    }
    let result = analysis::distinctive_words_texts(
        &Tokenizer::new(options),
        &ta,
        &tb,
        // The prior weighs as much as the data: a fixed large prior would drown a small relay.
        &analysis::DistinctiveOptions {
            alpha0: None,
            ..analysis::DistinctiveOptions::default()
        },
    );
    let word = |w: &&analysis::DistinctiveWord| json!({ "word": w.word, "count_a": w.count_a, "count_b": w.count_b, "delta": w.delta, "z": w.z });
    let label = |side: &Side, relay: &RelayRow| match &side.group {
        Some(g) => format!("{} · {g}", relay.title),
        None => relay.title.clone(),
    };
    Ok(json!({
        "source": source.as_str(),
        "a": { "relay_id": a.0.relay_id, "group": a.0.group, "label": label(a.0, a.1), "documents": ta.len() },
        "b": { "relay_id": b.0.relay_id, "group": b.0.group, "label": label(b.0, b.1), "documents": tb.len() },
        "a_words": result.for_a(top).iter().map(word).collect::<Vec<_>>(),
        "b_words": result.for_b(top).iter().map(word).collect::<Vec<_>>(),
    }))
}

/// What the clustering reads for each question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterText {
    /// The question alone.
    Question,
    /// The question and its answer (answers carry much of the meaning).
    QuestionAnswer,
}

fn cluster_texts(rows: &[CorpusRow], text: ClusterText) -> Vec<String> {
    rows.iter()
        .map(|r| match (text, &r.answer) {
            (ClusterText::QuestionAnswer, Some(a)) => format!("{}\n{a}", r.question),
            _ => r.question.clone(),
        })
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
    let index: HashMap<i64, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.question_id, i))
        .collect();
    let pinned_docs: Vec<(usize, i64)> = pinned
        .iter()
        .filter_map(|(q, t)| index.get(q).map(|&d| (d, *t)))
        .collect();
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
        .map(|c| {
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
        })
        .collect()
}

/// A theme's default label: its three strongest words.
pub fn default_label(words: &[String]) -> String {
    if words.is_empty() {
        "Tema".to_string()
    } else {
        words.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
    }
}

/// Replaces the unpinned themes of a relay with `found`.
pub fn store_clusters(
    conn: &mut DbConn,
    relay_id: i64,
    found: &[NewTheme],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let now = to_db(now);
    ThemeRow::clear_unpinned(conn, relay_id)?;
    for t in found {
        let row = ThemeRow::insert(
            conn,
            relay_id,
            &default_label(&t.words),
            &t.words,
            false,
            now,
        )?;
        for &(qid, score) in &t.members {
            PlacementRow::place(conn, qid, Some(row.id), false, Some(score), now)?;
        }
    }
    Ok(())
}

/// Suggestions for every unplaced question, learned from the placed ones: `(question, theme,
/// confidence)`, most confident first.
pub fn suggestions(
    relay: &RelayRow,
    rows: &[CorpusRow],
    placed: &[(i64, i64)],
) -> Vec<(i64, i64, f64)> {
    let texts = cluster_texts(rows, ClusterText::QuestionAnswer);
    let corpus = Corpus::from_texts(&tokenizer(&relay.language), &texts);
    let placed_ids: HashSet<i64> = placed.iter().map(|(q, _)| *q).collect();
    let index: HashMap<i64, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.question_id, i))
        .collect();
    let labelled: Vec<(usize, i64)> = placed
        .iter()
        .filter_map(|(q, t)| index.get(q).map(|&d| (d, *t)))
        .collect();
    let unplaced: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !placed_ids.contains(&r.question_id))
        .map(|(i, _)| i)
        .collect();
    analysis::suggest_themes(&corpus, &labelled, &unplaced, &SuggestOptions::default())
        .into_iter()
        .map(|s| (rows[s.doc].question_id, s.theme, s.confidence))
        .collect()
}

/// The themes of a relay as the API shows them: label words, members, representatives, counts
/// per group, and the cake (theme shares per group, with the unplaced as their own slice).
pub fn themes_view(conn: &mut DbConn, relay_id: i64) -> Result<Value, AppError> {
    let (_, rows) = load(conn, relay_id)?;
    let list = ThemeRow::for_relay(conn, relay_id)?;
    let members = PlacementRow::by_theme(conn, relay_id)?;
    let by_id: HashMap<i64, &CorpusRow> = rows.iter().map(|r| (r.question_id, r)).collect();
    let groups: Vec<String> = {
        let set: std::collections::BTreeSet<String> =
            rows.iter().map(|r| r.asker_group.clone()).collect();
        set.into_iter().collect()
    };
    let mut placed: HashSet<i64> = HashSet::new();
    let mut out = Vec::new();
    for t in &list {
        let mut ms = members.get(&t.id).cloned().unwrap_or_default();
        placed.extend(ms.iter().map(|m| m.question_id));
        let mut per_group: BTreeMap<String, usize> = BTreeMap::new();
        for m in &ms {
            if let Some(r) = by_id.get(&m.question_id) {
                *per_group.entry(r.asker_group.clone()).or_default() += 1;
            }
        }
        ms.sort_by(|a, b| {
            b.score
                .unwrap_or(0.0)
                .total_cmp(&a.score.unwrap_or(0.0))
                .then(a.question_id.cmp(&b.question_id))
        });
        let representatives: Vec<Value> = ms
            .iter()
            .take(3)
            .filter_map(|m| by_id.get(&m.question_id))
            .map(|r| json!({ "question_id": r.question_id, "text": r.question }))
            .collect();
        let mut ids: Vec<i64> = ms.iter().map(|m| m.question_id).collect();
        ids.sort_unstable();
        out.push(json!({
            "id": t.id,
            "label": t.label,
            "label_words": t.words(),
            "pinned": t.is_pinned,
            "size": ids.len(),
            "members": ids,
            "representatives": representatives,
            "per_group": per_group,
        }));
    }
    let cake: Vec<Value> = groups
        .iter()
        .map(|g| {
            let in_group: Vec<&CorpusRow> = rows.iter().filter(|r| &r.asker_group == g).collect();
            let mut slices: Vec<Value> = list
                .iter()
                .map(|t| {
                    let n = members.get(&t.id).map_or(0, |ms| {
                        ms.iter()
                            .filter(|m| by_id.get(&m.question_id).is_some_and(|r| &r.asker_group == g))
                            .count()
                    });
                    json!({ "theme_id": t.id, "label": t.label, "count": n, "share": share(n, in_group.len()) })
                })
                .collect();
            let unplaced = in_group.iter().filter(|r| !placed.contains(&r.question_id)).count();
            if unplaced > 0 {
                slices.push(json!({ "theme_id": null, "label": "Uden tema", "count": unplaced, "share": share(unplaced, in_group.len()) }));
            }
            json!({ "group": g, "total": in_group.len(), "slices": slices })
        })
        .collect();
    Ok(json!({
        "relay_id": relay_id,
        "questions": rows.len(),
        "unplaced": rows.iter().filter(|r| !placed.contains(&r.question_id)).count(),
        "groups": groups,
        "themes": out,
        "cake": cake,
    }))
}

fn share(n: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        n as f64 / total as f64
    }
}
