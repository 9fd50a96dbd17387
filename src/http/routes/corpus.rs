//! The corpus for analysts: export as JSON, CSV or XLSX (streamed), and starring questions
//! for the report.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::auth::{ReadQuestion, ReadRelay, Scoped};
use crate::db::Db;
use crate::error::AppError;
use crate::export::{self, Format, Reader};
use crate::ops::corpus;
use crate::state::AppState;

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
    Scoped {
        user,
        path: id,
        role,
        ..
    }: ReadRelay,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let query = web::Query::<CorpusQuery>::from_query(req.query_string())
        .map_err(crate::http::query_error)?;
    let format = corpus::format(query.format.as_deref())?;
    let reader = corpus::reader_of(role);
    let relay = state
        .write_with_now(move |conn, now| corpus::exported(conn, &user, id, format, reader, now))
        .await?;
    let body = pages(state.db.clone(), id, format, reader);
    let disposition = format!(
        "attachment; filename=\"{}\"",
        corpus::file_name(&relay, format)
    );
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}

/// The export as a response body, a page at a time: each is read on a bulk connection that
/// goes back before its bytes wait in this small channel for the client, so a client that
/// stops reading holds one page in memory and nothing else.
fn pages(
    db: Db,
    relay_id: i64,
    format: Format,
    reader: Reader,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    actix_web::rt::spawn(async move {
        let send = |page: Vec<u8>| send_in_chunks(tx.clone(), page);
        if let Err(e) = export::stream(&db, relay_id, format, reader, send, |_| {}).await {
            if tx.is_closed() {
                tracing::debug!(
                    relay = relay_id,
                    "corpus export stopped: the client went away"
                );
            } else {
                tracing::error!(error = ?e, relay = relay_id, "corpus export failed");
                let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
            }
        }
    });
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

async fn send_in_chunks(
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    page: Vec<u8>,
) -> std::io::Result<()> {
    let page = Bytes::from(page);
    for start in (0..page.len()).step_by(CHUNK) {
        let chunk = page.slice(start..page.len().min(start + CHUNK));
        tx.send(Ok(chunk))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))?;
    }
    Ok(())
}

/// `PUT /api/questions/{qid}/star` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarRequest {
    starred: bool,
}

/// `PUT /api/questions/{qid}/star`: marks a question (with its answer) for the report.
pub async fn star_question(
    Scoped { path: qid, .. }: ReadQuestion,
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let StarRequest { starred } = crate::http::body::json(&req, payload).await?;
    let view = state
        .db
        .write(move |conn| corpus::star(conn, qid, starred))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
