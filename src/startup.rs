//! Building and running the application: database, background jobs, HTTP server.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, ErrorHandlers};
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use tracing_actix_web::TracingLogger;

use crate::auth::rate_limit::RateLimits;
use crate::backup::{
    self,
    lock::{DbLock, LockError},
};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::backend::JobsLock;
use crate::db::{Db, Target};
use crate::email::worker::{self, Mailer};
use crate::http;
use crate::jobs;
use crate::state::AppState;
use crate::telemetry::RedactedRootSpan;
use crate::ws::{self, Hub};

/// The HSTS policy when the public URL is https: a year, this host only (a parent domain's
/// other sites are not ours to commit to https).
const HSTS: &str = "max-age=31536000";

/// Refuses what `stafet serve` on a PostgreSQL database, which other instances may share, must
/// not do: keep its email on its own disk (the `.eml` folder belongs to one host). Checked
/// before anything is opened or bound. (Tests build an [`Application`] on one host and read the
/// folder, so this is the command's check, not `build`'s.)
pub fn check_serve(settings: &Settings) -> anyhow::Result<()> {
    if matches!(settings.database.target()?, Target::Postgres(_)) {
        anyhow::ensure!(
            settings.email.smtp.active_host().is_some(),
            "a server on PostgreSQL needs SMTP: set email.smtp.host (STAFET__EMAIL__SMTP__HOST); \
             the .eml folder transport belongs to one host, and several instances may share \
             this database"
        );
    }
    Ok(())
}

/// A built application, bound to its port, not yet serving.
pub struct Application {
    server: Server,
    port: u16,
    db: Db,
    /// Keeps other servers (and restores) off a SQLite file until the server has stopped;
    /// PostgreSQL takes many servers and needs none.
    lock: Option<DbLock>,
}

impl Application {
    /// Takes the database's lock (refusing to start when another server has it), opens the
    /// database (running migrations), binds `settings.server.bind` (port 0 picks a
    /// free port) and starts the scheduler and outbox worker on the current runtime.
    pub async fn build(mut settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let https = settings.server.public_url.starts_with("https://");
        // Behind https a cookie must never travel in clear, whatever `cookie_secure` says.
        settings.server.cookie_secure |= https;
        let target = settings.database.target()?;
        let lock = match &target {
            Target::Sqlite(path) => Some(DbLock::acquire(path).map_err(|e| match e {
                LockError::Held { .. } => anyhow::anyhow!(
                    "{e}: two servers on one SQLite file would both write it as its only \
                     writer; stop the other one first, or give this one another --db"
                ),
                LockError::Io(e) => e,
            })?),
            Target::Postgres(_) => {
                anyhow::ensure!(
                    settings.backup.schedule().is_none(),
                    "scheduled backups copy a SQLite file: on PostgreSQL turn them off \
                     (backup.every_hours = 0) and use pg_dump"
                );
                None
            }
        };
        let db = Db::open(&target, &settings.db_options())?;
        let mailer = Mailer::from_settings(&settings.email, settings.base_url())?;
        let listener = TcpListener::bind(&settings.server.bind)
            .with_context(|| format!("binding {}", settings.server.bind))?;
        let port = listener.local_addr()?.port();

        tokio::spawn(jobs::run_scheduler(
            db.clone(),
            clock.clone(),
            Duration::from_millis(settings.scheduler.tick_ms),
            settings.audit.keep_days,
            JobsLock::new(&target),
        ));
        tokio::spawn(worker::run(db.clone(), clock.clone(), mailer));
        let hub = Hub::default();
        tokio::spawn(hub.clone().run(db.clone()));
        let checker = ws::revocation::Checker::new(
            db.clone(),
            clock.clone(),
            crate::auth::access::Lifetimes::of(&settings),
        );
        tokio::spawn(ws::revocation::run(hub.clone(), checker));
        tokio::spawn(ws::scope_sweep::run(hub.clone(), db.clone()));
        if let Some(schedule) = settings.backup.schedule() {
            tokio::spawn(backup::schedule::run(db.clone(), schedule));
        }
        let hub_data = web::Data::new(hub);

        let body_limit = settings.server.body_limit_bytes;
        let limits = RateLimits::new(&settings.rate_limit);
        let state = web::Data::new(AppState {
            db: db.clone(),
            clock,
            settings,
            limits,
            known: Default::default(),
        });
        let server = HttpServer::new(move || {
            let mut headers = DefaultHeaders::new()
                .add(("Content-Security-Policy", http::CSP))
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                // Magic links sit in URLs: never let them leak in a Referer header.
                .add(("Referrer-Policy", "no-referrer"));
            if https {
                // Browsers that have seen the site once never try it over plain http again, so
                // a network attacker cannot strip TLS from a magic link or a login.
                headers = headers.add(("Strict-Transport-Security", HSTS));
            }
            App::new()
                .app_data(state.clone())
                .app_data(hub_data.clone())
                .wrap(ErrorHandlers::new().default_handler(http::json_errors))
                .wrap(headers)
                .wrap(TracingLogger::<RedactedRootSpan>::new())
                .route("/ws", web::get().to(ws::ws_route))
                .configure(|cfg| http::configure(cfg, body_limit))
        })
        // Live pushes are small frames written one by one: with Nagle's algorithm a frame
        // waited for the client's delayed ACK of the one before (up to 40 ms on Linux).
        .tcp_nodelay(true)
        .listen(listener)?
        .shutdown_timeout(5)
        .run();
        Ok(Self {
            server,
            port,
            db,
            lock,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The database handle (tests and the CLI use it to drive jobs directly).
    pub fn db(&self) -> Db {
        self.db.clone()
    }

    /// Serves until the server is stopped (Ctrl-C or SIGTERM), then commits the writes already
    /// queued, stops the database threads and releases the database's lock.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        let db = self.db;
        tokio::task::spawn_blocking(move || db.close())
            .await
            .map_err(std::io::Error::other)?;
        drop(self.lock);
        served
    }
}
