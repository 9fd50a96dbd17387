//! Answers: one per answered question, by its last recipient.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::answers;

/// An answer row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = answers, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AnswerRow {
    pub id: i64,
    pub question_id: i64,
    pub author_id: i64,
    pub text: String,
    pub created_at: NaiveDateTime,
}

impl AnswerRow {
    /// Stores an answer by `author_id` (see [`QuestionRow::answer`](super::questions::QuestionRow::answer),
    /// which also marks the question answered).
    pub fn insert(
        conn: &mut DbConn,
        question_id: i64,
        author_id: i64,
        text: &str,
        now: NaiveDateTime,
    ) -> QueryResult<AnswerRow> {
        let id = super::backend::insert_id!(
            conn,
            answers,
            (
                answers::question_id.eq(question_id),
                answers::author_id.eq(author_id),
                answers::text.eq(text),
                answers::created_at.eq(now),
            )
        )?;
        Ok(AnswerRow {
            id,
            question_id,
            author_id,
            text: text.to_string(),
            created_at: now,
        })
    }

    /// Answers written by `author_id`.
    pub fn by_author(conn: &mut DbConn, author_id: i64) -> QueryResult<Vec<AnswerRow>> {
        answers::table
            .filter(answers::author_id.eq(author_id))
            .order(answers::id.asc())
            .select(AnswerRow::as_select())
            .load(conn)
    }

    /// Deletes the answers written by `author_id`; returns the questions they answered.
    pub fn delete_by_author(conn: &mut DbConn, author_id: i64) -> QueryResult<Vec<i64>> {
        let questions: Vec<i64> = answers::table
            .filter(answers::author_id.eq(author_id))
            .select(answers::question_id)
            .load(conn)?;
        diesel::delete(answers::table.filter(answers::author_id.eq(author_id))).execute(conn)?;
        Ok(questions)
    }

    /// Answers of the given questions by question id.
    pub fn for_questions(
        conn: &mut DbConn,
        question_ids: &[i64],
    ) -> QueryResult<HashMap<i64, AnswerRow>> {
        let rows: Vec<AnswerRow> = answers::table
            .filter(answers::question_id.eq_any(question_ids))
            .select(AnswerRow::as_select())
            .load(conn)?;
        Ok(rows.into_iter().map(|a| (a.question_id, a)).collect())
    }
}
