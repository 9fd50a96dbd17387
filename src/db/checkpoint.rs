//! Checkpoints the WAL on a thread of its own.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages: the
//! writer then copied the WAL into the database file and waited for its fsync, and every
//! request queued behind it waited too (it doubled the API's p99 at 1,000 writes/s). Here the
//! writer never checkpoints on its own. This thread copies pages in the background with PASSIVE
//! checkpoints, which wait for no one and block no one.
//!
//! A WAL can only start over from its beginning when a checkpoint has copied all of it, and a
//! writer that commits back to back keeps appending while the background copies. So past
//! [`RESTART_FRAMES`] the writer restarts the WAL itself, between two groups, after the
//! background has already copied nearly everything.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::time::Duration;

use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::DbConn;

/// WAL size (in pages) past which the writer restarts the WAL: 64 MiB of 4 KiB pages.
pub const RESTART_FRAMES: i64 = 16_384;

/// Shortest pause between two background checkpoints. Copying after every commit would write
/// the same hot pages (an index's last page, say) to the database file again and again.
const PAUSE: Duration = Duration::from_millis(200);

/// What `PRAGMA wal_checkpoint` reports.
#[derive(Debug, QueryableByName)]
pub struct Outcome {
    /// 1 when the checkpoint could not run to completion.
    #[diesel(sql_type = BigInt)]
    pub busy: i64,
    /// Pages in the WAL.
    #[diesel(sql_type = BigInt)]
    pub log: i64,
    /// Pages of the WAL copied into the database file.
    #[diesel(sql_type = BigInt)]
    pub checkpointed: i64,
}

/// Runs one checkpoint of `mode` (`PASSIVE`, `RESTART`, ...).
pub fn run(conn: &mut DbConn, mode: &str) -> QueryResult<Outcome> {
    diesel::sql_query(format!("PRAGMA wal_checkpoint({mode})")).get_result(conn)
}

/// The writer's side: it wakes the background thread after commits and restarts the WAL when
/// the background cannot keep it short.
pub struct Checkpointer {
    /// Dropped (with the writer) to stop the thread.
    wake: Option<SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    wal_pages: Arc<AtomicI64>,
    restart_at: i64,
    busy_timeout_ms: u32,
}

impl Checkpointer {
    /// Starts the background thread on `conn`, a connection of its own. Dropping this handle
    /// (with the writer) stops the thread and waits for it to close its connection.
    pub fn start(conn: DbConn, busy_timeout_ms: u32) -> std::io::Result<Self> {
        Self::start_with(conn, busy_timeout_ms, RESTART_FRAMES)
    }

    fn start_with(
        mut conn: DbConn,
        busy_timeout_ms: u32,
        restart_at: i64,
    ) -> std::io::Result<Self> {
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let wal_pages = Arc::new(AtomicI64::new(0));
        let seen = wal_pages.clone();
        let thread = std::thread::Builder::new()
            .name("stafet-db-checkpoint".into())
            .spawn(move || {
                loop {
                    match woken.recv_timeout(Duration::from_secs(60)) {
                        Ok(()) => {}
                        Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                    match run(&mut conn, "PASSIVE") {
                        Ok(o) => {
                            tracing::trace!(pages = o.log, copied = o.checkpointed, "checkpoint");
                            seen.store(o.log, Ordering::Relaxed);
                        }
                        Err(e) => tracing::warn!(error = %e, "background checkpoint failed"),
                    }
                    std::thread::sleep(PAUSE);
                }
            })?;
        Ok(Self {
            wake: Some(wake),
            thread: Some(thread),
            wal_pages,
            restart_at,
            busy_timeout_ms,
        })
    }

    /// Called by the writer after each commit, outside any transaction.
    pub fn after_commit(&self, conn: &mut DbConn) {
        // A wake-up already pending covers this commit too.
        if let Some(wake) = &self.wake {
            let _ = wake.try_send(());
        }
        if self.wal_pages.swap(0, Ordering::Relaxed) > self.restart_at
            && let Err(e) = self.restart(conn)
        {
            tracing::warn!(error = %e, "restarting the WAL failed");
        }
    }

    /// Copies what the background has not and restarts the WAL, without waiting: a reader
    /// still on an old snapshot (a long export, say) must not stall every write. If one is,
    /// the WAL restarts at a later write, once it is fully copied and no reader needs it.
    fn restart(&self, conn: &mut DbConn) -> QueryResult<()> {
        conn.batch_execute("PRAGMA busy_timeout = 0")?;
        let outcome = run(conn, "RESTART");
        conn.batch_execute(&format!("PRAGMA busy_timeout = {}", self.busy_timeout_ms))?;
        if outcome?.busy != 0 {
            tracing::debug!("WAL restart deferred: a reader is still on an old snapshot");
        }
        Ok(())
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.wake.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the checkpoint thread panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer commits 300 transactions of a page or more each and never checkpoints. The
    /// background copies them into the database file, and once it reports more WAL than the
    /// limit, the writer restarts the WAL: it ends far shorter than the pages written.
    #[test]
    fn the_background_copies_the_wal_and_the_writer_keeps_it_short() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.sqlite");
        let url = path.to_str().unwrap();
        let mut writer = DbConn::establish(url).unwrap();
        writer
            .batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; \
                 CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL);",
            )
            .unwrap();
        let ckpt = Checkpointer::start_with(DbConn::establish(url).unwrap(), 1000, 50).unwrap();
        for _ in 0..300 {
            writer
                .batch_execute("INSERT INTO t (v) VALUES (randomblob(5000))")
                .unwrap();
            ckpt.after_commit(&mut writer);
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(PAUSE * 2);
        let wal = run(&mut writer, "PASSIVE").unwrap();
        assert_eq!(wal.busy, 0);
        assert!(wal.log < 300, "the WAL never restarted: {wal:?}");
        assert_eq!(wal.checkpointed, wal.log);
        let file = std::fs::metadata(&path).unwrap().len();
        assert!(
            file > 300 * 5000,
            "the rows never reached the database file: {file}"
        );
        let mut reader = DbConn::establish(url).unwrap();
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let rows: N = diesel::sql_query("SELECT count(*) AS n FROM t")
            .get_result(&mut reader)
            .unwrap();
        assert_eq!(rows.n, 300);
    }
}
