//! The named enums of [`crate::relay`] (and the database's own) as TEXT columns: written as
//! their `as_str` names, read back through `parse`. A row holding a name no enum knows fails to
//! load instead of being taken for some default. Nothing here names a backend.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use super::credentials::CredentialKind;
use super::outbox::OutboxStatus;
use crate::relay::{
    DeliveryOutcome, EventKind, QuestionStatus, RecipientChoice, RelayState, Retention, StaffRole,
};

/// Implements the diesel traits that let a named enum be a TEXT column's Rust type.
macro_rules! text_column {
    ($($t:ty),+ $(,)?) => {$(
        impl AsExpression<Text> for $t {
            type Expression = <&'static str as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Text>::as_expression(self.as_str())
            }
        }

        impl<'a> AsExpression<Text> for &'a $t {
            type Expression = <&'a str as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Text>::as_expression(self.as_str())
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $t
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let name = String::from_sql(bytes)?;
                <$t>::parse(&name)
                    .ok_or_else(|| format!("unknown {} {name:?}", stringify!($t)).into())
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $t
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: Backend> Queryable<Text, DB> for $t
        where
            Self: FromSql<Text, DB>,
        {
            type Row = Self;

            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    )+};
}

text_column!(
    RelayState,
    RecipientChoice,
    QuestionStatus,
    DeliveryOutcome,
    StaffRole,
    EventKind,
    CredentialKind,
    OutboxStatus,
    Retention,
);

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;
    use crate::db::DbConn;

    /// Each value goes into SQL as its name and comes back as itself.
    fn round_trip<T>(conn: &mut DbConn, all: &[T], as_str: fn(T) -> &'static str)
    where
        T: Copy + PartialEq + std::fmt::Debug + 'static,
        T: AsExpression<Text, Expression = <&'static str as AsExpression<Text>>::Expression>,
        T: Queryable<Text, crate::db::MultiBackend, Row = T>
            + FromSql<Text, crate::db::MultiBackend>,
    {
        for &value in all {
            let name: String = diesel::select(value.as_expression())
                .get_result(conn)
                .unwrap();
            assert_eq!(name, as_str(value));
            let back: T = diesel::select(as_str(value).into_sql::<Text>())
                .get_result(conn)
                .unwrap();
            assert_eq!(back, value);
        }
        let unknown = diesel::select("no such name".into_sql::<Text>()).get_result::<T>(conn);
        assert!(unknown.is_err(), "an unknown name is no value");
    }

    #[test]
    fn named_enums_are_stored_as_their_names_and_read_back() {
        let mut conn = DbConn::establish(":memory:").unwrap();
        let c = &mut conn;
        round_trip(c, RelayState::ALL, RelayState::as_str);
        round_trip(c, RecipientChoice::ALL, RecipientChoice::as_str);
        round_trip(c, QuestionStatus::ALL, QuestionStatus::as_str);
        round_trip(c, DeliveryOutcome::ALL, DeliveryOutcome::as_str);
        round_trip(c, StaffRole::ALL, StaffRole::as_str);
        round_trip(c, EventKind::ALL, EventKind::as_str);
        round_trip(c, CredentialKind::ALL, CredentialKind::as_str);
        round_trip(c, OutboxStatus::ALL, OutboxStatus::as_str);
        round_trip(c, Retention::ALL, Retention::as_str);
    }
}
