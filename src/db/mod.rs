//! The database: two read pools, one writer thread that commits requests in groups, and the
//! embedded migrations. Every diesel call in the program goes through [`Db::read`],
//! [`Db::read_bulk`] or [`Db::write`], so no actix worker ever blocks on SQLite.
//!
//! Interactive requests (participants, staff pages) read from one pool; analyst work (exports,
//! analyses, reports) from a small pool of its own with as many slots. However many exports or
//! analyses run at once, they wait for a slot of theirs and never for a connection that a
//! participant's request needs.
//!
//! Layout: this file holds the [`Db`] handle and the helpers every table shares; the group
//! commit lives in `writer`; each table has a file of its own with its row types (`XRow`,
//! `NewX`) and its queries as their associated functions (`QuestionRow::inbox(conn, pid)`),
//! synchronous on a `&mut DbConn`. SQL is kept portable; what only SQLite understands (PRAGMAs,
//! `last_insert_rowid`, `total_changes`, checkpoints) is marked SQLite-specific where it is used.

pub mod answers;
pub mod audit;
mod checkpoint;
pub mod corpus;
pub mod credentials;
pub mod deliveries;
pub mod events;
mod fixed;
pub mod focus_lists;
pub mod groups;
pub mod invitations;
pub mod memberships;
pub mod migrate;
mod named;
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
mod writer;

pub use target::Target;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::error::AppError;
use writer::Writer;

/// The connection type; the one place that names the backend.
pub type DbConn = SqliteConnection;

/// How every connection is set up: PRAGMAs that SQLite keeps per connection. SQLite-specific.
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

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager<DbConn>>,
    bulk: Pool<ConnectionManager<DbConn>>,
    /// One per bulk connection: work holds a slot while it runs, so it never waits inside a
    /// blocking thread for a connection, and CPU-heavy analysis is bounded the same way.
    bulk_slots: Arc<Semaphore>,
    writer: Arc<Writer>,
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

        let (writer, commits) = Writer::start(writer_conn, checkpointer)?;
        Ok(Self {
            pool,
            bulk,
            bulk_slots: Arc::new(Semaphore::new(bulk_size as usize)),
            writer: Arc::new(writer),
            commits,
        })
    }

    /// Stops the writer once the writes already queued are committed, and waits for it and
    /// the checkpoint thread to end. Writes after this fail; reads still work. Every clone of
    /// this handle sees the writer stopped. A command that opened the database calls this
    /// before it exits, so no thread of its own still holds the database while the next
    /// process opens it.
    pub fn close(&self) {
        self.writer.stop();
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
        self.writer.run(f).await
    }

    /// Copies the whole WAL into the database file and cuts the WAL to nothing, so the page
    /// images written before an erasure leave the WAL file too. SQLite-specific. A reader in
    /// the middle of a long read can keep it from finishing: then it says so, and the next
    /// checkpoint (or this call, again) completes it.
    pub async fn truncate_wal(&self) -> Result<bool, AppError> {
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
    /// SQLite's rowid of the last row this connection inserted. SQLite-specific.
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

    #[test]
    fn sqlite_is_built_to_keep_one_plan_per_statement() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        assert!(has_stable_plans(&mut conn).unwrap());
    }
}
