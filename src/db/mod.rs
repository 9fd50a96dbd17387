//! The database, SQLite or PostgreSQL (chosen by the [`Target`] at run time): two read pools,
//! the embedded migrations, and the writes. Every diesel call in the program goes through
//! [`Db::read`], [`Db::read_bulk`] or [`Db::write`], so no actix worker ever blocks on the
//! database.
//!
//! Interactive requests (participants, staff pages) read from one pool; analyst work (exports,
//! analyses, reports) from a small pool of its own with as many slots. However many exports or
//! analyses run at once, they wait for a slot of theirs and never for a connection that a
//! participant's request needs.
//!
//! Writes: on SQLite one writer thread commits requests in groups (`writer`); on PostgreSQL,
//! which several instances share, participants' moves commit in groups per relay lane
//! (`lanes`, [`Db::write_in`]) and any other write is a transaction of its own on a pooled
//! connection, run again on a serialization failure or deadlock. Either way every write that
//! belongs to a relay locks the relay first ([`relays::RelayRow::lock`]).
//!
//! Layout: this file holds the [`Db`] handle and the helpers every table shares; each table has
//! a file of its own with its row types (`XRow`, `NewX`) and its queries as their associated
//! functions (`QuestionRow::inbox(conn, pid)`), synchronous on a `&mut DbConn`, which compiles
//! for both backends. Where their SQL must differ (the last inserted id, row locks, retries) the
//! `backend` module matches on the connection, once per concern; what only SQLite has (PRAGMAs,
//! `total_changes`, checkpoints, query plans) stays in the SQLite code that uses it.

pub mod answers;
pub mod audit;
pub mod backend;
mod checkpoint;
pub mod corpus;
pub mod credentials;
mod deferred;
pub mod deliveries;
pub mod event_signal;
pub mod events;
mod fixed;
pub mod focus_lists;
pub mod groups;
mod held;
pub mod invitations;
mod lanes;
pub mod memberships;
pub mod migrate;
mod named;
mod notifier;
pub mod orgs;
pub mod outbox;
pub mod participants;
pub mod password_resets;
pub mod question_forms;
pub mod questions;
pub mod relay_analysts;
pub mod relays;
pub mod rounds;
pub mod schema;
pub mod staff;
pub mod target;
pub mod themes;
pub mod totp;
mod writer;

pub use target::Target;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, R2D2Connection};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::error::AppError;
use writer::Writer;

/// A connection to either backend; every query in the program compiles for both. Where their
/// SQL must differ, `backend` matches on this, in one place per concern.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// A SQLite file, served by this process alone.
    Sqlite(SqliteConnection),
    /// A PostgreSQL database, which several instances may share.
    Pg(PgConnection),
}

/// How every SQLite connection is set up: PRAGMAs that SQLite keeps per connection.
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
        // secure_delete: a deleted or rewritten row is overwritten with zeros where it stood,
        // so erased personal data does not linger in free pages (docs/PRIVACY.md).
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = {}; \
             PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON;",
            self.busy_timeout_ms, self.synchronous
        ))
    }
}

/// Opens connections to one database, set up like every other: the pools' connection manager.
/// The backend comes from the [`Target`], never from trying each in turn (diesel's own
/// `establish` would take a URL SQLite cannot open for a file name first).
#[derive(Debug, Clone)]
struct Connector {
    target: Target,
    pragmas: Pragmas,
    /// When a connection was last found lost: the connections handed back before it are
    /// checked before their next use, however recently used (a server that ended one has
    /// likely ended them all).
    lost_at: Arc<std::sync::Mutex<Option<Instant>>>,
}

