//! The database: two read pools, one writer thread that commits requests in groups, and the
//! embedded migrations. Every diesel call in the program goes through [`Db::read`],
//! [`Db::read_bulk`] or [`Db::write`], so no actix worker ever blocks on SQLite.
//!
//! Interactive requests (participants, staff pages) read from one pool; analyst work (exports,
//! analyses, reports) from a small pool of its own with as many slots. However many exports or
//! analyses run at once, they wait for a slot of theirs and never for a connection that a
//! participant's request needs.

mod checkpoint;
pub mod corpus;
pub mod credentials;
pub mod events;
pub mod fixed;
pub mod migrate;
pub mod models;
pub mod outbox;
pub mod participants;
pub mod questions;
pub mod relays;
pub mod schema;
pub mod staff;
pub mod target;
pub mod themes;

pub use target::Target;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};

use crate::error::AppError;

/// The connection type; the one place that names the backend.
pub type DbConn = SqliteConnection;

/// Most write requests committed in one transaction. Bounded so one fsync never waits on an
/// unbounded batch, and a failed commit fails only this many requests.
const MAX_GROUP: usize = 256;

/// One request to the writer. It may run twice: first without a savepoint of its own, and
/// again, isolated in a savepoint, if the group it was in had to be replayed (see
/// [`writer_loop`]).
trait Job: Send {
    /// Runs the request's work on `conn`; `isolated` puts it in its own savepoint. Returns
    /// whether it succeeded. A request that panicked fails with a 500 and is not run again.
    fn run(&mut self, conn: &mut DbConn, isolated: bool) -> bool;
    /// Tells the requester the outcome of its last run, or why the group's commit failed.
    fn complete(self: Box<Self>, commit: Result<(), String>);
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

    fn complete(self: Box<Self>, commit: Result<(), String>) {
        let result = match commit {
            Ok(()) => self
                .outcome
                .unwrap_or_else(|| Err(AppError::internal(anyhow::anyhow!("no outcome")))),
            Err(e) => Err(AppError::internal(anyhow::anyhow!("commit failed: {e}"))),
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

/// How every connection is set up: PRAGMAs that SQLite keeps per connection.
#[derive(Debug, Clone)]
struct Pragmas {
    synchronous: String,
    busy_timeout_ms: u32,
}

impl Pragmas {
    fn apply(&self, conn: &mut DbConn) -> Result<(), diesel::result::Error> {
        // busy_timeout first: every later statement may meet another process's lock (a
        // server closing its last connection checkpoints the WAL under an exclusive lock).
        // temp_store: a group transaction keeps one savepoint per request, and SQLite spills
        // savepoint journals over 64 KiB to a temporary file unless temp storage is in memory.
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = {}; \
             PRAGMA temp_store = MEMORY;",
            self.busy_timeout_ms, self.synchronous
        ))
    }

    /// A new connection to `url`, set up like every other.
    fn connect(&self, url: &str) -> anyhow::Result<DbConn> {
        let mut conn = SqliteConnection::establish(url)
            .with_context(|| format!("opening the database {url}"))?;
        self.apply(&mut conn)?;
        Ok(conn)
    }

    /// A pool of `size` connections to `url`, all open before this returns.
    fn pool(&self, url: &str, size: u32) -> anyhow::Result<Pool<ConnectionManager<DbConn>>> {
        Pool::builder()
            .max_size(size.max(1))
            .connection_timeout(POOL_WAIT)
            .connection_customizer(Box::new(self.clone()))
            .build(ConnectionManager::<DbConn>::new(url))
            .context("building a connection pool")
    }
}

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        self.apply(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// How long an interactive read waits for a pooled connection before it fails.
const POOL_WAIT: Duration = Duration::from_secs(10);

/// How long analyst work waits for a slot of its own before it is refused with a 503.
const BULK_WAIT: Duration = Duration::from_secs(60);

/// Where write requests wait for the writer thread.
type WriteQueue = mpsc::Sender<Box<dyn Job>>;

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager<DbConn>>,
    bulk: Pool<ConnectionManager<DbConn>>,
    /// One per bulk connection: work holds a slot while it runs, so it never waits inside a
    /// blocking thread for a connection, and CPU-heavy analysis is bounded the same way.
    bulk_slots: Arc<Semaphore>,
    /// Taken out by [`Db::close`]; with it gone the writer drains its queue and stops.
    writer: Arc<RwLock<Option<WriteQueue>>>,
    writer_thread: Arc<Mutex<Option<JoinHandle<()>>>>,
    commits: watch::Receiver<u64>,
}

/// Database options from the configuration.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// `PRAGMA synchronous` value: FULL (default), NORMAL or OFF.
    pub synchronous: String,
    /// How long a reader waits for a lock.
    pub busy_timeout_ms: u32,
    /// Read connections for interactive requests.
    pub pool_size: u32,
    /// Read connections (and slots) for analyst work: exports, analyses, reports.
    pub bulk_pool_size: u32,
}

