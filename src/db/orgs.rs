//! Organisations (workspaces): every relay belongs to one.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{memberships, orgs};
use crate::relay::StaffRole;

/// An organisation.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = orgs, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub created_at: NaiveDateTime,
    /// Whether members must sign in with TOTP.
    pub require_totp: bool,
}

impl OrgRow {
    /// Creates an organisation.
    pub fn insert(conn: &mut DbConn, name: &str, now: NaiveDateTime) -> QueryResult<OrgRow> {
        let id = super::backend::insert_id!(
            conn,
            orgs,
            (orgs::name.eq(name), orgs::created_at.eq(now))
        )?;
        // Read back: diesel cannot build `RETURNING` for a connection that may be either backend.
        orgs::table
            .find(id)
            .select(OrgRow::as_select())
            .get_result(conn)
    }

    /// The organisation with this id, if any.
    pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<OrgRow>> {
        orgs::table
            .find(id)
            .select(OrgRow::as_select())
            .first(conn)
            .optional()
    }

    /// Sets whether members must sign in with TOTP.
    pub fn set_require_totp(conn: &mut DbConn, id: i64, on: bool) -> QueryResult<usize> {
        diesel::update(orgs::table.find(id))
            .set(orgs::require_totp.eq(on))
            .execute(conn)
    }

    /// The default organisation: the oldest, which the migration made for what existed before
    /// organisations did (`stafet user add` without `--org` puts people in it).
    pub fn default_org(conn: &mut DbConn) -> QueryResult<Option<OrgRow>> {
        orgs::table
            .order(orgs::id.asc())
            .select(OrgRow::as_select())
            .first(conn)
            .optional()
    }

    /// The organisations `user_id` belongs to, with their role in each, oldest first.
    pub fn of_user(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<(OrgRow, StaffRole)>> {
        orgs::table
            .inner_join(memberships::table)
            .filter(memberships::user_id.eq(user_id))
            .order(orgs::id.asc())
            .select((OrgRow::as_select(), memberships::role))
            .load(conn)
    }
}
