//! The event log: every change someone should hear about, with its audience. Replays of one
//! feed page through it by id; the live fan-out reads everything after its cursor.

use super::MultiBackend;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::backend::RelayOf;
use super::deferred;
use super::fixed::{self, Param, PgParam};
use super::schema::{events, participants, questions};
use crate::relay::EventKind;

/// An event row.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = events, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct EventRow {
    pub id: i64,
    pub relay_id: i64,
    pub participant_id: Option<i64>,
    pub kind: EventKind,
    pub data: String,
    pub created_at: NaiveDateTime,
}

/// Who an event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The relay's staff feed.
    Staff,
    /// One participant.
    Participant(i64),
}

macro_rules! insert_events {
    () => {
        "INSERT INTO events (relay_id, participant_id, kind, data, created_at) VALUES"
    };
}

/// The insert of one to four events, by their number less one.
const INSERT_EVENTS: [&str; 4] = [
    concat!(insert_events!(), " (?, ?, ?, ?, ?)"),
    concat!(insert_events!(), " (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)"),
    concat!(
        insert_events!(),
        " (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)"
    ),
    concat!(
        insert_events!(),
        " (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)"
    ),
];

/// Most events returned by one replay request; clients page with `since`.
pub const PAGE: i64 = 500;

/// A page of one feed, before choosing columns.
type Feed = events::BoxedQuery<'static, MultiBackend>;

