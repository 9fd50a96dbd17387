//! A relay's numbers for its dashboard (`GET /api/relays/{id}/stats`): participation,
//! questions, batons and emails, per round and group. Counts only, so analysts may read it too.
//!
//! View fields are declared in alphabetical order, the order the response always had.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::db::DbConn;
use crate::db::groups::GroupRow;
use crate::db::outbox::OutboxRow;
use crate::db::participants::ParticipantRow;
use crate::db::questions::QuestionRow;
use crate::db::relays::RelayRow;
use crate::db::rounds::RoundRow;
use crate::error::{AppError, Found};
use crate::relay::{QuestionStatus, RelayState};

/// The relay's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct RelayStats {
    /// Batons held by active participants.
    pub batons_in_play: i64,
    /// Emails counted by status.
    pub emails: BTreeMap<String, i64>,
    pub participants: ParticipantCounts,
    pub per_group: Vec<GroupCounts>,
    pub per_round: Vec<RoundCounts>,
    pub questions: QuestionCounts,
    pub relay_id: i64,
    pub state: RelayState,
}

/// Who is in the relay and who took part (asked, or answered a question).
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantCounts {
    pub active: usize,
    pub participated: usize,
    pub suspended: usize,
    pub total: usize,
}

/// Questions by what became of them.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionCounts {
    pub answered: usize,
    pub asked: usize,
    pub expired: usize,
    pub pending: usize,
}

/// One round's questions.
#[derive(Debug, Clone, Serialize)]
pub struct RoundCounts {
    pub answered: usize,
    pub asked: usize,
    pub name: String,
    pub pending: usize,
    /// 1-based.
    pub round: i32,
}

/// One group: its members, who of them took part, what they asked and answered.
#[derive(Debug, Clone, Serialize)]
pub struct GroupCounts {
    pub answered: usize,
    pub asked: usize,
    pub group: String,
    pub participants: usize,
    pub participated: usize,
}

/// The numbers of relay `id`.
pub fn relay_stats(conn: &mut DbConn, id: i64) -> Result<RelayStats, AppError> {
    let relay = RelayRow::find(conn, id).or_not_found("relay")?;
    let rounds = RoundRow::for_relay(conn, id)?;
    let people = ParticipantRow::for_relay(conn, id)?;
    let questions = QuestionRow::for_relay(conn, id)?;
    let groups = GroupRow::names(conn, id)?;
    let emails = OutboxRow::counts(conn, id)?
        .into_iter()
        .map(|(status, n)| (status.as_str().to_string(), n))
        .collect();
    let active = people.iter().filter(|p| !p.is_suspended);
    Ok(RelayStats {
        batons_in_play: active.clone().map(|p| i64::from(p.batons)).sum(),
        emails,
        participants: ParticipantCounts {
            active: active.count(),
            participated: people
                .iter()
                .filter(|p| took_part(p.id, &questions))
                .count(),
            suspended: people.iter().filter(|p| p.is_suspended).count(),
            total: people.len(),
        },
        per_group: per_group(&groups, &people, &questions),
        per_round: rounds.iter().map(|r| round_counts(r, &questions)).collect(),
        questions: QuestionCounts {
            answered: with_status(&questions, QuestionStatus::Answered),
            asked: questions.len(),
            expired: with_status(&questions, QuestionStatus::Expired),
            pending: with_status(&questions, QuestionStatus::Pending),
        },
        relay_id: relay.id,
        state: relay.state,
    })
}

fn with_status<'a>(
    questions: impl IntoIterator<Item = &'a QuestionRow>,
    s: QuestionStatus,
) -> usize {
    questions.into_iter().filter(|q| q.status == s).count()
}

/// Whether participant `pid` asked, or answered a question.
fn took_part(pid: i64, questions: &[QuestionRow]) -> bool {
    questions.iter().any(|q| {
        q.asker_id == pid || (q.recipient_id == pid && q.status == QuestionStatus::Answered)
    })
}

fn round_counts(r: &RoundRow, questions: &[QuestionRow]) -> RoundCounts {
    let qs: Vec<&QuestionRow> = questions
        .iter()
        .filter(|q| q.round_id == Some(r.id))
        .collect();
    RoundCounts {
        answered: with_status(qs.iter().copied(), QuestionStatus::Answered),
        asked: qs.len(),
        name: r.name.clone(),
        pending: with_status(qs.iter().copied(), QuestionStatus::Pending),
        round: r.position + 1,
    }
}

/// Each group in id order: questions asked by its members, and answered by them.
fn per_group(
    groups: &std::collections::HashMap<i64, String>,
    people: &[ParticipantRow],
    questions: &[QuestionRow],
) -> Vec<GroupCounts> {
    let group_of: BTreeMap<i64, i64> = people.iter().map(|p| (p.id, p.group_id)).collect();
    let ordered: BTreeMap<&i64, &String> = groups.iter().collect();
    ordered
        .into_iter()
        .map(|(gid, name)| {
            let members: Vec<&ParticipantRow> =
                people.iter().filter(|p| p.group_id == *gid).collect();
            let in_group = |pid: i64| group_of.get(&pid) == Some(gid);
            GroupCounts {
                answered: questions
                    .iter()
                    .filter(|q| q.status == QuestionStatus::Answered && in_group(q.recipient_id))
                    .count(),
                asked: questions.iter().filter(|q| in_group(q.asker_id)).count(),
                group: name.clone(),
                participants: members.len(),
                participated: members
                    .iter()
                    .filter(|p| took_part(p.id, questions))
                    .count(),
            }
        })
        .collect()
}
