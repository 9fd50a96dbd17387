//! TOTP two-factor sign-in for staff: enrolling (a pending secret, confirmed by a code, which
//! turns it on and hands out recovery codes), turning it off, the second factor at sign-in,
//! and an organisation's requirement. See `auth::totp` for the codes themselves.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::audit::{self, AuditAction, Entry};
use crate::auth::scope::{self, Need};
use crate::auth::totp;
use crate::db::credentials::Credential;
use crate::db::orgs::OrgRow;
use crate::db::staff::StaffUserRow;
use crate::db::totp::{RecoveryCodes, TotpRow};
use crate::db::{DbConn, to_db};
use crate::error::AppError;

/// A pending secret, for the authenticator app.
#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    /// The secret as an `otpauth://` URI (what a QR code would hold).
    pub otpauth_uri: String,
    /// The secret, base32.
    pub secret: String,
}

/// TOTP turned on, with the recovery codes shown this once.
#[derive(Debug, Clone, Serialize)]
pub struct Enabled {
    /// Always true.
    pub enabled: bool,
    /// Single-use codes for when the app is lost.
    pub recovery_codes: Vec<String>,
}

/// An organisation's TOTP requirement, as set.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    /// The organisation.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Whether its members must sign in with TOTP.
    pub require_totp: bool,
}

/// A new pending secret for `user` (replacing any pending one): the secret and its URI.
pub fn start(
    conn: &mut DbConn,
    user: &StaffUserRow,
    now: DateTime<Utc>,
) -> Result<Pending, AppError> {
    if TotpRow::is_on(conn, user.id)? {
        return Err(already_on());
    }
    let secret = totp::new_secret();
    let uri = totp::otpauth_uri(&secret, &user.email)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no otpauth URI for a new secret")))?;
    TotpRow::start(conn, user.id, &secret, to_db(now))?;
    Ok(Pending {
        otpauth_uri: uri,
        secret,
    })
}

/// Confirms `user`'s pending secret with `code` and turns TOTP on; the new recovery codes.
pub fn confirm(
    conn: &mut DbConn,
    user: &StaffUserRow,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Enabled, AppError> {
    let Some(row) = TotpRow::find(conn, user.id)? else {
        return Err(AppError::conflict(
            "totp_not_started",
            "start enrolment first: POST /api/auth/totp with {}",
        ));
    };
    if row.enabled_at.is_some() {
        return Err(already_on());
    }
    let Some(step) = totp::check(&row.secret, code, now.timestamp()) else {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_totp",
            "that code is not the current one: check the authenticator app's clock and try again",
        ));
    };
    TotpRow::enable(conn, user.id, step, to_db(now))?;
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_hash(c)).collect();
    RecoveryCodes::replace(conn, user.id, &hashes)?;
    audit::record_for_member(
        conn,
        Entry::new(AuditAction::TotpEnabled).by(user),
        user.id,
        now,
    )?;
    Ok(Enabled {
        enabled: true,
        recovery_codes: codes,
    })
}

/// Turns `user`'s TOTP off (or drops a pending secret); refused while one of their
/// organisations requires it. The caller has checked their password.
pub fn disable(conn: &mut DbConn, user: &StaffUserRow, now: DateTime<Utc>) -> Result<(), AppError> {
    let Some(row) = TotpRow::find(conn, user.id)? else {
        return Err(AppError::conflict(
            "totp_off",
            "two-factor sign-in is not on",
        ));
    };
    if row.enabled_at.is_some() && TotpRow::required(conn, user.id)? {
        return Err(AppError::conflict(
            "totp_required",
            "an organisation you are in requires two-factor sign-in",
        ));
    }
    TotpRow::remove(conn, user.id)?;
    if row.enabled_at.is_some() {
        let entry = Entry::new(AuditAction::TotpDisabled).by(user);
        audit::record_for_member(conn, entry, user.id, now)?;
    }
    Ok(())
}

/// What [`reset`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reset {
    /// Whether TOTP was on (false: there was only a pending secret, or nothing).
    pub was_on: bool,
    /// Browser sessions ended.
    pub sessions_ended: usize,
}

