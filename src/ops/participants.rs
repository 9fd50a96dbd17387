//! Importing, suspending and re-emailing participants.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::audit::{self, AuditAction, Entry};
use super::import::Checked;
use super::{notify, questions, relays};
use crate::db::events::Audience;
use crate::db::groups::GroupRow;
use crate::db::outbox::OutboxRow;
use crate::db::participants::{NewParticipant, ParticipantRow};
use crate::db::questions::QuestionRow;
use crate::db::relays::{RelayOf, RelayRow};
use crate::db::rounds::RoundRow;
use crate::db::staff::StaffUserRow;
use crate::db::{DbConn, to_db};
use crate::email::render::EmailKind;
use crate::error::{AppError, Found};
use crate::relay::{EventKind, RelayState, RuleViolation, batons, lifecycle, text};

/// One participant as imported.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportRow {
    pub name: String,
    pub email: String,
    pub group: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub organisation: Option<String>,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based line (CSV: the file's line, header = 1; JSON: the array position + 1).
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// New participants.
    pub created: usize,
    /// Existing participants (same email) whose details changed.
    pub updated: usize,
    /// Rows left out.
    pub rejected: Vec<Rejected>,
}

/// Whether `email` is a plausible address: one `@`, a local part, a dotted domain, no spaces.
pub fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 255
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && email.chars().all(|c| {
            // An invisible character would make a second participant of the same address.
            !c.is_whitespace() && !text::is_invisible(c) && !matches!(c, '<' | '>' | ',')
        })
}

/// The row with its texts cleaned, or why it cannot be imported.
fn check_row(row: ImportRow) -> Result<ImportRow, String> {
    let reason = |v: crate::relay::RuleViolation| v.to_string();
    let name = text::validate("name", &row.name, (1, 200)).map_err(reason)?;
    let email = row.email.trim().to_lowercase();
    if !plausible_email(&email) {
        return Err(format!("bad email address {email:?}"));
    }
    let group = text::validate("group", &row.group, (1, 100)).map_err(reason)?;
    let title = text::validate_optional("title", row.title.as_deref(), 200).map_err(reason)?;
    let organisation = text::validate_optional("organisation", row.organisation.as_deref(), 200)
        .map_err(reason)?;
    Ok(ImportRow {
        name,
        email,
        group,
        title,
        organisation,
    })
}

/// Checks rows that parsed; `rows` carries each row's line number. Returns the good rows and
/// the rejected ones (duplicates within the upload included).
pub fn validate_rows(rows: Vec<(usize, ImportRow)>) -> (Vec<ImportRow>, Vec<Rejected>) {
    let mut seen = HashSet::new();
    let mut good = Vec::new();
    let mut rejected = Vec::new();
    for (line, row) in rows {
        let checked = check_row(row).and_then(|row| {
            if seen.insert(row.email.clone()) {
                Ok(row)
            } else {
                Err(format!("duplicate email {} in this import", row.email))
            }
        });
        match checked {
            Ok(row) => good.push(row),
            Err(reason) => rejected.push(Rejected { line, reason }),
        }
    }
    (good, rejected)
}

/// Staff member `by` imports `checked` into relay `relay_id` ([`import`]), written to the audit
/// log; the report lists the lines left out.
pub fn import_by(
    conn: &mut DbConn,
    by: &StaffUserRow,
    relay_id: i64,
    checked: Checked,
    now: DateTime<Utc>,
) -> Result<ImportReport, AppError> {
    let mut report = import(conn, relay_id, checked.rows, now)?;
    let detail = json!({ "created": report.created, "updated": report.updated });
    let entry = Entry::new(AuditAction::ParticipantsImported)
        .by(by)
        .in_relay(conn, relay_id)?
        .detail(detail);
    audit::record(conn, entry, now)?;
    report.rejected = checked.rejected;
    Ok(report)
}

