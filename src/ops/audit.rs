//! The audit log: who did what, when, to what. Every part of the platform writes it through
//! [`record`] (or [`record_for_member`] for what concerns a person in all their
//! organisations), inside the transaction of what it records, so a row exists exactly when the
//! action happened. Rows never hold question or answer texts, passwords or secrets: `detail`
//! carries ids, counts, names of formats and roles only.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::db::audit::{AuditRow, NewAuditRow};
use crate::db::memberships::Membership;
use crate::db::relays::RelayRow;
use crate::db::staff::StaffUserRow;
use crate::db::{DbConn, from_db, to_db};
use crate::error::AppError;
use crate::export::neutralise;
use crate::relay::named_enum;

named_enum! {
    /// What happened. Stored and filtered (`?kind=`) by these names.
    pub enum AuditAction {
        /// A staff member signed in.
        SignIn = "sign_in",
        /// A sign-in failed (wrong password, unknown email, suspended account).
        SignInFailed = "sign_in_failed",
        /// A relay was created.
        RelayCreated = "relay_created",
        /// A relay's texts, rounds or settings changed.
        RelayChanged = "relay_changed",
        /// A relay was scheduled (invitations sent).
        RelayScheduled = "relay_scheduled",
        /// A relay was opened.
        RelayOpened = "relay_opened",
        /// A relay was closed.
        RelayClosed = "relay_closed",
        /// Participants were imported.
        ParticipantsImported = "participants_imported",
        /// A participant was suspended.
        ParticipantSuspended = "participant_suspended",
        /// A participant was unsuspended.
        ParticipantUnsuspended = "participant_unsuspended",
        /// A participant's personal data was erased.
        ParticipantErased = "participant_erased",
        /// Retention erased a relay's personal data (on time, or brought forward).
        RelayErased = "relay_erased",
        /// A question was passed to someone else by a facilitator.
        QuestionRerouted = "question_rerouted",
        /// A participant's latest email was sent again.
        EmailResent = "email_resent",
        /// A relay's corpus was exported.
        CorpusExported = "corpus_exported",
        /// Themes were found by clustering.
        ThemesRun = "themes_run",
        /// An analyst was granted a relay.
        AnalystGranted = "analyst_granted",
        /// Someone was invited into the organisation.
        MemberInvited = "member_invited",
        /// An invitation was accepted.
        MemberJoined = "member_joined",
        /// A member was removed.
        MemberRemoved = "member_removed",
        /// A member's role changed.
        RoleChanged = "role_changed",
        /// An API token was created.
        TokenCreated = "token_created",
        /// An API token was revoked.
        TokenRevoked = "token_revoked",
        /// A session was revoked.
        SessionRevoked = "session_revoked",
        /// A password was changed.
        PasswordChanged = "password_changed",
        /// A password was reset by email.
        PasswordReset = "password_reset",
        /// TOTP two-factor sign-in was turned on.
        TotpEnabled = "totp_enabled",
        /// TOTP two-factor sign-in was turned off.
        TotpDisabled = "totp_disabled",
        /// An operator took a staff member's TOTP away (a lost phone) from the command line.
        TotpReset = "totp_reset",
        /// A recovery code signed someone in instead of a TOTP code.
        RecoveryCodeUsed = "recovery_code_used",
        /// An organisation started or stopped requiring TOTP of its members.
        TotpRequiredChanged = "totp_required_changed",
    }
}

/// One thing that happened, as [`record`] stores it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// What happened.
    pub action: AuditAction,
    /// The organisation whose log it goes in (none: an unknown person's failed sign-in).
    pub org_id: Option<i64>,
    /// Who did it: a staff user's id, if it was one.
    pub actor_id: Option<i64>,
    /// Who did it as people read it: the staff email, "system", or what a failed sign-in gave.
    pub actor_label: String,
    /// What it was done to: its kind ("relay", "participant", "question", "user", …) and id.
    pub target: Option<(&'static str, i64)>,
    /// The relay it concerns, if any.
    pub relay_id: Option<i64>,
    /// More about it: ids, counts, formats, roles. Never texts, passwords or secrets.
    pub detail: Value,
}

impl Entry {
    /// `action`, done by nobody in particular yet.
    pub fn new(action: AuditAction) -> Self {
        Self {
            action,
            org_id: None,
            actor_id: None,
            actor_label: "system".to_string(),
            target: None,
            relay_id: None,
            detail: json!({}),
        }
    }

    /// Done by this staff member.
    pub fn by(mut self, user: &StaffUserRow) -> Self {
        self.actor_id = Some(user.id);
        self.actor_label = user.email.clone();
        self
    }

