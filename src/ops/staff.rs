//! Staff accounts and their credentials.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::auth::password;
use crate::db::credentials::{Credential, CredentialKind, Labels};
use crate::db::memberships::Membership;
use crate::db::orgs::OrgRow;
use crate::db::staff::StaffUserRow;
use crate::db::totp::TotpRow;
use crate::db::{DbConn, to_db};
use crate::error::AppError;
use crate::ops::account::CLI_TOKEN_DAYS;
use crate::ops::participants::plausible_email;
use crate::ops::views::{OrgView, org};
use crate::relay::StaffRole;

/// A new account's one-time secrets, shown once by `stafet user add`.
#[derive(Debug)]
pub struct NewAccount {
    /// The account.
    pub user: StaffUserRow,
    /// Generated password.
    pub password: String,
    /// API token.
    pub token: String,
    /// When the token stops working ([`CLI_TOKEN_DAYS`] from now).
    pub token_expires_at: DateTime<Utc>,
}

/// Creates a staff account with a generated password and an API token that expires in
/// [`CLI_TOKEN_DAYS`] days, a member of `org_id` (the default organisation when none) in `role`.
pub fn add_user(
    conn: &mut DbConn,
    email: &str,
    role: &str,
    org_id: Option<i64>,
    password_hash: &str,
    password: String,
    now: DateTime<Utc>,
) -> Result<NewAccount, AppError> {
    let email = email.trim().to_lowercase();
    if !plausible_email(&email) {
        return Err(AppError::validation(format!("bad email address {email:?}")));
    }
    let role = StaffRole::parse(role)
        .ok_or_else(|| AppError::validation("role must be admin, facilitator or analyst"))?;
    if StaffUserRow::by_email(conn, &email)?.is_some() {
        return Err(AppError::conflict(
            "duplicate",
            format!("{email} already has an account"),
        ));
    }
    let org = match org_id {
        Some(id) => OrgRow::find(conn, id)?,
        None => OrgRow::default_org(conn)?,
    }
    .ok_or_else(|| AppError::validation("no such organisation (see `stafet org add`)"))?;
    let user = StaffUserRow::insert(conn, &email, role, password_hash, to_db(now))?;
    Membership::set(conn, org.id, user.id, role, to_db(now))?;
    let token_expires_at = now + Duration::days(CLI_TOKEN_DAYS);
    let token = Credential::issue_labelled(
        conn,
        CredentialKind::ApiToken,
        Some(user.id),
        None,
        to_db(now),
        Some(to_db(token_expires_at)),
        Labels {
            name: Some("stafet user add".into()),
            user_agent: None,
        },
    )?
    .token;
    Ok(NewAccount {
        user,
        password,
        token,
        token_expires_at,
    })
}

/// A generated password and its hash (hashing is slow on purpose: call off the async runtime).
pub fn new_password() -> anyhow::Result<(String, String)> {
    let pw = password::generate();
    let hash = password::hash(&pw)?;
    Ok((pw, hash))
}

/// Starts a browser session for `user_id` that ends `hours` after now at the latest, from the
/// browser `user_agent`; returns its secret.
pub fn start_session(
    conn: &mut DbConn,
    user_id: i64,
    hours: i64,
    user_agent: Option<String>,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    Ok(Credential::issue_labelled(
        conn,
        CredentialKind::StaffSession,
        Some(user_id),
        None,
        to_db(now),
        Some(to_db(now + Duration::hours(hours))),
        Labels {
            name: None,
            user_agent,
        },
    )?
    .token)
}

/// A staff member as they see themselves.
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub email: String,
    pub id: i64,
    pub role: StaffRole,
}

impl UserView {
    /// `user` as they see themselves.
    pub fn of(user: &StaffUserRow) -> Self {
        Self {
            email: user.email.clone(),
            id: user.id,
            role: user.role,
        }
    }
}

/// The answer to a sign-in: who signed in and the CSRF token for their writes.
#[derive(Debug, Clone, Serialize)]
pub struct SignedIn {
    pub csrf_token: String,
    pub user: UserView,
}

/// Whether TOTP is on for a staff member, and whether one of their organisations requires it.
#[derive(Debug, Clone, Serialize)]
pub struct TotpState {
    pub on: bool,
    pub required: bool,
}

/// The staff member behind a session (`GET /api/auth/me`): who they are, their organisations,
/// their TOTP state and the CSRF token for their writes.
#[derive(Debug, Clone, Serialize)]
pub struct Whoami {
    pub csrf_token: String,
    pub orgs: Vec<OrgView>,
    pub totp: TotpState,
    pub user: UserView,
}

/// `user` as they see themselves, with `csrf_token` handed back.
pub fn whoami(
    conn: &mut DbConn,
    user: &StaffUserRow,
    csrf_token: String,
) -> Result<Whoami, AppError> {
    let orgs = OrgRow::of_user(conn, user.id)?;
    Ok(Whoami {
        csrf_token,
        totp: TotpState {
            on: TotpRow::is_on(conn, user.id)?,
            required: orgs.iter().any(|(o, _)| o.require_totp),
        },
        orgs: orgs.iter().map(|(o, role)| org(o, *role)).collect(),
        user: UserView::of(user),
    })
}
