//! Where SQLite and PostgreSQL need different SQL or handling: each concern matches on the
//! backend here, once, so table files and ops stay backend-free.
//!
//! - the id of the row just inserted (`last_insert_rowid()` / `RETURNING`);
//! - locking a relay's row for the rest of a write (a no-op on SQLite, whose single writer
//!   serialises everything; `FOR NO KEY UPDATE` on PostgreSQL);
//! - a write's transaction on PostgreSQL, run again on a serialization failure or deadlock;
//! - which instance runs the background jobs ([`JobsLock`]: always this one on SQLite, the
//!   holder of an advisory lock on PostgreSQL).
//!
//! The hot path's statements that PostgreSQL runs as one and SQLite row by row sit with their
//! tables instead, each a single `match` beside its SQLite sequence: an ask's and an answer's
//! rows (`QuestionRow::ask`, `QuestionRow::answer`) and an email with its link
//! (`OutboxRow::enqueue_with_link`); in a lane's group, events and emails wait for the group's
//! end (`deferred`).

use std::time::Duration;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::relays::RelayRow;
use super::schema::{participants, questions, relays};
use super::{DbConn, Target, held};
use crate::error::AppError;

diesel::define_sql_function! {
    /// SQLite's rowid of the last row this connection inserted. SQLite-specific.
    fn last_insert_rowid() -> diesel::sql_types::BigInt;
}

/// The rowid of the row `conn` inserted last. SQLite-specific; see [`insert_id!`].
pub fn sqlite_last_rowid(conn: &mut diesel::SqliteConnection) -> QueryResult<i64> {
    diesel::select(last_insert_rowid()).get_result(conn)
}

/// Inserts `$values` into the table `$table` (a module of `schema`) and evaluates to the new
/// row's id, as a `QueryResult<i64>`.
///
/// PostgreSQL returns it with the insert (`RETURNING`): one round trip instead of two, on the
/// hot path under the relay's lock. SQLite asks for `last_insert_rowid()` after the insert
/// instead: it runs `RETURNING` as a trigger, and a statement with a trigger keeps a statement
/// journal, copying every page it touches.
macro_rules! insert_id {
    ($conn:expr, $table:ident, $values:expr) => {{
        use $crate::db::schema::$table;
        let insert = diesel::insert_into($table::table).values($values);
        match $conn {
            $crate::db::DbConn::Sqlite(c) => diesel::RunQueryDsl::execute(insert, &mut *c)
                .and_then(|_| $crate::db::backend::sqlite_last_rowid(c)),
            $crate::db::DbConn::Pg(c) => {
                diesel::RunQueryDsl::get_result::<i64>(insert.returning($table::id), c)
            }
        }
    }};
}
pub(crate) use insert_id;

/// What names the relay a write belongs to.
#[derive(Debug, Clone, Copy)]
pub enum RelayOf {
    /// The relay itself.
    Relay(i64),
    /// A participant's relay.
    Participant(i64),
    /// A question's relay.
    Question(i64),
}

/// Locks the row of the relay `of` names until the write's transaction ends, so writes of one
/// relay are decided one after the other as if by one writer, and its events become visible in
/// id order. Nothing happens when there is no such relay (the write's own lookups say so).
///
/// `FOR NO KEY UPDATE` on PostgreSQL: it waits for other writers of the relay, yet lets rows
/// that reference the relay (questions, events) be inserted by others meanwhile. A participant
/// or question is looked up in the same statement; its relay never changes. On SQLite the one
/// writer thread already runs every write alone: nothing to lock, nothing to read.
pub fn lock_relay(conn: &mut DbConn, of: RelayOf) -> QueryResult<()> {
    let DbConn::Pg(c) = conn else {
        return Ok(());
    };
    if held_relay(of).is_some() {
        return Ok(());
    }
    let relay = relays::table.select(relays::id).for_no_key_update();
    match of {
        RelayOf::Relay(id) => relay.filter(relays::id.eq(id)).load::<i64>(c),
        RelayOf::Participant(id) => relay
            .filter(
                relays::id.nullable().eq(participants::table
                    .find(id)
                    .select(participants::relay_id)
                    .single_value()),
            )
            .load::<i64>(c),
        RelayOf::Question(id) => relay
            .filter(
                relays::id.nullable().eq(questions::table
                    .find(id)
                    .select(questions::relay_id)
                    .single_value()),
            )
            .load::<i64>(c),
    }
    .map(drop)
}

/// Locks the relay `of` names, as [`lock_relay`] does, and loads it: one statement for both,
/// where the write would otherwise read the relay right after locking it. A relay that is not
/// there is `NotFound`.
pub fn lock_and_load_relay(conn: &mut DbConn, of: RelayOf) -> QueryResult<RelayRow> {
    if let Some(row) = held_relay(of) {
        return Ok(row);
    }
    // The three filters are three types: each arm builds its own query.
    macro_rules! first {
        ($filter:expr) => {{
            let query = relays::table.filter($filter);
            match conn {
                DbConn::Sqlite(c) => query.select(RelayRow::as_select()).first(c),
                DbConn::Pg(c) => query
                    .select(RelayRow::as_select())
                    .for_no_key_update()
                    .first(c),
            }
        }};
    }
    match of {
        RelayOf::Relay(id) => first!(relays::id.eq(id)),
        RelayOf::Participant(id) => first!(
            relays::id.nullable().eq(participants::table
                .find(id)
                .select(participants::relay_id)
                .single_value())
        ),
        RelayOf::Question(id) => first!(
            relays::id.nullable().eq(questions::table
                .find(id)
                .select(questions::relay_id)
                .single_value())
        ),
    }
}

