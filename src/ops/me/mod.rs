//! The participant's side read as views: their relay (`GET /api/me`), what asking and answering
//! give back, and everything held about them (`GET /api/me/data`). Built for the participant's
//! eyes: the asker of an inbox question appears only as the relay's anonymity settings allow.

mod views;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

pub use views::*;

use crate::db::answers::AnswerRow;
use crate::db::credentials::{Credential, CredentialKind};
use crate::db::groups::GroupRow;
use crate::db::outbox::OutboxRow;
use crate::db::participants::ParticipantRow;
use crate::db::questions::{InboxItem, QuestionRow};
use crate::db::relays::RelayRow;
use crate::db::rounds::RoundRow;
use crate::db::{DbConn, from_db, to_db};
use crate::error::AppError;
use crate::ops::questions::Asked;
use crate::ops::views::{current_round, round};
use crate::relay::pairing::{self, Asker};
use crate::relay::{RecipientChoice, RelayState};

/// Group names by id, and a person as participants see one another.
struct Groups(HashMap<i64, String>);

impl Groups {
    fn name(&self, id: i64) -> String {
        self.0.get(&id).cloned().unwrap_or_default()
    }

    fn person(&self, p: &ParticipantRow) -> Person {
        Person {
            group: self.0.get(&p.group_id).cloned(),
            id: p.id,
            name: p.name.clone(),
            organisation: p.organisation.clone(),
            title: p.title.clone(),
        }
    }
}

fn answer_text(a: &AnswerRow) -> AnswerText {
    AnswerText {
        answered_at: from_db(a.created_at),
        text: a.text.clone(),
    }
}

/// Everything participant `pid` may see of their relay.
pub fn view(conn: &mut DbConn, pid: i64, now: DateTime<Utc>) -> Result<MeView, AppError> {
    let me = ParticipantRow::find(conn, pid)?;
    let relay = RelayRow::find(conn, me.relay_id)?;
    let groups = Groups(GroupRow::names(conn, relay.id)?);
    let inbox_items = QuestionRow::inbox(conn, pid)?;
    let asked_rows = QuestionRow::asked_by(conn, pid)?;
    let mut ids: Vec<i64> = inbox_items.iter().map(|i| i.question.asker_id).collect();
    ids.extend(asked_rows.iter().map(|q| q.recipient_id));
    let people = ParticipantRow::by_ids(conn, &ids)?;
    let asked_ids: Vec<i64> = asked_rows.iter().map(|q| q.id).collect();
    let answers = AnswerRow::for_questions(conn, &asked_ids)?;
    Ok(MeView {
        asked: asked_rows
            .iter()
            .map(|q| AskedQuestion {
                answer: answers.get(&q.id).map(answer_text),
                asked_at: from_db(q.asked_at),
                id: q.id,
                recipient: people.get(&q.recipient_id).map(|r| groups.person(r)),
                status: q.status,
                text: q.text.clone(),
            })
            .collect(),
        batons: me.batons,
        inbox: inbox_items
            .iter()
            .map(|item| inbox_question(item, &relay, &people, &groups))
            .collect(),
        participant: groups.person(&me),
        recipients: recipients(conn, &relay, &me, &groups)?,
        relay: participant_relay(conn, &relay, now)?,
    })
}

/// An inbox question for its recipient: the asker only as far as the relay shows askers.
fn inbox_question(
    item: &InboxItem,
    relay: &RelayRow,
    people: &HashMap<i64, ParticipantRow>,
    groups: &Groups,
) -> InboxQuestion {
    let asker = people.get(&item.question.asker_id);
    InboxQuestion {
        answer: item.answer.as_ref().map(answer_text),
        asker: (!relay.asker_anonymous).then(|| {
            asker.map(|a| AskerName {
                id: a.id,
                name: a.name.clone(),
            })
        }),
        asker_group: relay
            .show_asker_group
            .then(|| asker.map(|a| groups.name(a.group_id))),
        id: item.question.id,
        received_at: from_db(item.delivery.delivered_at),
        status: item.delivery.outcome,
        text: item.question.text.clone(),
    }
}

