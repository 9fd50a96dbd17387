//! A staff member's own credentials (SPEC §4): API tokens, browser sessions and password.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::extractors::client_ip;
use crate::auth::{Staff, csrf, password, tokens};
use crate::db::credentials::CredentialKind;
use crate::error::AppError;
use crate::http::{Message, body};
use crate::ops::account;
use crate::ops::participants::plausible_email;
use crate::state::AppState;

/// `POST /api/auth/tokens` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    name: String,
    expires_in_days: i64,
}

/// `POST /api/auth/tokens`: a new API token, its secret shown this once.
pub async fn create_token(
    staff: Staff,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Staff(user, _) = staff;
    let NewTokenRequest {
        name,
        expires_in_days,
    } = body::json(&req, payload).await?;
    let issued = state
        .write_with_now(move |conn, now| {
            account::create_token(conn, &user, &name, expires_in_days, now)
        })
        .await?;
    Ok(HttpResponse::Created().json(issued))
}

/// `GET /api/auth/tokens`: my live API tokens, never their secrets.
pub async fn list_tokens(
    staff: Staff,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Staff(user, _) = staff;
    let now = state.clock.now();
    let list = state
        .db
        .read(move |conn| account::tokens(conn, user.id, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// `GET /api/auth/sessions`: my live browser sessions, the one asking marked `current`.
pub async fn list_sessions(
    staff: Staff,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Staff(user, secret) = staff;
    let current = tokens::split(&secret).map(|(id, _)| id);
    let idle = chrono::Duration::minutes(state.settings.server.session_idle_minutes);
    let now = state.clock.now();
    let list = state
        .db
        .read(move |conn| account::sessions(conn, user.id, current, idle, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

async fn revoke(
    staff: Staff,
    state: web::Data<AppState>,
    kind: CredentialKind,
    id: i64,
) -> Result<HttpResponse, AppError> {
    let Staff(user, _) = staff;
    state
        .write_with_now(move |conn, now| account::revoke(conn, &user, kind, id, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /api/auth/tokens/{tid}`: revokes one of my tokens; anyone else's is 404.
pub async fn revoke_token(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    revoke(staff, state, CredentialKind::ApiToken, path.into_inner()).await
}

/// `DELETE /api/auth/sessions/{sid}`: ends one of my sessions (its open sockets close within a
/// second, by the revocation sweep); anyone else's is 404.
pub async fn revoke_session(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    revoke(
        staff,
        state,
        CredentialKind::StaffSession,
        path.into_inner(),
    )
    .await
}

/// `POST /api/auth/password` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    current: String,
    new: String,
}

/// `POST /api/auth/password`: changes my password and ends my other sessions (the one asking
/// stays, so the page it was changed on keeps working).
pub async fn change_password(
    staff: Staff,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Staff(user, secret) = staff;
    let ChangePasswordRequest { current, new } = body::json(&req, payload).await?;
    account::password_policy(&new)?;
    // Guessing the current password costs the budget of a login.
    state.limits.login(client_ip(&req))?;
    let stored = user.password_hash.clone();
    let new_hash = web::block(move || {
        if !password::verify(&current, &stored) {
            return Err(AppError::new(
                actix_web::http::StatusCode::FORBIDDEN,
                "wrong_password",
                "the current password is wrong",
            ));
        }
        account::hash_new_password(&new)
    })
    .await
    .map_err(AppError::internal)??;
    let keep = tokens::split(&secret).map(|(id, _)| id);
    state
        .write_with_now(move |conn, now| {
            account::change_password(conn, &user, &new_hash, keep, now)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/auth/reset` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    email: String,
}

/// `POST /api/auth/reset` `{email}`: emails a single-use link (an hour) that sets a new
/// password. 202 with the same answer whether or not the address has an account; rate limited
/// per address and per client.
pub async fn request_reset(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    csrf::refuse_cross_site(&req)?;
    let ResetRequest { email } = body::json(&req, payload).await?;
    let email = email.trim().to_lowercase();
    if !plausible_email(&email) {
        return Err(AppError::validation("enter a valid email address"));
    }
    state.limits.recover(&email, client_ip(&req))?;
    state
        .write_with_now(move |conn, now| account::request_reset(conn, &email, now))
        .await?;
    Ok(HttpResponse::Accepted().json(Message {
        message: "if the address has an account, a link to reset its password is on its way",
    }))
}

/// `POST /api/auth/reset/{token}` `{password}`: sets the new password once and ends every
/// session of the account; the person then signs in with it.
pub async fn reset_password(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    csrf::refuse_cross_site(&req)?;
    // A guessed token costs the guesser the budget of a link.
    state.limits.link(client_ip(&req))?;
    let token = path.into_inner();
    let body::PasswordBody { password } = body::json(&req, payload).await?;
    let new_hash = web::block(move || account::hash_new_password(&password))
        .await
        .map_err(AppError::internal)??;
    state
        .write_with_now(move |conn, now| account::reset_password(conn, &token, &new_hash, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
