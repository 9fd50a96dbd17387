//! PostgreSQL: the writes of participants' moves, committed in groups per relay.
//!
//! An ask or an answer belongs to one relay, whose row it locks first (`backend::lock_relay`).
//! Run each in a transaction of its own, and the writes of one busy relay queue for its lock,
//! each holding a connection and a thread while it waits, and each pays a `BEGIN`, a `COMMIT`
//! and a WAL flush of its own. Here every relay belongs to one of a few lanes (its id modulo
//! their number); a lane is a thread that takes the moves waiting for it, runs them in one
//! transaction in ascending relay order, and commits once, as the SQLite writer does for
//! everything. Moves of a relay that arrive at this instance at once then never wait for each
//! other's locks, and one commit serves them all.
//!
//! - **Order.** A group takes its relays' locks in ascending id order, like every write that
//!   locks several, so two instances' groups cannot wait on each other in a cycle.
//! - **What is free first.** A group takes at once the relays no other transaction holds and
//!   leaves the moves of the others to the next group, which waits for those; it waits for one
//!   only when it could take none ([`held::hold`]). With several instances, the groups of one
//!   lane's relays then run side by side on the relays each got instead of taking turns.
//! - **Failures** are the writer's: a move that fails rolls the group back, which runs again
//!   with a savepoint around each move, so the failed move's changes alone are undone; a
//!   transaction PostgreSQL aborts for a serialization failure or a deadlock runs again from
//!   the start. A move may therefore run twice, as [`Db::write`](super::Db::write) says.
//! - **Relays locked once.** The group locks its relays in one statement at its start (two or
//!   three when it must wait) and its moves find their relay's row there ([`held`]), instead
//!   of a lock statement each.
//! - **Credentials checked once.** A move that checks its own credential (`auth::moves`)
//!   finds its standing loaded with those of its whole group, in one statement after the
//!   relays' locks ([`held::hold_credentials`]).
//! - **Appended rows last.** While a group runs without savepoints, the events and emails its
//!   moves append wait for its end and go in one statement per table ([`deferred`]).
//! - **After the commit** the lane tells the rest of the instance and the other instances what
//!   changed, as every PostgreSQL write does ([`PooledWrites::committed`]).

use std::sync::{Arc, PoisonError, mpsc};
use std::time::Duration;

use anyhow::Context as _;
use diesel::prelude::*;
use diesel::r2d2::Pool;

use super::writer::{GroupFailed, Job, job, take_group};
use super::{Connector, DbConn, PooledWrites, backend, deferred, event_signal, held};
use crate::error::AppError;

/// Most moves committed in one transaction: a group holds its relays' locks until its commit,
/// so the other instances' moves of those relays wait for the whole group.
const MAX_GROUP: usize = 64;

/// A move waiting for its lane.
struct Queued {
    /// The relay it belongs to.
    relay: i64,
    /// The credential it checks itself, if any ([`held::hold_credentials`]).
    credential: Option<i64>,
    job: Box<dyn Job>,
    /// A group left it to the next because another instance held its relay: the next group
    /// waits for that relay ([`held::hold`]).
    skipped: bool,
}

/// The lanes of one instance, shared by every clone of [`Db`](super::Db). A lane's thread ends
/// when its queue does, with the last clone.
pub(super) struct Lanes {
    queues: Vec<mpsc::Sender<Queued>>,
}

impl Lanes {
    /// Starts `count` lanes, each writing on a connection of a pool of their own.
    pub(super) fn start(
        connector: &Connector,
        count: u32,
        writes: Arc<PooledWrites>,
    ) -> anyhow::Result<Self> {
        let count = count.max(1);
        let pool = connector.pool(count)?;
        let mut queues = Vec::new();
        for lane in 0..count {
            let (tx, rx) = mpsc::channel::<Queued>();
            let pool = pool.clone();
            let writes = writes.clone();
            std::thread::Builder::new()
                .name(format!("stafet-lane-{lane}"))
                .spawn(move || lane_loop(&pool, &rx, &writes))
                .context("starting a write lane")?;
            queues.push(tx);
        }
        Ok(Self { queues })
    }

