//! The cake as the report draws it: one stacked bar of theme shares per group (or one for
//! the whole relay), coloured per theme, with a legend.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ops::themes::views::{CakeGroup, ThemesView};

use super::{COLORS, UNPLACED};

/// Width of the group names left of the bars, and of a full bar.
const LABEL_WIDTH: f64 = 150.0;
const SPAN: f64 = 400.0;
/// Height of one row.
const ROW: usize = 24;

/// The cake's SVG and legend.
#[derive(Debug, Serialize)]
pub(super) struct Cake {
    rows: Vec<CakeRow>,
    legend: Vec<LegendItem>,
    width: f64,
    height: usize,
}

#[derive(Debug, Serialize)]
struct CakeRow {
    group: String,
    total: usize,
    y: usize,
    slices: Vec<SliceBar>,
}

#[derive(Debug, Serialize)]
struct SliceBar {
    x: String,
    w: String,
    color: &'static str,
    label: String,
    count: usize,
}

#[derive(Debug, Serialize)]
struct LegendItem {
    label: String,
    count: usize,
    color: &'static str,
}

/// The cake of `themes`: per group, or as one row labelled `everyone` when the groups are
/// hidden. Empty without themes.
pub(super) fn cake(themes: &ThemesView, hidden: bool, everyone: &str, lang: &str) -> Cake {
    let width = LABEL_WIDTH + SPAN + 10.0;
    if themes.themes.is_empty() {
        return Cake {
            rows: Vec::new(),
            legend: Vec::new(),
            width,
            height: 0,
        };
    }
    let palette = Palette::new(themes);
    let merged;
    let groups = if hidden {
        merged = [CakeGroup::merged(&themes.cake, everyone)];
        &merged[..]
    } else {
        &themes.cake[..]
    };
    let rows: Vec<CakeRow> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| row(g, i * ROW, &palette))
        .collect();
    Cake {
        height: rows.len() * ROW,
        rows,
        legend: legend(themes, &palette, lang),
        width,
    }
}

/// A colour per theme, in the order of the themes; grey for the unplaced.
struct Palette(BTreeMap<i64, &'static str>);

impl Palette {
    fn new(themes: &ThemesView) -> Self {
        Self(
            themes
                .themes
                .iter()
                .enumerate()
                .map(|(i, t)| (t.id, COLORS[i % COLORS.len()]))
                .collect(),
        )
    }

    fn of(&self, theme_id: Option<i64>) -> &'static str {
        theme_id
            .and_then(|t| self.0.get(&t).copied())
            .unwrap_or(UNPLACED)
    }
}

/// Each theme with its size, then the unplaced questions when there are any.
fn legend(themes: &ThemesView, palette: &Palette, lang: &str) -> Vec<LegendItem> {
    let mut legend: Vec<LegendItem> = themes
        .themes
        .iter()
        .map(|t| LegendItem {
            label: t.label.clone(),
            count: t.size,
            color: palette.of(Some(t.id)),
        })
        .collect();
    if themes.unplaced > 0 {
        let label = if lang == "da" {
            "Uden tema"
        } else {
            "No theme"
        };
        legend.push(LegendItem {
            label: label.to_string(),
            count: themes.unplaced,
            color: UNPLACED,
        });
    }
    legend
}

/// One group's stacked bar at height `y`: each non-empty slice after the one before.
fn row(g: &CakeGroup, y: usize, palette: &Palette) -> CakeRow {
    let total = (g.total as f64).max(1.0);
    let mut x = LABEL_WIDTH;
    let slices = g
        .slices
        .iter()
        .filter(|s| s.count > 0)
        .map(|s| {
            let w = s.count as f64 / total * SPAN;
            let bar = SliceBar {
                x: format!("{x:.1}"),
                w: format!("{w:.1}"),
                color: palette.of(s.theme_id),
                label: s.label.clone(),
                count: s.count,
            };
            x += w;
            bar
        })
        .collect();
    CakeRow {
        group: g.group.clone(),
        total: g.total,
        y,
        slices,
    }
}
