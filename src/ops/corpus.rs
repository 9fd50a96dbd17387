//! The corpus for analysts: who reads names in it, the export's format, and starring
//! questions for the report.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::audit::{self, AuditAction, Entry};
use crate::db::DbConn;
use crate::db::questions::QuestionRow;
use crate::db::relays::RelayRow;
use crate::db::staff::StaffUserRow;
use crate::error::{AppError, Found};
use crate::export::{Format, Reader};
use crate::relay::StaffRole;

/// Who may see names in a staff role: facilitators and admins. Analysts read pseudonyms only.
pub fn reader_of(role: StaffRole) -> Reader {
    if role.runs_relays() {
        Reader::Named
    } else {
        Reader::Analyst
    }
}

/// The export format asked for: `json` (the default), `csv` or `xlsx`.
pub fn format(s: Option<&str>) -> Result<Format, AppError> {
    match s {
        None => Ok(Format::Json),
        Some(f) => {
            Format::parse(f).ok_or_else(|| AppError::validation("format must be json, csv or xlsx"))
        }
    }
}

/// Staff member `by` exports relay `relay_id`'s corpus in `format` for `reader`: written to the
/// audit log before the first byte goes out; the relay (404 when there is none).
pub fn exported(
    conn: &mut DbConn,
    by: &StaffUserRow,
    relay_id: i64,
    format: Format,
    reader: Reader,
    now: DateTime<Utc>,
) -> Result<RelayRow, AppError> {
    let relay = RelayRow::find(conn, relay_id).or_not_found("relay")?;
    let entry = Entry::new(AuditAction::CorpusExported)
        .by(by)
        .relay(&relay)
        .detail(json!({ "format": format.extension(), "names": reader == Reader::Named }));
    audit::record(conn, entry, now)?;
    Ok(relay)
}

/// The file name an export of `relay` is saved under.
pub fn file_name(relay: &RelayRow, format: Format) -> String {
    format!("stafet-relay-{}-corpus.{}", relay.id, format.extension())
}

/// `PUT /api/questions/{qid}/star`: whether a question is marked for the report (fields in
/// alphabetical order, as the API has always sent them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Starred {
    /// The question.
    pub question_id: i64,
    /// Marked or not.
    pub starred: bool,
}

/// Marks a question (with its answer) for the report, or unmarks it.
pub fn star(conn: &mut DbConn, question_id: i64, starred: bool) -> Result<Starred, AppError> {
    QuestionRow::find(conn, question_id).or_not_found("question")?;
    QuestionRow::set_starred(conn, question_id, starred)?;
    Ok(Starred {
        question_id,
        starred,
    })
}
