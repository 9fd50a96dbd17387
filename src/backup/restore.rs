//! Putting a backup back: the file is copied beside the target, checked there (SQLite finds it
//! sound and it has Stafet's migrations table), and renamed over the target under the lock a
//! server holds, so never while a server has the target open.
//!
//! The old database's write-ahead log must not outlive it: SQLite would replay its frames into
//! the restored file at the next open and corrupt it. So the old database is checkpointed
//! (its log copied in and emptied) and its `-wal`, `-shm` and `-journal` files removed before
//! the rename; a crash in between leaves the old database whole, as its log was empty.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;

use super::lock::{DbLock, LockError};
use super::sidecar;
use crate::db::DbConn;
use crate::export::file::Staged;

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    /// The database file written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Whether a database was there before (and is now replaced).
    pub replaced: bool,
}

/// Restores the backup `from` into the database file `target` (replacing it, or creating it).
/// Refuses when a server has `target` open, when `from` is not a sound Stafet database, and
/// when `from` still has a write-ahead log beside it (a live database, not a backup).
pub fn restore(from: &Path, target: &Path, busy_timeout_ms: u32) -> anyhow::Result<Restored> {
    let meta = std::fs::metadata(from).with_context(|| format!("reading {}", from.display()))?;
    anyhow::ensure!(meta.is_file(), "{} is not a file", from.display());
    if let (Ok(a), Ok(b)) = (from.canonicalize(), target.canonicalize()) {
        anyhow::ensure!(a != b, "{} is the database itself", from.display());
    }
    let wal = sidecar(from, "-wal");
    anyhow::ensure!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "{} has a write-ahead log beside it ({}): it is a live database, not a backup; \
         make one from it with `stafet backup --db {} --out FILE`",
        from.display(),
        wal.display(),
        from.display()
    );
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the database folder {}", dir.display()))?;
    }
    let mut staged = Staged::named(target, ".stafet-restore-")?;
    let mut source =
        std::fs::File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let bytes = std::io::copy(&mut source, &mut staged)
        .with_context(|| format!("copying {}", from.display()))?;
    std::io::Write::flush(&mut staged)?;
    check(staged.temp_path(), busy_timeout_ms)
        .with_context(|| format!("{} is not a Stafet backup", from.display()))?;
    // Locked only now, so a file that is no backup leaves nothing behind; held to the end, so
    // no server opens the target while it changes.
    let _lock = DbLock::acquire(target).map_err(|e| match e {
        LockError::Held { .. } => anyhow::anyhow!(
            "{e}: stop the server before restoring over its database, or restore into a new \
             file with --db"
        ),
        LockError::Io(e) => e,
    })?;
    let replaced = target.exists();
    if replaced {
        retire(target, busy_timeout_ms)?;
    }
    staged.commit()?;
    Ok(Restored {
        path: target.to_path_buf(),
        bytes,
        replaced,
    })
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

/// Whether the SQLite file at `path` is sound and holds Stafet's migrations table.
fn check(path: &Path, busy_timeout_ms: u32) -> anyhow::Result<()> {
    let mut conn = connect(path, busy_timeout_ms)?;
    let lines: Vec<Line> = diesel::sql_query("PRAGMA integrity_check").load(&mut conn)?;
    let lines: Vec<String> = lines.into_iter().map(|l| l.integrity_check).collect();
    anyhow::ensure!(
        lines == ["ok"],
        "SQLite finds it damaged: {}",
        lines.join("; ")
    );
    let migrations: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM sqlite_master WHERE type = 'table' \
         AND name = '__diesel_schema_migrations')",
    ))
    .get_result(&mut conn)?;
    anyhow::ensure!(
        migrations == 1,
        "it is an SQLite database, but not Stafet's (no migrations table)"
    );
    Ok(())
}

/// Empties the old database's write-ahead log into it and removes its side files, so none of
/// them can be applied to the file that replaces it. A damaged old database that cannot be
/// checkpointed loses what only its log held: it is being replaced anyway.
fn retire(target: &Path, busy_timeout_ms: u32) -> anyhow::Result<()> {
    let settled = connect(target, busy_timeout_ms).and_then(|mut conn| {
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    });
    if let Err(e) = settled {
        tracing::warn!(error = %e, db = %target.display(), "cannot checkpoint the old database; its log is dropped");
    }
    for suffix in ["-wal", "-shm", "-journal"] {
        let path = sidecar(target, suffix);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", path.display())),
        }
    }
    Ok(())
}

fn connect(path: &Path, busy_timeout_ms: u32) -> anyhow::Result<DbConn> {
    let url = path.to_str().context("the database's path is not UTF-8")?;
    let mut conn = DbConn::establish(url).with_context(|| format!("opening {url}"))?;
    conn.batch_execute(&format!("PRAGMA busy_timeout = {busy_timeout_ms};"))?;
    Ok(conn)
}
