//! A staff member's own credentials: API tokens with a name and an expiry, browser sessions,
//! and their password (SPEC §4 "Organisations, staff and credentials").

use chrono::{DateTime, Duration, Utc};

use crate::auth::password;
use crate::db::credentials::{Credential, CredentialKind, Issued, Labels, OwnCredential};
use crate::db::outbox::{NewEmail, OutboxRow};
use crate::db::password_resets::PasswordReset;
use crate::db::staff::StaffUserRow;
use crate::db::{DbConn, to_db};
use crate::email::render::EmailKind;
use crate::error::AppError;

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

/// Creates an API token for `user_id` named `name` that expires in `days` days.
pub fn create_token(
    conn: &mut DbConn,
    user_id: i64,
    name: &str,
    days: i64,
    now: DateTime<Utc>,
) -> Result<Issued, AppError> {
    let name = token_name(name)?;
    let days = token_days(days)?;
    Ok(Credential::issue_labelled(
        conn,
        CredentialKind::ApiToken,
        Some(user_id),
        None,
        to_db(now),
        Some(to_db(now + Duration::days(days))),
        Labels {
            name: Some(name),
            user_agent: None,
        },
    )?)
}

/// Ends `user_id`'s credential `id` of `kind`: 404 when it is not theirs (someone else's looks
/// exactly like one that does not exist).
pub fn revoke(
    conn: &mut DbConn,
    user_id: i64,
    kind: CredentialKind,
    id: i64,
) -> Result<(), AppError> {
    let what = match kind {
        CredentialKind::ApiToken => "token",
        _ => "session",
    };
    match Credential::delete_owned(conn, user_id, kind, id)? {
        0 => Err(AppError::not_found(what)),
        _ => Ok(()),
    }
}

/// `user_id`'s live credentials of `kind`, newest first.
pub fn list(
    conn: &mut DbConn,
    user_id: i64,
    kind: CredentialKind,
    now: DateTime<Utc>,
) -> Result<Vec<OwnCredential>, AppError> {
    Ok(Credential::owned(conn, user_id, kind, to_db(now))?)
}

/// Stores `new_hash` as `user_id`'s password and ends their sessions but `keep`.
pub fn set_password(
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
/// policy already) and ends every session of the account; returns the account. 404 when the
/// link is unknown, used or past its hour, all alike.
pub fn reset_password(
    conn: &mut DbConn,
    token: &str,
    new_hash: &str,
    now: DateTime<Utc>,
) -> Result<StaffUserRow, AppError> {
    let Some(user_id) = PasswordReset::redeem(conn, token, to_db(now))? else {
        return Err(AppError::not_found("reset link"));
    };
    set_password(conn, user_id, new_hash, None)?;
    Ok(StaffUserRow::find(conn, user_id)?)
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
