//! Invitations into an organisation: an admin invites an address with a role, an email with a
//! single-use link goes out through the outbox, and whoever holds the link within 72 hours
//! sets a password (or, for an existing account, gives theirs) and becomes a member.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use subtle::ConstantTimeEq as _;

use super::audit::{self, AuditAction, Entry};
use crate::auth::scope::{self, Need};
use crate::auth::tokens;
use crate::db::invitations::{InvitationRow, NewInvitation};
use crate::db::memberships::Membership;
use crate::db::orgs::OrgRow;
use crate::db::outbox::{NewEmail, OutboxRow};
use crate::db::staff::StaffUserRow;
use crate::db::{DbConn, from_db, to_db};
use crate::email::format_time;
use crate::email::render::EmailKind;
use crate::error::{AppError, Found};
use crate::ops::participants::plausible_email;
use crate::relay::StaffRole;

/// How long an invitation link works.
pub const VALID_HOURS: i64 = 72;

/// An invitation just sent.
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    /// The address invited (trimmed, lower-case).
    pub email: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
    /// Its id.
    pub id: i64,
    /// The role they get.
    pub role: StaffRole,
}

/// Invites `email` into `org_id` as `role`, by admin `by`: stores the invitation and queues its
/// email. 409 when the address is already a member.
pub fn invite(
    conn: &mut DbConn,
    by: &StaffUserRow,
    org_id: i64,
    email: &str,
    role: StaffRole,
    now: DateTime<Utc>,
) -> Result<Sent, AppError> {
    scope::org_role(conn, by.id, org_id, Need::Admin)?;
    let email = email.trim().to_lowercase();
    if !plausible_email(&email) {
        return Err(AppError::validation(format!("bad email address {email:?}")));
    }
    let org = OrgRow::find(conn, org_id)?.ok_or_else(|| AppError::not_found("organisation"))?;
    if let Some(user) = StaffUserRow::by_email(conn, &email)?
        && Membership::role(conn, org_id, user.id)?.is_some()
    {
        return Err(AppError::conflict(
            "already_member",
            format!("{email} is already a member"),
        ));
    }
    let secret = tokens::generate();
    let expires_at = now + Duration::hours(VALID_HOURS);
    let row = InvitationRow::insert(
        conn,
        NewInvitation {
            token_hash: tokens::hash(&secret),
            org_id,
            email: email.clone(),
            role,
            invited_by: Some(by.id),
            created_at: to_db(now),
            expires_at: to_db(expires_at),
        },
    )?;
    let params = json!({
        "language": "da",
        "relay_title": "Stafet",
        "participant_name": email,
        "organiser": org.name,
        "role": role,
        "expires_at": format_time(expires_at, "Europe/Copenhagen", "da"),
    });
    OutboxRow::enqueue(
        conn,
        NewEmail {
            idempotency_key: format!("staff_invitation:{}", row.id),
            relay_id: None,
            participant_id: None,
            kind: EmailKind::StaffInvitation.as_str(),
            to_address: &email,
            params,
            link_token: Some(tokens::compose(row.id, &secret)),
        },
        to_db(now),
    )?;
    let entry = Entry::new(AuditAction::MemberInvited)
        .by(by)
        .org(org_id)
        .target("invitation", row.id)
        .detail(json!({ "email": email, "role": role }));
    audit::record(conn, entry, now)?;
    Ok(Sent {
        id: row.id,
        email,
        role,
        expires_at,
    })
}

/// Why an invitation link does not work.
fn gone(code: &'static str, message: &str) -> AppError {
    AppError::new(actix_web::http::StatusCode::GONE, code, message.to_string())
}

/// The open invitation `token` presents: 404 when there is none, 410 once used or expired.
pub fn open(conn: &mut DbConn, token: &str, now: DateTime<Utc>) -> Result<InvitationRow, AppError> {
    let (id, secret) = tokens::split(token).ok_or_else(|| AppError::not_found("invitation"))?;
    let row = InvitationRow::find(conn, id)?.ok_or_else(|| AppError::not_found("invitation"))?;
    let hash = tokens::hash(secret);
    if !bool::from(hash.as_bytes().ct_eq(row.token_hash.as_bytes())) {
        return Err(AppError::not_found("invitation"));
    }
    if row.used_at.is_some() {
        return Err(gone(
            "invitation_used",
            "this invitation has already been used",
        ));
    }
    if from_db(row.expires_at) <= now {
        return Err(gone(
            "invitation_expired",
            "this invitation has expired; ask for a new one",
        ));
    }
    Ok(row)
}

/// The account the address of open invitation `token` already has, if any (404 and 410 as
/// [`open`]).
pub fn existing_account(
    conn: &mut DbConn,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<StaffUserRow>, AppError> {
    let inv = open(conn, token, now)?;
    Ok(StaffUserRow::by_email(conn, &inv.email)?)
}

/// Takes up invitation `token` ([`accept`]) and signs the account in with a session of
/// `hours`: the account and the session's secret. A suspended account is refused (401).
pub fn accept_and_sign_in(
    conn: &mut DbConn,
    token: &str,
    new_password_hash: &str,
    hours: i64,
    user_agent: Option<String>,
    now: DateTime<Utc>,
) -> Result<(StaffUserRow, String), AppError> {
    let user = accept(conn, token, new_password_hash, now)?;
    if user.is_suspended {
        return Err(AppError::unauthorized("this account is suspended"));
    }
    let secret = super::staff::start_session(conn, user.id, hours, user_agent, now)?;
    Ok((user, secret))
}

/// Takes up invitation `token`: the account (made with `new_password_hash` when the address
/// has none) joins the organisation in the invited role. Returns the account.
pub fn accept(
    conn: &mut DbConn,
    token: &str,
    new_password_hash: &str,
    now: DateTime<Utc>,
) -> Result<StaffUserRow, AppError> {
    let inv = open(conn, token, now)?;
    if !InvitationRow::use_up(conn, inv.id, to_db(now))? {
        return Err(gone(
            "invitation_used",
            "this invitation has already been used",
        ));
    }
    let user = match StaffUserRow::by_email(conn, &inv.email)? {
        Some(u) => u,
        None => StaffUserRow::insert(conn, &inv.email, inv.role, new_password_hash, to_db(now))?,
    };
    Membership::set(conn, inv.org_id, user.id, inv.role, to_db(now))?;
    let entry = Entry::new(AuditAction::MemberJoined)
        .by(&user)
        .org(inv.org_id)
        .target("user", user.id)
        .detail(json!({ "invitation": inv.id, "role": inv.role }));
    audit::record(conn, entry, now)?;
    StaffUserRow::find(conn, user.id).or_not_found("user")
}
