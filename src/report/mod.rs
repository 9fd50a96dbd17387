//! The printable relay report: one self-contained HTML page (inline CSS allowed by a hash in
//! its own Content-Security-Policy, charts as SVG, no requests at all) with the cake per group,
//! top words per group, distinctive words, the network matrix and the starred questions with
//! their answers; or two relays side by side. Participants appear by group only, and in the
//! participants' copy not even by group where the relay hides the asker's group ([`View`]).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use base64::Engine as _;
use minijinja::{AutoEscape, Environment, context};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::analysis::network::{self, Edge, Node};
use crate::db::corpus::CorpusRow;
use crate::db::participants::ParticipantRow;
use crate::db::relays::RelayRow;
use crate::db::rounds::RoundRow;
use crate::ops::analysis::{self as ops, Side, Source};

const CSS: &str = include_str!("report.css");
const TEMPLATE: &str = include_str!("report.html");
const COLORS: [&str; 12] = [
    "#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490", "#a16207", "#be185d",
    "#4d7c0f", "#1e40af", "#9a3412", "#6d28d9",
];
const UNPLACED: &str = "#b8bec8";

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    // unwrap: the template is compiled into the binary and covered by the report tests.
    env.add_template("report.html", TEMPLATE)
        .expect("the report template parses");
    env
});

/// The Content-Security-Policy of the report: nothing but its own inline style.
pub fn csp() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src data:; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'"
    )
}

/// Everything the report shows of one relay, loaded by the caller.
pub struct RelayData {
    /// The relay.
    pub relay: RelayRow,
    /// Its rounds.
    pub rounds: Vec<RoundRow>,
    /// Its participants.
    pub people: Vec<ParticipantRow>,
    /// Group names by id.
    pub groups: std::collections::HashMap<i64, String>,
    /// The corpus.
    pub rows: Vec<CorpusRow>,
    /// The themes as [`ops::themes_view`] returns them.
    pub themes: Value,
}

/// Who the report is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Facilitators and analysts: everything, groups included.
    Staff,
    /// The relay's participants (the shared output): it honours the relay's anonymity, so
    /// with `show_asker_group` off nothing ties a question to its asker's group.
    Participants,
}

#[derive(Serialize)]
struct Bar {
    label: String,
    value: String,
    y: u32,
    w: u32,
}

#[derive(Serialize)]
struct Bars {
    rows: Vec<Bar>,
    width: u32,
    height: u32,
    label_width: u32,
    color: &'static str,
}

fn bars(items: &[(String, f64, String)], color: &'static str) -> Bars {
    let max = items
        .iter()
        .map(|i| i.1.abs())
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let (label_width, span) = (110u32, 150u32);
    Bars {
        rows: items
            .iter()
            .enumerate()
            .map(|(i, (label, v, shown))| Bar {
                label: label.clone(),
                value: shown.clone(),
                y: i as u32 * 16,
                w: ((v.abs() / max) * f64::from(span)).round().max(1.0) as u32,
            })
            .collect(),
        width: label_width + span + 40,
        height: items.len() as u32 * 16 + 4,
        label_width,
        color,
    }
}

