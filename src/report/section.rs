//! One relay's part of the report, built from the analysis views: the figures, the cake, the
//! words per group, the words that set the first two groups apart, the network matrix, the
//! deeper analyses ([`super::depth`]) and the starred questions.

use serde::Serialize;

use crate::db::corpus::CorpusRow;
use crate::db::rounds::RoundRow;
use crate::export::Reader;
use crate::ops::analysis::views::NetworkView;
use crate::ops::analysis::{self, Side, Source};

use super::bars::{Bars, DistinctBars, distinct_bars, word_bars};
use super::cake::{Cake, cake};
use super::depth::{Depth, depth_section};
use super::{RelayData, View};

/// How many words each group's chart shows, and each side of the distinctive words.
const WORDS: usize = 10;
const DISTINCT_WORDS: usize = 8;

/// What the template shows of one relay.
#[derive(Debug, Serialize)]
pub(super) struct Section {
    title: String,
    topic: String,
    purpose: String,
    period: String,
    participants: usize,
    questions: usize,
    answered: usize,
    longest_chain: usize,
    cake: Cake,
    words: Vec<GroupWords>,
    distinct: Option<DistinctBars>,
    groups_hidden: bool,
    network: Option<Matrix>,
    depth: Option<Depth>,
    starred: Vec<Starred>,
}

#[derive(Debug, Serialize)]
struct GroupWords {
    group: String,
    bars: Bars,
}

/// The group × group table, each cell with a heat step from 0 to 5.
#[derive(Debug, Serialize)]
struct Matrix {
    groups: Vec<String>,
    rows: Vec<MatrixRow>,
}

#[derive(Debug, Serialize)]
struct MatrixRow {
    group: String,
    cells: Vec<Cell>,
}

#[derive(Debug, Serialize)]
struct Cell {
    n: u32,
    heat: u32,
}

#[derive(Debug, Serialize)]
struct Starred {
    question: String,
    answer: Option<String>,
    asker_group: Option<String>,
    recipient_group: String,
    round_name: Option<String>,
    theme: Option<String>,
}

/// The section of `d` for `view`, its words in `lang`; `id_prefix` is unique on the page.
pub(super) fn relay_section(d: &RelayData, lang: &str, view: View, id_prefix: &str) -> Section {
    // Questions are counted under their asker's group throughout (cake, words, distinctive
    // words, network, starred): with the groups hidden, participants see the relay as one.
    let hidden = view == View::Participants && !d.m.relay.show_asker_group;
    let everyone = if lang == "da" { "Alle" } else { "Everyone" };
    let group_names: Vec<String> = if hidden {
        Vec::new()
    } else {
        let mut g: Vec<String> = d.m.groups.values().cloned().collect();
        g.sort();
        g
    };
    let net = analysis::network(&d.m, Reader::Analyst);
    // Form, focus, profiles and the graph are per group: not for a copy that hides the groups.
    let depth = (!hidden).then(|| depth_section(d, &net, lang, view, id_prefix));
    Section {
        title: d.m.relay.title.clone(),
        topic: d.m.relay.topic.clone(),
        purpose: d.m.relay.purpose.clone(),
        period: period(&d.rounds),
        participants: d.m.people.len(),
        questions: d.m.rows.len(),
        answered: d.m.rows.iter().filter(|r| r.answer.is_some()).count(),
        longest_chain: net.chains.longest,
        cake: cake(&d.themes, hidden, everyone, lang),
        words: words(d, hidden, &group_names, everyone),
        distinct: distinct(d, &group_names),
        groups_hidden: hidden,
        network: (!hidden).then(|| matrix(net)),
        depth,
        starred: starred(&d.m.rows, hidden),
    }
}

fn period(rounds: &[RoundRow]) -> String {
    match (rounds.first(), rounds.last()) {
        (Some(f), Some(l)) => format!(
            "{} – {}",
            f.starts_at.format("%Y-%m-%d"),
            l.ends_at.format("%Y-%m-%d")
        ),
        _ => String::new(),
    }
}

/// The top words of the questions per group, or of the whole relay with the groups hidden.
fn words(d: &RelayData, hidden: bool, group_names: &[String], everyone: &str) -> Vec<GroupWords> {
    let groups: Vec<Option<&str>> = if hidden {
        vec![None]
    } else {
        group_names.iter().map(|g| Some(g.as_str())).collect()
    };
    groups
        .into_iter()
        .map(|g| GroupWords {
            group: g.unwrap_or(everyone).to_string(),
            bars: word_bars(&analysis::words(
                &d.m.relay,
                &d.m.rows,
                g,
                Source::Questions,
                WORDS,
            )),
        })
        .collect()
}

/// The words that set the first two groups apart, when there are two.
fn distinct(d: &RelayData, group_names: &[String]) -> Option<DistinctBars> {
    let [first, second, ..] = group_names else {
        return None;
    };
    let side = |g: &str| Side {
        relay_id: d.m.relay.id,
        group: Some(g.to_string()),
    };
    let (a, b) = (side(first), side(second));
    let view = analysis::distinctive(
        (&a, &d.m.relay, &d.m.rows),
        (&b, &d.m.relay, &d.m.rows),
        Source::Questions,
        DISTINCT_WORDS,
    )
    .ok()?;
    Some(distinct_bars(&view, first.clone(), second.clone()))
}

fn matrix(net: NetworkView) -> Matrix {
    let max = net
        .matrix
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let rows = net
        .groups
        .iter()
        .zip(&net.matrix)
        .map(|(g, cells)| MatrixRow {
            group: g.clone(),
            cells: cells
                .iter()
                .map(|&n| Cell {
                    n,
                    heat: (n * 5).div_ceil(max),
                })
                .collect(),
        })
        .collect();
    Matrix {
        groups: net.groups,
        rows,
    }
}

fn starred(rows: &[CorpusRow], hidden: bool) -> Vec<Starred> {
    rows.iter()
        .filter(|r| r.starred)
        .map(|r| Starred {
            question: r.question.clone(),
            answer: r.answer.clone(),
            asker_group: (!hidden).then(|| r.asker_group.clone()),
            recipient_group: r.recipient_group.clone(),
            round_name: r.round_name.clone(),
            theme: r.theme.clone(),
        })
        .collect()
}
