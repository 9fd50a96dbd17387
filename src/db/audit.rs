//! The audit log's rows (written through `ops::audit::record`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::audit_log;

/// One audit row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub org_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<i64>,
    pub relay_id: Option<i64>,
    pub detail: String,
}

/// A new audit row.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditRow {
    pub at: NaiveDateTime,
    pub org_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<i64>,
    pub relay_id: Option<i64>,
    pub detail: String,
}

/// Most rows one read of the log returns.
pub const PAGE: i64 = 1000;

impl AuditRow {
    /// Appends rows.
    pub fn insert(conn: &mut DbConn, rows: &[NewAuditRow]) -> QueryResult<()> {
        for row in rows {
            diesel::insert_into(audit_log::table)
                .values(row)
                .execute(conn)?;
        }
        Ok(())
    }

    /// `org_id`'s rows from `since` on (at or after), of `action` when given, oldest first.
    pub fn for_org(
        conn: &mut DbConn,
        org_id: i64,
        since: Option<NaiveDateTime>,
        action: Option<&str>,
    ) -> QueryResult<Vec<AuditRow>> {
        let mut q = audit_log::table
            .filter(audit_log::org_id.eq(org_id))
            .order(audit_log::id.asc())
            .limit(PAGE)
            .select(AuditRow::as_select())
            .into_boxed();
        if let Some(t) = since {
            q = q.filter(audit_log::at.ge(t));
        }
        if let Some(a) = action {
            q = q.filter(audit_log::action.eq(a.to_string()));
        }
        q.load(conn)
    }

    /// Whether any row is older than `before`.
    pub fn any_before(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<bool> {
        audit_log::table
            .filter(audit_log::at.lt(before))
            .select(audit_log::id)
            .first::<i64>(conn)
            .optional()
            .map(|row| row.is_some())
    }

    /// Deletes rows older than `before`; how many went.
    pub fn delete_before(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
        diesel::delete(audit_log::table.filter(audit_log::at.lt(before))).execute(conn)
    }
}
