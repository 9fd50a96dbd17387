//! Participants of a relay: import (JSON or CSV), list, suspend, reinstate, resend email.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::auth::Facilitator;
use crate::db::models::{ParticipantRow, RelayRow};
use crate::db::participants::group_names;
use crate::db::{outbox, questions};
use crate::error::AppError;
use crate::http::{body, dto};
use crate::ops::participants::{self as ops, ImportRow, Rejected};
use crate::state::AppState;

/// Rows that parsed (with their line numbers) and lines that did not.
pub type Parsed = (Vec<(usize, ImportRow)>, Vec<Rejected>);

const COLUMNS: [&str; 5] = ["name", "email", "group", "title", "organisation"];

/// Parses a CSV import. Returns the rows that parsed (with their line numbers) and the lines
/// that did not. A header without `name`, `email` or `group` fails the whole import.
pub fn parse_csv(data: &[u8]) -> Result<Parsed, AppError> {
    // A spreadsheet's UTF-8 export often starts with a byte-order mark.
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(data);
    let headers = reader
        .headers()
        .map_err(|e| {
            AppError::bad_request("malformed_csv", format!("cannot read the CSV header: {e}"))
        })?
        .clone();
    let names: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
    let mut rejected = Vec::new();
    for n in &names {
        if !COLUMNS.contains(&n.as_str()) {
            rejected.push(Rejected {
                line: 1,
                reason: format!("unknown column {n:?} (ignored)"),
            });
        }
    }
    for required in ["name", "email", "group"] {
        if !names.iter().any(|n| n == required) {
            return Err(AppError::validation(format!(
                "the CSV header needs the column {required:?} (columns: name,email,group,title,organisation)"
            )));
        }
    }
    let col = |name: &str| names.iter().position(|n| n == name);
    let (name_i, email_i, group_i) = (col("name"), col("email"), col("group"));
    let (title_i, org_i) = (col("title"), col("organisation"));
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                rejected.push(Rejected {
                    line,
                    reason: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        if record.len() > names.len() {
            rejected.push(Rejected {
                line,
                reason: "more fields than the header has columns".into(),
            });
            continue;
        }
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").to_string();
        let opt = |i: Option<usize>| Some(get(i)).filter(|s| !s.is_empty());
        rows.push((
            line,
            ImportRow {
                name: get(name_i),
                email: get(email_i),
                group: get(group_i),
                title: opt(title_i),
                organisation: opt(org_i),
            },
        ));
    }
    Ok((rows, rejected))
}

/// Parses a JSON import: an array of objects, each read on its own so one bad row is reported
/// without losing the others.
pub fn parse_json(data: &[u8]) -> Result<Parsed, AppError> {
    let value: serde_json::Value = serde_json::from_slice(data).map_err(|e| {
        AppError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
    })?;
    let serde_json::Value::Array(items) = value else {
        return Err(AppError::validation("send an array of participants"));
    };
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match serde_json::from_value::<ImportRow>(item) {
            Ok(row) => rows.push((i + 1, row)),
            Err(e) => rejected.push(Rejected {
                line: i + 1,
                reason: e.to_string(),
            }),
        }
    }
    Ok((rows, rejected))
}

/// `POST /api/relays/{id}/participants` with a JSON array or a CSV body.
pub async fn import_participants(
    _: Facilitator,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_csv = content_type.starts_with("text/csv");
    if !is_csv && !content_type.starts_with("application/json") {
        return Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send participants as application/json or text/csv",
        ));
    }
    let data = body::read_limited(payload, state.settings.server.body_limit_bytes).await?;
    let (rows, mut rejected) = if is_csv {
        parse_csv(&data)?
    } else {
        parse_json(&data)?
    };
    let (good, bad) = ops::validate_rows(rows);
    rejected.extend(bad);
    let now = state.clock.now();
    let mut report = state
        .db
        .write(move |conn| {
            RelayRow::find(conn, id).map_err(|_| AppError::not_found("relay"))?;
            ops::import(conn, id, good.clone(), now)
        })
        .await?;
    rejected.sort_by_key(|r| r.line);
    report.rejected = rejected;
    Ok(HttpResponse::Ok().json(report))
}

/// `GET /api/relays/{id}/participants`
pub async fn list_participants(
    _: Facilitator,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let body = state
        .db
        .read(move |conn| {
            RelayRow::find(conn, id).map_err(|_| AppError::not_found("relay"))?;
            let people = ParticipantRow::for_relay(conn, id)?;
            let groups = group_names(conn, id)?;
            let counts = questions::counts_per_participant(conn, id)?;
            let emails = outbox::latest_per_participant(conn, id)?;
            Ok(people
                .iter()
                .map(|p| {
                    dto::participant(
                        p,
                        groups.get(&p.group_id).map_or("", String::as_str),
                        counts.get(&p.id).copied().unwrap_or_default(),
                        emails.get(&p.id),
                    )
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `POST /api/relays/{id}/participants/{pid}/suspend`
pub async fn suspend_participant(
    _: Facilitator,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, pid) = path.into_inner();
    let now = state.clock.now();
    let rerouted = state
        .db
        .write(move |conn| ops::suspend(conn, id, pid, now).map_err(not_found_as("participant")))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "suspended", "rerouted": rerouted })))
}

/// `POST /api/relays/{id}/participants/{pid}/unsuspend`
pub async fn unsuspend_participant(
    _: Facilitator,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, pid) = path.into_inner();
    let now = state.clock.now();
    state
        .db
        .write(move |conn| ops::unsuspend(conn, id, pid, now).map_err(not_found_as("participant")))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "active" })))
}

/// `POST /api/relays/{id}/participants/{pid}/resend-email`
pub async fn resend_email(
    _: Facilitator,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, pid) = path.into_inner();
    let now = state.clock.now();
    let kind = state
        .db
        .write(move |conn| {
            ops::resend_latest(conn, id, pid, now).map_err(not_found_as("participant"))
        })
        .await?;
    Ok(HttpResponse::Accepted().json(json!({ "queued": kind })))
}

/// Names the missing thing in a generic "record not found".
pub fn not_found_as(what: &'static str) -> impl Fn(AppError) -> AppError {
    move |e| {
        if e.status() == StatusCode::NOT_FOUND && e.code() == "not_found" {
            AppError::not_found(what)
        } else {
            e
        }
    }
}
