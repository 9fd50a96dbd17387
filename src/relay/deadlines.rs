//! What the clock makes due: opening, round starts, reminders, reroutes, closing.

use chrono::{DateTime, Duration, Utc};

use super::rounds;
use super::types::{RelaySettings, RelayState, Round};

/// A question waiting for its current recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDelivery {
    /// Question id.
    pub question_id: i64,
    /// When the current recipient got it.
    pub delivered_at: DateTime<Utc>,
    /// Whether the current recipient has had its reminder.
    pub reminded: bool,
}

/// The part of a relay the clock acts on.
#[derive(Debug, Clone)]
pub struct ClockView<'a> {
    /// Lifecycle state.
    pub state: RelayState,
    /// The relay's rounds in order.
    pub rounds: &'a [Round],
    /// How many rounds have had their start processed (batons topped up).
    pub rounds_started: usize,
    /// The relay's rules.
    pub settings: &'a RelaySettings,
    /// Questions waiting for an answer.
    pub pending: &'a [PendingDelivery],
}

/// One thing the scheduler must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Open the scheduled relay (round 1 has begun).
    Open,
    /// Start round `0`-based index: top up batons, tell participants.
    StartRound(usize),
    /// Send the one reminder for a question.
    Remind(i64),
    /// Withdraw a question from its recipient and pass it to another.
    Reroute(i64),
    /// Close the relay (its last round has ended).
    Close,
}

