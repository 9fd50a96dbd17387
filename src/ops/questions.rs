//! Asking, answering, rerouting and reminding.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use serde::Serialize;

use super::audit::{self, AuditAction, Entry};
use super::notify::{self, Events};
use crate::db::answers::AnswerRow;
use crate::db::deliveries::DeliveryRow;
use crate::db::events::Audience;
use crate::db::groups::GroupRow;
use crate::db::participants::{Candidates, ParticipantRow};
use crate::db::questions::{Ask, NewQuestion, QuestionRow};
use crate::db::relays::{RelayOf, RelayRow};
use crate::db::staff::StaffUserRow;
use crate::db::{DbConn, from_db, to_db};
use crate::email::format_time;
use crate::email::render::EmailKind;
use crate::error::{AppError, Found};
use crate::relay::pairing::{self, Asker};
use crate::relay::{EventKind, QuestionStatus, RecipientChoice, batons, lifecycle, text};

/// Whom the question of `asker` (in group `asker_group`) goes to: `named` when they may receive
/// it, or whoever auto pairing picks.
fn choose_recipient(
    relay: &RelayRow,
    asker: i64,
    asker_group: i64,
    candidates: &Candidates,
    named: Option<i64>,
) -> Result<i64, AppError> {
    let settings = relay.settings();
    let view = Asker {
        id: asker,
        group_id: asker_group,
        last_asked_by: candidates.last_asked_by,
    };
    match named {
        Some(to) => {
            let c = candidates
                .list
                .iter()
                .find(|c| c.id == to)
                .ok_or_else(|| AppError::not_found("recipient"))?;
            pairing::check_eligible(&view, c, &settings)?;
            Ok(to)
        }
        None => Ok(pairing::auto_pick(
            &view,
            &candidates.list,
            &settings,
            candidates.nonce,
        )?),
    }
}

/// When a question delivered now is passed on if unanswered, formatted for the email.
fn answer_by(relay: &RelayRow, now: DateTime<Utc>) -> Option<String> {
    let hours = relay.reroute_after_hours;
    (hours > 0).then(|| {
        format_time(
            now + Duration::hours(i64::from(hours)),
            &relay.timezone,
            &relay.language,
        )
    })
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site per delivery path; a struct would only rename them"
)]
/// Tells `recipient` a question arrived (an event in `events`, and an email); the asker's
/// identity stays out when the relay is anonymous.
fn deliver(
    conn: &mut DbConn,
    events: &mut Events,
    asker_group: &str,
    relay: &RelayRow,
    question: &QuestionRow,
    asker: &ParticipantRow,
    recipient: &ParticipantRow,
    delivery_id: i64,
    rerouted: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let asker_group = relay.show_asker_group.then_some(asker_group);
    let mut data = json!({
        "question_id": question.id,
        "text": question.text,
        "asker_group": asker_group,
        "received_at": now,
        "rerouted": rerouted,
    });
    if !relay.asker_anonymous {
        data["asker"] = json!({ "id": asker.id, "name": asker.name });
    }
    events.add(
        Audience::Participant(recipient.id),
        EventKind::QuestionReceived,
        data,
    );
    let mut params = json!({
        "question_text": question.text,
        "asker_group": asker_group,
        "rerouted": rerouted,
        "answer_by": answer_by(relay, now),
    });
    if !relay.asker_anonymous {
        params["asker_name"] = json!(asker.name);
    }
    notify::email(
        conn,
        relay,
        recipient,
        EmailKind::QuestionReceived,
        format!("question_received:{delivery_id}"),
        params,
        now,
    )
}

/// A question just asked, and who it went to.
#[derive(Debug, Clone)]
pub struct Asked {
    /// The question.
    pub question: QuestionRow,
    /// Its recipient.
    pub recipient: ParticipantRow,
    /// The recipient's group name.
    pub recipient_group: Option<String>,
}

