//! Staff accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::staff_users;
use crate::relay::StaffRole;

/// A staff account.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = staff_users, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct StaffUserRow {
    pub id: i64,
    pub email: String,
    pub role: StaffRole,
    pub password_hash: String,
    pub is_suspended: bool,
    pub created_at: NaiveDateTime,
}

/// A new staff account.
#[derive(Debug, Insertable)]
#[diesel(table_name = staff_users)]
pub struct NewStaffUser {
    pub email: String,
    pub role: StaffRole,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
}

impl StaffUserRow {
    /// Creates an account.
    pub fn insert(
        conn: &mut DbConn,
        email: &str,
        role: StaffRole,
        password_hash: &str,
        now: NaiveDateTime,
    ) -> QueryResult<StaffUserRow> {
        let id = super::backend::insert_id!(
            conn,
            staff_users,
            NewStaffUser {
                email: email.to_string(),
                role,
                password_hash: password_hash.to_string(),
                created_at: now,
            }
        )?;
        // Read back instead of `RETURNING`, which diesel cannot build for a connection that
        // may be either backend when the row type is selected by name.
        staff_users::table
            .find(id)
            .select(StaffUserRow::as_select())
            .get_result(conn)
    }

    /// The account with this email (compared case-insensitively, stored lower-case).
    pub fn by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<StaffUserRow>> {
        staff_users::table
            .filter(staff_users::email.eq(email.trim().to_lowercase()))
            .select(StaffUserRow::as_select())
            .first(conn)
            .optional()
    }

    /// The account with this id.
    pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<StaffUserRow> {
        staff_users::table
            .find(id)
            .select(StaffUserRow::as_select())
            .first(conn)
    }

    /// Replaces the account's password hash.
    pub fn set_password(conn: &mut DbConn, id: i64, password_hash: &str) -> QueryResult<usize> {
        diesel::update(staff_users::table.find(id))
            .set(staff_users::password_hash.eq(password_hash))
            .execute(conn)
    }
}
