//! Hand-written statements on the hot path, prepared once per connection, with `?` for each
//! parameter whatever the backend.
//!
//! diesel never caches the statements of its UPDATE builder (a changeset may vary its SQL), so
//! every UPDATE would be parsed and planned again on each request: a tenth of the writer's time
//! when asking and answering. These few fixed statements are cached like any other query.

use chrono::NaiveDateTime;
use diesel::query_builder::Query;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::query_dsl::methods::LoadQuery;
use diesel::sql_types::Untyped;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use super::{DbConn, MultiBackend};

/// A parameter of a [`Fixed`] statement.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    /// An integer.
    Int(i64),
    /// An integer or NULL.
    MaybeInt(Option<i64>),
    /// A text.
    Text(&'a str),
    /// A text or NULL.
    MaybeText(Option<&'a str>),
    /// A timestamp, stored as diesel stores them.
    Time(Option<NaiveDateTime>),
}

/// A statement whose `?` placeholders take `params` in order.
#[derive(Debug)]
pub struct Fixed<'a> {
    sql: &'static str,
    params: &'a [Param<'a>],
}

impl QueryId for Fixed<'_> {
    type QueryId = ();
    // Cached by its SQL text instead of by type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<MultiBackend> for Fixed<'_> {
    // Each backend's query builder writes its own placeholder (`?`, `$1`) for a bind.
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        let mut pieces = self.sql.split('?');
        out.push_sql(pieces.next().unwrap_or_default());
        let mut params = self.params.iter();
        for piece in pieces {
            match params.next() {
                Some(Param::Int(v)) => out.push_bind_param::<BigInt, _>(v)?,
                Some(Param::MaybeInt(v)) => out.push_bind_param::<Nullable<BigInt>, _>(v)?,
                Some(Param::Text(v)) => out.push_bind_param::<Text, _>(v)?,
                Some(Param::MaybeText(v)) => out.push_bind_param::<Nullable<Text>, _>(v)?,
                Some(Param::Time(v)) => out.push_bind_param::<Nullable<Timestamp>, _>(v)?,
                None => {
                    return Err(diesel::result::Error::QueryBuilderError(
                        format!("too few parameters for {}", self.sql).into(),
                    ));
                }
            }
            out.push_sql(piece);
        }
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for Fixed<'_> {}

/// Rows come back by column name, as from `sql_query`.
impl Query for Fixed<'_> {
    type SqlType = Untyped;
}

/// Runs `sql` with `params`; returns the number of rows changed.
pub fn execute(conn: &mut DbConn, sql: &'static str, params: &[Param<'_>]) -> QueryResult<usize> {
    debug_assert_eq!(sql.matches('?').count(), params.len(), "{sql}");
    Fixed { sql, params }.execute(conn)
}

/// Runs the query `sql` with `params`; returns its rows, read by column name.
pub fn load<'a, U>(
    conn: &mut DbConn,
    sql: &'static str,
    params: &'a [Param<'a>],
) -> QueryResult<Vec<U>>
where
    U: QueryableByName<MultiBackend> + 'static,
    Fixed<'a>: LoadQuery<'a, DbConn, U>,
{
    debug_assert_eq!(sql.matches('?').count(), params.len(), "{sql}");
    Fixed { sql, params }.load(conn)
}