/// `asker` asks `text`, of `named` (participant mode) or of whoever the relay picks (auto).
pub fn ask(
    conn: &mut DbConn,
    asker_id: i64,
    raw_text: &str,
    named: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Asked, AppError> {
    let relay = RelayRow::lock_and_load(conn, RelayOf::Participant(asker_id))?;
    // Read after the lock, so the asker's batons are as the last write of the relay left them.
    let candidates = ParticipantRow::candidates(conn, relay.id, asker_id)?;
    // Not among the relay's people: in a lane, not in the relay the move was queued for.
    let me = candidates.asker.ok_or(diesel::result::Error::NotFound)?;
    lifecycle::ensure_open(relay.state, "asking")?;
    let text = text::question(raw_text)?;
    let left = batons::after_ask(me.batons)?;
    let named = match (relay.settings().recipient_choice, named) {
        (RecipientChoice::Participant, None) => {
            return Err(AppError::validation(
                "choose a colleague to ask (recipient_id)",
            ));
        }
        (RecipientChoice::Auto, Some(_)) => {
            return Err(AppError::validation(
                "this relay finds the colleague for you; leave out recipient_id",
            ));
        }
        (_, named) => named,
    };
    let to = choose_recipient(&relay, asker_id, me.group_id, &candidates, named)?;
    let Ask {
        question,
        delivery_id: delivery,
        asker,
        asker_group,
        recipient,
        recipient_group,
    } = QuestionRow::ask(
        conn,
        NewQuestion {
            relay_id: relay.id,
            round_id: None,
            asker_id,
            recipient_id: to,
            text,
            status: QuestionStatus::Pending,
            asked_at: to_db(now),
            delivered_at: to_db(now),
        },
        left,
    )?;
    let mut events = Events::new(relay.id, now);
    deliver(
        conn,
        &mut events,
        &asker_group,
        &relay,
        &question,
        &asker,
        &recipient,
        delivery,
        false,
        now,
    )?;
    events.add(
        Audience::Participant(asker.id),
        EventKind::QuestionSent,
        json!({ "question_id": question.id, "recipient": { "id": recipient.id, "name": recipient.name }, "batons": left }),
    );
    events.add(
        Audience::Staff,
        EventKind::QuestionAsked,
        json!({ "question_id": question.id, "asker_id": asker.id, "recipient_id": recipient.id }),
    );
    events.append(conn)?;
    Ok(Asked {
        question,
        recipient,
        recipient_group: Some(recipient_group),
    })
}

/// `answerer` answers question `qid` passed to them; they get a baton, the asker the answer.
pub fn answer(
    conn: &mut DbConn,
    answerer_id: i64,
    qid: i64,
    raw_text: &str,
    now: DateTime<Utc>,
) -> Result<(AnswerRow, u32), AppError> {
    let relay = RelayRow::lock_and_load(conn, RelayOf::Question(qid)).or_not_found("question")?;
    let (question, mut people) = QuestionRow::with_people(conn, qid).or_not_found("question")?;
    // Someone else's question looks exactly like a missing one: its existence is not theirs.
    // In a lane the relay is the one the move was queued for: the question must be in it.
    if question.recipient_id != answerer_id || question.relay_id != relay.id {
        return Err(AppError::not_found("question"));
    }
    lifecycle::ensure_open(relay.state, "answering")?;
    if question.status != QuestionStatus::Pending {
        return Err(crate::relay::RuleViolation::NotPending.into());
    }
    let text = text::answer(raw_text)?;
    let (Some(answerer), Some(asker)) = (
        people.remove(&answerer_id),
        people.remove(&question.asker_id),
    ) else {
        return Err(AppError::internal(anyhow::anyhow!(
            "question {qid}: its asker or recipient is gone"
        )));
    };
    let settings = relay.settings();
    let new_batons = batons::after_answer(answerer.batons.max(0) as u32, &settings);
    let answer = QuestionRow::answer(conn, &question, &text, to_db(now), new_batons)?;
    let mut events = Events::new(relay.id, now);
    events.add(
        Audience::Participant(answerer.id),
        EventKind::BatonGranted,
        json!({ "question_id": qid, "batons": new_batons }),
    );
    events.add(
        Audience::Participant(asker.id),
        EventKind::AnswerReceived,
        json!({
            "question_id": qid,
            "text": text,
            "answered_at": now,
            "recipient": { "id": answerer.id, "name": answerer.name },
        }),
    );
    notify::email(
        conn,
        &relay,
        &asker,
        EmailKind::AnswerReceived,
        format!("answer_received:{qid}"),
        json!({
            "question_text": question.text,
            "answer_text": text,
            "recipient_name": answerer.name,
            "batons": asker.batons.max(0),
        }),
        now,
    )?;
    events.add(
        Audience::Staff,
        EventKind::QuestionAnswered,
        json!({ "question_id": qid, "answerer_id": answerer.id }),
    );
    events.append(conn)?;
    Ok((answer, new_batons))
}

/// Why a question moves on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RerouteReason {
    /// Unanswered for `reroute_after_hours`.
    Timeout,
    /// A facilitator moved it.
    Facilitator,
    /// Its recipient was suspended.
    Suspended,
    /// Its recipient's personal data was erased.
    Erased,
}

impl RerouteReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Facilitator => "facilitator",
            Self::Suspended => "suspended",
            Self::Erased => "erased",
        }
    }
}

