//! The single writer: one thread with one connection that takes the write requests waiting for
//! it, runs them in one IMMEDIATE transaction and commits once, so one fsync serves a whole
//! group. [`Db::write`](super::Db::write) hands it requests; nothing else writes.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, PoisonError, RwLock, mpsc};
use std::thread::JoinHandle;

use anyhow::Context as _;
use diesel::prelude::*;
use tokio::sync::{oneshot, watch};

use super::DbConn;
use super::checkpoint::Checkpointer;
use crate::error::AppError;

/// Most write requests committed in one transaction. Bounded so one fsync never waits on an
/// unbounded batch, and a failed commit fails only this many requests.
const MAX_GROUP: usize = 256;

/// One request to the writer (or to a PostgreSQL lane, see `lanes`). It may run twice: first
/// without a savepoint of its own, and again, isolated in a savepoint, if the group it was in
/// had to be replayed (see [`writer_loop`]).
pub(super) trait Job: Send {
    /// Runs the request's work on `conn`; `isolated` puts it in its own savepoint. Returns
    /// whether it succeeded. A request that panicked fails with a 500 and is not run again.
    fn run(&mut self, conn: &mut DbConn, isolated: bool) -> bool;
    /// Whether its last run failed because PostgreSQL aborted the transaction for a
    /// serialization failure or a deadlock, which running the whole group again may cure.
    fn transient(&self) -> bool;
    /// Tells the requester the outcome of its last run, or why the group's commit failed.
    fn complete(self: Box<Self>, commit: Result<(), &GroupFailed>);
}

/// Why a group of writes did not commit, as each of its requesters is told.
#[derive(Debug)]
pub(super) enum GroupFailed {
    /// The connection to the database was lost (PostgreSQL): nothing was committed unless the
    /// commit itself was cut off, and a fresh connection may well succeed: a 503 to try again.
    Lost(String),
    /// Anything else: a 500.
    Failed(String),
}

impl GroupFailed {
    /// What `e` means for the group's requesters.
    pub(super) fn of(e: &diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        match e {
            Error::DatabaseError(Kind::ClosedConnection | Kind::UnableToSendCommand, _) => {
                Self::Lost(e.to_string())
            }
            _ => Self::Failed(e.to_string()),
        }
    }

    fn error(&self) -> AppError {
        match self {
            // The reason is in the log line of the group's failure.
            Self::Lost(_) => AppError::new(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the connection to the database was lost; try again",
            ),
            Self::Failed(why) => AppError::internal(anyhow::anyhow!("commit failed: {why}")),
        }
    }
}

impl std::fmt::Display for GroupFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Lost(why) | Self::Failed(why) => f.write_str(why),
        }
    }
}

/// `f` as a job, and where its outcome will come.
pub(super) fn job<T, F>(f: F) -> (Box<dyn Job>, oneshot::Receiver<Result<T, AppError>>)
where
    F: FnMut(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let (reply, rx) = oneshot::channel::<Result<T, AppError>>();
    let job = Box::new(Request {
        work: f,
        outcome: None,
        panicked: false,
        reply,
    });
    (job, rx)
}

struct Request<T, F> {
    work: F,
    outcome: Option<Result<T, AppError>>,
    /// Set once the work has panicked: its outcome is a 500 from then on.
    panicked: bool,
    reply: oneshot::Sender<Result<T, AppError>>,
}

impl<T, F> Job for Request<T, F>
where
    F: FnMut(&mut DbConn) -> Result<T, AppError> + Send,
    T: Send,
{
    fn run(&mut self, conn: &mut DbConn, isolated: bool) -> bool {
        if self.panicked {
            return false;
        }
        let work = &mut self.work;
        let mut panicked = false;
        // A panic is caught right around the work, inside its savepoint when it has one, so the
        // savepoint is rolled back as for an error and the panic stays this request's alone.
        // (The work must not open transactions of its own: a panic inside one would leave it
        // open.)
        let mut attempt = |c: &mut DbConn| match catch_unwind(AssertUnwindSafe(|| work(c))) {
            Ok(result) => result,
            Err(payload) => {
                panicked = true;
                tracing::error!(
                    panic = panic_message(payload.as_ref()),
                    "a database write panicked; it fails alone"
                );
                Err(AppError::internal(anyhow::anyhow!("the request panicked")))
            }
        };
        let outcome = if isolated {
            let mut outcome = None;
            let savepoint = conn.transaction::<(), TxAbort, _>(|c| {
                let result = attempt(c);
                let failed = result.is_err();
                outcome = Some(result);
                if failed {
                    Err(TxAbort::Rollback)
                } else {
                    Ok(())
                }
            });
            match savepoint {
                Err(TxAbort::Db(e)) => Err(AppError::from(e)),
                _ => outcome
                    .unwrap_or_else(|| Err(AppError::internal(anyhow::anyhow!("no outcome")))),
            }
        } else {
            attempt(conn)
        };
        self.panicked = panicked;
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn transient(&self) -> bool {
        matches!(&self.outcome, Some(Err(e)) if e.db_error().is_some_and(super::backend::is_transient))
    }

    fn complete(self: Box<Self>, commit: Result<(), &GroupFailed>) {
        let result = match commit {
            Ok(()) => self
                .outcome
                .unwrap_or_else(|| Err(AppError::internal(anyhow::anyhow!("no outcome")))),
            Err(failed) => Err(failed.error()),
        };
        // The requester may have gone away (client disconnected); nothing to tell then.
        let _ = self.reply.send(result);
    }
}

/// The text a panic was raised with, for the log.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// The first request to arrive on `rx` and those already queued behind it, at most `most`;
/// `None` once every sender is gone. How both group writers (this one and the PostgreSQL
/// lanes) take their next group.
pub(super) fn take_group<T>(rx: &mpsc::Receiver<T>, most: usize) -> Option<Vec<T>> {
    let mut group = vec![rx.recv().ok()?];
    while group.len() < most {
        match rx.try_recv() {
            Ok(next) => group.push(next),
            Err(_) => break,
        }
    }
    Some(group)
}

/// Where write requests wait for the writer thread.
type WriteQueue = mpsc::Sender<Box<dyn Job>>;

/// The writer thread and its queue, shared by every clone of [`Db`](super::Db).
pub(super) struct Writer {
    /// Taken out by [`Writer::stop`]; with it gone the thread drains its queue and ends.
    queue: RwLock<Option<WriteQueue>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the writer thread on `conn`; it wakes `checkpointer` after each commit. Also
    /// returns a receiver that changes after every commit.
    pub(super) fn start(
        conn: DbConn,
        checkpointer: Checkpointer,
    ) -> anyhow::Result<(Self, watch::Receiver<u64>)> {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let (commit_tx, commits) = watch::channel(0u64);
        let thread = std::thread::Builder::new()
            .name("stafet-db-writer".into())
            .spawn(move || writer_loop(conn, rx, commit_tx, checkpointer))
            .context("starting the writer thread")?;
        let writer = Self {
            queue: RwLock::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
        };
        Ok((writer, commits))
    }

    /// Runs `f` in the next group transaction and returns its outcome once that transaction
    /// is committed (see [`Db::write`](super::Db::write)).
    pub(super) async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnMut(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (job, rx) = job(f);
        let stopped = || AppError::internal(anyhow::anyhow!("the database writer has stopped"));
        self.queue
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| {
            AppError::internal(anyhow::anyhow!("the database writer dropped a request"))
        })?
    }

    /// Stops the thread once the requests already queued are committed, and waits for it.
    pub(super) fn stop(&self) {
        let queue = self
            .queue
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(queue);
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("the database writer thread panicked");
        }
    }
}

