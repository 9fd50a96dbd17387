//! The console's "stranded questions" (`GET /api/relays/{id}/questions/pending`): questions
//! still waiting for an answer, oldest first. The asker and the text are shown only when the
//! relay is not anonymous, so a facilitator can reroute without reading anyone's question.
//!
//! View fields are declared in alphabetical order, the order the response always had.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::groups::GroupRow;
use crate::db::participants::ParticipantRow;
use crate::db::questions::QuestionRow;
use crate::db::relays::RelayRow;
use crate::db::{DbConn, from_db};
use crate::error::{AppError, Found};

/// A participant as the facilitator sees them beside a waiting question.
#[derive(Debug, Clone, Serialize)]
pub struct Party {
    pub group: Option<String>,
    pub id: i64,
    pub name: String,
    /// `active` or `suspended`.
    pub status: &'static str,
}

/// A question waiting for its recipient. `asker` and `text` are absent in an anonymous relay.
#[derive(Debug, Clone, Serialize)]
pub struct PendingQuestion {
    pub asked_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asker: Option<Option<Party>>,
    pub asker_group: Option<String>,
    pub delivered_at: DateTime<Utc>,
    pub id: i64,
    pub recipient: Option<Party>,
    pub reminded_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Hours since it reached its recipient, to the minute.
    pub waiting_hours: f64,
}

/// The waiting questions of relay `id`, oldest first.
pub fn pending_questions(
    conn: &mut DbConn,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<PendingQuestion>, AppError> {
    let relay = RelayRow::find(conn, id).or_not_found("relay")?;
    let pending = QuestionRow::pending_for_relay(conn, id)?;
    let groups = GroupRow::names(conn, id)?;
    let mut ids: Vec<i64> = pending.iter().map(|q| q.recipient_id).collect();
    ids.extend(pending.iter().map(|q| q.asker_id));
    let people = ParticipantRow::by_ids(conn, &ids)?;
    let party = |pid: i64| people.get(&pid).map(|p| to_party(p, &groups));
    let shown = !relay.asker_anonymous;
    Ok(pending
        .iter()
        .map(|q| PendingQuestion {
            asked_at: from_db(q.asked_at),
            asker: shown.then(|| party(q.asker_id)),
            asker_group: people
                .get(&q.asker_id)
                .and_then(|a| groups.get(&a.group_id).cloned()),
            delivered_at: from_db(q.delivered_at),
            id: q.id,
            recipient: party(q.recipient_id),
            reminded_at: q.reminded_at.map(from_db),
            text: shown.then(|| q.text.clone()),
            waiting_hours: (now - from_db(q.delivered_at)).num_minutes() as f64 / 60.0,
        })
        .collect())
}

fn to_party(p: &ParticipantRow, groups: &HashMap<i64, String>) -> Party {
    Party {
        group: groups.get(&p.group_id).cloned(),
        id: p.id,
        name: p.name.clone(),
        status: if p.is_suspended {
            "suspended"
        } else {
            "active"
        },
    }
}
