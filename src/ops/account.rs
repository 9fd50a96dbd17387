//! A staff member's own credentials: API tokens with a name and an expiry, browser sessions,
//! and their password (SPEC §4 "Organisations, staff and credentials").

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;

use crate::auth::password;
use crate::db::credentials::{Credential, CredentialKind, Labels, OwnCredential};
use crate::db::outbox::{NewEmail, OutboxRow};
use crate::db::password_resets::PasswordReset;
use crate::db::staff::StaffUserRow;
use crate::db::{DbConn, from_db, to_db};
use crate::email::render::EmailKind;
use crate::error::AppError;
use crate::ops::audit::{self, AuditAction, Entry};

/// The longest an API token may live, in days.
pub const MAX_TOKEN_DAYS: i64 = 365;
/// How long the token `stafet user add` prints lives, in days (also what tokens issued before
/// tokens could expire were given by the migration `2026-11-30-020000_credentials`).
pub const CLI_TOKEN_DAYS: i64 = 90;
/// The longest token name.
pub const MAX_TOKEN_NAME: usize = 100;
/// The shortest password a person may choose, in characters.
pub const MIN_PASSWORD: usize = 12;
/// The longest password, in characters: argon2 hashes any length, but a megabyte of password
/// would only cost the server time.
pub const MAX_PASSWORD: usize = 256;

/// A token name, trimmed, or why it is refused.
pub fn token_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_TOKEN_NAME
        || name.chars().any(char::is_control)
    {
        return Err(AppError::validation(format!(
            "name must be 1 to {MAX_TOKEN_NAME} characters, without control characters"
        )));
    }
    Ok(name.to_string())
}

/// A token's lifetime in days, or why it is refused.
pub fn token_days(days: i64) -> Result<i64, AppError> {
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        return Err(AppError::validation(format!(
            "expires_in_days must be between 1 and {MAX_TOKEN_DAYS}"
        )));
    }
    Ok(days)
}

/// Whether `new` may be a password, and why not.
pub fn password_policy(new: &str) -> Result<(), AppError> {
    let n = new.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&n) {
        return Err(AppError::validation(format!(
            "the password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long"
        )));
    }
    if new.trim().is_empty() {
        return Err(AppError::validation("the password must not be only spaces"));
    }
    Ok(())
}