    /// Done by someone who is no staff member, as `label` names them (cut to 200 characters).
    pub fn actor(mut self, label: &str) -> Self {
        self.actor_label = label.chars().take(200).collect();
        self
    }

    /// Concerning this relay (its organisation's log, the relay as target).
    pub fn relay(mut self, relay: &RelayRow) -> Self {
        self.org_id = relay.org_id;
        self.relay_id = Some(relay.id);
        self.target = Some(("relay", relay.id));
        self
    }

    /// Concerning relay `relay_id`, looked up for its organisation.
    pub fn in_relay(self, conn: &mut DbConn, relay_id: i64) -> Result<Self, AppError> {
        Ok(self.relay(&RelayRow::find(conn, relay_id)?))
    }

    /// In this organisation's log.
    pub fn org(mut self, org_id: i64) -> Self {
        self.org_id = Some(org_id);
        self
    }

    /// Done to this (after [`Entry::relay`], which sets the relay as target).
    pub fn target(mut self, kind: &'static str, id: i64) -> Self {
        self.target = Some((kind, id));
        self
    }

    /// With this detail.
    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }

    fn row(&self, org_id: Option<i64>, now: DateTime<Utc>) -> NewAuditRow {
        NewAuditRow {
            at: to_db(now),
            org_id,
            actor_id: self.actor_id,
            actor_label: self.actor_label.clone(),
            action: self.action.as_str().to_string(),
            target_kind: self.target.map(|(k, _)| k.to_string()),
            target_id: self.target.map(|(_, id)| id),
            relay_id: self.relay_id,
            detail: self.detail.to_string(),
        }
    }
}

/// Stores `entry` in its organisation's log.
pub fn record(conn: &mut DbConn, entry: Entry, now: DateTime<Utc>) -> Result<(), AppError> {
    AuditRow::insert(conn, &[entry.row(entry.org_id, now)])?;
    Ok(())
}

/// Stores `entry` in the log of each organisation `user_id` belongs to (in none when they
/// belong to none): a person's sign-ins appear in each of their organisations' logs.
pub fn record_for_member(
    conn: &mut DbConn,
    entry: Entry,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let orgs = Membership::orgs_of(conn, user_id)?;
    let rows: Vec<NewAuditRow> = if orgs.is_empty() {
        vec![entry.row(None, now)]
    } else {
        orgs.into_iter().map(|o| entry.row(Some(o), now)).collect()
    };
    AuditRow::insert(conn, &rows)?;
    Ok(())
}

/// The oldest time a row may have to be kept `keep_days`.
fn cutoff(keep_days: u32, now: DateTime<Utc>) -> chrono::NaiveDateTime {
    to_db(now - Duration::days(i64::from(keep_days)))
}

/// Whether any row is older than `keep_days`.
pub fn prune_due(conn: &mut DbConn, keep_days: u32, now: DateTime<Utc>) -> Result<bool, AppError> {
    Ok(AuditRow::any_before(conn, cutoff(keep_days, now))?)
}

/// Deletes rows older than `keep_days`; how many went.
pub fn prune(conn: &mut DbConn, keep_days: u32, now: DateTime<Utc>) -> Result<usize, AppError> {
    Ok(AuditRow::delete_before(conn, cutoff(keep_days, now))?)
}

/// A row as the API returns it.
pub fn json_row(r: &AuditRow) -> Value {
    json!({
        "id": r.id,
        "at": from_db(r.at),
        "actor_id": r.actor_id,
        "actor": r.actor_label,
        "action": r.action,
        "target_kind": r.target_kind,
        "target_id": r.target_id,
        "relay_id": r.relay_id,
        "detail": serde_json::from_str::<Value>(&r.detail).unwrap_or(Value::Null),
    })
}

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 8] = [
    "id",
    "at",
    "actor",
    "action",
    "target_kind",
    "target_id",
    "relay_id",
    "detail",
];

/// The log as CSV (cells a spreadsheet would run as formulas are defused, as in exports).
pub fn csv(rows: &[AuditRow]) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::internal(anyhow::anyhow!(e));
    w.write_record(CSV_HEADER).map_err(io)?;
    for r in rows {
        let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        w.write_record([
            r.id.to_string(),
            from_db(r.at).to_rfc3339(),
            neutralise(&r.actor_label).into_owned(),
            r.action.clone(),
            r.target_kind.clone().unwrap_or_default(),
            opt(r.target_id),
            opt(r.relay_id),
            neutralise(&r.detail).into_owned(),
        ])
        .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!(e.to_string())))
}
