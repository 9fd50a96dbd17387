//! What one connection has sent, and what a `since` asks of it (SPEC §4: "either way a
//! connection never sends the same event id twice").
//!
//! A single "last id sent" cannot answer a `since` below it: it cannot tell the ids under it
//! that went out from those that happened before the connection began. So the cursor keeps the
//! range it covers, `(start, last]`: every event of the feed in that range has been sent on this
//! connection (or the client said it had it), and nothing at or below `start` has been sent.
//!
//! - Live events and replays send only ids above `last`, so they go out strictly increasing.
//! - `since` at or above `start` (in the URL, or `{"since": X}` at any time): nothing up to
//!   `max(X, last)` is sent (again); the connection goes on above it.
//! - `since` below `start`: the events in `(since, start]`, which this connection has never
//!   sent, are sent in id order, and the covered range grows down to `since`. The URL's `since`
//!   is this case on a connection that starts at the end of the log, so both ways of asking
//!   are one rule. A `{"since": X}` that arrives after live events have gone out gets its older
//!   events after them: a client that wants one strictly increasing stream gives `since` in the
//!   URL, or sends it before the first event.

/// The ids a connection has covered: `(start, last]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    start: i64,
    last: i64,
}

/// Events a `since` asks the connection to send from the log: those in `(after, upto]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backfill {
    /// The `since` given.
    pub after: i64,
    /// The connection's old start: nothing above it may be sent again.
    pub upto: i64,
}

impl Cursor {
    /// A connection that begins at `id` (the end of the log when it opened): nothing sent.
    pub fn at(id: i64) -> Self {
        Self {
            start: id,
            last: id,
        }
    }

    /// The highest id covered.
    pub fn last(&self) -> i64 {
        self.last
    }

    /// Whether event `id` (live, or read from the log after `last`) goes out; if so it is the
    /// new `last`. Ids at or below `last` were sent already, or are older than the connection.
    pub fn admit(&mut self, id: i64) -> bool {
        let new = id > self.last;
        if new {
            self.last = id;
        }
        new
    }

    /// The client says it has seen every event up to `since`: what must be sent from the log.
    pub fn since(&mut self, since: i64) -> Option<Backfill> {
        if since >= self.start {
            self.last = self.last.max(since);
            return None;
        }
        let upto = self.start;
        self.start = since;
        Some(Backfill { after: since, upto })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_since_below_what_went_out_live_sends_only_the_older_events() {
        let mut c = Cursor::at(100);
        assert!(c.admit(105));
        assert!(c.admit(107));
        assert!(!c.admit(105), "never twice");
        assert_eq!(
            c.since(90),
            Some(Backfill {
                after: 90,
                upto: 100
            })
        );
        assert_eq!(c.since(95), None, "(90, 107] is covered now");
        assert_eq!(c.since(100), None);
        assert!(!c.admit(107));
        assert!(c.admit(108));
    }

    #[test]
    fn a_since_at_or_above_the_start_sends_nothing_again() {
        let mut c = Cursor::at(10);
        c.admit(12);
        assert_eq!(c.since(10), None);
        assert_eq!(c.since(11), None);
        assert!(!c.admit(12));
        // A client that says it has more than was sent is believed.
        assert_eq!(c.since(20), None);
        assert!(!c.admit(18));
        assert!(c.admit(21));
    }

    #[test]
    fn the_url_since_is_a_backfill_up_to_the_log_end() {
        let mut c = Cursor::at(50);
        assert_eq!(c.since(0), Some(Backfill { after: 0, upto: 50 }));
        assert!(c.admit(51));
    }

    /// One connection: a feed of ids `1..=feed_len` of which those above `start` arrive live,
    /// with `since` requests (each for an id that exists by then) between the live events.
    /// Returns what the connection sent and the lowest id a client asked to have.
    fn simulate(feed_len: i64, start: i64, script: &[(bool, i64)]) -> (Vec<i64>, i64) {
        let mut c = Cursor::at(start);
        let mut sent = Vec::new();
        let mut lowest = start;
        let mut next_live = start + 1;
        let live = |c: &mut Cursor, sent: &mut Vec<i64>, id: i64| {
            if c.admit(id) {
                sent.push(id);
            }
        };
        for &(ask, n) in script {
            if ask {
                let since = n.rem_euclid(next_live);
                lowest = lowest.min(since);
                if let Some(b) = c.since(since) {
                    sent.extend(b.after + 1..=b.upto);
                }
            } else if next_live <= feed_len {
                live(&mut c, &mut sent, next_live);
                next_live += 1;
            }
        }
        for id in next_live..=feed_len {
            live(&mut c, &mut sent, id);
        }
        (sent, lowest)
    }

    proptest! {
        #[test]
        fn every_id_asked_for_goes_out_exactly_once(
            feed_len in 1i64..60,
            start_frac in 0.0f64..1.0,
            script in prop::collection::vec((any::<bool>(), 0i64..100), 0..40),
        ) {
            let start = (feed_len as f64 * start_frac) as i64;
            let (sent, lowest) = simulate(feed_len, start, &script);
            let expected: Vec<i64> = (lowest + 1..=feed_len).collect();
            let mut got = sent.clone();
            got.sort_unstable();
            prop_assert_eq!(got, expected, "sent {:?}", sent);
            // Each id goes out above everything sent before it (live, or the log in order), or
            // starts or continues a backfill: in order, below everything sent before the
            // backfill began.
            let (mut hi, mut lo, mut floor, mut prev) = (i64::MIN, i64::MAX, i64::MAX, i64::MIN);
            for &id in &sent {
                if id > hi {
                    hi = id;
                    floor = i64::MAX;
                } else if floor != i64::MAX && id > prev && id < floor {
                    // continues the backfill
                } else if id < lo {
                    floor = lo;
                } else {
                    prop_assert!(false, "out of order at {}: {:?}", id, sent);
                }
                lo = lo.min(id);
                prev = id;
            }
        }
    }
}
