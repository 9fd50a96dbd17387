//! The live fan-out: after every commit, new events are read from the log once and handed to
//! the connections of their audience.
//!
//! The event log in the database is the source of truth; the hub only remembers who is
//! connected. Each connection has a bounded queue: a client that cannot keep up is dropped
//! rather than allowed to hold memory or slow anyone else, and recovers by replay on reconnect.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::sync::mpsc;

use crate::db::models::EventRow;
use crate::db::schema::events;
use crate::db::{Db, from_db};

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

/// An event ready to send: its id and its JSON text, serialised once for every listener.
pub type Outgoing = (i64, Arc<str>);

/// Events a connection may have queued before it counts as too slow.
pub const QUEUE: usize = 256;

#[derive(Default)]
struct Subscribers {
    by_feed: HashMap<Feed, Vec<(u64, mpsc::Sender<Outgoing>)>>,
}

/// Cloneable handle to the live fan-out.
#[derive(Clone, Default)]
pub struct Hub {
    subs: Arc<Mutex<Subscribers>>,
    next_id: Arc<AtomicU64>,
    dropped: Arc<AtomicU64>,
}

/// The JSON text of an event as clients receive it: `{id, type, created_at, data}`.
pub fn event_json(e: &EventRow) -> String {
    json!({
        "id": e.id,
        "type": e.kind,
        "created_at": from_db(e.created_at),
        "data": serde_json::from_str::<serde_json::Value>(&e.data).unwrap_or_default(),
    })
    .to_string()
}

impl Hub {
    /// Registers a listener for `feed`.
    pub fn subscribe(&self, feed: Feed) -> (u64, mpsc::Receiver<Outgoing>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock().by_feed.entry(feed).or_default().push((id, tx));
        (id, rx)
    }

    /// Removes a listener.
    pub fn unsubscribe(&self, feed: Feed, id: u64) {
        let mut subs = self.lock();
        if let Some(list) = subs.by_feed.get_mut(&feed) {
            list.retain(|(i, _)| *i != id);
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
            let text: Arc<str> = event_json(e).into();
            list.retain(|(_, tx)| match tx.try_send((e.id, text.clone())) {
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

    /// Runs until the process ends: after each commit, reads the events past the cursor and
    /// dispatches them.
    pub async fn run(self, db: Db) {
        let mut commits = db.commits();
        let mut cursor = match db.read(|conn| Ok(max_event_id(conn)?)).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "live feed could not start");
                return;
            }
        };
        loop {
            if commits.changed().await.is_err() {
                return;
            }
            loop {
                let from = cursor;
                let rows = match db
                    .read_now(move |conn| Ok(events_after(conn, from, 1000)?))
                    .await
                {
                    Ok(rows) => rows,
                    Err(e) => {
                        tracing::error!(error = %e, "live feed read failed");
                        break;
                    }
                };
                let Some(last) = rows.last() else { break };
                cursor = last.id;
                self.dispatch(&rows);
                if rows.len() < 1000 {
                    break;
                }
            }
        }
    }
}

/// The highest event id so far.
pub fn max_event_id(conn: &mut crate::db::DbConn) -> diesel::QueryResult<i64> {
    use diesel::prelude::*;
    events::table
        .select(diesel::dsl::max(events::id))
        .first::<Option<i64>>(conn)
        .map(|m| m.unwrap_or(0))
}

/// Every event after `since`, oldest first, at most `limit`.
pub fn events_after(
    conn: &mut crate::db::DbConn,
    since: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<EventRow>> {
    use diesel::prelude::*;
    events::table
        .filter(events::id.gt(since))
        .order(events::id.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, participant: i64) -> EventRow {
        EventRow {
            id,
            relay_id: 1,
            participant_id: Some(participant),
            kind: "question_received".into(),
            data: "{}".into(),
            created_at: chrono::DateTime::UNIX_EPOCH.naive_utc(),
        }
    }

    #[tokio::test]
    async fn a_listener_that_stops_reading_is_dropped_and_the_others_get_everything() {
        let hub = Hub::default();
        let (_, mut slow) = hub.subscribe(Feed::Participant(1));
        let (_, mut fast) = hub.subscribe(Feed::Participant(1));
        let mut fast_got = Vec::new();
        for id in 1..=(QUEUE as i64 * 2) {
            hub.dispatch(&[event(id, 1)]);
            while let Ok((i, _)) = fast.try_recv() {
                fast_got.push(i);
            }
        }
        assert_eq!(fast_got.len(), QUEUE * 2, "the reader got every event");
        let mut slow_got = 0;
        while slow.recv().await.is_some() {
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
        let (_, mut one) = hub.subscribe(Feed::Participant(1));
        let (_, mut staff) = hub.subscribe(Feed::Staff(1));
        hub.dispatch(&[event(1, 2), event(2, 1)]);
        assert_eq!(one.try_recv().unwrap().0, 2);
        assert!(one.try_recv().is_err());
        assert!(staff.try_recv().is_err());
    }
}
