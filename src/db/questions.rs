//! Questions, their deliveries and answers.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;

use super::fixed::{self, Param};
use super::models::{AnswerRow, NewQuestion, ParticipantRow, QuestionRow};
use super::schema::{answers, deliveries, participants, questions};
use super::{DbConn, last_insert_id};
use crate::relay::pairing::Candidate;

impl QuestionRow {
    /// Loads a question.
    pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<QuestionRow> {
        questions::table
            .find(id)
            .select(QuestionRow::as_select())
            .first(conn)
    }

    /// Inserts a question and its first delivery; returns the question and the delivery's id.
    pub fn insert(conn: &mut DbConn, new: NewQuestion) -> QueryResult<(QuestionRow, i64)> {
        diesel::insert_into(questions::table)
            .values(&new)
            .execute(conn)?;
        let q = QuestionRow {
            id: last_insert_id(conn)?,
            relay_id: new.relay_id,
            round_id: new.round_id,
            asker_id: new.asker_id,
            recipient_id: new.recipient_id,
            text: new.text,
            status: new.status,
            asked_at: new.asked_at,
            delivered_at: new.delivered_at,
            reminded_at: None,
            answered_at: None,
            is_starred: false,
        };
        let delivery = insert_delivery(conn, q.id, q.asker_id, q.recipient_id, q.delivered_at)?;
        Ok((q, delivery))
    }

    /// A relay's questions still waiting for an answer.
    pub fn pending_for_relay(conn: &mut DbConn, relay_id: i64) -> QueryResult<Vec<QuestionRow>> {
        questions::table
            .filter(questions::relay_id.eq(relay_id))
            .filter(questions::status.eq("pending"))
            .order(questions::id.asc())
            .select(QuestionRow::as_select())
            .load(conn)
    }

    /// Stars or unstars a question for the report.
    pub fn set_starred(conn: &mut DbConn, id: i64, starred: bool) -> QueryResult<()> {
        diesel::update(questions::table.find(id))
            .set(questions::is_starred.eq(starred))
            .execute(conn)?;
        Ok(())
    }

    /// All questions of a relay.
    pub fn for_relay(conn: &mut DbConn, relay_id: i64) -> QueryResult<Vec<QuestionRow>> {
        questions::table
            .filter(questions::relay_id.eq(relay_id))
            .order(questions::id.asc())
            .select(QuestionRow::as_select())
            .load(conn)
    }

    /// Questions a participant asked, oldest first.
    pub fn asked_by(conn: &mut DbConn, participant_id: i64) -> QueryResult<Vec<QuestionRow>> {
        questions::table
            .filter(questions::asker_id.eq(participant_id))
            .order(questions::id.asc())
            .select(QuestionRow::as_select())
            .load(conn)
    }

    /// Questions waiting in a participant's inbox.
    pub fn pending_for(conn: &mut DbConn, participant_id: i64) -> QueryResult<Vec<QuestionRow>> {
        pending_query(participant_id)
            .select(QuestionRow::as_select())
            .load(conn)
    }
}

/// A participant's pending questions, found through their open deliveries: an index on the
/// questions' recipient would take a random page per question asked and another per answer
/// (a fifth of all pages a busy relay wrote), and deliveries are indexed by recipient anyway.
fn pending_query(participant_id: i64) -> questions::BoxedQuery<'static, Sqlite> {
    let open = deliveries::table
        .filter(deliveries::recipient_id.eq(participant_id))
        .filter(deliveries::outcome.eq("pending"))
        .select(deliveries::question_id);
    questions::table
        .filter(questions::id.eq_any(open))
        .filter(questions::recipient_id.eq(participant_id))
        .filter(questions::status.eq("pending"))
        .order(questions::id.asc())
        .into_boxed()
}

/// Records that a question was passed to `recipient_id`, and counts it in their inbox.
pub fn insert_delivery(
    conn: &mut DbConn,
    question_id: i64,
    asker_id: i64,
    recipient_id: i64,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    fixed::execute(
        conn,
        "UPDATE participants SET inbox_count = inbox_count + 1, \
         received_count = received_count + 1 WHERE id = ?",
        &[Param::Int(recipient_id)],
    )?;
    diesel::insert_into(deliveries::table)
        .values((
            deliveries::question_id.eq(question_id),
            deliveries::asker_id.eq(asker_id),
            deliveries::recipient_id.eq(recipient_id),
            deliveries::delivered_at.eq(now),
            deliveries::outcome.eq("pending"),
        ))
        .execute(conn)?;
    last_insert_id(conn)
}

