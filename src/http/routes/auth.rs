//! Staff login and logout.

use actix_web::http::StatusCode;
use actix_web::http::header::USER_AGENT;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::auth::extractors::client_ip;
use crate::auth::{SessionKind, Staff, csrf, password};
use crate::db::credentials::{Credential, CredentialKind};
use crate::db::orgs::OrgRow;
use crate::db::staff::StaffUserRow;
use crate::db::totp::TotpRow;
use crate::error::AppError;
use crate::http::routes::orgs::org_json;
use crate::ops;
use crate::ops::audit::{self, AuditAction, Entry};
use crate::ops::totp::Factor;
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
        password: pw,
        totp,
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
    let now = state.clock.now();
    let user = match user {
        Some(u) if ok && !u.is_suspended => u,
        known => {
            let reason = match &known {
                None => "unknown_email",
                Some(u) if u.is_suspended => "suspended",
                Some(_) => "wrong_password",
            };
            let entry = failure(reason, &req);
            state
                .db
                .write(move |conn| match &known {
                    // Unknown: in no organisation's log, under the address as typed.
                    None => audit::record(conn, entry.clone().actor(&email), now),
                    Some(u) => audit::record_for_member(conn, entry.clone().by(u), u.id, now),
                })
                .await?;
            return Err(AppError::unauthorized("wrong email or password"));
        }
    };
    let hours = state.settings.server.session_absolute_hours;
    let signed_in = user.clone();
    let ip = client_ip(&req).to_string();
    let agent = user_agent(&req);
    let wrong_code = failure("wrong_totp", &req).by(&user);
    let secret = state
        .db
        .write(move |conn| {
            match ops::totp::second_factor(conn, &signed_in, totp.as_deref(), now)? {
                Factor::NotNeeded | Factor::Passed => {}
                Factor::Missing => return Ok(Err(Factor::Missing)),
                Factor::Wrong => {
                    audit::record_for_member(conn, wrong_code.clone(), signed_in.id, now)?;
                    return Ok(Err(Factor::Wrong));
                }
            }
            let secret = ops::staff::start_session(conn, signed_in.id, hours, agent.clone(), now)?;
            let entry = Entry::new(AuditAction::SignIn)
                .by(&signed_in)
                .detail(json!({ "ip": ip }));
            audit::record_for_member(conn, entry, signed_in.id, now)?;
            Ok(Ok(secret))
        })
        .await?
        .map_err(totp_refusal)?;
    Ok(signed_in_response(&state, &user, &secret))
}

/// A failed sign-in's audit entry, for `reason`.
fn failure(reason: &str, req: &HttpRequest) -> Entry {
    Entry::new(AuditAction::SignInFailed)
        .detail(json!({ "reason": reason, "ip": client_ip(req).to_string() }))
}

/// The 401 for a sign-in whose password was right but whose second factor was not given or
/// did not pass.
fn totp_refusal(factor: Factor) -> AppError {
    match factor {
        Factor::Missing => AppError::new(
            StatusCode::UNAUTHORIZED,
            "totp_required",
            "enter the code from your authenticator app (or a recovery code)",
        ),
        _ => AppError::new(
            StatusCode::UNAUTHORIZED,
            "wrong_totp",
            "wrong or already used code",
        ),
    }
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
        .json(json!({
            "user": { "id": user.id, "email": user.email, "role": user.role },
            "csrf_token": csrf::token_for(secret),
        }))
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
    let uid = user.id;
    let (orgs, totp_on) = state
        .db
        .read(move |conn| Ok((OrgRow::of_user(conn, uid)?, TotpRow::is_on(conn, uid)?)))
        .await?;
    let required = orgs.iter().any(|(o, _)| o.require_totp);
    let orgs: Vec<_> = orgs.iter().map(|(o, role)| org_json(o, *role)).collect();
    Ok(HttpResponse::Ok().json(json!({
        "user": { "id": user.id, "email": user.email, "role": user.role },
        "orgs": orgs,
        "totp": { "on": totp_on, "required": required },
        "csrf_token": csrf::token_for(&secret),
    })))
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
