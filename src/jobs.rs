//! Background jobs: the scheduler that applies what the clock makes due, and the outbox worker
//! (in `email::worker`).

use std::time::Duration;

use crate::clock::Clock;
use crate::db::Db;
use crate::db::backend::JobsLock;
use crate::error::AppError;

use crate::ops::erasure::{self, RelayErased};
use crate::ops::scheduler::{StepReport, due, live_relays, step};

/// What one pass over the live relays did.
#[derive(Debug, Default)]
pub struct Tick {
    /// Relays that had something due, with what their step applied.
    pub stepped: Vec<(i64, StepReport)>,
    /// Relays whose look or step failed, with why; the pass went on without them.
    pub failed: Vec<(i64, AppError)>,
    /// Closed relays whose personal data retention erased in this pass.
    pub erased: Vec<RelayErased>,
}

/// One pass over every live relay. The pass first looks (one read) at what is due in each; a
/// relay with nothing due costs nothing more, so a quiet pass writes nothing. A relay with
/// something due gets a step in a transaction of its own. A relay whose look or step fails
/// (a damaged row, a bug) is logged and left for the next pass, and the others go on.
pub async fn tick_once(db: &Db, clock: &Clock) -> Result<Tick, AppError> {
    let now = clock.now();
    let looks = db
        .read(move |conn| {
            Ok(live_relays(conn)?
                .into_iter()
                .map(|id| (id, due(conn, id, now).map(|(_, due)| due.is_empty())))
                .collect::<Vec<_>>())
        })
        .await?;
    let mut tick = Tick::default();
    for (id, nothing_due) in looks {
        let stepped = match nothing_due {
            Ok(true) => continue,
            Ok(false) => {
                let now = clock.now();
                db.write(move |conn| step(conn, id, now)).await
            }
            Err(e) => Err(e),
        };
        match stepped {
            Ok(report) => {
                if !report.applied.is_empty() {
                    tracing::info!(relay_id = id, applied = ?report.applied, "scheduler step");
                }
                tick.stepped.push((id, report));
            }
            Err(e) => {
                tracing::error!(relay_id = id, error = %e, "scheduler step failed; the other relays go on");
                tick.failed.push((id, e));
            }
        }
    }
    erase_due(db, clock, &mut tick).await?;
    Ok(tick)
}

/// Applies retention to every closed relay whose period has passed, each in a transaction of
/// its own, then cuts the WAL so the erased data leaves it too.
async fn erase_due(db: &Db, clock: &Clock, tick: &mut Tick) -> Result<(), AppError> {
    let now = clock.now();
    let due = db.read(move |conn| erasure::due(conn, now)).await?;
    for id in due {
        match db
            .write(move |conn| erasure::erase_relay_audited(conn, None, id, now))
            .await
        {
            Ok(report) => {
                tracing::info!(relay_id = id, retention = %report.retention, "retention erased a relay's personal data");
                tick.erased.push(report);
            }
            Err(e) => {
                tracing::error!(relay_id = id, error = %e, "retention failed; tried again next pass");
                tick.failed.push((id, e));
            }
        }
    }
    if !tick.erased.is_empty() && !db.truncate_wal().await? {
        tracing::warn!("the WAL could not be cut after an erasure; the next checkpoint will");
    }
    Ok(())
}

/// How often an instance that does not run the jobs asks again whether it can (the holder
/// may have died), so another takes over well within a minute.
const TAKE_OVER_EVERY: Duration = Duration::from_secs(3);

/// Ticks every `interval` until the process ends, while this instance holds `lock` (always on
/// SQLite; on PostgreSQL one instance of those sharing the database); each tick also deletes
/// audit rows older than `audit_keep_days`.
pub async fn run_scheduler(
    db: Db,
    clock: Clock,
    interval: Duration,
    audit_keep_days: u32,
    lock: JobsLock,
) {
    let mut lock = lock;
    loop {
        // A round trip to the server: off the async thread.
        let ours;
        (lock, ours) = match tokio::task::spawn_blocking(move || {
            let ours = lock.hold();
            (lock, ours)
        })
        .await
        {
            Ok(asked) => asked,
            Err(e) => {
                tracing::error!(error = %e, "asking for the background jobs' lock");
                return;
            }
        };
        if !ours {
            tokio::time::sleep(TAKE_OVER_EVERY).await;
            continue;
        }
        if let Err(e) = tick_once(&db, &clock).await {
            tracing::error!(error = %e, "scheduler tick failed");
        }
        if let Err(e) = prune_audit(&db, &clock, audit_keep_days).await {
            tracing::error!(error = %e, "deleting old audit rows failed");
        }
        tokio::time::sleep(interval).await;
    }
}

/// Deletes the audit rows older than `keep_days` (the `[audit] keep_days` retention).
pub async fn prune_audit(db: &Db, clock: &Clock, keep_days: u32) -> Result<usize, AppError> {
    let now = clock.now();
    // Looked for first: an idle server commits nothing (a write per tick would).
    let due = db
        .read(move |conn| crate::ops::audit::prune_due(conn, keep_days, now))
        .await?;
    if !due {
        return Ok(0);
    }
    let gone = db
        .write(move |conn| crate::ops::audit::prune(conn, keep_days, now))
        .await?;
    if gone > 0 {
        tracing::info!(rows = gone, "deleted old audit rows");
    }
    Ok(gone)
}
