//! Telling every instance on a PostgreSQL database which relays a write gave new events.
//!
//! Each write that appended events has, after its commit, a `pg_notify` sent on [`CHANNEL`]
//! naming the relays it touched (never inside the transaction: a NOTIFY there takes a global lock
//! until commit), by the instance's `notifier`, which sends one for many writes under load. Every instance's listener (`ws::listen`) wakes its hub for those relays. The
//! notification is only a hint to read sooner: the event log stays the source of truth, and a hub
//! that misses one reads the events anyway on its fallback poll.
//!
//! The relays are recorded where events are appended ([`record`], from `EventRow::append`), on
//! the thread that runs the write; `Db::write` clears them before each run of the write and takes
//! them after the commit. SQLite records nothing: one process, whose hub wakes on its commits.
//!
//! Each payload names the instance that sent it ([`Instance`]). The writing instance's own hub
//! learns of its commits in-process, at once, so its listener passes over its own notifications
//! instead of reading the same relays a second time.

use std::cell::RefCell;
use std::collections::BTreeSet;

use diesel::prelude::*;

use super::DbConn;

/// The notification channel every instance listens on.
pub const CHANNEL: &str = "stafet_events";

/// Longest payload sent in one notification, in bytes; PostgreSQL refuses 8000 and more.
const MAX_PAYLOAD: usize = 7000;

thread_local! {
    /// Relays the write running on this thread has appended events to.
    static TOUCHED: RefCell<BTreeSet<i64>> = const { RefCell::new(BTreeSet::new()) };
}

/// Notes that the write on this thread appended an event to `relay_id` (PostgreSQL only).
pub(crate) fn record(conn: &DbConn, relay_id: i64) {
    if matches!(conn, DbConn::Pg(_)) {
        TOUCHED.with(|t| t.borrow_mut().insert(relay_id));
    }
}

/// Forgets what this thread recorded: a write starts (or runs again after a retry).
pub(crate) fn clear() {
    TOUCHED.with(|t| t.borrow_mut().clear());
}

/// The relays recorded on this thread since [`clear`], in ascending order, forgetting them.
pub(crate) fn take() -> Vec<i64> {
    TOUCHED.with(|t| std::mem::take(&mut *t.borrow_mut()).into_iter().collect())
}

/// Which instance sent a notification: random for each process, so two instances never share
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance(String);

impl Instance {
    /// A new instance's name: 64 random bits in hex.
    pub fn new() -> Self {
        Self(format!("{:016x}", rand::random::<u64>()))
    }
}

impl Default for Instance {
    fn default() -> Self {
        Self::new()
    }
}

/// The notification payloads `from` sends naming `relays`: `<instance>:` and comma-separated
/// ids, as few payloads as fit under PostgreSQL's limit.
pub fn payloads(from: &Instance, relays: &[i64]) -> Vec<String> {
    let head = format!("{}:", from.0);
    let mut out: Vec<String> = Vec::new();
    let mut current = head.clone();
    for id in relays {
        let id = id.to_string();
        if current.len() > head.len() && current.len() + 1 + id.len() > MAX_PAYLOAD {
            out.push(std::mem::replace(&mut current, head.clone()));
        }
        if current.len() > head.len() {
            current.push(',');
        }
        current.push_str(&id);
    }
    if current.len() > head.len() {
        out.push(current);
    }
    out
}

/// What a payload says: the relays it names, unless `me` sent it (this instance's hub has
/// read them already). Parts that are not ids are left out, and a payload without a sender
/// counts as another's (a notification sent by hand on the channel must not stop the listener,
/// and does wake it).
pub fn parse(payload: &str, me: &Instance) -> Vec<i64> {
    let ids = match payload.split_once(':') {
        Some((from, _)) if from == me.0 => return Vec::new(),
        Some((_, ids)) => ids,
        None => payload,
    };
    ids.split(',')
        .filter_map(|part| part.trim().parse().ok())
        .collect()
}

diesel::define_sql_function! {
    /// PostgreSQL's notification function (channel, payload).
    fn pg_notify(channel: diesel::sql_types::Text, payload: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Sends `from`'s notifications naming `relays`, outside any transaction (after the write's
/// commit).
pub(crate) fn send(conn: &mut PgConnection, from: &Instance, relays: &[i64]) -> QueryResult<()> {
    for payload in payloads(from, relays) {
        diesel::select(pg_notify(CHANNEL, payload)).execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_names_its_relays_and_parses_back_on_another_instance_only() {
        let (a, b) = (Instance::new(), Instance::new());
        assert_ne!(a, b);
        let sent = payloads(&a, &[3, 17, 200]);
        assert_eq!(sent, [format!("{}:3,17,200", a.0)]);
        assert_eq!(parse(&sent[0], &b), [3, 17, 200]);
        assert!(parse(&sent[0], &a).is_empty(), "its own hub has read them");
        assert!(payloads(&a, &[]).is_empty());
    }

    #[test]
    fn parts_that_are_not_ids_are_left_out_and_a_payload_by_hand_wakes() {
        let me = Instance::new();
        assert_eq!(parse("", &me), Vec::<i64>::new());
        assert_eq!(parse("4, x,,9 ,-", &me), [4, 9]);
        assert_eq!(parse("someone:4,x", &me), [4]);
    }

    #[test]
    fn many_relays_are_split_under_the_payload_limit_and_none_is_lost() {
        let (a, b) = (Instance::new(), Instance::new());
        let relays: Vec<i64> = (1_000_000_000..1_000_002_000).collect();
        let sent = payloads(&a, &relays);
        assert!(sent.len() > 1);
        assert!(sent.iter().all(|p| p.len() <= MAX_PAYLOAD));
        let back: Vec<i64> = sent.iter().flat_map(|p| parse(p, &b)).collect();
        assert_eq!(back, relays);
    }

    #[test]
    fn recording_on_this_thread_is_taken_once_and_sqlite_records_nothing() {
        clear();
        let sqlite = DbConn::Sqlite(SqliteConnection::establish(":memory:").unwrap());
        record(&sqlite, 5);
        assert!(take().is_empty());
        TOUCHED.with(|t| t.borrow_mut().extend([9, 2, 9]));
        assert_eq!(take(), [2, 9]);
        assert!(take().is_empty());
    }
}
