//! Who may receive a question, and whom the platform picks in auto mode.

use super::types::{RelaySettings, RuleViolation};

/// What pairing needs to know about a possible recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Participant id.
    pub id: i64,
    /// Group id.
    pub group_id: i64,
    /// Not suspended.
    pub active: bool,
    /// Questions waiting in their inbox now.
    pub unanswered: u32,
    /// Questions delivered to them in this relay so far (withdrawn ones included).
    pub received_total: u32,
    /// Whether the asker has already had a question delivered to them.
    pub received_from_asker: bool,
}

/// What pairing needs to know about the asker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asker {
    /// Participant id.
    pub id: i64,
    /// Group id.
    pub group_id: i64,
    /// The participant who most recently asked this asker, if any.
    pub last_asked_by: Option<i64>,
}

/// Why `candidate` may not receive a question from `asker`, or `Ok` when they may.
pub fn check_eligible(
    asker: &Asker,
    candidate: &Candidate,
    settings: &RelaySettings,
) -> Result<(), RuleViolation> {
    let reason = if candidate.id == asker.id {
        "you cannot ask yourself"
    } else if !candidate.active {
        "they are not taking part right now"
    } else if candidate.unanswered >= settings.max_inbox {
        "their inbox is full"
    } else if candidate.received_from_asker {
        "they have already received a question from you"
    } else {
        return Ok(());
    };
    Err(RuleViolation::RecipientNotEligible(reason))
}

/// The eligible recipients among `candidates`, in the order given.
pub fn eligible<'a>(
    asker: &'a Asker,
    candidates: &'a [Candidate],
    settings: &'a RelaySettings,
) -> impl Iterator<Item = &'a Candidate> + 'a {
    candidates
        .iter()
        .filter(move |c| check_eligible(asker, c, settings).is_ok())
}

/// Picks a recipient for `asker` as SPEC §2.3 orders it: fewest unanswered, then fewest
/// received, then (with `cross_group`) another group, then not the last person who asked the
/// asker, then a draw reproducible from the relay's seed and `nonce` (the caller passes a number
/// fixed by the relay's history, such as the count of deliveries so far).
pub fn auto_pick(
    asker: &Asker,
    candidates: &[Candidate],
    settings: &RelaySettings,
    nonce: u64,
) -> Result<i64, RuleViolation> {
    let key = |c: &Candidate| {
        (
            c.unanswered,
            c.received_total,
            settings.cross_group && c.group_id == asker.group_id,
            asker.last_asked_by == Some(c.id),
        )
    };
    let mut pool: Vec<&Candidate> = eligible(asker, candidates, settings).collect();
    let best = pool
        .iter()
        .map(|c| key(c))
        .min()
        .ok_or(RuleViolation::NoEligibleRecipient)?;
    pool.retain(|c| key(c) == best);
    // Sorting makes the draw independent of the order the caller loaded candidates in.
    pool.sort_by_key(|c| c.id);
    let draw = splitmix64(settings.seed ^ splitmix64(nonce ^ (asker.id as u64).rotate_left(32)));
    let index = (draw % pool.len() as u64) as usize;
    Ok(pool[index].id)
}

