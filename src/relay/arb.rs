//! Strategies for the rules' property tests: the extreme values a request can carry.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use super::rounds::YEARS;

/// Any instant the time type holds: its two extremes, anything between, and instants near
/// the edges of [`YEARS`], where the bounds check must cut exactly.
pub fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    let edge = |year: i32| Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap();
    let (first, after_last) = (edge(*YEARS.start()), edge(YEARS.end() + 1));
    prop_oneof![
        Just(min),
        Just(max),
        (min.timestamp()..=max.timestamp()).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap()),
        (-100_000i64..100_000).prop_map(move |m| first + Duration::minutes(m)),
        (-100_000i64..100_000).prop_map(move |m| after_last + Duration::minutes(m)),
    ]
}

/// Rounds with any instants at all, in any order, as a request may send them.
pub fn any_rounds() -> impl Strategy<Value = Vec<super::Round>> {
    prop::collection::vec((any_instant(), any_instant()), 0..6).prop_map(|times| {
        times
            .into_iter()
            .enumerate()
            .map(|(i, (starts_at, ends_at))| super::Round {
                name: format!("R{i}"),
                starts_at,
                ends_at,
                prompt: None,
            })
            .collect()
    })
}
