//! PostgreSQL lanes: the relays a group of moves holds locked, taken once for the whole group
//! instead of once per move.
//!
//! Every move starts by locking its relay's row ([`RelayRow::lock_and_load`]). In a lane's group
//! that was one statement per move, each a round trip, a row lock and its WAL record, though
//! the group's transaction already held most of those locks from an earlier move of the same
//! relay. Here the lane locks and loads all the group's relays in one statement at the start of
//! its transaction ([`hold`]), in ascending id order like every write that locks several, and
//! the moves find their relay's row here.
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

/// Locks the rows of relays `ids` for the rest of the transaction on `conn`, in ascending id
/// order, and keeps them for the moves this thread runs until the guard drops. A relay that is
/// not there is not held: its moves lock (and miss) it themselves.
pub(super) fn hold(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Holding> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    // The locks are taken in the sort's order: the row locking runs above the sort.
    let rows: Vec<RelayRow> = relays::table
        .filter(relays::id.eq_any(ids))
        .order(relays::id.asc())
        .select(RelayRow::as_select())
        .for_no_key_update()
        .load(conn)?;
    HELD.with(|h| *h.borrow_mut() = rows.into_iter().map(|r| (r.id, r)).collect());
    Ok(Holding(()))
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
