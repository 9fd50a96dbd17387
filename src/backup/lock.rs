//! The lock a server holds on its SQLite file for as long as it runs. Stafet's design has one
//! writer per database (one writer thread that groups commits); two servers on one file would
//! each think they were it. `restore` takes the same lock, so it never swaps the file under a
//! running server, and no server starts while a restore is under way.
//!
//! The lock is an advisory `flock` on `<database>.lock`, which the kernel drops when the
//! process ends, however it ends (`kill -9` included): no stale lock to clean up. The file
//! itself stays, holding the last holder's process id for the messages.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Held while a server (or a restore) owns a database file; dropping it releases the lock.
#[derive(Debug)]
pub struct DbLock {
    _file: File,
}

/// Why the lock could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("{} is in use by another Stafet server or restore{}", .db.display(), pid_text(*.pid))]
    Held {
        /// The database file.
        db: PathBuf,
        /// The holder's process id, when it wrote one.
        pid: Option<u32>,
    },
    /// The lock file could not be opened or locked.
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

fn pid_text(pid: Option<u32>) -> String {
    pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
}

impl DbLock {
    /// Takes the lock of the database `db` at once, or says who holds it. Creates the
    /// database's folder if needed (a first start).
    pub fn acquire(db: &Path) -> Result<Self, LockError> {
        let path = lock_path(db);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the database folder {}", dir.display()))?;
        }
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&path)
            .with_context(|| format!("opening the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Held {
                    db: db.to_path_buf(),
                    pid: read_pid(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("locking {}", path.display()))
                    .into());
            }
        }
        // Only for the messages of whoever finds the lock taken; the lock works without it.
        let written = file
            .set_len(0)
            .and_then(|()| write!(file, "{}", std::process::id()));
        if let Err(e) = written {
            tracing::warn!(error = %e, lock = %path.display(), "cannot write the pid to the lock file");
        }
        Ok(Self { _file: file })
    }
}

/// `<db>.lock`: beside the database, so it names the same file wherever the database is
/// reached from.
pub fn lock_path(db: &Path) -> PathBuf {
    super::sidecar(db, ".lock")
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_database_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sub").join("stafet.sqlite");
        let first = DbLock::acquire(&db).unwrap();
        match DbLock::acquire(&db) {
            Err(LockError::Held { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected Held, got {other:?}"),
        }
        let other = dir.path().join("sub").join("other.sqlite");
        let _other = DbLock::acquire(&other).expect("another database is another lock");
        drop(first);
        DbLock::acquire(&db).expect("free again once dropped");
    }
}
