//! What the themes API answers, as types: each serialises to the JSON the API has always
//! sent, and the printable report renders its cake from [`ThemesView`]. Fields are in
//! alphabetical order, the order the API has always sent its keys in (see
//! [`crate::ops::analysis::views`]).

use std::collections::BTreeMap;

use serde::Serialize;

/// A relay's themes as the API shows them after every edit: label words, members,
/// representatives, counts per group, and the cake.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemesView {
    /// Theme shares per group, one entry per group of `groups`.
    pub cake: Vec<CakeGroup>,
    /// The askers' groups, sorted.
    pub groups: Vec<String>,
    /// Questions in the relay.
    pub questions: usize,
    /// The relay.
    pub relay_id: i64,
    /// The themes in creation order.
    pub themes: Vec<ThemeView>,
    /// Questions in no theme.
    pub unplaced: usize,
}

/// One theme of a [`ThemesView`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeView {
    /// Id.
    pub id: i64,
    /// The name shown.
    pub label: String,
    /// Suggested label words.
    pub label_words: Vec<String>,
    /// Their ids, ascending.
    pub members: Vec<i64>,
    /// Questions in it per asker's group.
    pub per_group: BTreeMap<String, usize>,
    /// The analyst's: a re-run keeps it.
    pub pinned: bool,
    /// Up to three questions closest to its centre, closest first.
    pub representatives: Vec<Representative>,
    /// Questions in it.
    pub size: usize,
}

/// A question that stands for its theme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Representative {
    /// The question.
    pub question_id: i64,
    /// Its text.
    pub text: String,
}

/// One group's row of the cake.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CakeGroup {
    /// The askers' group.
    pub group: String,
    /// One slice per theme, then the unplaced questions when there are any.
    pub slices: Vec<CakeSlice>,
    /// Questions its members asked.
    pub total: usize,
}

/// One theme's part of a [`CakeGroup`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CakeSlice {
    /// Questions.
    pub count: usize,
    /// The theme's label (or "Uden tema").
    pub label: String,
    /// `count` over the group's total, 0 to 1.
    pub share: f64,
    /// The theme, or null for the questions in no theme.
    pub theme_id: Option<i64>,
}

impl CakeGroup {
    /// The cake as one row named `group` for the whole relay: each theme's count summed over
    /// the groups, the themes in the order they first appear.
    pub fn merged(cake: &[CakeGroup], group: &str) -> CakeGroup {
        let total = cake.iter().map(|g| g.total).sum();
        let mut slices: Vec<CakeSlice> = Vec::new();
        for s in cake.iter().flat_map(|g| &g.slices) {
            match slices.iter_mut().find(|m| m.theme_id == s.theme_id) {
                Some(m) => m.count += s.count,
                None => slices.push(s.clone()),
            }
        }
        for s in &mut slices {
            s.share = share(s.count, total);
        }
        CakeGroup {
            group: group.to_string(),
            total,
            slices,
        }
    }
}

impl CakeSlice {
    /// A slice of `count` questions of a group that asked `total`.
    pub fn new(theme_id: Option<i64>, label: &str, count: usize, total: usize) -> Self {
        Self {
            theme_id,
            label: label.to_string(),
            count,
            share: share(count, total),
        }
    }
}

/// `n` of `total` as a fraction, 0 for an empty total.
fn share(n: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        n as f64 / total as f64
    }
}

/// `POST /api/relays/{id}/themes`: the analyst's new, empty theme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreatedTheme {
    /// Id.
    pub id: i64,
    /// The name given.
    pub label: String,
    /// None yet.
    pub label_words: Vec<String>,
    /// None yet.
    pub members: Vec<i64>,
    /// Always: it is the analyst's.
    pub pinned: bool,
    /// The relay.
    pub relay_id: i64,
    /// 0.
    pub size: usize,
}

/// `PUT /api/questions/{qid}/theme`: where a question now sits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placed {
    /// The question.
    pub question_id: i64,
    /// Its theme, or null when taken out.
    pub theme_id: Option<i64>,
}

/// A suggested theme for an unplaced question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// How sure, 0 to 1.
    pub confidence: f64,
    /// The question.
    pub question_id: i64,
    /// The theme suggested.
    pub theme_id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(theme_id: Option<i64>, label: &str, count: usize) -> CakeSlice {
        CakeSlice::new(theme_id, label, count, 0)
    }

    #[test]
    fn the_merged_cake_sums_each_theme_over_the_groups() {
        let cake = vec![
            CakeGroup {
                group: "A".into(),
                total: 3,
                slices: vec![slice(Some(1), "Tillid", 2), slice(None, "Uden tema", 1)],
            },
            CakeGroup {
                group: "B".into(),
                total: 4,
                slices: vec![slice(Some(2), "Drift", 3), slice(Some(1), "Tillid", 1)],
            },
        ];

        let merged = CakeGroup::merged(&cake, "Alle");

        assert_eq!(
            merged,
            CakeGroup {
                group: "Alle".into(),
                total: 7,
                slices: vec![
                    CakeSlice {
                        share: 3.0 / 7.0,
                        ..slice(Some(1), "Tillid", 3)
                    },
                    CakeSlice {
                        share: 1.0 / 7.0,
                        ..slice(None, "Uden tema", 1)
                    },
                    CakeSlice {
                        share: 3.0 / 7.0,
                        ..slice(Some(2), "Drift", 3)
                    },
                ],
            }
        );
    }
}
