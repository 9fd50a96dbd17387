//! Plain domain types shared by the relay rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Declares a fieldless enum whose every value has one fixed name: the name stored in the
/// database, sent in JSON and parsed back. Gives it `ALL`, `as_str` and `parse`; serde's names
/// (`rename_all = "snake_case"`) are checked against `as_str` by a unit test.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in the order declared.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stored and serialised name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// Parses a stored or serialised name.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use named_enum;

named_enum! {
    /// Where a relay is in its life. Transitions only ever move forward.
    pub enum RelayState {
        /// Everything editable, no email sent.
        Draft = "draft",
        /// Invitations sent; opens by itself at the start of round 1.
        Scheduled = "scheduled",
        /// Questions and answers flow.
        Open = "open",
        /// Nothing more can be asked or answered.
        Closed = "closed",
    }
}

named_enum! {
    /// How a question finds its recipient.
    #[derive(Default)]
    pub enum RecipientChoice {
        /// The asker picks among the eligible colleagues.
        Participant = "participant",
        /// The platform pairs the asker with a colleague.
        #[default]
        Auto = "auto",
    }
}

named_enum! {
    /// What retention leaves of a relay once its period after closing has passed.
    #[derive(Default)]
    pub enum Retention {
        /// Names, emails, titles, organisations, credentials, emails and the event log go; the
        /// corpus stays under pseudonyms (groups, rounds, themes, texts, stars).
        #[default]
        Pseudonymise = "pseudonymise",
        /// Nothing of the relay stays.
        Delete = "delete",
    }
}

named_enum! {
    /// Where a question is: waiting with its (latest) recipient, answered, or expired when the
    /// relay closed before anyone answered it.
    pub enum QuestionStatus {
        /// Waiting for an answer.
        Pending = "pending",
        /// Answered by its last recipient.
        Answered = "answered",
        /// The relay closed while it waited.
        Expired = "expired",
    }
}

named_enum! {
    /// What became of one passing of a question to a participant.
    pub enum DeliveryOutcome {
        /// Still with this participant.
        Pending = "pending",
        /// This participant answered it.
        Answered = "answered",
        /// It moved on to someone else (timeout, a facilitator, a suspension).
        Withdrawn = "withdrawn",
        /// The relay closed while it waited here.
        Expired = "expired",
    }
}

named_enum! {
    /// A staff account's role (SPEC §1).
    pub enum StaffRole {
        /// Everything a facilitator may, and staff accounts.
        Admin = "admin",
        /// Sets up and runs relays; sees names.
        Facilitator = "facilitator",
        /// Reads and analyses the corpus under pseudonyms.
        Analyst = "analyst",
    }
}

impl StaffRole {
    /// Whether the role may set up and run relays (and see participants' names).
    pub fn runs_relays(self) -> bool {
        matches!(self, Self::Facilitator | Self::Admin)
    }
}

named_enum! {
    /// What an event in a feed says happened. `docs/EVENTS.md` lists each with its audience
    /// and data.
    pub enum EventKind {
        /// Staff: the relay was scheduled.
        RelayScheduled = "relay_scheduled",
        /// Staff and each participant: the relay opened.
        RelayOpened = "relay_opened",
        /// Staff and each participant: a round began.
        RoundStarted = "round_started",
        /// Staff and each participant: the relay closed.
        RelayClosed = "relay_closed",
        /// Staff: a question was asked.
        QuestionAsked = "question_asked",
        /// Staff: a question was answered.
        QuestionAnswered = "question_answered",
        /// Staff and the asker: a question moved to another recipient.
        QuestionRerouted = "question_rerouted",
        /// Staff and the participant: a participant was suspended.
        ParticipantSuspended = "participant_suspended",
        /// Staff: a suspension was lifted.
        ParticipantUnsuspended = "participant_unsuspended",
        /// Staff: participants were imported.
        ParticipantsImported = "participants_imported",
        /// Staff: a participant asked for a fresh link on the lost-link page and was sent one.
        LinkRecovered = "link_recovered",
        /// Staff: the relay's email counts by status changed.
        EmailStatus = "email_status",
        /// The recipient: a question arrived.
        QuestionReceived = "question_received",
        /// The asker: their question went out.
        QuestionSent = "question_sent",
        /// The answerer: answering earned a baton.
        BatonGranted = "baton_granted",
        /// The asker: their question was answered.
        AnswerReceived = "answer_received",
        /// The former recipient: a question moved on to someone else.
        QuestionWithdrawn = "question_withdrawn",
        /// The recipient: a question is still waiting for them.
        Reminder = "reminder",
        /// Staff: a participant's personal data was erased on request (no erased data in it).
        ParticipantErased = "participant_erased",
        /// Staff: retention erased the relay's personal data.
        RelayErased = "relay_erased",
    }
}