fn distinct_bars(d: &Value, a_label: String, b_label: String) -> Value {
    let side = |key: &str, color| {
        let items: Vec<(String, f64, String)> = d[key]
            .as_array()
            .map(|ws| {
                ws.iter()
                    .map(|w| {
                        let z = w["z"].as_f64().unwrap_or_default();
                        (
                            w["word"].as_str().unwrap_or_default().to_string(),
                            z,
                            format!("z {z:.1}"),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        serde_json::to_value(bars(&items, color)).unwrap_or(Value::Null)
    };
    serde_json::json!({ "a_label": a_label, "b_label": b_label, "a": side("a_words", COLORS[0]), "b": side("b_words", COLORS[1]) })
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

/// The cake as one row for the whole relay: each theme's count summed over the groups.
fn merged_cake(cake: &[Value], label: &str) -> Vec<Value> {
    let mut slices: Vec<Value> = Vec::new();
    for s in cake.iter().filter_map(|g| g["slices"].as_array()).flatten() {
        let n = s["count"].as_u64().unwrap_or(0);
        match slices.iter_mut().find(|m| m["theme_id"] == s["theme_id"]) {
            Some(m) => m["count"] = (m["count"].as_u64().unwrap_or(0) + n).into(),
            None => slices.push(serde_json::json!({
                "theme_id": s["theme_id"], "label": s["label"], "count": n,
            })),
        }
    }
    let total: u64 = cake.iter().filter_map(|g| g["total"].as_u64()).sum();
    vec![serde_json::json!({ "group": label, "total": total, "slices": slices })]
}

fn relay_section(d: &RelayData, lang: &str, view: View) -> Value {
    // Questions are counted under their asker's group throughout (cake, words, distinctive
    // words, network, starred): with the groups hidden, participants see the relay as one.
    let hidden = view == View::Participants && !d.relay.show_asker_group;
    let everyone = if lang == "da" { "Alle" } else { "Everyone" };
    let group_names: Vec<String> = if hidden {
        Vec::new()
    } else {
        let mut g: Vec<String> = d.groups.values().cloned().collect();
        g.sort();
        g
    };
    // The cake: one stacked bar per group.
    let themes = d.themes["themes"].as_array().cloned().unwrap_or_default();
    let color_of: BTreeMap<i64, &str> = themes
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((t["id"].as_i64()?, COLORS[i % COLORS.len()])))
        .collect();
    let (label_w, span) = (150.0, 400.0);
    let cake_groups = d.themes["cake"].as_array().cloned().unwrap_or_default();
    let cake_groups = if hidden {
        merged_cake(&cake_groups, everyone)
    } else {
        cake_groups
    };
    let cake_rows: Vec<Value> = cake_groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let total = g["total"].as_f64().unwrap_or(0.0).max(1.0);
            let mut x = label_w;
            let slices: Vec<Value> = g["slices"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter(|s| s["count"].as_u64().unwrap_or(0) > 0)
                .map(|s| {
                    let w = s["count"].as_f64().unwrap_or(0.0) / total * span;
                    let color = s["theme_id"].as_i64().and_then(|t| color_of.get(&t).copied()).unwrap_or(UNPLACED);
                    let v = serde_json::json!({ "x": format!("{x:.1}"), "w": format!("{w:.1}"), "color": color, "label": s["label"], "count": s["count"] });
                    x += w;
                    v
                })
                .collect();
            serde_json::json!({ "group": g["group"], "total": g["total"], "y": i * 24, "slices": slices })
        })
        .collect();
    let mut legend: Vec<Value> = themes
        .iter()
        .map(|t| serde_json::json!({ "label": t["label"], "count": t["size"], "color": t["id"].as_i64().and_then(|id| color_of.get(&id).copied()).unwrap_or(UNPLACED) }))
        .collect();
    if d.themes["unplaced"].as_u64().unwrap_or(0) > 0 {
        let label = if lang == "da" {
            "Uden tema"
        } else {
            "No theme"
        };
        legend.push(
            serde_json::json!({ "label": label, "count": d.themes["unplaced"], "color": UNPLACED }),
        );
    }
    let cake = if themes.is_empty() {
        serde_json::json!({ "rows": [] })
    } else {
        serde_json::json!({ "rows": cake_rows, "legend": legend, "width": label_w + span + 10.0, "height": cake_rows.len() * 24 })
    };

    // Top words per group (or of the whole relay), from the questions.
    let word_groups: Vec<Option<&str>> = if hidden {
        vec![None]
    } else {
        group_names.iter().map(|g| Some(g.as_str())).collect()
    };
    let words: Vec<Value> = word_groups
        .into_iter()
        .map(|g| {
            let table = ops::words(&d.relay, &d.rows, g, Source::Questions, 10);
            let items: Vec<(String, f64, String)> = table["words"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|w| {
                    let n = w["count"].as_u64().unwrap_or(0);
                    (
                        w["word"].as_str().unwrap_or_default().to_string(),
                        n as f64,
                        n.to_string(),
                    )
                })
                .collect();
            serde_json::json!({ "group": g.unwrap_or(everyone), "bars": bars(&items, COLORS[0]) })
        })
        .collect();

    // Distinctive words between the first two groups.
    let distinct = (group_names.len() >= 2)
        .then(|| {
            let side = |g: &str| Side {
                relay_id: d.relay.id,
                group: Some(g.to_string()),
            };
            let (a, b) = (side(&group_names[0]), side(&group_names[1]));
            ops::distinctive(
                (&a, &d.relay, &d.rows),
                (&b, &d.relay, &d.rows),
                Source::Questions,
                8,
            )
            .ok()
            .map(|v| distinct_bars(&v, group_names[0].clone(), group_names[1].clone()))
        })
        .flatten();

    // The network matrix and the longest chain.
    let pseudo: std::collections::HashMap<&str, i64> = d
        .people
        .iter()
        .map(|p| (p.pseudonym.as_str(), p.id))
        .collect();
    let nodes: Vec<Node> = d
        .people
        .iter()
        .map(|p| Node {
            id: p.id,
            pseudonym: p.pseudonym.clone(),
            group: d.groups.get(&p.group_id).cloned().unwrap_or_default(),
        })
        .collect();
    let edges: Vec<Edge> = d
        .rows
        .iter()
        .filter_map(|r| {
            Some(Edge {
                question_id: r.question_id,
                asker: *pseudo.get(r.asker.as_str())?,
                recipient: *pseudo.get(r.recipient.as_str())?,
                asked_at: r.asked_at.and_utc().timestamp(),
                answered_at: r.answered_at.map(|t| t.and_utc().timestamp()),
            })
        })
        .collect();
    let net = network::network(&nodes, &edges);
    let max = net
        .matrix
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let rows: Vec<Value> = net
        .groups
        .iter()
        .zip(&net.matrix)
        .map(|(g, cells)| {
            let cells: Vec<Value> = cells
                .iter()
                .map(|&n| serde_json::json!({ "n": n, "heat": (n * 5).div_ceil(max) }))
                .collect();
            serde_json::json!({ "group": g, "cells": cells })
        })
        .collect();
    let starred: Vec<&CorpusRow> = d.rows.iter().filter(|r| r.starred).collect();
    serde_json::json!({
        "title": d.relay.title,
        "topic": d.relay.topic,
        "purpose": d.relay.purpose,
        "period": period(&d.rounds),
        "participants": d.people.len(),
        "questions": d.rows.len(),
        "answered": d.rows.iter().filter(|r| r.answer.is_some()).count(),
        "longest_chain": net.chains.first().map_or(0, Vec::len),
        "cake": cake,
        "words": words,
        "distinct": distinct,
        "groups_hidden": hidden,
        "network": (!hidden).then(|| serde_json::json!({ "groups": net.groups, "rows": rows })),
        "starred": starred.iter().map(|r| serde_json::json!({
            "question": r.question, "answer": r.answer,
            "asker_group": (!hidden).then_some(&r.asker_group),
            "recipient_group": r.recipient_group, "round_name": r.round_name, "theme": r.theme,
        })).collect::<Vec<_>>(),
    })
}

fn strings(lang: &str) -> Value {
    if lang == "da" {
        serde_json::json!({
            "made": "Rapport dannet", "participants": "deltagere", "questions": "spørgsmål",
            "answered": "besvaret", "longest_chain": "led i den længste stafetkæde",
            "cake": "Temaer pr. gruppe", "no_themes": "Spørgsmålene er endnu ikke inddelt i temaer.",
            "words": "Hyppigste ord i spørgsmålene pr. gruppe", "distinct": "Ord, der skiller grupperne",
            "distinct_relays": "Ord, der skiller stafetterne", "network": "Hvem spurgte hvem (spørgerens gruppe → modtagerens)",
            "from_to": "Fra \\ til", "starred": "Udvalgte spørgsmål og svar", "no_starred": "Ingen spørgsmål er udvalgt endnu.",
            "distinct_note": "Vægtet log-odds med informativ Dirichlet-prior (Monroe, Colaresi & Quinn 2008); z-værdi.",
            "cake_all": "Temaer", "words_all": "Hyppigste ord i spørgsmålene",
            "groups_hidden": "Stafetten viser ikke spørgernes grupper, så tallene gælder alle deltagere under ét.",
        })
    } else {
        serde_json::json!({
            "made": "Report made", "participants": "participants", "questions": "questions",
            "answered": "answered", "longest_chain": "steps in the longest relay chain",
            "cake": "Themes per group", "no_themes": "The questions have not been grouped into themes yet.",
            "words": "Most frequent words in the questions per group", "distinct": "Words that set the groups apart",
            "distinct_relays": "Words that set the relays apart", "network": "Who asked whom (asker's group → recipient's)",
            "from_to": "From \\ to", "starred": "Selected questions and answers", "no_starred": "No questions have been selected yet.",
            "distinct_note": "Weighted log-odds with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008); z-score.",
            "cake_all": "Themes", "words_all": "Most frequent words in the questions",
            "groups_hidden": "This relay does not show the askers' groups, so the figures cover all participants together.",
        })
    }
}

/// Renders the report of one relay, or of two side by side, for `view`.
pub fn render(
    first: &RelayData,
    second: Option<&RelayData>,
    view: View,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, minijinja::Error> {
    let lang = first.relay.language.as_str();
    let mut relays = vec![relay_section(first, lang, view)];
    let mut title = first.relay.title.clone();
    let mut distinct_relays = None;
    if let Some(other) = second {
        relays.push(relay_section(other, lang, view));
        title = format!("{} · {}", first.relay.title, other.relay.title);
        let (a, b) = (
            Side {
                relay_id: first.relay.id,
                group: None,
            },
            Side {
                relay_id: other.relay.id,
                group: None,
            },
        );
        distinct_relays = ops::distinctive(
            (&a, &first.relay, &first.rows),
            (&b, &other.relay, &other.rows),
            Source::Questions,
            10,
        )
        .ok()
        .map(|v| distinct_bars(&v, first.relay.title.clone(), other.relay.title.clone()));
    }
    ENV.get_template("report.html")?.render(context! {
        lang,
        title,
        css => CSS,
        t => strings(lang),
        generated => now.format("%Y-%m-%d %H:%M UTC").to_string(),
        relays,
        distinct_relays,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_merged_cake_sums_each_theme_over_the_groups() {
        let cake = vec![
            json!({ "group": "A", "total": 3, "slices": [
                { "theme_id": 1, "label": "Tillid", "count": 2 },
                { "theme_id": null, "label": "Uden tema", "count": 1 },
            ]}),
            json!({ "group": "B", "total": 4, "slices": [
                { "theme_id": 2, "label": "Drift", "count": 3 },
                { "theme_id": 1, "label": "Tillid", "count": 1 },
            ]}),
        ];

        let merged = merged_cake(&cake, "Alle");

        assert_eq!(
            merged,
            vec![json!({ "group": "Alle", "total": 7, "slices": [
                { "theme_id": 1, "label": "Tillid", "count": 3 },
                { "theme_id": null, "label": "Uden tema", "count": 1 },
                { "theme_id": 2, "label": "Drift", "count": 3 },
            ]})]
        );
    }
}
