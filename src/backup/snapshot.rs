//! A consistent copy of the live database in one file, taken while the server reads and writes.
//!
//! `VACUUM INTO` reads the database in one read transaction, so the copy is the database as of
//! one instant: every commit before it, none after. Under WAL it blocks no writer. It writes a
//! fresh, compact file with no free pages, so nothing deleted before the backup lingers in it.
//! The copy goes to an empty temporary file of mode 0600 in the target's folder (it holds
//! every name and email), which is made durable and then renamed over the target.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use diesel::prelude::*;

use crate::db::{Db, DbConn};
use crate::error::AppError;
use crate::export::file::Staged;

/// What a backup wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The backup file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// How long it took, the copy and the syncs together.
    pub took: Duration,
}

/// Writes a backup of `db` to `out`, replacing any file there only once the copy is whole and
/// durable. Runs on a connection of the bulk pool, beside exports and analyses, so it never
/// takes a connection a participant's request needs.
pub async fn write(db: &Db, out: &Path) -> anyhow::Result<Written> {
    let out = out.to_path_buf();
    db.read_bulk(move |conn| Ok(write_on(conn, &out)))
        .await
        // A bulk slot not had in a minute, or the connection pool failing.
        .map_err(|e: AppError| anyhow::anyhow!("{e}"))?
}

/// The backup on a connection the caller holds.
pub fn write_on(conn: &mut DbConn, out: &Path) -> anyhow::Result<Written> {
    let started = Instant::now();
    let staged = Staged::named(out, ".stafet-backup-")?;
    let tmp = staged
        .temp_path()
        .to_str()
        .context("the backup's folder name is not UTF-8")?
        .to_owned();
    // SQLite writes into an existing file only when it is empty, as this one is: so the file
    // has mode 0600 from the start, never for a moment the umask's.
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(&tmp)
        .execute(conn)
        .with_context(|| format!("copying the database into {tmp}"))?;
    let bytes = std::fs::metadata(&tmp)
        .with_context(|| format!("reading the size of {tmp}"))?
        .len();
    staged.commit()?;
    Ok(Written {
        path: out.to_path_buf(),
        bytes,
        took: started.elapsed(),
    })
}