/// An operator's reset for someone who lost their authenticator and their recovery codes: TOTP
/// and the recovery codes go, and so do their browser sessions (whoever holds one may be who
/// took the phone). Unlike [`disable`] this works while an organisation requires TOTP: the next
/// sign-in then leads to enrolling again. Their API tokens stay; revoke them separately.
pub fn reset(conn: &mut DbConn, email: &str, now: DateTime<Utc>) -> Result<Reset, AppError> {
    let user = StaffUserRow::by_email(conn, email.trim())?
        .ok_or_else(|| AppError::not_found("staff user"))?;
    let was_on = TotpRow::find(conn, user.id)?.is_some_and(|r| r.enabled_at.is_some());
    TotpRow::remove(conn, user.id)?;
    let sessions_ended = Credential::end_staff_sessions(conn, user.id, None)?;
    let entry = Entry::new(AuditAction::TotpReset)
        .actor("operator (command line)")
        .target("user", user.id)
        .detail(json!({ "was_on": was_on, "sessions_ended": sessions_ended }));
    audit::record_for_member(conn, entry, user.id, now)?;
    Ok(Reset {
        was_on,
        sessions_ended,
    })
}

/// The second factor at sign-in, after the password was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// TOTP is not on (a pending secret does not count): the password is enough.
    NotNeeded,
    /// A current, unused code or an unused recovery code was given.
    Passed,
    /// TOTP is on and no code was given.
    Missing,
    /// The code was wrong, already used, or a used recovery code.
    Wrong,
}

impl Factor {
    /// The 401 for a sign-in whose password was right but whose second factor was not given or
    /// did not pass.
    pub fn refusal(self) -> AppError {
        match self {
            Factor::Missing => AppError::new(
                StatusCode::UNAUTHORIZED,
                "totp_required",
                "enter the code from your authenticator app (or a recovery code)",
            ),
            _ => AppError::new(
                StatusCode::UNAUTHORIZED,
                "wrong_totp",
                "wrong or already used code",
            ),
        }
    }
}

/// Checks `code` as `user`'s second factor, using it up when it passes (a TOTP code's step, a
/// recovery code) and writing a recovery code's use to the audit log.
pub fn second_factor(
    conn: &mut DbConn,
    user: &StaffUserRow,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Factor, AppError> {
    let Some(row) = TotpRow::find(conn, user.id)?.filter(|r| r.enabled_at.is_some()) else {
        return Ok(Factor::NotNeeded);
    };
    let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
        return Ok(Factor::Missing);
    };
    let passed = if totp::looks_like_totp(code) {
        match totp::check(&row.secret, code, now.timestamp()) {
            Some(step) => TotpRow::accept_step(conn, user.id, step)?,
            None => false,
        }
    } else {
        let hash = totp::recovery_hash(code);
        let used = RecoveryCodes::use_code(conn, user.id, &hash, to_db(now))?;
        if used {
            let left = RecoveryCodes::unused(conn, user.id)?;
            let entry = Entry::new(AuditAction::RecoveryCodeUsed)
                .by(user)
                .detail(json!({ "left": left }));
            audit::record_for_member(conn, entry, user.id, now)?;
        }
        used
    };
    if passed {
        return Ok(Factor::Passed);
    }
    Ok(Factor::Wrong)
}

/// Admin `by` sets whether organisation `org_id`'s members must sign in with TOTP.
pub fn set_required(
    conn: &mut DbConn,
    by: &StaffUserRow,
    org_id: i64,
    on: bool,
    now: DateTime<Utc>,
) -> Result<Requirement, AppError> {
    scope::org_role(conn, by.id, org_id, Need::Admin)?;
    let org = OrgRow::find(conn, org_id)?.ok_or_else(|| AppError::not_found("organisation"))?;
    if org.require_totp != on {
        OrgRow::set_require_totp(conn, org_id, on)?;
        let entry = Entry::new(AuditAction::TotpRequiredChanged)
            .by(by)
            .org(org_id)
            .target("org", org_id)
            .detail(json!({ "from": org.require_totp, "to": on }));
        audit::record(conn, entry, now)?;
    }
    Ok(Requirement {
        id: org.id,
        name: org.name,
        require_totp: on,
    })
}

/// Whether `user_id` must enrol before using staff routes: an organisation of theirs requires
/// TOTP and they have not turned it on.
pub fn must_enrol(conn: &mut DbConn, user_id: i64) -> Result<bool, AppError> {
    Ok(TotpRow::required(conn, user_id)? && !TotpRow::is_on(conn, user_id)?)
}

fn already_on() -> AppError {
    AppError::conflict(
        "totp_on",
        "two-factor sign-in is already on: turn it off first to enrol again",
    )
}
