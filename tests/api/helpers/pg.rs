//! Fresh PostgreSQL databases for tests, on the server `STAFET_TEST_PG_URL` names, and which
//! backend the integration suite runs on (`STAFET_TEST_BACKEND`).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// Whether this run of the suite is its PostgreSQL pass (`STAFET_TEST_BACKEND=postgres`);
/// anything else but unset or `sqlite` is a failure, not a silent SQLite run.
pub fn postgres_pass() -> bool {
    match std::env::var("STAFET_TEST_BACKEND").as_deref() {
        Err(_) | Ok("") | Ok("sqlite") => false,
        Ok("postgres") => true,
        Ok(other) => panic!("STAFET_TEST_BACKEND is sqlite or postgres, not {other:?}"),
    }
}

/// The test server's URL, or a failure that says how to get one.
pub fn pg_server_url() -> String {
    std::env::var("STAFET_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "STAFET_TEST_PG_URL is not set: these tests need a PostgreSQL server. Start a \
             throwaway one with `scripts/pg-throwaway.sh start /tmp/stafet-pg` and run them with \
             STAFET_TEST_PG_URL set to the URL it prints (scripts/test.sh does both)"
        )
    })
}

/// A database of its own on the test server, dropped (with whatever still uses it) at the
/// end of the test.
pub struct FreshPg {
    server: String,
    name: String,
}

impl FreshPg {
    pub fn create() -> Self {
        let server = pg_server_url();
        let name = format!("stafet_t_{:016x}", rand::random::<u64>());
        admin(&server)
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("creating a test database");
        Self { server, name }
    }

    /// The server's URL with this database in place of the server's own.
    pub fn url(&self) -> String {
        with_database(&self.server, &self.name)
    }

    pub fn connect(&self) -> PgConnection {
        PgConnection::establish(&self.url()).expect("connecting to the test database")
    }

    /// The database opened (and so migrated) as a server opens it, with `pool_size`
    /// connections for requests and as many write lanes.
    pub fn open(&self, pool_size: u32) -> stafet::db::Db {
        let options = stafet::db::DbOptions {
            synchronous: "FULL".into(),
            busy_timeout_ms: 5000,
            pool_size,
            lanes: pool_size,
            bulk_pool_size: 1,
        };
        stafet::db::Db::open(&stafet::db::Target::Postgres(self.url()), &options)
            .expect("opening the test database")
    }
}

impl Drop for FreshPg {
    fn drop(&mut self) {
        let dropped = admin(&self.server).batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
        if let Err(e) = dropped {
            eprintln!("could not drop the test database {}: {e}", self.name);
        }
    }
}

pub fn admin(server: &str) -> PgConnection {
    PgConnection::establish(server).unwrap_or_else(|e| {
        panic!("cannot connect to STAFET_TEST_PG_URL (is the server running?): {e}")
    })
}

/// `url` naming `database`: its path replaced, its query kept.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{database}{query}", &base[..authority_end])
}
