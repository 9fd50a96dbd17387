//! Backups of the SQLite database and putting them back (SPEC §4 `stafet backup`, `stafet
//! restore`), the lock that keeps a database to one server, and scheduled backups.

pub mod lock;
pub mod restore;
pub mod schedule;
pub mod snapshot;

use std::path::{Path, PathBuf};

/// The path of a file SQLite or Stafet keeps beside the database `db`: `-wal`, `-shm`,
/// `-journal`, `.lock`.
pub(crate) fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