/// A short description of a browser from its `User-Agent` ("Firefox on Linux"), enough to
/// tell one's sessions apart; "unknown" when it names no browser we know.
pub fn browser_summary(user_agent: &str) -> String {
    let has = |s: &str| user_agent.contains(s);
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
    let browser = if has("Edg/") {
        "Edge"
    } else if has("OPR/") {
        "Opera"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chrome/") || has("Chromium/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else if has("curl/") {
        "curl"
    } else {
        "unknown browser"
    };
    let os = if has("Android") {
        "Android"
    } else if has("iPhone") || has("iPad") {
        "iOS"
    } else if has("Windows") {
        "Windows"
    } else if has("Mac OS X") || has("Macintosh") {
        "macOS"
    } else if has("Linux") {
        "Linux"
    } else {
        ""
    };
    if os.is_empty() {
        browser.to_string()
    } else {
        format!("{browser} on {os}")
    }
}

/// A new API token, its secret shown this once.
#[derive(Debug, Serialize)]
pub struct NewToken {
    pub id: i64,
    pub token: String,
}

/// An API token as its owner lists it, never its secret.
#[derive(Debug, Serialize)]
pub struct TokenView {
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub id: i64,
    pub last_used_at: Option<DateTime<Utc>>,
    pub name: Option<String>,
}

/// A browser session as its owner lists it; `current` marks the one asking.
#[derive(Debug, Serialize)]
pub struct SessionView {
    pub created_at: DateTime<Utc>,
    pub current: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub id: i64,
    pub last_seen_at: DateTime<Utc>,
    /// A short summary such as "Firefox on Linux", never the whole `User-Agent`.
    pub user_agent: String,
}

/// Creates an API token for `user` named `name` that expires in `days` days, and writes it
/// (never its secret) to the audit log.
pub fn create_token(
    conn: &mut DbConn,
    user: &StaffUserRow,
    name: &str,
    days: i64,
    now: DateTime<Utc>,
) -> Result<NewToken, AppError> {
    let name = token_name(name)?;
    let days = token_days(days)?;
    let detail = json!({ "name": name, "expires_in_days": days });
    let issued = Credential::issue_labelled(
        conn,
        CredentialKind::ApiToken,
        Some(user.id),
        None,
        to_db(now),
        Some(to_db(now + Duration::days(days))),
        Labels {
            name: Some(name),
            user_agent: None,
        },
    )?;
    let entry = Entry::new(AuditAction::TokenCreated)
        .by(user)
        .target("token", issued.id)
        .detail(detail);
    audit::record_for_member(conn, entry, user.id, now)?;
    Ok(NewToken {
        id: issued.id,
        token: issued.token,
    })
}

/// Ends `user`'s credential `id` of `kind` and writes that to the audit log: 404 when it is not
/// theirs (someone else's looks exactly like one that does not exist).
pub fn revoke(
    conn: &mut DbConn,
    user: &StaffUserRow,
    kind: CredentialKind,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (what, action) = match kind {
        CredentialKind::ApiToken => ("token", AuditAction::TokenRevoked),
        _ => ("session", AuditAction::SessionRevoked),
    };
    if Credential::delete_owned(conn, user.id, kind, id)? == 0 {
        return Err(AppError::not_found(what));
    }
    let entry = Entry::new(action).by(user).target(what, id);
    audit::record_for_member(conn, entry, user.id, now)
}

/// `user_id`'s live API tokens, newest first.
pub fn tokens(
    conn: &mut DbConn,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<TokenView>, AppError> {
    let list = Credential::owned(conn, user_id, CredentialKind::ApiToken, to_db(now))?;
    Ok(list
        .into_iter()
        .map(|t| TokenView {
            created_at: from_db(t.created_at),
            expires_at: t.expires_at.map(from_db),
            id: t.id,
            last_used_at: t.last_used_at.map(from_db),
            name: t.name,
        })
        .collect())
}

/// `user_id`'s live browser sessions, newest first: those used within `idle` (one idle longer
/// has ended, though its row stays until its absolute expiry), `current` marked.
pub fn sessions(
    conn: &mut DbConn,
    user_id: i64,
    current: Option<i64>,
    idle: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<SessionView>, AppError> {
    let list = Credential::owned(conn, user_id, CredentialKind::StaffSession, to_db(now))?;
    Ok(list
        .iter()
        .map(|s| session_view(s, current))
        .filter(|s| s.last_seen_at + idle > now)
        .collect())
}

fn session_view(s: &OwnCredential, current: Option<i64>) -> SessionView {
    SessionView {
        created_at: from_db(s.created_at),
        current: Some(s.id) == current,
        expires_at: s.expires_at.map(from_db),
        id: s.id,
        last_seen_at: from_db(s.last_used_at.unwrap_or(s.created_at)),
        user_agent: browser_summary(s.user_agent.as_deref().unwrap_or("")),
    }
}

/// Changes `user`'s password to `new_hash`, ends their sessions but `keep` (the one asking, so
/// the page it was changed on keeps working) and writes that to the audit log.
pub fn change_password(
    conn: &mut DbConn,
    user: &StaffUserRow,
    new_hash: &str,
    keep: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    set_password(conn, user.id, new_hash, keep)?;
    let entry = Entry::new(AuditAction::PasswordChanged).by(user);
    audit::record_for_member(conn, entry, user.id, now)
}

/// Stores `new_hash` as `user_id`'s password and ends their sessions but `keep`.
fn set_password(
    conn: &mut DbConn,
    user_id: i64,
    new_hash: &str,
    keep: Option<i64>,
) -> Result<(), AppError> {
    StaffUserRow::set_password(conn, user_id, new_hash)?;
    Credential::end_staff_sessions(conn, user_id, keep)?;
    Ok(())
}

/// Hashes `new` after checking it against the policy (slow on purpose: call off the async
/// runtime).
pub fn hash_new_password(new: &str) -> Result<String, AppError> {
    password_policy(new)?;
    password::hash(new).map_err(AppError::internal)
}

/// How long a password reset link works.
pub const RESET_VALID: Duration = Duration::hours(1);

/// Emails a single-use password reset link to the staff account `email`, if there is one and it
/// is not suspended. Returns whether one was sent, which the caller must not tell the asker.
pub fn request_reset(conn: &mut DbConn, email: &str, now: DateTime<Utc>) -> Result<bool, AppError> {
    let Some(user) = StaffUserRow::by_email(conn, email)? else {
        return Ok(false);
    };
    if user.is_suspended {
        return Ok(false);
    }
    let (id, token) = PasswordReset::issue(conn, user.id, to_db(now), to_db(now + RESET_VALID))?;
    OutboxRow::enqueue(
        conn,
        NewEmail {
            idempotency_key: format!("password_reset:{id}"),
            relay_id: None,
            participant_id: None,
            kind: EmailKind::PasswordReset.as_str(),
            to_address: &user.email,
            params: serde_json::json!({
                "participant_name": user.email,
                "relay_title": "Stafet",
                "language": "da",
            }),
            link_token: Some(token),
        },
        to_db(now),
    )?;
    Ok(true)
}

/// Sets a new password through the reset link `token` (hash `new_hash`, checked against the
/// policy already), ends every session of the account and writes that to the audit log. 404
/// when the link is unknown, used or past its hour, all alike.
pub fn reset_password(
    conn: &mut DbConn,
    token: &str,
    new_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(user_id) = PasswordReset::redeem(conn, token, to_db(now))? else {
        return Err(AppError::not_found("reset link"));
    };
    set_password(conn, user_id, new_hash, None)?;
    let user = StaffUserRow::find(conn, user_id)?;
    let entry = Entry::new(AuditAction::PasswordReset).by(&user);
    audit::record_for_member(conn, entry, user.id, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_names_and_lifetimes_are_bounded() {
        assert_eq!(token_name("  ci  ").unwrap(), "ci");
        assert!(token_name("").is_err());
        assert!(token_name("   ").is_err());
        assert!(token_name("a\u{0}b").is_err());
        assert!(token_name(&"x".repeat(MAX_TOKEN_NAME)).is_ok());
        assert!(token_name(&"x".repeat(MAX_TOKEN_NAME + 1)).is_err());
        assert!(token_days(0).is_err());
        assert!(token_days(-1).is_err());
        assert!(token_days(366).is_err());
        assert_eq!(token_days(1).unwrap(), 1);
        assert_eq!(token_days(365).unwrap(), 365);
    }

    #[test]
    fn passwords_have_a_minimum_and_a_maximum_length() {
        assert!(password_policy("short").is_err());
        assert!(password_policy(&"a".repeat(11)).is_err());
        assert!(password_policy(&"a".repeat(12)).is_ok());
        // Characters, not bytes: twelve æ's are 24 bytes and a fine password.
        assert!(password_policy(&"æ".repeat(12)).is_ok());
        assert!(password_policy(&" ".repeat(20)).is_err());
        assert!(password_policy(&"a".repeat(MAX_PASSWORD)).is_ok());
        assert!(password_policy(&"a".repeat(MAX_PASSWORD + 1)).is_err());
    }

    #[test]
    fn browsers_are_summarised_by_name_and_system() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(browser_summary(firefox), "Firefox on Linux");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                    Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(browser_summary(edge), "Edge on Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(browser_summary(safari), "Safari on iOS");
        assert_eq!(browser_summary("curl/8.5.0"), "curl");
        assert_eq!(browser_summary(""), "unknown browser");
    }
}
