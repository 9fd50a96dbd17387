//! Invitations to join an organisation: single-use, stored as a hash of their secret.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::invitations;
use crate::relay::StaffRole;

/// An invitation.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = invitations, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct InvitationRow {
    pub id: i64,
    pub token_hash: String,
    pub org_id: i64,
    pub email: String,
    pub role: StaffRole,
    pub invited_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

/// A new invitation.
#[derive(Debug, Insertable)]
#[diesel(table_name = invitations)]
pub struct NewInvitation {
    pub token_hash: String,
    pub org_id: i64,
    pub email: String,
    pub role: StaffRole,
    pub invited_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl InvitationRow {
    /// Stores an invitation.
    pub fn insert(conn: &mut DbConn, new: NewInvitation) -> QueryResult<InvitationRow> {
        let id = super::backend::insert_id!(conn, invitations, new)?;
        // Read back: diesel cannot build `RETURNING` for a connection that may be either backend.
        invitations::table
            .find(id)
            .select(InvitationRow::as_select())
            .get_result(conn)
    }

    /// The invitation with this id, if any.
    pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<InvitationRow>> {
        invitations::table
            .find(id)
            .select(InvitationRow::as_select())
            .first(conn)
            .optional()
    }

    /// Marks it used; false when it already was (two accepts at once: one wins).
    pub fn use_up(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
        diesel::update(
            invitations::table
                .find(id)
                .filter(invitations::used_at.is_null()),
        )
        .set(invitations::used_at.eq(now))
        .execute(conn)
        .map(|n| n == 1)
    }
}