/// Everything due at `now`, in the order it must be applied.
pub fn due(view: &ClockView<'_>, now: DateTime<Utc>) -> Vec<Due> {
    let mut out = Vec::new();
    let (Some(first), Some(end)) = (view.rounds.first(), rounds::relay_end(view.rounds)) else {
        return out;
    };
    let opening = view.state == RelayState::Scheduled && now >= first.starts_at;
    if opening {
        out.push(Due::Open);
    } else if view.state != RelayState::Open {
        return out;
    }
    if now >= end {
        // Round starts and reminders for a relay that is over would only send stale email.
        out.push(Due::Close);
        return out;
    }
    let started_by_now = rounds::latest_started(view.rounds, now).map_or(0, |i| i + 1);
    // Opening starts round 1 itself, so the first round to start here is the next one.
    let from = if opening {
        1
    } else {
        view.rounds_started.max(1)
    };
    out.extend((from..started_by_now).map(Due::StartRound));
    for p in view.pending {
        let age = now - p.delivered_at;
        let reroute = view.settings.reroute_after_hours;
        if reroute > 0 && age >= Duration::hours(i64::from(reroute)) {
            out.push(Due::Reroute(p.question_id));
        } else if !p.reminded
            && view.settings.reminder_after_hours > 0
            && age >= Duration::hours(i64::from(view.settings.reminder_after_hours))
        {
            out.push(Due::Remind(p.question_id));
        }
    }
    out
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

    /// Four 24-hour rounds from t(0): the relay ends at t(96).
    fn four_days() -> Vec<Round> {
        rounds::default_rounds(t(0), "da").unwrap()
    }

    fn pending(id: i64, delivered_h: i64, reminded: bool) -> PendingDelivery {
        PendingDelivery {
            question_id: id,
            delivered_at: t(delivered_h),
            reminded,
        }
    }

    fn due_at(
        state: RelayState,
        rounds: &[Round],
        rounds_started: usize,
        settings: &RelaySettings,
        pending: &[PendingDelivery],
        now: DateTime<Utc>,
    ) -> Vec<Due> {
        due(
            &ClockView {
                state,
                rounds,
                rounds_started,
                settings,
                pending,
            },
            now,
        )
    }

    #[test]
    fn nothing_is_due_for_a_draft_or_a_closed_relay() {
        let rs = four_days();
        let s = RelaySettings::default();
        let p = [pending(1, 0, false)];
        for state in [RelayState::Draft, RelayState::Closed] {
            for h in [-5, 0, 30, 96, 500] {
                assert_eq!(
                    due_at(state, &rs, 0, &s, &p, t(h)),
                    vec![],
                    "{state:?} at {h}"
                );
            }
        }
    }

    #[test]
    fn nothing_is_due_without_rounds() {
        let s = RelaySettings::default();
        for state in [RelayState::Scheduled, RelayState::Open] {
            assert_eq!(
                due_at(state, &[], 0, &s, &[pending(1, 0, false)], t(100)),
                vec![]
            );
        }
    }

    #[test]
    fn a_scheduled_relay_waits_for_round_one() {
        let s = RelaySettings::default();
        assert_eq!(
            due_at(RelayState::Scheduled, &four_days(), 0, &s, &[], t(-1)),
            vec![]
        );
    }

    #[test]
    fn a_scheduled_relay_opens_at_the_start_of_round_one() {
        let s = RelaySettings::default();
        assert_eq!(
            due_at(RelayState::Scheduled, &four_days(), 0, &s, &[], t(0)),
            vec![Due::Open]
        );
    }

    #[test]
    fn a_late_opening_catches_up_on_the_rounds_that_have_begun_in_order() {
        let s = RelaySettings::default();
        assert_eq!(
            due_at(RelayState::Scheduled, &four_days(), 0, &s, &[], t(50)),
            vec![Due::Open, Due::StartRound(1), Due::StartRound(2)]
        );
    }

    #[test]
    fn a_round_starts_once_when_its_time_comes() {
        let rs = four_days();
        let s = RelaySettings::default();
        assert_eq!(due_at(RelayState::Open, &rs, 1, &s, &[], t(23)), vec![]);
        assert_eq!(
            due_at(RelayState::Open, &rs, 1, &s, &[], t(24)),
            vec![Due::StartRound(1)]
        );
        // Once the scheduler has recorded it, it is not due again.
        assert_eq!(due_at(RelayState::Open, &rs, 2, &s, &[], t(24)), vec![]);
        assert_eq!(due_at(RelayState::Open, &rs, 2, &s, &[], t(47)), vec![]);
    }

    #[test]
    fn missed_round_starts_come_in_order_without_repeats() {
        let s = RelaySettings::default();
        assert_eq!(
            due_at(RelayState::Open, &four_days(), 1, &s, &[], t(80)),
            vec![Due::StartRound(1), Due::StartRound(2), Due::StartRound(3)]
        );
        assert_eq!(
            due_at(RelayState::Open, &four_days(), 3, &s, &[], t(80)),
            vec![Due::StartRound(3)]
        );
    }

    #[test]
    fn round_one_is_never_started_by_the_clock_because_opening_starts_it() {
        let s = RelaySettings::default();
        assert_eq!(
            due_at(RelayState::Open, &four_days(), 0, &s, &[], t(1)),
            vec![]
        );
    }

    #[test]
    fn the_next_round_does_not_start_during_a_gap() {
        let rs = vec![
            Round {
                name: "Dag 1".into(),
                starts_at: t(0),
                ends_at: t(8),
                prompt: None,
            },
            Round {
                name: "Dag 2".into(),
                starts_at: t(24),
                ends_at: t(32),
                prompt: None,
            },
        ];
        let s = RelaySettings::default();
        assert_eq!(due_at(RelayState::Open, &rs, 1, &s, &[], t(12)), vec![]);
        assert_eq!(
            due_at(RelayState::Open, &rs, 1, &s, &[], t(24)),
            vec![Due::StartRound(1)]
        );
    }

    #[test]
    fn a_reminder_is_due_once_after_reminder_after_hours() {
        let rs = four_days();
        let s = RelaySettings::default();
        assert_eq!(
            due_at(RelayState::Open, &rs, 1, &s, &[pending(7, 2, false)], t(13)),
            vec![]
        );
        assert_eq!(
            due_at(RelayState::Open, &rs, 1, &s, &[pending(7, 2, false)], t(14)),
            vec![Due::Remind(7)]
        );
        assert_eq!(
            due_at(RelayState::Open, &rs, 1, &s, &[pending(7, 2, true)], t(20)),
            vec![]
        );
    }

    #[test]
    fn a_reroute_takes_precedence_over_a_reminder() {
        let rs = four_days();
        let s = RelaySettings::default();
        // 36 hours old and never reminded: only the reroute.
        assert_eq!(
            due_at(RelayState::Open, &rs, 2, &s, &[pending(7, 2, false)], t(38)),
            vec![Due::Reroute(7)]
        );
        assert_eq!(
            due_at(RelayState::Open, &rs, 2, &s, &[pending(7, 2, true)], t(38)),
            vec![Due::Reroute(7)]
        );
        assert_eq!(
            due_at(RelayState::Open, &rs, 2, &s, &[pending(7, 2, true)], t(37)),
            vec![]
        );
    }

    #[test]
    fn reroute_after_zero_hours_means_never() {
        let rs = four_days();
        let s = RelaySettings {
            reroute_after_hours: 0,
            ..RelaySettings::default()
        };
        assert_eq!(
            due_at(RelayState::Open, &rs, 4, &s, &[pending(7, 0, true)], t(95)),
            vec![]
        );
        assert_eq!(
            due_at(RelayState::Open, &rs, 4, &s, &[pending(7, 0, false)], t(95)),
            vec![Due::Remind(7)]
        );
    }

    #[test]
    fn reminder_after_zero_hours_means_no_reminder() {
        let rs = four_days();
        let s = RelaySettings {
            reminder_after_hours: 0,
            ..RelaySettings::default()
        };
        assert_eq!(
            due_at(RelayState::Open, &rs, 1, &s, &[pending(7, 0, false)], t(20)),
            vec![]
        );
    }

    #[test]
    fn a_reroute_shorter_than_the_reminder_skips_the_reminder() {
        let rs = four_days();
        let s = RelaySettings {
            reminder_after_hours: 12,
            reroute_after_hours: 6,
            ..RelaySettings::default()
        };
        assert_eq!(
            due_at(RelayState::Open, &rs, 1, &s, &[pending(7, 0, false)], t(6)),
            vec![Due::Reroute(7)]
        );
    }

    #[test]
    fn each_pending_question_is_judged_on_its_own() {
        let rs = four_days();
        let s = RelaySettings::default();
        let p = [
            pending(1, 0, false),
            pending(2, 30, false),
            pending(3, 10, true),
            pending(4, 2, false),
            pending(5, 25, false),
        ];
        assert_eq!(
            due_at(RelayState::Open, &rs, 1, &s, &p, t(40)),
            vec![
                Due::StartRound(1),
                Due::Reroute(1),
                Due::Reroute(4),
                Due::Remind(5)
            ]
        );
    }

    #[test]
    fn the_relay_closes_at_the_end_of_its_last_round_with_nothing_else() {
        let rs = four_days();
        let s = RelaySettings::default();
        let p = [pending(1, 0, false), pending(2, 90, false)];
        assert!(!due_at(RelayState::Open, &rs, 4, &s, &p, t(95)).contains(&Due::Close));
        assert_eq!(
            due_at(RelayState::Open, &rs, 4, &s, &p, t(96)),
            vec![Due::Close]
        );
        // Even with round starts never processed and stale questions waiting.
        assert_eq!(
            due_at(RelayState::Open, &rs, 1, &s, &p, t(200)),
            vec![Due::Close]
        );
    }

    #[test]
    fn a_scheduled_relay_whose_rounds_are_all_over_opens_and_closes_at_once() {
        let s = RelaySettings::default();
        assert_eq!(
            due_at(RelayState::Scheduled, &four_days(), 0, &s, &[], t(96)),
            vec![Due::Open, Due::Close]
        );
    }

    #[test]
    fn an_open_relay_closes_even_when_it_was_opened_early() {
        // Opened by a facilitator before round 1 (rounds not shifted): waits, then closes.
        let s = RelaySettings::default();
        assert_eq!(
            due_at(RelayState::Open, &four_days(), 0, &s, &[], t(-3)),
            vec![]
        );
        assert_eq!(
            due_at(RelayState::Open, &four_days(), 0, &s, &[], t(96)),
            vec![Due::Close]
        );
    }

    // ---- a simulated scheduler ----------------------------------------------------------------

    #[derive(Debug, Clone)]
    struct Q {
        id: i64,
        delivered_at: DateTime<Utc>,
        reminded: bool,
        reminders_this_delivery: u32,
    }

    fn any_state() -> impl Strategy<Value = RelayState> {
        prop_oneof![
            Just(RelayState::Draft),
            Just(RelayState::Scheduled),
            Just(RelayState::Open),
            Just(RelayState::Closed),
        ]
    }

    /// Rounds one after another from t(0): each `(hours long, hours of gap after it)`.
    fn consecutive_rounds(parts: &[(i64, i64)]) -> Vec<Round> {
        let mut at = t(0);
        parts
            .iter()
            .enumerate()
            .map(|(i, &(len, gap))| {
                let r = Round {
                    name: format!("R{i}"),
                    starts_at: at,
                    ends_at: at + Duration::hours(len),
                    prompt: None,
                };
                at = r.ends_at + Duration::hours(gap);
                r
            })
            .collect()
    }

    proptest! {
        /// Whatever is stored (dates at the ends of time, the largest hours and counts), the
        /// clock's rule answers without overflowing and names only rounds that exist.
        #[test]
        fn what_is_due_never_overflows_on_extreme_values(
            state in any_state(),
            rs in any_rounds(),
            rounds_started in prop_oneof![Just(usize::MAX), any::<usize>(), 0usize..8],
            reminder in prop_oneof![Just(u32::MAX), any::<u32>()],
            reroute in prop_oneof![Just(u32::MAX), any::<u32>()],
            pending in prop::collection::vec((any::<i64>(), any_instant(), any::<bool>()), 0..4),
            now in any_instant(),
        ) {
            let s = RelaySettings {
                reminder_after_hours: reminder,
                reroute_after_hours: reroute,
                ..RelaySettings::default()
            };
            let pending: Vec<PendingDelivery> = pending
                .into_iter()
                .map(|(question_id, delivered_at, reminded)| PendingDelivery { question_id, delivered_at, reminded })
                .collect();
            let view = ClockView { state, rounds: &rs, rounds_started, settings: &s, pending: &pending };
            for d in due(&view, now) {
                if let Due::StartRound(i) = d {
                    prop_assert!(i < rs.len());
                }
            }
        }

        #[test]
        fn a_scheduler_applying_what_is_due_sees_each_step_once_and_in_order(
            parts in prop::collection::vec((1i64..48, 0i64..24), 1..6),
            ticks in prop::collection::vec(1i64..600, 1..200),
            new_questions in prop::collection::vec(any::<bool>(), 200),
            reminder in 0u32..30,
            reroute in 0u32..60,
        ) {
            let rs = consecutive_rounds(&parts);
            let s = RelaySettings {
                reminder_after_hours: reminder,
                reroute_after_hours: reroute,
                ..RelaySettings::default()
            };
            let end = rounds::relay_end(&rs).unwrap();
            let mut state = RelayState::Scheduled;
            let mut started = 0usize;
            let mut now = t(-2);
            let mut qs: Vec<Q> = Vec::new();
            let mut log: Vec<Due> = Vec::new();
            for (k, step) in ticks.iter().enumerate() {
                now += Duration::minutes(*step);
                let view_pending: Vec<PendingDelivery> = qs
                    .iter()
                    .map(|q| PendingDelivery {
                        question_id: q.id,
                        delivered_at: q.delivered_at,
                        reminded: q.reminded,
                    })
                    .collect();
                let dues = due(
                    &ClockView { state, rounds: &rs, rounds_started: started, settings: &s, pending: &view_pending },
                    now,
                );
                for d in &dues {
                    match *d {
                        Due::Open => {
                            prop_assert_eq!(state, RelayState::Scheduled);
                            prop_assert!(now >= rs[0].starts_at);
                            state = RelayState::Open;
                            started = 1;
                        }
                        Due::StartRound(i) => {
                            prop_assert_eq!(state, RelayState::Open);
                            prop_assert_eq!(i, started, "round starts skip or repeat");
                            prop_assert!(rs[i].starts_at <= now && now < end);
                            started = i + 1;
                        }
                        Due::Remind(id) => {
                            let q = qs.iter_mut().find(|q| q.id == id).unwrap();
                            prop_assert!(reminder > 0);
                            prop_assert!(now - q.delivered_at >= Duration::hours(reminder.into()));
                            q.reminded = true;
                            q.reminders_this_delivery += 1;
                            prop_assert_eq!(q.reminders_this_delivery, 1);
                        }
                        Due::Reroute(id) => {
                            let q = qs.iter_mut().find(|q| q.id == id).unwrap();
                            prop_assert!(reroute > 0);
                            prop_assert!(now - q.delivered_at >= Duration::hours(reroute.into()));
                            *q = Q { id, delivered_at: now, reminded: false, reminders_this_delivery: 0 };
                        }
                        Due::Close => {
                            prop_assert!(now >= end);
                            prop_assert_eq!(d, dues.last().unwrap());
                            state = RelayState::Closed;
                            qs.clear();
                        }
                    }
                }
                log.extend(dues);
                if state == RelayState::Open && new_questions[k] {
                    qs.push(Q { id: k as i64, delivered_at: now, reminded: false, reminders_this_delivery: 0 });
                }
            }
            // Open and Close at most once each; after Close nothing more.
            prop_assert!(log.iter().filter(|d| **d == Due::Open).count() <= 1);
            prop_assert!(log.iter().filter(|d| **d == Due::Close).count() <= 1);
            if let Some(pos) = log.iter().position(|d| *d == Due::Close) {
                prop_assert_eq!(pos, log.len() - 1);
            }
            // While the relay runs, every round that has begun has been started exactly once.
            if state == RelayState::Open {
                let begun = rs.iter().filter(|r| r.starts_at <= now).count();
                prop_assert_eq!(started, begun);
            }
            prop_assert_eq!(state == RelayState::Closed, now >= end);
        }
    }
}
