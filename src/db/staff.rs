//! Staff accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::models::{NewStaffUser, StaffUser};
use super::schema::staff_users;

impl StaffUser {
    /// Creates an account.
    pub fn insert(
        conn: &mut DbConn,
        email: &str,
        role: &str,
        password_hash: &str,
        now: NaiveDateTime,
    ) -> QueryResult<StaffUser> {
        diesel::insert_into(staff_users::table)
            .values(NewStaffUser {
                email,
                role,
                password_hash,
                created_at: now,
            })
            .returning(StaffUser::as_returning())
            .get_result(conn)
    }

    /// The account with this email (compared case-insensitively, stored lower-case).
    pub fn by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<StaffUser>> {
        staff_users::table
            .filter(staff_users::email.eq(email.trim().to_lowercase()))
            .select(StaffUser::as_select())
            .first(conn)
            .optional()
    }

    /// The account with this id.
    pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<StaffUser> {
        staff_users::table
            .find(id)
            .select(StaffUser::as_select())
            .first(conn)
    }
}