impl Db {
    /// Opens (creating if needed) the SQLite file at `path`, runs pending migrations and starts
    /// the writer thread.
    pub fn open(path: &Path, options: &DbOptions) -> anyhow::Result<Self> {
        let sync = options.synchronous.to_ascii_uppercase();
        anyhow::ensure!(
            matches!(sync.as_str(), "FULL" | "NORMAL" | "OFF" | "EXTRA"),
            "database.synchronous must be FULL, NORMAL, EXTRA or OFF"
        );
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the database folder {}", dir.display()))?;
        }
        let url = path.to_string_lossy().into_owned();
        let pragmas = Pragmas {
            synchronous: sync,
            busy_timeout_ms: options.busy_timeout_ms,
        };
        let mut writer_conn = pragmas.connect(&url)?;
        // WAL lets readers run beside the one writer; it is stored in the file, so once is enough.
        writer_conn.batch_execute("PRAGMA journal_mode = WAL;")?;
        // Every write passes through this one connection; 16 MiB of page cache keeps the hot
        // indexes in memory instead of re-reading them from the WAL on each request.
        writer_conn.batch_execute("PRAGMA cache_size = -16384;")?;
        // The writer never checkpoints inside a commit; see `checkpoint`. The WAL file is cut
        // back to the restart size when it starts over.
        writer_conn.batch_execute(&format!(
            "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {};",
            checkpoint::RESTART_FRAMES * 4096
        ))?;
        if !has_stable_plans(&mut writer_conn)? {
            tracing::warn!(
                "SQLite was built without SQLITE_ENABLE_QPSG (see .cargo/config.toml): every \
                 statement with a LIMIT is compiled again each time it runs"
            );
        }
        migrate::Migrate::run_migrations_locked(&mut writer_conn)?;

        let pool = pragmas.pool(&url, options.pool_size)?;
        let bulk_size = options.bulk_pool_size.max(1);
        let bulk = pragmas.pool(&url, bulk_size)?;

