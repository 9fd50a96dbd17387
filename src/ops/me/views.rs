//! What a participant reads: the view of their relay (`GET /api/me`), what they get back when
//! they ask or answer, and everything held about them (`GET /api/me/data`).
//!
//! Fields are declared in alphabetical order, the order the responses always had.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::outbox::OutboxStatus;
use crate::relay::{DeliveryOutcome, QuestionStatus, RecipientChoice, RelayState};

/// A participant as other participants may see them, and as they see themselves.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    /// Their group's name.
    pub group: Option<String>,
    pub id: i64,
    pub name: String,
    pub organisation: Option<String>,
    pub title: Option<String>,
}

/// An answer as its question's asker or answerer reads it.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerText {
    pub answered_at: DateTime<Utc>,
    pub text: String,
}

/// The asker of an inbox question, named only when the relay is not anonymous.
#[derive(Debug, Clone, Serialize)]
pub struct AskerName {
    pub id: i64,
    pub name: String,
}

/// A question passed to the participant. `asker` and `asker_group` are absent (not null) when
/// the relay hides them; null when the asker is unknown.
#[derive(Debug, Clone, Serialize)]
pub struct InboxQuestion {
    pub answer: Option<AnswerText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asker: Option<Option<AskerName>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asker_group: Option<Option<String>>,
    pub id: i64,
    pub received_at: DateTime<Utc>,
    /// What became of this passing of it to the participant.
    pub status: DeliveryOutcome,
    pub text: String,
}

/// A question the participant asked, with whom they asked and the answer once there is one.
#[derive(Debug, Clone, Serialize)]
pub struct AskedQuestion {
    pub answer: Option<AnswerText>,
    pub asked_at: DateTime<Utc>,
    pub id: i64,
    pub recipient: Option<Person>,
    pub status: QuestionStatus,
    pub text: String,
}

/// The answer to `POST /api/me/questions`: the question as sent, with its recipient.
#[derive(Debug, Clone, Serialize)]
pub struct SentQuestion {
    pub asked_at: DateTime<Utc>,
    pub id: i64,
    pub recipient: Person,
    pub status: QuestionStatus,
    pub text: String,
}

/// The answer to `POST /api/me/questions/{qid}/answer`: the answer and the batons now held.
#[derive(Debug, Clone, Serialize)]
pub struct SentAnswer {
    pub answered_at: DateTime<Utc>,
    pub batons: u32,
    pub question_id: i64,
    pub text: String,
}

/// The relay as a participant sees it: its texts, rounds, the rules that concern them and its
/// privacy notice.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantRelay {
    pub controller: String,
    /// The 1-based number of the running round, if one runs.
    pub current_round: Option<i32>,
    pub ends_at: Option<DateTime<Utc>>,
    /// When retention will erase the relay's personal data (once it closed).
    pub erase_at: Option<DateTime<Utc>>,
    pub id: i64,
    pub language: String,
    pub max_batons: u32,
    pub privacy_contact: String,
    pub privacy_text: String,
    pub purpose: String,
    pub recipient_choice: RecipientChoice,
    pub retention_days: i32,
    pub rounds: Vec<crate::ops::views::RoundView>,
    pub share_output: bool,
    pub starts_at: Option<DateTime<Utc>>,
    pub state: RelayState,
    pub timezone: String,
    pub title: String,
    pub topic: String,
}

/// Everything a participant may see of their relay (`GET /api/me`).
#[derive(Debug, Clone, Serialize)]
pub struct MeView {
    pub asked: Vec<AskedQuestion>,
    pub batons: i32,
    pub inbox: Vec<InboxQuestion>,
    pub participant: Person,
    /// Whom they may ask, in participant mode while the relay is open; otherwise empty.
    pub recipients: Vec<Person>,
    pub relay: ParticipantRelay,
}

/// The participant about themself, as held: their profile with what only they and the
/// facilitators see.
#[derive(Debug, Clone, Serialize)]
pub struct OwnProfile {
    pub added_at: DateTime<Utc>,
    pub email: String,
    pub group: Option<String>,
    pub id: i64,
    pub name: String,
    pub organisation: Option<String>,
    pub pseudonym: String,
    pub title: Option<String>,
}

/// One of the participant's answers.
#[derive(Debug, Clone, Serialize)]
pub struct OwnAnswer {
    pub answered_at: DateTime<Utc>,
    pub question_id: i64,
    pub text: String,
}

/// An email sent (or to be sent) to the participant: its kind and fate, not its text.
#[derive(Debug, Clone, Serialize)]
pub struct EmailSent {
    pub kind: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub status: OutboxStatus,
}

/// Everything held about a participant (`GET /api/me/data`, SPEC §4 "Personal data").
#[derive(Debug, Clone, Serialize)]
pub struct MyData {
    pub answers: Vec<OwnAnswer>,
    pub batons: i32,
    pub emails: Vec<EmailSent>,
    pub generated_at: DateTime<Utc>,
    pub participant: OwnProfile,
    pub questions_asked: Vec<AskedQuestion>,
    pub questions_received: Vec<InboxQuestion>,
    pub relay: ParticipantRelay,
}
