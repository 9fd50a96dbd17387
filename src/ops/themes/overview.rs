//! The themes of a relay as [`ThemesView`]: each theme with its members and representatives,
//! and the cake (theme shares per asker's group, with the unplaced as their own slice).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::db::DbConn;
use crate::db::corpus::CorpusRow;
use crate::db::themes::{PlacementRow, ThemeRow};
use crate::error::AppError;
use crate::ops::analysis::load;

use super::views::{CakeGroup, CakeSlice, Representative, ThemeView, ThemesView};

/// The label of the questions in no theme.
const UNPLACED: &str = "Uden tema";

/// How many representatives a theme shows.
const REPRESENTATIVES: usize = 3;

/// Reads a relay's themes and shapes them for the API and the report.
pub fn themes_view(conn: &mut DbConn, relay_id: i64) -> Result<ThemesView, AppError> {
    let (_, rows) = load(conn, relay_id)?;
    let list = ThemeRow::for_relay(conn, relay_id)?;
    let members = PlacementRow::by_theme(conn, relay_id)?;
    let themes = Themes::new(&rows, &list, &members);
    let groups: Vec<String> = rows
        .iter()
        .map(|r| r.asker_group.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(ThemesView {
        relay_id,
        questions: rows.len(),
        unplaced: rows.iter().filter(|r| themes.is_unplaced(r)).count(),
        themes: list.iter().map(|t| themes.theme(t)).collect(),
        cake: groups.iter().map(|g| themes.cake_row(g)).collect(),
        groups,
    })
}

/// A relay's themes with their placements, looked up by question.
struct Themes<'a> {
    rows: &'a [CorpusRow],
    list: &'a [ThemeRow],
    members: &'a HashMap<i64, Vec<PlacementRow>>,
    by_id: HashMap<i64, &'a CorpusRow>,
    placed: HashSet<i64>,
}

impl<'a> Themes<'a> {
    fn new(
        rows: &'a [CorpusRow],
        list: &'a [ThemeRow],
        members: &'a HashMap<i64, Vec<PlacementRow>>,
    ) -> Self {
        Self {
            rows,
            list,
            members,
            by_id: rows.iter().map(|r| (r.question_id, r)).collect(),
            placed: list
                .iter()
                .filter_map(|t| members.get(&t.id))
                .flatten()
                .map(|m| m.question_id)
                .collect(),
        }
    }

    fn is_unplaced(&self, r: &CorpusRow) -> bool {
        !self.placed.contains(&r.question_id)
    }

    fn members_of(&self, theme_id: i64) -> &'a [PlacementRow] {
        self.members.get(&theme_id).map_or(&[], Vec::as_slice)
    }

    fn theme(&self, t: &ThemeRow) -> ThemeView {
        let mut ms: Vec<&PlacementRow> = self.members_of(t.id).iter().collect();
        let mut per_group: BTreeMap<String, usize> = BTreeMap::new();
        for r in ms.iter().filter_map(|m| self.by_id.get(&m.question_id)) {
            *per_group.entry(r.asker_group.clone()).or_default() += 1;
        }
        // Closest to the centre first: clustering scored its representatives highest.
        ms.sort_by(|a, b| {
            b.score
                .unwrap_or(0.0)
                .total_cmp(&a.score.unwrap_or(0.0))
                .then(a.question_id.cmp(&b.question_id))
        });
        let representatives = ms
            .iter()
            .take(REPRESENTATIVES)
            .filter_map(|m| self.by_id.get(&m.question_id))
            .map(|r| Representative {
                question_id: r.question_id,
                text: r.question.clone(),
            })
            .collect();
        let mut members: Vec<i64> = ms.iter().map(|m| m.question_id).collect();
        members.sort_unstable();
        ThemeView {
            id: t.id,
            label: t.label.clone(),
            label_words: t.words(),
            pinned: t.is_pinned,
            size: members.len(),
            members,
            representatives,
            per_group,
        }
    }

    /// The cake's row of one asker's group.
    fn cake_row(&self, group: &str) -> CakeGroup {
        let asked_here = |q: &i64| self.by_id.get(q).is_some_and(|r| r.asker_group == group);
        let total = self.rows.iter().filter(|r| r.asker_group == group).count();
        let slice = |theme_id, label: &str, count| CakeSlice::new(theme_id, label, count, total);
        let mut slices: Vec<CakeSlice> = self
            .list
            .iter()
            .map(|t| {
                let n = self
                    .members_of(t.id)
                    .iter()
                    .filter(|m| asked_here(&m.question_id))
                    .count();
                slice(Some(t.id), &t.label, n)
            })
            .collect();
        let unplaced = self
            .rows
            .iter()
            .filter(|r| r.asker_group == group && self.is_unplaced(r))
            .count();
        if unplaced > 0 {
            slices.push(slice(None, UNPLACED, unplaced));
        }
        CakeGroup {
            group: group.to_string(),
            total,
            slices,
        }
    }
}
