//! PostgreSQL lanes: the relays a group of moves holds locked, taken once for the whole group
//! instead of once per move.
//!
//! Every move starts by locking its relay's row ([`RelayRow::lock_and_load`]). In a lane's group
//! that was one statement per move, each a round trip, a row lock and its WAL record, though
//! the group's transaction already held most of those locks from an earlier move of the same
//! relay. Here the lane locks and loads the group's relays at the start of its transaction
//! ([`hold`]: those free at once, in one statement, in ascending id order like every write that
//! locks several), and the moves find their relay's row here.
//!
//! The lane knows the relay each move was queued for ([`Db::write_in`](super::Db::write_in)),
//! not what the move acts on: a move names its relay through its asker or its question. So a
//! move that finds its relay here must check that what it acts on belongs to it (an ask finds
//! its asker among the relay's people, an answer its question in the relay) and fail as "not
//! found" otherwise. A write outside a lane (the SQLite writer, a one-off write on the pool)
//! holds nothing and locks as before.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use diesel::pg::PgConnection;
use diesel::prelude::*;

use super::DbConn;
use super::credentials::Credential;
use super::relays::RelayRow;
use super::schema::relays;
use crate::auth::access::Standing;

thread_local! {
    /// The relays the group this thread's lane runs holds locked, by id.
    static HELD: RefCell<HashMap<i64, RelayRow>> = RefCell::new(HashMap::new());
    /// The relay the move this thread runs now was queued for.
    static CURRENT: Cell<Option<i64>> = const { Cell::new(None) };
    /// The standings of the credentials the group's moves check, by id, once loaded: a
    /// credential that is not here was not stored.
    static CREDENTIALS: RefCell<Option<HashMap<i64, Standing>>> = const { RefCell::new(None) };
}

/// Locks for the rest of the transaction on `conn`, and keeps for the moves this thread runs
/// until the guard drops, the rows of relays `wait` (waiting for each, in ascending id order)
/// and of those of relays `free` that no other transaction holds now. Only when that leaves
/// nothing held does the group wait for one of `free`: `first` (the relay of its oldest move)
/// if it is among them, then takes whichever of the others are free by then. A relay that is
/// not there is not held: its moves lock (and miss) it themselves.
///
/// Why not wait for all: another instance's group of the same lane's relays often holds some
/// of them, and waiting for all of them made the two instances' groups take turns. The lane
/// runs the moves of the relays a group gets and leaves the others to its next group, which
/// waits for their relays (`wait`), so no move is passed over twice.
///
/// No deadlock: a group waits only while it holds nothing (the first statement, and the
/// lock of `first` after it found none of `free` free) or, for `wait`, in ascending id order
/// as every write that locks several; `SKIP LOCKED` never waits.
pub(super) fn hold(
    conn: &mut PgConnection,
    wait: &[i64],
    free: &[i64],
    first: Option<i64>,
) -> QueryResult<Holding> {
    let wait = sorted(wait.to_vec());
    let mut free = sorted(free.to_vec());
    free.retain(|id| wait.binary_search(id).is_err());
    let mut rows = lock(conn, &wait, Wait::Yes)?;
    if !free.is_empty() {
        let got = lock(conn, &free, Wait::No)?;
        if got.is_empty() && rows.is_empty() {
            // Another transaction holds every one: wait for one, as for all before.
            let one = first.filter(|id| free.contains(id)).unwrap_or(free[0]);
            free.retain(|&id| id != one);
            rows = lock(conn, &[one], Wait::Yes)?;
            rows.extend(lock(conn, &free, Wait::No)?);
        } else {
            rows.extend(got);
        }
    }
    HELD.with(|h| *h.borrow_mut() = rows.into_iter().map(|r| (r.id, r)).collect());
    Ok(Holding(()))
}

/// Whether [`lock`] waits for a row another transaction holds.
#[derive(Clone, Copy)]
enum Wait {
    Yes,
    /// `SKIP LOCKED`: such a row is left out.
    No,
}

/// Locks and loads the rows of relays `ids` (sorted) in one statement.
fn lock(conn: &mut PgConnection, ids: &[i64], wait: Wait) -> QueryResult<Vec<RelayRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // The locks are taken in the sort's order: the row locking runs above the sort.
    let query = relays::table
        .filter(relays::id.eq_any(ids))
        .order(relays::id.asc())
        .select(RelayRow::as_select())
        .for_no_key_update();
    match wait {
        Wait::Yes => query.load(conn),
        Wait::No => query.skip_locked().load(conn),
    }
}

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// While alive, this thread's moves find their relays locked and loaded.
#[must_use = "the relays are held only while the guard lives"]
pub(super) struct Holding(());

impl Holding {
    /// The move about to run was queued for relay `id`.
    pub(super) fn running(&self, id: i64) {
        CURRENT.with(|c| c.set(Some(id)));
    }

    /// Whether the group holds relay `id`.
    pub(super) fn holds(&self, id: i64) -> bool {
        HELD.with(|h| h.borrow().contains_key(&id))
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        HELD.with(|h| h.borrow_mut().clear());
        CURRENT.with(|c| c.set(None));
        CREDENTIALS.with(|c| c.borrow_mut().take());
    }
}

/// Loads the standings of credentials `ids` (those the group's moves check themselves) for the
/// moves this thread runs while its [`Holding`] lives: one statement for the group, in its
/// transaction, after its relays' locks, so each reads its relay as the move will. Nothing to
/// load, no statement.
pub(super) fn hold_credentials(conn: &mut DbConn, ids: &[i64]) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let standings = Credential::standings(conn, ids)?;
    CREDENTIALS.with(|c| *c.borrow_mut() = Some(standings.into_iter().collect()));
    Ok(())
}

/// The standing of credential `id` as this thread's group loaded it: `Some(None)` when it was
/// not stored; `None` when the group did not load it.
pub(super) fn credential(id: i64) -> Option<Option<Standing>> {
    CREDENTIALS.with(|c| c.borrow().as_ref().map(|held| held.get(&id).copied()))
}

/// The row of relay `id`, when this thread's group holds it.
pub(super) fn relay(id: i64) -> Option<RelayRow> {
    HELD.with(|h| h.borrow().get(&id).cloned())
}

/// The row of the relay the running move was queued for, when this thread's group holds it.
pub(super) fn current() -> Option<RelayRow> {
    CURRENT.with(Cell::get).and_then(relay)
}