    /// Runs `f`, a write of relay `relay_id`'s that checks credential `credential` (if any), in
    /// its lane's next group and returns its outcome once that group is committed.
    pub(super) async fn run<T, F>(
        &self,
        relay_id: i64,
        credential: Option<i64>,
        f: F,
    ) -> Result<T, AppError>
    where
        F: FnMut(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (job, rx) = job(f);
        let lane = relay_id.rem_euclid(self.queues.len() as i64) as usize;
        let stopped = || AppError::internal(anyhow::anyhow!("a write lane has stopped"));
        self.queues[lane]
            .send(Queued {
                relay: relay_id,
                credential,
                job,
                skipped: false,
            })
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

/// A lane: takes the moves waiting (up to [`MAX_GROUP`]), runs them in one transaction, commits
/// once, answers them all, and tells the instance what the commit changed.
fn lane_loop(pool: &Pool<Connector>, rx: &mpsc::Receiver<Queued>, writes: &PooledWrites) {
    // Moves taken from the queue by a group that did not hold their relays: older than any
    // still queued, so the next group starts with them.
    let mut carried = Vec::new();
    while let Some(mut group) = next_group(rx, &mut carried) {
        let first = group.first().map(|q| q.relay);
        // Stable: a relay's moves keep the order they came in.
        group.sort_by_key(|q| q.relay);
        let joiner = Joiner {
            rx,
            carried: &mut carried,
        };
        let commit = match pool.get() {
            Ok(mut conn) => run_group(&mut conn, &mut group, first, Some(joiner)),
            Err(e) => Err(GroupFailed::Lost(format!("no database connection: {e}"))),
        };
        let touched = event_signal::take();
        match &commit {
            Ok(()) => writes.committed(touched),
            Err(e) => tracing::error!(error = %e, "a group of moves failed to commit"),
        }
        for q in group {
            q.job.complete(commit.as_ref().map(|_| ()));
        }
    }
}

/// The moves a lane runs next: those carried over from the last group first, then those
/// queued, at most [`MAX_GROUP`]; `None` once every sender is gone and nothing is carried.
fn next_group(rx: &mpsc::Receiver<Queued>, carried: &mut Vec<Queued>) -> Option<Vec<Queued>> {
    if carried.is_empty() {
        return take_group(rx, MAX_GROUP);
    }
    let mut group: Vec<Queued> = carried.drain(..carried.len().min(MAX_GROUP)).collect();
    while group.len() < MAX_GROUP {
        match rx.try_recv() {
            Ok(next) => group.push(next),
            Err(_) => break,
        }
    }
    Some(group)
}

/// Takes into a group, once it holds its relays, the moves of those relays that came while it
/// took them. With several instances a group often waits there for another instance's group of
/// the same relays; what arrives meanwhile then commits with it instead of in a group of its
/// own that would wait again, so each wait and each commit serve more moves.
struct Joiner<'a> {
    rx: &'a mpsc::Receiver<Queued>,
    /// Where the moves it takes from the queue for relays the group does not hold go.
    carried: &'a mut Vec<Queued>,
}

impl Joiner<'_> {
    /// Leaves `skipped`, moves of relays the group could not take, to the next group, before
    /// anything carried already: they came before it.
    fn carry_first(&mut self, skipped: Vec<Queued>) {
        self.carried.splice(0..0, skipped);
    }

    /// The queued moves of relays the group holds (`holds`), as many as `room` takes; the others
    /// it takes go to the next group.
    fn join(&mut self, room: usize, holds: impl Fn(i64) -> bool) -> Vec<Queued> {
        let mut joined = Vec::new();
        for _ in 0..room {
            let Ok(next) = self.rx.try_recv() else {
                break;
            };
            if holds(next.relay) {
                joined.push(next);
            } else {
                self.carried.push(next);
            }
        }
        joined
    }
}

