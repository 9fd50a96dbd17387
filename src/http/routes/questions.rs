//! Facilitator actions on single questions.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::auth::{RunQuestion, RunRelay, Scoped};
use crate::error::AppError;
use crate::http::body;
use crate::ops::pending;
use crate::ops::questions as ops;
use crate::state::AppState;

/// `POST /api/questions/{qid}/reroute` body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RerouteRequest {
    /// The new recipient; absent = chosen as in auto mode.
    #[serde(default)]
    to: Option<i64>,
}

/// Passes a pending question to another participant at once.
pub async fn reroute_question(
    Scoped {
        user, path: qid, ..
    }: RunQuestion,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let data = body::read_limited(payload, state.settings.server.body_limit_bytes).await?;
    let to = recipient_asked(&data)?;
    let rerouted = state
        .write_with_now(move |conn, now| ops::reroute_by(conn, &user, qid, to, now))
        .await?;
    Ok(HttpResponse::Ok().json(rerouted))
}

/// The recipient a reroute's body names. The body is optional: none (or `{}`) means "pick as
/// in auto mode".
fn recipient_asked(data: &[u8]) -> Result<Option<i64>, AppError> {
    if data.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let request: RerouteRequest = serde_json::from_slice(data).map_err(|e| body::json_error(&e))?;
    Ok(request.to)
}

/// `GET /api/relays/{id}/questions/pending`: questions still waiting for an answer, oldest
/// first, for the console's "stranded questions". The asker and the text are shown only when
/// the relay is not anonymous: a facilitator can reroute without reading anyone's question.
pub async fn pending_questions(
    Scoped { path: id, .. }: RunRelay,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    let body = state
        .db
        .read(move |conn| pending::pending_questions(conn, id, now))
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
