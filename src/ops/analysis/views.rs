//! What the analysis API answers, as types: each serialises to the JSON the API has always
//! sent, and the printable report renders from the same values. Fields are in alphabetical
//! order because serde writes them in declaration order, and the API has always sent its keys
//! sorted: responses stay byte for byte what they were.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Source;
use crate::analysis::{
    FocusShares, FormShares, GroupLink, GroupProfile, KeywordHit, UnexpectedWord,
};

/// `GET /api/relays/{id}/words`: word frequencies of one group or the whole relay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WordsView {
    /// How many texts were counted.
    pub documents: usize,
    /// The group counted, or null for the whole relay.
    pub group: Option<String>,
    /// The relay.
    pub relay_id: i64,
    /// Which texts were read.
    pub source: Source,
    /// The most frequent words, most frequent first.
    pub words: Vec<WordCount>,
}

/// One word of a [`WordsView`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WordCount {
    /// Occurrences.
    pub count: u64,
    /// Texts it occurs in (named after questions, the usual source).
    pub questions: u64,
    /// The word as shown.
    pub word: String,
}

/// `GET /api/analysis/distinctive`: the words that set side A apart from side B.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistinctiveView {
    /// Side A.
    pub a: SideSummary,
    /// A's most distinctive words, strongest first.
    pub a_words: Vec<DistinctiveWord>,
    /// Side B.
    pub b: SideSummary,
    /// B's most distinctive words, strongest first.
    pub b_words: Vec<DistinctiveWord>,
    /// Which texts were read.
    pub source: Source,
}

/// One side of a [`DistinctiveView`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideSummary {
    /// How many texts the side has.
    pub documents: usize,
    /// The group, or null for the whole relay.
    pub group: Option<String>,
    /// The relay's title, with the group after a dot.
    pub label: String,
    /// The relay.
    pub relay_id: i64,
}

/// One word of a [`DistinctiveView`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistinctiveWord {
    /// Occurrences on side A.
    pub count_a: u64,
    /// Occurrences on side B.
    pub count_b: u64,
    /// The weighted log-odds difference.
    pub delta: f64,
    /// The word as shown.
    pub word: String,
    /// Its z-score: positive leans to A, negative to B.
    pub z: f64,
}

/// `GET /api/relays/{id}/network`: who asked whom, per group and per participant, and how
/// far the batons travelled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkView {
    /// The relay chains.
    pub chains: Chains,
    /// Group names in order: the rows and columns of `matrix`.
    pub groups: Vec<String>,
    /// The links between groups, each with the theme that carries most of its questions
    /// (`theme_id`, `theme_label`) and its questions per theme (`split`).
    pub links: Vec<GroupLink>,
    /// `matrix[a][b]`: questions asked by group `a` of group `b`.
    pub matrix: Vec<Vec<u32>>,
    /// Counts per participant.
    pub participants: Vec<ParticipantCounts>,
    /// The relay.
    pub relay_id: i64,
}

/// One participant of a [`NetworkView`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParticipantCounts {
    /// Questions answered.
    pub answered: u32,
    /// Questions asked.
    pub asked: u32,
    /// Group name.
    pub group: String,
    /// The name, only for readers who may see names (the key is left out for the others).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Stable pseudonym.
    pub pseudonym: String,
    /// Questions received.
    pub received: u32,
}

/// The chains of a [`NetworkView`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chains {
    /// How many chains there are, one-question chains included.
    pub count: usize,
    /// Chains per length.
    pub histogram: BTreeMap<usize, usize>,
    /// Questions in the longest chain (0 without questions).
    pub longest: usize,
    /// The five longest chains of more than one question.
    pub top: Vec<Chain>,
}

/// One chain of [`Chains::top`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chain {
    /// Questions in it.
    pub length: usize,
    /// The path of the baton: the first asker, then each recipient in turn.
    pub path: Vec<ChainStep>,
    /// The questions in order.
    pub questions: Vec<i64>,
}

/// One holder of the baton in a [`Chain`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainStep {
    /// Group name.
    pub group: Option<String>,
    /// Pseudonym.
    pub pseudonym: Option<String>,
}

/// `GET /api/relays/{id}/keywords`: the expected keywords, the share found and the words that
/// stood out unexpected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeywordsView {
    /// The expected keywords in the facilitator's order, with their counts per group.
    pub keywords: Vec<KeywordHit>,
    /// What the unexpected words are measured against: `relays` (the platform's other relays
    /// in the relay's language) or `general` (general word frequencies of the language).
    pub reference: &'static str,
    /// Share of the expected keywords found at least once; null when none were listed.
    pub relevance: Option<f64>,
    /// The words that stood out though nobody expected them, strongest first (top 20).
    pub unexpected: Vec<UnexpectedWord>,
}

/// Shares of one round or theme, with what it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keyed<T> {
    /// The round's number or the theme's id; null for questions in none.
    pub id: Option<i64>,
    /// The round's name or the theme's label; null for questions in none.
    pub label: Option<String>,
    /// The shares.
    #[serde(flatten)]
    pub shares: T,
}

/// `GET /api/relays/{id}/forms`: question form shares for the relay, per group (of the
/// asker), per round and per theme, corrections included.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormSharesView {
    /// The whole relay.
    pub all: FormShares,
    /// Per asking group, by name.
    pub groups: BTreeMap<String, FormShares>,
    /// Per round, in order; questions asked outside a round last.
    pub rounds: Vec<Keyed<FormShares>>,
    /// Per theme, in the themes' order; questions in no theme last.
    pub themes: Vec<Keyed<FormShares>>,
}

/// The focus lists in force for a relay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FocusListsView {
    /// Whether the analyst edited them (else the language's defaults).
    pub custom: bool,
    /// Entries pointing inside the organisation.
    pub inward: Vec<String>,
    /// Entries pointing outside it.
    pub outward: Vec<String>,
}

/// `GET /api/relays/{id}/focus`: inward, outward and neither shares of the questions, per
/// group (of the asker) and per theme, and the lists they were read with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FocusView {
    /// The whole relay.
    pub all: FocusShares,
    /// Per asking group, by name.
    pub groups: BTreeMap<String, FocusShares>,
    /// The word lists in force.
    pub lists: FocusListsView,
    /// Per theme, in the themes' order; questions in no theme last.
    pub themes: Vec<Keyed<FocusShares>>,
}

/// `GET /api/relays/{id}/profiles`: the activity profile of every group, by name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfilesView {
    /// Per group.
    pub groups: BTreeMap<String, GroupProfile>,
}
