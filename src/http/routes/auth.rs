//! Staff login and logout.

use actix_web::http::header::USER_AGENT;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::auth::extractors::client_ip;
use crate::auth::{SessionKind, Staff, csrf, password};
use crate::db::credentials::{Credential, CredentialKind};
use crate::db::staff::StaffUserRow;
use crate::error::AppError;
use crate::ops;
use crate::state::AppState;

/// `POST /api/auth/login` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    email: String,
    password: String,
}

/// Logs a staff user in: the staff session cookie, and the CSRF token for writes. Refused when
/// another site sent it (login CSRF would sign the browser into the attacker's account).
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    csrf::refuse_cross_site(&req)?;
    state.limits.login(client_ip(&req))?;
    let LoginRequest {
        email,
        password: pw,
    } = body.into_inner();
    let lookup = email.clone();
    let user = state
        .db
        .read(move |conn| Ok(StaffUserRow::by_email(conn, &lookup)?))
        .await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    // Verify even for unknown emails, so response time does not reveal which accounts exist.
    let ok = web::block(move || {
        password::verify(&pw, stored.as_deref().unwrap_or(password::dummy_hash()))
    })
    .await
    .map_err(AppError::internal)?;
    let user = match user {
        Some(u) if ok && !u.is_suspended => u,
        _ => return Err(AppError::unauthorized("wrong email or password")),
    };
    let now = state.clock.now();
    let hours = state.settings.server.session_absolute_hours;
    let uid = user.id;
    let agent = user_agent(&req);
    let secret = state
        .db
        .write(move |conn| ops::staff::start_session(conn, uid, hours, agent.clone(), now))
        .await?;
    let [session, csrf_cookie] =
        SessionKind::Staff.cookies_for(&secret, hours, state.settings.server.cookie_secure);
    Ok(HttpResponse::Ok()
        .cookie(session)
        .cookie(csrf_cookie)
        .json(json!({
            "user": { "id": user.id, "email": user.email, "role": user.role },
            "csrf_token": csrf::token_for(&secret),
        })))
}

/// The browser's `User-Agent`, cut to a length worth keeping.
fn user_agent(req: &HttpRequest) -> Option<String> {
    let ua = req.headers().get(USER_AGENT)?.to_str().ok()?;
    Some(ua.chars().take(256).collect())
}

/// `GET /api/auth/me`: the staff user behind the session, so the console knows whether to
/// show its login form, and the CSRF token for the session's writes.
pub async fn whoami(staff: Staff) -> HttpResponse {
    let Staff(user, secret) = staff;
    HttpResponse::Ok().json(json!({
        "user": { "id": user.id, "email": user.email, "role": user.role },
        "csrf_token": csrf::token_for(&secret),
    }))
}

/// Ends the staff browser session (an API token stays valid: revoke those on the account page). A
/// participant session in the same browser stays.
pub async fn logout(staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let Staff(_, secret) = staff;
    state
        .db
        .write(move |conn| {
            if let Some(c) = Credential::find(conn, &secret)?
                && c.kind == CredentialKind::StaffSession
            {
                Credential::delete(conn, c.id)?;
            }
            Ok(())
        })
        .await?;
    let [gone, gone_csrf] = SessionKind::Staff.removal();
    Ok(HttpResponse::NoContent()
        .cookie(gone)
        .cookie(gone_csrf)
        .finish())
}
