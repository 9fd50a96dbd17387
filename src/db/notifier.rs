//! Sending this instance's notifications (`event_signal`) from one PostgreSQL connection of its
//! own, on a thread of its own.
//!
//! A write used to send its `pg_notify` itself after its commit: a statement per write, on the
//! pooled connection the write still held. Now the write hands its relays to this thread and
//! returns its connection at once; the thread sends one notification for everything handed to
//! it since its last one, at most one each [`GAP`], so under load one statement serves many
//! writes. A notification that
//! cannot be sent (the connection is down) is dropped: other instances read the events on their
//! fallback poll, as for any notification lost.

use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use diesel::PgConnection;
use diesel::prelude::*;

use super::event_signal::{self, Instance};

/// The `application_name` of the notifier's session.
pub const APPLICATION_NAME: &str = "stafet-notifier";

/// How long the thread waits before it tries to connect again after a failure; what is handed
/// to it meanwhile is dropped.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// The shortest time between two notifications. The first after a quiet spell goes at once;
/// under load the relays of the writes within one gap go in one notification, so the other
/// instances read once for them (a statement per write for the notification, and another per
/// write and instance for the reads, measured at 500 writes/s without it).
pub const GAP: Duration = Duration::from_millis(5);

/// The handle writes give their relays to. The thread ends when it is dropped.
pub struct Notifier {
    tx: mpsc::Sender<Vec<i64>>,
}

impl Notifier {
    /// Starts the thread that notifies as `me` on the database at `url`.
    pub fn start(url: String, me: Instance) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("stafet-notifier".into())
            .spawn(move || run(&url, &me, &rx))?;
        Ok(Self { tx })
    }

    /// Has the thread notify that `relays` have new events; never waits.
    pub fn notify(&self, relays: Vec<i64>) {
        // The thread ends only with this handle, so the send cannot fail while it exists.
        let _ = self.tx.send(relays);
    }
}

fn run(url: &str, me: &Instance, rx: &mpsc::Receiver<Vec<i64>>) {
    let mut conn: Option<PgConnection> = None;
    let mut failed_at: Option<Instant> = None;
    let mut sent_at: Option<Instant> = None;
    while let Ok(first) = rx.recv() {
        if let Some(rest) = sent_at.and_then(|at| GAP.checked_sub(at.elapsed())) {
            std::thread::sleep(rest);
        }
        sent_at = Some(Instant::now());
        let mut relays: BTreeSet<i64> = first.into_iter().collect();
        while let Ok(more) = rx.try_recv() {
            relays.extend(more);
        }
        let relays: Vec<i64> = relays.into_iter().collect();
        // A connection that failed is replaced at once, once: the server ended it or restarted.
        for _ in 0..2 {
            if conn.is_none() && failed_at.is_none_or(|at| at.elapsed() >= RECONNECT_AFTER) {
                match connect(url) {
                    Ok(c) => conn = Some(c),
                    Err(e) => {
                        tracing::warn!(error = %e, "the event notifier cannot connect");
                        failed_at = Some(Instant::now());
                    }
                }
            }
            let Some(c) = conn.as_mut() else {
                break;
            };
            match event_signal::send(c, me, &relays) {
                Ok(()) => {
                    failed_at = None;
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not signal new events");
                    conn = None;
                }
            }
        }
    }
}

fn connect(url: &str) -> anyhow::Result<PgConnection> {
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query(format!("SET application_name = '{APPLICATION_NAME}'")).execute(&mut conn)?;
    Ok(conn)
}
