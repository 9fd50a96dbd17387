//! The relay state machine: draft → scheduled → open → closed, never backwards.

use super::types::{RelayState, RuleViolation};

/// What a facilitator (or the clock) asks of a relay's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Send invitations; open by itself at round 1.
    Schedule,
    /// Open now (from draft or scheduled), or at round 1 (scheduled, by the clock).
    Open,
    /// Close: nothing more may be asked or answered.
    Close,
}

impl Transition {
    fn name(self) -> &'static str {
        match self {
            Self::Schedule => "scheduling",
            Self::Open => "opening",
            Self::Close => "closing",
        }
    }
}

/// The state after `transition`, or why it is not allowed from `state`.
pub fn next_state(state: RelayState, transition: Transition) -> Result<RelayState, RuleViolation> {
    use RelayState::*;
    let next = match (state, transition) {
        (Draft, Transition::Schedule) => Scheduled,
        (Draft | Scheduled, Transition::Open) => Open,
        // A scheduled relay may be called off before it opens; a draft has nothing to close.
        (Scheduled | Open, Transition::Close) => Closed,
        _ => {
            return Err(RuleViolation::WrongState {
                state,
                action: transition.name(),
            });
        }
    };
    Ok(next)
}

/// Which parts of a relay a facilitator may still edit in `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Editable {
    /// Title, topic, purpose and round prompts.
    pub texts: bool,
    /// Language, time zone, round times and the pairing rules.
    pub structure: bool,
    /// Deadlines (reminder/reroute hours) and output sharing.
    pub deadlines: bool,
}

/// What may be edited in `state`: everything before opening, texts and deadlines while open,
/// output sharing only once closed.
pub fn editable(state: RelayState) -> Editable {
    match state {
        RelayState::Draft | RelayState::Scheduled => Editable {
            texts: true,
            structure: true,
            deadlines: true,
        },
        RelayState::Open => Editable {
            texts: true,
            structure: false,
            deadlines: true,
        },
        RelayState::Closed => Editable {
            texts: false,
            structure: false,
            deadlines: false,
        },
    }
}

/// Whether participants may ask and answer in `state`.
pub fn ensure_open(state: RelayState, action: &'static str) -> Result<(), RuleViolation> {
    if state == RelayState::Open {
        Ok(())
    } else {
        Err(RuleViolation::WrongState { state, action })
    }
}

