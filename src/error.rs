//! The HTTP error type, and how every layer's failures become one.
//!
//! - Domain rules return [`RuleViolation`]; it becomes a 409 (the state does not allow it) or a
//!   422 (the input breaks a rule) with the violation's own code, and stays the error's source,
//!   so callers that expect a rule to refuse now and then (the scheduler) match on the rule,
//!   never on a status code ([`AppError::rule`]).
//! - Database code returns diesel errors. A lookup of something the request names turns a
//!   missing row into a 404 that names it with [`Found::or_not_found`]; every other database
//!   failure stays what it is: a unique violation a 409 `duplicate`, anything else a 500.
//! - Anything unexpected is a 500 carrying its cause (`anyhow` with context, or the diesel
//!   error).
//!
//! Every [`AppError`] renders as `{"error": {"code", "message"}}` with its status. Its cause is
//! its [`source`](std::error::Error::source), logged for a 5xx and never shown: the client sees
//! "internal error".

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::relay::RuleViolation;

/// An error as the API reports it.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    code: &'static str,
    message: String,
    cause: Option<Cause>,
}

/// What an [`AppError`] came from.
#[derive(Debug)]
enum Cause {
    /// A relay rule refused.
    Rule(RuleViolation),
    /// The database failed, or found nothing.
    Db(DieselError),
    /// Anything else.
    Other(anyhow::Error),
}

impl AppError {
    /// An error with this status, stable code and human message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            cause: None,
        }
    }

    /// 400 for input that cannot be read.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 422 for well-formed input that breaks a rule.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message,
        )
    }

    /// 404 naming what was not found.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 401: no or unusable credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: known, but not allowed.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 409 for an action the current state does not allow.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 500 with a cause that is logged, never shown.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
        .caused_by(Cause::Other(cause.into()))
    }

    fn caused_by(mut self, cause: Cause) -> Self {
        self.cause = Some(cause);
        self
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The database error this came from, when it came from one.
    pub fn db_error(&self) -> Option<&DieselError> {
        match &self.cause {
            Some(Cause::Db(e)) => Some(e),
            _ => None,
        }
    }

    /// The relay rule that refused, when a rule did.
    pub fn rule(&self) -> Option<&RuleViolation> {
        match &self.cause {
            Some(Cause::Rule(v)) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            // A 5xx says what failed underneath, for the log; the rest say what the client hears.
            Some(Cause::Other(cause)) => write!(f, "{}: {:#}", self.code, cause),
            Some(Cause::Db(cause)) if self.status.is_server_error() => {
                write!(f, "{}: {}", self.code, cause)
            }
            _ => write!(f, "{}: {}", self.code, self.message),
        }
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.cause.as_ref()? {
            Cause::Rule(v) => Some(v),
            Cause::Db(e) => Some(e),
            Cause::Other(e) => Some(e.as_ref()),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() && self.cause.is_some() {
            tracing::error!(error = %self, "request failed");
        }
        HttpResponse::build(self.status).json(serde_json::json!({
            "error": { "code": self.code, "message": self.message }
        }))
    }
}

impl From<RuleViolation> for AppError {
    fn from(v: RuleViolation) -> Self {
        let status = if v.is_input_error() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::CONFLICT
        };
        Self::new(status, v.code(), v.to_string()).caused_by(Cause::Rule(v))
    }
}

impl From<DieselError> for AppError {
    /// A row missing where one was expected is a 404 of a "record"; lookups of what a request
    /// names say what it is with [`Found::or_not_found`].
    fn from(e: DieselError) -> Self {
        let error = match &e {
            DieselError::NotFound => Self::not_found("record"),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::conflict("duplicate", format!("already exists: {}", info.message()))
            }
            // The connection died under the request (a PostgreSQL restart or failover): nothing
            // of a write that failed this way was committed, unless it was its commit that
            // failed, and the next try gets a fresh connection.
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the connection to the database was lost; try again",
            ),
            _ => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            ),
        };
        error.caused_by(Cause::Db(e))
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(e)
    }
}

