//! The corpus of a relay: every question with its answer, groups, round, pseudonyms and theme,
//! read in id order a page at a time so an export of any size streams in bounded memory.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamp};

use super::DbConn;
use super::fixed::{self, Param};
use crate::relay::QuestionStatus;

/// One question of the corpus as stored. Names and emails are always loaded; whoever turns
/// rows into output decides whether the reader may see them.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct CorpusRow {
    /// The question's id.
    #[diesel(sql_type = BigInt)]
    pub question_id: i64,
    /// The relay.
    #[diesel(sql_type = BigInt)]
    pub relay_id: i64,
    /// 1-based round number, when the question was asked in a round.
    #[diesel(sql_type = Nullable<Integer>)]
    pub round: Option<i32>,
    /// The round's name.
    #[diesel(sql_type = Nullable<Text>)]
    pub round_name: Option<String>,
    /// The asker's stable pseudonym in the relay, e.g. `P017`.
    #[diesel(sql_type = Text)]
    pub asker: String,
    /// The asker's group.
    #[diesel(sql_type = Text)]
    pub asker_group: String,
    /// The asker's name.
    #[diesel(sql_type = Text)]
    pub asker_name: String,
    /// The asker's email.
    #[diesel(sql_type = Text)]
    pub asker_email: String,
    /// The (latest) recipient's pseudonym.
    #[diesel(sql_type = Text)]
    pub recipient: String,
    /// The recipient's group.
    #[diesel(sql_type = Text)]
    pub recipient_group: String,
    /// The recipient's name.
    #[diesel(sql_type = Text)]
    pub recipient_name: String,
    /// The recipient's email.
    #[diesel(sql_type = Text)]
    pub recipient_email: String,
    /// The question.
    #[diesel(sql_type = Text)]
    pub question: String,
    /// When it was asked.
    #[diesel(sql_type = Timestamp)]
    pub asked_at: NaiveDateTime,
    /// Where the question is.
    #[diesel(sql_type = Text)]
    pub status: QuestionStatus,
    /// The answer, if any.
    #[diesel(sql_type = Nullable<Text>)]
    pub answer: Option<String>,
    /// When it was answered.
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub answered_at: Option<NaiveDateTime>,
    /// The theme's id, when the question is placed in one.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub theme_id: Option<i64>,
    /// The theme's label.
    #[diesel(sql_type = Nullable<Text>)]
    pub theme: Option<String>,
    /// Starred for the report.
    #[diesel(sql_type = Bool)]
    pub starred: bool,
}

/// The corpus query; also what `sqlite3 -csv` runs in the export benchmark, so both sides do
/// the same work.
pub const CORPUS_SQL: &str = "SELECT q.id AS question_id, q.relay_id AS relay_id, \
r.position + 1 AS round, r.name AS round_name, \
pa.pseudonym AS asker, ga.name AS asker_group, pa.name AS asker_name, pa.email AS asker_email, \
pr.pseudonym AS recipient, gr.name AS recipient_group, pr.name AS recipient_name, pr.email AS recipient_email, \
q.text AS question, q.asked_at AS asked_at, q.status AS status, a.text AS answer, a.created_at AS answered_at, \
t.id AS theme_id, t.label AS theme, q.is_starred AS starred \
FROM questions q \
JOIN participants pa ON pa.id = q.asker_id JOIN groups ga ON ga.id = pa.group_id \
JOIN participants pr ON pr.id = q.recipient_id JOIN groups gr ON gr.id = pr.group_id \
LEFT JOIN rounds r ON r.id = q.round_id \
LEFT JOIN answers a ON a.question_id = q.id \
LEFT JOIN question_themes qt ON qt.question_id = q.id LEFT JOIN themes t ON t.id = qt.theme_id \
WHERE q.relay_id = ? AND q.id > ? ORDER BY q.id LIMIT ?";

impl CorpusRow {
    /// Up to `limit` corpus rows of `relay_id` with ids above `after`, in id order.
    pub fn page(
        conn: &mut DbConn,
        relay_id: i64,
        after: i64,
        limit: i64,
    ) -> QueryResult<Vec<CorpusRow>> {
        fixed::load(
            conn,
            CORPUS_SQL,
            &[Param::Int(relay_id), Param::Int(after), Param::Int(limit)],
        )
    }

    /// Calls `each` with every corpus row of the relay, in id order, `page_size` rows per query.
    /// Stops early (and returns the error) when `each` fails.
    pub fn for_each<E: From<diesel::result::Error>>(
        conn: &mut DbConn,
        relay_id: i64,
        page_size: i64,
        mut each: impl FnMut(CorpusRow) -> Result<(), E>,
    ) -> Result<u64, E> {
        let mut after = 0;
        let mut n = 0u64;
        loop {
            let rows = Self::page(conn, relay_id, after, page_size)?;
            let Some(last) = rows.last() else {
                return Ok(n);
            };
            after = last.question_id;
            let full = rows.len() as i64 == page_size;
            for row in rows {
                n += 1;
                each(row)?;
            }
            if !full {
                return Ok(n);
            }
        }
    }

    /// How many questions the relay has (for progress bars).
    pub fn count(conn: &mut DbConn, relay_id: i64) -> QueryResult<i64> {
        use super::schema::questions;
        questions::table
            .filter(questions::relay_id.eq(relay_id))
            .count()
            .get_result(conn)
    }
}

/// Question texts of the other relays in `language`, newest first, a page at a time: those with
/// ids below `before` (`i64::MAX` for the first page). The reference the unexpected words of a
/// relay are measured against.
pub fn reference_page(
    conn: &mut DbConn,
    relay_id: i64,
    language: &str,
    before: i64,
    limit: i64,
) -> QueryResult<Vec<(i64, String)>> {
    use super::schema::{questions, relays};
    let others = relays::table
        .filter(relays::language.eq(language.to_owned()))
        .filter(relays::id.ne(relay_id))
        .select(relays::id);
    questions::table
        .filter(questions::relay_id.eq_any(others))
        .filter(questions::id.lt(before))
        .order(questions::id.desc())
        .limit(limit)
        .select((questions::id, questions::text))
        .load(conn)
}
