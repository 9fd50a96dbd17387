//! The scheduler's step: apply whatever the clock has made due in one relay.

use chrono::{DateTime, Utc};

use super::audit::{self, AuditAction, Entry};
use super::{questions, relays};
use crate::db::questions::QuestionRow;
use crate::db::relays::{RelayOf, RelayRow};
use crate::db::rounds::RoundRow;
use crate::db::{DbConn, from_db};
use crate::error::AppError;
use crate::relay::RuleViolation;
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
            state: relay.state,
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
    RelayRow::lock(conn, RelayOf::Relay(relay_id))?;
    let (mut relay, due) = due(conn, relay_id, now)?;
    let mut report = StepReport::default();
    for action in due {
        match action {
            Due::Open => {
                relay = relays::open(conn, relay, now)?;
                scheduled(conn, AuditAction::RelayOpened, &relay, now)?;
            }
            Due::StartRound(i) => relay = relays::start_round(conn, relay, i, now)?,
            Due::Remind(qid) => questions::remind(conn, qid, now)?,
            Due::Reroute(qid) => {
                match questions::reroute(conn, qid, None, questions::RerouteReason::Timeout, now) {
                    Ok(_) => {}
                    Err(e) if e.rule() == Some(&RuleViolation::NoEligibleRecipient) => {
                        report.stranded.push(qid);
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            Due::Close => {
                relay = relays::close(conn, relay_id, now)?;
                scheduled(conn, AuditAction::RelayClosed, &relay, now)?;
            }
        }
        report.applied.push(action);
    }
    Ok(report)
}

/// Records a step of the relay's schedule in its organisation's audit log, done by the system.
fn scheduled(
    conn: &mut DbConn,
    action: AuditAction,
    relay: &RelayRow,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let entry = Entry::new(action)
        .relay(relay)
        .detail(serde_json::json!({ "by": "schedule" }));
    audit::record(conn, entry, now)
}

/// Ids of the relays the clock acts on.
pub fn live_relays(conn: &mut DbConn) -> Result<Vec<i64>, AppError> {
    Ok(RelayRow::live(conn)?.into_iter().map(|r| r.id).collect())
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use serde_json::json;

    use super::*;
    use crate::ops::participants::{ImportRow, import};
    use crate::ops::relays::{CreateRelay, create, open_now};

    /// A question due to move on when nobody else may take it stays where it is, reported as
    /// stranded, and the step goes on; the refusal is the pairing rule's, not an error.
    #[test]
    fn a_reroute_that_finds_nobody_leaves_the_question_stranded() {
        let (_dir, mut conn) = crate::db::tests::migrated();
        let now = Utc::now();
        let input: CreateRelay = serde_json::from_value(json!({
            "title": "Stafet", "topic": "Ledelse", "purpose": "", "language": "da",
            "timezone": "Europe/Copenhagen", "starts_at": now + Duration::days(1),
            "settings": { "reminder_after_hours": 1, "reroute_after_hours": 2 },
        }))
        .unwrap();
        let (relay, _) = create(&mut conn, input, None, now).unwrap();
        let people = ["a", "b"].map(|n| ImportRow {
            name: format!("Leder {n}"),
            email: format!("{n}@x.dk"),
            group: n.into(),
            title: None,
            organisation: None,
        });
        import(&mut conn, relay.id, people.to_vec(), now).unwrap();
        open_now(&mut conn, relay.id, now).unwrap();
        let asker =
            crate::db::participants::ParticipantRow::for_relay(&mut conn, relay.id).unwrap()[0].id;
        let asked = questions::ask(
            &mut conn,
            asker,
            "Hvordan giver du dine ledere rum til at lede?",
            None,
            now,
        )
        .unwrap();

        let report = step(&mut conn, relay.id, now + Duration::hours(3)).unwrap();

        let qid = asked.question.id;
        assert_eq!(report.stranded, [qid]);
        assert!(!report.applied.contains(&Due::Reroute(qid)), "{report:?}");
        let q = QuestionRow::find(&mut conn, qid).unwrap();
        assert_eq!(
            q.recipient_id, asked.recipient.id,
            "still with its recipient"
        );
    }
}
