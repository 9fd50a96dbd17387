//! Personal data, staff side (SPEC §4 "Personal data"): retention at once, erasing one
//! participant, and copying a relay into a new draft. The participant's own download is
//! `me::download_my_data`.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::{RunRelay, Scoped};
use crate::error::AppError;
use crate::http::{body, dto};
use crate::ops::copy::{CopyRequest, copy_relay};
use crate::ops::erasure::{self, EraseRequest, RelayDeleted};
use crate::relay::Retention;
use crate::state::AppState;

/// Cuts the WAL after an erasure; a failure to cut is logged, the erasure stands.
async fn cut_wal(state: &AppState) {
    match state.db.truncate_wal().await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("the WAL could not be cut after an erasure; the next checkpoint will")
        }
        Err(e) => tracing::warn!(error = %e, "cutting the WAL after an erasure failed"),
    }
}

/// `POST /api/relays/{id}/erase-now`: retention at once, for a closed relay. Answers with the
/// relay as it is now, or `{relay_id, deleted: true}` when the relay was set to `delete`.
pub async fn erase_relay_now(
    Scoped { user, path: id, .. }: RunRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let report = state
        .write_with_now(move |conn, now| erasure::erase_relay_audited(conn, Some(&user), id, now))
        .await?;
    cut_wal(&state).await;
    if report.retention == Retention::Delete {
        let deleted = RelayDeleted {
            deleted: true,
            relay_id: id,
        };
        return Ok(HttpResponse::Ok().json(deleted));
    }
    super::relays::relay_response(&state, id).await
}

/// `POST /api/relays/{id}/participants/{pid}/erase` `{texts: "keep"|"remove"}`.
pub async fn erase_participant(
    Scoped {
        user,
        path: (id, pid),
        ..
    }: RunRelay<(i64, i64)>,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let EraseRequest { texts } = body::json(&req, payload).await?;
    let report = state
        .write_with_now(move |conn, now| {
            erasure::erase_participant(conn, &user, id, pid, texts, now)
        })
        .await?;
    cut_wal(&state).await;
    Ok(HttpResponse::Ok().json(report))
}

/// `POST /api/relays/{id}/copy` `{title, with_participants}` → the new draft.
pub async fn copy(
    Scoped { user, path: id, .. }: RunRelay,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let input: CopyRequest = body::json(&req, payload).await?;
    let now = state.clock.now();
    let (row, rounds) = state
        .db
        .write(move |conn| copy_relay(conn, id, input.clone(), &user, now))
        .await?;
    Ok(HttpResponse::Created().json(dto::relay(&row, &rounds, now)))
}
