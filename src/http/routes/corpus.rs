//! The corpus for analysts: export as JSON, CSV or XLSX (streamed), and starring questions
//! for the report.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

use crate::auth::Staff;
use crate::db::models::{QuestionRow, RelayRow};
use crate::error::AppError;
use crate::export::{self, Format, Reader};
use crate::state::AppState;

/// Who may see names: facilitators and admins. Analysts read pseudonyms only.
pub fn reader_of(staff: &Staff) -> Reader {
    if matches!(staff.0.role.as_str(), "facilitator" | "admin") {
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

/// A `Write` that hands 64 KiB chunks to the response stream. It runs on a blocking thread;
/// when the client goes away the send fails and the export stops.
struct ChunkWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl ChunkWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

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
        .read(move |conn| RelayRow::find(conn, id).map_err(|_| AppError::not_found("relay")))
        .await?;

    // Rows flow from a blocking reader thread through a small bounded channel, so a slow
    // client holds back the reader instead of the corpus piling up in memory.
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let db = state.db.clone();
    let failed = tx.clone();
    actix_web::rt::spawn(async move {
        let result = db
            .read(move |conn| {
                let out = ChunkWriter {
                    tx,
                    buf: Vec::with_capacity(CHUNK),
                };
                export::write_corpus(conn, id, format, reader, out, |_| {})
                    .map_err(AppError::internal)
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = ?e, relay = id, "corpus export failed");
            let _ = failed
                .send(Err(std::io::Error::other("export failed")))
                .await;
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
            QuestionRow::find(conn, qid).map_err(|_| AppError::not_found("question"))?;
            QuestionRow::set_starred(conn, qid, starred)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "question_id": qid, "starred": starred })))
}