/// Lookups of a row that a request names.
pub trait Found<T> {
    /// The row, a 404 naming `what` when there is no such row, or the database's own failure
    /// as [`AppError`] has it (a 500): a failing database is never taken for a missing row.
    fn or_not_found(self, what: &str) -> Result<T, AppError>;
}

impl<T> Found<T> for diesel::QueryResult<T> {
    fn or_not_found(self, what: &str) -> Result<T, AppError> {
        self.map_err(|e| match e {
            DieselError::NotFound => AppError::not_found(what).caused_by(Cause::Db(e)),
            other => other.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    #[actix_web::test]
    async fn errors_render_as_the_json_error_shape() {
        let res = AppError::conflict("wrong_state", "the relay is closed").error_response();
        assert_eq!(res.status(), StatusCode::CONFLICT);
        let body = to_bytes(res.into_body()).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "wrong_state");
        assert_eq!(v["error"]["message"], "the relay is closed");
    }

    #[actix_web::test]
    async fn internal_errors_hide_their_cause() {
        let res =
            AppError::internal(anyhow::anyhow!("disk on fire at /secret/path")).error_response();
        let body = to_bytes(res.into_body()).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("secret"), "{text}");
        assert!(text.contains("internal error"));
    }

    /// A connection to a database without tables: every lookup fails in the database.
    fn broken() -> crate::db::DbConn {
        use diesel::Connection as _;
        crate::db::DbConn::establish(":memory:").unwrap()
    }

    #[test]
    fn a_lookup_the_database_fails_is_a_500_and_only_a_missing_row_a_404() {
        use crate::db::relays::RelayRow;

        let failed = RelayRow::find(&mut broken(), 1).or_not_found("relay");
        let e = failed.unwrap_err();
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR, "{e}");
        assert!(e.to_string().contains("no such table"), "{e}");

        let (_dir, mut conn) = crate::db::tests::migrated();
        let missing = RelayRow::find(&mut conn, 1)
            .or_not_found("relay")
            .unwrap_err();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(missing.message, "relay not found");
    }

    #[test]
    fn a_lost_database_connection_is_a_503_to_try_again_and_other_failures_a_500() {
        for kind in [
            DatabaseErrorKind::ClosedConnection,
            DatabaseErrorKind::UnableToSendCommand,
        ] {
            let info = Box::new("server closed the connection unexpectedly".to_string());
            let e = AppError::from(DieselError::DatabaseError(kind, info));
            assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE, "{kind:?}");
            assert_eq!(e.code, "unavailable");
        }
        let info = Box::new("value too long".to_string());
        let other = AppError::from(DieselError::DatabaseError(DatabaseErrorKind::Unknown, info));
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn an_error_keeps_its_cause_as_its_source() {
        use std::error::Error as _;

        let rule = AppError::from(RuleViolation::NoEligibleRecipient);
        assert_eq!(rule.status(), StatusCode::CONFLICT);
        assert_eq!(rule.rule(), Some(&RuleViolation::NoEligibleRecipient));
        let source = rule.source().unwrap();
        assert_eq!(
            source.downcast_ref::<RuleViolation>(),
            Some(&RuleViolation::NoEligibleRecipient)
        );

        let db = AppError::from(DieselError::NotFound);
        assert_eq!(db.status(), StatusCode::NOT_FOUND);
        assert!(db.rule().is_none());
        assert!(matches!(
            db.source().unwrap().downcast_ref::<DieselError>(),
            Some(DieselError::NotFound)
        ));

        let internal =
            AppError::internal(anyhow::anyhow!("disk full").context("storing the answer"));
        let chain: Vec<String> = std::iter::successors(internal.source(), |e| (*e).source())
            .map(ToString::to_string)
            .collect();
        assert_eq!(chain, ["storing the answer", "disk full"]);

        assert!(AppError::validation("no").source().is_none());
    }
}
