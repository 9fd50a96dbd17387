//! The scheduler's step: apply whatever the clock has made due in one relay.

use chrono::{DateTime, Utc};

use super::{questions, relays};
use crate::db::questions::QuestionRow;
use crate::db::relays::RelayRow;
use crate::db::rounds::RoundRow;
use crate::db::{DbConn, from_db};
use crate::error::AppError;
use crate::relay::deadlines::{self, ClockView, Due, PendingDelivery};

/// What one step did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// Actions applied.
    pub applied: Vec<Due>,
    /// Reroutes that found nobody eligible (tried again next step).
    pub stranded: Vec<i64>,
}

/// What the clock has made due at `now` in relay `relay_id`, with the relay as loaded. Read
/// only: the scheduler looks first and writes only for a relay with something due.
pub fn due(
    conn: &mut DbConn,
    relay_id: i64,
    now: DateTime<Utc>,
) -> Result<(RelayRow, Vec<Due>), AppError> {
    let relay = RelayRow::find(conn, relay_id)?;
    let rounds: Vec<_> = RoundRow::for_relay(conn, relay_id)?
        .iter()
        .map(RoundRow::to_round)
        .collect();
    let pending: Vec<PendingDelivery> = QuestionRow::pending_for_relay(conn, relay_id)?
        .into_iter()
        .map(|q| PendingDelivery {
            question_id: q.id,
            delivered_at: from_db(q.delivered_at),
            reminded: q.reminded_at.is_some(),
        })
        .collect();
    let settings = relay.settings();
    let due = deadlines::due(
        &ClockView {
            state: relay.state(),
            rounds: &rounds,
            rounds_started: usize::try_from(relay.rounds_started).unwrap_or(0),
            settings: &settings,
            pending: &pending,
        },
        now,
    );
    Ok((relay, due))
}

/// Applies everything due at `now` in relay `relay_id`.
pub fn step(conn: &mut DbConn, relay_id: i64, now: DateTime<Utc>) -> Result<StepReport, AppError> {
    let (mut relay, due) = due(conn, relay_id, now)?;
    let mut report = StepReport::default();
    for action in due {
        match action {
            Due::Open => relay = relays::open(conn, relay, now)?,
            Due::StartRound(i) => relay = relays::start_round(conn, relay, i, now)?,
            Due::Remind(qid) => questions::remind(conn, qid, now)?,
            Due::Reroute(qid) => {
                match questions::reroute(conn, qid, None, questions::RerouteReason::Timeout, now) {
                    Ok(_) => {}
                    Err(e) if e.status().is_client_error() => {
                        report.stranded.push(qid);
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            Due::Close => relay = relays::close(conn, relay_id, now)?,
        }
        report.applied.push(action);
    }
    Ok(report)
}

/// Ids of the relays the clock acts on.
pub fn live_relays(conn: &mut DbConn) -> Result<Vec<i64>, AppError> {
    Ok(RelayRow::live(conn)?.into_iter().map(|r| r.id).collect())
}
