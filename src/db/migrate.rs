//! The two embedded migration trees, one per backend (`migrations/README.md`), and how each
//! backend runs its own.

use diesel::sql_types::BigInt;
use diesel::{PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The SQLite tree, the history as it happened.
pub const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The PostgreSQL tree: the same schema, from the state of 2026-11-27 on.
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The PostgreSQL advisory lock every Stafet instance takes to migrate ("stafetMG" in ASCII).
/// Advisory locks are per database, so instances of other databases never wait on it.
pub const LOCK_KEY: i64 = i64::from_be_bytes(*b"stafetMG");

/// Runs a backend's pending migrations, one process at a time.
pub trait Migrate {
    /// Runs every migration of this backend's tree that the database has not applied yet.
    /// Instances that start together apply each migration once; the others wait and find
    /// nothing left to do.
    fn run_migrations_locked(&mut self) -> anyhow::Result<()>;
}

impl Migrate for SqliteConnection {
    /// A SQLite file is served by one process, and each migration runs in a transaction of its
    /// own, so SQLite's own write lock is all the locking there is.
    fn run_migrations_locked(&mut self) -> anyhow::Result<()> {
        self.run_pending_migrations(SQLITE)
            .map(drop)
            .map_err(|e| anyhow::anyhow!("running migrations: {e}"))
    }
}

impl Migrate for PgConnection {
    /// Under a session advisory lock: without it, two instances starting at once both find a
    /// migration pending, and the second fails on the tables the first created (even diesel's
    /// `CREATE TABLE IF NOT EXISTS` of its own bookkeeping table can fail that way). The lock
    /// goes with the connection if the process dies.
    fn run_migrations_locked(&mut self) -> anyhow::Result<()> {
        advisory("pg_advisory_lock", self)?;
        let run = self
            .run_pending_migrations(POSTGRES)
            .map(drop)
            .map_err(|e| anyhow::anyhow!("running migrations: {e}"));
        let unlock = advisory("pg_advisory_unlock", self);
        run?;
        unlock
    }
}

/// Calls the advisory lock function `function` on [`LOCK_KEY`].
fn advisory(function: &str, conn: &mut PgConnection) -> anyhow::Result<()> {
    diesel::sql_query(format!("SELECT {function}($1)"))
        .bind::<BigInt, _>(LOCK_KEY)
        .execute(conn)
        .map(drop)
        .map_err(|e| anyhow::anyhow!("{function} for the migrations: {e}"))
}

impl Migrate for super::DbConn {
    /// Runs the migrations of the tree of this connection's backend.
    fn run_migrations_locked(&mut self) -> anyhow::Result<()> {
        match self {
            Self::Sqlite(conn) => conn.run_migrations_locked(),
            Self::Pg(conn) => conn.run_migrations_locked(),
        }
    }
}

/// Runs the pending migrations of `conn`'s backend, one process at a time.
pub fn run(conn: &mut super::DbConn) -> anyhow::Result<()> {
    conn.run_migrations_locked()
}
