//! Event ids the live fan-out has passed without seeing, on PostgreSQL.
//!
//! A sequence hands out ids at insert, not at commit. Writes of one relay lock its row, so one
//! relay's events become visible in id order; but a write of relay B may commit id 101 while
//! relay A's write still holds id 100. The hub's reader that moved its cursor to 101 must still
//! pick up 100 when it commits. It remembers every id it passed without seeing (a gap) and asks
//! for those again with the next read, until it sees them or until [`GAP_WAIT`] has passed (an id
//! whose write rolled back, or whose event was deleted, never shows up).
//!
//! On SQLite the one writer commits ids in order: no gap is tracked there.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long an id passed unseen is asked for again. A write holds an event id from its insert
/// to its commit: milliseconds, seconds under heavy load; never this long.
pub const GAP_WAIT: Duration = Duration::from_secs(60);

/// Ids passed without being seen, with when they were first missed.
#[derive(Debug, Default)]
pub struct Gaps {
    missed: BTreeMap<i64, Instant>,
}

impl Gaps {
    /// The ids to ask for again beside those after the cursor, oldest first.
    pub fn ids(&self) -> Vec<i64> {
        self.missed.keys().copied().collect()
    }

    /// Takes in a read: the ids `seen` (in any order) after a cursor that was `cursor`, at
    /// `now`. Ids between the old cursor and the highest seen that were not seen become gaps;
    /// gaps seen now are filled; gaps older than [`GAP_WAIT`] are given up. Returns the new
    /// cursor.
    pub fn record(&mut self, cursor: i64, seen: &[i64], now: Instant) -> i64 {
        for id in seen {
            self.missed.remove(id);
        }
        let top = seen.iter().copied().max().unwrap_or(cursor).max(cursor);
        let mut passed: Vec<i64> = seen.iter().copied().filter(|&id| id > cursor).collect();
        passed.sort_unstable();
        let mut next = cursor + 1;
        for id in passed {
            for missing in next..id {
                self.missed.insert(missing, now);
            }
            next = id + 1;
        }
        self.missed
            .retain(|_, since| now.saturating_duration_since(*since) < GAP_WAIT);
        top
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_passed_unseen_are_asked_for_until_seen() {
        let mut gaps = Gaps::default();
        let t = Instant::now();
        assert_eq!(gaps.record(10, &[11, 14], t), 14);
        assert_eq!(gaps.ids(), [12, 13]);
        // 13 commits later, with 15.
        assert_eq!(gaps.record(14, &[13, 15], t), 15);
        assert_eq!(gaps.ids(), [12]);
        assert_eq!(gaps.record(15, &[12], t), 15);
        assert!(gaps.ids().is_empty());
    }

    #[test]
    fn a_read_with_nothing_new_keeps_the_cursor() {
        let mut gaps = Gaps::default();
        assert_eq!(gaps.record(7, &[], Instant::now()), 7);
        assert!(gaps.ids().is_empty());
    }

    #[test]
    fn an_id_that_never_shows_up_is_given_up_after_the_wait() {
        let mut gaps = Gaps::default();
        let t = Instant::now();
        gaps.record(0, &[2], t);
        assert_eq!(gaps.ids(), [1]);
        gaps.record(2, &[], t + GAP_WAIT - Duration::from_millis(1));
        assert_eq!(gaps.ids(), [1]);
        gaps.record(2, &[], t + GAP_WAIT);
        assert!(gaps.ids().is_empty());
    }
}
