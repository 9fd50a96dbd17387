//! Participants' moves on PostgreSQL commit in groups per relay lane (`Db::write_in`): the
//! moves waiting together share one transaction; one that fails is undone alone while the rest
//! of its group commits; and a group takes its relays in ascending order, so two instances'
//! groups of the same relays never deadlock.
//!
//! The server comes from `STAFET_TEST_PG_URL`; without it these tests fail, never skip.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use stafet::db::schema::staff_users;
use stafet::db::staff::StaffUserRow;
use stafet::db::{Db, DbConn, to_db};
use stafet::error::AppError;
use stafet::relay::StaffRole;

use crate::helpers::pg::FreshPg;

type Move<T> = Box<dyn FnMut(&mut DbConn) -> Result<T, AppError> + Send>;
type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Queues `moves` (relay, work) on `db`'s lanes in this order while a first move holds the
/// lane of relay `hold`, then lets it go: the moves of that lane wait together and run as one
/// group. `queued` runs once they are all queued, before the lane is let go.
async fn behind_a_holder<T: Send + 'static>(
    db: &Db,
    hold: i64,
    moves: Vec<(i64, Move<T>)>,
    queued: impl FnOnce(),
) -> Vec<Result<T, AppError>> {
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let holder = {
        let db = db.clone();
        tokio::spawn(async move {
            db.write_in(hold, move |_| {
                let _ = started_tx.send(());
                let _ = release_rx.recv();
                Ok(())
            })
            .await
        })
    };
    tokio::task::spawn_blocking(move || started_rx.recv())
        .await
        .unwrap()
        .unwrap();
    let mut pending: Vec<Pending<'_, T>> = moves
        .into_iter()
        .map(|(relay, mut work)| Box::pin(db.write_in(relay, move |c| work(c))) as _)
        .collect();
    // The first poll of a move queues it.
    for fut in &mut pending {
        std::future::poll_fn(|cx| {
            let _ = fut.as_mut().poll(cx);
            std::task::Poll::Ready(())
        })
        .await;
    }
    queued();
    release_tx.send(()).unwrap();
    holder.await.unwrap().unwrap();
    let mut out = Vec::new();
    for fut in pending {
        out.push(fut.await);
    }
    out
}

/// Inserts a staff user named `email`; the table's UNIQUE email lets a move fail on purpose.
fn add(c: &mut DbConn, email: &str) -> Result<i64, AppError> {
    let now = to_db(chrono::Utc::now());
    Ok(StaffUserRow::insert(c, email, StaffRole::Analyst, "x", now)?.id)
}

fn staff(rt: &tokio::runtime::Runtime, db: &Db, email: &'static str) -> i64 {
    rt.block_on(db.read(move |c| {
        Ok(staff_users::table
            .filter(staff_users::email.eq(email))
            .count()
            .get_result::<i64>(c)?)
    }))
    .unwrap()
}

#[derive(QueryableByName)]
struct Txid {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    txid: i64,
}

fn txid(c: &mut DbConn) -> Result<i64, AppError> {
    Ok(diesel::sql_query("SELECT txid_current() AS txid")
        .get_result::<Txid>(c)?
        .txid)
}

#[test]
fn moves_waiting_together_commit_in_one_transaction() {
    let pg = FreshPg::create();
    let db = pg.open(1);
    let rt = runtime();
    let moves: Vec<(i64, Move<i64>)> = (0..6_i64)
        .map(|i| (i % 3, Box::new(txid) as Move<i64>))
        .collect();
    let txids = rt.block_on(behind_a_holder(&db, 0, moves, || ()));
    let txids: Vec<i64> = txids.into_iter().map(Result::unwrap).collect();
    assert!(
        txids.iter().all(|t| *t == txids[0]),
        "one transaction for the group: {txids:?}"
    );
    let alone = rt.block_on(db.write_in(1, txid)).unwrap();
    assert_ne!(
        alone, txids[0],
        "the next move starts a transaction of its own"
    );
}

#[test]
fn a_move_failing_in_a_group_is_undone_alone_and_the_rest_commits() {
    let pg = FreshPg::create();
    let db = pg.open(1);
    let rt = runtime();
    let moves: Vec<(i64, Move<()>)> = vec![
        (1, Box::new(|c| add(c, "a@x.dk").map(drop))),
        // Writes, then fails: only its own row must go.
        (
            2,
            Box::new(|c| {
                add(c, "b@x.dk")?;
                Err(AppError::validation("changed my mind"))
            }),
        ),
        // Fails in the database (a repeated email) after one good insert: PostgreSQL takes no
        // more statements in that transaction, so the group runs again with savepoints.
        (
            3,
            Box::new(|c| {
                add(c, "c@x.dk")?;
                add(c, "a@x.dk").map(drop)
            }),
        ),
        // Panics after writing.
        (
            4,
            Box::new(|c| {
                add(c, "d@x.dk")?;
                panic!("a bug after writing")
            }),
        ),
        (5, Box::new(|c| add(c, "e@x.dk").map(drop))),
    ];
    let results = rt.block_on(behind_a_holder(&db, 0, moves, || ()));
    let statuses: Vec<u16> = results
        .iter()
        .map(|r| r.as_ref().map_or_else(|e| e.status().as_u16(), |()| 200))
        .collect();
    assert_eq!(statuses[0], 200);
    assert_eq!(statuses[1], 422);
    assert_ne!(statuses[2], 200, "the repeated email fails");
    assert_eq!(statuses[3], 500);
    assert_eq!(statuses[4], 200);
    for (email, n) in [
        ("a@x.dk", 1),
        ("b@x.dk", 0),
        ("c@x.dk", 0),
        ("d@x.dk", 0),
        ("e@x.dk", 1),
    ] {
        assert_eq!(staff(&rt, &db, email), n, "{email}");
    }
    rt.block_on(db.write_in(1, |c| add(c, "f@x.dk")))
        .expect("the lane goes on");
    assert_eq!(staff(&rt, &db, "f@x.dk"), 1);
}

