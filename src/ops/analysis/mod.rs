//! Analysis of a relay's corpus as the API and the report serve it: loading the texts, running
//! the pure functions of [`crate::analysis`], and shaping the results as the [`views`] types.
//! Loading happens on a bulk connection, the number crunching in a bulk slot
//! ([`crate::db::Db::read_bulk`], [`crate::db::Db::compute_bulk`]).

pub mod depth;
pub mod material;
mod network;
pub mod views;
mod words;

use serde::Serialize;

pub use self::network::{
    build as network, edges as network_edges, nodes as network_nodes, relay_network,
    relay_network_svg, svg as network_svg,
};
pub use self::words::{Side, compare, distinctive, relay_words, top, words};
use crate::analysis::{Language, Tokenizer, TokenizerOptions};
use crate::db::DbConn;
use crate::db::corpus::CorpusRow;
use crate::db::relays::RelayRow;
use crate::error::{AppError, Found};

/// Which texts an analysis reads; serialised as its API name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
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

/// The analysis language of a relay's language code.
pub fn language(code: &str) -> Language {
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
