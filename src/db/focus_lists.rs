//! A relay's own focus word lists (inward, outward), one entry per line; a relay without a row
//! reads with its language's defaults.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::focus_lists;

/// A relay's edited lists.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = focus_lists)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct FocusListRow {
    /// The relay.
    pub relay_id: i64,
    /// Entries pointing inside the organisation, one per line.
    pub inward: String,
    /// Entries pointing outside it, one per line.
    pub outward: String,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

impl FocusListRow {
    /// The relay's lists, if the analyst has edited them.
    pub fn find(conn: &mut DbConn, relay_id: i64) -> QueryResult<Option<FocusListRow>> {
        focus_lists::table
            .find(relay_id)
            .select(FocusListRow::as_select())
            .first(conn)
            .optional()
    }

    /// Stores the relay's lists, replacing earlier ones.
    pub fn set(
        conn: &mut DbConn,
        relay_id: i64,
        inward: &str,
        outward: &str,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        Self::reset(conn, relay_id)?;
        diesel::insert_into(focus_lists::table)
            .values((
                focus_lists::relay_id.eq(relay_id),
                focus_lists::inward.eq(inward),
                focus_lists::outward.eq(outward),
                focus_lists::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Goes back to the language's default lists.
    pub fn reset(conn: &mut DbConn, relay_id: i64) -> QueryResult<()> {
        diesel::delete(focus_lists::table.find(relay_id)).execute(conn)?;
        Ok(())
    }
}
