//! Rounds: a relay's named time windows, in order.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::rounds;
use super::{DbConn, from_db, to_db};
use crate::relay::Round;

/// A round row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = rounds, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct RoundRow {
    pub id: i64,
    pub relay_id: i64,
    pub position: i32,
    pub name: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub prompt: Option<String>,
}

/// A new round.
#[derive(Debug, Insertable)]
#[diesel(table_name = rounds)]
pub struct NewRound {
    pub relay_id: i64,
    pub position: i32,
    pub name: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub prompt: Option<String>,
}

impl RoundRow {
    /// The round as the pure core sees it.
    pub fn to_round(&self) -> Round {
        Round {
            name: self.name.clone(),
            starts_at: from_db(self.starts_at),
            ends_at: from_db(self.ends_at),
            prompt: self.prompt.clone(),
        }
    }

    /// A relay's rounds in order.
    pub fn for_relay(conn: &mut DbConn, relay_id: i64) -> QueryResult<Vec<RoundRow>> {
        rounds::table
            .filter(rounds::relay_id.eq(relay_id))
            .order(rounds::position.asc())
            .select(RoundRow::as_select())
            .load(conn)
    }

    /// Replaces a relay's rounds (only before any question refers to them).
    pub fn replace(conn: &mut DbConn, relay_id: i64, new: &[Round]) -> QueryResult<Vec<RoundRow>> {
        diesel::delete(rounds::table.filter(rounds::relay_id.eq(relay_id))).execute(conn)?;
        let rows: Vec<NewRound> = new
            .iter()
            .enumerate()
            .map(|(i, r)| NewRound {
                relay_id,
                position: i as i32,
                name: r.name.trim().to_string(),
                starts_at: to_db(r.starts_at),
                ends_at: to_db(r.ends_at),
                prompt: r.prompt.clone().filter(|p| !p.trim().is_empty()),
            })
            .collect();
        // One row at a time: a multi-row insert through a connection that may be either backend
        // needs the DEFAULT keyword, which SQLite lacks.
        for row in rows {
            diesel::insert_into(rounds::table)
                .values(row)
                .execute(conn)?;
        }
        Self::for_relay(conn, relay_id)
    }

    /// Updates the times of existing rounds in place (when an early opening shifts them).
    pub fn retime(conn: &mut DbConn, rows: &[RoundRow], new: &[Round]) -> QueryResult<()> {
        for (row, r) in rows.iter().zip(new) {
            diesel::update(rounds::table.find(row.id))
                .set((
                    rounds::starts_at.eq(to_db(r.starts_at)),
                    rounds::ends_at.eq(to_db(r.ends_at)),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Updates the prompt of a round.
    pub fn set_prompt(conn: &mut DbConn, id: i64, prompt: Option<&str>) -> QueryResult<()> {
        diesel::update(rounds::table.find(id))
            .set(rounds::prompt.eq(prompt))
            .execute(conn)
            .map(|_| ())
    }
}
