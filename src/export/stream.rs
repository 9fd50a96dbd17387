//! A corpus export as the server and the CLI run it: each page is read and encoded on a bulk
//! connection ([`Db::read_bulk`]), and the connection goes back before the page's bytes are
//! handed on. A reader that stops reading stalls only its own export: it holds bytes in memory
//! (one page), never a connection or a thread.

use std::io::Read as _;

use super::{Annotator, Cursor, Encoder, Format, Reader, Tail};
use crate::db::Db;
use crate::error::AppError;

/// Bytes read from a finished XLSX file per chunk.
const FILE_CHUNK: usize = 64 * 1024;

/// Exports the corpus of `relay_id` through `send`, which gets the bytes in order and may take
/// as long as its reader does; returns the number of rows. `progress` hears the running count
/// after every page. Stops at the first error, `send`'s included.
pub async fn stream<F, Fut>(
    db: &Db,
    relay_id: i64,
    format: Format,
    reader: Reader,
    mut send: F,
    mut progress: impl FnMut(u64),
) -> Result<u64, AppError>
where
    F: FnMut(Vec<u8>) -> Fut,
    Fut: Future<Output = std::io::Result<()>>,
{
    let annotator = db
        .read_bulk(move |conn| Annotator::load(conn, relay_id))
        .await?;
    let mut encoder = Encoder::new(format, reader, annotator).map_err(AppError::internal)?;
    let mut cursor = Cursor::new(relay_id);
    let mut n = 0u64;
    loop {
        let (back, page) = db
            .read_bulk(move |conn| {
                let page = match cursor.next_page(conn)? {
                    Some(rows) => {
                        Some((rows.len(), encoder.page(&rows).map_err(AppError::internal)?))
                    }
                    None => None,
                };
                Ok(((encoder, cursor), page))
            })
            .await?;
        (encoder, cursor) = back;
        let Some((rows, bytes)) = page else { break };
        n += rows as u64;
        progress(n);
        if !bytes.is_empty() {
            send(bytes).await.map_err(AppError::internal)?;
        }
    }
    match db
        .compute_bulk(move || encoder.finish())
        .await?
        .map_err(AppError::internal)?
    {
        Tail::Bytes(bytes) => send(bytes).await.map_err(AppError::internal)?,
        Tail::File(file) => {
            let mut file = file.reopen().map_err(AppError::internal)?;
            loop {
                let (back, chunk) = tokio::task::spawn_blocking(move || {
                    let mut chunk = Vec::with_capacity(FILE_CHUNK);
                    let read = (&mut file).take(FILE_CHUNK as u64).read_to_end(&mut chunk);
                    (file, read.map(|_| chunk))
                })
                .await
                .map_err(AppError::internal)?;
                file = back;
                let chunk = chunk.map_err(AppError::internal)?;
                if chunk.is_empty() {
                    break;
                }
                send(chunk).await.map_err(AppError::internal)?;
            }
        }
    }
    Ok(n)
}
