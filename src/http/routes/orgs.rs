//! Organisations: mine, their members and roles, analysts' relay grants and the audit log.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::auth::scope::{self, Need};
use crate::auth::{OrgAdmin, RunRelay, Scoped, Staff};
use crate::db::audit::AuditRow;
use crate::db::from_db;
use crate::db::memberships::Membership;
use crate::db::orgs::OrgRow;
use crate::error::AppError;
use crate::http::body;
use crate::ops::audit::{self, AuditAction};
use crate::ops::orgs;
use crate::relay::StaffRole;
use crate::state::AppState;

/// `GET /api/orgs`: the caller's organisations with their role in each.
pub async fn my_orgs(
    Staff(user, _): Staff,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let list = state
        .db
        .read(move |conn| Ok(OrgRow::of_user(conn, user.id)?))
        .await?;
    let body: Vec<_> = list.iter().map(|(o, role)| org_json(o, *role)).collect();
    Ok(HttpResponse::Ok().json(body))
}

/// An organisation as `GET /api/orgs` and `GET /api/auth/me` list it, with the caller's role.
pub fn org_json(o: &OrgRow, role: StaffRole) -> serde_json::Value {
    json!({ "id": o.id, "name": o.name, "role": role, "require_totp": o.require_totp })
}

/// `GET /api/orgs/{oid}/members` (admins).
pub async fn members(
    Scoped { path: oid, .. }: OrgAdmin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let list = state
        .db
        .read(move |conn| Ok(Membership::members(conn, oid)?))
        .await?;
    let body: Vec<_> = list
        .iter()
        .map(|m| {
            json!({
                "user_id": m.user_id,
                "email": m.email,
                "role": m.role,
                "suspended": m.is_suspended,
                "since": from_db(m.since),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// `{role}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    role: StaffRole,
}

/// `PATCH /api/orgs/{oid}/members/{uid}` `{role}` (admins; the organisation keeps an admin).
pub async fn change_role(
    Scoped {
        user,
        path: (oid, uid),
        ..
    }: OrgAdmin<(i64, i64)>,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let RoleRequest { role } = body::json(&req, payload).await?;
    let now = state.clock.now();
    state
        .db
        .write(move |conn| {
            scope::org_role(conn, user.id, oid, Need::Admin)?;
            orgs::change_role(conn, &user, oid, uid, role, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "user_id": uid, "role": role })))
}

/// `DELETE /api/orgs/{oid}/members/{uid}` (admins; the organisation keeps an admin).
pub async fn remove_member(
    Scoped {
        user,
        path: (oid, uid),
        ..
    }: OrgAdmin<(i64, i64)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    state
        .db
        .write(move |conn| {
            scope::org_role(conn, user.id, oid, Need::Admin)?;
            orgs::remove_member(conn, &user, oid, uid, now)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `{user_id}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    user_id: i64,
}

/// `POST /api/relays/{id}/analysts` `{user_id}`: grants an analyst of the relay's organisation
/// the relay (its facilitators and admins).
pub async fn grant_analyst(
    Scoped { user, path: id, .. }: RunRelay,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let GrantRequest { user_id } = body::json(&req, payload).await?;
    let now = state.clock.now();
    state
        .db
        .write(move |conn| orgs::grant_analyst(conn, &user, id, user_id, now))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "relay_id": id, "user_id": user_id })))
}

/// `GET /api/orgs/{oid}/audit?since=&kind=&format=json|csv`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    #[serde(default)]
    since: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

/// `GET /api/orgs/{oid}/audit?since=RFC3339&kind=ACTION&format=json|csv` (admins): the log,
/// oldest first, at most [`crate::db::audit::PAGE`] rows from `since`.
pub async fn audit_log(
    Scoped { path: oid, .. }: OrgAdmin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let q = web::Query::<AuditQuery>::from_query(req.query_string())
        .map_err(crate::http::query_error)?
        .into_inner();
    let kind = match q.kind.as_deref() {
        None | Some("") => None,
        Some(k) => Some(
            AuditAction::parse(k)
                .ok_or_else(|| AppError::validation(format!("kind must be one of {}", kinds())))?,
        ),
    };
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(AppError::validation("format must be json or csv")),
    };
    let since = q.since.map(crate::db::to_db);
    let rows = state
        .db
        .read(move |conn| {
            Ok(AuditRow::for_org(
                conn,
                oid,
                since,
                kind.map(AuditAction::as_str),
            )?)
        })
        .await?;
    if csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"stafet-org-{oid}-audit.csv\""),
            ))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(audit::csv(&rows)?));
    }
    let body: Vec<_> = rows.iter().map(audit::json_row).collect();
    Ok(HttpResponse::Ok().json(body))
}

fn kinds() -> String {
    AuditAction::ALL
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
