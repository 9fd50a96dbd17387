//! Erasing personal data (SPEC §4 "Personal data"): one participant on request, or a whole
//! relay when its retention period after closing has passed (or a facilitator brings it
//! forward).
//!
//! What goes: names, email addresses, titles, organisations, credentials (links, sessions), the
//! outbox rows with their bodies, and the events that carry any of them. What stays, unless the
//! relay is set to `delete`: the pseudonymised corpus (pseudonyms, groups, rounds, themes,
//! question and answer texts, stars). The database runs with `secure_delete`, so erased rows
//! are overwritten where they stood; [`crate::db::Db::truncate_wal`] after an erasure takes
//! the old page images out of the WAL too.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{self, AuditAction, Entry};
use super::participants::participant_of;
use super::{notify, questions};
use crate::db::answers::AnswerRow;
use crate::db::credentials::Credential;
use crate::db::events::{Audience, EventRow};
use crate::db::outbox::OutboxRow;
use crate::db::participants::ParticipantRow;
use crate::db::questions::QuestionRow;
use crate::db::relays::RelayRow;
use crate::db::staff::StaffUserRow;
use crate::db::{DbConn, from_db, to_db};
use crate::error::{AppError, Found};
use crate::relay::{EventKind, RelayState, Retention, RuleViolation, retention};

/// What becomes of an erased participant's questions and answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Texts {
    /// They stay in the corpus under the participant's pseudonym.
    #[default]
    Keep,
    /// Their questions (with the answers others gave) and their answers are deleted.
    Remove,
}

/// `POST /api/relays/{id}/participants/{pid}/erase` body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EraseRequest {
    /// Keep (default) or remove their texts.
    #[serde(default)]
    pub texts: Texts,
}

/// What erasing one participant did.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantErased {
    /// The participant, now known only by their pseudonym.
    pub participant_id: i64,
    /// Their pseudonym.
    pub pseudonym: String,
    /// What became of their texts.
    pub texts: Texts,
    /// Questions waiting on them that moved to someone else.
    pub rerouted: usize,
    /// Questions waiting on them that nobody could take (left for the facilitator).
    pub stranded: usize,
    /// Questions of theirs deleted (`texts: remove`).
    pub questions_removed: usize,
    /// Answers of theirs deleted (`texts: remove`).
    pub answers_removed: usize,
}

/// Erases one participant's personal data now: their pending questions move on as a
/// suspension moves them, their link and sessions stop working (open sockets end at the next
/// credential sweep), their emails and their own feed go, and their name is replaced by their
/// pseudonym wherever another feed mentioned it. Written to the audit log as done by `by`.
pub fn erase_participant(
    conn: &mut DbConn,
    by: &StaffUserRow,
    relay_id: i64,
    pid: i64,
    texts: Texts,
    now: DateTime<Utc>,
) -> Result<ParticipantErased, AppError> {
    let p = participant_of(conn, relay_id, pid)?;
    let relay = RelayRow::find(conn, relay_id)?;
    if p.erased_at.is_some() {
        return Err(AppError::conflict(
            "already_erased",
            "this participant's personal data is already erased",
        ));
    }
    let (mut rerouted, mut stranded) = (0, 0);
    if relay.state == RelayState::Open {
        // Suspended first, so the pairing rule never hands their questions back to them.
        ParticipantRow::set_suspended(conn, pid, true, to_db(now))?;
        for q in QuestionRow::pending_for(conn, pid)? {
            match questions::reroute(conn, q.id, None, questions::RerouteReason::Erased, now) {
                Ok(_) => rerouted += 1,
                Err(e) if e.rule() == Some(&RuleViolation::NoEligibleRecipient) => stranded += 1,
                Err(e) => return Err(e),
            }
        }
    }
    let (mut questions_removed, mut answers_removed) = (0, 0);
    if texts == Texts::Remove {
        questions_removed = QuestionRow::delete_asked_by(conn, pid, to_db(now))?;
        let answered = AnswerRow::delete_by_author(conn, pid)?;
        answers_removed = answered.len();
        QuestionRow::set_expired(conn, &answered)?;
    }
    scrub_mentions(conn, relay_id, &p)?;
    Credential::delete_for_participants(conn, &[pid])?;
    OutboxRow::delete_for_participants(conn, &[pid])?;
    EventRow::delete_for_participant(conn, pid)?;
    ParticipantRow::erase_profile(conn, &p, to_db(now))?;
    let report = ParticipantErased {
        participant_id: pid,
        pseudonym: p.pseudonym.clone(),
        texts,
        rerouted,
        stranded,
        questions_removed,
        answers_removed,
    };
    notify::event(
        conn,
        relay_id,
        Audience::Staff,
        EventKind::ParticipantErased,
        serde_json::to_value(&report).map_err(AppError::internal)?,
        now,
    )?;
    // The choice only: nothing that was erased.
    let entry = Entry::new(AuditAction::ParticipantErased)
        .by(by)
        .relay(&relay)
        .target("participant", pid)
        .detail(json!({ "texts": texts }));
    audit::record(conn, entry, now)?;
    Ok(report)
}

