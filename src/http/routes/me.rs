//! The participant's own relay: what they see, asking, answering, their event feed.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{events_json, since};
use crate::auth::{ParticipantAuth, csrf};
use crate::db::answers::AnswerRow;
use crate::db::events::EventRow;
use crate::db::groups::GroupRow;
use crate::db::outbox::OutboxRow;
use crate::db::participants::ParticipantRow;
use crate::db::questions::QuestionRow;
use crate::db::relays::RelayRow;
use crate::db::rounds::RoundRow;
use crate::db::{DbConn, from_db};
use crate::error::AppError;
use crate::http::{body, dto};
use crate::ops::questions as ops;
use crate::relay::pairing::{self, Asker};
use crate::relay::{RecipientChoice, RelayState};
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

/// Everything a participant may see of their relay. Built for the recipient's eyes: the asker
/// of an inbox question appears only as a group (and by name only when the relay is not
/// anonymous).
fn me_view(
    conn: &mut DbConn,
    pid: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, AppError> {
    let me = ParticipantRow::find(conn, pid)?;
    let relay = RelayRow::find(conn, me.relay_id)?;
    let rounds = RoundRow::for_relay(conn, relay.id)?;
    let groups = GroupRow::names(conn, relay.id)?;
    let group = |id: i64| groups.get(&id).cloned().unwrap_or_default();

    let inbox_items = QuestionRow::inbox(conn, pid)?;
    let asked_rows = QuestionRow::asked_by(conn, pid)?;
    let mut ids: Vec<i64> = inbox_items.iter().map(|i| i.question.asker_id).collect();
    ids.extend(asked_rows.iter().map(|q| q.recipient_id));
    let people = ParticipantRow::by_ids(conn, &ids)?;
    let asked_ids: Vec<i64> = asked_rows.iter().map(|q| q.id).collect();
    let answers = AnswerRow::for_questions(conn, &asked_ids)?;

    let inbox: Vec<Value> = inbox_items
        .iter()
        .map(|item| {
            let asker = people.get(&item.question.asker_id);
            let mut v = json!({
                "id": item.question.id,
                "text": item.question.text,
                "received_at": from_db(item.delivery.delivered_at),
                "status": item.delivery.outcome,
                "answer": item.answer.as_ref().map(|a| json!({ "text": a.text, "answered_at": from_db(a.created_at) })),
            });
            if relay.show_asker_group {
                v["asker_group"] = json!(asker.map(|a| group(a.group_id)));
            }
            if !relay.asker_anonymous {
                v["asker"] = json!(asker.map(|a| json!({ "id": a.id, "name": a.name })));
            }
            v
        })
        .collect();
    let asked: Vec<Value> = asked_rows
        .iter()
        .map(|question| {
            let r = people.get(&question.recipient_id);
            json!({
                "id": question.id,
                "text": question.text,
                "status": question.status,
                "asked_at": from_db(question.asked_at),
                "recipient": r.map(|r| json!({
                    "id": r.id, "name": r.name, "group": group(r.group_id),
                    "title": r.title, "organisation": r.organisation,
                })),
                "answer": answers.get(&question.id).map(|a| json!({ "text": a.text, "answered_at": from_db(a.created_at) })),
            })
        })
        .collect();
    let settings = relay.settings();
    let recipients: Vec<Value> = if settings.recipient_choice == RecipientChoice::Participant
        && relay.state == RelayState::Open
    {
        let view = Asker {
            id: me.id,
            group_id: me.group_id,
            last_asked_by: None,
        };
        let (candidates, _) = ParticipantRow::candidates(conn, relay.id, me.id)?;
        let eligible: Vec<i64> = pairing::eligible(&view, &candidates, &settings)
            .map(|c| c.id)
            .collect();
        let everyone = ParticipantRow::by_ids(conn, &eligible)?;
        let mut list: Vec<&ParticipantRow> = everyone.values().collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list.iter()
            .map(|p| {
                json!({
                    "id": p.id, "name": p.name, "title": p.title,
                    "organisation": p.organisation, "group": group(p.group_id),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(json!({
        "participant": {
            "id": me.id, "name": me.name, "group": group(me.group_id),
            "title": me.title, "organisation": me.organisation,
        },
        "relay": {
            "id": relay.id,
            "title": relay.title,
            "topic": relay.topic,
            "purpose": relay.purpose,
            "language": relay.language,
            "timezone": relay.timezone,
            "state": relay.state,
            "starts_at": rounds.first().map(|r| from_db(r.starts_at)),
            "ends_at": rounds.last().map(|r| from_db(r.ends_at)),
            "rounds": rounds.iter().map(dto::round).collect::<Vec<_>>(),
            "current_round": dto::current_round(&rounds, now),
            "recipient_choice": settings.recipient_choice,
            "max_batons": settings.max_batons,
            "share_output": relay.share_output,
            "controller": relay.controller,
            "privacy_contact": relay.privacy_contact,
            "privacy_text": relay.privacy_text,
            "retention_days": relay.retention_days,
            "erase_at": relay.erase_at().map(from_db),
        },
        "batons": me.batons,
        "inbox": inbox,
        "asked": asked,
        "recipients": recipients,
    }))
}

/// `GET /api/me`
pub async fn get_me(
    me: ParticipantAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let pid = me.participant.id;
    let now = state.clock.now();
    let mut body = state.db.read(move |conn| me_view(conn, pid, now)).await?;
    body["csrf_token"] = json!(csrf::token_for(&me.secret));
    Ok(HttpResponse::Ok().json(body))
}

/// Everything held about participant `pid` (SPEC §4 "Personal data"): their profile, the
/// questions they asked and were asked with the answers, and the emails sent to them. Built
/// from [`me_view`], so whoever is anonymous to them there stays anonymous here; the list of
/// colleagues they may ask is about others, not them, and is left out.
fn my_data(
    conn: &mut DbConn,
    pid: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, AppError> {
    let mut view = me_view(conn, pid, now)?;
    let me = ParticipantRow::find(conn, pid)?;
    let emails: Vec<Value> = OutboxRow::for_participant(conn, pid)?
        .iter()
        .map(|o| json!({ "kind": o.kind, "status": o.status, "sent_at": o.sent_at.map(from_db) }))
        .collect();
    let answers: Vec<Value> = AnswerRow::by_author(conn, pid)?
        .iter()
        .map(|a| json!({ "question_id": a.question_id, "text": a.text, "answered_at": from_db(a.created_at) }))
        .collect();
    view["participant"]["email"] = json!(me.email);
    view["participant"]["pseudonym"] = json!(me.pseudonym);
    view["participant"]["added_at"] = json!(from_db(me.created_at));
    Ok(json!({
        "generated_at": now,
        "participant": view["participant"].take(),
        "relay": view["relay"].take(),
        "batons": view["batons"].take(),
        "questions_asked": view["asked"].take(),
        "questions_received": view["inbox"].take(),
        "answers": answers,
        "emails": emails,
    }))
}

/// `GET /api/me/data`: [`my_data`] as a JSON download.
pub async fn download_my_data(
    me: ParticipantAuth,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let pid = me.participant.id;
    let now = state.clock.now();
    let body = state.db.read(move |conn| my_data(conn, pid, now)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"stafet-my-data-{pid}.json\""),
        ))
        .json(body))
}

/// `POST /api/me/questions`
pub async fn ask_question(
    me: ParticipantAuth,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let AskRequest { text, recipient_id } = body::json(&req, payload).await?;
    let pid = me.participant.id;
    let now = state.clock.now();
    let ops::Asked {
        question,
        recipient,
        recipient_group,
    } = state
        .db
        .write(move |conn| ops::ask(conn, pid, &text, recipient_id, now))
        .await?;
    Ok(HttpResponse::Created().json(json!({
        "id": question.id,
        "text": question.text,
        "status": question.status,
        "asked_at": from_db(question.asked_at),
        "recipient": {
            "id": recipient.id, "name": recipient.name,
            "group": recipient_group,
            "title": recipient.title, "organisation": recipient.organisation,
        },
    })))
}

/// `POST /api/me/questions/{qid}/answer`
pub async fn answer_question(
    me: ParticipantAuth,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let AnswerRequest { text } = body::json(&req, payload).await?;
    let pid = me.participant.id;
    let qid = path.into_inner();
    let now = state.clock.now();
    let (answer, batons) = state
        .db
        .write(move |conn| ops::answer(conn, pid, qid, &text, now))
        .await?;
    Ok(HttpResponse::Created().json(json!({
        "question_id": qid,
        "text": answer.text,
        "answered_at": from_db(answer.created_at),
        "batons": batons,
    })))
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