impl EventKind {
    /// Whether events of this kind go to a relay's staff feed.
    pub fn for_staff(self) -> bool {
        matches!(
            self,
            Self::RelayScheduled
                | Self::RelayOpened
                | Self::RoundStarted
                | Self::RelayClosed
                | Self::QuestionAsked
                | Self::QuestionAnswered
                | Self::QuestionRerouted
                | Self::ParticipantSuspended
                | Self::ParticipantUnsuspended
                | Self::ParticipantsImported
                | Self::LinkRecovered
                | Self::EmailStatus
                | Self::ParticipantErased
                | Self::RelayErased
        )
    }

    /// Whether events of this kind go to a participant's own feed.
    pub fn for_participants(self) -> bool {
        matches!(
            self,
            Self::RelayOpened
                | Self::RoundStarted
                | Self::RelayClosed
                | Self::QuestionRerouted
                | Self::ParticipantSuspended
                | Self::QuestionReceived
                | Self::QuestionSent
                | Self::BatonGranted
                | Self::AnswerReceived
                | Self::QuestionWithdrawn
                | Self::Reminder
        )
    }
}

/// The rules a facilitator sets per relay (SPEC §4 `settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelaySettings {
    /// Who picks the recipient.
    pub recipient_choice: RecipientChoice,
    /// Prefer recipients from another group when pairing automatically.
    pub cross_group: bool,
    /// Most unanswered questions a participant may hold.
    pub max_inbox: u32,
    /// Batons every active participant holds at least at each round start.
    pub batons_per_round: u32,
    /// Most batons a participant may hold.
    pub max_batons: u32,
    /// Recipients never learn who asked.
    pub asker_anonymous: bool,
    /// Recipients see the asker's group.
    pub show_asker_group: bool,
    /// Hours after delivery before one reminder is sent.
    pub reminder_after_hours: u32,
    /// Hours after delivery before an unanswered question moves on; 0 = never.
    pub reroute_after_hours: u32,
    /// Participants may read the shared output after closing.
    pub share_output: bool,
    /// Seed of the reproducible random draw in auto pairing.
    pub seed: u64,
    /// Days after closing before retention erases personal data.
    pub retention_days: u32,
    /// What retention leaves.
    pub retention: Retention,
    /// Words the facilitator expects to stand out, in their order (analysis only; any state).
    pub keywords: Vec<String>,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            recipient_choice: RecipientChoice::Auto,
            cross_group: true,
            max_inbox: 2,
            batons_per_round: 1,
            max_batons: 3,
            asker_anonymous: true,
            show_asker_group: true,
            reminder_after_hours: 12,
            reroute_after_hours: 36,
            share_output: false,
            seed: 0,
            retention_days: 365,
            retention: Retention::Pseudonymise,
            keywords: Vec::new(),
        }
    }
}