/// Replaces the participant's name and address by their pseudonym in every event of the relay
/// that mentions them (a recipient's name in the asker's feed, for instance).
fn scrub_mentions(conn: &mut DbConn, relay_id: i64, p: &ParticipantRow) -> Result<(), AppError> {
    let pseudonym = json_str(&p.pseudonym);
    for identity in [&p.name, &p.email] {
        let needle = json_str(identity);
        for e in EventRow::mentioning(conn, relay_id, &needle)? {
            EventRow::set_data(conn, e.id, &e.data.replace(&needle, &pseudonym))?;
        }
    }
    Ok(())
}

/// A string as JSON writes it, quotes included: the form a name takes inside event data.
fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// What retention did to one relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelayErased {
    /// The relay.
    pub relay_id: i64,
    /// What was left.
    pub retention: Retention,
    /// Participants whose personal data went.
    pub participants: usize,
}

/// What `POST /api/relays/{id}/erase-now` answers when the relay was set to `delete`.
#[derive(Debug, Clone, Serialize)]
pub struct RelayDeleted {
    /// Always true: the relay is gone.
    pub deleted: bool,
    /// The relay that was.
    pub relay_id: i64,
}

/// [`erase_relay`], written to the audit log: by staff member `by` bringing retention forward,
/// or (none) by the system when the period has passed.
pub fn erase_relay_audited(
    conn: &mut DbConn,
    by: Option<&StaffUserRow>,
    relay_id: i64,
    now: DateTime<Utc>,
) -> Result<RelayErased, AppError> {
    // Taken before the erasure: a relay set to `delete` is gone after it.
    let mut entry = Entry::new(AuditAction::RelayErased).in_relay(conn, relay_id)?;
    let report = erase_relay(conn, relay_id, now)?;
    let detail = match by {
        Some(user) => {
            entry = entry.by(user);
            json!({ "retention": report.retention, "brought_forward": true })
        }
        None => json!({ "retention": report.retention }),
    };
    audit::record(conn, entry.detail(detail), now)?;
    Ok(report)
}

/// Applies retention to a closed relay now: its personal data goes, and with `delete` the
/// whole relay. Refused (409) while the relay is not closed, and once it has been erased.
pub fn erase_relay(
    conn: &mut DbConn,
    relay_id: i64,
    now: DateTime<Utc>,
) -> Result<RelayErased, AppError> {
    let mut relay = RelayRow::find(conn, relay_id).or_not_found("relay")?;
    if relay.state != RelayState::Closed {
        return Err(RuleViolation::WrongState {
            state: relay.state,
            action: "erasing its personal data",
        }
        .into());
    }
    if relay.erased_at.is_some() {
        return Err(AppError::conflict(
            "already_erased",
            "this relay's personal data is already erased",
        ));
    }
    let people = ParticipantRow::for_relay(conn, relay_id)?;
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let report = RelayErased {
        relay_id,
        retention: relay.retention,
        participants: people.len(),
    };
    Credential::delete_for_participants(conn, &ids)?;
    OutboxRow::delete_for_participants(conn, &ids)?;
    EventRow::delete_for_relay(conn, relay_id)?;
    if relay.retention == Retention::Delete {
        QuestionRow::delete_for_relay(conn, relay_id)?;
        RelayRow::delete(conn, relay_id)?;
        return Ok(report);
    }
    for p in people.iter().filter(|p| p.erased_at.is_none()) {
        ParticipantRow::erase_profile(conn, p, to_db(now))?;
    }
    relay.erased_at = Some(to_db(now));
    relay.updated_at = to_db(now);
    relay.save(conn)?;
    notify::event(
        conn,
        relay_id,
        Audience::Staff,
        EventKind::RelayErased,
        json!({ "participants": report.participants, "retention": report.retention }),
        now,
    )?;
    Ok(report)
}

/// Closed relays whose retention period has passed at `now`.
pub fn due(conn: &mut DbConn, now: DateTime<Utc>) -> Result<Vec<i64>, AppError> {
    Ok(RelayRow::awaiting_erasure(conn)?
        .into_iter()
        .filter(|r| {
            retention::is_due(
                r.closed_at.map(from_db),
                r.retention_days.max(0) as u32,
                now,
            )
        })
        .map(|r| r.id)
        .collect())
}