impl Connector {
    /// A new connection, set up.
    fn open(&self) -> Result<DbConn, diesel::r2d2::Error> {
        use diesel::r2d2::Error;
        match &self.target {
            Target::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map(DbConn::Sqlite)
                    .map_err(Error::ConnectionError)?;
                self.pragmas.apply(&mut conn).map_err(Error::QueryError)?;
                Ok(conn)
            }
            Target::Postgres(url) => PgConnection::establish(url)
                .map(DbConn::Pg)
                .map_err(Error::ConnectionError),
        }
    }

    /// A new connection, or what failed, naming the database (never its password).
    fn connect(&self) -> anyhow::Result<DbConn> {
        self.open()
            .map_err(|e| anyhow::anyhow!("opening the database {}: {e}", self.target))
    }

    /// A pool of `size` connections, all open before this returns.
    fn pool(&self, size: u32) -> anyhow::Result<Pool<Connector>> {
        Pool::builder()
            .max_size(size.max(1))
            .connection_timeout(POOL_WAIT)
            // Checked on checkout only as `is_valid` says: see there.
            .test_on_check_out(true)
            .build(self.clone())
            .with_context(|| format!("connecting to the database {}", self.target))
    }
}

/// A pooled connection, when it was last handed back to the pool, and whether it was found
/// lost.
struct Pooled {
    conn: DbConn,
    back_at: Instant,
    lost: Arc<AtomicBool>,
}

/// Watches a PostgreSQL connection's statements and notes when one failed because the
/// connection is gone. diesel marks such a connection broken only when a statement it had
/// already prepared fails, not when preparing one does; this sees both.
struct LostWatch(Arc<AtomicBool>);

impl diesel::connection::Instrumentation for LostWatch {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        if let diesel::connection::InstrumentationEvent::FinishQuery {
            error: Some(Error::DatabaseError(Kind::ClosedConnection | Kind::UnableToSendCommand, _)),
            ..
        } = event
        {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

impl std::ops::Deref for Pooled {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

/// How long a PostgreSQL connection may have lain idle in the pool and still be handed out
/// without a round trip to check it.
///
/// A connection dies with its server, a failover or the network between them, and that is
/// found only by using it. Checking every checkout cost a `SELECT 1` on every request, about
/// one statement in ten that PostgreSQL ran under load (docs/BENCHMARKS.md). A connection used
/// a moment ago almost always still works; one that lay idle longer is checked first, so a
/// pool that outlived a server restart (seconds at least) is renewed before it serves anyone.
/// A connection found lost in use ([`LostWatch`]) is dropped when it is handed back, and
/// every connection handed back before then is checked before its next use; the request that
/// found it fails with a 503 to try again.
const CHECK_IF_IDLE: Duration = Duration::from_secs(1);

impl ManageConnection for Connector {
    type Connection = Pooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Pooled, Self::Error> {
        let mut conn = self.open()?;
        let lost = Arc::new(AtomicBool::new(false));
        if let DbConn::Pg(pg) = &mut conn {
            pg.set_instrumentation(LostWatch(lost.clone()));
        }
        Ok(Pooled {
            conn,
            back_at: Instant::now(),
            lost,
        })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), Self::Error> {
        // A SQLite connection is a file handle in this process, which does not go away.
        if matches!(pooled.conn, DbConn::Sqlite(_)) {
            return Ok(());
        }
        let suspect = self
            .lost_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|lost| pooled.back_at <= lost);
        if !suspect && pooled.back_at.elapsed() < CHECK_IF_IDLE {
            return Ok(());
        }
        pooled.conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    /// Called as each connection is handed back, which is when its idle time starts.
    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        pooled.back_at = Instant::now();
        if pooled.lost.load(Ordering::Relaxed) {
            *self.lost_at.lock().unwrap_or_else(PoisonError::into_inner) = Some(pooled.back_at);
            return true;
        }
        std::thread::panicking() || pooled.conn.is_broken()
    }
}

/// How long an interactive read waits for a pooled connection before it fails.
const POOL_WAIT: Duration = Duration::from_secs(10);

/// How long analyst work waits for a slot of its own before it is refused with a 503.
const BULK_WAIT: Duration = Duration::from_secs(60);

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Connector>,
    bulk: Pool<Connector>,
    /// PostgreSQL: one connection of the live hub's own, for the reads that deliver pushes.
    live: Option<Pool<Connector>>,
    /// One per bulk connection: work holds a slot while it runs, so it never waits inside a
    /// blocking thread for a connection, and CPU-heavy analysis is bounded the same way.
    bulk_slots: Arc<Semaphore>,
    writes: Writes,
    commits: watch::Receiver<u64>,
    target: Target,
}

/// Where writes run.
#[derive(Clone)]
enum Writes {
    /// SQLite: the one writer thread, committing requests in groups.
    Group(Arc<Writer>),
    /// PostgreSQL: participants' moves in groups per relay ([`lanes`]), any other write in a
    /// transaction of its own on a pooled connection (many instances write at once, so there
    /// is no one writer to group for).
    Pooled {
        writes: Arc<PooledWrites>,
        lanes: Arc<lanes::Lanes>,
    },
}

/// What PostgreSQL writes tell the rest of this instance, and the other instances, after they
/// commit.
struct PooledWrites {
    /// Counts commits.
    commits: watch::Sender<u64>,
    /// The relays this instance's commits gave events since the live hub last took them
    /// ([`Db::take_touched`]); filled before `commits` changes, so the hub never misses one.
    touched: std::sync::Mutex<BTreeSet<i64>>,
    /// This instance, as its notifications name it.
    instance: event_signal::Instance,
    /// Sends the notifications.
    notifier: notifier::Notifier,
}

/// Database options from the configuration.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// `PRAGMA synchronous` value: FULL (default), NORMAL or OFF. SQLite only.
    pub synchronous: String,
    /// How long a reader waits for a lock. SQLite only.
    pub busy_timeout_ms: u32,
    /// Connections for interactive requests (on PostgreSQL, their writes too, but for moves).
    pub pool_size: u32,
    /// PostgreSQL: write lanes for participants' moves (`lanes`), a connection each.
    pub lanes: u32,
    /// Read connections (and slots) for analyst work: exports, analyses, reports.
    pub bulk_pool_size: u32,
}

