//! The report's part for the deeper analyses of a relay: question forms (with the analyst's
//! corrections), focus, group profiles, the themed network drawn as SVG and the expected
//! keywords; built from the same views the analysis API answers with.

use serde::Serialize;

use crate::analysis::{FocusShares, FormShares, Profile};
use crate::ops::analysis::depth;
use crate::ops::analysis::views::{Keyed, NetworkView};

use super::{RelayData, View};

/// What the template shows of the deeper analyses.
#[derive(Debug, Serialize)]
pub(super) struct Depth {
    forms: Vec<ShareRow>,
    forms_by_round: Vec<ShareRow>,
    forms_by_theme: Vec<ShareRow>,
    corrected: Vec<Corrected>,
    focus: Vec<ShareRow>,
    focus_by_theme: Vec<ShareRow>,
    profiles: Vec<ProfileRow>,
    graph: String,
    keywords: Vec<KeywordRow>,
    keyword_groups: Vec<String>,
    relevance: Option<String>,
    unexpected: Vec<String>,
}

/// One line of a table of shares, as percentages.
#[derive(Debug, Serialize)]
struct ShareRow {
    label: String,
    cells: [String; 3],
    count: u64,
}

/// A question whose form the analyst corrected.
#[derive(Debug, Serialize)]
struct Corrected {
    question: String,
    form: String,
}

#[derive(Debug, Serialize)]
struct ProfileRow {
    group: String,
    asked: u64,
    received: u64,
    answered: u64,
    answered_share: String,
    median: String,
    profile: String,
    participation: String,
}

#[derive(Debug, Serialize)]
struct KeywordRow {
    word: String,
    count: u64,
    groups: Vec<u64>,
}

fn percent(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

fn form_row(label: String, s: &FormShares) -> ShareRow {
    ShareRow {
        label,
        cells: [percent(s.open), percent(s.closed), percent(s.mixed)],
        count: s.count,
    }
}

fn focus_row(label: String, s: &FocusShares) -> ShareRow {
    ShareRow {
        label,
        cells: [percent(s.inward), percent(s.outward), percent(s.neither)],
        count: s.count,
    }
}

/// Rows of shares per round or theme; `none` names the questions in none.
fn by_key<T>(
    keyed: &[Keyed<T>],
    none: &str,
    row: impl Fn(String, &T) -> ShareRow,
) -> Vec<ShareRow> {
    keyed
        .iter()
        .map(|k| row(k.label.clone().unwrap_or_else(|| none.into()), &k.shares))
        .collect()
}

/// The words of a profile in `lang`.
fn profile_word(p: Profile, lang: &str) -> &'static str {
    match (p, lang == "da") {
        (Profile::Proactive, true) => "proaktiv",
        (Profile::Reactive, true) => "reaktiv",
        (Profile::Balanced, true) => "balanceret",
        (Profile::Inactive, true) => "inaktiv",
        (Profile::Proactive, false) => "proactive",
        (Profile::Reactive, false) => "reactive",
        (Profile::Balanced, false) => "balanced",
        (Profile::Inactive, false) => "inactive",
    }
}

/// The form name in `lang`.
pub(super) fn form_word<'a>(form: &'a str, lang: &str) -> &'a str {
    match (form, lang == "da") {
        ("open", true) => "åben",
        ("closed", true) => "lukket",
        ("mixed", true) => "blandet",
        (f, _) => f,
    }
}

/// The deeper analyses of `d` in `lang` for `view`; `net` is its network, `id_prefix` unique
/// per page.
pub(super) fn depth_section(
    d: &RelayData,
    net: &NetworkView,
    lang: &str,
    view: View,
    id_prefix: &str,
) -> Depth {
    let m = &d.m;
    let (no_theme, no_round) = if lang == "da" {
        ("Uden tema", "Uden runde")
    } else {
        ("No theme", "No round")
    };
    let forms = depth::form_shares(m);
    let focus = depth::focus(m);
    let keywords = depth::keywords(m, &d.reference.0, d.reference.1);
    let keyword_groups: Vec<String> = keywords
        .keywords
        .first()
        .map(|k| k.groups.keys().cloned().collect())
        .unwrap_or_default();
    // The participants' copy shows no question texts beyond the starred ones.
    let corrected = m
        .rows
        .iter()
        .filter(|_| view == View::Staff)
        .filter_map(|r| {
            let f = m.corrections.get(&r.question_id)?;
            Some(Corrected {
                question: r.question.clone(),
                form: form_word(f.as_str(), lang).to_string(),
            })
        })
        .collect();
    Depth {
        forms: forms
            .groups
            .iter()
            .map(|(g, s)| form_row(g.clone(), s))
            .collect(),
        forms_by_round: by_key(&forms.rounds, no_round, form_row),
        forms_by_theme: by_key(&forms.themes, no_theme, form_row),
        corrected,
        focus: focus
            .groups
            .iter()
            .map(|(g, s)| focus_row(g.clone(), s))
            .collect(),
        focus_by_theme: by_key(&focus.themes, no_theme, focus_row),
        profiles: depth::profiles(m)
            .groups
            .into_iter()
            .map(|(group, p)| ProfileRow {
                group,
                asked: p.asked,
                received: p.received,
                answered: p.answered,
                answered_share: percent(p.answered_share),
                median: p
                    .median_answer_minutes
                    .map_or_else(|| "–".into(), |m| format!("{m:.0}")),
                profile: profile_word(p.profile, lang).into(),
                participation: percent(p.participation),
            })
            .collect(),
        graph: crate::ops::analysis::network_svg(m, net, lang, id_prefix),
        keywords: keywords
            .keywords
            .iter()
            .map(|k| KeywordRow {
                word: k.word.clone(),
                count: k.count,
                groups: k.groups.values().copied().collect(),
            })
            .collect(),
        keyword_groups,
        relevance: keywords.relevance.map(percent),
        unexpected: keywords.unexpected.into_iter().map(|u| u.word).collect(),
    }
}
