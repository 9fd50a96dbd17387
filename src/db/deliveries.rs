//! Deliveries: each time a question is passed to someone, and what became of it. A
//! participant's `inbox_count` counts their open deliveries and moves with them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::fixed::{self, Param};
use super::schema::deliveries;
use crate::relay::DeliveryOutcome;

/// A delivery row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = deliveries, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct DeliveryRow {
    pub id: i64,
    pub question_id: i64,
    pub asker_id: i64,
    pub recipient_id: i64,
    pub delivered_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    pub outcome: DeliveryOutcome,
}

/// A new delivery.
#[derive(Debug, Insertable)]
#[diesel(table_name = deliveries)]
pub struct NewDelivery {
    pub question_id: i64,
    pub asker_id: i64,
    pub recipient_id: i64,
    pub delivered_at: NaiveDateTime,
    pub outcome: DeliveryOutcome,
}

impl DeliveryRow {
    /// Records that a question was passed to its recipient, and counts it in their inbox;
    /// returns the delivery's id.
    pub fn insert(conn: &mut DbConn, new: NewDelivery) -> QueryResult<i64> {
        fixed::execute(
            conn,
            "UPDATE participants SET inbox_count = inbox_count + 1, \
             received_count = received_count + 1 WHERE id = ?",
            &[Param::Int(new.recipient_id)],
        )?;
        super::backend::insert_id!(conn, deliveries, &new)
    }

    /// The open delivery of a question.
    pub fn open_for(conn: &mut DbConn, question_id: i64) -> QueryResult<Option<DeliveryRow>> {
        deliveries::table
            .filter(deliveries::question_id.eq(question_id))
            .filter(deliveries::outcome.eq(DeliveryOutcome::Pending))
            .select(DeliveryRow::as_select())
            .first(conn)
            .optional()
    }

    /// Ends the open delivery of a question with `outcome` and takes it out of its recipient's
    /// inbox count; returns its id.
    pub fn end_open(
        conn: &mut DbConn,
        question_id: i64,
        outcome: DeliveryOutcome,
        now: NaiveDateTime,
    ) -> QueryResult<Option<i64>> {
        let Some(open) = Self::open_for(conn, question_id)? else {
            return Ok(None);
        };
        fixed::execute(
            conn,
            "UPDATE deliveries SET outcome = ?, ended_at = ? WHERE id = ?",
            &[
                Param::Text(outcome.as_str()),
                Param::Time(Some(now)),
                Param::Int(open.id),
            ],
        )?;
        fixed::execute(
            conn,
            "UPDATE participants SET inbox_count = inbox_count - 1 WHERE id = ?",
            &[Param::Int(open.recipient_id)],
        )?;
        Ok(Some(open.id))
    }
}
