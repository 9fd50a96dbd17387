//! Batons: the right to ask one question.

use super::types::{RelaySettings, RuleViolation};

/// Batons after a round starts: topped up to `batons_per_round`, never lowered.
pub fn after_round_start(current: u32, settings: &RelaySettings) -> u32 {
    current.max(settings.batons_per_round.min(settings.max_batons))
}

/// Batons after answering a question: one more, up to `max_batons`.
pub fn after_answer(current: u32, settings: &RelaySettings) -> u32 {
    if current >= settings.max_batons {
        current
    } else {
        current + 1
    }
}

/// Batons after asking, or why the asker may not ask.
pub fn after_ask(current: u32) -> Result<u32, RuleViolation> {
    current.checked_sub(1).ok_or(RuleViolation::NoBaton)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn settings(batons_per_round: u32, max_batons: u32) -> RelaySettings {
        RelaySettings {
            batons_per_round,
            max_batons,
            ..RelaySettings::default()
        }
    }

    #[test]
    fn opening_gives_batons_per_round() {
        assert_eq!(after_round_start(0, &RelaySettings::default()), 1);
        assert_eq!(after_round_start(0, &settings(2, 3)), 2);
    }

    #[test]
    fn a_round_start_tops_up_to_batons_per_round() {
        assert_eq!(after_round_start(1, &settings(3, 5)), 3);
    }

    #[test]
    fn a_round_start_never_lowers_the_count() {
        assert_eq!(after_round_start(3, &settings(1, 3)), 3);
        assert_eq!(after_round_start(2, &settings(1, 3)), 2);
    }

    #[test]
    fn a_round_start_never_tops_up_beyond_max_batons() {
        assert_eq!(after_round_start(0, &settings(5, 2)), 2);
    }

    #[test]
    fn a_round_start_with_zero_batons_per_round_changes_nothing() {
        assert_eq!(after_round_start(0, &settings(0, 3)), 0);
        assert_eq!(after_round_start(2, &settings(0, 3)), 2);
    }

    #[test]
    fn answering_grants_one_baton() {
        assert_eq!(after_answer(0, &RelaySettings::default()), 1);
        assert_eq!(after_answer(2, &RelaySettings::default()), 3);
    }

    #[test]
    fn answering_at_max_batons_keeps_the_count() {
        assert_eq!(after_answer(3, &RelaySettings::default()), 3);
    }

    #[test]
    fn answering_above_max_batons_does_not_lower_the_count() {
        assert_eq!(after_answer(5, &settings(1, 3)), 5);
    }

    #[test]
    fn answering_with_max_batons_zero_grants_nothing() {
        assert_eq!(after_answer(0, &settings(0, 0)), 0);
    }

    #[test]
    fn asking_uses_one_baton() {
        assert_eq!(after_ask(1), Ok(0));
        assert_eq!(after_ask(3), Ok(2));
    }

    #[test]
    fn asking_needs_a_baton() {
        let err = after_ask(0).unwrap_err();
        assert_eq!(err, RuleViolation::NoBaton);
        assert_eq!(err.code(), "no_baton");
        assert!(!err.is_input_error());
    }

    proptest! {
        #[test]
        fn a_round_start_is_monotone_and_capped(current in 0u32..10, per in 0u32..10, max in 0u32..10) {
            let s = settings(per, max);
            let after = after_round_start(current, &s);
            prop_assert!(after >= current);
            prop_assert!(after >= per.min(max));
            prop_assert!(after <= current.max(max));
            // A second round start in a row changes nothing.
            prop_assert_eq!(after_round_start(after, &s), after);
        }

        #[test]
        fn answering_adds_at_most_one_and_never_passes_max(current in 0u32..10, max in 0u32..10) {
            let s = settings(1, max);
            let after = after_answer(current, &s);
            prop_assert!(after == current || after == current + 1);
            prop_assert!(after >= current);
            if current < max {
                prop_assert_eq!(after, current + 1);
            } else {
                prop_assert_eq!(after, current);
            }
        }

        /// Stored counts and settings at the ends of their types: no overflow, same rules.
        #[test]
        fn baton_counts_never_overflow(
            current in prop_oneof![Just(u32::MAX), any::<u32>()],
            per in prop_oneof![Just(u32::MAX), any::<u32>()],
            max in prop_oneof![Just(u32::MAX), any::<u32>()],
        ) {
            let s = settings(per, max);
            let started = after_round_start(current, &s);
            prop_assert!(started >= current && started <= current.max(max));
            let answered = after_answer(current, &s);
            prop_assert!(answered >= current && answered <= current.max(max));
        }

        #[test]
        fn asking_removes_exactly_one_or_refuses(current in 0u32..u32::MAX) {
            match after_ask(current) {
                Ok(after) => prop_assert_eq!(after + 1, current),
                Err(e) => {
                    prop_assert_eq!(current, 0);
                    prop_assert_eq!(e, RuleViolation::NoBaton);
                }
            }
        }
    }
}
