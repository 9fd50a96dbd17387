//! Rounds: defaults, validation, shifting on early opening, and which round is current.

use std::ops::RangeInclusive;

use chrono::{DateTime, Datelike as _, Duration, Utc};

use super::text;
use super::types::{Round, RuleViolation};

/// Number of rounds a relay gets when none are given.
pub const DEFAULT_ROUNDS: u32 = 4;
/// Length of a default round.
pub const DEFAULT_ROUND_HOURS: i64 = 24;

/// The years a relay's dates may fall in: wide enough for any real relay, and so far inside
/// what the time type holds that no date plus a round length or a setting's hours can
/// overflow it.
pub const YEARS: RangeInclusive<i32> = 2000..=2100;

/// Checks that `t`, the date a request calls `what`, falls in [`YEARS`].
pub fn check_date(what: &str, t: DateTime<Utc>) -> Result<(), RuleViolation> {
    if YEARS.contains(&t.year()) {
        Ok(())
    } else {
        Err(RuleViolation::Invalid(format!(
            "{what} must fall in the years {} to {}",
            YEARS.start(),
            YEARS.end()
        )))
    }
}

/// Four consecutive 24-hour rounds from `starts_at`, named after the relay's language.
pub fn default_rounds(
    starts_at: DateTime<Utc>,
    language: &str,
) -> Result<Vec<Round>, RuleViolation> {
    check_date("starts_at", starts_at)?;
    let word = if language == "da" { "Dag" } else { "Day" };
    Ok((0..DEFAULT_ROUNDS)
        .map(|i| {
            let start = starts_at + Duration::hours(DEFAULT_ROUND_HOURS * i64::from(i));
            Round {
                name: format!("{word} {}", i + 1),
                starts_at: start,
                ends_at: start + Duration::hours(DEFAULT_ROUND_HOURS),
                prompt: None,
            }
        })
        .collect())
}

/// Checks that rounds exist, are named, are non-empty, follow each other without overlap and
/// fall in [`YEARS`].
pub fn validate(rounds: &[Round]) -> Result<(), RuleViolation> {
    if rounds.is_empty() {
        return Err(RuleViolation::Invalid(
            "a relay needs at least one round".into(),
        ));
    }
    if rounds.len() > 100 {
        return Err(RuleViolation::Invalid(
            "a relay has at most 100 rounds".into(),
        ));
    }
    for (i, r) in rounds.iter().enumerate() {
        if text::validate("round name", &r.name, (1, 100)).is_err() {
            return Err(RuleViolation::Invalid(format!(
                "round {} needs a name of 1 to 100 characters",
                i + 1
            )));
        }
        if r.prompt
            .as_deref()
            .is_some_and(|p| text::validate("prompt", p, (0, 2_000)).is_err())
        {
            return Err(RuleViolation::Invalid(format!(
                "the prompt of round {} is longer than 2000 characters",
                i + 1
            )));
        }
        check_date(&format!("the start of round {}", i + 1), r.starts_at)?;
        check_date(&format!("the end of round {}", i + 1), r.ends_at)?;
        if r.ends_at <= r.starts_at {
            return Err(RuleViolation::Invalid(format!(
                "round {} must end after it starts",
                i + 1
            )));
        }
        if i > 0 && r.starts_at < rounds[i - 1].ends_at {
            return Err(RuleViolation::Invalid(format!(
                "round {} starts before round {} ends",
                i + 1,
                i
            )));
        }
    }
    Ok(())
}

/// The start of a copy of a relay whose round 1 starts at `start`: the same instant when it
/// is still ahead of `now`, else that instant moved on by whole weeks to the first one after
/// `now`, so the copy keeps the weekday and time of day the participants were used to.
pub fn next_weekly_start(start: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    if start > now {
        return start;
    }
    let week = Duration::weeks(1);
    let weeks = (now - start).num_seconds() / week.num_seconds() + 1;
    start + Duration::seconds(week.num_seconds() * weeks)
}

/// Moves every round by the same amount so that round 1 starts at `now`; lengths and gaps stay.
/// Fails, rather than overflowing, when a moved round would leave what the time type holds;
/// [`validate`] then holds the moved rounds to [`YEARS`].
pub fn shift_to_start(rounds: &[Round], now: DateTime<Utc>) -> Result<Vec<Round>, RuleViolation> {
    let Some(first) = rounds.first() else {
        return Ok(Vec::new());
    };
    let delta = now.signed_duration_since(first.starts_at);
    let moved = |t: DateTime<Utc>| {
        t.checked_add_signed(delta)
            .ok_or_else(|| RuleViolation::Invalid("the rounds cannot be moved that far".into()))
    };
    rounds
        .iter()
        .map(|r| {
            Ok(Round {
                starts_at: moved(r.starts_at)?,
                ends_at: moved(r.ends_at)?,
                ..r.clone()
            })
        })
        .collect()
}

