//! Facilitator actions on single questions.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::participants::not_found_as;
use crate::auth::Facilitator;
use crate::error::AppError;
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
    _: Facilitator,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let qid = path.into_inner();
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
            ops::reroute(conn, qid, to, RerouteReason::Facilitator, now)
                .map_err(not_found_as("question"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "question_id": qid,
        "recipient": { "id": new.id, "name": new.name },
    })))
}