/// The row of the relay `of` names when the lane group this thread runs holds it locked
/// ([`held`]): the relay itself, or for a participant or question the relay its move was
/// queued for, which the move checks against what it reads (see [`held`]).
fn held_relay(of: RelayOf) -> Option<RelayRow> {
    match of {
        RelayOf::Relay(id) => held::relay(id),
        RelayOf::Participant(_) | RelayOf::Question(_) => held::current(),
    }
}

/// Locks several relays' rows, in ascending id order (so two writes that each lock a few of the
/// same relays cannot wait on each other in a cycle).
pub fn lock_relays(conn: &mut DbConn, relay_ids: impl IntoIterator<Item = i64>) -> QueryResult<()> {
    let mut ids: Vec<i64> = relay_ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        lock_relay(conn, RelayOf::Relay(id))?;
    }
    Ok(())
}

/// Most times one write runs before a serialization failure or deadlock is its answer.
const MAX_ATTEMPTS: u32 = 8;

/// Runs `f` in a transaction on `conn` (PostgreSQL); an `Err` rolls it back. When the database
/// aborts the transaction for a serialization failure (40001) or a deadlock (40P01), `f` runs
/// again from the start, after a short pause that grows with each attempt: the same "may run
/// twice" contract the SQLite writer's group replay has.
pub fn transaction_with_retries<T, F>(conn: &mut DbConn, f: &mut F) -> Result<T, AppError>
where
    F: FnMut(&mut DbConn) -> Result<T, AppError>,
{
    let mut attempt = 1;
    loop {
        let result = conn.transaction::<T, AppError, _>(|c| f(c));
        match result {
            Err(e) if attempt < MAX_ATTEMPTS && e.db_error().is_some_and(is_transient) => {
                tracing::debug!(attempt, error = %e, "write aborted by the database; again");
                std::thread::sleep(Duration::from_millis(5 << attempt.min(6)));
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// Whether PostgreSQL aborted a transaction that would succeed if run again.
///
/// diesel names serialization failures; a deadlock (40P01) it reports as an unknown kind, so it
/// is known by PostgreSQL's message, which Stafet's connections receive untranslated unless the
/// server's `lc_messages` says otherwise.
pub fn is_transient(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            info.message().starts_with("deadlock detected")
        }
        _ => false,
    }
}

/// The advisory lock key of the background jobs ("stafet-j" in ASCII): whoever holds it runs
/// the scheduler, and no other instance does.
const JOBS_LOCK_KEY: i64 = 0x7374_6166_6574_2d6a;

/// Whether this instance runs the background jobs (the scheduler and the pruning it does).
///
/// On SQLite a file has one server, which always does. On PostgreSQL the instance holding a
/// session-level advisory lock on a connection of its own does; the lock lives as long as
/// that connection, so when its instance dies (even by `kill -9`) the server drops the lock
/// and the next instance to ask takes it over.
pub enum JobsLock {
    /// SQLite: always this instance.
    Sole,
    /// PostgreSQL: the URL, and the connection holding the lock once this instance has it.
    Advisory {
        /// Where to connect.
        url: String,
        /// The connection that holds the lock, kept open while this instance holds it.
        held: Option<PgConnection>,
    },
}

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    taken: bool,
}

impl JobsLock {
    /// The lock for the database `target` names; nothing is taken yet.
    pub fn new(target: &Target) -> Self {
        match target {
            Target::Sqlite(_) => Self::Sole,
            Target::Postgres(url) => Self::Advisory {
                url: url.clone(),
                held: None,
            },
        }
    }

    /// Whether this instance holds the lock now: keeps it when it has it (and its connection
    /// still answers), else tries once to take it. Blocking: a round trip to the server.
    pub fn hold(&mut self) -> bool {
        let Self::Advisory { url, held } = self else {
            return true;
        };
        if let Some(conn) = held {
            // A connection that broke took the lock with it: another instance may have it now.
            if diesel::sql_query("SELECT 1").execute(conn).is_ok() {
                return true;
            }
            tracing::warn!("lost the connection holding the background jobs' lock");
            *held = None;
        }
        let taken = PgConnection::establish(url)
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                let taken = diesel::sql_query(format!(
                    "SELECT pg_try_advisory_lock({JOBS_LOCK_KEY}) AS taken"
                ))
                .get_result::<Taken>(&mut conn)
                .map_err(|e| e.to_string())?
                .taken;
                Ok(taken.then_some(conn))
            });
        match taken {
            Ok(Some(conn)) => {
                tracing::info!("this instance runs the background jobs");
                *held = Some(conn);
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(error = %e, "trying for the background jobs' lock");
                false
            }
        }
    }
}
