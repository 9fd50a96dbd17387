//! The live fan-out: after every commit, new events are read from the log once and handed to
//! the connections of their audience.
//!
//! The event log in the database is the source of truth; the hub only remembers who is
//! connected, and with which credential, so that [`revocation`] can end the connections whose
//! credential stops granting access. Each connection has a bounded queue: a client that cannot keep up is dropped
//! rather than allowed to hold memory or slow anyone else, and recovers by replay on reconnect.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::gaps::Gaps;
use super::listen::{self, Wake};
use super::relay_cursors::RelayCursors;
use super::revocation;
use crate::auth::access::Denied;
use crate::db::Db;
use crate::db::events::EventRow;
use crate::ops::views;

/// Whose events a connection receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feed {
    /// One participant's events.
    Participant(i64),
    /// A relay's staff feed.
    Staff(i64),
}

impl Feed {
    /// The feed an event row belongs to.
    pub fn of(e: &EventRow) -> Self {
        match e.participant_id {
            Some(p) => Self::Participant(p),
            None => Self::Staff(e.relay_id),
        }
    }
}

/// An event ready to send, serialised once for every listener.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The event's id.
    pub id: i64,
    /// Its JSON text.
    pub text: Arc<str>,
    /// Whether the event may end its listener's access: the listener re-checks its credential
    /// before it sends this event or anything after it.
    pub recheck: bool,
}

impl Outgoing {
    /// `e` as its listeners get it.
    pub fn of(e: &EventRow) -> Self {
        Self {
            id: e.id,
            text: event_json(e).into(),
            recheck: revocation::may_end_access(e),
        }
    }
}

/// Events a connection may have queued before it counts as too slow.
pub const QUEUE: usize = 256;

/// One connection as the hub knows it.
struct Listener {
    id: u64,
    credential: i64,
    tx: mpsc::Sender<Outgoing>,
    end: Option<oneshot::Sender<Denied>>,
}

#[derive(Default)]
struct Subscribers {
    by_feed: HashMap<Feed, Vec<Listener>>,
}

/// A connection's registration: its events, and the signal that its access has ended.
pub struct Subscription {
    /// Listener id, for [`Hub::unsubscribe`].
    pub id: u64,
    /// The feed's events, in id order; closed when the connection fell too far behind.
    pub events: mpsc::Receiver<Outgoing>,
    /// Fires once when the connection's credential stops granting access.
    pub ended: oneshot::Receiver<Denied>,
}

/// Cloneable handle to the live fan-out.
#[derive(Clone, Default)]
pub struct Hub {
    subs: Arc<Mutex<Subscribers>>,
    next_id: Arc<AtomicU64>,
    dropped: Arc<AtomicU64>,
}

/// The JSON text of an event as clients receive it (see [`views::EventView`]).
pub fn event_json(e: &EventRow) -> String {
    serde_json::to_string(&views::event(e)).expect("an event view always serialises")
}

impl Hub {
    /// Registers a listener for `feed` that presented credential `credential`.
    pub fn subscribe(&self, feed: Feed, credential: i64) -> Subscription {
        let (tx, events) = mpsc::channel(QUEUE);
        let (end, ended) = oneshot::channel();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock().by_feed.entry(feed).or_default().push(Listener {
            id,
            credential,
            tx,
            end: Some(end),
        });
        Subscription { id, events, ended }
    }

    /// Removes a listener.
    pub fn unsubscribe(&self, feed: Feed, id: u64) {
        let mut subs = self.lock();
        if let Some(list) = subs.by_feed.get_mut(&feed) {
            list.retain(|l| l.id != id);
            if list.is_empty() {
                subs.by_feed.remove(&feed);
            }
        }
    }

    /// Connected listeners.
    pub fn connections(&self) -> usize {
        self.lock().by_feed.values().map(Vec::len).sum()
    }

