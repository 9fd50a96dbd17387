//! How far the live fan-out has dispatched each relay's events.
//!
//! The hub reads events in two ways: everything after its cursor (after a local commit on
//! SQLite, on the fallback poll, after its listener reconnects) and some relays' new events
//! (after a local commit on PostgreSQL, on a notification naming them). Both hand their rows
//! through here, which lets through only the events of a relay above the highest already
//! dispatched for that relay: an event read both ways goes out once, and a wake-up for a relay
//! reads from where that relay stands.
//!
//! One relay's events become visible in id order (its writes lock its row), so nothing above a
//! relay's cursor was passed over; and each connection's own cursor drops what it already sent.

use std::collections::HashMap;

use crate::db::events::EventRow;

/// Each relay's highest dispatched event id.
#[derive(Debug, Clone)]
pub struct RelayCursors {
    /// The end of the log when the hub started: nothing at or below it is dispatched.
    floor: i64,
    last: HashMap<i64, i64>,
}

impl RelayCursors {
    /// Cursors for a hub that starts when the log ends at `floor`.
    pub fn new(floor: i64) -> Self {
        Self {
            floor,
            last: HashMap::new(),
        }
    }

    /// The highest id of `relay` dispatched (or the start floor).
    pub fn after(&self, relay: i64) -> i64 {
        self.last.get(&relay).copied().unwrap_or(self.floor)
    }

    /// Keeps the rows (in id order) that go out: those above their relay's cursor, which then
    /// moves up to them.
    pub fn admit(&mut self, rows: Vec<EventRow>) -> Vec<EventRow> {
        rows.into_iter()
            .filter(|e| {
                let last = self.last.entry(e.relay_id).or_insert(self.floor);
                let new = e.id > *last;
                if new {
                    *last = e.id;
                }
                new
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, relay_id: i64) -> EventRow {
        EventRow {
            id,
            relay_id,
            participant_id: None,
            kind: crate::relay::EventKind::QuestionReceived,
            data: "{}".into(),
            created_at: chrono::DateTime::UNIX_EPOCH.naive_utc(),
        }
    }

    fn ids(rows: &[EventRow]) -> Vec<i64> {
        rows.iter().map(|e| e.id).collect()
    }

    #[test]
    fn an_event_read_both_ways_goes_out_once() {
        let mut c = RelayCursors::new(10);
        // A notification for relay 1 reads its events first ...
        assert_eq!(ids(&c.admit(vec![event(11, 1), event(13, 1)])), [11, 13]);
        assert_eq!(c.after(1), 13);
        // ... then the poll reads the whole log after its own cursor.
        let all = vec![event(11, 1), event(12, 2), event(13, 1), event(14, 1)];
        assert_eq!(ids(&c.admit(all)), [12, 14]);
        assert_eq!((c.after(1), c.after(2)), (14, 12));
    }

    #[test]
    fn a_relay_never_seen_starts_at_the_floor() {
        let mut c = RelayCursors::new(50);
        assert_eq!(c.after(7), 50);
        assert!(c.admit(vec![event(49, 7), event(50, 7)]).is_empty());
        assert_eq!(ids(&c.admit(vec![event(51, 7)])), [51]);
    }

    #[test]
    fn each_relay_moves_on_its_own() {
        let mut c = RelayCursors::new(0);
        c.admit(vec![event(5, 1)]);
        // Relay 2's id 3 commits after relay 1's 5: it still goes out.
        assert_eq!(ids(&c.admit(vec![event(3, 2)])), [3]);
        assert_eq!((c.after(1), c.after(2)), (5, 3));
    }
}
