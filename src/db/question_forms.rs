//! The analyst's corrections of question forms: one row per corrected question.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{question_forms, questions};
use crate::analysis::QuestionForm;

/// The corrections of a relay's questions.
pub struct FormCorrection;

impl FormCorrection {
    /// The corrected form of each corrected question of `relay_id`.
    pub fn for_relay(conn: &mut DbConn, relay_id: i64) -> QueryResult<HashMap<i64, QuestionForm>> {
        let rows: Vec<(i64, String)> = question_forms::table
            .inner_join(questions::table)
            .filter(questions::relay_id.eq(relay_id))
            .select((question_forms::question_id, question_forms::form))
            .load(conn)?;
        // The column's CHECK holds it to the three names, so nothing is dropped here.
        Ok(rows
            .into_iter()
            .filter_map(|(q, f)| Some((q, QuestionForm::parse(&f)?)))
            .collect())
    }

    /// Sets the analyst's form of a question, replacing an earlier correction.
    pub fn set(
        conn: &mut DbConn,
        question_id: i64,
        form: QuestionForm,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::delete(question_forms::table.find(question_id)).execute(conn)?;
        diesel::insert_into(question_forms::table)
            .values((
                question_forms::question_id.eq(question_id),
                question_forms::form.eq(form.as_str()),
                question_forms::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }
}
