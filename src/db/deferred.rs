//! PostgreSQL lanes: the rows a group of moves only appends (its events, its emails with their
//! personal links) are written at the end of the group, in one statement for all of them,
//! instead of two statements for every move.
//!
//! Each statement costs PostgreSQL a fixed amount (bind, executor start, a lock on each table
//! and index, a snapshot) and the lane a round trip, whatever the number of rows: in a group of
//! ten moves, one statement does what twenty did. Nothing in a move reads these rows back, so
//! writing them later in the same transaction changes nothing anyone sees: the group commits
//! them all or none, and its relays stay locked until then, so each relay's event ids still
//! ascend in the order of its moves and become visible in commit order.
//!
//! A lane collects ([`collect`]) only while it runs a group without savepoints. A group that
//! runs again with a savepoint around each move writes each move's rows at once, so a failed
//! move's rows are undone alone; anything else (the SQLite writer, a one-off write on the pool)
//! never collects and writes at once too.

use std::cell::RefCell;

use chrono::NaiveDateTime;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::DbConn;
use super::credentials::CredentialKind;
use super::fixed::{self, PgParam};
use super::outbox::OutboxStatus;

/// An event to append.
#[derive(Debug)]
pub(super) struct NewEvent {
    pub relay_id: i64,
    pub participant_id: Option<i64>,
    pub kind: &'static str,
    pub data: String,
    pub created_at: NaiveDateTime,
}

/// An email to queue with a fresh personal link for `link_for` in it.
#[derive(Debug)]
pub(super) struct LinkedEmail {
    pub idempotency_key: String,
    pub relay_id: Option<i64>,
    pub participant_id: Option<i64>,
    pub kind: String,
    pub to_address: String,
    pub params: String,
    pub link_for: i64,
    /// The link's secret and its hash (the credential keeps the hash only).
    pub secret: String,
    pub secret_hash: String,
    pub created_at: NaiveDateTime,
}

/// What the moves of a group have appended so far, in the order they did.
#[derive(Debug, Default)]
pub(super) struct Deferred {
    events: Vec<NewEvent>,
    emails: Vec<LinkedEmail>,
}

thread_local! {
    /// The rows of the group this thread's lane is running, while it collects them.
    static COLLECTING: RefCell<Option<Deferred>> = const { RefCell::new(None) };
}

/// Collects the appends of the moves this thread runs until [`Collecting::finish`] (or the
/// guard's drop, which forgets them: the group's transaction did not commit).
pub(super) fn collect() -> Collecting {
    COLLECTING.with(|c| *c.borrow_mut() = Some(Deferred::default()));
    Collecting(())
}

/// While alive, this thread's appends wait for the end of the group.
#[must_use = "rows are collected only while the guard lives"]
pub(super) struct Collecting(());

impl Collecting {
    /// Writes what the group appended, in the group's transaction.
    pub(super) fn finish(self, conn: &mut DbConn) -> QueryResult<()> {
        let rows = COLLECTING
            .with(|c| c.borrow_mut().take())
            .unwrap_or_default();
        match conn {
            DbConn::Pg(pg) => rows.write(pg),
            // Only PostgreSQL's lanes collect.
            DbConn::Sqlite(_) => Err(diesel::result::Error::QueryBuilderError(
                "rows collected for a group on SQLite".into(),
            )),
        }
    }
}

impl Drop for Collecting {
    fn drop(&mut self) {
        COLLECTING.with(|c| *c.borrow_mut() = None);
    }
}

/// Whether this thread collects its appends for the end of a group: then they go to
/// [`defer_events`] and [`defer_email`] instead of the database.
pub(super) fn collecting() -> bool {
    COLLECTING.with(|c| c.borrow().is_some())
}

/// Keeps `events` for the end of the group (see [`collecting`]).
pub(super) fn defer_events(events: impl IntoIterator<Item = NewEvent>) {
    COLLECTING.with(|c| {
        if let Some(rows) = c.borrow_mut().as_mut() {
            rows.events.extend(events);
        }
    });
}

/// Keeps `email` for the end of the group (see [`collecting`]).
pub(super) fn defer_email(email: LinkedEmail) {
    COLLECTING.with(|c| {
        if let Some(rows) = c.borrow_mut().as_mut() {
            rows.emails.push(email);
        }
    });
}