/// Index of the round whose window contains `now`, if any.
pub fn current(rounds: &[Round], now: DateTime<Utc>) -> Option<usize> {
    rounds
        .iter()
        .position(|r| r.starts_at <= now && now < r.ends_at)
}

/// Index of the latest round that has started by `now` (the round a question asked now belongs
/// to, even in a gap between rounds).
pub fn latest_started(rounds: &[Round], now: DateTime<Utc>) -> Option<usize> {
    rounds.iter().rposition(|r| r.starts_at <= now)
}

/// The end of the relay: the end of its last round.
pub fn relay_end(rounds: &[Round]) -> Option<DateTime<Utc>> {
    rounds.last().map(|r| r.ends_at)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;
    use crate::relay::arb::{any_instant, any_rounds};

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 3, 8, 0, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn a_copy_starts_when_the_original_did_or_whole_weeks_later_once_that_has_passed() {
        let start = t(0);
        assert_eq!(next_weekly_start(start, t(-1)), start, "still ahead: kept");
        assert_eq!(
            next_weekly_start(start, start),
            t(7 * 24),
            "not strictly ahead"
        );
        assert_eq!(next_weekly_start(start, t(24 * 20)), t(24 * 21));
        assert_eq!(next_weekly_start(start, t(24 * 21)), t(24 * 28));
    }

    fn round(name: &str, from: i64, to: i64) -> Round {
        Round {
            name: name.into(),
            starts_at: t(from),
            ends_at: t(to),
            prompt: None,
        }
    }

    fn invalid(rounds: &[Round]) -> String {
        match validate(rounds) {
            Err(RuleViolation::Invalid(msg)) => msg,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn default_rounds_are_four_consecutive_days_from_the_start() {
        let rs = default_rounds(t(0), "en").unwrap();
        assert_eq!(rs.len(), 4);
        for (i, r) in rs.iter().enumerate() {
            let i = i as i64;
            assert_eq!(r.starts_at, t(24 * i));
            assert_eq!(r.ends_at, t(24 * (i + 1)));
            assert_eq!(r.name, format!("Day {}", i + 1));
            assert_eq!(r.prompt, None);
        }
        assert_eq!(validate(&rs), Ok(()));
        assert_eq!(relay_end(&rs), Some(t(96)));
    }

    #[test]
    fn default_rounds_are_named_in_danish_for_a_danish_relay() {
        let names: Vec<String> = default_rounds(t(0), "da")
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["Dag 1", "Dag 2", "Dag 3", "Dag 4"]);
    }

    #[test]
    fn dates_must_fall_in_the_years_2000_to_2100() {
        let at = |y, mo, d, h, mi, s| Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap();
        assert_eq!(check_date("starts_at", at(2000, 1, 1, 0, 0, 0)), Ok(()));
        assert_eq!(
            check_date("starts_at", at(2100, 12, 31, 23, 59, 59)),
            Ok(())
        );
        assert_eq!(
            check_date("starts_at", at(1999, 12, 31, 23, 59, 59)),
            Err(RuleViolation::Invalid(
                "starts_at must fall in the years 2000 to 2100".into()
            ))
        );
        assert!(check_date("starts_at", at(2101, 1, 1, 0, 0, 0)).is_err());
        // The largest instant the type holds: four days later would overflow it.
        assert!(default_rounds(DateTime::<Utc>::MAX_UTC, "da").is_err());
        // Four days from the last minute allowed end past the allowed years.
        let late = default_rounds(at(2100, 12, 31, 23, 59, 0), "da").unwrap();
        assert_eq!(
            invalid(&late),
            "the end of round 1 must fall in the years 2000 to 2100"
        );
    }

    #[test]
    fn a_relay_needs_at_least_one_round() {
        assert_eq!(invalid(&[]), "a relay needs at least one round");
    }

    #[test]
    fn a_single_round_is_valid() {
        assert_eq!(validate(&[round("Dag 1", 0, 1)]), Ok(()));
    }

    #[test]
    fn a_relay_has_at_most_a_hundred_rounds() {
        let ok: Vec<Round> = (0..100).map(|i| round("R", i, i + 1)).collect();
        assert_eq!(validate(&ok), Ok(()));
        let too_many: Vec<Round> = (0..101).map(|i| round("R", i, i + 1)).collect();
        assert_eq!(invalid(&too_many), "a relay has at most 100 rounds");
    }

    #[test]
    fn a_round_needs_a_name_that_is_not_blank() {
        assert_eq!(
            invalid(&[round("Dag 1", 0, 1), round("  \t ", 1, 2)]),
            "round 2 needs a name of 1 to 100 characters"
        );
        assert_eq!(
            invalid(&[round("", 0, 1)]),
            "round 1 needs a name of 1 to 100 characters"
        );
    }

    #[test]
    fn a_round_name_is_counted_in_characters() {
        assert_eq!(validate(&[round(&"æ".repeat(100), 0, 1)]), Ok(()));
        assert!(validate(&[round(&"æ".repeat(101), 0, 1)]).is_err());
        assert_eq!(
            validate(&[round(&format!("  {}  ", "ø".repeat(100)), 0, 1)]),
            Ok(())
        );
    }

    #[test]
    fn a_prompt_may_be_up_to_two_thousand_characters() {
        let mut r = round("Dag 1", 0, 1);
        r.prompt = Some("å".repeat(2_000));
        assert_eq!(validate(std::slice::from_ref(&r)), Ok(()));
        r.prompt = Some("å".repeat(2_001));
        assert_eq!(
            invalid(&[r]),
            "the prompt of round 1 is longer than 2000 characters"
        );
    }

    #[test]
    fn a_round_must_end_after_it_starts() {
        assert_eq!(
            invalid(&[round("Dag 1", 5, 5)]),
            "round 1 must end after it starts"
        );
        assert_eq!(
            invalid(&[round("Dag 1", 0, 1), round("Dag 2", 6, 5)]),
            "round 2 must end after it starts"
        );
    }

    #[test]
    fn rounds_may_not_overlap() {
        let err = validate(&[round("Dag 1", 0, 10), round("Dag 2", 9, 20)]).unwrap_err();
        assert_eq!(
            err,
            RuleViolation::Invalid("round 2 starts before round 1 ends".into())
        );
        assert!(err.is_input_error());
        assert_eq!(err.code(), "invalid");
    }

    #[test]
    fn rounds_may_not_be_out_of_order() {
        assert_eq!(
            invalid(&[round("Dag 1", 10, 20), round("Dag 2", 0, 5)]),
            "round 2 starts before round 1 ends"
        );
    }

    #[test]
    fn rounds_may_touch_or_leave_a_gap() {
        assert_eq!(
            validate(&[
                round("Dag 1", 0, 8),
                round("Dag 2", 8, 16),
                round("Dag 3", 40, 48)
            ]),
            Ok(())
        );
    }

    #[test]
    fn shifting_moves_round_one_to_now_and_keeps_lengths_gaps_names_and_prompts() {
        let mut rs = vec![round("Dag 1", 10, 18), round("Dag 2", 30, 31)];
        rs[1].prompt = Some("Hvad nu?".into());
        let shifted = shift_to_start(&rs, t(2)).unwrap();
        assert_eq!(
            shifted,
            vec![
                round("Dag 1", 2, 10),
                Round {
                    prompt: Some("Hvad nu?".into()),
                    ..round("Dag 2", 22, 23)
                }
            ]
        );
    }

    #[test]
    fn shifting_can_move_rounds_later_too() {
        let rs = vec![round("Dag 1", 0, 1)];
        assert_eq!(shift_to_start(&rs, t(5)), Ok(vec![round("Dag 1", 5, 6)]));
    }

    #[test]
    fn shifting_no_rounds_gives_no_rounds() {
        assert_eq!(shift_to_start(&[], t(0)), Ok(Vec::new()));
    }

    #[test]
    fn the_current_round_includes_its_start_and_excludes_its_end() {
        let rs = vec![
            round("Dag 1", 0, 10),
            round("Dag 2", 10, 20),
            round("Dag 3", 30, 40),
        ];
        assert_eq!(current(&rs, t(-1)), None);
        assert_eq!(current(&rs, t(0)), Some(0));
        assert_eq!(current(&rs, t(9)), Some(0));
        assert_eq!(current(&rs, t(10)), Some(1));
        assert_eq!(current(&rs, t(25)), None);
        assert_eq!(current(&rs, t(30)), Some(2));
        assert_eq!(current(&rs, t(40)), None);
    }

    #[test]
    fn the_latest_started_round_holds_through_a_gap_and_after_the_end() {
        let rs = vec![
            round("Dag 1", 0, 10),
            round("Dag 2", 10, 20),
            round("Dag 3", 30, 40),
        ];
        assert_eq!(latest_started(&rs, t(-1)), None);
        assert_eq!(latest_started(&rs, t(0)), Some(0));
        assert_eq!(latest_started(&rs, t(25)), Some(1));
        assert_eq!(latest_started(&rs, t(30)), Some(2));
        assert_eq!(latest_started(&rs, t(99)), Some(2));
    }

    #[test]
    fn the_relay_ends_with_its_last_round() {
        assert_eq!(relay_end(&[round("a", 0, 1), round("b", 3, 7)]), Some(t(7)));
        assert_eq!(relay_end(&[]), None);
    }

    /// Valid rounds: positive lengths, non-negative gaps, in minutes.
    fn arb_rounds() -> impl Strategy<Value = Vec<Round>> {
        (
            -100_000i64..100_000,
            prop::collection::vec((1i64..5_000, 0i64..5_000), 1..12),
        )
            .prop_map(|(start, parts)| {
                let mut at = t(0) + Duration::minutes(start);
                parts
                    .into_iter()
                    .enumerate()
                    .map(|(i, (len, gap))| {
                        let r = Round {
                            name: format!("Dag {}", i + 1),
                            starts_at: at,
                            ends_at: at + Duration::minutes(len),
                            prompt: None,
                        };
                        at = r.ends_at + Duration::minutes(gap);
                        r
                    })
                    .collect()
            })
    }

    proptest! {
        #[test]
        fn default_rounds_never_overflow_and_start_only_in_the_allowed_years(
            start in any_instant(),
            danish in any::<bool>(),
        ) {
            match default_rounds(start, if danish { "da" } else { "en" }) {
                Ok(rs) => {
                    prop_assert!(YEARS.contains(&start.year()));
                    prop_assert_eq!(rs[0].starts_at, start);
                    // Four days from the last days of the allowed years end past them.
                    let end = relay_end(&rs).unwrap();
                    prop_assert_eq!(validate(&rs).is_ok(), YEARS.contains(&end.year()));
                }
                Err(e) => {
                    prop_assert!(!YEARS.contains(&start.year()));
                    prop_assert!(e.is_input_error());
                }
            }
        }

        #[test]
        fn validated_rounds_lie_in_the_allowed_years(rs in any_rounds()) {
            if validate(&rs).is_ok() {
                for r in &rs {
                    prop_assert!(YEARS.contains(&r.starts_at.year()), "{:?}", r);
                    prop_assert!(YEARS.contains(&r.ends_at.year()), "{:?}", r);
                }
            }
        }

        #[test]
        fn shifting_never_overflows_and_always_works_within_the_allowed_years(
            rs in any_rounds(),
            now in any_instant(),
        ) {
            let shifted = shift_to_start(&rs, now);
            // Valid rounds moved to an allowed start stay far inside what the time type holds.
            if validate(&rs).is_ok() && YEARS.contains(&now.year()) {
                prop_assert_eq!(shifted.map(|s| s.len()), Ok(rs.len()));
            }
            let _ = (current(&rs, now), latest_started(&rs, now), relay_end(&rs));
        }

        #[test]
        fn shift_to_start_preserves_lengths_and_gaps(
            rs in arb_rounds(),
            now_min in -1_000_000i64..1_000_000,
        ) {
            prop_assert_eq!(validate(&rs), Ok(()));
            let now = t(0) + Duration::minutes(now_min);
            let shifted = shift_to_start(&rs, now).unwrap();
            prop_assert_eq!(shifted.len(), rs.len());
            prop_assert_eq!(shifted[0].starts_at, now);
            for (a, b) in rs.iter().zip(&shifted) {
                prop_assert_eq!(a.ends_at - a.starts_at, b.ends_at - b.starts_at);
                prop_assert_eq!(&a.name, &b.name);
                prop_assert_eq!(&a.prompt, &b.prompt);
            }
            for i in 1..rs.len() {
                prop_assert_eq!(
                    rs[i].starts_at - rs[i - 1].ends_at,
                    shifted[i].starts_at - shifted[i - 1].ends_at
                );
            }
            prop_assert_eq!(validate(&shifted), Ok(()));
            // Shifting again to the same moment changes nothing.
            prop_assert_eq!(shift_to_start(&shifted, now), Ok(shifted));
        }

        #[test]
        fn the_current_round_contains_now_and_is_the_latest_started(
            rs in arb_rounds(),
            offset in -10_000i64..80_000,
        ) {
            let now = rs[0].starts_at + Duration::minutes(offset);
            let inside: Vec<usize> = rs
                .iter()
                .enumerate()
                .filter(|(_, r)| r.starts_at <= now && now < r.ends_at)
                .map(|(i, _)| i)
                .collect();
            prop_assert!(inside.len() <= 1);
            prop_assert_eq!(current(&rs, now), inside.first().copied());
            if let Some(i) = current(&rs, now) {
                prop_assert_eq!(latest_started(&rs, now), Some(i));
            }
            match latest_started(&rs, now) {
                None => prop_assert!(now < rs[0].starts_at),
                Some(i) => {
                    prop_assert!(rs[i].starts_at <= now);
                    prop_assert!(rs.get(i + 1).is_none_or(|n| now < n.starts_at));
                }
            }
        }
    }
}
