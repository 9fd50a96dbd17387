//! Themes of a relay: clustering, the analyst's edits (create, rename, merge, split, delete,
//! place) and assisted theming. Every edit pins what it touches, so a re-run of the clustering
//! keeps it. Each edit is one transaction for [`Db::write`]; a run that clusters reads on a
//! bulk connection, computes in a bulk slot and stores its outcome in one transaction.

mod clustering;
mod overview;
pub mod views;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use self::clustering::{ClusterRun, ClusterText, NewTheme, cluster, default_label, suggest};
pub use self::overview::themes_view;
use self::views::{CreatedTheme, Placed, Suggestion, ThemesView};
use crate::db::corpus::CorpusRow;
use crate::db::questions::QuestionRow;
use crate::db::relays::RelayRow;
use crate::db::staff::StaffUserRow;
use crate::db::themes::{PlacementRow, ThemeRow};
use crate::db::{Db, DbConn, to_db};
use crate::error::{AppError, Found};
use crate::ops::analysis::load;
use crate::ops::audit::{self, AuditAction, Entry};
use crate::relay::text;

/// Checks a theme's label: 1 to 120 visible characters.
pub fn label(s: &str) -> Result<String, AppError> {
    text::validate("label", s, (1, 120))
        .map_err(|_| AppError::validation("a theme's label is 1 to 120 characters"))
}

fn theme_of(conn: &mut DbConn, id: i64) -> Result<ThemeRow, AppError> {
    ThemeRow::find(conn, id).or_not_found("theme")
}

/// The themes of a relay, read on a bulk connection.
pub async fn view(db: &Db, relay_id: i64) -> Result<ThemesView, AppError> {
    db.read_bulk(move |conn| themes_view(conn, relay_id)).await
}

/// `POST /api/relays/{id}/themes/cluster` body, which the audit log keeps as it was asked.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterRequest {
    /// Themes wanted ([`ClusterRun::k`]).
    #[serde(default)]
    pub k: Option<usize>,
    /// The seed ([`ClusterRun::seed`]).
    #[serde(default)]
    pub seed: Option<u64>,
    /// What it reads ([`ClusterText::parse`]).
    #[serde(default)]
    pub text: Option<String>,
}

/// Finds themes among the questions the analyst has not placed, replacing the previous run's
/// unpinned themes, written to the audit log as `by`'s run; answers the relay's themes after.
pub async fn run_clustering(
    db: &Db,
    by: &StaffUserRow,
    relay_id: i64,
    request: ClusterRequest,
    now: DateTime<Utc>,
) -> Result<ThemesView, AppError> {
    let run = ClusterRun::new(request.k, request.seed, request.text.as_deref())?;
    let (relay, rows, pinned) = db
        .read_bulk(move |conn| {
            let (relay, rows) = load(conn, relay_id)?;
            let pinned: Vec<(i64, i64)> = PlacementRow::for_relay(conn, relay_id)?
                .into_iter()
                .filter(|p| p.is_pinned)
                .map(|p| (p.question_id, p.theme_id))
                .collect();
            Ok((relay, rows, pinned))
        })
        .await?;
    let seed = run.seed.unwrap_or(relay.settings().seed);
    let found = db
        .compute_bulk(move || cluster(&relay, &rows, &pinned, run.k, seed, run.text))
        .await?;
    let detail = serde_json::to_value(&request).map_err(AppError::internal)?;
    let by = by.clone();
    db.write(move |conn| {
        store_clusters(conn, relay_id, &found, now)?;
        let entry = Entry::new(AuditAction::ThemesRun)
            .by(&by)
            .in_relay(conn, relay_id)?
            .detail(detail.clone());
        audit::record(conn, entry, now)
    })
    .await?;
    view(db, relay_id).await
}

/// Replaces the unpinned themes of a relay with `found`.
pub fn store_clusters(
    conn: &mut DbConn,
    relay_id: i64,
    found: &[NewTheme],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    ThemeRow::clear_unpinned(conn, relay_id)?;
    for t in found {
        insert(conn, relay_id, &default_label(&t.words), t, false, now)?;
    }
    Ok(())
}

/// Stores a found theme with its members, as the clustering's or the analyst's (`pinned`).
fn insert(
    conn: &mut DbConn,
    relay_id: i64,
    label: &str,
    theme: &NewTheme,
    pinned: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let now = to_db(now);
    let row = ThemeRow::insert(conn, relay_id, label, &theme.words, pinned, now)?;
    for &(qid, score) in &theme.members {
        PlacementRow::place(conn, qid, Some(row.id), pinned, Some(score), now)?;
    }
    Ok(())
}