/// Waits until `n` moves hold their first row, or `limit` passes: returns whether they all did.
fn meet(place: &(Mutex<usize>, Condvar), n: usize, limit: Duration) -> bool {
    let (count, turn) = place;
    let mut count = count.lock().unwrap();
    *count += 1;
    turn.notify_all();
    let (count, _) = turn.wait_timeout_while(count, limit, |c| *c < n).unwrap();
    *count >= n
}

/// Two instances each hold a group with a move of relay `low` and one of relay `high`, queued
/// in opposite orders. Taken in arrival order, each group would hold one row the other wants
/// next: a deadlock PostgreSQL breaks by aborting one, which runs again. In ascending relay
/// order both groups want `low` first, so one simply waits for the other, and every move runs
/// once.
#[test]
fn two_instances_groups_of_the_same_relays_never_deadlock() {
    let pg = FreshPg::create();
    let (a, b) = (pg.open(1), pg.open(1));
    let now = to_db(chrono::Utc::now());
    let (low, high) = runtime()
        .block_on(a.write(move |c| {
            let low = StaffUserRow::insert(c, "low@x.dk", StaffRole::Analyst, "x", now)?;
            let high = StaffUserRow::insert(c, "high@x.dk", StaffRole::Analyst, "x", now)?;
            Ok((low.id, high.id))
        }))
        .unwrap();
    let place = Arc::new((Mutex::new(0_usize), Condvar::new()));
    let runs = Arc::new(Mutex::new(0_usize));
    // A move of relay `id` that takes its row, and on its first run waits (at most a second)
    // for the other instance's move to take one too.
    let take = |id: i64| -> (i64, Move<bool>) {
        let (place, runs) = (place.clone(), runs.clone());
        let mut first = true;
        (
            id,
            Box::new(move |c| {
                *runs.lock().unwrap() += 1;
                diesel::update(staff_users::table.find(id))
                    .set(staff_users::is_suspended.eq(true))
                    .execute(c)?;
                let both = first && meet(&place, 2, Duration::from_secs(1));
                first = false;
                Ok(both)
            }),
        )
    };
    // Both holders are let go once both instances have queued their moves. Each instance on a
    // thread of its own: the gate blocks.
    let gate = Arc::new((Mutex::new(0_usize), Condvar::new()));
    let group = |db: Db, moves: Vec<(i64, Move<bool>)>| {
        let gate = gate.clone();
        std::thread::spawn(move || {
            runtime().block_on(behind_a_holder(&db, 0, moves, move || {
                assert!(meet(&gate, 2, Duration::from_secs(10)), "both queued");
            }))
        })
    };
    let one = group(a, vec![take(high), take(low)]);
    let two = group(b, vec![take(low), take(high)]);
    for result in one.join().unwrap().into_iter().chain(two.join().unwrap()) {
        result.unwrap();
    }
    assert_eq!(
        *runs.lock().unwrap(),
        4,
        "every move ran once: no deadlock aborted a group"
    );
}

#[derive(QueryableByName)]
struct Ended {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    ended: i64,
}

/// A lane whose connection the server ended a moment after its last use (a restart, a
/// failover): the moves of the group that meets it are told 503 `unavailable`, to try again,
/// never 500; nothing of theirs is stored; and the next move gets a fresh connection.
#[test]
fn a_group_that_meets_a_lost_connection_is_told_to_try_again() {
    let pg = FreshPg::create();
    let db = pg.open(1);
    let rt = runtime();
    rt.block_on(db.write_in(1, |c| add(c, "before@x.dk")))
        .unwrap();
    let ended = diesel::sql_query(
        "SELECT count(pg_terminate_backend(pid)) AS ended FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .get_result::<Ended>(&mut pg.connect())
    .unwrap()
    .ended;
    assert!(ended >= 1, "the lane had a session open");
    let cut = rt
        .block_on(db.write_in(1, |c| add(c, "cut@x.dk")))
        .expect_err("the lane's connection was ended");
    assert_eq!(cut.status().as_u16(), 503, "{cut:?}");
    assert_eq!(cut.code(), "unavailable");
    rt.block_on(db.write_in(1, |c| add(c, "after@x.dk")))
        .expect("a fresh connection");
    assert_eq!(staff(&rt, &db, "cut@x.dk"), 0);
    assert_eq!(staff(&rt, &db, "after@x.dk"), 1);
}
