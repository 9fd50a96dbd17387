//! Word frequencies and distinctive words, for the API and the report.

use crate::analysis::{self, Corpus, DistinctiveOptions, Language, Tokenizer, TokenizerOptions};
use crate::db::Db;
use crate::db::corpus::CorpusRow;
use crate::db::groups::GroupRow;
use crate::db::relays::RelayRow;
use crate::error::AppError;

use super::views::{DistinctiveView, DistinctiveWord, SideSummary, WordCount, WordsView};
use super::{Source, documents, language, load, tokenizer};

/// How many words a table shows: `top`, 20 unless asked, at most 500.
pub fn top(n: Option<usize>) -> Result<usize, AppError> {
    match n.unwrap_or(20) {
        n @ 1..=500 => Ok(n),
        _ => Err(AppError::validation("top must be between 1 and 500")),
    }
}

/// `GET /api/relays/{id}/words`: the word table of one group (which must exist in the relay,
/// though it may have asked nothing) or of the whole relay.
pub async fn relay_words(
    db: &Db,
    relay_id: i64,
    group: Option<String>,
    source: Source,
    top: usize,
) -> Result<WordsView, AppError> {
    let group = group.filter(|g| !g.is_empty());
    let wanted = group.clone();
    let (relay, rows) = db
        .read_bulk(move |conn| {
            let (relay, rows) = load(conn, relay_id)?;
            if let Some(g) = &wanted
                && !rows
                    .iter()
                    .any(|r| &r.asker_group == g || &r.recipient_group == g)
                && !GroupRow::names(conn, relay_id)?.values().any(|k| k == g)
            {
                return Err(no_group(relay_id, g));
            }
            Ok((relay, rows))
        })
        .await?;
    db.compute_bulk(move || words(&relay, &rows, group.as_deref(), source, top))
        .await
}

fn no_group(relay_id: i64, group: &str) -> AppError {
    AppError::validation(format!("relay {relay_id} has no group named {group}"))
}

/// Word frequencies of one group (or the whole relay), top `top`.
pub fn words(
    relay: &RelayRow,
    rows: &[CorpusRow],
    group: Option<&str>,
    source: Source,
    top: usize,
) -> WordsView {
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
    WordsView {
        relay_id: relay.id,
        group: group.map(str::to_string),
        source,
        documents: chosen.len(),
        words: table
            .into_iter()
            .map(|w| WordCount {
                word: w.word,
                count: w.count,
                questions: w.doc_count,
            })
            .collect(),
    }
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

    /// Parses the two sides of a comparison, which must differ.
    pub fn pair(a: &str, b: &str) -> Result<(Self, Self), AppError> {
        let (a, b) = (Self::parse(a)?, Self::parse(b)?);
        if a == b {
            return Err(AppError::validation("compare two different sides"));
        }
        Ok((a, b))
    }

    /// A whole relay.
    pub fn relay(relay_id: i64) -> Self {
        Self {
            relay_id,
            group: None,
        }
    }

    fn label(&self, relay: &RelayRow) -> String {
        match &self.group {
            Some(g) => format!("{} · {g}", relay.title),
            None => relay.title.clone(),
        }
    }

    /// The side's texts of `source` among its relay's rows.
    fn texts(&self, rows: &[CorpusRow], source: Source) -> Vec<String> {
        documents(rows, source)
            .into_iter()
            .filter(|(g, _)| self.group.as_deref().is_none_or(|want| g == want))
            .map(|(_, t)| t)
            .collect()
    }
}

/// `GET /api/analysis/distinctive`: loads both sides' relays and compares them.
pub async fn compare(
    db: &Db,
    a: Side,
    b: Side,
    source: Source,
    top: usize,
) -> Result<DistinctiveView, AppError> {
    let (ia, ib) = (a.relay_id, b.relay_id);
    let ((ra, rows_a), (rb, rows_b)) = db
        .read_bulk(move |conn| Ok((load(conn, ia)?, load(conn, ib)?)))
        .await?;
    db.compute_bulk(move || distinctive((&a, &ra, &rows_a), (&b, &rb, &rows_b), source, top))
        .await?
}

/// Distinctive words of side A against side B.
pub fn distinctive(
    a: (&Side, &RelayRow, &[CorpusRow]),
    b: (&Side, &RelayRow, &[CorpusRow]),
    source: Source,
    top: usize,
) -> Result<DistinctiveView, AppError> {
    let (ta, tb) = (a.0.texts(a.2, source), b.0.texts(b.2, source));
    let all_rows = || a.2.iter().chain(b.2);
    for (side, relay, texts) in [(a.0, a.1, &ta), (b.0, b.1, &tb)] {
        if let Some(g) = &side.group
            && texts.is_empty()
            && !all_rows().any(|r| &r.asker_group == g || &r.recipient_group == g)
        {
            return Err(no_group(relay.id, g));
        }
    }
    let result = analysis::distinctive_words_texts(
        &pair_tokenizer(a.1, b.1),
        &ta,
        &tb,
        // The prior weighs as much as the data: a fixed large prior would drown a small relay.
        &DistinctiveOptions {
            alpha0: None,
            ..DistinctiveOptions::default()
        },
    );
    let summary = |(side, relay, _): (&Side, &RelayRow, &[CorpusRow]), documents| SideSummary {
        relay_id: side.relay_id,
        group: side.group.clone(),
        label: side.label(relay),
        documents,
    };
    Ok(DistinctiveView {
        source,
        a: summary(a, ta.len()),
        b: summary(b, tb.len()),
        a_words: result.for_a(top).into_iter().map(word).collect(),
        b_words: result.for_b(top).into_iter().map(word).collect(),
    })
}

/// The tokenizer for comparing two relays: A's stemmer, unless the languages differ.
fn pair_tokenizer(a: &RelayRow, b: &RelayRow) -> Tokenizer {
    let mut options = TokenizerOptions::for_language(language(&a.language), true);
    options.stop_words = vec![Language::Da, Language::En];
    if a.language != b.language {
        // Two languages: no stemmer fits both, and a wrong one mangles words.
        options.stem = None;
    }
    Tokenizer::new(options)
}

fn word(w: &analysis::DistinctiveWord) -> DistinctiveWord {
    DistinctiveWord {
        word: w.word.clone(),
        count_a: w.count_a,
        count_b: w.count_b,
        delta: w.delta,
        z: w.z,
    }
}