/// Whether participants may be added or changed in `state` (not after closing).
pub fn ensure_participants_editable(state: RelayState) -> Result<(), RuleViolation> {
    if state == RelayState::Closed {
        Err(RuleViolation::WrongState {
            state,
            action: "changing participants",
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RelayState::*;

    const STATES: [RelayState; 4] = [Draft, Scheduled, Open, Closed];
    const TRANSITIONS: [Transition; 3] =
        [Transition::Schedule, Transition::Open, Transition::Close];

    fn rank(s: RelayState) -> u8 {
        match s {
            Draft => 0,
            Scheduled => 1,
            Open => 2,
            Closed => 3,
        }
    }

    #[test]
    fn a_draft_can_be_scheduled() {
        assert_eq!(next_state(Draft, Transition::Schedule), Ok(Scheduled));
    }

    #[test]
    fn a_draft_can_be_opened_at_once() {
        assert_eq!(next_state(Draft, Transition::Open), Ok(Open));
    }

    #[test]
    fn a_scheduled_relay_can_be_opened() {
        assert_eq!(next_state(Scheduled, Transition::Open), Ok(Open));
    }

    #[test]
    fn an_open_relay_can_be_closed() {
        assert_eq!(next_state(Open, Transition::Close), Ok(Closed));
    }

    #[test]
    fn a_scheduled_relay_can_be_called_off() {
        assert_eq!(next_state(Scheduled, Transition::Close), Ok(Closed));
    }

    #[test]
    fn a_draft_cannot_be_closed() {
        assert_eq!(
            next_state(Draft, Transition::Close),
            Err(RuleViolation::WrongState {
                state: Draft,
                action: "closing"
            })
        );
    }

    #[test]
    fn a_scheduled_relay_cannot_be_scheduled_again() {
        assert_eq!(
            next_state(Scheduled, Transition::Schedule),
            Err(RuleViolation::WrongState {
                state: Scheduled,
                action: "scheduling"
            })
        );
    }

    #[test]
    fn an_open_relay_cannot_be_scheduled_or_opened_again() {
        assert_eq!(
            next_state(Open, Transition::Schedule),
            Err(RuleViolation::WrongState {
                state: Open,
                action: "scheduling"
            })
        );
        assert_eq!(
            next_state(Open, Transition::Open),
            Err(RuleViolation::WrongState {
                state: Open,
                action: "opening"
            })
        );
    }

    #[test]
    fn a_closed_relay_refuses_every_transition() {
        for t in TRANSITIONS {
            let err = next_state(Closed, t).unwrap_err();
            assert_eq!(err.code(), "wrong_state");
            assert!(!err.is_input_error());
        }
    }

    #[test]
    fn exactly_the_five_forward_transitions_are_allowed() {
        let allowed: Vec<_> = STATES
            .iter()
            .flat_map(|&s| TRANSITIONS.iter().map(move |&t| (s, t)))
            .filter(|&(s, t)| next_state(s, t).is_ok())
            .collect();
        assert_eq!(
            allowed,
            vec![
                (Draft, Transition::Schedule),
                (Draft, Transition::Open),
                (Scheduled, Transition::Open),
                (Scheduled, Transition::Close),
                (Open, Transition::Close),
            ]
        );
    }

    #[test]
    fn transitions_never_move_backwards_or_stand_still() {
        for s in STATES {
            for t in TRANSITIONS {
                if let Ok(n) = next_state(s, t) {
                    assert!(rank(n) > rank(s), "{s:?} --{t:?}--> {n:?}");
                }
            }
        }
    }

    #[test]
    fn the_error_names_the_state_and_the_action() {
        let msg = next_state(Closed, Transition::Open)
            .unwrap_err()
            .to_string();
        assert_eq!(msg, "the relay is closed; opening is not possible now");
    }

    #[test]
    fn state_names_round_trip() {
        for s in STATES {
            assert_eq!(RelayState::parse(s.as_str()), Some(s));
        }
        assert_eq!(RelayState::parse("Open"), None);
        assert_eq!(RelayState::parse(""), None);
    }

    #[test]
    fn everything_is_editable_before_opening() {
        for s in [Draft, Scheduled] {
            assert_eq!(
                editable(s),
                Editable {
                    texts: true,
                    structure: true,
                    deadlines: true
                }
            );
        }
    }

    #[test]
    fn an_open_relay_lets_texts_and_deadlines_change_but_not_its_structure() {
        let e = editable(Open);
        assert!(e.texts);
        assert!(e.deadlines);
        assert!(!e.structure);
    }

    #[test]
    fn nothing_is_editable_once_closed() {
        assert_eq!(
            editable(Closed),
            Editable {
                texts: false,
                structure: false,
                deadlines: false
            }
        );
    }

    #[test]
    fn only_an_open_relay_lets_participants_ask_and_answer() {
        assert_eq!(ensure_open(Open, "asking"), Ok(()));
        for s in [Draft, Scheduled, Closed] {
            assert_eq!(
                ensure_open(s, "asking"),
                Err(RuleViolation::WrongState {
                    state: s,
                    action: "asking"
                })
            );
        }
    }

    #[test]
    fn participants_can_be_changed_until_the_relay_closes() {
        for s in [Draft, Scheduled, Open] {
            assert_eq!(ensure_participants_editable(s), Ok(()));
        }
        assert_eq!(
            ensure_participants_editable(Closed),
            Err(RuleViolation::WrongState {
                state: Closed,
                action: "changing participants"
            })
        );
    }
}