/// Whom the participant may ask, by name: in participant mode while the relay is open.
fn recipients(
    conn: &mut DbConn,
    relay: &RelayRow,
    me: &ParticipantRow,
    groups: &Groups,
) -> Result<Vec<Person>, AppError> {
    let settings = relay.settings();
    if settings.recipient_choice != RecipientChoice::Participant || relay.state != RelayState::Open
    {
        return Ok(Vec::new());
    }
    let asker = Asker {
        id: me.id,
        group_id: me.group_id,
        last_asked_by: None,
    };
    let candidates = ParticipantRow::candidates(conn, relay.id, me.id)?;
    let eligible: Vec<i64> = pairing::eligible(&asker, &candidates.list, &settings)
        .map(|c| c.id)
        .collect();
    let mut list: Vec<ParticipantRow> = ParticipantRow::by_ids(conn, &eligible)?
        .into_values()
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(list.into_iter().map(|p| groups.person(&p)).collect())
}

fn participant_relay(
    conn: &mut DbConn,
    relay: &RelayRow,
    now: DateTime<Utc>,
) -> Result<ParticipantRelay, AppError> {
    let rounds = RoundRow::for_relay(conn, relay.id)?;
    let settings = relay.settings();
    Ok(ParticipantRelay {
        controller: relay.controller.clone(),
        current_round: current_round(&rounds, now),
        ends_at: rounds.last().map(|r| from_db(r.ends_at)),
        erase_at: relay.erase_at().map(from_db),
        id: relay.id,
        language: relay.language.clone(),
        max_batons: settings.max_batons,
        privacy_contact: relay.privacy_contact.clone(),
        privacy_text: relay.privacy_text.clone(),
        purpose: relay.purpose.clone(),
        recipient_choice: settings.recipient_choice,
        retention_days: relay.retention_days,
        rounds: rounds.iter().map(round).collect(),
        share_output: relay.share_output,
        starts_at: rounds.first().map(|r| from_db(r.starts_at)),
        state: relay.state,
        timezone: relay.timezone.clone(),
        title: relay.title.clone(),
        topic: relay.topic.clone(),
    })
}

/// The question just asked, as its asker sees it.
pub fn sent_question(asked: &Asked) -> SentQuestion {
    let (q, r) = (&asked.question, &asked.recipient);
    SentQuestion {
        asked_at: from_db(q.asked_at),
        id: q.id,
        recipient: Person {
            group: asked.recipient_group.clone(),
            id: r.id,
            name: r.name.clone(),
            organisation: r.organisation.clone(),
            title: r.title.clone(),
        },
        status: q.status,
        text: q.text.clone(),
    }
}

/// The answer just given, and the batons its author now holds.
pub fn sent_answer(question_id: i64, answer: &AnswerRow, batons: u32) -> SentAnswer {
    SentAnswer {
        answered_at: from_db(answer.created_at),
        batons,
        question_id,
        text: answer.text.clone(),
    }
}

/// Everything held about participant `pid`. Built from [`view`], so whoever is anonymous to
/// them there stays anonymous here; the colleagues they may ask are about others, not them, and
/// are left out.
pub fn data(conn: &mut DbConn, pid: i64, now: DateTime<Utc>) -> Result<MyData, AppError> {
    let seen = view(conn, pid, now)?;
    let me = ParticipantRow::find(conn, pid)?;
    let emails = OutboxRow::for_participant(conn, pid)?
        .iter()
        .map(|o| EmailSent {
            kind: o.kind.clone(),
            sent_at: o.sent_at.map(from_db),
            status: o.status,
        })
        .collect();
    let answers = AnswerRow::by_author(conn, pid)?
        .iter()
        .map(|a| OwnAnswer {
            answered_at: from_db(a.created_at),
            question_id: a.question_id,
            text: a.text.clone(),
        })
        .collect();
    let Person {
        group,
        id,
        name,
        organisation,
        title,
    } = seen.participant;
    Ok(MyData {
        answers,
        batons: seen.batons,
        emails,
        generated_at: now,
        participant: OwnProfile {
            added_at: from_db(me.created_at),
            email: me.email,
            group,
            id,
            name,
            organisation,
            pseudonym: me.pseudonym,
            title,
        },
        questions_asked: seen.asked,
        questions_received: seen.inbox,
        relay: seen.relay,
    })
}

/// Starts a browser session for participant `pid` (it lives as long as their link does);
/// returns its secret.
pub fn start_session(conn: &mut DbConn, pid: i64, now: DateTime<Utc>) -> Result<String, AppError> {
    let issued = Credential::issue(
        conn,
        CredentialKind::ParticipantSession,
        None,
        Some(pid),
        to_db(now),
        None,
    )?;
    Ok(issued.token)
}
