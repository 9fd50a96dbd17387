//! The database: a read pool, one writer thread that commits requests in groups, and the
//! embedded migrations. Every diesel call in the program goes through [`Db::read`] or
//! [`Db::write`], so no actix worker ever blocks on SQLite.

pub mod corpus;
pub mod credentials;
pub mod events;
pub mod models;
pub mod outbox;
pub mod participants;
pub mod questions;
pub mod relays;
pub mod schema;
pub mod staff;
pub mod themes;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context as _;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tokio::sync::{oneshot, watch};

use crate::error::AppError;

/// The connection type; the one place that names the backend.
pub type DbConn = SqliteConnection;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Most write requests committed in one transaction. Bounded so one fsync never waits on an
/// unbounded batch, and a failed commit fails only this many requests.
const MAX_GROUP: usize = 256;

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&mut DbConn) -> Completion + Send>;

/// How every connection is set up: PRAGMAs that SQLite keeps per connection.
#[derive(Debug, Clone)]
struct Pragmas {
    synchronous: String,
    busy_timeout_ms: u32,
}

impl Pragmas {
    fn apply(&self, conn: &mut DbConn) -> Result<(), diesel::result::Error> {
        conn.batch_execute(&format!(
            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {}; PRAGMA synchronous = {};",
            self.busy_timeout_ms, self.synchronous
        ))
    }
}

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        self.apply(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager<DbConn>>,
    writer: mpsc::Sender<Job>,
    commits: watch::Receiver<u64>,
}

/// Database options from the configuration.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// `PRAGMA synchronous` value: FULL (default), NORMAL or OFF.
    pub synchronous: String,
    /// How long a reader waits for a lock.
    pub busy_timeout_ms: u32,
    /// Read connections.
    pub pool_size: u32,
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
        let mut writer_conn = SqliteConnection::establish(&url)
            .with_context(|| format!("opening the database {url}"))?;
        // WAL lets readers run beside the one writer; it is stored in the file, so once is enough.
        writer_conn.batch_execute("PRAGMA journal_mode = WAL;")?;
        pragmas.apply(&mut writer_conn)?;
        writer_conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;

        let pool = Pool::builder()
            .max_size(options.pool_size.max(1))
            .connection_timeout(Duration::from_secs(10))
            .connection_customizer(Box::new(pragmas))
            .build(ConnectionManager::<DbConn>::new(url))
            .context("building the connection pool")?;

        let (tx, rx) = mpsc::channel::<Job>();
        let (commit_tx, commits) = watch::channel(0u64);
        std::thread::Builder::new()
            .name("stafet-db-writer".into())
            .spawn(move || writer_loop(writer_conn, rx, commit_tx))
            .context("starting the writer thread")?;
        Ok(Self {
            pool,
            writer: tx,
            commits,
        })
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

    /// Runs `f` on the writer connection inside its own savepoint of a group transaction, and
    /// returns once that transaction is durably committed. An `Err` from `f` rolls back only
    /// `f`'s own changes.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T, AppError>>();
        let job: Job = Box::new(move |conn: &mut DbConn| {
            let mut outcome: Option<Result<T, AppError>> = None;
            let savepoint = conn.transaction::<(), TxAbort, _>(|c| match f(c) {
                Ok(v) => {
                    outcome = Some(Ok(v));
                    Ok(())
                }
                Err(e) => {
                    outcome = Some(Err(e));
                    Err(TxAbort::Rollback)
                }
            });
            if let Err(TxAbort::Db(e)) = savepoint {
                outcome = Some(Err(AppError::from(e)));
            }
            Box::new(move |commit: Result<(), String>| {
                let result = match commit {
                    Ok(()) => outcome
                        .unwrap_or_else(|| Err(AppError::internal(anyhow::anyhow!("no outcome")))),
                    Err(e) => Err(AppError::internal(anyhow::anyhow!("commit failed: {e}"))),
                };
                // The requester may have gone away (client disconnected); nothing to tell then.
                let _ = tx.send(result);
            })
        });
        self.writer
            .send(job)
            .map_err(|_| AppError::internal(anyhow::anyhow!("the database writer has stopped")))?;
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

/// The single writer: takes whatever requests are waiting (up to [`MAX_GROUP`]), runs each in a
/// savepoint of one IMMEDIATE transaction, commits once, then answers them all. One fsync then
/// serves a whole group, which is how many small writes per second fit through one disk.
fn writer_loop(mut conn: DbConn, rx: mpsc::Receiver<Job>, commits: watch::Sender<u64>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut completions: Vec<Completion> = Vec::with_capacity(batch.len());
        let result = conn.immediate_transaction::<(), diesel::result::Error, _>(|c| {
            for job in batch {
                match catch_unwind(AssertUnwindSafe(|| job(c))) {
                    Ok(done) => completions.push(done),
                    Err(_) => {
                        tracing::error!("a database write panicked; its group is rolled back");
                        return Err(diesel::result::Error::RollbackTransaction);
                    }
                }
            }
            Ok(())
        });
        let commit = result.map_err(|e| e.to_string());
        if commit.is_err() {
            tracing::error!(error = ?commit, "group commit failed");
        }
        for done in completions {
            done(commit.clone());
        }
        commits.send_modify(|n| *n += 1);
    }
}

/// A UTC instant as stored (diesel's TIMESTAMP without zone, always UTC here).
pub fn to_db(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    t.naive_utc()
}

/// A stored timestamp back as a UTC instant.
pub fn from_db(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}
