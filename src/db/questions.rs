//! Questions: the row, a participant's inbox, and the moves a question makes (asked, passed
//! on, answered, expired).

use std::collections::HashMap;

use super::MultiBackend;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::answers::AnswerRow;
use super::deliveries::{DeliveryRow, NewDelivery};
use super::fixed::{self, Param};
use super::groups::GroupRow;
use super::participants::ParticipantRow;
use super::rounds::RoundRow;
use super::schema::{deliveries, participants, questions};
use crate::relay::{DeliveryOutcome, QuestionStatus, rounds};

/// A question row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = questions, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct QuestionRow {
    pub id: i64,
    pub relay_id: i64,
    pub round_id: Option<i64>,
    pub asker_id: i64,
    pub recipient_id: i64,
    pub text: String,
    pub status: QuestionStatus,
    pub asked_at: NaiveDateTime,
    pub delivered_at: NaiveDateTime,
    pub reminded_at: Option<NaiveDateTime>,
    pub answered_at: Option<NaiveDateTime>,
    pub is_starred: bool,
}

/// A new question.
#[derive(Debug, Insertable)]
#[diesel(table_name = questions)]
pub struct NewQuestion {
    pub relay_id: i64,
    pub round_id: Option<i64>,
    pub asker_id: i64,
    pub recipient_id: i64,
    pub text: String,
    pub status: QuestionStatus,
    pub asked_at: NaiveDateTime,
    pub delivered_at: NaiveDateTime,
}

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
        let id = super::backend::insert_id!(conn, questions, &new)?;
        let q = QuestionRow::new(id, new);
        let delivery = DeliveryRow::insert(
            conn,
            NewDelivery {
                question_id: q.id,
                asker_id: q.asker_id,
                recipient_id: q.recipient_id,
                delivered_at: q.delivered_at,
                outcome: DeliveryOutcome::Pending,
            },
        )?;
        Ok((q, delivery))
    }

    fn new(id: i64, new: NewQuestion) -> QuestionRow {
        QuestionRow {
            id,
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
        }
    }

    /// Records an ask: the question in the latest round started by `new.asked_at` (whatever
    /// `new.round_id` says), its first delivery, the recipient's inbox count and the asker's
    /// baton count (`asker_batons`, as the rule left it); returns the question, the delivery's
    /// id, and the asker's and the recipient's rows as the ask left them.
    ///
    /// On PostgreSQL this is one statement (data-modifying `WITH`, the round by a subquery, the
    /// two people's rows from their updates), where it would be seven round trips under the
    /// relay's lock; SQLite, in-process, runs them one by one and picks the round with
    /// [`rounds::latest_started`]. The asker is never the recipient (pairing refuses that), so
    /// the two updates of `participants` touch two rows.
    pub fn ask(conn: &mut DbConn, mut new: NewQuestion, asker_batons: u32) -> QueryResult<Ask> {
        let (asker, recipient) = (new.asker_id, new.recipient_id);
        if matches!(conn, DbConn::Sqlite(_)) {
            let rows = RoundRow::for_relay(conn, new.relay_id)?;
            let list: Vec<_> = rows.iter().map(RoundRow::to_round).collect();
            new.round_id =
                rounds::latest_started(&list, super::from_db(new.asked_at)).map(|i| rows[i].id);
            let (question, delivery_id) = Self::insert(conn, new)?;
            ParticipantRow::set_batons(conn, asker, asker_batons)?;
            // Two lookups by id, each a statement prepared once (a list of ids is not).
            let (asker, recipient) = (
                ParticipantRow::find(conn, asker)?,
                ParticipantRow::find(conn, recipient)?,
            );
            let mut groups = GroupRow::names(conn, question.relay_id)?;
            return Ok(Ask {
                question,
                delivery_id,
                asker_group: groups.remove(&asker.group_id).unwrap_or_default(),
                recipient_group: groups.remove(&recipient.group_id).unwrap_or_default(),
                asker,
                recipient,
            });
        }
        let rows: Vec<AskedRow> = fixed::load(
            conn,
            "WITH q AS (INSERT INTO questions \
                 (relay_id, round_id, asker_id, recipient_id, text, status, asked_at, delivered_at) \
                 VALUES (?, \
                     (SELECT id FROM rounds WHERE relay_id = ? AND starts_at <= ? \
                      ORDER BY position DESC LIMIT 1), \
                     ?, ?, ?, ?, ?, ?) \
                 RETURNING id, round_id, asker_id, recipient_id, delivered_at), \
             d AS (INSERT INTO deliveries \
                 (question_id, asker_id, recipient_id, delivered_at, outcome) \
                 SELECT id, asker_id, recipient_id, delivered_at, ? FROM q RETURNING id), \
             r AS (UPDATE participants SET inbox_count = inbox_count + 1, \
                 received_count = received_count + 1 WHERE id = ? RETURNING *), \
             a AS (UPDATE participants SET batons = ? WHERE id = ? RETURNING *) \
             SELECT q.id AS question_id, q.round_id, d.id AS delivery_id, p.*, \
                 g.name AS group_name \
             FROM q, d, (SELECT * FROM r UNION ALL SELECT * FROM a) p \
             JOIN groups g ON g.id = p.group_id",
            &[
                Param::Int(new.relay_id),
                Param::Int(new.relay_id),
                Param::Time(Some(new.asked_at)),
                Param::Int(new.asker_id),
                Param::Int(new.recipient_id),
                Param::Text(&new.text),
                Param::Text(new.status.as_str()),
                Param::Time(Some(new.asked_at)),
                Param::Time(Some(new.delivered_at)),
                Param::Text(DeliveryOutcome::Pending.as_str()),
                Param::Int(new.recipient_id),
                Param::Int(i64::from(asker_batons)),
                Param::Int(new.asker_id),
            ],
        )?;
        let (Some(first), true) = (rows.first(), rows.len() == 2) else {
            return Err(diesel::result::Error::NotFound);
        };
        let (question_id, round_id, delivery_id) =
            (first.question_id, first.round_id, first.delivery_id);
        new.round_id = round_id;
        let mut people: HashMap<i64, (ParticipantRow, String)> = rows
            .into_iter()
            .map(|r| (r.person.id, (r.person, r.group_name)))
            .collect();
        let (Some((asker, asker_group)), Some((recipient, recipient_group))) =
            (people.remove(&asker), people.remove(&recipient))
        else {
            return Err(diesel::result::Error::NotFound);
        };
        Ok(Ask {
            question: QuestionRow::new(question_id, new),
            delivery_id,
            asker,
            asker_group,
            recipient,
            recipient_group,
        })
    }

    /// A relay's questions still waiting for an answer.
    pub fn pending_for_relay(conn: &mut DbConn, relay_id: i64) -> QueryResult<Vec<QuestionRow>> {
        questions::table
            .filter(questions::relay_id.eq(relay_id))
            .filter(questions::status.eq(QuestionStatus::Pending))
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

    /// Everything ever passed to a participant, oldest first.
    pub fn inbox(conn: &mut DbConn, participant_id: i64) -> QueryResult<Vec<InboxItem>> {
        let rows: Vec<(QuestionRow, DeliveryRow)> = deliveries::table
            .inner_join(questions::table)
            .filter(deliveries::recipient_id.eq(participant_id))
            .order(deliveries::id.asc())
            .select((QuestionRow::as_select(), DeliveryRow::as_select()))
            .load(conn)?;
        let ids: Vec<i64> = rows.iter().map(|(q, _)| q.id).collect();
        let mut answers = AnswerRow::for_questions(conn, &ids)?;
        Ok(rows
            .into_iter()
            .map(|(question, delivery)| {
                let answer = answers
                    .remove(&question.id)
                    .filter(|a| a.author_id == participant_id);
                InboxItem {
                    question,
                    delivery,
                    answer,
                }
            })
            .collect())
    }

    /// The relay of a question.
    pub fn relay_of(conn: &mut DbConn, question_id: i64) -> QueryResult<i64> {
        questions::table
            .find(question_id)
            .select(questions::relay_id)
            .first(conn)
    }

    /// Loads a question with its asker and its recipient, in one statement.
    pub fn with_people(
        conn: &mut DbConn,
        id: i64,
    ) -> QueryResult<(QuestionRow, HashMap<i64, ParticipantRow>)> {
        let rows: Vec<(QuestionRow, ParticipantRow)> = questions::table
            .inner_join(
                participants::table.on(participants::id
                    .eq(questions::asker_id)
                    .or(participants::id.eq(questions::recipient_id))),
            )
            .filter(questions::id.eq(id))
            .select((QuestionRow::as_select(), ParticipantRow::as_select()))
            .load(conn)?;
        let question = rows
            .first()
            .map(|(q, _)| q.clone())
            .ok_or(diesel::result::Error::NotFound)?;
        Ok((question, rows.into_iter().map(|(_, p)| (p.id, p)).collect()))
    }

    /// Stores `text` as the answer to `question` by its recipient, marks the question
    /// answered, ends its delivery (out of the recipient's inbox count) and sets the
    /// recipient's baton count to `recipient_batons`, as the rule left it.
    ///
    /// One statement on PostgreSQL, five round trips fewer under the relay's lock (see
    /// [`QuestionRow::ask`]); one by one on SQLite.
    pub fn answer(
        conn: &mut DbConn,
        question: &QuestionRow,
        text: &str,
        now: NaiveDateTime,
        recipient_batons: u32,
    ) -> QueryResult<AnswerRow> {
        let author = question.recipient_id;
        if matches!(conn, DbConn::Sqlite(_)) {
            let answer = AnswerRow::insert(conn, question.id, author, text, now)?;
            fixed::execute(
                conn,
                "UPDATE questions SET status = ?, answered_at = ? WHERE id = ?",
                &[
                    Param::Text(QuestionStatus::Answered.as_str()),
                    Param::Time(Some(now)),
                    Param::Int(question.id),
                ],
            )?;
            DeliveryRow::end_open(conn, question.id, DeliveryOutcome::Answered, now)?;
            ParticipantRow::set_batons(conn, author, recipient_batons)?;
            return Ok(answer);
        }
        let ids: Vec<Answered> = fixed::load(
            conn,
            "WITH a AS (INSERT INTO answers (question_id, author_id, text, created_at) \
                 VALUES (?, ?, ?, ?) RETURNING id), \
             q AS (UPDATE questions SET status = ?, answered_at = ? WHERE id = ?), \
             d AS (UPDATE deliveries SET outcome = ?, ended_at = ? \
                 WHERE question_id = ? AND outcome = ? RETURNING recipient_id), \
             p AS (UPDATE participants \
                 SET inbox_count = inbox_count - (SELECT COUNT(*) FROM d), batons = ? \
                 WHERE id = ?) \
             SELECT id FROM a",
            &[
                Param::Int(question.id),
                Param::Int(author),
                Param::Text(text),
                Param::Time(Some(now)),
                Param::Text(QuestionStatus::Answered.as_str()),
                Param::Time(Some(now)),
                Param::Int(question.id),
                Param::Text(DeliveryOutcome::Answered.as_str()),
                Param::Time(Some(now)),
                Param::Int(question.id),
                Param::Text(DeliveryOutcome::Pending.as_str()),
                Param::Int(i64::from(recipient_batons)),
                Param::Int(author),
            ],
        )?;
        let Some(ids) = ids.first() else {
            return Err(diesel::result::Error::NotFound);
        };
        Ok(AnswerRow {
            id: ids.id,
            question_id: question.id,
            author_id: author,
            text: text.to_string(),
            created_at: now,
        })
    }

    /// Moves a pending question to a new recipient; returns the new delivery's id.
    pub fn redeliver(
        conn: &mut DbConn,
        question: &QuestionRow,
        to: i64,
        now: NaiveDateTime,
    ) -> QueryResult<i64> {
        DeliveryRow::end_open(conn, question.id, DeliveryOutcome::Withdrawn, now)?;
        diesel::update(questions::table.find(question.id))
            .set((
                questions::recipient_id.eq(to),
                questions::delivered_at.eq(now),
                questions::reminded_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        DeliveryRow::insert(
            conn,
            NewDelivery {
                question_id: question.id,
                asker_id: question.asker_id,
                recipient_id: to,
                delivered_at: now,
                outcome: DeliveryOutcome::Pending,
            },
        )
    }

    /// Withdraws every question `asker_id` asked from its recipients' counts, then deletes the
    /// questions with their deliveries, answers and theme placements; returns how many.
    pub fn delete_asked_by(
        conn: &mut DbConn,
        asker_id: i64,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        for q in Self::asked_by(conn, asker_id)? {
            DeliveryRow::end_open(conn, q.id, DeliveryOutcome::Withdrawn, now)?;
        }
        let received: Vec<i64> = deliveries::table
            .filter(deliveries::asker_id.eq(asker_id))
            .select(deliveries::recipient_id)
            .load(conn)?;
        for recipient in received {
            fixed::execute(
                conn,
                "UPDATE participants SET received_count = received_count - 1 WHERE id = ?",
                &[Param::Int(recipient)],
            )?;
        }
        diesel::delete(questions::table.filter(questions::asker_id.eq(asker_id))).execute(conn)
    }

    /// Marks questions expired (their answer was removed).
    pub fn set_expired(conn: &mut DbConn, ids: &[i64]) -> QueryResult<usize> {
        diesel::update(questions::table.filter(questions::id.eq_any(ids)))
            .set(questions::status.eq(QuestionStatus::Expired))
            .execute(conn)
    }

    /// Deletes every question of a relay, with its deliveries, answers and theme placements.
    pub fn delete_for_relay(conn: &mut DbConn, relay_id: i64) -> QueryResult<usize> {
        diesel::delete(questions::table.filter(questions::relay_id.eq(relay_id))).execute(conn)
    }

    /// Marks the reminder of a question sent.
    pub fn mark_reminded(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<()> {
        diesel::update(questions::table.find(id))
            .set(questions::reminded_at.eq(now))
            .execute(conn)
            .map(|_| ())
    }

    /// Expires every pending question of a relay (at closing); returns how many.
    /// (Inbox counts drop with each ended delivery.)
    pub fn expire_pending(
        conn: &mut DbConn,
        relay_id: i64,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let pending = Self::pending_for_relay(conn, relay_id)?;
        for q in &pending {
            DeliveryRow::end_open(conn, q.id, DeliveryOutcome::Expired, now)?;
        }
        diesel::update(
            questions::table
                .filter(questions::relay_id.eq(relay_id))
                .filter(questions::status.eq(QuestionStatus::Pending)),
        )
        .set(questions::status.eq(QuestionStatus::Expired))
        .execute(conn)
    }

    /// Per-participant counts for a relay: (asked, received, answered, pending).
    pub fn counts_per_participant(
        conn: &mut DbConn,
        relay_id: i64,
    ) -> QueryResult<HashMap<i64, (i64, i64, i64, i64)>> {
        let qs = Self::for_relay(conn, relay_id)?;
        let mut out: HashMap<i64, (i64, i64, i64, i64)> = HashMap::new();
        for q in &qs {
            out.entry(q.asker_id).or_default().0 += 1;
            let r = out.entry(q.recipient_id).or_default();
            match q.status {
                QuestionStatus::Answered => r.2 += 1,
                QuestionStatus::Pending => r.3 += 1,
                QuestionStatus::Expired => {}
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
}

/// One item of a participant's inbox: a question passed to them and what became of it.
#[derive(Debug, Clone)]
pub struct InboxItem {
    /// The question.
    pub question: QuestionRow,
    /// Its passing to this participant: when, and what became of it.
    pub delivery: DeliveryRow,
    /// The answer, when this participant answered it.
    pub answer: Option<AnswerRow>,
}

/// A participant's pending questions, found through their open deliveries: an index on the
/// questions' recipient would take a random page per question asked and another per answer
/// (a fifth of all pages a busy relay wrote), and deliveries are indexed by recipient anyway.
fn pending_query(participant_id: i64) -> questions::BoxedQuery<'static, MultiBackend> {
    let open = deliveries::table
        .filter(deliveries::recipient_id.eq(participant_id))
        .filter(deliveries::outcome.eq(DeliveryOutcome::Pending))
        .select(deliveries::question_id);
    questions::table
        .filter(questions::id.eq_any(open))
        .filter(questions::recipient_id.eq(participant_id))
        .filter(questions::status.eq(QuestionStatus::Pending))
        .order(questions::id.asc())
        .into_boxed()
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

/// What [`QuestionRow::ask`] records.
#[derive(Debug, Clone)]
pub struct Ask {
    /// The question.
    pub question: QuestionRow,
    /// Its first delivery's id.
    pub delivery_id: i64,
    /// The asker, with the batons the ask left them.
    pub asker: ParticipantRow,
    /// The name of the asker's group.
    pub asker_group: String,
    /// The recipient, with the question counted in their inbox.
    pub recipient: ParticipantRow,
    /// The name of the recipient's group.
    pub recipient_group: String,
}

/// A row of [`QuestionRow::ask`]'s statement: the question's id and round, the delivery's id,
/// and one of the two people (asker or recipient).
#[derive(QueryableByName)]
struct AskedRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    question_id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    round_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    delivery_id: i64,
    #[diesel(embed)]
    person: ParticipantRow,
    #[diesel(sql_type = diesel::sql_types::Text)]
    group_name: String,
}

/// The id [`QuestionRow::answer`]'s statement returns: the answer's.
#[derive(QueryableByName)]
struct Answered {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}
