//! Themes and which question sits in which theme.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{question_themes, themes};

/// A theme row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = themes)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ThemeRow {
    /// Id.
    pub id: i64,
    /// Its relay.
    pub relay_id: i64,
    /// The name shown.
    pub label: String,
    /// Suggested label words, a JSON array.
    pub label_words: String,
    /// Made or edited by the analyst: a re-run keeps it.
    pub is_pinned: bool,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// A question's place in a theme.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = question_themes)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct PlacementRow {
    /// The question.
    pub question_id: i64,
    /// Its theme.
    pub theme_id: i64,
    /// Placed by the analyst.
    pub is_pinned: bool,
    /// Closeness to the theme's centre when clustering placed it (higher is closer).
    pub score: Option<f64>,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

impl ThemeRow {
    /// Loads a theme.
    pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<ThemeRow> {
        themes::table
            .find(id)
            .select(ThemeRow::as_select())
            .first(conn)
    }

    /// A relay's themes in creation order.
    pub fn for_relay(conn: &mut DbConn, relay_id: i64) -> QueryResult<Vec<ThemeRow>> {
        themes::table
            .filter(themes::relay_id.eq(relay_id))
            .order(themes::id.asc())
            .select(ThemeRow::as_select())
            .load(conn)
    }

    /// The label words as a list.
    pub fn words(&self) -> Vec<String> {
        serde_json::from_str(&self.label_words).unwrap_or_default()
    }

    /// Creates a theme.
    pub fn insert(
        conn: &mut DbConn,
        relay_id: i64,
        label: &str,
        words: &[String],
        pinned: bool,
        now: NaiveDateTime,
    ) -> QueryResult<ThemeRow> {
        let id = super::backend::insert_id!(
            conn,
            themes,
            (
                themes::relay_id.eq(relay_id),
                themes::label.eq(label),
                themes::label_words
                    .eq(serde_json::to_string(words).unwrap_or_else(|_| "[]".into())),
                themes::is_pinned.eq(pinned),
                themes::created_at.eq(now),
                themes::updated_at.eq(now),
            )
        )?;
        // Read back instead of `RETURNING`, which diesel cannot build for a connection that
        // may be either backend when the row type is selected by name.
        themes::table
            .find(id)
            .select(ThemeRow::as_select())
            .get_result(conn)
    }

    /// Renames a theme; renaming is an analyst's edit, so it pins the theme and its members.
    pub fn rename(conn: &mut DbConn, id: i64, label: &str, now: NaiveDateTime) -> QueryResult<()> {
        diesel::update(themes::table.find(id))
            .set((themes::label.eq(label), themes::updated_at.eq(now)))
            .execute(conn)?;
        Self::pin(conn, id, now)
    }

    /// Marks a theme and every question in it as the analyst's, so a re-run keeps them.
    pub fn pin(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<()> {
        diesel::update(themes::table.find(id))
            .set((themes::is_pinned.eq(true), themes::updated_at.eq(now)))
            .execute(conn)?;
        diesel::update(question_themes::table.filter(question_themes::theme_id.eq(id)))
            .set((
                question_themes::is_pinned.eq(true),
                question_themes::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Deletes a theme; its questions become unplaced.
    pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<()> {
        diesel::delete(question_themes::table.filter(question_themes::theme_id.eq(id)))
            .execute(conn)?;
        diesel::delete(themes::table.find(id)).execute(conn)?;
        Ok(())
    }

    /// Moves every question of theme `from` into theme `into`.
    pub fn move_all(
        conn: &mut DbConn,
        from: i64,
        into: i64,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(question_themes::table.filter(question_themes::theme_id.eq(from)))
            .set((
                question_themes::theme_id.eq(into),
                question_themes::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Removes what the last clustering made and the analyst has not touched: unpinned themes
    /// with their placements, and unpinned placements anywhere in the relay.
    pub fn clear_unpinned(conn: &mut DbConn, relay_id: i64) -> QueryResult<()> {
        let relay_themes = themes::table
            .filter(themes::relay_id.eq(relay_id))
            .select(themes::id);
        diesel::delete(
            question_themes::table
                .filter(question_themes::theme_id.eq_any(relay_themes))
                .filter(question_themes::is_pinned.eq(false)),
        )
        .execute(conn)?;
        diesel::delete(
            themes::table
                .filter(themes::relay_id.eq(relay_id))
                .filter(themes::is_pinned.eq(false)),
        )
        .execute(conn)?;
        Ok(())
    }
}

impl PlacementRow {
    /// Every placement in a relay.
    pub fn for_relay(conn: &mut DbConn, relay_id: i64) -> QueryResult<Vec<PlacementRow>> {
        question_themes::table
            .inner_join(themes::table)
            .filter(themes::relay_id.eq(relay_id))
            .order(question_themes::question_id.asc())
            .select(PlacementRow::as_select())
            .load(conn)
    }

    /// Puts a question in a theme (or moves it), or takes it out with `None`.
    pub fn place(
        conn: &mut DbConn,
        question_id: i64,
        theme_id: Option<i64>,
        pinned: bool,
        score: Option<f64>,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::delete(question_themes::table.find(question_id)).execute(conn)?;
        if let Some(theme_id) = theme_id {
            diesel::insert_into(question_themes::table)
                .values((
                    question_themes::question_id.eq(question_id),
                    question_themes::theme_id.eq(theme_id),
                    question_themes::is_pinned.eq(pinned),
                    question_themes::score.eq(score),
                    question_themes::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Members per theme, for a relay.
    pub fn by_theme(
        conn: &mut DbConn,
        relay_id: i64,
    ) -> QueryResult<HashMap<i64, Vec<PlacementRow>>> {
        let mut out: HashMap<i64, Vec<PlacementRow>> = HashMap::new();
        for p in Self::for_relay(conn, relay_id)? {
            out.entry(p.theme_id).or_default().push(p);
        }
        Ok(out)
    }
}