/// Why a savepoint was rolled back: the job's own error, or the database's.
#[derive(Debug)]
enum TxAbort {
    Rollback,
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for TxAbort {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

diesel::define_sql_function! {
    /// Rows this connection has inserted, updated or deleted since it opened. SQLite-specific.
    fn total_changes() -> diesel::sql_types::BigInt;
}

/// `total_changes()` on the writer's SQLite connection.
fn changes(conn: &mut DbConn) -> QueryResult<i64> {
    match conn {
        DbConn::Sqlite(c) => diesel::select(total_changes()).get_result(c),
        DbConn::Pg(_) => Err(diesel::result::Error::QueryBuilderError(
            "the group writer runs on SQLite only".into(),
        )),
    }
}

/// Runs `f` in a `BEGIN IMMEDIATE` transaction: the write lock is taken at the start, so no
/// reader's snapshot can make the commit fail half-way. What `immediate_transaction` does on
/// a plain SQLite connection, through the multi-backend connection's transaction manager
/// (which hands every step to the SQLite connection's own).
fn immediate<T, E>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(_) => return Err(changes(conn).unwrap_err().into()),
    }
    match f(conn) {
        Ok(value) => {
            <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            <DbConn as Connection>::TransactionManager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// How a group transaction ended early.
enum GroupAbort {
    /// A request failed (or panicked) after changing rows; the group must be replayed with
    /// savepoints.
    Replay,
    /// The database failed.
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for GroupAbort {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

/// Runs every job of `batch` in one IMMEDIATE transaction. With `isolated`, each job has its
/// own savepoint; without, a job that fails after changing rows aborts the group for replay.
fn run_group(
    conn: &mut DbConn,
    batch: &mut [Box<dyn Job>],
    isolated: bool,
) -> Result<(), GroupAbort> {
    immediate::<(), GroupAbort>(conn, |c| {
        for job in batch.iter_mut() {
            let before = if isolated { 0 } else { changes(c)? };
            let ok = job.run(c, isolated);
            if !ok && !isolated && changes(c)? != before {
                return Err(GroupAbort::Replay);
            }
        }
        Ok(())
    })
}

/// The single writer: takes whatever requests are waiting (up to [`MAX_GROUP`]), runs them in
/// one IMMEDIATE transaction, commits once, then answers them all. One fsync then serves a
/// whole group, which is how many small writes per second fit through one disk.
///
/// Requests run without savepoints of their own: SQLite journals every page a savepoint
/// touches, which cost a quarter of the writer's time. A request that fails before writing
/// (the usual case: the relay rules refuse it) needs no undo. One that fails after writing
/// rolls the group back, and the group is run again with a savepoint around each request.
/// A request that panics is failed the same way, alone, with a 500: its neighbours in the
/// group commit, and it is not run again in the replay.
fn writer_loop(
    mut conn: DbConn,
    rx: mpsc::Receiver<Box<dyn Job>>,
    commits: watch::Sender<u64>,
    checkpointer: Checkpointer,
) {
    while let Some(mut batch) = take_group(&rx, MAX_GROUP) {
        let mut result = run_group(&mut conn, &mut batch, false);
        if matches!(result, Err(GroupAbort::Replay)) {
            result = run_group(&mut conn, &mut batch, true);
        }
        let commit = match result {
            Ok(()) => Ok(()),
            Err(GroupAbort::Db(e)) => Err(GroupFailed::of(&e)),
            Err(GroupAbort::Replay) => Err(GroupFailed::Failed("replay failed".into())),
        };
        if let Err(e) = &commit {
            tracing::error!(error = %e, "group commit failed");
        }
        for job in batch {
            job.complete(commit.as_ref().map(|_| ()));
        }
        commits.send_modify(|n| *n += 1);
        checkpointer.after_commit(&mut conn);
    }
}
