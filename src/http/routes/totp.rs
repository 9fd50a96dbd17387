//! Two-factor sign-in (TOTP) for the staff member asking: enrolling and turning it off, and an
//! organisation's requirement (SPEC §4).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::extractors::client_ip;
use crate::auth::{OrgAdmin, Scoped, Staff, password};
use crate::error::AppError;
use crate::http::body;
use crate::ops;
use crate::state::AppState;

/// `POST /api/auth/totp` body: `{}` starts enrolment, `{totp}` confirms it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    #[serde(default)]
    totp: Option<String>,
}

/// `POST /api/auth/totp`: `{}` → a new pending secret `{secret, otpauth_uri}`; `{totp}` → the
/// pending secret confirmed by a current code, TOTP on, `{recovery_codes}` shown this once.
pub async fn enrol(
    Staff(user, _): Staff,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    // Read as an object first: a struct whose fields are all optional would take `[]` too.
    let object: serde_json::Map<String, serde_json::Value> = body::json(&req, payload).await?;
    let EnrolRequest { totp } =
        serde_json::from_value(object.into()).map_err(|e| body::json_error(&e))?;
    let now = state.clock.now();
    let Some(code) = totp else {
        let pending = state
            .db
            .write(move |conn| ops::totp::start(conn, &user, now))
            .await?;
        return Ok(HttpResponse::Ok().json(pending));
    };
    // Guessing codes costs the budget of a login.
    state.limits.login(client_ip(&req))?;
    let enabled = state
        .db
        .write(move |conn| ops::totp::confirm(conn, &user, &code, now))
        .await?;
    Ok(HttpResponse::Ok().json(enabled))
}

/// `DELETE /api/auth/totp` `{password}`: turns two-factor sign-in off (409 while an
/// organisation of theirs requires it).
pub async fn disable(
    Staff(user, _): Staff,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let body::PasswordBody { password: pw } = body::json(&req, payload).await?;
    state.limits.login(client_ip(&req))?;
    let stored = user.password_hash.clone();
    let ok = web::block(move || password::verify(&pw, &stored))
        .await
        .map_err(AppError::internal)?;
    if !ok {
        return Err(AppError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "wrong_password",
            "the password is wrong",
        ));
    }
    state
        .write_with_now(move |conn, now| ops::totp::disable(conn, &user, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `PATCH /api/orgs/{oid}` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgPatch {
    require_totp: bool,
}

/// `PATCH /api/orgs/{oid}` `{require_totp}` (admins): whether members must sign in with TOTP.
pub async fn patch_org(
    Scoped {
        user, path: oid, ..
    }: OrgAdmin,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let OrgPatch { require_totp } = body::json(&req, payload).await?;
    let requirement = state
        .write_with_now(move |conn, now| {
            ops::totp::set_required(conn, &user, oid, require_totp, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(requirement))
}
