//! Groups: the named parts of a relay (a municipality, a department) participants belong to.

use std::collections::HashMap;

use diesel::prelude::*;

use super::DbConn;
use super::schema::groups;

/// A group row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = groups, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct GroupRow {
    pub id: i64,
    pub relay_id: i64,
    pub name: String,
}

impl GroupRow {
    /// The id of the relay's group `name`, creating it if needed.
    pub fn id_for(conn: &mut DbConn, relay_id: i64, name: &str) -> QueryResult<i64> {
        let existing = groups::table
            .filter(groups::relay_id.eq(relay_id))
            .filter(groups::name.eq(name))
            .select(groups::id)
            .first(conn)
            .optional()?;
        match existing {
            Some(id) => Ok(id),
            None => diesel::insert_into(groups::table)
                .values((groups::relay_id.eq(relay_id), groups::name.eq(name)))
                .returning(groups::id)
                .get_result(conn),
        }
    }

    /// A relay's group names by id.
    pub fn names(conn: &mut DbConn, relay_id: i64) -> QueryResult<HashMap<i64, String>> {
        let rows: Vec<GroupRow> = groups::table
            .filter(groups::relay_id.eq(relay_id))
            .select(GroupRow::as_select())
            .load(conn)?;
        Ok(rows.into_iter().map(|g| (g.id, g.name)).collect())
    }
}
