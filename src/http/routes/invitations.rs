//! Invitations: an organisation's admin invites a person by email; the person takes the
//! invitation up from its link with a password and is signed in.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::auth::signed_in_response;
use crate::auth::extractors::client_ip;
use crate::auth::scope::{self, Need};
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
    let now = state.clock.now();
    let sent = state
        .db
        .write(move |conn| {
            scope::org_role(conn, user.id, oid, Need::Admin)?;
            invitations::invite(conn, &user, oid, &email, role, now)
        })
        .await?;
    Ok(HttpResponse::Created().json(json!({
        "id": sent.id,
        "email": sent.email,
        "role": sent.role,
        "expires_at": sent.expires_at,
    })))
}

/// `POST /api/auth/invitations/{token}` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    password: String,
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
    let AcceptRequest { password: pw } = body::json(&req, payload).await?;
    let now = state.clock.now();
    let lookup = token.clone();
    let existing = state
        .db
        .read(move |conn| {
            let inv = invitations::open(conn, &lookup, now)?;
            Ok(StaffUserRow::by_email(conn, &inv.email)?)
        })
        .await;
    let existing = match existing {
        Err(e) if e.status() == actix_web::http::StatusCode::NOT_FOUND => {
            // Guessing invitation tokens costs the guesser the budget of guessing links.
            state.limits.link(client_ip(&req))?;
            return Err(e);
        }
        other => other?,
    };
    let new_hash = match existing {
        Some(user) => {
            let ok = web::block(move || password::verify(&pw, &user.password_hash))
                .await
                .map_err(AppError::internal)?;
            if !ok {
                state.limits.login(client_ip(&req))?;
                return Err(AppError::unauthorized(
                    "this address has an account: give its password to join",
                ));
            }
            String::new()
        }
        None => {
            crate::ops::account::password_policy(&pw)?;
            web::block(move || password::hash(&pw))
                .await
                .map_err(AppError::internal)?
                .map_err(AppError::internal)?
        }
    };
    let hours = state.settings.server.session_absolute_hours;
    let agent = super::auth::user_agent(&req);
    let (user, secret) = state
        .db
        .write(move |conn| {
            let user = invitations::accept(conn, &token, &new_hash, now)?;
            if user.is_suspended {
                return Err(AppError::unauthorized("this account is suspended"));
            }
            let secret =
                crate::ops::staff::start_session(conn, user.id, hours, agent.clone(), now)?;
            Ok((user, secret))
        })
        .await?;
    Ok(signed_in_response(&state, &user, &secret))
}