    /// Listeners dropped for being too slow since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The credentials of the connected listeners, each once.
    pub fn credentials(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .lock()
            .by_feed
            .values()
            .flatten()
            .map(|l| l.credential)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Ends every listener that presented `credential`: no event reaches it any more, and it
    /// is told why.
    pub fn end(&self, credential: i64, why: Denied) {
        self.end_where(why, |_, c| c == credential);
    }

    /// The staff feeds listened to, as (relay, credential) pairs, each pair once.
    pub fn staff_listeners(&self) -> Vec<(i64, i64)> {
        let mut pairs: Vec<(i64, i64)> = self
            .lock()
            .by_feed
            .iter()
            .filter_map(|(feed, list)| match feed {
                Feed::Staff(relay) => Some(
                    list.iter()
                        .map(|l| (*relay, l.credential))
                        .collect::<Vec<_>>(),
                ),
                Feed::Participant(_) => None,
            })
            .flatten()
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }

    /// Ends the listeners of `feed` that presented `credential`, telling them why.
    pub fn end_on(&self, feed: Feed, credential: i64, why: Denied) {
        self.end_where(why, |f, c| *f == feed && c == credential);
    }

    /// Ends the listeners `ends(feed, credential)` picks.
    fn end_where(&self, why: Denied, ends: impl Fn(&Feed, i64) -> bool) {
        let mut subs = self.lock();
        subs.by_feed.retain(|feed, list| {
            list.retain_mut(|l| {
                if !ends(feed, l.credential) {
                    return true;
                }
                if let Some(end) = l.end.take() {
                    let _ = end.send(why);
                }
                false
            });
            !list.is_empty()
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Subscribers> {
        self.subs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands `rows` (in id order) to their listeners.
    pub fn dispatch(&self, rows: &[EventRow]) {
        let mut subs = self.lock();
        for e in rows {
            let feed = Feed::of(e);
            let Some(list) = subs.by_feed.get_mut(&feed) else {
                continue;
            };
            let out = Outgoing::of(e);
            list.retain(|l| match l.tx.try_send(out.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    // Dropping the sender ends the connection once it has drained its queue;
                    // the client reconnects with `since` and misses nothing.
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
            if list.is_empty() {
                subs.by_feed.remove(&feed);
            }
        }
    }

    /// Runs until the process ends: after each local commit, reads the events it added and
    /// dispatches them (on SQLite everything past the cursor; on PostgreSQL the relays the
    /// commits touched). On PostgreSQL, where other instances commit too, it also reads the
    /// relays the listener (see [`listen`](super::listen)) names, the whole log every
    /// [`POLL_EVERY`] and after the listener reconnects, and reads again the ids it passed
    /// unseen (see [`gaps`](super::gaps)).
    pub async fn run(self, db: Db) {
        let mut commits = db.commits();
        let start = match db.read(|conn| Ok(EventRow::max_id(conn)?)).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "live feed could not start");
                return;
            }
        };
        let mut log = LogCursor {
            at: start,
            gaps: db.is_postgres().then(Gaps::default),
        };
        let mut relays = RelayCursors::new(start);
        let mut wakes = db.postgres_url().zip(db.instance()).and_then(|(url, me)| {
            listen::spawn(url.to_string(), me.clone())
                .inspect_err(|e| tracing::error!(error = %e, "live feed listener did not start"))
                .ok()
        });
        let mut poll = tokio::time::interval(POLL_EVERY);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let gap = if db.is_postgres() {
            READ_GAP
        } else {
            Duration::ZERO
        };
        let mut read_at: Option<Instant> = None;
        loop {
            let first = tokio::select! {
                changed = commits.changed() => match changed {
                    Ok(()) => local_wake(&db),
                    Err(_) => return,
                },
                wake = next_wake(&mut wakes) => match wake {
                    Some(wake) => wake,
                    None => {
                        wakes = None;
                        continue;
                    }
                },
                _ = poll.tick(), if db.is_postgres() => Wake::CatchUp,
            };
            let mut woken = vec![first];
            if let Some(rest) = read_at.and_then(|at| gap.checked_sub(at.elapsed())) {
                tokio::time::sleep(rest).await;
                if commits.has_changed().unwrap_or(false) {
                    commits.borrow_and_update();
                    woken.push(local_wake(&db));
                }
            }
            read_at = Some(Instant::now());
            match Read::of(woken, wakes.as_mut()) {
                Read::Log => self.read_log(&db, &mut log, &mut relays).await,
                Read::Relays(ids) => self.read_relays(&db, ids, &mut relays).await,
            }
        }
    }

    /// Reads and dispatches every event past the log cursor (and the gaps).
    async fn read_log(&self, db: &Db, log: &mut LogCursor, relays: &mut RelayCursors) {
        loop {
            let from = log.at;
            let missed = log.gaps.as_ref().map(Gaps::ids).unwrap_or_default();
            let rows = match db
                .read_live(move |conn| Ok(EventRow::after_or_among(conn, from, missed, READ_PAGE)?))
                .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(error = %e, "live feed read failed");
                    return;
                }
            };
            log.at = match &mut log.gaps {
                Some(gaps) => {
                    let ids: Vec<i64> = rows.iter().map(|e| e.id).collect();
                    gaps.record(from, &ids, Instant::now())
                }
                None => rows.last().map_or(from, |e| e.id),
            };
            let full = rows.len() == READ_PAGE as usize;
            self.dispatch(&relays.admit(rows));
            if !full {
                return;
            }
        }
    }

    /// Reads and dispatches the new events of the relays `ids`, each past its cursor.
    async fn read_relays(&self, db: &Db, ids: Vec<i64>, relays: &mut RelayCursors) {
        while !ids.is_empty() {
            let cursors: Vec<(i64, i64)> = ids.iter().map(|&r| (r, relays.after(r))).collect();
            let rows = match db
                .read_live(move |conn| Ok(EventRow::of_relays_after(conn, &cursors, READ_PAGE)?))
                .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(error = %e, ?ids, "live feed read failed");
                    return;
                }
            };
            let full = rows.len() == READ_PAGE as usize;
            self.dispatch(&relays.admit(rows));
            if !full {
                return;
            }
        }
    }
}