/// Divides a theme's questions into two themes by clustering them (k = 2); both become the
/// analyst's. Answers the relay's themes after.
pub async fn split(db: &Db, theme_id: i64, now: DateTime<Utc>) -> Result<ThemesView, AppError> {
    let (theme, relay, rows) = db.read_bulk(move |conn| members_of(conn, theme_id)).await?;
    if rows.len() < 2 {
        return Err(AppError::validation(
            "a theme needs at least two questions to be split",
        ));
    }
    let seed = relay.settings().seed;
    let parts = db
        .compute_bulk(move || {
            cluster(
                &relay,
                &rows,
                &[],
                Some(2),
                seed,
                ClusterText::QuestionAnswer,
            )
        })
        .await?;
    let relay_id = theme.relay_id;
    db.write(move |conn| {
        theme_of(conn, theme_id)?;
        ThemeRow::delete(conn, theme_id)?;
        for (i, part) in parts.iter().enumerate() {
            let name = format!("{} ({})", theme.label, i + 1);
            insert(conn, relay_id, &name, part, true, now)?;
        }
        Ok(())
    })
    .await?;
    view(db, relay_id).await
}

/// A theme, its relay and the corpus rows of its questions.
fn members_of(
    conn: &mut DbConn,
    theme_id: i64,
) -> Result<(ThemeRow, RelayRow, Vec<CorpusRow>), AppError> {
    let theme = theme_of(conn, theme_id)?;
    let (relay, rows) = load(conn, theme.relay_id)?;
    let members: HashSet<i64> = PlacementRow::for_relay(conn, theme.relay_id)?
        .into_iter()
        .filter(|p| p.theme_id == theme_id)
        .map(|p| p.question_id)
        .collect();
    let rows = rows
        .into_iter()
        .filter(|r| members.contains(&r.question_id))
        .collect();
    Ok((theme, relay, rows))
}

/// Suggestions for every unplaced question of a relay, most confident first.
pub async fn suggestions(db: &Db, relay_id: i64) -> Result<Vec<Suggestion>, AppError> {
    let (relay, rows, placed) = db
        .read_bulk(move |conn| {
            let (relay, rows) = load(conn, relay_id)?;
            let placed: Vec<(i64, i64)> = PlacementRow::for_relay(conn, relay_id)?
                .into_iter()
                .map(|p| (p.question_id, p.theme_id))
                .collect();
            Ok((relay, rows, placed))
        })
        .await?;
    db.compute_bulk(move || suggest(&relay, &rows, &placed))
        .await
}

/// An empty theme of the analyst's own.
pub fn create(
    conn: &mut DbConn,
    relay_id: i64,
    label: &str,
    now: DateTime<Utc>,
) -> Result<CreatedTheme, AppError> {
    RelayRow::find(conn, relay_id).or_not_found("relay")?;
    let row = ThemeRow::insert(conn, relay_id, label, &[], true, to_db(now))?;
    Ok(CreatedTheme {
        id: row.id,
        relay_id: row.relay_id,
        label: row.label,
        label_words: Vec::new(),
        pinned: true,
        size: 0,
        members: Vec::new(),
    })
}

/// Renames a theme (which pins it); returns its relay.
pub fn rename(
    conn: &mut DbConn,
    theme_id: i64,
    label: &str,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let t = theme_of(conn, theme_id)?;
    ThemeRow::rename(conn, theme_id, label, to_db(now))?;
    Ok(t.relay_id)
}

/// Moves every question of a theme into `into` (which is pinned) and removes the theme;
/// returns their relay.
pub fn merge(
    conn: &mut DbConn,
    theme_id: i64,
    into: i64,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let from = theme_of(conn, theme_id)?;
    let to = theme_of(conn, into)?;
    if from.id == to.id {
        return Err(AppError::validation("a theme cannot be merged into itself"));
    }
    if from.relay_id != to.relay_id {
        return Err(AppError::validation(
            "both themes must belong to the same relay",
        ));
    }
    let now = to_db(now);
    ThemeRow::move_all(conn, from.id, to.id, now)?;
    ThemeRow::pin(conn, to.id, now)?;
    ThemeRow::delete(conn, from.id)?;
    Ok(to.relay_id)
}

/// Removes a theme; its questions become unplaced.
pub fn delete(conn: &mut DbConn, theme_id: i64) -> Result<(), AppError> {
    theme_of(conn, theme_id)?;
    Ok(ThemeRow::delete(conn, theme_id)?)
}

/// The analyst places a question in a theme of its relay, or takes it out with `None`. The
/// target theme becomes the analyst's (pinned), so the placement survives a re-run.
pub fn place(
    conn: &mut DbConn,
    question_id: i64,
    theme_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Placed, AppError> {
    let relay = QuestionRow::relay_of(conn, question_id).or_not_found("question")?;
    let now = to_db(now);
    if let Some(tid) = theme_id {
        if theme_of(conn, tid)?.relay_id != relay {
            return Err(AppError::validation("the theme belongs to another relay"));
        }
        ThemeRow::pin(conn, tid, now)?;
    }
    PlacementRow::place(conn, question_id, theme_id, true, None, now)?;
    Ok(Placed {
        question_id,
        theme_id,
    })
}
