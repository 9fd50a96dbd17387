//! The participant's own relay: what they see, asking, answering, their event feed.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{events_json, since};
use crate::auth::{ParticipantAuth, ParticipantMove, csrf};
use crate::db::events::EventRow;
use crate::error::AppError;
use crate::http::body;
use crate::ops::me as views;
use crate::ops::questions as ops;
use crate::state::AppState;

/// `POST /api/me/questions` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    text: String,
    #[serde(default)]
    recipient_id: Option<i64>,
}

/// `POST /api/me/questions/{qid}/answer` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    text: String,
}

/// `GET /api/me`: the view with the session's CSRF token beside it.
#[derive(Serialize)]
struct MeResponse {
    csrf_token: String,
    #[serde(flatten)]
    view: views::MeView,
}

/// `GET /api/me`
pub async fn get_me(
    me: ParticipantAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let pid = me.participant.id;
    let now = state.clock.now();
    let view = state
        .db
        .read(move |conn| views::view(conn, pid, now))
        .await?;
    Ok(HttpResponse::Ok().json(MeResponse {
        csrf_token: csrf::token_for(&me.secret),
        view,
    }))
}

/// `GET /api/me/data`: everything held about the participant ([`views::data`]) as a download.
pub async fn download_my_data(
    me: ParticipantAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let pid = me.participant.id;
    let now = state.clock.now();
    let body = state
        .db
        .read(move |conn| views::data(conn, pid, now))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"stafet-my-data-{pid}.json\""),
        ))
        .json(body))
}

/// `POST /api/me/questions`
pub async fn ask_question(
    me: ParticipantMove,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let AskRequest { text, recipient_id } =
        me.body(&state, body::json(&req, payload).await).await?;
    let pid = me.participant_id;
    let asked = me
        .run(&state, move |conn, now| {
            ops::ask(conn, pid, &text, recipient_id, now)
        })
        .await?;
    Ok(HttpResponse::Created().json(views::sent_question(&asked)))
}

/// `POST /api/me/questions/{qid}/answer`
pub async fn answer_question(
    me: ParticipantMove,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let AnswerRequest { text } = me.body(&state, body::json(&req, payload).await).await?;
    let pid = me.participant_id;
    let qid = path.into_inner();
    let (answer, batons) = me
        .run(&state, move |conn, now| {
            ops::answer(conn, pid, qid, &text, now)
        })
        .await?;
    Ok(HttpResponse::Created().json(views::sent_answer(qid, &answer, batons)))
}

/// `GET /api/me/events?since=ID`
pub async fn my_events(
    me: ParticipantAuth,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let pid = me.participant.id;
    let since = since(&req)?;
    let rows = state
        .db
        .read(move |conn| Ok(EventRow::for_participant(conn, pid, since)?))
        .await?;
    Ok(HttpResponse::Ok().json(events_json(rows)))
}
