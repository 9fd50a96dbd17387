//! Participants: the row, and the queries on people of a relay (with the counts pairing reads).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::fixed::{self, Param};
use super::relays::RelayRow;
use super::schema::{participants, relays};
use crate::relay::pairing::Candidate;

/// A participant row.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = participants, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ParticipantRow {
    pub id: i64,
    pub relay_id: i64,
    pub group_id: i64,
    pub name: String,
    pub email: String,
    pub title: Option<String>,
    pub organisation: Option<String>,
    pub pseudonym: String,
    pub batons: i32,
    pub inbox_count: i32,
    pub received_count: i32,
    pub is_suspended: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When their personal data was erased (on request or by retention).
    pub erased_at: Option<NaiveDateTime>,
}

/// A new participant.
#[derive(Debug, Insertable)]
#[diesel(table_name = participants)]
pub struct NewParticipant {
    pub relay_id: i64,
    pub group_id: i64,
    pub name: String,
    pub email: String,
    pub title: Option<String>,
    pub organisation: Option<String>,
    pub pseudonym: String,
    pub batons: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ParticipantRow {
    /// Loads a participant.
    pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<ParticipantRow> {
        participants::table
            .find(id)
            .select(ParticipantRow::as_select())
            .first(conn)
    }

    /// The participants with address `email` (stored lower-case) who are not suspended, in
    /// every relay that is open or scheduled, with their relays.
    pub fn live_by_email(
        conn: &mut DbConn,
        email: &str,
    ) -> QueryResult<Vec<(ParticipantRow, RelayRow)>> {
        use crate::relay::RelayState;
        participants::table
            .inner_join(relays::table)
            .filter(participants::email.eq(email))
            .filter(participants::is_suspended.eq(false))
            .filter(relays::state.eq_any([RelayState::Open, RelayState::Scheduled]))
            .order(participants::id.asc())
            .select((ParticipantRow::as_select(), RelayRow::as_select()))
            .load(conn)
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
        let id = super::backend::insert_id!(conn, participants, new)?;
        // Read back instead of `RETURNING`, which diesel cannot build for a connection that
        // may be either backend when the row type is selected by name.
        participants::table
            .find(id)
            .select(ParticipantRow::as_select())
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

    /// Erases a participant's personal data: the name becomes the pseudonym, the address a
    /// placeholder that is no address, title and organisation go; they are suspended, so they
    /// neither receive questions nor email again.
    pub fn erase_profile(
        conn: &mut DbConn,
        p: &ParticipantRow,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(participants::table.find(p.id))
            .set((
                participants::name.eq(&p.pseudonym),
                participants::email.eq(format!("erased-{}", p.id)),
                participants::title.eq(None::<String>),
                participants::organisation.eq(None::<String>),
                participants::is_suspended.eq(true),
                participants::erased_at.eq(now),
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

    /// Everyone in the relay as a possible recipient of `asker_id`, with what the pairing draw
    /// reads about the asker, in one statement: it runs under the relay's lock on every ask.
    /// Only what pairing reads comes back: a hundred whole rows (or their groups' names) cost
    /// more to send and decode than the two a move needs, which the ask's own statement
    /// returns on PostgreSQL with their groups' names
    /// ([`QuestionRow::ask`](super::questions::QuestionRow::ask)).
    pub fn candidates(conn: &mut DbConn, relay_id: i64, asker_id: i64) -> QueryResult<Candidates> {
        let rows: Vec<CandidateRow> = fixed::load(
            conn,
            CANDIDATES,
            &[
                Param::Int(asker_id),
                Param::Int(asker_id),
                Param::Int(asker_id),
                Param::Int(relay_id),
            ],
        )?;
        let (nonce, last_asked_by) = rows
            .first()
            .map_or((0, None), |r| (r.asked.max(0) as u64, r.last_asked_by));
        let asker = rows.iter().find(|r| r.id == asker_id).map(|r| AskerState {
            group_id: r.group_id,
            batons: r.batons.max(0) as u32,
        });
        let list = rows
            .into_iter()
            .map(|r| Candidate {
                id: r.id,
                group_id: r.group_id,
                active: !r.is_suspended,
                unanswered: r.inbox_count.max(0) as u32,
                received_total: r.received_count.max(0) as u32,
                received_from_asker: r.from_asker,
            })
            .collect();
        Ok(Candidates {
            list,
            asker,
            nonce,
            last_asked_by,
        })
    }

    /// The participants with these ids, by id.
    pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> QueryResult<HashMap<i64, ParticipantRow>> {
        let rows: Vec<ParticipantRow> = participants::table
            .filter(participants::id.eq_any(ids))
            .select(ParticipantRow::as_select())
            .load(conn)?;
        Ok(rows.into_iter().map(|p| (p.id, p)).collect())
    }
}

/// The pairing read of [`ParticipantRow::candidates`], `?` for the asker (three times) and the
/// relay. Public for the test that holds its plan to reading about as many rows as it returns.
pub const CANDIDATES: &str = "SELECT p.id, p.group_id, p.is_suspended, p.inbox_count, p.received_count, p.batons, \
        a.recipient_id IS NOT NULL AS from_asker, \
        (SELECT COUNT(*) FROM deliveries WHERE asker_id = ?) AS asked, \
        (SELECT asker_id FROM deliveries WHERE recipient_id = ? \
         ORDER BY id DESC LIMIT 1) AS last_asked_by \
     FROM participants p \
     LEFT JOIN (SELECT DISTINCT recipient_id FROM deliveries WHERE asker_id = ?) a \
       ON a.recipient_id = p.id \
     WHERE p.relay_id = ? \
     ORDER BY p.id";

/// The relay's people as possible recipients of one asker, as [`ParticipantRow::candidates`]
/// reads them.
#[derive(Debug, Clone)]
pub struct Candidates {
    /// Everyone in the relay, by id.
    pub list: Vec<Candidate>,
    /// The asker, when they are in the relay.
    pub asker: Option<AskerState>,
    /// How many deliveries the asker has made so far: the pairing draw's nonce, fixed by the
    /// relay's history.
    pub nonce: u64,
    /// Who asked the asker last.
    pub last_asked_by: Option<i64>,
}

/// What an ask reads of its asker before it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AskerState {
    /// Their group.
    pub group_id: i64,
    /// The batons they hold.
    pub batons: u32,
}

/// What pairing reads of one candidate, with what the statement says of the asker.
#[derive(QueryableByName)]
struct CandidateRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    group_id: i64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    is_suspended: bool,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    inbox_count: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    received_count: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    batons: i32,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    from_asker: bool,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    asked: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    last_asked_by: Option<i64>,
}
