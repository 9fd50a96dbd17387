//! Background jobs: the scheduler that applies what the clock makes due, and the outbox worker
//! (in `email::worker`).

use std::time::Duration;

use crate::clock::Clock;
use crate::db::Db;
use crate::error::AppError;
use crate::ops::clock::{StepReport, live_relays, step};

/// One pass over every live relay; each relay's step is its own transaction.
pub async fn tick_once(db: &Db, clock: &Clock) -> Result<Vec<(i64, StepReport)>, AppError> {
    let ids = db.read(live_relays).await?;
    let mut out = Vec::new();
    for id in ids {
        let now = clock.now();
        let report = db.write(move |conn| step(conn, id, now)).await?;
        if !report.applied.is_empty() {
            tracing::info!(relay_id = id, applied = ?report.applied, "scheduler step");
        }
        out.push((id, report));
    }
    Ok(out)
}

/// Ticks every `interval` until the process ends.
pub async fn run_scheduler(db: Db, clock: Clock, interval: Duration) {
    loop {
        if let Err(e) = tick_once(&db, &clock).await {
            tracing::error!(error = %e, "scheduler tick failed");
        }
        tokio::time::sleep(interval).await;
    }
}
