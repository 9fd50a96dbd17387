//! Participants of a relay: import (JSON or CSV), list, suspend, reinstate, resend email.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::{RunRelay, Scoped};
use crate::db::groups::GroupRow;
use crate::db::outbox::OutboxRow;
use crate::db::participants::ParticipantRow;
use crate::db::questions::QuestionRow;
use crate::db::relays::RelayRow;
use crate::error::{AppError, Found};
use crate::http::{body, dto};
use crate::ops::import::{self, BodyFormat};
use crate::ops::participants::{self as ops, Act, Acted};
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
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = BodyFormat::of(content_type)?;
    let data = body::read_limited(payload, state.settings.server.body_limit_bytes).await?;
    let checked = import::read(format, &data)?;
    let report = state
        .write_with_now(move |conn, now| ops::import_by(conn, &user, id, checked.clone(), now))
        .await?;
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
    scoped: RunRelay<(i64, i64)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let standing = on_participant(&state, scoped, Act::Suspend).await?;
    Ok(HttpResponse::Ok().json(standing))
}

/// `POST /api/relays/{id}/participants/{pid}/unsuspend`
pub async fn unsuspend_participant(
    scoped: RunRelay<(i64, i64)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let standing = on_participant(&state, scoped, Act::Unsuspend).await?;
    Ok(HttpResponse::Ok().json(standing))
}

/// `POST /api/relays/{id}/participants/{pid}/resend-email`
pub async fn resend_email(
    scoped: RunRelay<(i64, i64)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let queued = on_participant(&state, scoped, Act::ResendEmail).await?;
    Ok(HttpResponse::Accepted().json(queued))
}

/// The caller's `act` on the participant `{pid}` of relay `{id}`.
async fn on_participant(
    state: &AppState,
    scoped: RunRelay<(i64, i64)>,
    act: Act,
) -> Result<Acted, AppError> {
    let Scoped {
        user,
        path: (id, pid),
        ..
    } = scoped;
    state
        .write_with_now(move |conn, now| ops::act(conn, &user, id, pid, act, now))
        .await
}