/// Ends the open delivery of a question with `outcome` and takes it out of its recipient's
/// inbox count; returns its id.
pub fn end_delivery(
    conn: &mut DbConn,
    question_id: i64,
    outcome: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    let open: Option<(i64, i64)> = deliveries::table
        .filter(deliveries::question_id.eq(question_id))
        .filter(deliveries::outcome.eq("pending"))
        .select((deliveries::id, deliveries::recipient_id))
        .first(conn)
        .optional()?;
    let Some((id, recipient_id)) = open else {
        return Ok(None);
    };
    fixed::execute(
        conn,
        "UPDATE deliveries SET outcome = ?, ended_at = ? WHERE id = ?",
        &[Param::Text(outcome), Param::Time(Some(now)), Param::Int(id)],
    )?;
    fixed::execute(
        conn,
        "UPDATE participants SET inbox_count = inbox_count - 1 WHERE id = ?",
        &[Param::Int(recipient_id)],
    )?;
    Ok(Some(id))
}

/// The id of the open delivery of a question.
pub fn open_delivery(conn: &mut DbConn, question_id: i64) -> QueryResult<Option<i64>> {
    deliveries::table
        .filter(deliveries::question_id.eq(question_id))
        .filter(deliveries::outcome.eq("pending"))
        .select(deliveries::id)
        .first(conn)
        .optional()
}

/// Everyone in the relay as a possible recipient of `asker_id`, and how many deliveries the
/// asker has made so far (the pairing draw's nonce, fixed by the relay's history).
pub fn candidates(
    conn: &mut DbConn,
    relay_id: i64,
    asker_id: i64,
) -> QueryResult<(Vec<Candidate>, u64)> {
    let people: Vec<(i64, i64, bool, i32, i32)> = participants::table
        .filter(participants::relay_id.eq(relay_id))
        .order(participants::id.asc())
        .select((
            participants::id,
            participants::group_id,
            participants::is_suspended,
            participants::inbox_count,
            participants::received_count,
        ))
        .load(conn)?;
    let from_asker: Vec<i64> = deliveries::table
        .filter(deliveries::asker_id.eq(asker_id))
        .select(deliveries::recipient_id)
        .load(conn)?;
    let nonce = from_asker.len() as u64;
    let from_asker: HashSet<i64> = from_asker.into_iter().collect();
    let list = people
        .into_iter()
        .map(|(id, group_id, suspended, inbox, received)| Candidate {
            id,
            group_id,
            active: !suspended,
            unanswered: inbox.max(0) as u32,
            received_total: received.max(0) as u32,
            received_from_asker: from_asker.contains(&id),
        })
        .collect();
    Ok((list, nonce))
}

/// The participant who most recently passed a question to `participant_id`.
pub fn last_asked_by(conn: &mut DbConn, participant_id: i64) -> QueryResult<Option<i64>> {
    deliveries::table
        .filter(deliveries::recipient_id.eq(participant_id))
        .order(deliveries::id.desc())
        .select(deliveries::asker_id)
        .first(conn)
        .optional()
}

/// One item of a participant's inbox: a question passed to them and what became of it.
#[derive(Debug, Clone)]
pub struct InboxItem {
    /// The question.
    pub question: QuestionRow,
    /// When it was passed to this participant.
    pub delivered_at: NaiveDateTime,
    /// `pending`, `answered`, `withdrawn` or `expired`.
    pub outcome: String,
    /// The answer, when this participant answered it.
    pub answer: Option<AnswerRow>,
}

/// Everything ever passed to a participant, oldest first.
pub fn inbox(conn: &mut DbConn, participant_id: i64) -> QueryResult<Vec<InboxItem>> {
    let rows: Vec<(QuestionRow, NaiveDateTime, String)> = deliveries::table
        .inner_join(questions::table)
        .filter(deliveries::recipient_id.eq(participant_id))
        .order(deliveries::id.asc())
        .select((
            QuestionRow::as_select(),
            deliveries::delivered_at,
            deliveries::outcome,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|(q, _, _)| q.id).collect();
    let mut answers = answers_for(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(question, delivered_at, outcome)| {
            let answer = answers
                .remove(&question.id)
                .filter(|a| a.author_id == participant_id);
            InboxItem {
                question,
                delivered_at,
                outcome,
                answer,
            }
        })
        .collect())
}

/// Answers of the given questions by question id.
pub fn answers_for(
    conn: &mut DbConn,
    question_ids: &[i64],
) -> QueryResult<HashMap<i64, AnswerRow>> {
    let rows: Vec<AnswerRow> = answers::table
        .filter(answers::question_id.eq_any(question_ids))
        .select(AnswerRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|a| (a.question_id, a)).collect())
}

