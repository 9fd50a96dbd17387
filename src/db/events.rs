//! The event log: every change someone should hear about, with its audience.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::models::EventRow;
use super::schema::events;

/// Who an event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The relay's staff feed.
    Staff,
    /// One participant.
    Participant(i64),
}

/// Most events returned by one replay request; clients page with `since`.
pub const PAGE: i64 = 500;

/// Appends an event.
pub fn append(
    conn: &mut DbConn,
    relay_id: i64,
    audience: Audience,
    kind: &str,
    data: &serde_json::Value,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let participant_id = match audience {
        Audience::Staff => None,
        Audience::Participant(p) => Some(p),
    };
    diesel::insert_into(events::table)
        .values((
            events::relay_id.eq(relay_id),
            events::participant_id.eq(participant_id),
            events::kind.eq(kind),
            events::data.eq(data.to_string()),
            events::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A participant's events after `since`, oldest first.
pub fn for_participant(
    conn: &mut DbConn,
    participant_id: i64,
    since: i64,
) -> QueryResult<Vec<EventRow>> {
    events::table
        .filter(events::participant_id.eq(participant_id))
        .filter(events::id.gt(since))
        .order(events::id.asc())
        .limit(PAGE)
        .select(EventRow::as_select())
        .load(conn)
}

/// A relay's staff feed after `since`, oldest first.
pub fn for_staff(conn: &mut DbConn, relay_id: i64, since: i64) -> QueryResult<Vec<EventRow>> {
    events::table
        .filter(events::relay_id.eq(relay_id))
        .filter(events::participant_id.is_null())
        .filter(events::id.gt(since))
        .order(events::id.asc())
        .limit(PAGE)
        .select(EventRow::as_select())
        .load(conn)
}