        let checkpointer =
            checkpoint::Checkpointer::start(pragmas.connect(&url)?, options.busy_timeout_ms)
                .context("starting the checkpoint thread")?;

        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let (commit_tx, commits) = watch::channel(0u64);
        let writer_thread = std::thread::Builder::new()
            .name("stafet-db-writer".into())
            .spawn(move || writer_loop(writer_conn, rx, commit_tx, checkpointer))
            .context("starting the writer thread")?;
        Ok(Self {
            pool,
            bulk,
            bulk_slots: Arc::new(Semaphore::new(bulk_size as usize)),
            writer: Arc::new(RwLock::new(Some(tx))),
            writer_thread: Arc::new(Mutex::new(Some(writer_thread))),
            commits,
        })
    }

    /// Stops the writer once the writes already queued are committed, and waits for it and
    /// the checkpoint thread to end. Writes after this fail; reads still work. Every clone of
    /// this handle sees the writer stopped. A command that opened the database calls this
    /// before it exits, so no thread of its own still holds the database while the next
    /// process opens it.
    pub fn close(&self) {
        let sender = self
            .writer
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(sender);
        let thread = self
            .writer_thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("the database writer thread panicked");
        }
    }

    /// Runs read-only `f` on a pooled connection in the blocking thread pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(AppError::internal)?;
            f(&mut conn)
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Runs read-only analyst work `f` (an export page, an analysis's rows, a report) on a
    /// connection of the bulk pool, once one of its slots is free. Fails with 503 `busy` after
    /// a minute without a slot. Interactive requests never wait for these connections.
    pub async fn read_bulk<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.bulk.clone();
        // Slots and connections are as many: a slot's holder finds a connection free.
        self.compute_bulk(move || {
            let mut conn = pool.get().map_err(AppError::internal)?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs CPU-heavy analyst work `f` (clustering, statistics, rendering a report) on a
    /// blocking thread in one of the bulk slots, with no connection: a few analyses at once
    /// cannot take every core from participants' requests.
    pub async fn compute_bulk<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let slot = self.bulk_slot().await?;
        tokio::task::spawn_blocking(move || {
            // The slot goes with the work: a client that leaves does not free it early.
            let _slot = slot;
            f()
        })
        .await
        .map_err(AppError::internal)
    }

    async fn bulk_slot(&self) -> Result<OwnedSemaphorePermit, AppError> {
        match tokio::time::timeout(BULK_WAIT, self.bulk_slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => Ok(slot),
            Ok(Err(closed)) => Err(AppError::internal(closed)),
            Err(_) => Err(AppError::new(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "other exports and analyses are running; try again in a minute",
            )),
        }
    }

    /// Runs read-only `f` at once on this thread when a pooled connection is free, else as
    /// [`Db::read`] does. Only for lookups by key that take microseconds (authentication on
    /// every request): handing those to another thread costs more than running them.
    pub async fn read_now<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        match self.pool.try_get() {
            Some(mut conn) => f(&mut conn),
            None => self.read(f).await,
        }
    }

    /// Runs `f` in the writer's next group transaction and returns once that transaction is
    /// durably committed. An `Err` from `f` undoes exactly `f`'s own changes. `f` may be run a
    /// second time (on the same state) when another request of its group fails after writing,
    /// so it must not act outside the database.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnMut(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, rx) = oneshot::channel::<Result<T, AppError>>();
        let job: Box<dyn Job> = Box::new(Request {
            work: f,
            outcome: None,
            panicked: false,
            reply,
        });
        let stopped = || AppError::internal(anyhow::anyhow!("the database writer has stopped"));
        self.writer
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

    /// A receiver that changes after every commit; live feeds and the outbox wake on it.
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.commits.clone()
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

#[derive(QueryableByName)]
struct CompileOption {
    #[diesel(sql_type = diesel::sql_types::Text)]
    compile_options: String,
}

/// Whether SQLite keeps one plan per statement whatever its bound values (QPSG). Without it,
/// SQLite 3.53 re-plans a statement each time a parameter its LIMIT uses is bound again,
/// which diesel does on every run.
fn has_stable_plans(conn: &mut DbConn) -> QueryResult<bool> {
    let options: Vec<CompileOption> = diesel::sql_query("PRAGMA compile_options").load(conn)?;
    Ok(options.iter().any(|o| o.compile_options == "ENABLE_QPSG"))
}

diesel::define_sql_function! {
    /// Rows this connection has inserted, updated or deleted since it opened.
    fn total_changes() -> diesel::sql_types::BigInt;
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
    conn.immediate_transaction::<(), GroupAbort, _>(|c| {
        for job in batch.iter_mut() {
            let before = if isolated {
                0
            } else {
                diesel::select(total_changes()).get_result::<i64>(c)?
            };
            let ok = job.run(c, isolated);
            if !ok && !isolated && diesel::select(total_changes()).get_result::<i64>(c)? != before {
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
    checkpointer: checkpoint::Checkpointer,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut result = run_group(&mut conn, &mut batch, false);
        if matches!(result, Err(GroupAbort::Replay)) {
            result = run_group(&mut conn, &mut batch, true);
        }
        let commit = match result {
            Ok(()) => Ok(()),
            Err(GroupAbort::Db(e)) => Err(e.to_string()),
            Err(GroupAbort::Replay) => Err("replay failed".into()),
        };
        if let Err(e) = &commit {
            tracing::error!(error = %e, "group commit failed");
        }
        for job in batch {
            job.complete(commit.clone());
        }
        commits.send_modify(|n| *n += 1);
        checkpointer.after_commit(&mut conn);
    }
}

diesel::define_sql_function! {
    /// SQLite's rowid of the last row this connection inserted.
    fn last_insert_rowid() -> diesel::sql_types::BigInt;
}

/// The id of the row this connection inserted last.
///
/// Hot-path inserts use this instead of `RETURNING`: SQLite runs `RETURNING` as a trigger,
/// and a statement with a trigger keeps a statement journal, copying every page it touches.
pub fn last_insert_id(conn: &mut DbConn) -> QueryResult<i64> {
    diesel::select(last_insert_rowid()).get_result(conn)
}

/// A UTC instant as stored (diesel's TIMESTAMP without zone, always UTC here).
pub fn to_db(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    t.naive_utc()
}

/// A stored timestamp back as a UTC instant.
pub fn from_db(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}

#[cfg(test)]
pub(crate) mod tests {
    use diesel::sql_types::BigInt;

    use super::*;

    #[derive(QueryableByName)]
    struct Step {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }

    /// SQLite's plan for `query`, its steps joined by "; ".
    pub(crate) fn plan<Q>(conn: &mut DbConn, query: &Q) -> String
    where
        Q: diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite>,
    {
        let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(query).to_string();
        let sql = sql.split(" -- binds").next().unwrap();
        let steps: Vec<Step> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load(conn)
            .unwrap();
        steps
            .into_iter()
            .map(|s| s.detail)
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// A fresh database with every migration run, on a plain connection (for query plans).
    pub(crate) fn migrated() -> (tempfile::TempDir, DbConn) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plans.sqlite");
        let mut conn = DbConn::establish(path.to_str().unwrap()).unwrap();
        migrate::Migrate::run_migrations_locked(&mut conn).unwrap();
        (dir, conn)
    }

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn open() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(
            &dir.path().join("t.sqlite"),
            &DbOptions {
                synchronous: "NORMAL".into(),
                busy_timeout_ms: 1000,
                pool_size: 2,
                bulk_pool_size: 1,
            },
        )
        .unwrap();
        (dir, db)
    }

    /// Inserts a staff user named `email`; the table's UNIQUE email lets a test fail on purpose.
    fn add(conn: &mut DbConn, email: &str) -> QueryResult<usize> {
        diesel::sql_query(
            "INSERT INTO staff_users (email, role, password_hash, created_at) \
             VALUES (?, 'analyst', 'x', '2026-11-23 08:00:00')",
        )
        .bind::<diesel::sql_types::Text, _>(email)
        .execute(conn)
    }

    async fn staff(db: &Db, email: &'static str) -> i64 {
        db.read(move |c| {
            Ok(
                diesel::sql_query("SELECT count(*) AS n FROM staff_users WHERE email = ?")
                    .bind::<diesel::sql_types::Text, _>(email)
                    .get_result::<Count>(c)?
                    .n,
            )
        })
        .await
        .unwrap()
    }

    type TestJob = Box<dyn FnMut(&mut DbConn) -> Result<(), AppError> + Send>;
    type Pending<'a> = std::pin::Pin<Box<dyn Future<Output = Result<(), AppError>> + Send + 'a>>;

    /// Runs `jobs` in one group: a first request holds the writer until all of them are queued.
    async fn in_one_group(db: &Db, jobs: Vec<TestJob>) -> Vec<Result<(), AppError>> {
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let holder = {
            let db = db.clone();
            tokio::spawn(async move {
                db.write(move |_| {
                    let _ = started_tx.send(());
                    let _ = release_rx.recv();
                    Ok(())
                })
                .await
            })
        };
        tokio::task::spawn_blocking(move || started_rx.recv())
            .await
            .unwrap()
            .unwrap();
        let mut pending: Vec<Pending<'_>> = jobs
            .into_iter()
            .map(|mut job| Box::pin(db.write(move |c| job(c))) as _)
            .collect();
        // The first poll of a write queues it.
        for fut in &mut pending {
            std::future::poll_fn(|cx| {
                let _ = fut.as_mut().poll(cx);
                std::task::Poll::Ready(())
            })
            .await;
        }
        release_tx.send(()).unwrap();
        holder.await.unwrap().unwrap();
        let mut out = Vec::new();
        for fut in pending {
            out.push(fut.await);
        }
        out
    }

    #[test]
    fn sqlite_is_built_to_keep_one_plan_per_statement() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        assert!(has_stable_plans(&mut conn).unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_failing_after_writing_is_undone_alone_and_its_group_commits() {
        let (_dir, db) = open();
        let results = in_one_group(
            &db,
            vec![
                Box::new(|c| Ok(add(c, "a@x.dk").map(|_| ())?)),
                // Writes, then fails: only its own row must disappear.
                Box::new(|c| {
                    add(c, "b@x.dk")?;
                    Err(AppError::validation("changed my mind"))
                }),
                // Fails before writing anything.
                Box::new(|_| Err(AppError::validation("no"))),
                // Fails in the database (duplicate email) after one good insert.
                Box::new(|c| {
                    add(c, "c@x.dk")?;
                    Ok(add(c, "a@x.dk").map(|_| ())?)
                }),
                Box::new(|c| Ok(add(c, "d@x.dk").map(|_| ())?)),
            ],
        )
        .await;
        let ok: Vec<bool> = results.iter().map(Result::is_ok).collect();
        assert_eq!(ok, [true, false, false, false, true]);
        assert_eq!(staff(&db, "a@x.dk").await, 1);
        assert_eq!(
            staff(&db, "b@x.dk").await,
            0,
            "the failed request's write was undone"
        );
        assert_eq!(staff(&db, "c@x.dk").await, 0, "so was the half-done one's");
        assert_eq!(staff(&db, "d@x.dk").await, 1);
    }

    /// The status of each result: 200 for a success, else the error's.
    fn statuses(results: &[Result<(), AppError>]) -> Vec<u16> {
        results
            .iter()
            .map(|r| r.as_ref().map_or_else(|e| e.status().as_u16(), |()| 200))
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_request_fails_alone_and_its_group_commits() {
        let (_dir, db) = open();
        let results = in_one_group(
            &db,
            vec![
                Box::new(|c| Ok(add(c, "e@x.dk").map(|_| ())?)),
                // Panics before writing anything.
                Box::new(|_| panic!("a bug")),
                Box::new(|c| Ok(add(c, "f@x.dk").map(|_| ())?)),
                // Writes, then panics: its row must go, the others' stay.
                Box::new(|c| {
                    add(c, "g@x.dk")?;
                    panic!("a bug after writing")
                }),
                Box::new(|c| Ok(add(c, "h@x.dk").map(|_| ())?)),
            ],
        )
        .await;
        assert_eq!(statuses(&results), [200, 500, 200, 500, 200]);
        for (email, n) in [("e@x.dk", 1), ("f@x.dk", 1), ("g@x.dk", 0), ("h@x.dk", 1)] {
            assert_eq!(staff(&db, email).await, n, "{email}");
        }
        db.write(|c| Ok(add(c, "i@x.dk")?)).await.unwrap();
        assert_eq!(staff(&db, "i@x.dk").await, 1, "the writer goes on");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_panicking_in_its_own_savepoint_fails_alone() {
        let (_dir, db) = open();
        let results = in_one_group(
            &db,
            vec![
                Box::new(|c| Ok(add(c, "j@x.dk").map(|_| ())?)),
                // Fails after writing: the group is replayed with a savepoint per request...
                Box::new(|c| {
                    add(c, "k@x.dk")?;
                    Err(AppError::validation("changed my mind"))
                }),
                // ...and this one panics inside its savepoint there.
                Box::new(|c| {
                    add(c, "l@x.dk")?;
                    panic!("a bug after writing")
                }),
                Box::new(|c| Ok(add(c, "m@x.dk").map(|_| ())?)),
            ],
        )
        .await;
        assert_eq!(statuses(&results), [200, 422, 500, 200]);
        for (email, n) in [("j@x.dk", 1), ("k@x.dk", 0), ("l@x.dk", 0), ("m@x.dk", 1)] {
            assert_eq!(staff(&db, email).await, n, "{email}");
        }
        db.write(|c| Ok(add(c, "n@x.dk")?)).await.unwrap();
        assert_eq!(staff(&db, "n@x.dk").await, 1, "the writer goes on");
    }
}
