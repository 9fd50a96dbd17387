//! Participants and their groups.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::fixed::{self, Param};
use super::models::{NewParticipant, ParticipantRow, RelayRow};
use super::schema::{groups, participants, relays};

impl ParticipantRow {
    /// Loads a participant.
    pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<ParticipantRow> {
        participants::table
            .find(id)
            .select(ParticipantRow::as_select())
            .first(conn)
    }

    /// Loads a participant with their relay, in one query.
    pub fn find_with_relay(conn: &mut DbConn, id: i64) -> QueryResult<(ParticipantRow, RelayRow)> {
        participants::table
            .inner_join(relays::table)
            .filter(participants::id.eq(id))
            .select((ParticipantRow::as_select(), RelayRow::as_select()))
            .get_result(conn)
    }

    /// A relay's participants in the order they were added.
    pub fn for_relay(conn: &mut DbConn, relay_id: i64) -> QueryResult<Vec<ParticipantRow>> {
        participants::table
            .filter(participants::relay_id.eq(relay_id))
            .order(participants::id.asc())
            .select(ParticipantRow::as_select())
            .load(conn)
    }

    /// The participant of a relay with this (lower-cased) email.
    pub fn by_email(
        conn: &mut DbConn,
        relay_id: i64,
        email: &str,
    ) -> QueryResult<Option<ParticipantRow>> {
        participants::table
            .filter(participants::relay_id.eq(relay_id))
            .filter(participants::email.eq(email))
            .select(ParticipantRow::as_select())
            .first(conn)
            .optional()
    }

    /// Inserts a participant.
    pub fn insert(conn: &mut DbConn, new: NewParticipant) -> QueryResult<ParticipantRow> {
        diesel::insert_into(participants::table)
            .values(new)
            .returning(ParticipantRow::as_returning())
            .get_result(conn)
    }

    /// Updates name, group, title and organisation.
    pub fn update_profile(
        conn: &mut DbConn,
        id: i64,
        name: &str,
        group_id: i64,
        title: Option<&str>,
        organisation: Option<&str>,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(participants::table.find(id))
            .set((
                participants::name.eq(name),
                participants::group_id.eq(group_id),
                participants::title.eq(title),
                participants::organisation.eq(organisation),
                participants::updated_at.eq(now),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Sets the baton count.
    pub fn set_batons(conn: &mut DbConn, id: i64, batons: u32) -> QueryResult<()> {
        fixed::execute(
            conn,
            "UPDATE participants SET batons = ? WHERE id = ?",
            &[Param::Int(i64::from(batons)), Param::Int(id)],
        )
        .map(|_| ())
    }

    /// Suspends or reinstates.
    pub fn set_suspended(
        conn: &mut DbConn,
        id: i64,
        suspended: bool,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(participants::table.find(id))
            .set((
                participants::is_suspended.eq(suspended),
                participants::updated_at.eq(now),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// A fresh pseudonym for the relay (`P001`, `P002`, …); participants are never deleted, so
    /// the count gives the next free number.
    pub fn next_pseudonym(conn: &mut DbConn, relay_id: i64) -> QueryResult<String> {
        let n: i64 = participants::table
            .filter(participants::relay_id.eq(relay_id))
            .count()
            .get_result(conn)?;
        Ok(format!("P{:03}", n + 1))
    }
}

/// The id of the relay's group `name`, creating it if needed.
pub fn group_id(conn: &mut DbConn, relay_id: i64, name: &str) -> QueryResult<i64> {
    let existing = groups::table
        .filter(groups::relay_id.eq(relay_id))
        .filter(groups::name.eq(name))
        .select(groups::id)
        .first(conn)
        .optional()?;
    match existing {
        Some(id) => Ok(id),
        None => diesel::insert_into(groups::table)
            .values((groups::relay_id.eq(relay_id), groups::name.eq(name)))
            .returning(groups::id)
            .get_result(conn),
    }
}

/// A relay's group names by id.
pub fn group_names(conn: &mut DbConn, relay_id: i64) -> QueryResult<HashMap<i64, String>> {
    let rows: Vec<(i64, String)> = groups::table
        .filter(groups::relay_id.eq(relay_id))
        .select((groups::id, groups::name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