/// Adds new participants and updates existing ones (matched by email). New participants of a
/// scheduled relay get their invitation; of an open relay, their batons and opening email.
pub fn import(
    conn: &mut DbConn,
    relay_id: i64,
    rows: Vec<ImportRow>,
    now: DateTime<Utc>,
) -> Result<ImportReport, AppError> {
    RelayRow::lock(conn, RelayOf::Relay(relay_id))?;
    let relay = RelayRow::find(conn, relay_id).or_not_found("relay")?;
    lifecycle::ensure_participants_editable(relay.state)?;
    let rounds = RoundRow::for_relay(conn, relay_id)?;
    let settings = relay.settings();
    let mut report = ImportReport::default();
    for row in rows {
        let gid = GroupRow::id_for(conn, relay_id, &row.group)?;
        match ParticipantRow::by_email(conn, relay_id, &row.email)? {
            Some(existing) => {
                let changed = existing.name != row.name
                    || existing.group_id != gid
                    || existing.title != row.title
                    || existing.organisation != row.organisation;
                if changed {
                    ParticipantRow::update_profile(
                        conn,
                        existing.id,
                        &row.name,
                        gid,
                        row.title.as_deref(),
                        row.organisation.as_deref(),
                        to_db(now),
                    )?;
                    report.updated += 1;
                }
            }
            None => {
                let pseudonym = ParticipantRow::next_pseudonym(conn, relay_id)?;
                let open = relay.state == RelayState::Open;
                let p = ParticipantRow::insert(
                    conn,
                    NewParticipant {
                        relay_id,
                        group_id: gid,
                        name: row.name,
                        email: row.email,
                        title: row.title,
                        organisation: row.organisation,
                        pseudonym,
                        batons: if open {
                            batons::after_round_start(0, &settings) as i32
                        } else {
                            0
                        },
                        created_at: to_db(now),
                        updated_at: to_db(now),
                    },
                )?;
                match relay.state {
                    RelayState::Scheduled => relays::invite(conn, &relay, &rounds, &p, now)?,
                    RelayState::Open => {
                        relays::welcome(conn, &relay, &rounds, &p, p.batons.max(0) as u32, now)?
                    }
                    _ => {}
                }
                report.created += 1;
            }
        }
    }
    if report.created + report.updated > 0 {
        notify::event(
            conn,
            relay_id,
            Audience::Staff,
            EventKind::ParticipantsImported,
            json!({ "created": report.created, "updated": report.updated }),
            now,
        )?;
    }
    Ok(report)
}

pub(crate) fn participant_of(
    conn: &mut DbConn,
    relay_id: i64,
    pid: i64,
) -> Result<ParticipantRow, AppError> {
    let p = ParticipantRow::find(conn, pid).or_not_found("participant")?;
    if p.relay_id != relay_id {
        return Err(AppError::not_found("participant"));
    }
    Ok(p)
}

/// A participant's standing after a suspension (with how many of their questions moved on) or
/// after it was lifted.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    /// Their pending questions passed to others by the suspension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rerouted: Option<usize>,
    /// `suspended` or `active`.
    pub status: &'static str,
}

/// An email queued again.
#[derive(Debug, Clone, Serialize)]
pub struct Queued {
    /// Its kind.
    pub queued: String,
}

/// What a facilitator does to one participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// [`suspend`]
    Suspend,
    /// [`unsuspend`]
    Unsuspend,
    /// [`resend_latest`]
    ResendEmail,
}

/// What an [`Act`] answers.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Acted {
    /// After a suspension or its end.
    Standing(Standing),
    /// After an email was queued again.
    Queued(Queued),
}

/// Staff member `by` does `act` to participant `pid` of relay `relay_id`, written to the audit
/// log.
pub fn act(
    conn: &mut DbConn,
    by: &StaffUserRow,
    relay_id: i64,
    pid: i64,
    act: Act,
    now: DateTime<Utc>,
) -> Result<Acted, AppError> {
    let (acted, entry) = match act {
        Act::Suspend => {
            let rerouted = suspend(conn, relay_id, pid, now)?;
            let standing = Standing {
                rerouted: Some(rerouted),
                status: "suspended",
            };
            let entry = Entry::new(AuditAction::ParticipantSuspended)
                .detail(json!({ "rerouted": rerouted }));
            (Acted::Standing(standing), entry)
        }
        Act::Unsuspend => {
            unsuspend(conn, relay_id, pid, now)?;
            let standing = Standing {
                rerouted: None,
                status: "active",
            };
            (
                Acted::Standing(standing),
                Entry::new(AuditAction::ParticipantUnsuspended),
            )
        }
        Act::ResendEmail => {
            let kind = resend_latest(conn, relay_id, pid, now)?;
            let entry = Entry::new(AuditAction::EmailResent).detail(json!({ "kind": kind }));
            (Acted::Queued(Queued { queued: kind }), entry)
        }
    };
    let entry = entry
        .by(by)
        .in_relay(conn, relay_id)?
        .target("participant", pid);
    audit::record(conn, entry, now)?;
    Ok(acted)
}

