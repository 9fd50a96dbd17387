//! Memberships: a staff user's role in an organisation.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{memberships, staff_users};
use crate::relay::StaffRole;

/// A member of an organisation as its members list shows them.
#[derive(Debug, Clone, Queryable)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub role: StaffRole,
    pub is_suspended: bool,
    pub since: NaiveDateTime,
}

/// Membership queries.
pub struct Membership;

impl Membership {
    /// `user_id`'s role in `org_id`, if they are a member.
    pub fn role(conn: &mut DbConn, org_id: i64, user_id: i64) -> QueryResult<Option<StaffRole>> {
        memberships::table
            .find((org_id, user_id))
            .select(memberships::role)
            .first(conn)
            .optional()
    }

    /// Makes `user_id` a member of `org_id` in `role` (or changes their role if they are one).
    pub fn set(
        conn: &mut DbConn,
        org_id: i64,
        user_id: i64,
        role: StaffRole,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        let changed = diesel::update(memberships::table.find((org_id, user_id)))
            .set(memberships::role.eq(role))
            .execute(conn)?;
        if changed == 0 {
            diesel::insert_into(memberships::table)
                .values((
                    memberships::org_id.eq(org_id),
                    memberships::user_id.eq(user_id),
                    memberships::role.eq(role),
                    memberships::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Ends a membership; whether there was one.
    pub fn remove(conn: &mut DbConn, org_id: i64, user_id: i64) -> QueryResult<bool> {
        diesel::delete(memberships::table.find((org_id, user_id)))
            .execute(conn)
            .map(|n| n > 0)
    }

    /// How many admins `org_id` has.
    pub fn admins(conn: &mut DbConn, org_id: i64) -> QueryResult<i64> {
        memberships::table
            .filter(memberships::org_id.eq(org_id))
            .filter(memberships::role.eq(StaffRole::Admin))
            .count()
            .get_result(conn)
    }

    /// Every member of `org_id`, by email.
    pub fn members(conn: &mut DbConn, org_id: i64) -> QueryResult<Vec<Member>> {
        memberships::table
            .inner_join(staff_users::table)
            .filter(memberships::org_id.eq(org_id))
            .order(staff_users::email.asc())
            .select((
                memberships::user_id,
                staff_users::email,
                memberships::role,
                staff_users::is_suspended,
                memberships::created_at,
            ))
            .load(conn)
    }

    /// The organisations `user_id` belongs to.
    pub fn orgs_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<i64>> {
        memberships::table
            .filter(memberships::user_id.eq(user_id))
            .order(memberships::org_id.asc())
            .select(memberships::org_id)
            .load(conn)
    }
}
