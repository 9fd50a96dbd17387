//! The corpus for analysts: export as JSON, CSV or XLSX (streamed), and starring questions
//! for the report.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

use crate::auth::Staff;
use crate::db::questions::QuestionRow;
use crate::db::relays::RelayRow;
use crate::error::{AppError, Found};
use crate::export::{self, Format, Reader};
use crate::state::AppState;

/// Who may see names: facilitators and admins. Analysts read pseudonyms only.
pub fn reader_of(staff: &Staff) -> Reader {
    if staff.0.role.runs_relays() {
        Reader::Named
    } else {
        Reader::Analyst
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CorpusQuery {
    #[serde(default)]
    format: Option<String>,
}

/// Most bytes in one chunk of the response body.
const CHUNK: usize = 64 * 1024;

/// `GET /api/relays/{id}/corpus?format=json|csv|xlsx`
pub async fn export_corpus(
    staff: Staff,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let query = web::Query::<CorpusQuery>::from_query(req.query_string())
        .map_err(crate::http::query_error)?
        .into_inner();
    let format = match query.format.as_deref() {
        None => Format::Json,
        Some(f) => Format::parse(f)
            .ok_or_else(|| AppError::validation("format must be json, csv or xlsx"))?,
    };
    let id = path.into_inner();
    let reader = reader_of(&staff);
    let relay = state
        .db
        .read(move |conn| RelayRow::find(conn, id).or_not_found("relay"))
        .await?;

    // A page at a time: each is read on a bulk connection that goes back before its bytes
    // wait in this small channel for the client, so a client that stops reading holds one
    // page in memory and nothing else.
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let db = state.db.clone();
    actix_web::rt::spawn(async move {
        let send = |page: Vec<u8>| {
            let tx = tx.clone();
            async move {
                let page = Bytes::from(page);
                for start in (0..page.len()).step_by(CHUNK) {
                    let chunk = page.slice(start..page.len().min(start + CHUNK));
                    tx.send(Ok(chunk)).await.map_err(|_| {
                        std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away")
                    })?;
                }
                Ok(())
            }
        };
        if let Err(e) = export::stream(&db, id, format, reader, send, |_| {}).await {
            if tx.is_closed() {
                tracing::debug!(relay = id, "corpus export stopped: the client went away");
            } else {
                tracing::error!(error = ?e, relay = id, "corpus export failed");
                let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
            }
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let filename = format!("stafet-relay-{}-corpus.{}", relay.id, format.extension());
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}

/// `PUT /api/questions/{qid}/star` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarRequest {
    starred: bool,
}

/// `PUT /api/questions/{qid}/star`: marks a question (with its answer) for the report.
pub async fn star_question(
    _: Staff,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let StarRequest { starred } = crate::http::body::json(&req, payload).await?;
    let qid = path.into_inner();
    state
        .db
        .write(move |conn| {
            QuestionRow::find(conn, qid).or_not_found("question")?;
            QuestionRow::set_starred(conn, qid, starred)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "question_id": qid, "starred": starred })))
}
