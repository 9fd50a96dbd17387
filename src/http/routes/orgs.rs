//! Organisations: mine, their members and roles, analysts' relay grants and the audit log.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::{OrgAdmin, RunRelay, Scoped, Staff};
use crate::db::orgs::OrgRow;
use crate::error::AppError;
use crate::http::body;
use crate::ops::audit;
use crate::ops::orgs::{self, AuditQuery};
use crate::ops::views;
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
    let body: Vec<_> = list.iter().map(|(o, role)| views::org(o, *role)).collect();
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/orgs/{oid}/members` (admins).
pub async fn members(
    Scoped { path: oid, .. }: OrgAdmin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let list = state.db.read(move |conn| orgs::members(conn, oid)).await?;
    Ok(HttpResponse::Ok().json(list))
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
    let set = state
        .write_with_now(move |conn, now| orgs::change_role(conn, &user, oid, uid, role, now))
        .await?;
    Ok(HttpResponse::Ok().json(set))
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
    state
        .write_with_now(move |conn, now| orgs::remove_member(conn, &user, oid, uid, now))
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
    let granted = state
        .write_with_now(move |conn, now| orgs::grant_analyst(conn, &user, id, user_id, now))
        .await?;
    Ok(HttpResponse::Ok().json(granted))
}

/// `GET /api/orgs/{oid}/audit?since=RFC3339&kind=ACTION&format=json|csv` (admins): the log,
/// oldest first, at most [`crate::db::audit::PAGE`] rows from `since`.
pub async fn audit_log(
    Scoped { path: oid, .. }: OrgAdmin,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (filter, csv) = web::Query::<AuditQuery>::from_query(req.query_string())
        .map_err(crate::http::query_error)?
        .into_inner()
        .read()?;
    let rows = state
        .db
        .read(move |conn| orgs::audit_log(conn, oid, filter))
        .await?;
    if !csv {
        let body: Vec<_> = rows.iter().map(audit::json_row).collect();
        return Ok(HttpResponse::Ok().json(body));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"stafet-org-{oid}-audit.csv\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(audit::csv(&rows)?))
}