impl EventRow {
    /// Appends an event.
    pub fn append(
        conn: &mut DbConn,
        relay_id: i64,
        audience: Audience,
        kind: EventKind,
        data: &serde_json::Value,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        super::event_signal::record(conn, relay_id);
        let participant_id = match audience {
            Audience::Staff => None,
            Audience::Participant(p) => Some(p),
        };
        // In a lane's group every event waits for the group's end, so ids keep the moves' order.
        if deferred::collecting() {
            deferred::defer_events([deferred::NewEvent {
                relay_id,
                participant_id,
                kind: kind.as_str(),
                data: data.to_string(),
                created_at: now,
            }]);
            return Ok(());
        }
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

    /// Appends several events of one relay in one statement, in the order given: their ids
    /// ascend in that order.
    pub fn append_all(
        conn: &mut DbConn,
        relay_id: i64,
        events: &[(Audience, EventKind, String)],
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        super::event_signal::record(conn, relay_id);
        let audience = |a: &Audience| match a {
            Audience::Staff => None,
            Audience::Participant(p) => Some(*p),
        };
        if deferred::collecting() {
            deferred::defer_events(events.iter().map(|(a, kind, data)| deferred::NewEvent {
                relay_id,
                participant_id: audience(a),
                kind: kind.as_str(),
                data: data.clone(),
                created_at: now,
            }));
            return Ok(());
        }
        // Up to four rows (an ask or an answer appends three) go as one of four fixed
        // statements, prepared once per connection; diesel's multi-row insert is prepared anew
        // each time, as its SQL depends on the number of rows.
        if let Some(sql) = INSERT_EVENTS.get(events.len().wrapping_sub(1)) {
            let params: Vec<Param<'_>> = events
                .iter()
                .flat_map(|(a, kind, data)| {
                    [
                        Param::Int(relay_id),
                        Param::MaybeInt(audience(a)),
                        Param::Text(kind.as_str()),
                        Param::Text(data),
                        Param::Time(Some(now)),
                    ]
                })
                .collect();
            return fixed::execute(conn, sql, &params).map(|_| ());
        }
        let rows: Vec<_> = events
            .iter()
            .map(|(a, kind, data)| {
                (
                    events::relay_id.eq(relay_id),
                    events::participant_id.eq(audience(a)),
                    events::kind.eq(*kind),
                    events::data.eq(data),
                    events::created_at.eq(now),
                )
            })
            .collect();
        let insert = diesel::insert_into(events::table).values(rows);
        // diesel writes a multi-row insert for each backend but not for the two together.
        match conn {
            DbConn::Sqlite(c) => insert.execute(c),
            DbConn::Pg(c) => insert.execute(c),
        }
        .map(|_| ())
    }

    /// A participant's events after `since`, oldest first, a [`PAGE`] at most.
    pub fn for_participant(
        conn: &mut DbConn,
        participant_id: i64,
        since: i64,
    ) -> QueryResult<Vec<EventRow>> {
        participant_feed(participant_id, since)
            .select(EventRow::as_select())
            .load(conn)
    }

    /// A relay's staff feed after `since`, oldest first, a [`PAGE`] at most.
    pub fn for_staff(conn: &mut DbConn, relay_id: i64, since: i64) -> QueryResult<Vec<EventRow>> {
        staff_feed(relay_id, since)
            .select(EventRow::as_select())
            .load(conn)
    }

    /// The `n` most recent events of a relay's staff feed after `since`, oldest first.
    pub fn latest_for_staff(
        conn: &mut DbConn,
        relay_id: i64,
        since: i64,
        n: i64,
    ) -> QueryResult<Vec<EventRow>> {
        let mut rows: Vec<EventRow> = events::table
            .filter(events::relay_id.eq(relay_id))
            .filter(events::participant_id.is_null())
            .filter(events::id.gt(since))
            .order(events::id.desc())
            .limit(n)
            .select(EventRow::as_select())
            .load(conn)?;
        rows.reverse();
        Ok(rows)
    }

    /// Deletes every event of a relay (retention); returns how many.
    pub fn delete_for_relay(conn: &mut DbConn, relay_id: i64) -> QueryResult<usize> {
        diesel::delete(events::table.filter(events::relay_id.eq(relay_id))).execute(conn)
    }

    /// Deletes one participant's own feed; returns how many events.
    pub fn delete_for_participant(conn: &mut DbConn, participant_id: i64) -> QueryResult<usize> {
        diesel::delete(events::table.filter(events::participant_id.eq(participant_id)))
            .execute(conn)
    }

    /// The relay's events whose data holds `needle` somewhere (a name, an address).
    pub fn mentioning(
        conn: &mut DbConn,
        relay_id: i64,
        needle: &str,
    ) -> QueryResult<Vec<EventRow>> {
        let rows: Vec<EventRow> = events::table
            .filter(events::relay_id.eq(relay_id))
            .filter(events::data.like(format!("%{needle}%")))
            .select(EventRow::as_select())
            .load(conn)?;
        // LIKE ignores ASCII case and reads % and _ as wildcards; keep exact mentions only.
        Ok(rows
            .into_iter()
            .filter(|e| e.data.contains(needle))
            .collect())
    }

    /// Replaces an event's data.
    pub fn set_data(conn: &mut DbConn, id: i64, data: &str) -> QueryResult<()> {
        diesel::update(events::table.find(id))
            .set(events::data.eq(data))
            .execute(conn)
            .map(|_| ())
    }

    /// The highest event id so far (0 in an empty log).
    pub fn max_id(conn: &mut DbConn) -> QueryResult<i64> {
        events::table
            .select(diesel::dsl::max(events::id))
            .first::<Option<i64>>(conn)
            .map(|m| m.unwrap_or(0))
    }

    /// The highest event id so far of the relay `of` names (0 when it has none), in one query.
    /// A feed belongs to one relay, whose writes commit their events in id order (they lock
    /// the relay's row): on PostgreSQL the log's overall highest id may belong to another relay
    /// while a lower id of this one is still to commit.
    pub fn max_id_in_relay(conn: &mut DbConn, of: RelayOf) -> QueryResult<i64> {
        let query = events::table
            .select(diesel::dsl::max(events::id))
            .into_boxed();
        let query = match of {
            RelayOf::Relay(id) => query.filter(events::relay_id.eq(id)),
            RelayOf::Participant(id) => query.filter(
                events::relay_id.nullable().eq(participants::table
                    .find(id)
                    .select(participants::relay_id)
                    .single_value()),
            ),
            RelayOf::Question(id) => query.filter(
                events::relay_id.nullable().eq(questions::table
                    .find(id)
                    .select(questions::relay_id)
                    .single_value()),
            ),
        };
        query.first::<Option<i64>>(conn).map(|m| m.unwrap_or(0))
    }

    /// One relay's events (every feed of it) after `since`, oldest first, at most `limit`.
    pub fn of_relay_after(
        conn: &mut DbConn,
        relay_id: i64,
        since: i64,
        limit: i64,
    ) -> QueryResult<Vec<EventRow>> {
        events::table
            .filter(events::relay_id.eq(relay_id))
            .filter(events::id.gt(since))
            .order(events::id.asc())
            .limit(limit)
            .select(EventRow::as_select())
            .load(conn)
    }

    /// The events of several relays, each after its own cursor (`(relay, after)` pairs), oldest
    /// first, at most `limit` in all: one statement for every relay a wake-up names. Each
    /// relay's rows are the start of its new events, so a full page is read on from the
    /// cursors it moved.
    pub fn of_relays_after(
        conn: &mut DbConn,
        cursors: &[(i64, i64)],
        limit: i64,
    ) -> QueryResult<Vec<EventRow>> {
        match conn {
            // Each relay's rows come from a range scan of its own that starts at its cursor:
            // a plan PostgreSQL keeps once the prepared statement's plan is generic. (An OR of
            // one condition per relay was planned then as a walk of every event by id: 10 ms a
            // read at 60,000 events.)
            DbConn::Pg(pg) => {
                let (relays, afters): (Vec<i64>, Vec<i64>) = cursors.iter().copied().unzip();
                fixed::load(
                    pg,
                    "SELECT e.id, e.relay_id, e.participant_id, e.kind, e.data, e.created_at \
                     FROM unnest(?::bigint[], ?::bigint[]) AS c(relay, after) \
                     CROSS JOIN LATERAL (SELECT * FROM events WHERE relay_id = c.relay \
                       AND id > c.after ORDER BY id LIMIT ?) e \
                     ORDER BY e.id LIMIT ?",
                    &[
                        PgParam::Ints(&relays),
                        PgParam::Ints(&afters),
                        PgParam::Int(limit),
                        PgParam::Int(limit),
                    ],
                )
            }
            // SQLite's hub reads the whole log after each commit and never asks; this is the
            // same result, a read per relay.
            DbConn::Sqlite(_) => {
                let mut rows = Vec::new();
                for &(relay, after) in cursors {
                    rows.extend(Self::of_relay_after(conn, relay, after, limit)?);
                }
                rows.sort_unstable_by_key(|e| e.id);
                rows.truncate(usize::try_from(limit).unwrap_or(0));
                Ok(rows)
            }
        }
    }

    /// Every feed's events after `since` or with an id among `missed`, oldest first, at most
    /// `limit`.
    pub fn after_or_among(
        conn: &mut DbConn,
        since: i64,
        missed: Vec<i64>,
        limit: i64,
    ) -> QueryResult<Vec<EventRow>> {
        let after = events::table.filter(events::id.gt(since));
        if missed.is_empty() {
            // The plain range, as SQLite (which never misses an id) always reads it.
            return after
                .order(events::id.asc())
                .limit(limit)
                .select(EventRow::as_select())
                .load(conn);
        }
        match conn {
            // Two range scans of the primary key, merged in id order. With the two conditions
            // joined by OR, PostgreSQL walked the whole table by id from its start: 30 ms a
            // read at 50,000 events, four times a second on every instance.
            DbConn::Pg(pg) => {
                use diesel::sql_types::{Array, BigInt};
                diesel::sql_query(PG_AFTER_OR_AMONG)
                    .bind::<BigInt, _>(since)
                    .bind::<Array<BigInt>, _>(missed)
                    .bind::<BigInt, _>(limit)
                    .load(pg)
            }
            DbConn::Sqlite(_) => events::table
                .filter(events::id.gt(since).or(events::id.eq_any(missed)))
                .order(events::id.asc())
                .limit(limit)
                .select(EventRow::as_select())
                .load(conn),
        }
    }
}

/// [`EventRow::after_or_among`] on PostgreSQL: `$1` the cursor, `$2` the ids passed unseen,
/// `$3` the most rows. Public for the test that holds its plan to two index ranges.
pub const PG_AFTER_OR_AMONG: &str = "SELECT e.id, e.relay_id, e.participant_id, e.kind, e.data, \
     e.created_at FROM ((SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT $3) UNION ALL \
     (SELECT * FROM events WHERE id = ANY($2) AND id <= $1)) e ORDER BY e.id LIMIT $3";

fn participant_feed(participant_id: i64, since: i64) -> Feed {
    // Naming the relay lets SQLite walk the relay's events in order (`events_relay`).
    let relay = participants::table
        .find(participant_id)
        .select(participants::relay_id)
        .single_value();
    events::table
        .filter(events::relay_id.nullable().eq(relay))
        .filter(events::participant_id.eq(participant_id))
        .filter(events::id.gt(since))
        .order(events::id.asc())
        .limit(PAGE)
        .into_boxed()
}

fn staff_feed(relay_id: i64, since: i64) -> Feed {
    events::table
        .filter(events::relay_id.eq(relay_id))
        .filter(events::participant_id.is_null())
        .filter(events::id.gt(since))
        .order(events::id.asc())
        .limit(PAGE)
        .into_boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tests::plan;

    /// Replays walk one relay's events in id order on `events_relay`: no sort, no other
    /// relay's events. Every reconnect runs one of these.
    #[test]
    fn both_feeds_walk_the_relay_index_in_order() {
        let (_dir, mut conn) = crate::db::tests::migrated();
        for feed in [participant_feed(5, 10), staff_feed(1, 10)] {
            let plan = plan(&mut conn, &feed.select(EventRow::as_select()));
            assert!(
                plan.contains("USING INDEX events_relay (relay_id=? AND id>?)"),
                "{plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        }
    }
}