/// SplitMix64: a tiny, fully specified mixing function, so a seed gives the same draw on every
/// platform and crate version (a general-purpose RNG crate may change its stream).
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;
    use crate::relay::types::RelayState;
    use crate::relay::{batons, lifecycle};

    fn asker(id: i64, group_id: i64) -> Asker {
        Asker {
            id,
            group_id,
            last_asked_by: None,
        }
    }

    fn cand(id: i64, group_id: i64) -> Candidate {
        Candidate {
            id,
            group_id,
            active: true,
            unanswered: 0,
            received_total: 0,
            received_from_asker: false,
        }
    }

    fn reason(r: Result<(), RuleViolation>) -> &'static str {
        match r {
            Err(RuleViolation::RecipientNotEligible(why)) => why,
            other => panic!("expected RecipientNotEligible, got {other:?}"),
        }
    }

    fn pick_all_seeds(a: &Asker, cs: &[Candidate], s: &RelaySettings) -> BTreeSet<i64> {
        (0..64)
            .map(|seed| {
                let s = RelaySettings { seed, ..s.clone() };
                auto_pick(a, cs, &s, 0).unwrap()
            })
            .collect()
    }

    // ---- eligibility -------------------------------------------------------------------------

    #[test]
    fn an_active_colleague_with_room_who_has_not_heard_from_the_asker_is_eligible() {
        let s = RelaySettings::default();
        assert_eq!(check_eligible(&asker(1, 1), &cand(2, 1), &s), Ok(()));
    }

    #[test]
    fn the_asker_cannot_ask_themselves() {
        let s = RelaySettings::default();
        assert_eq!(
            reason(check_eligible(&asker(1, 1), &cand(1, 1), &s)),
            "you cannot ask yourself"
        );
    }

    #[test]
    fn a_suspended_colleague_is_not_eligible() {
        let s = RelaySettings::default();
        let c = Candidate {
            active: false,
            ..cand(2, 1)
        };
        assert_eq!(
            reason(check_eligible(&asker(1, 1), &c, &s)),
            "they are not taking part right now"
        );
    }

    #[test]
    fn a_colleague_with_a_full_inbox_is_not_eligible() {
        let s = RelaySettings::default();
        let c = Candidate {
            unanswered: 2,
            ..cand(2, 1)
        };
        assert_eq!(
            reason(check_eligible(&asker(1, 1), &c, &s)),
            "their inbox is full"
        );
    }

    #[test]
    fn a_colleague_one_below_max_inbox_is_still_eligible() {
        let s = RelaySettings::default();
        let c = Candidate {
            unanswered: 1,
            ..cand(2, 1)
        };
        assert_eq!(check_eligible(&asker(1, 1), &c, &s), Ok(()));
    }

    #[test]
    fn a_colleague_over_max_inbox_is_not_eligible() {
        let s = RelaySettings {
            max_inbox: 1,
            ..RelaySettings::default()
        };
        let c = Candidate {
            unanswered: 5,
            ..cand(2, 1)
        };
        assert_eq!(
            reason(check_eligible(&asker(1, 1), &c, &s)),
            "their inbox is full"
        );
    }

    #[test]
    fn a_colleague_who_already_received_from_the_asker_is_not_eligible() {
        let s = RelaySettings::default();
        let c = Candidate {
            received_from_asker: true,
            ..cand(2, 1)
        };
        let err = check_eligible(&asker(1, 1), &c, &s).unwrap_err();
        assert_eq!(
            err.to_string(),
            "that colleague cannot receive a question from you: they have already received a question from you"
        );
        assert_eq!(err.code(), "recipient_not_eligible");
    }

    #[test]
    fn received_from_someone_else_does_not_matter() {
        let s = RelaySettings::default();
        let c = Candidate {
            received_total: 7,
            ..cand(2, 1)
        };
        assert_eq!(check_eligible(&asker(1, 1), &c, &s), Ok(()));
    }

    #[test]
    fn max_inbox_zero_makes_nobody_eligible() {
        let s = RelaySettings {
            max_inbox: 0,
            ..RelaySettings::default()
        };
        assert_eq!(
            reason(check_eligible(&asker(1, 1), &cand(2, 2), &s)),
            "their inbox is full"
        );
    }

    #[test]
    fn eligible_keeps_the_given_order_and_drops_the_ineligible() {
        let s = RelaySettings::default();
        let cs = vec![
            cand(5, 1),
            cand(1, 1),
            Candidate {
                active: false,
                ..cand(4, 2)
            },
            cand(3, 2),
            Candidate {
                unanswered: 2,
                ..cand(2, 2)
            },
            Candidate {
                received_from_asker: true,
                ..cand(6, 2)
            },
        ];
        let ids: Vec<i64> = eligible(&asker(1, 1), &cs, &s).map(|c| c.id).collect();
        assert_eq!(ids, vec![5, 3]);
    }

    // ---- auto pick ---------------------------------------------------------------------------

    #[test]
    fn auto_pick_with_nobody_eligible_fails_clearly() {
        let s = RelaySettings::default();
        assert_eq!(
            auto_pick(&asker(1, 1), &[], &s, 0),
            Err(RuleViolation::NoEligibleRecipient)
        );
        let cs = vec![
            cand(1, 1),
            Candidate {
                active: false,
                ..cand(2, 1)
            },
        ];
        let err = auto_pick(&asker(1, 1), &cs, &s, 0).unwrap_err();
        assert_eq!(err, RuleViolation::NoEligibleRecipient);
        assert_eq!(err.code(), "no_eligible_recipient");
    }

    #[test]
    fn auto_pick_never_picks_an_ineligible_candidate_however_well_it_ranks() {
        let s = RelaySettings::default();
        let cs = vec![
            Candidate {
                received_from_asker: true,
                ..cand(2, 2)
            },
            Candidate {
                unanswered: 1,
                received_total: 9,
                ..cand(3, 1)
            },
        ];
        assert_eq!(auto_pick(&asker(1, 1), &cs, &s, 0), Ok(3));
    }

    #[test]
    fn auto_pick_prefers_the_fewest_unanswered_over_everything_else() {
        let a = Asker {
            last_asked_by: Some(2),
            ..asker(1, 1)
        };
        let cs = vec![
            // Worse on every later criterion, but the emptiest inbox.
            Candidate {
                received_total: 9,
                ..cand(2, 1)
            },
            Candidate {
                unanswered: 1,
                ..cand(3, 2)
            },
        ];
        assert_eq!(
            pick_all_seeds(&a, &cs, &RelaySettings::default()),
            [2].into()
        );
    }

    #[test]
    fn auto_pick_then_prefers_the_fewest_received_in_total() {
        let a = Asker {
            last_asked_by: Some(2),
            ..asker(1, 1)
        };
        let cs = vec![
            Candidate {
                unanswered: 1,
                received_total: 1,
                ..cand(2, 1)
            },
            Candidate {
                unanswered: 1,
                received_total: 2,
                ..cand(3, 2)
            },
        ];
        assert_eq!(
            pick_all_seeds(&a, &cs, &RelaySettings::default()),
            [2].into()
        );
    }

    #[test]
    fn auto_pick_then_prefers_another_group_when_cross_group_is_on() {
        let a = Asker {
            last_asked_by: Some(3),
            ..asker(1, 1)
        };
        let cs = vec![cand(2, 1), cand(3, 2), cand(4, 1)];
        assert_eq!(
            pick_all_seeds(&a, &cs, &RelaySettings::default()),
            [3].into()
        );
    }

    #[test]
    fn auto_pick_ignores_groups_when_cross_group_is_off() {
        let s = RelaySettings {
            cross_group: false,
            ..RelaySettings::default()
        };
        let cs = vec![cand(2, 1), cand(3, 2)];
        assert_eq!(pick_all_seeds(&asker(1, 1), &cs, &s), [2, 3].into());
    }

    #[test]
    fn auto_pick_then_avoids_the_one_who_last_asked_the_asker() {
        let a = Asker {
            last_asked_by: Some(3),
            ..asker(1, 1)
        };
        let cs = vec![cand(2, 2), cand(3, 2), cand(4, 2)];
        assert_eq!(
            pick_all_seeds(&a, &cs, &RelaySettings::default()),
            [2, 4].into()
        );
    }

    #[test]
    fn auto_pick_still_picks_the_last_asker_when_they_are_the_only_one() {
        let a = Asker {
            last_asked_by: Some(3),
            ..asker(1, 1)
        };
        let cs = vec![cand(1, 1), cand(3, 1)];
        assert_eq!(auto_pick(&a, &cs, &RelaySettings::default(), 0), Ok(3));
    }

    #[test]
    fn auto_pick_picks_the_own_group_when_nobody_else_is_eligible() {
        let cs = vec![
            Candidate {
                unanswered: 2,
                ..cand(2, 2)
            },
            cand(3, 1),
        ];
        assert_eq!(
            auto_pick(&asker(1, 1), &cs, &RelaySettings::default(), 0),
            Ok(3)
        );
    }

    #[test]
    fn auto_pick_draws_among_equals() {
        let cs: Vec<_> = (2..=5).map(|id| cand(id, 2)).collect();
        assert_eq!(
            pick_all_seeds(&asker(1, 1), &cs, &RelaySettings::default()),
            [2, 3, 4, 5].into()
        );
    }

    #[test]
    fn the_same_inputs_give_the_same_pick() {
        let cs: Vec<_> = (2..=9).map(|id| cand(id, id % 3)).collect();
        let s = RelaySettings {
            seed: 0xDEAD_BEEF,
            ..RelaySettings::default()
        };
        let first = auto_pick(&asker(1, 1), &cs, &s, 17).unwrap();
        for _ in 0..10 {
            assert_eq!(auto_pick(&asker(1, 1), &cs, &s, 17).unwrap(), first);
        }
    }

    #[test]
    fn the_draw_is_pinned_so_a_seed_means_the_same_pairing_on_every_build() {
        // Pinned values: if these change, existing relays would re-pair differently on replay.
        let cs: Vec<_> = (2..=9).map(|id| cand(id, 2)).collect();
        let picks: Vec<i64> = (0..6)
            .map(|seed| {
                let s = RelaySettings {
                    seed,
                    ..RelaySettings::default()
                };
                auto_pick(&asker(1, 1), &cs, &s, seed * 3).unwrap()
            })
            .collect();
        let again: Vec<i64> = (0..6)
            .map(|seed| {
                let s = RelaySettings {
                    seed,
                    ..RelaySettings::default()
                };
                let mut rev = cs.clone();
                rev.reverse();
                auto_pick(&asker(1, 1), &rev, &s, seed * 3).unwrap()
            })
            .collect();
        assert_eq!(picks, again);
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn different_seeds_spread_the_picks_over_all_equals() {
        let cs: Vec<_> = (2..=5).map(|id| cand(id, 2)).collect();
        let mut counts = BTreeMap::new();
        for seed in 0..800u64 {
            let s = RelaySettings {
                seed,
                ..RelaySettings::default()
            };
            *counts
                .entry(auto_pick(&asker(1, 1), &cs, &s, 0).unwrap())
                .or_insert(0u32) += 1;
        }
        assert_eq!(counts.len(), 4, "{counts:?}");
        for (&id, &n) in &counts {
            assert!(
                (120..=280).contains(&n),
                "id {id} picked {n} of 800: {counts:?}"
            );
        }
    }

    #[test]
    fn different_nonces_spread_the_picks_within_one_relay() {
        let cs: Vec<_> = (2..=5).map(|id| cand(id, 2)).collect();
        let s = RelaySettings::default();
        let picks: BTreeSet<i64> = (0..64)
            .map(|n| auto_pick(&asker(1, 1), &cs, &s, n).unwrap())
            .collect();
        assert_eq!(picks, [2, 3, 4, 5].into());
    }

    #[test]
    fn different_askers_do_not_all_draw_the_same_position() {
        let cs: Vec<_> = (10..=13).map(|id| cand(id, 2)).collect();
        let s = RelaySettings::default();
        let picks: BTreeSet<i64> = (1..=8)
            .map(|a| auto_pick(&asker(a, 1), &cs, &s, 0).unwrap())
            .collect();
        assert!(picks.len() > 1, "{picks:?}");
    }

    // ---- properties of one pick ----------------------------------------------------------------

    fn arb_candidate() -> impl Strategy<Value = Candidate> {
        (
            1i64..12,
            0i64..3,
            prop::bool::weighted(0.85),
            0u32..4,
            0u32..4,
            prop::bool::weighted(0.2),
        )
            .prop_map(
                |(id, group_id, active, unanswered, received_total, received_from_asker)| {
                    Candidate {
                        id,
                        group_id,
                        active,
                        unanswered,
                        received_total: received_total + unanswered,
                        received_from_asker,
                    }
                },
            )
    }

    fn arb_candidates() -> impl Strategy<Value = Vec<Candidate>> {
        prop::collection::vec(arb_candidate(), 0..10).prop_map(|mut cs| {
            // Ids are unique within a relay.
            let mut seen = BTreeSet::new();
            cs.retain(|c| seen.insert(c.id));
            cs
        })
    }

    /// SPEC §2.3's order written out step by step, independently of `auto_pick`'s tuple key.
    fn spec_best(a: &Asker, cs: &[Candidate], s: &RelaySettings) -> BTreeSet<i64> {
        let mut pool: Vec<&Candidate> = cs
            .iter()
            .filter(|c| {
                c.id != a.id && c.active && c.unanswered < s.max_inbox && !c.received_from_asker
            })
            .collect();
        if let Some(m) = pool.iter().map(|c| c.unanswered).min() {
            pool.retain(|c| c.unanswered == m);
        }
        if let Some(m) = pool.iter().map(|c| c.received_total).min() {
            pool.retain(|c| c.received_total == m);
        }
        if s.cross_group && pool.iter().any(|c| c.group_id != a.group_id) {
            pool.retain(|c| c.group_id != a.group_id);
        }
        if pool.iter().any(|c| Some(c.id) != a.last_asked_by) {
            pool.retain(|c| Some(c.id) != a.last_asked_by);
        }
        pool.iter().map(|c| c.id).collect()
    }

    proptest! {
        #[test]
        fn auto_pick_follows_the_spec_order(
            cs in arb_candidates(),
            asker_id in 1i64..12,
            asker_group in 0i64..3,
            last in prop::option::of(1i64..12),
            cross_group in any::<bool>(),
            max_inbox in 0u32..4,
            seed in any::<u64>(),
            nonce in any::<u64>(),
        ) {
            let a = Asker { id: asker_id, group_id: asker_group, last_asked_by: last };
            let s = RelaySettings { cross_group, max_inbox, seed, ..RelaySettings::default() };
            let best = spec_best(&a, &cs, &s);
            match auto_pick(&a, &cs, &s, nonce) {
                Ok(id) => {
                    prop_assert!(best.contains(&id), "picked {} not in {:?}", id, best);
                    let c = cs.iter().find(|c| c.id == id).unwrap();
                    prop_assert_eq!(check_eligible(&a, c, &s), Ok(()));
                }
                Err(e) => {
                    prop_assert_eq!(e, RuleViolation::NoEligibleRecipient);
                    prop_assert!(best.is_empty());
                    prop_assert_eq!(eligible(&a, &cs, &s).count(), 0);
                }
            }
        }

        /// Counts and limits at the ends of their types, any ids: a pick or a refusal, never
        /// an overflow.
        #[test]
        fn pairing_never_overflows_on_extreme_counts(
            cs in prop::collection::vec(
                (any::<i64>(), any::<i64>(), any::<bool>(), any::<u32>(), any::<u32>(), any::<bool>()),
                0..8,
            ),
            asker in (any::<i64>(), any::<i64>(), prop::option::of(any::<i64>())),
            max_inbox in prop_oneof![Just(u32::MAX), any::<u32>()],
            cross_group in any::<bool>(),
            seed in any::<u64>(),
            nonce in any::<u64>(),
        ) {
            let cs: Vec<Candidate> = cs
                .into_iter()
                .map(|(id, group_id, active, unanswered, received_total, received_from_asker)| Candidate {
                    id, group_id, active, unanswered, received_total, received_from_asker,
                })
                .collect();
            let a = Asker { id: asker.0, group_id: asker.1, last_asked_by: asker.2 };
            let s = RelaySettings { max_inbox, cross_group, seed, ..RelaySettings::default() };
            if let Ok(id) = auto_pick(&a, &cs, &s, nonce) {
                let c = cs.iter().find(|c| c.id == id).unwrap();
                prop_assert_eq!(check_eligible(&a, c, &s), Ok(()));
            }
        }

        #[test]
        fn candidate_order_does_not_change_the_pick(
            cs in arb_candidates(),
            asker_id in 1i64..12,
            last in prop::option::of(1i64..12),
            seed in any::<u64>(),
            nonce in any::<u64>(),
            perm in any::<prop::sample::Index>(),
            rotate in any::<prop::sample::Index>(),
        ) {
            let a = Asker { id: asker_id, group_id: 0, last_asked_by: last };
            let s = RelaySettings { seed, ..RelaySettings::default() };
            let expected = auto_pick(&a, &cs, &s, nonce);
            let mut shuffled = cs.clone();
            if !shuffled.is_empty() {
                shuffled.swap(0, perm.index(cs.len()));
                shuffled.rotate_left(rotate.index(cs.len()));
            }
            let mut reversed = cs.clone();
            reversed.reverse();
            prop_assert_eq!(auto_pick(&a, &shuffled, &s, nonce), expected.clone());
            prop_assert_eq!(auto_pick(&a, &reversed, &s, nonce), expected);
        }
    }

    // ---- a simulated relay driven only through the module's functions --------------------------

    #[derive(Debug, Clone)]
    enum Op {
        RoundStart,
        Ask { who: usize, auto: bool, pick: usize },
        Answer { who: usize, which: usize },
        Suspend(usize),
        Resume(usize),
        Reroute(usize),
        Join(i64),
        Close,
    }

    fn arb_op() -> impl Strategy<Value = Op> {
        prop_oneof![
            2 => Just(Op::RoundStart),
            10 => (any::<usize>(), any::<bool>(), any::<usize>())
                .prop_map(|(who, auto, pick)| Op::Ask { who, auto, pick }),
            8 => (any::<usize>(), any::<usize>()).prop_map(|(who, which)| Op::Answer { who, which }),
            1 => any::<usize>().prop_map(Op::Suspend),
            1 => any::<usize>().prop_map(Op::Resume),
            1 => any::<usize>().prop_map(Op::Reroute),
            1 => (0i64..4).prop_map(Op::Join),
        ]
    }

    #[derive(Debug, Clone)]
    struct Person {
        id: i64,
        group: i64,
        active: bool,
        batons: u32,
        inbox: Vec<usize>,
        received_total: u32,
        received_from: BTreeSet<i64>,
        last_asked_by: Option<i64>,
    }

    #[derive(Debug, Clone)]
    struct Question {
        asker: i64,
        recipient: i64,
        pending: bool,
    }

    struct Sim {
        settings: RelaySettings,
        state: RelayState,
        people: Vec<Person>,
        questions: Vec<Question>,
        /// Every delivery as (question, recipient): the relay's pairing history.
        deliveries: Vec<(usize, i64)>,
        /// Scrambles the order candidates are handed to the rules in.
        order_salt: u64,
    }

    impl Sim {
        fn new(settings: RelaySettings, groups: &[i64], order_salt: u64) -> Self {
            let people = groups
                .iter()
                .enumerate()
                .map(|(i, &group)| Person {
                    id: 100 + i as i64 * 7,
                    group,
                    active: true,
                    batons: 0,
                    inbox: Vec::new(),
                    received_total: 0,
                    received_from: BTreeSet::new(),
                    last_asked_by: None,
                })
                .collect();
            let mut sim = Self {
                settings,
                state: RelayState::Draft,
                people,
                questions: Vec::new(),
                deliveries: Vec::new(),
                order_salt,
            };
            sim.state = lifecycle::next_state(sim.state, lifecycle::Transition::Schedule).unwrap();
            sim
        }

        fn idx(&self, id: i64) -> usize {
            self.people.iter().position(|p| p.id == id).unwrap()
        }

        fn candidates_for(&self, asker: i64) -> Vec<Candidate> {
            let mut cs: Vec<Candidate> = self
                .people
                .iter()
                .map(|p| Candidate {
                    id: p.id,
                    group_id: p.group,
                    active: p.active,
                    unanswered: p.inbox.len() as u32,
                    received_total: p.received_total,
                    received_from_asker: p.received_from.contains(&asker),
                })
                .collect();
            let salt = self.order_salt;
            cs.sort_by_key(|c| splitmix64(c.id as u64 ^ salt));
            cs
        }

        fn asker(&self, id: i64) -> Asker {
            let p = &self.people[self.idx(id)];
            Asker {
                id,
                group_id: p.group,
                last_asked_by: p.last_asked_by,
            }
        }

        fn deliver(&mut self, q: usize, to: i64) {
            let asker = self.questions[q].asker;
            let i = self.idx(to);
            let p = &mut self.people[i];
            assert!(p.active, "delivered to a suspended participant");
            assert_ne!(to, asker, "delivered to the asker");
            assert!(
                p.received_from.insert(asker),
                "{to} received from {asker} twice"
            );
            p.inbox.push(q);
            p.received_total += 1;
            p.last_asked_by = Some(asker);
            self.questions[q].recipient = to;
            self.questions[q].pending = true;
            self.deliveries.push((q, to));
        }

        /// Withdraws `q` from its recipient and passes it on as in auto mode, if anyone may
        /// take it; otherwise it stays where it is.
        fn reroute(&mut self, q: usize) {
            let question = self.questions[q].clone();
            if !question.pending {
                return;
            }
            let asker = self.asker(question.asker);
            let cs = self.candidates_for(question.asker);
            let nonce = self.deliveries.len() as u64;
            match auto_pick(&asker, &cs, &self.settings, nonce) {
                Ok(to) => {
                    assert_ne!(to, question.recipient, "rerouted to the same recipient");
                    let from = self.idx(question.recipient);
                    self.people[from].inbox.retain(|&x| x != q);
                    self.deliver(q, to);
                }
                Err(e) => assert_eq!(e, RuleViolation::NoEligibleRecipient),
            }
        }

        fn apply(&mut self, op: &Op) {
            let n = self.people.len();
            match *op {
                Op::RoundStart => self.start_round(),
                Op::Ask { who, auto, pick } => self.ask(who % n, auto, pick),
                Op::Answer { who, which } => self.answer(who % n, which),
                Op::Suspend(who) => self.suspend(who % n),
                Op::Resume(who) => {
                    if lifecycle::ensure_participants_editable(self.state).is_ok() {
                        self.people[who % n].active = true;
                    }
                }
                Op::Reroute(k) => {
                    if self.state == RelayState::Open && !self.questions.is_empty() {
                        self.reroute(k % self.questions.len());
                    }
                }
                Op::Join(group) => self.join(group),
                Op::Close => self.close(),
            }
        }

        fn start_round(&mut self) {
            if self.state == RelayState::Scheduled {
                self.state =
                    lifecycle::next_state(self.state, lifecycle::Transition::Open).unwrap();
            }
            if self.state != RelayState::Open {
                return;
            }
            for p in self.people.iter_mut().filter(|p| p.active) {
                let before = p.batons;
                p.batons = batons::after_round_start(p.batons, &self.settings);
                assert!(p.batons >= before);
            }
        }

        fn ask(&mut self, who: usize, auto: bool, pick: usize) {
            let p = &self.people[who];
            let id = p.id;
            if lifecycle::ensure_open(self.state, "asking").is_err() || !p.active {
                return;
            }
            let before = p.batons;
            let Ok(after) = batons::after_ask(before) else {
                assert_eq!(before, 0);
                return;
            };
            match self.choose_recipient(id, auto, pick) {
                Ok(to) => {
                    let i = self.idx(id);
                    self.people[i].batons = after;
                    let q = self.questions.len();
                    self.questions.push(Question {
                        asker: id,
                        recipient: to,
                        pending: false,
                    });
                    self.deliver(q, to);
                }
                // The asker keeps the baton.
                Err(_) => assert_eq!(self.people[self.idx(id)].batons, before),
            }
        }

        /// Who `asker` passes a question to: the automatic pick, or in participant mode one
        /// from the list, shown in a stable order, or someone tried at random (who may well be
        /// refused).
        fn choose_recipient(
            &self,
            asker: i64,
            auto: bool,
            pick: usize,
        ) -> Result<i64, RuleViolation> {
            let me = self.asker(asker);
            let cs = self.candidates_for(asker);
            if auto {
                return auto_pick(&me, &cs, &self.settings, self.deliveries.len() as u64);
            }
            if pick.is_multiple_of(3) {
                let mut all = cs.clone();
                all.sort_by_key(|c| c.id);
                let c = &all[pick % all.len()];
                return check_eligible(&me, c, &self.settings).map(|()| c.id);
            }
            let mut list: Vec<&Candidate> = eligible(&me, &cs, &self.settings).collect();
            list.sort_by_key(|c| c.id);
            if list.is_empty() {
                Err(RuleViolation::NoEligibleRecipient)
            } else {
                Ok(list[pick % list.len()].id)
            }
        }

        fn answer(&mut self, who: usize, which: usize) {
            let p = &mut self.people[who];
            if lifecycle::ensure_open(self.state, "answering").is_err()
                || !p.active
                || p.inbox.is_empty()
            {
                return;
            }
            let q = p.inbox.remove(which % p.inbox.len());
            p.batons = batons::after_answer(p.batons, &self.settings);
            self.questions[q].pending = false;
        }

        fn suspend(&mut self, i: usize) {
            if lifecycle::ensure_participants_editable(self.state).is_err() {
                return;
            }
            self.people[i].active = false;
            for q in self.people[i].inbox.clone() {
                self.reroute(q);
            }
        }

        fn join(&mut self, group: i64) {
            if lifecycle::ensure_participants_editable(self.state).is_err() {
                return;
            }
            let batons = if self.state == RelayState::Open {
                batons::after_round_start(0, &self.settings)
            } else {
                0
            };
            let id = 100 + self.people.len() as i64 * 7;
            self.people.push(Person {
                id,
                group,
                active: true,
                batons,
                inbox: Vec::new(),
                received_total: 0,
                received_from: BTreeSet::new(),
                last_asked_by: None,
            });
        }

        fn close(&mut self) {
            if let Ok(next) = lifecycle::next_state(self.state, lifecycle::Transition::Close) {
                self.state = next;
                for p in &mut self.people {
                    p.inbox.clear();
                }
                for q in &mut self.questions {
                    q.pending = false;
                }
            }
        }

        fn check_invariants(&self) {
            let s = &self.settings;
            for p in &self.people {
                assert!(
                    p.batons <= s.max_batons,
                    "{} holds {} batons",
                    p.id,
                    p.batons
                );
                assert!(
                    p.inbox.len() as u32 <= s.max_inbox,
                    "{} holds {} unanswered",
                    p.id,
                    p.inbox.len()
                );
                assert!(p.received_total as usize >= p.received_from.len());
                for &q in &p.inbox {
                    assert!(self.questions[q].pending);
                    assert_eq!(self.questions[q].recipient, p.id);
                }
            }
            let pending = self.questions.iter().filter(|q| q.pending).count();
            let held: usize = self.people.iter().map(|p| p.inbox.len()).sum();
            assert_eq!(pending, held, "a pending question is lost or held twice");
            let mut pairs = BTreeSet::new();
            for &(q, to) in &self.deliveries {
                assert!(
                    pairs.insert((self.questions[q].asker, to)),
                    "{to} received from {} twice",
                    self.questions[q].asker
                );
            }
        }
    }

    /// A history of operations; the relay closes somewhere near the end, or not at all.
    fn arb_ops() -> impl Strategy<Value = Vec<Op>> {
        (
            prop::collection::vec(arb_op(), 0..150),
            prop::option::weighted(0.3, 0usize..10),
        )
            .prop_map(|(mut ops, close)| {
                if let Some(back) = close {
                    let at = ops.len().saturating_sub(back);
                    ops.insert(at, Op::Close);
                }
                ops
            })
    }

    fn arb_settings() -> impl Strategy<Value = RelaySettings> {
        let small = |hi: u32| prop_oneof![1 => 0u32..1, 9 => 1..hi];
        (any::<bool>(), small(4), small(4), small(6), any::<u64>()).prop_map(
            |(cross_group, max_inbox, batons_per_round, max_batons, seed)| RelaySettings {
                cross_group,
                max_inbox,
                batons_per_round,
                max_batons,
                seed,
                ..RelaySettings::default()
            },
        )
    }

    fn run(s: &RelaySettings, groups: &[i64], ops: &[Op], salt: u64) -> Sim {
        let mut sim = Sim::new(s.clone(), groups, salt);
        for op in ops {
            sim.apply(op);
            sim.check_invariants();
        }
        sim
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn a_simulated_relay_keeps_every_invariant(
            s in arb_settings(),
            groups in prop::collection::vec(0i64..4, 1..9),
            ops in arb_ops(),
        ) {
            let sim = run(&s, &groups, &ops, 0);
            // After closing nothing is pending and nobody can ask.
            if sim.state == RelayState::Closed {
                prop_assert!(sim.questions.iter().all(|q| !q.pending));
            }
        }

        #[test]
        fn the_same_seed_and_history_give_the_same_pairing(
            s in arb_settings(),
            groups in prop::collection::vec(0i64..4, 2..9),
            ops in arb_ops(),
            salt in any::<u64>(),
        ) {
            let a = run(&s, &groups, &ops, 0);
            let b = run(&s, &groups, &ops, 0);
            prop_assert_eq!(&a.deliveries, &b.deliveries);
            // Loading the participants in another order changes nothing either.
            let c = run(&s, &groups, &ops, salt);
            prop_assert_eq!(&a.deliveries, &c.deliveries);
        }

    }
}