/// Withdraws pending question `qid` from its recipient and passes it to `to` or, when `None`,
/// to whoever auto pairing picks. Returns the new recipient.
pub fn reroute(
    conn: &mut DbConn,
    qid: i64,
    to: Option<i64>,
    reason: RerouteReason,
    now: DateTime<Utc>,
) -> Result<ParticipantRow, AppError> {
    let relay = RelayRow::lock_and_load(conn, RelayOf::Question(qid)).or_not_found("question")?;
    let question = QuestionRow::find(conn, qid)?;
    lifecycle::ensure_open(relay.state, "rerouting")?;
    if question.status != QuestionStatus::Pending {
        return Err(crate::relay::RuleViolation::NotPending.into());
    }
    if let Some(to) = to {
        let p = ParticipantRow::find(conn, to).or_not_found("recipient")?;
        if p.relay_id != relay.id {
            return Err(AppError::not_found("recipient"));
        }
    }
    let asker = ParticipantRow::find(conn, question.asker_id)?;
    let old = ParticipantRow::find(conn, question.recipient_id)?;
    let candidates = ParticipantRow::candidates(conn, relay.id, asker.id)?;
    let new = choose_recipient(&relay, asker.id, asker.group_id, &candidates, to)?;
    let new = ParticipantRow::find(conn, new)?;
    let mut groups = GroupRow::names(conn, relay.id)?;
    let asker_group = groups.remove(&asker.group_id).unwrap_or_default();
    let old_delivery = DeliveryRow::open_for(conn, qid)?.map_or(0, |d| d.id);
    let new_delivery = QuestionRow::redeliver(conn, &question, new.id, to_db(now))?;
    let mut events = Events::new(relay.id, now);
    events.add(
        Audience::Participant(old.id),
        EventKind::QuestionWithdrawn,
        json!({ "question_id": qid, "reason": reason.as_str() }),
    );
    notify::email(
        conn,
        &relay,
        &old,
        EmailKind::QuestionWithdrawn,
        format!("question_withdrawn:{old_delivery}"),
        json!({ "question_text": question.text }),
        now,
    )?;
    let moved = QuestionRow::find(conn, qid)?;
    deliver(
        conn,
        &mut events,
        &asker_group,
        &relay,
        &moved,
        &asker,
        &new,
        new_delivery,
        true,
        now,
    )?;
    events.add(
        Audience::Participant(asker.id),
        EventKind::QuestionRerouted,
        json!({ "question_id": qid, "recipient": { "id": new.id, "name": new.name }, "reason": reason.as_str() }),
    );
    events.add(
        Audience::Staff,
        EventKind::QuestionRerouted,
        json!({ "question_id": qid, "from_id": old.id, "to_id": new.id, "reason": reason.as_str() }),
    );
    events.append(conn)?;
    Ok(new)
}

/// A question a facilitator moved on, as `POST /api/questions/{qid}/reroute` answers.
#[derive(Debug, Clone, Serialize)]
pub struct Rerouted {
    /// The question.
    pub question_id: i64,
    /// Its new recipient.
    pub recipient: Recipient,
}

/// Whom a question went to.
#[derive(Debug, Clone, Serialize)]
pub struct Recipient {
    /// The participant.
    pub id: i64,
    /// Their name.
    pub name: String,
}

/// Facilitator `by` passes pending question `qid` to `to` (or as auto pairing picks), written
/// to the audit log with the question's new recipient.
pub fn reroute_by(
    conn: &mut DbConn,
    by: &StaffUserRow,
    qid: i64,
    to: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Rerouted, AppError> {
    let new = reroute(conn, qid, to, RerouteReason::Facilitator, now)?;
    let entry = Entry::new(AuditAction::QuestionRerouted)
        .by(by)
        .in_relay(conn, new.relay_id)?
        .target("question", qid)
        .detail(json!({ "to": new.id }));
    audit::record(conn, entry, now)?;
    Ok(Rerouted {
        question_id: qid,
        recipient: Recipient {
            id: new.id,
            name: new.name,
        },
    })
}

/// Sends the one reminder for question `qid` to its current recipient.
pub fn remind(conn: &mut DbConn, qid: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    RelayRow::lock(conn, RelayOf::Question(qid))?;
    let question = QuestionRow::find(conn, qid)?;
    if question.status != QuestionStatus::Pending || question.reminded_at.is_some() {
        return Ok(());
    }
    let relay = RelayRow::find(conn, question.relay_id)?;
    let recipient = ParticipantRow::find(conn, question.recipient_id)?;
    QuestionRow::mark_reminded(conn, qid, to_db(now))?;
    let waiting = QuestionRow::pending_for(conn, recipient.id)?;
    let oldest = waiting.first().unwrap_or(&question);
    let delivery = DeliveryRow::open_for(conn, qid)?.map_or(0, |d| d.id);
    notify::event(
        conn,
        relay.id,
        Audience::Participant(recipient.id),
        EventKind::Reminder,
        json!({ "question_id": qid }),
        now,
    )?;
    notify::email(
        conn,
        &relay,
        &recipient,
        EmailKind::Reminder,
        format!("reminder:{delivery}"),
        json!({
            "question_count": waiting.len(),
            "oldest_received_at": format_time(from_db(oldest.delivered_at), &relay.timezone, &relay.language),
            "question_text": oldest.text,
        }),
        now,
    )
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use diesel::Connection as _;

    use super::*;

    /// A question lookup that the database fails (here: no tables at all) is that failure, a
    /// 500, and never a 404 that tells the caller the question does not exist.
    #[test]
    fn a_failing_database_is_no_missing_question() {
        let mut conn = DbConn::establish(":memory:").unwrap();
        let now = Utc::now();
        let answered = answer(&mut conn, 1, 1, "Et svar med nok tegn i sig", now).unwrap_err();
        let rerouted = reroute(&mut conn, 1, None, RerouteReason::Facilitator, now).unwrap_err();
        for e in [answered, rerouted] {
            assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR, "{e}");
        }
    }
}
