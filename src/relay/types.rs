//! Plain domain types shared by the relay rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a relay is in its life. Transitions only ever move forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelayState {
    /// Everything editable, no email sent.
    Draft,
    /// Invitations sent; opens by itself at the start of round 1.
    Scheduled,
    /// Questions and answers flow.
    Open,
    /// Nothing more can be asked or answered.
    Closed,
}

impl RelayState {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "scheduled" => Some(Self::Scheduled),
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// How a question finds its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientChoice {
    /// The asker picks among the eligible colleagues.
    Participant,
    /// The platform pairs the asker with a colleague.
    #[default]
    Auto,
}

impl RecipientChoice {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Participant => "participant",
            Self::Auto => "auto",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "participant" => Some(Self::Participant),
            "auto" => Some(Self::Auto),
            _ => None,
        }
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
        state: &'static str,
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
