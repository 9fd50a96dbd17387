//! Hand-written statements on the hot path, prepared once per connection, with `?` for each
//! parameter whatever the backend.
//!
//! diesel never caches the statements of its UPDATE builder (a changeset may vary its SQL), so
//! every UPDATE would be parsed and planned again on each request: a tenth of the writer's time
//! when asking and answering. These few fixed statements are cached like any other query.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::query_builder::Query;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::query_dsl::methods::ExecuteDsl;
use diesel::query_dsl::methods::LoadQuery;
use diesel::sql_types::Untyped;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};
use diesel::{Connection, QueryResult, RunQueryDsl};

use super::MultiBackend;

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
pub struct Fixed<'a, P> {
    sql: &'static str,
    params: &'a [P],
}

/// A parameter that binds itself on backend `DB`.
pub trait Bind<DB: Backend> {
    /// Pushes the value as the statement's next bind parameter.
    fn bind<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>;
}

impl Bind<MultiBackend> for Param<'_> {
    fn bind<'b>(&'b self, out: &mut AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        match self {
            Param::Int(v) => out.push_bind_param::<BigInt, _>(v),
            Param::MaybeInt(v) => out.push_bind_param::<Nullable<BigInt>, _>(v),
            Param::Text(v) => out.push_bind_param::<Text, _>(v),
            Param::MaybeText(v) => out.push_bind_param::<Nullable<Text>, _>(v),
            Param::Time(v) => out.push_bind_param::<Nullable<Timestamp>, _>(v),
        }
    }
}

impl<P> QueryId for Fixed<'_, P> {
    type QueryId = ();
    // Cached by its SQL text instead of by type.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: Backend, P: Bind<DB>> QueryFragment<DB> for Fixed<'_, P> {
    // Each backend's query builder writes its own placeholder (`?`, `$1`) for a bind.
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let mut pieces = self.sql.split('?');
        out.push_sql(pieces.next().unwrap_or_default());
        let mut params = self.params.iter();
        for piece in pieces {
            let Some(param) = params.next() else {
                return Err(diesel::result::Error::QueryBuilderError(
                    format!("too few parameters for {}", self.sql).into(),
                ));
            };
            param.bind(&mut out)?;
            out.push_sql(piece);
        }
        Ok(())
    }
}

impl<Conn, P> RunQueryDsl<Conn> for Fixed<'_, P> {}

/// Rows come back by column name, as from `sql_query`.
impl<P> Query for Fixed<'_, P> {
    type SqlType = Untyped;
}

/// Runs `sql` with `params` (a [`Param`] list on either backend, a [`PgParam`] list on a
/// PostgreSQL connection); returns the number of rows changed.
pub fn execute<C, P>(conn: &mut C, sql: &'static str, params: &[P]) -> QueryResult<usize>
where
    C: Connection,
    for<'a> Fixed<'a, P>: ExecuteDsl<C>,
{
    debug_assert_eq!(sql.matches('?').count(), params.len(), "{sql}");
    Fixed { sql, params }.execute(conn)
}

/// Runs the query `sql` with `params`, as [`execute`] takes them; returns its rows, read by
/// column name.
pub fn load<'a, C, P, U>(conn: &mut C, sql: &'static str, params: &'a [P]) -> QueryResult<Vec<U>>
where
    U: 'static,
    Fixed<'a, P>: LoadQuery<'a, C, U>,
{
    debug_assert_eq!(sql.matches('?').count(), params.len(), "{sql}");
    Fixed { sql, params }.load(conn)
}

/// A parameter of a statement for PostgreSQL only ([`execute`] and [`load`] on a `PgConnection`): PostgreSQL
/// takes arrays, so one statement can carry any number of rows (`unnest($1::bigint[], …)`) and
/// keep one prepared plan (diesel's `sql_query` is prepared anew on every call).
#[derive(Debug, Clone, Copy)]
pub enum PgParam<'a> {
    /// An integer.
    Int(i64),
    /// A text.
    Text(&'a str),
    /// Integers.
    Ints(&'a [i64]),
    /// Integers or NULLs.
    MaybeInts(&'a [Option<i64>]),
    /// Texts.
    Texts(&'a [&'a str]),
    /// Timestamps.
    Times(&'a [NaiveDateTime]),
}

impl Bind<Pg> for PgParam<'_> {
    fn bind<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        match self {
            PgParam::Int(v) => out.push_bind_param::<BigInt, _>(v),
            PgParam::Text(v) => out.push_bind_param::<Text, _>(v),
            PgParam::Ints(v) => out.push_bind_param::<Array<BigInt>, _>(v),
            PgParam::MaybeInts(v) => out.push_bind_param::<Array<Nullable<BigInt>>, _>(v),
            PgParam::Texts(v) => out.push_bind_param::<Array<Text>, _>(v),
            PgParam::Times(v) => out.push_bind_param::<Array<Timestamp>, _>(v),
        }
    }
}