/// How a group's transaction ended early.
enum GroupAbort {
    /// A move failed (or panicked): run the group again, a savepoint around each move.
    Replay,
    /// PostgreSQL aborted the transaction for a serialization failure or a deadlock.
    Transient,
    /// The database failed.
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for GroupAbort {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

/// Most times a group runs before a serialization failure or deadlock is its answer.
const MAX_ATTEMPTS: u32 = 8;

/// Runs `group` (sorted by relay; `first` the relay of its oldest move) in one transaction
/// until it commits: again with savepoints after a move failed, again from the start after
/// PostgreSQL aborted it for a reason that may pass. On its first run the group waits only for
/// the relays it must ([`held::hold`]); the moves of relays it did not get go back to `joiner`
/// for the next group, and once it holds its relays it takes in what `joiner` brings. Run again,
/// it waits for all its relays.
fn run_group(
    conn: &mut DbConn,
    group: &mut Vec<Queued>,
    first: Option<i64>,
    mut joiner: Option<Joiner<'_>>,
) -> Result<(), GroupFailed> {
    let mut isolated = false;
    let mut attempt = 1;
    loop {
        // A group run again appends its events again.
        event_signal::clear();
        let result = conn.transaction::<(), GroupAbort, _>(|c| {
            // Without savepoints, the rows moves only append wait for the end of the group.
            let collected = (!isolated).then(deferred::collect);
            // The group's relays, locked once for all its moves: on its first run those free now
            // and those its moves left over by the last group wait for; run again, all.
            let relays = |skipped: bool| -> Vec<i64> {
                group
                    .iter()
                    .filter(|q| joiner.is_none() || q.skipped == skipped)
                    .map(|q| q.relay)
                    .collect()
            };
            let (wait, free) = (relays(true), relays(false));
            let holding = match c {
                DbConn::Pg(pg) if joiner.is_some() => Some(held::hold(pg, &wait, &free, first)?),
                DbConn::Pg(pg) => Some(held::hold(pg, &wait, &[], None)?),
                DbConn::Sqlite(_) => None,
            };
            if let (Some(holding), Some(mut joiner)) = (&holding, joiner.take()) {
                // A relay waited for and not held is not there: its moves run and miss it.
                let (kept, skipped): (Vec<Queued>, Vec<Queued>) = std::mem::take(group)
                    .into_iter()
                    .partition(|q| q.skipped || holding.holds(q.relay));
                *group = kept;
                joiner.carry_first(
                    skipped
                        .into_iter()
                        .map(|q| Queued { skipped: true, ..q })
                        .collect(),
                );
                let joined = joiner.join(MAX_GROUP.saturating_sub(group.len()), |relay| {
                    holding.holds(relay)
                });
                if !joined.is_empty() {
                    group.extend(joined);
                    // Stable: the moves that joined came after those of their relay already here.
                    group.sort_by_key(|q| q.relay);
                }
            }
            // Under those locks, the standings of the credentials its moves check.
            if holding.is_some() {
                let credentials: Vec<i64> = group.iter().filter_map(|q| q.credential).collect();
                held::hold_credentials(c, &credentials)?;
            }
            for q in group.iter_mut() {
                if let Some(holding) = &holding {
                    holding.running(q.relay);
                }
                if q.job.run(c, isolated) {
                    continue;
                }
                if q.job.transient() {
                    return Err(GroupAbort::Transient);
                }
                if !isolated {
                    // PostgreSQL cannot tell whether the move changed rows before it failed,
                    // and after a failed statement the transaction takes no more.
                    return Err(GroupAbort::Replay);
                }
            }
            if let Some(rows) = collected {
                rows.finish(c).map_err(|e| match GroupFailed::of(&e) {
                    _ if backend::is_transient(&e) => GroupAbort::Db(e),
                    GroupFailed::Lost(_) => GroupAbort::Db(e),
                    // Some move's rows were refused: with savepoints, each writes its own.
                    GroupFailed::Failed(_) => GroupAbort::Replay,
                })?;
            }
            Ok(())
        });
        let why = match result {
            Ok(()) => return Ok(()),
            // Only a run without savepoints asks for this: it cannot come twice.
            Err(GroupAbort::Replay) => {
                isolated = true;
                continue;
            }
            Err(GroupAbort::Transient) => None,
            Err(GroupAbort::Db(e)) if backend::is_transient(&e) => None,
            Err(GroupAbort::Db(e)) => Some(GroupFailed::of(&e)),
        };
        if let Some(why) = why {
            return Err(why);
        }
        if attempt >= MAX_ATTEMPTS {
            return Err(GroupFailed::Failed(
                "aborted by the database again and again".into(),
            ));
        }
        tracing::debug!(attempt, "a group of moves aborted by the database; again");
        std::thread::sleep(Duration::from_millis(5 << attempt.min(6)));
        attempt += 1;
    }
}

impl PooledWrites {
    /// After a commit on PostgreSQL: the live hub learns the relays `touched`, everything that
    /// waits for a commit wakes, and the other instances are told.
    pub(super) fn committed(&self, touched: Vec<i64>) {
        self.touched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(touched.iter().copied());
        self.commits.send_modify(|n| *n += 1);
        if !touched.is_empty() {
            self.notifier.notify(touched);
        }
    }
}
