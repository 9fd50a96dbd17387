//! Open websockets lose access when their credential does (SPEC §4: "suspension, logout and
//! revocation end the socket within a second").
//!
//! The database is the only source: a socket is never ended by a message from the request that
//! revoked it, so a revocation made by another process (the CLI, or another instance on the
//! same database) ends sockets here just the same. Two paths read it:
//!
//! - A sweep re-checks the credentials of all open sockets with [`access::check`], the rule
//!   every request passes, in one query: every [`SWEEP_EVERY`], and soon after a local commit
//!   (at most once per [`MIN_GAP`]), only while sockets are open. A logout, a deleted or
//!   expired credential, a suspended account and a participant link past its relay's end all
//!   end their sockets this way.
//! - A suspension also writes `participant_suspended` into the participant's own feed, in the
//!   transaction that suspends. A connection re-checks its credential before it sends that
//!   event or anything after it, so not even the events of the suspension itself (its
//!   questions passed on) nor an answer that lands a moment later reach a suspended participant.
//!
//! A closed relay does not end its participants' sockets: their links keep working for
//! `server.link_valid_days_after_close` days (to read the output); the sweep ends them after.

use std::collections::HashMap;
use std::time::Duration;

use super::hub::Hub;
use crate::auth::access::{self, Denied, Lifetimes};
use crate::clock::Clock;
use crate::db::Db;
use crate::db::credentials::Credential;
use crate::db::events::EventRow;
use crate::relay::EventKind;
use crate::state::AppState;

/// The longest an open socket goes without its credential being re-checked.
pub const SWEEP_EVERY: Duration = Duration::from_millis(500);
/// The shortest time between two sweeps, however many commits there are. A sweep of 1,000
/// open sockets' credentials is one query of about 6 ms in a debug build (on PostgreSQL 7 ms
/// for 500, in a busy server), and under load every moment has a commit: at most two and a
/// half sweeps a second keeps that within a few percent of a core, and a socket whose
/// credential a local commit revoked still ends within half a second.
pub const MIN_GAP: Duration = Duration::from_millis(400);

/// Whether `e` may end the access of the connections that receive it.
pub fn may_end_access(e: &EventRow) -> bool {
    e.participant_id.is_some() && e.kind == EventKind::ParticipantSuspended
}

/// Checks credentials against the database at the current time.
#[derive(Clone)]
pub struct Checker {
    db: Db,
    clock: Clock,
    lifetimes: Lifetimes,
}

impl Checker {
    /// A checker reading `db` at `clock`'s time, with the configured `lifetimes`.
    pub fn new(db: Db, clock: Clock, lifetimes: Lifetimes) -> Self {
        Self {
            db,
            clock,
            lifetimes,
        }
    }

    /// The checker of a running application.
    pub fn of(state: &AppState) -> Self {
        Self::new(
            state.db.clone(),
            state.clock.clone(),
            Lifetimes::of(&state.settings),
        )
    }

    /// The database it reads.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Which of `ids` no longer grant access, and why. A failed read ends nothing.
    pub async fn denied(&self, ids: Vec<i64>) -> Vec<(i64, Denied)> {
        let wanted = ids.clone();
        let found = match self
            .db
            .read(move |conn| Ok(Credential::standings(conn, &wanted)?))
            .await
        {
            Ok(found) => found.into_iter().collect::<HashMap<_, _>>(),
            Err(e) => {
                tracing::warn!(error = %e, "could not re-check the credentials of open sockets");
                return Vec::new();
            }
        };
        let now = self.clock.now();
        ids.into_iter()
            .filter_map(|id| {
                let verdict = match found.get(&id) {
                    None => Err(Denied::Revoked),
                    Some(standing) => access::check(standing, now, self.lifetimes),
                };
                verdict.err().map(|why| (id, why))
            })
            .collect()
    }

    /// Whether credential `id` still grants access.
    pub async fn check(&self, id: i64) -> Result<(), Denied> {
        match self.denied(vec![id]).await.first() {
            Some(&(_, why)) => Err(why),
            None => Ok(()),
        }
    }

    /// Ends the sockets of every credential that no longer grants access.
    pub async fn sweep(&self, hub: &Hub) {
        let ids = hub.credentials();
        if ids.is_empty() {
            return;
        }
        for (id, why) in self.denied(ids).await {
            hub.end(id, why);
        }
    }
}

/// Sweeps until the process ends.
pub async fn run(hub: Hub, checker: Checker) {
    let mut commits = checker.db.commits();
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            changed = commits.changed() => if changed.is_err() { return },
        }
        checker.sweep(&hub).await;
        // Commits during the pause mark the watch changed once; the next sweep serves them all.
        tokio::time::sleep(MIN_GAP).await;
    }
}
