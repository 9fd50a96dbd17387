//! Facilitator actions on single questions.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{RunQuestion, RunRelay, Scoped};
use crate::error::AppError;
use crate::ops::audit::{self, AuditAction, Entry};
use crate::ops::pending;
use crate::ops::questions::{self as ops, RerouteReason};
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
    let data =
        crate::http::body::read_limited(payload, state.settings.server.body_limit_bytes).await?;
    // The body is optional: none (or `{}`) means "pick as in auto mode".
    let to = if data.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<RerouteRequest>(&data)
            .map_err(|e| crate::http::body::json_error(&e))?
            .to
    };
    let now = state.clock.now();
    let new = state
        .db
        .write(move |conn| {
            let new = ops::reroute(conn, qid, to, RerouteReason::Facilitator, now)?;
            let entry = Entry::new(AuditAction::QuestionRerouted)
                .by(&user)
                .in_relay(conn, new.relay_id)?
                .target("question", qid)
                .detail(json!({ "to": new.id }));
            audit::record(conn, entry, now)?;
            Ok(new)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "question_id": qid,
        "recipient": { "id": new.id, "name": new.name },
    })))
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
