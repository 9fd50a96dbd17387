//! Staff login and logout.

use actix_web::http::header::USER_AGENT;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::extractors::client_ip;
use crate::auth::{SessionKind, Staff, csrf};
use crate::db::credentials::{Credential, CredentialKind};
use crate::db::staff::StaffUserRow;
use crate::error::AppError;
use crate::ops;
use crate::ops::sign_in::{self, Client};
use crate::ops::staff::{SignedIn, UserView};
use crate::state::AppState;

/// `POST /api/auth/login` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    email: String,
    password: String,
    /// The second factor when TOTP is on: a current code or an unused recovery code.
    #[serde(default)]
    totp: Option<String>,
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
        password,
        totp,
    } = body.into_inner();
    let client = Client {
        ip: client_ip(&req).to_string(),
        user_agent: user_agent(&req),
    };
    let now = state.clock.now();
    let user = sign_in::check_password(&state.db, email, password, &client, now).await?;
    let hours = state.settings.server.session_absolute_hours;
    let signed_in = user.clone();
    let secret = state
        .db
        .write(move |conn| {
            sign_in::second_step(conn, &signed_in, totp.as_deref(), &client, hours, now)
        })
        .await??;
    Ok(signed_in_response(&state, &user, &secret))
}

/// The answer to a sign-in (a login, an accepted invitation): the staff session cookie, the
/// CSRF cookie and token, and who signed in.
pub fn signed_in_response(state: &AppState, user: &StaffUserRow, secret: &str) -> HttpResponse {
    let hours = state.settings.server.session_absolute_hours;
    let [session, csrf_cookie] =
        SessionKind::Staff.cookies_for(secret, hours, state.settings.server.cookie_secure);
    HttpResponse::Ok()
        .cookie(session)
        .cookie(csrf_cookie)
        .json(SignedIn {
            csrf_token: csrf::token_for(secret),
            user: UserView::of(user),
        })
}

/// The browser's `User-Agent`, cut to a length worth keeping.
pub fn user_agent(req: &HttpRequest) -> Option<String> {
    let ua = req.headers().get(USER_AGENT)?.to_str().ok()?;
    Some(ua.chars().take(256).collect())
}

/// `GET /api/auth/me`: the staff user behind the session, so the console knows whether to
/// show its login form, and the CSRF token for the session's writes.
pub async fn whoami(staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let Staff(user, secret) = staff;
    let token = csrf::token_for(&secret);
    let me = state
        .db
        .read(move |conn| ops::staff::whoami(conn, &user, token))
        .await?;
    Ok(HttpResponse::Ok().json(me))
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