/// Stores an answer and marks the question answered.
pub fn insert_answer(
    conn: &mut DbConn,
    question: &QuestionRow,
    text: &str,
    now: NaiveDateTime,
) -> QueryResult<AnswerRow> {
    diesel::insert_into(answers::table)
        .values((
            answers::question_id.eq(question.id),
            answers::author_id.eq(question.recipient_id),
            answers::text.eq(text),
            answers::created_at.eq(now),
        ))
        .execute(conn)?;
    let answer = AnswerRow {
        id: last_insert_id(conn)?,
        question_id: question.id,
        author_id: question.recipient_id,
        text: text.to_string(),
        created_at: now,
    };
    fixed::execute(
        conn,
        "UPDATE questions SET status = 'answered', answered_at = ? WHERE id = ?",
        &[Param::Time(Some(now)), Param::Int(question.id)],
    )?;
    end_delivery(conn, question.id, "answered", now)?;
    Ok(answer)
}

/// Moves a pending question to a new recipient.
pub fn redeliver(
    conn: &mut DbConn,
    question: &QuestionRow,
    to: i64,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    end_delivery(conn, question.id, "withdrawn", now)?;
    diesel::update(questions::table.find(question.id))
        .set((
            questions::recipient_id.eq(to),
            questions::delivered_at.eq(now),
            questions::reminded_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    insert_delivery(conn, question.id, question.asker_id, to, now)
}

/// Marks the reminder of a question sent.
pub fn mark_reminded(conn: &mut DbConn, question_id: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(questions::table.find(question_id))
        .set(questions::reminded_at.eq(now))
        .execute(conn)
        .map(|_| ())
}

/// Expires every pending question of a relay (at closing); returns how many.
/// (Inbox counts drop with each ended delivery.)
pub fn expire_pending(conn: &mut DbConn, relay_id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    let pending = QuestionRow::pending_for_relay(conn, relay_id)?;
    for q in &pending {
        end_delivery(conn, q.id, "expired", now)?;
    }
    diesel::update(
        questions::table
            .filter(questions::relay_id.eq(relay_id))
            .filter(questions::status.eq("pending")),
    )
    .set(questions::status.eq("expired"))
    .execute(conn)
}

/// Per-participant counts for a relay: (asked, received, answered, pending).
pub fn counts_per_participant(
    conn: &mut DbConn,
    relay_id: i64,
) -> QueryResult<HashMap<i64, (i64, i64, i64, i64)>> {
    let qs = QuestionRow::for_relay(conn, relay_id)?;
    let mut out: HashMap<i64, (i64, i64, i64, i64)> = HashMap::new();
    for q in &qs {
        out.entry(q.asker_id).or_default().0 += 1;
        let r = out.entry(q.recipient_id).or_default();
        match q.status.as_str() {
            "answered" => r.2 += 1,
            "pending" => r.3 += 1,
            _ => {}
        }
    }
    let received: Vec<(i64, i64)> = deliveries::table
        .inner_join(questions::table)
        .filter(questions::relay_id.eq(relay_id))
        .group_by(deliveries::recipient_id)
        .select((deliveries::recipient_id, diesel::dsl::count_star()))
        .load(conn)?;
    for (pid, n) in received {
        out.entry(pid).or_default().1 = n;
    }
    Ok(out)
}

/// Looks up participants by id.
pub fn participants_by_id(
    conn: &mut DbConn,
    ids: &[i64],
) -> QueryResult<HashMap<i64, ParticipantRow>> {
    let rows: Vec<ParticipantRow> = participants::table
        .filter(participants::id.eq_any(ids))
        .select(ParticipantRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(|p| (p.id, p)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tests::{migrated, plan};

    /// The inbox is found through the recipient's deliveries, then questions by id: no scan,
    /// no sort.
    #[test]
    fn pending_questions_come_through_the_recipients_deliveries() {
        let (_dir, mut conn) = migrated();
        let plan = plan(
            &mut conn,
            &pending_query(5).select(QuestionRow::as_select()),
        );
        assert!(
            plan.contains("deliveries USING INDEX deliveries_recipient"),
            "{plan}"
        );
        assert!(
            plan.contains("questions USING INTEGER PRIMARY KEY"),
            "{plan}"
        );
        assert!(
            !plan.contains("SCAN") && !plan.contains("TEMP B-TREE"),
            "{plan}"
        );
    }
}
