//! Open staff feeds follow the scope decision (`auth::scope`) while they stay open: a member
//! removed from the relay's organisation, or made an analyst there, stops receiving its live
//! feed (with its participants' names) at the next sweep, as a new connection would be refused.
//! Credentials that end (logout, expiry, suspension) are `ws::revocation`'s.

use super::hub::{Feed, Hub};
use super::revocation::SWEEP_EVERY;
use crate::auth::access::Denied;
use crate::auth::scope::{self, Decision, Need};
use crate::db::Db;
use crate::db::credentials::Credential;

/// The (relay, credential) pairs of `pairs` whose staff member may no longer run the relay.
async fn withdrawn(db: &Db, pairs: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    let read = db
        .read(move |conn| {
            let mut out = Vec::new();
            for (relay, credential) in pairs {
                // A credential gone or not a staff one is the revocation sweep's to end.
                let Some(user) = Credential::staff_user_of(conn, credential)? else {
                    continue;
                };
                let decision = scope::relay_decision(conn, user, relay, Need::Run)?;
                if !matches!(decision, Decision::Allow(_)) {
                    out.push((relay, credential));
                }
            }
            Ok(out)
        })
        .await;
    read.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "could not re-check the staff feeds of open sockets");
        Vec::new()
    })
}

/// Ends the staff feeds whose member may no longer run their relay.
pub async fn sweep(hub: &Hub, db: &Db) {
    let pairs = hub.staff_listeners();
    if pairs.is_empty() {
        return;
    }
    for (relay, credential) in withdrawn(db, pairs).await {
        hub.end_on(Feed::Staff(relay), credential, Denied::Revoked);
    }
}

/// Sweeps every [`SWEEP_EVERY`] until the process ends.
pub async fn run(hub: Hub, db: Db) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        sweep(&hub, &db).await;
    }
}
