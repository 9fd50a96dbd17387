//! Invitations: an organisation's admin invites a person by email; the person takes the
//! invitation up from its link with a password and is signed in.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::auth::signed_in_response;
use crate::auth::extractors::client_ip;
use crate::auth::{OrgAdmin, Scoped, csrf, password};
use crate::db::staff::StaffUserRow;
use crate::error::AppError;
use crate::http::body;
use crate::ops::invitations;
use crate::relay::StaffRole;
use crate::state::AppState;

/// `POST /api/orgs/{oid}/invitations` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    email: String,
    role: StaffRole,
}

/// `POST /api/orgs/{oid}/invitations` `{email, role}` (admins): emails a single-use link that
/// works for 72 hours.
pub async fn invite(
    Scoped {
        user, path: oid, ..
    }: OrgAdmin,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let InviteRequest { email, role } = body::json(&req, payload).await?;
    let sent = state
        .write_with_now(move |conn, now| invitations::invite(conn, &user, oid, &email, role, now))
        .await?;
    Ok(HttpResponse::Created().json(sent))
}

/// `POST /api/auth/invitations/{token}` `{password}`: takes the invitation up. A new address
/// gets an account with this password; an existing account proves itself with its own. Either
/// way the person joins the organisation and is signed in.
pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    csrf::refuse_cross_site(&req)?;
    let token = path.into_inner();
    let body::PasswordBody { password: pw } = body::json(&req, payload).await?;
    let now = state.clock.now();
    let lookup = token.clone();
    let existing = state
        .db
        .read(move |conn| invitations::existing_account(conn, &lookup, now))
        .await;
    let existing = match existing {
        Err(e) if e.status() == StatusCode::NOT_FOUND => {
            // Guessing invitation tokens costs the guesser the budget of guessing links.
            state.limits.link(client_ip(&req))?;
            return Err(e);
        }
        other => other?,
    };
    let new_hash = password_hash(&state, &req, existing, pw).await?;
    let hours = state.settings.server.session_absolute_hours;
    let agent = super::auth::user_agent(&req);
    let (user, secret) = state
        .db
        .write(move |conn| {
            invitations::accept_and_sign_in(conn, &token, &new_hash, hours, agent.clone(), now)
        })
        .await?;
    Ok(signed_in_response(&state, &user, &secret))
}

/// The hash of `pw` for a new account, or (empty) nothing once an existing account has proved
/// itself with it; a wrong password costs the budget of a login.
async fn password_hash(
    state: &AppState,
    req: &HttpRequest,
    existing: Option<StaffUserRow>,
    pw: String,
) -> Result<String, AppError> {
    let Some(user) = existing else {
        crate::ops::account::password_policy(&pw)?;
        return web::block(move || password::hash(&pw))
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::internal);
    };
    let ok = web::block(move || password::verify(&pw, &user.password_hash))
        .await
        .map_err(AppError::internal)?;
    if !ok {
        state.limits.login(client_ip(req))?;
        return Err(AppError::unauthorized(
            "this address has an account: give its password to join",
        ));
    }
    Ok(String::new())
}
