//! The listener on PostgreSQL: one connection of its own per instance, listening on the event
//! channel (`db::event_signal`), that wakes the hub for the relays other instances' writes gave
//! new events (this instance's own commits wake its hub in-process).
//!
//! It runs on a thread of its own, as diesel's connections are blocking. diesel hands out the
//! notifications that have arrived without waiting for one, so the thread looks every
//! [`LOOK_EVERY`]; a `SELECT 1` now and then finds a connection that died quietly. When the
//! connection drops it reconnects with a growing pause; after every (re)connection the hub reads
//! the whole log after its cursor, since notifications sent meanwhile are lost. Meanwhile the
//! hub's fallback poll keeps pushes coming.
//!
//! PgBouncer in transaction mode breaks LISTEN: the listener needs a session of its own.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use diesel::PgConnection;
use diesel::prelude::*;
use tokio::sync::mpsc;

use crate::db::event_signal::{self, Instance};

/// What the listener asks of the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// Read these relays' new events.
    Relays(Vec<i64>),
    /// Read everything after the cursor: notifications may have been missed.
    CatchUp,
}

/// The `application_name` of the listener's session (operators and tests find it by this in
/// `pg_stat_activity`).
pub const APPLICATION_NAME: &str = "stafet-listener";

/// How often the thread looks for notifications that have arrived.
const LOOK_EVERY: Duration = Duration::from_millis(5);

/// How often the connection is asked whether it still works when nothing arrives.
const PING_EVERY: Duration = Duration::from_secs(2);

/// First pause before reconnecting; it doubles up to [`MOST_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MOST_BACKOFF: Duration = Duration::from_secs(10);

/// Wake-ups the hub may have pending before the listener waits for it.
const QUEUE: usize = 1024;

/// Starts the listener on `url`; its wake-ups come out of the receiver. It stops when the
/// receiver is dropped.
/// `me` is this instance: its own notifications are passed over.
pub fn spawn(url: String, me: Instance) -> std::io::Result<mpsc::Receiver<Wake>> {
    let (tx, rx) = mpsc::channel(QUEUE);
    std::thread::Builder::new()
        .name("stafet-listener".into())
        .spawn(move || run(&url, &me, &tx))?;
    Ok(rx)
}

/// Why listening ended.
enum End {
    /// The hub is gone.
    Stopped,
    /// The connection failed; connect again.
    Lost(diesel::result::Error),
}

fn run(url: &str, me: &Instance, tx: &mpsc::Sender<Wake>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        match connect(url) {
            Ok(mut conn) => {
                backoff = FIRST_BACKOFF;
                tracing::info!("live feed listening for other instances' events");
                if tx.blocking_send(Wake::CatchUp).is_err() {
                    return;
                }
                match listen(&mut conn, me, tx) {
                    End::Stopped => return,
                    End::Lost(e) => {
                        tracing::warn!(error = %e, "live feed listener lost its connection")
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "live feed listener cannot connect"),
        }
        if tx.is_closed() {
            return;
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(MOST_BACKOFF);
    }
}

fn connect(url: &str) -> anyhow::Result<PgConnection> {
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query(format!("SET application_name = '{APPLICATION_NAME}'")).execute(&mut conn)?;
    diesel::sql_query(format!("LISTEN {}", event_signal::CHANNEL)).execute(&mut conn)?;
    Ok(conn)
}

fn listen(conn: &mut PgConnection, me: &Instance, tx: &mpsc::Sender<Wake>) -> End {
    let mut checked = Instant::now();
    loop {
        let mut relays = BTreeSet::new();
        for n in conn.notifications_iter() {
            match n {
                Ok(n) => relays.extend(event_signal::parse(&n.payload, me)),
                Err(e) => return End::Lost(e),
            }
        }
        if !relays.is_empty() {
            if tx
                .blocking_send(Wake::Relays(relays.into_iter().collect()))
                .is_err()
            {
                return End::Stopped;
            }
            continue;
        }
        if tx.is_closed() {
            return End::Stopped;
        }
        if checked.elapsed() >= PING_EVERY {
            if let Err(e) = diesel::sql_query("SELECT 1").execute(conn) {
                return End::Lost(e);
            }
            checked = Instant::now();
        }
        std::thread::sleep(LOOK_EVERY);
    }
}
