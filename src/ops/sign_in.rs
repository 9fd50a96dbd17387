//! A staff member's sign-in, after the rate limit: the password (checked even for unknown
//! addresses, so the time taken does not tell which accounts exist), the second factor, the
//! session, and an audit entry for each outcome, failures too.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::auth::password;
use crate::db::staff::StaffUserRow;
use crate::db::{Db, DbConn};
use crate::error::AppError;
use crate::ops::audit::{self, AuditAction, Entry};
use crate::ops::staff::start_session;
use crate::ops::totp::{Factor, second_factor};

/// Where a sign-in comes from, for its session and its audit entries.
#[derive(Debug, Clone)]
pub struct Client {
    /// The client's address as the server sees it.
    pub ip: String,
    /// The browser's `User-Agent`, cut short.
    pub user_agent: Option<String>,
}

/// The account `email` whose password is `pw`, unless it is unknown, suspended or the password
/// is wrong: then the failure is in the audit log and the answer is the same 401 for each.
pub async fn check_password(
    db: &Db,
    email: String,
    pw: String,
    client: &Client,
    now: DateTime<Utc>,
) -> Result<StaffUserRow, AppError> {
    let lookup = email.clone();
    let user = db
        .read(move |conn| Ok(StaffUserRow::by_email(conn, &lookup)?))
        .await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || {
        password::verify(&pw, stored.as_deref().unwrap_or(password::dummy_hash()))
    })
    .await
    .map_err(AppError::internal)?;
    match user {
        Some(u) if ok && !u.is_suspended => Ok(u),
        known => {
            let ip = client.ip.clone();
            db.write(move |conn| password_failed(conn, known.as_ref(), &email, &ip, now))
                .await?;
            Err(AppError::unauthorized("wrong email or password"))
        }
    }
}

/// Writes a refused password step: under the account when there is one, else in no
/// organisation's log under the address as typed.
fn password_failed(
    conn: &mut DbConn,
    known: Option<&StaffUserRow>,
    email: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    match known {
        None => audit::record(conn, failure("unknown_email", ip).actor(email), now),
        Some(u) => {
            let reason = if u.is_suspended {
                "suspended"
            } else {
                "wrong_password"
            };
            audit::record_for_member(conn, failure(reason, ip).by(u), u.id, now)
        }
    }
}

/// The second step for `user`, whose password passed: checks `code` when TOTP is on, starts a
/// session that ends `hours` from now at the latest and writes the sign-in to the audit log;
/// returns the session's secret. A missing or wrong code is the inner `Err`, so that the
/// caller's transaction still commits the wrong code's audit entry.
pub fn second_step(
    conn: &mut DbConn,
    user: &StaffUserRow,
    code: Option<&str>,
    client: &Client,
    hours: i64,
    now: DateTime<Utc>,
) -> Result<Result<String, AppError>, AppError> {
    match second_factor(conn, user, code, now)? {
        Factor::NotNeeded | Factor::Passed => {}
        Factor::Missing => return Ok(Err(Factor::Missing.refusal())),
        Factor::Wrong => {
            let entry = failure("wrong_totp", &client.ip).by(user);
            audit::record_for_member(conn, entry, user.id, now)?;
            return Ok(Err(Factor::Wrong.refusal()));
        }
    }
    let secret = start_session(conn, user.id, hours, client.user_agent.clone(), now)?;
    let entry = Entry::new(AuditAction::SignIn)
        .by(user)
        .detail(json!({ "ip": client.ip }));
    audit::record_for_member(conn, entry, user.id, now)?;
    Ok(Ok(secret))
}

/// A failed sign-in's audit entry, for `reason`.
fn failure(reason: &str, ip: &str) -> Entry {
    Entry::new(AuditAction::SignInFailed).detail(json!({ "reason": reason, "ip": ip }))
}