/// Where the whole-log read stands: the cursor, and on PostgreSQL the ids it passed unseen.
struct LogCursor {
    at: i64,
    gaps: Option<Gaps>,
}

/// What the hub reads next.
enum Read {
    /// Everything after the log cursor.
    Log,
    /// These relays' new events.
    Relays(Vec<i64>),
}

impl Read {
    /// What to read for `woken` and the wake-ups already waiting behind them, taken together.
    fn of(woken: Vec<Wake>, more: Option<&mut mpsc::Receiver<Wake>>) -> Self {
        let mut relays = BTreeSet::new();
        let mut catch_up = false;
        let mut take = |w: Wake| match w {
            Wake::Relays(ids) => relays.extend(ids),
            Wake::CatchUp => catch_up = true,
        };
        woken.into_iter().for_each(&mut take);
        if let Some(rx) = more {
            while let Ok(w) = rx.try_recv() {
                take(w);
            }
        }
        if catch_up {
            Self::Log
        } else {
            Self::Relays(relays.into_iter().collect())
        }
    }
}

/// What a local commit asks the hub to read: on PostgreSQL the relays this instance's commits
/// touched, on SQLite everything after the cursor.
fn local_wake(db: &Db) -> Wake {
    match db.take_touched() {
        Some(touched) => Wake::Relays(touched),
        None => Wake::CatchUp,
    }
}

/// The listener's next wake-up; never, without a listener.
async fn next_wake(wakes: &mut Option<mpsc::Receiver<Wake>>) -> Option<Wake> {
    match wakes {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// How often the hub reads the whole log on PostgreSQL, in case a notification was lost.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

/// The shortest time between two reads on PostgreSQL. The first after a quiet spell goes at
/// once; under load the commits and notifications within one gap are read together, one
/// statement instead of one each (1.5 reads per write at 500 writes/s on two instances
/// without it). SQLite reads in-process and has no such gap.
const READ_GAP: Duration = Duration::from_millis(5);

/// Most events the fan-out reads at once.
const READ_PAGE: i64 = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, participant: i64) -> EventRow {
        EventRow {
            id,
            relay_id: 1,
            participant_id: Some(participant),
            kind: crate::relay::EventKind::QuestionReceived,
            data: "{}".into(),
            created_at: chrono::DateTime::UNIX_EPOCH.naive_utc(),
        }
    }

    #[tokio::test]
    async fn a_listener_that_stops_reading_is_dropped_and_the_others_get_everything() {
        let hub = Hub::default();
        let mut slow = hub.subscribe(Feed::Participant(1), 10);
        let mut fast = hub.subscribe(Feed::Participant(1), 11);
        let mut fast_got = Vec::new();
        for id in 1..=(QUEUE as i64 * 2) {
            hub.dispatch(&[event(id, 1)]);
            while let Ok(o) = fast.events.try_recv() {
                fast_got.push(o.id);
            }
        }
        assert_eq!(fast_got.len(), QUEUE * 2, "the reader got every event");
        let mut slow_got = 0;
        while slow.events.recv().await.is_some() {
            slow_got += 1;
        }
        assert_eq!(
            slow_got, QUEUE,
            "the stalled listener kept its queue, then was cut off"
        );
        assert_eq!(hub.dropped(), 1);
        assert_eq!(hub.connections(), 1);
    }

    #[test]
    fn events_reach_only_their_own_feed() {
        let hub = Hub::default();
        let mut one = hub.subscribe(Feed::Participant(1), 10);
        let mut staff = hub.subscribe(Feed::Staff(1), 11);
        hub.dispatch(&[event(1, 2), event(2, 1)]);
        assert_eq!(one.events.try_recv().unwrap().id, 2);
        assert!(one.events.try_recv().is_err());
        assert!(staff.events.try_recv().is_err());
    }

    #[test]
    fn ending_a_credential_ends_each_of_its_listeners_and_no_other() {
        let hub = Hub::default();
        let mut phone = hub.subscribe(Feed::Participant(1), 7);
        let mut laptop = hub.subscribe(Feed::Participant(1), 7);
        let mut other = hub.subscribe(Feed::Participant(1), 8);
        assert_eq!(hub.credentials(), vec![7, 8]);

        hub.end(7, Denied::Suspended);
        hub.dispatch(&[event(1, 1)]);

        for ended in [&mut phone, &mut laptop] {
            assert_eq!(ended.ended.try_recv(), Ok(Denied::Suspended));
            assert!(ended.events.try_recv().is_err(), "nothing after the end");
        }
        assert!(other.ended.try_recv().is_err());
        assert_eq!(other.events.try_recv().unwrap().id, 1);
        assert_eq!(hub.credentials(), vec![8]);
    }
}
