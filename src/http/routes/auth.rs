//! Staff login and logout.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::auth::extractors::{SESSION_COOKIE, client_ip};
use crate::auth::{Staff, csrf, password};
use crate::db::credentials;
use crate::db::models::StaffUser;
use crate::error::AppError;
use crate::ops;
use crate::state::AppState;

/// Name of the cookie that hands the CSRF token to the page's scripts.
pub const CSRF_COOKIE: &str = "stafet_csrf";

/// `POST /api/auth/login` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    email: String,
    password: String,
}

/// The session and CSRF cookies for `secret`.
pub fn session_cookies(
    secret: &str,
    max_age_hours: i64,
    secure: bool,
) -> (Cookie<'static>, Cookie<'static>) {
    let session = Cookie::build(SESSION_COOKIE, secret.to_string())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::hours(max_age_hours))
        .finish();
    let csrf_cookie = Cookie::build(CSRF_COOKIE, csrf::token_for(secret))
        .path("/")
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::hours(max_age_hours))
        .finish();
    (session, csrf_cookie)
}

/// Logs a staff user in: a session cookie, and the CSRF token for writes.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    state.limits.login(client_ip(&req))?;
    let LoginRequest {
        email,
        password: pw,
    } = body.into_inner();
    let lookup = email.clone();
    let user = state
        .db
        .read(move |conn| Ok(StaffUser::by_email(conn, &lookup)?))
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
    let hours = state.settings.server.session_hours;
    let uid = user.id;
    let secret = state
        .db
        .write(move |conn| ops::staff::start_session(conn, uid, hours, now))
        .await?;
    let (session, csrf_cookie) =
        session_cookies(&secret, hours, state.settings.server.cookie_secure);
    Ok(HttpResponse::Ok()
        .cookie(session)
        .cookie(csrf_cookie)
        .json(json!({
            "user": { "id": user.id, "email": user.email, "role": user.role },
            "csrf_token": csrf::token_for(&secret),
        })))
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

/// Ends the browser session (an API token stays valid: revoke those with the CLI).
pub async fn logout(staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let Staff(_, secret) = staff;
    state
        .db
        .write(move |conn| {
            if let Some(c) = credentials::find(conn, &secret)?
                && c.kind == credentials::CredentialKind::StaffSession
            {
                credentials::delete(conn, c.id)?;
            }
            Ok(())
        })
        .await?;
    let mut gone = Cookie::new(SESSION_COOKIE, "");
    gone.set_path("/");
    gone.make_removal();
    let mut gone_csrf = Cookie::new(CSRF_COOKIE, "");
    gone_csrf.set_path("/");
    gone_csrf.make_removal();
    Ok(HttpResponse::NoContent()
        .cookie(gone)
        .cookie(gone_csrf)
        .finish())
}
