//! Participants of a relay: import (JSON or CSV), list, suspend, reinstate, resend email.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::auth::{RunRelay, Scoped};
use crate::db::groups::GroupRow;
use crate::db::outbox::OutboxRow;
use crate::db::participants::ParticipantRow;
use crate::db::questions::QuestionRow;
use crate::db::relays::RelayRow;
use crate::error::{AppError, Found};
use crate::http::{body, dto};
use crate::ops::audit::{self, AuditAction, Entry};
use crate::ops::import::{parse_csv, parse_json};
use crate::ops::participants as ops;
use crate::state::AppState;

/// `POST /api/relays/{id}/participants` with a JSON array or a CSV body.
pub async fn import_participants(
    Scoped { user, path: id, .. }: RunRelay,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_csv = content_type.starts_with("text/csv");
    if !is_csv && !content_type.starts_with("application/json") {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send participants as application/json or text/csv",
        ));
    }
    let data = body::read_limited(payload, state.settings.server.body_limit_bytes).await?;
    let (rows, mut rejected) = if is_csv {
        parse_csv(&data)?
    } else {
        parse_json(&data)?
    };
    let (good, bad) = ops::validate_rows(rows);
    rejected.extend(bad);
    let now = state.clock.now();
    let mut report = state
        .db
        .write(move |conn| {
            let report = ops::import(conn, id, good.clone(), now)?;
            let detail = json!({ "created": report.created, "updated": report.updated });
            let entry = Entry::new(AuditAction::ParticipantsImported)
                .by(&user)
                .in_relay(conn, id)?
                .detail(detail);
            audit::record(conn, entry, now)?;
            Ok(report)
        })
        .await?;
    rejected.sort_by_key(|r| r.line);
    report.rejected = rejected;
    Ok(HttpResponse::Ok().json(report))
}

/// `GET /api/relays/{id}/participants`
pub async fn list_participants(
    Scoped { path: id, .. }: RunRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let body = state
        .db
        .read(move |conn| {
            RelayRow::find(conn, id).or_not_found("relay")?;
            let people = ParticipantRow::for_relay(conn, id)?;
            let groups = GroupRow::names(conn, id)?;
            let counts = QuestionRow::counts_per_participant(conn, id)?;
            let emails = OutboxRow::latest_per_participant(conn, id)?;
            Ok(people
                .iter()
                .map(|p| {
                    dto::participant(
                        p,
                        groups.get(&p.group_id).map_or("", String::as_str),
                        counts.get(&p.id).copied().unwrap_or_default(),
                        emails.get(&p.id),
                    )
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `POST /api/relays/{id}/participants/{pid}/suspend`
pub async fn suspend_participant(
    Scoped {
        user,
        path: (id, pid),
        ..
    }: RunRelay<(i64, i64)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let rerouted = state
        .db
        .write(move |conn| {
            let rerouted = ops::suspend(conn, id, pid, now)?;
            let action = AuditAction::ParticipantSuspended;
            record_on_participant(
                conn,
                action,
                &user,
                id,
                pid,
                json!({ "rerouted": rerouted }),
                now,
            )?;
            Ok(rerouted)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "suspended", "rerouted": rerouted })))
}

/// `POST /api/relays/{id}/participants/{pid}/unsuspend`
pub async fn unsuspend_participant(
    Scoped {
        user,
        path: (id, pid),
        ..
    }: RunRelay<(i64, i64)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    state
        .db
        .write(move |conn| {
            ops::unsuspend(conn, id, pid, now)?;
            let action = AuditAction::ParticipantUnsuspended;
            record_on_participant(conn, action, &user, id, pid, json!({}), now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "active" })))
}

/// `POST /api/relays/{id}/participants/{pid}/resend-email`
pub async fn resend_email(
    Scoped {
        user,
        path: (id, pid),
        ..
    }: RunRelay<(i64, i64)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let kind = state
        .db
        .write(move |conn| {
            let kind = ops::resend_latest(conn, id, pid, now)?;
            let action = AuditAction::EmailResent;
            record_on_participant(conn, action, &user, id, pid, json!({ "kind": kind }), now)?;
            Ok(kind)
        })
        .await?;
    Ok(HttpResponse::Accepted().json(json!({ "queued": kind })))
}

/// Records `action` by `user` on participant `pid` of relay `relay_id`.
fn record_on_participant(
    conn: &mut crate::db::DbConn,
    action: AuditAction,
    user: &crate::db::staff::StaffUserRow,
    relay_id: i64,
    pid: i64,
    detail: serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let entry = Entry::new(action)
        .by(user)
        .in_relay(conn, relay_id)?
        .target("participant", pid)
        .detail(detail);
    audit::record(conn, entry, now)
}