/// A round of the relay: a named time window with an optional prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    /// Display name, e.g. "Dag 1".
    pub name: String,
    /// Start (inclusive).
    pub starts_at: DateTime<Utc>,
    /// End (exclusive).
    pub ends_at: DateTime<Utc>,
    /// Sub-topic shown to participants during the round.
    pub prompt: Option<String>,
}

/// A broken rule, reported to the user as a conflict or validation error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    /// The relay's state does not allow the action.
    #[error("the relay is {state}; {action} is not possible now")]
    WrongState {
        /// Current state.
        state: RelayState,
        /// What was attempted.
        action: &'static str,
    },
    /// The participant holds no baton.
    #[error("you hold no baton: answer a question passed to you to get one")]
    NoBaton,
    /// Nobody may receive a question from this asker right now.
    #[error("no colleague can receive a question right now")]
    NoEligibleRecipient,
    /// The chosen recipient may not receive this question.
    #[error("that colleague cannot receive a question from you: {0}")]
    RecipientNotEligible(&'static str),
    /// A text is outside its length bounds.
    #[error("{field} must be between {min} and {max} characters (got {got})")]
    TextLength {
        /// Which text.
        field: &'static str,
        /// Lower bound.
        min: usize,
        /// Upper bound.
        max: usize,
        /// Visible characters after cleaning (see `relay::text`).
        got: usize,
    },
    /// A text hides more invisible characters (zero-width, joiners, combining marks) than its
    /// bound allows visible ones.
    #[error("{field} holds more than {max} invisible characters")]
    HiddenCharacters {
        /// Which text.
        field: &'static str,
        /// The text's upper bound.
        max: usize,
    },
    /// Rounds or settings are inconsistent.
    #[error("{0}")]
    Invalid(String),
    /// The question is no longer waiting for an answer.
    #[error("the question is not waiting for an answer")]
    NotPending,
    /// The participant is suspended.
    #[error("the participant is suspended")]
    Suspended,
}

impl RuleViolation {
    /// Stable snake_case code for the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongState { .. } => "wrong_state",
            Self::NoBaton => "no_baton",
            Self::NoEligibleRecipient => "no_eligible_recipient",
            Self::RecipientNotEligible(_) => "recipient_not_eligible",
            Self::TextLength { .. } | Self::HiddenCharacters { .. } => "text_length",
            Self::Invalid(_) => "invalid",
            Self::NotPending => "not_pending",
            Self::Suspended => "suspended",
        }
    }

    /// Whether the violation is about the input (422) rather than the current state (409).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Self::TextLength { .. } | Self::HiddenCharacters { .. } | Self::Invalid(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    use super::*;

    /// Each value's serde name is its `as_str` name, and both parse back to it.
    fn names_agree<T>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
    where
        T: Copy + PartialEq + std::fmt::Debug + Serialize + DeserializeOwned,
    {
        for &value in all {
            let name = as_str(value);
            assert_eq!(serde_json::to_value(value).unwrap(), name, "{value:?}");
            assert_eq!(serde_json::from_value::<T>(name.into()).unwrap(), value);
            assert_eq!(parse(name), Some(value));
        }
        assert_eq!(parse("no such name"), None);
    }

    #[test]
    fn every_named_enum_has_one_name_per_value_in_the_database_and_in_json() {
        names_agree(RelayState::ALL, RelayState::as_str, RelayState::parse);
        names_agree(
            RecipientChoice::ALL,
            RecipientChoice::as_str,
            RecipientChoice::parse,
        );
        names_agree(
            QuestionStatus::ALL,
            QuestionStatus::as_str,
            QuestionStatus::parse,
        );
        names_agree(
            DeliveryOutcome::ALL,
            DeliveryOutcome::as_str,
            DeliveryOutcome::parse,
        );
        names_agree(StaffRole::ALL, StaffRole::as_str, StaffRole::parse);
        names_agree(Retention::ALL, Retention::as_str, Retention::parse);
        names_agree(EventKind::ALL, EventKind::as_str, EventKind::parse);
    }
}
