//! When retention erases a closed relay's personal data (SPEC §4 "Personal data").

use chrono::{DateTime, Duration, Utc};

/// Longest retention period a relay may set, in days (ten years).
pub const MAX_DAYS: u32 = 3650;

/// The instant retention erases a relay closed at `closed_at` with a period of `days`.
pub fn erase_at(closed_at: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    closed_at + Duration::days(i64::from(days.min(MAX_DAYS)))
}

/// Whether retention is due at `now` for a relay closed at `closed_at` (never while open).
pub fn is_due(closed_at: Option<DateTime<Utc>>, days: u32, now: DateTime<Utc>) -> bool {
    closed_at.is_some_and(|c| erase_at(c, days) <= now)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn retention_falls_due_exactly_its_period_after_closing_and_never_before_closing() {
        let closed = Utc.with_ymd_and_hms(2026, 12, 11, 8, 0, 0).unwrap();
        let at = erase_at(closed, 30);
        assert_eq!(at, closed + Duration::days(30));
        assert!(!is_due(Some(closed), 30, at - Duration::seconds(1)));
        assert!(is_due(Some(closed), 30, at));
        assert!(is_due(Some(closed), 0, closed), "0 days: at closing");
        assert!(!is_due(None, 0, at), "an open relay is never due");
        assert_eq!(erase_at(closed, u32::MAX), erase_at(closed, MAX_DAYS));
    }
}
