//! Row structs (what a query returns) and insert forms, one pair per table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;

/// A staff account.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = staff_users, check_for_backend(diesel::sqlite::Sqlite))]
pub struct StaffUser {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub password_hash: String,
    pub is_suspended: bool,
    pub created_at: NaiveDateTime,
}

/// A new staff account.
#[derive(Debug, Insertable)]
#[diesel(table_name = staff_users)]
pub struct NewStaffUser<'a> {
    pub email: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
    pub created_at: NaiveDateTime,
}

/// A relay row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, AsChangeset)]
#[diesel(table_name = relays, check_for_backend(diesel::sqlite::Sqlite))]
pub struct RelayRow {
    pub id: i64,
    pub title: String,
    pub topic: String,
    pub purpose: String,
    pub language: String,
    pub timezone: String,
    pub state: String,
    pub recipient_choice: String,
    pub cross_group: bool,
    pub max_inbox: i32,
    pub batons_per_round: i32,
    pub max_batons: i32,
    pub asker_anonymous: bool,
    pub show_asker_group: bool,
    pub reminder_after_hours: i32,
    pub reroute_after_hours: i32,
    pub share_output: bool,
    pub seed: i64,
    pub rounds_started: i32,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub scheduled_at: Option<NaiveDateTime>,
    pub opened_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
}

/// A new relay.
#[derive(Debug, Insertable)]
#[diesel(table_name = relays)]
pub struct NewRelay {
    pub title: String,
    pub topic: String,
    pub purpose: String,
    pub language: String,
    pub timezone: String,
    pub state: String,
    pub recipient_choice: String,
    pub cross_group: bool,
    pub max_inbox: i32,
    pub batons_per_round: i32,
    pub max_batons: i32,
    pub asker_anonymous: bool,
    pub show_asker_group: bool,
    pub reminder_after_hours: i32,
    pub reroute_after_hours: i32,
    pub share_output: bool,
    pub seed: i64,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A round row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = rounds, check_for_backend(diesel::sqlite::Sqlite))]
pub struct RoundRow {
    pub id: i64,
    pub relay_id: i64,
    pub position: i32,
    pub name: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub prompt: Option<String>,
}

/// A new round.
#[derive(Debug, Insertable)]
#[diesel(table_name = rounds)]
pub struct NewRound {
    pub relay_id: i64,
    pub position: i32,
    pub name: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub prompt: Option<String>,
}

/// A participant row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = participants, check_for_backend(diesel::sqlite::Sqlite))]
pub struct ParticipantRow {
    pub id: i64,
    pub relay_id: i64,
    pub group_id: i64,
    pub name: String,
    pub email: String,
    pub title: Option<String>,
    pub organisation: Option<String>,
    pub pseudonym: String,
    pub batons: i32,
    pub inbox_count: i32,
    pub received_count: i32,
    pub is_suspended: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A new participant.
#[derive(Debug, Insertable)]
#[diesel(table_name = participants)]
pub struct NewParticipant {
    pub relay_id: i64,
    pub group_id: i64,
    pub name: String,
    pub email: String,
    pub title: Option<String>,
    pub organisation: Option<String>,
    pub pseudonym: String,
    pub batons: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A question row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = questions, check_for_backend(diesel::sqlite::Sqlite))]
pub struct QuestionRow {
    pub id: i64,
    pub relay_id: i64,
    pub round_id: Option<i64>,
    pub asker_id: i64,
    pub recipient_id: i64,
    pub text: String,
    pub status: String,
    pub asked_at: NaiveDateTime,
    pub delivered_at: NaiveDateTime,
    pub reminded_at: Option<NaiveDateTime>,
    pub answered_at: Option<NaiveDateTime>,
    pub is_starred: bool,
}

/// A new question.
#[derive(Debug, Insertable)]
#[diesel(table_name = questions)]
pub struct NewQuestion {
    pub relay_id: i64,
    pub round_id: Option<i64>,
    pub asker_id: i64,
    pub recipient_id: i64,
    pub text: String,
    pub status: String,
    pub asked_at: NaiveDateTime,
    pub delivered_at: NaiveDateTime,
}

/// An answer row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = answers, check_for_backend(diesel::sqlite::Sqlite))]
pub struct AnswerRow {
    pub id: i64,
    pub question_id: i64,
    pub author_id: i64,
    pub text: String,
    pub created_at: NaiveDateTime,
}

/// An event row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = events, check_for_backend(diesel::sqlite::Sqlite))]
pub struct EventRow {
    pub id: i64,
    pub relay_id: i64,
    pub participant_id: Option<i64>,
    pub kind: String,
    pub data: String,
    pub created_at: NaiveDateTime,
}

/// An outbox row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = email_outbox, check_for_backend(diesel::sqlite::Sqlite))]
pub struct OutboxRow {
    pub id: i64,
    pub idempotency_key: String,
    pub relay_id: i64,
    pub participant_id: i64,
    pub kind: String,
    pub to_address: String,
    pub params: String,
    pub link_token: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}