/// Suspends a participant: no access, no email, their pending questions rerouted at once.
fn suspend(
    conn: &mut DbConn,
    relay_id: i64,
    pid: i64,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    RelayRow::lock(conn, RelayOf::Relay(relay_id))?;
    let p = participant_of(conn, relay_id, pid)?;
    let relay = RelayRow::find(conn, relay_id)?;
    lifecycle::ensure_participants_editable(relay.state)?;
    if p.is_suspended {
        return Ok(0);
    }
    ParticipantRow::set_suspended(conn, pid, true, to_db(now))?;
    // First in the participant's own feed, so their open connections end before anything
    // after it (the questions passed on below, answers) reaches them; see `ws::revocation`.
    notify::event(
        conn,
        relay_id,
        Audience::Participant(pid),
        EventKind::ParticipantSuspended,
        json!({}),
        now,
    )?;
    let mut moved = 0;
    if relay.state == RelayState::Open {
        for q in QuestionRow::pending_for(conn, pid)? {
            // A question nobody can take stays where it is, visible to the facilitator as
            // stranded, rather than failing the suspension.
            match questions::reroute(conn, q.id, None, questions::RerouteReason::Suspended, now) {
                Ok(_) => moved += 1,
                Err(e) if e.rule() == Some(&RuleViolation::NoEligibleRecipient) => {}
                Err(e) => return Err(e),
            }
        }
    }
    notify::event(
        conn,
        relay_id,
        Audience::Staff,
        EventKind::ParticipantSuspended,
        json!({ "participant_id": pid, "rerouted": moved }),
        now,
    )?;
    Ok(moved)
}

/// Lifts a suspension.
fn unsuspend(
    conn: &mut DbConn,
    relay_id: i64,
    pid: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    RelayRow::lock(conn, RelayOf::Relay(relay_id))?;
    let p = participant_of(conn, relay_id, pid)?;
    let relay = RelayRow::find(conn, relay_id)?;
    lifecycle::ensure_participants_editable(relay.state)?;
    if !p.is_suspended {
        return Ok(());
    }
    ParticipantRow::set_suspended(conn, pid, false, to_db(now))?;
    notify::event(
        conn,
        relay_id,
        Audience::Staff,
        EventKind::ParticipantUnsuspended,
        json!({ "participant_id": pid }),
        now,
    )?;
    Ok(())
}

/// Queues the participant's latest email again, as a new email with a fresh link.
fn resend_latest(
    conn: &mut DbConn,
    relay_id: i64,
    pid: i64,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    RelayRow::lock(conn, RelayOf::Relay(relay_id))?;
    let p = participant_of(conn, relay_id, pid)?;
    if p.is_suspended {
        return Err(AppError::conflict(
            "suspended",
            "the participant is suspended",
        ));
    }
    let relay = RelayRow::find(conn, relay_id)?;
    let Some(last) = OutboxRow::latest_for(conn, relay_id, pid)? else {
        return Err(AppError::conflict(
            "no_email",
            "no email has been sent to this participant yet",
        ));
    };
    // A resend is a new email on purpose: its own key, so it is sent even if the first was.
    let kind = email_again(conn, &relay, &p, &last, "resend", now)?;
    Ok(kind.as_str().to_string())
}

/// Queues `last` (an email sent to `p` before) again with a fresh link, under a key of its own
/// that starts with `why`, so it is sent even though the first one was. A sent email's body is
/// gone (it held names and texts): what can still be sent is the welcome that fits the relay's
/// stage, the invitation while it is scheduled and the opening email after.
pub(crate) fn email_again(
    conn: &mut DbConn,
    relay: &RelayRow,
    p: &ParticipantRow,
    last: &OutboxRow,
    why: &str,
    now: DateTime<Utc>,
) -> Result<EmailKind, AppError> {
    let (kind, params) = if last.body_dropped() {
        let rounds = RoundRow::for_relay(conn, relay.id)?;
        if relay.state == RelayState::Scheduled {
            (
                EmailKind::Invitation,
                relays::invitation_params(relay, &rounds),
            )
        } else {
            let batons = p.batons.max(0) as u32;
            (
                EmailKind::Opening,
                relays::opening_params(relay, &rounds, batons),
            )
        }
    } else {
        let kind = EmailKind::parse(&last.kind).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("unknown email kind {}", last.kind))
        })?;
        (
            kind,
            serde_json::from_str(&last.params).map_err(AppError::internal)?,
        )
    };
    let key = format!("{why}:{}:{}", last.id, crate::auth::tokens::generate());
    notify::email(conn, relay, p, kind, key, params, now)?;
    Ok(kind)
}