impl Db {
    /// Opens the database `target` names, runs pending migrations and, on SQLite, starts the
    /// writer thread. A SQLite file is created when missing; a PostgreSQL database must exist.
    pub fn open(target: &Target, options: &DbOptions) -> anyhow::Result<Self> {
        let sync = options.synchronous.to_ascii_uppercase();
        anyhow::ensure!(
            matches!(sync.as_str(), "FULL" | "NORMAL" | "OFF" | "EXTRA"),
            "database.synchronous must be FULL, NORMAL, EXTRA or OFF"
        );
        let connector = Connector {
            lost_at: Default::default(),
            target: target.clone(),
            pragmas: Pragmas {
                synchronous: sync,
                busy_timeout_ms: options.busy_timeout_ms,
            },
        };
        let bulk_size = options.bulk_pool_size.max(1);
        let (writes, commits) = match target {
            Target::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).with_context(|| {
                        format!("creating the database folder {}", dir.display())
                    })?;
                }
                let (writer, commits) = open_sqlite_writer(&connector, options)?;
                (Writes::Group(Arc::new(writer)), commits)
            }
            Target::Postgres(url) => {
                let mut conn = connector.connect()?;
                migrate::run(&mut conn)?;
                let (tx, commits) = watch::channel(0u64);
                let instance = event_signal::Instance::new();
                let notifier = notifier::Notifier::start(url.clone(), instance.clone())
                    .context("starting the event notifier")?;
                let writes = Arc::new(PooledWrites {
                    commits: tx,
                    touched: Default::default(),
                    instance,
                    notifier,
                });
                let lanes = lanes::Lanes::start(&connector, options.lanes, writes.clone())?;
                let writes = Writes::Pooled {
                    writes,
                    lanes: Arc::new(lanes),
                };
                (writes, commits)
            }
        };
        Ok(Self {
            pool: connector.pool(options.pool_size)?,
            bulk: connector.pool(bulk_size)?,
            // With the pool's connections all held by writes queued for a relay's lock, the
            // reads that push those writes' events would queue behind them: push latency
            // followed API latency (docs/BENCHMARKS.md). On SQLite reads never queue so.
            live: match target {
                Target::Postgres(_) => Some(connector.pool(1)?),
                Target::Sqlite(_) => None,
            },
            bulk_slots: Arc::new(Semaphore::new(bulk_size as usize)),
            writes,
            commits,
            target: target.clone(),
        })
    }

    /// The PostgreSQL URL, for a connection of its own outside the pools (the live feed's
    /// listener); `None` on SQLite.
    pub fn postgres_url(&self) -> Option<&str> {
        match &self.target {
            Target::Postgres(url) => Some(url),
            Target::Sqlite(_) => None,
        }
    }

    /// Which backend this database is.
    pub fn is_postgres(&self) -> bool {
        matches!(self.writes, Writes::Pooled { .. })
    }

    /// Stops the writer once the writes already queued are committed, and waits for it and
    /// the checkpoint thread to end. Writes after this fail; reads still work. Every clone of
    /// this handle sees the writer stopped. A command that opened the database calls this
    /// before it exits, so no thread of its own still holds the database while the next
    /// process opens it. On PostgreSQL there is no writer thread to stop.
    pub fn close(&self) {
        if let Writes::Group(writer) = &self.writes {
            writer.stop();
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
    /// every request): handing those to another thread costs more than running them. On
    /// PostgreSQL always as [`Db::read`] does.
    pub async fn read_now<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        // On PostgreSQL a lookup is a round trip to the server, never microseconds: it must not
        // hold up an actix worker.
        if self.is_postgres() {
            return self.read(f).await;
        }
        match self.pool.try_get() {
            Some(mut conn) => f(&mut conn),
            None => self.read(f).await,
        }
    }

    /// Runs read-only `f` for the live hub: on PostgreSQL on the hub's own connection, so the
    /// reads that deliver pushes never wait for the pool; on SQLite as [`Db::read_now`] does.
    pub async fn read_live<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let Some(live) = self.live.clone() else {
            return self.read_now(f).await;
        };
        tokio::task::spawn_blocking(move || {
            let mut conn = live.get().map_err(AppError::internal)?;
            f(&mut conn)
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Runs `f` in the writer's next group transaction and returns once that transaction is
    /// durably committed. An `Err` from `f` undoes exactly `f`'s own changes. `f` may be run a
    /// second time (on the same state) when another request of its group fails after writing,
    /// so it must not act outside the database.
    ///
    /// On PostgreSQL `f` runs in a transaction of its own, run again from the start when the
    /// database aborts it for a serialization failure or a deadlock (see `backend`).
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnMut(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        match &self.writes {
            Writes::Group(writer) => writer.run(f).await,
            Writes::Pooled { writes, .. } => {
                let pool = self.pool.clone();
                let writes = writes.clone();
                let mut f = f;
                tokio::task::spawn_blocking(move || {
                    let mut conn = pool.get().map_err(AppError::internal)?;
                    let mut run = |c: &mut DbConn| {
                        // A run again after a retry appends its events again.
                        event_signal::clear();
                        f(c)
                    };
                    let result = backend::transaction_with_retries(&mut conn, &mut run);
                    let touched = event_signal::take();
                    if result.is_ok() {
                        writes.committed(touched);
                    }
                    result
                })
                .await
                .map_err(AppError::internal)?
            }
        }
    }

    /// Runs `f`, a write of relay `relay_id`'s (a participant's move), as [`Db::write`] does.
    /// On PostgreSQL it is committed with the other moves of its relay's lane that wait at the
    /// same time ([`lanes`]), in one transaction; `f` must lock `relay_id` first, as every
    /// write of a relay does. On SQLite the one writer groups every write anyway. A move that
    /// checks its own credential names it (`credential_id`): the lane loads the standings of
    /// its group's credentials in one statement ([`credentials::Credential::standing_in_move`]).
    pub async fn write_in<T, F>(
        &self,
        relay_id: i64,
        credential_id: Option<i64>,
        f: F,
    ) -> Result<T, AppError>
    where
        F: FnMut(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        match &self.writes {
            Writes::Group(writer) => writer.run(f).await,
            Writes::Pooled { lanes, .. } => lanes.run(relay_id, credential_id, f).await,
        }
    }

    /// Copies the whole WAL into the database file and cuts the WAL to nothing, so the page
    /// images written before an erasure leave the WAL file too. A reader in the middle of a
    /// long read can keep it from finishing: then it says so, and the next checkpoint (or this
    /// call, again) completes it. On PostgreSQL there is nothing of ours to cut: the server's
    /// own vacuum reclaims erased rows (docs/PRIVACY.md), so it is done at once.
    pub async fn truncate_wal(&self) -> Result<bool, AppError> {
        if self.is_postgres() {
            return Ok(true);
        }
        self.read(|conn| {
            let outcome = checkpoint::run(conn, "TRUNCATE")?;
            Ok(outcome.busy == 0)
        })
        .await
    }

    /// A receiver that changes after every commit; live feeds and the outbox wake on it.
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.commits.clone()
    }

    /// On PostgreSQL, the relays this instance's commits gave new events since the last call,
    /// in ascending order; `None` on SQLite, where the live hub reads the log after every
    /// commit. For the one live hub of the process.
    pub fn take_touched(&self) -> Option<Vec<i64>> {
        let Writes::Pooled { writes, .. } = &self.writes else {
            return None;
        };
        let mut touched = writes
            .touched
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Some(std::mem::take(&mut *touched).into_iter().collect())
    }

    /// This instance as its notifications name it (PostgreSQL); `None` on SQLite.
    pub fn instance(&self) -> Option<&event_signal::Instance> {
        match &self.writes {
            Writes::Pooled { writes, .. } => Some(&writes.instance),
            Writes::Group(_) => None,
        }
    }
}

/// Opens the SQLite writer's connection, runs the migrations on it and starts the writer and
/// checkpoint threads. SQLite-specific.
fn open_sqlite_writer(
    connector: &Connector,
    options: &DbOptions,
) -> anyhow::Result<(Writer, watch::Receiver<u64>)> {
    let mut writer_conn = connector.connect()?;
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
    migrate::run(&mut writer_conn)?;
    let checkpointer =
        checkpoint::Checkpointer::start(connector.connect()?, options.busy_timeout_ms)
            .context("starting the checkpoint thread")?;
    Writer::start(writer_conn, checkpointer)
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
    use super::*;

    #[derive(QueryableByName)]
    struct Step {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }

    /// SQLite's plan for `query`, its steps joined by "; ". The SQL is what the connection
    /// runs for the query (caught by instrumentation): the multi-backend query builder has no
    /// text of its own without a connection.
    pub(crate) fn plan<Q>(conn: &mut DbConn, query: &Q) -> String
    where
        Q: diesel::query_builder::QueryFragment<MultiBackend> + diesel::query_builder::QueryId,
    {
        use diesel::connection::{Instrumentation, InstrumentationEvent};
        let seen = Arc::new(std::sync::Mutex::new(None::<String>));
        let catch = seen.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                catch
                    .lock()
                    .unwrap()
                    .get_or_insert_with(|| query.to_string());
            }
        });
        conn.execute_returning_count(query).unwrap();
        conn.set_instrumentation(None::<Box<dyn Instrumentation>>);
        let sql = seen.lock().unwrap().take().unwrap();
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
        let mut conn = DbConn::Sqlite(SqliteConnection::establish(path.to_str().unwrap()).unwrap());
        migrate::run(&mut conn).unwrap();
        (dir, conn)
    }

    #[test]
    fn sqlite_is_built_to_keep_one_plan_per_statement() {
        let mut conn = DbConn::Sqlite(SqliteConnection::establish(":memory:").unwrap());
        assert!(has_stable_plans(&mut conn).unwrap());
    }
}
