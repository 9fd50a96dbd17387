//! Participants' moves on PostgreSQL commit in groups per relay lane (`Db::write_in`): the
//! moves waiting together share one transaction; a group takes its relays in ascending order,
//! so two instances' groups of the same relays never deadlock; and a group that meets a lost
//! connection is told to try again. That a failed move is undone alone, on both backends, is
//! `system::group_commit`.
//!
//! The server comes from `STAFET_TEST_PG_URL`; without it these tests fail, never skip.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use stafet::db::schema::staff_users;
use stafet::db::staff::StaffUserRow;
use stafet::db::{Db, DbConn, to_db};
use stafet::error::AppError;
use stafet::relay::StaffRole;

use crate::helpers::groups::{Move, add, behind_a_holder, runtime, staff};
use crate::helpers::pg::FreshPg;

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