/// Appends the events from arrays, in their order (ids ascend as the moves appended them); issues
/// a link credential for each email and queues the email with its link (composed from the
/// credential's new id as `tokens::compose` does: the id's eight big-endian bytes in unpadded
/// URL-safe base64, then the secret), unless its key is already queued. One statement for both
/// tables, so a group's end costs one round trip before its commit. Returns the credentials
/// whose email was not queued, for the caller to delete: a repeat leaves no link behind.
const APPEND: &str = "WITH ev AS (INSERT INTO events (relay_id, participant_id, kind, data, created_at) \
       SELECT r, p, k, d, t \
       FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::timestamp[]) \
         WITH ORDINALITY AS e(r, p, k, d, t, n) \
       ORDER BY n), \
     i AS (SELECT * FROM unnest(?::text[], ?::bigint[], \
       ?::bigint[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[], \
       ?::timestamp[]) WITH ORDINALITY \
       AS i(key, relay, participant, kind, address, params, link_for, secret, hash, at, n)), \
     c AS (INSERT INTO credentials (token_hash, kind, participant_id, created_at) \
       SELECT hash, ?, link_for, at FROM i ORDER BY n RETURNING id, token_hash), \
     l AS (SELECT i.*, c.id, \
         rtrim(translate(encode(int8send(c.id), 'base64'), '+/', '-_'), '=') || i.secret AS link \
       FROM i JOIN c ON c.token_hash = i.hash), \
     o AS (INSERT INTO email_outbox (idempotency_key, relay_id, participant_id, kind, \
         to_address, params, link_token, status, next_attempt_at, created_at) \
       SELECT key, relay, participant, kind, address, params, link, ?, at, at FROM l ORDER BY n \
       ON CONFLICT (idempotency_key) DO NOTHING RETURNING link_token) \
     SELECT l.id FROM l WHERE l.link NOT IN (SELECT link_token FROM o)";

/// A credential whose email was not queued.
#[derive(QueryableByName)]
struct Unsent {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

impl Deferred {
    /// Writes the rows: one statement (two when an email was a repeat), however many moves
    /// appended them.
    fn write(self, conn: &mut PgConnection) -> QueryResult<()> {
        fn column<'a, T, U>(rows: &'a [T], f: impl Fn(&'a T) -> U) -> Vec<U> {
            rows.iter().map(f).collect()
        }
        let (e, m) = (&self.events, &self.emails);
        if e.is_empty() && m.is_empty() {
            return Ok(());
        }
        let unsent: Vec<Unsent> = fixed::load(
            conn,
            APPEND,
            &[
                PgParam::Ints(&column(e, |e| e.relay_id)),
                PgParam::MaybeInts(&column(e, |e| e.participant_id)),
                PgParam::Texts(&column(e, |e| e.kind)),
                PgParam::Texts(&column(e, |e| e.data.as_str())),
                PgParam::Times(&column(e, |e| e.created_at)),
                PgParam::Texts(&column(m, |m| m.idempotency_key.as_str())),
                PgParam::MaybeInts(&column(m, |m| m.relay_id)),
                PgParam::MaybeInts(&column(m, |m| m.participant_id)),
                PgParam::Texts(&column(m, |m| m.kind.as_str())),
                PgParam::Texts(&column(m, |m| m.to_address.as_str())),
                PgParam::Texts(&column(m, |m| m.params.as_str())),
                PgParam::Ints(&column(m, |m| m.link_for)),
                PgParam::Texts(&column(m, |m| m.secret.as_str())),
                PgParam::Texts(&column(m, |m| m.secret_hash.as_str())),
                PgParam::Times(&column(m, |m| m.created_at)),
                PgParam::Text(CredentialKind::ParticipantLink.as_str()),
                PgParam::Text(OutboxStatus::Queued.as_str()),
            ],
        )?;
        if !unsent.is_empty() {
            use super::schema::credentials;
            let ids: Vec<i64> = unsent.into_iter().map(|u| u.id).collect();
            diesel::delete(credentials::table.filter(credentials::id.eq_any(ids))).execute(conn)?;
        }
        Ok(())
    }
}
