//! Horizontal bar charts as the template draws them in SVG: word counts and distinctive words.

use serde::Serialize;

use crate::ops::analysis::views::{DistinctiveView, DistinctiveWord, WordsView};

use super::COLORS;

/// One bar.
#[derive(Debug, Serialize)]
pub(super) struct Bar {
    label: String,
    value: String,
    y: u32,
    w: u32,
}

/// A chart of bars scaled to the largest value.
#[derive(Debug, Serialize)]
pub(super) struct Bars {
    rows: Vec<Bar>,
    width: u32,
    height: u32,
    label_width: u32,
    color: &'static str,
}

/// `(label, value, value as shown)` items as bars.
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

/// A word table as bars of counts.
pub(super) fn word_bars(table: &WordsView) -> Bars {
    let items: Vec<(String, f64, String)> = table
        .words
        .iter()
        .map(|w| (w.word.clone(), w.count as f64, w.count.to_string()))
        .collect();
    bars(&items, COLORS[0])
}

/// Two sides' distinctive words, each as bars of z-scores.
#[derive(Debug, Serialize)]
pub(super) struct DistinctBars {
    a_label: String,
    b_label: String,
    a: Bars,
    b: Bars,
}

/// The distinctive words of `d` as two charts headed `a_label` and `b_label`.
pub(super) fn distinct_bars(d: &DistinctiveView, a_label: String, b_label: String) -> DistinctBars {
    let side = |words: &[DistinctiveWord], color| {
        let items: Vec<(String, f64, String)> = words
            .iter()
            .map(|w| (w.word.clone(), w.z, format!("z {:.1}", w.z)))
            .collect();
        bars(&items, color)
    };
    DistinctBars {
        a_label,
        b_label,
        a: side(&d.a_words, COLORS[0]),
        b: side(&d.b_words, COLORS[1]),
    }
}
