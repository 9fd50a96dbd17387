//! What only PostgreSQL has: several writers at once. Relay rules hold when two servers on one
//! database take the same relay's requests together (each relay-scoped write locks the relay's
//! row first), and a write the database aborts for a deadlock runs again and succeeds.
//!
//! The server comes from `STAFET_TEST_PG_URL`; without it these tests fail, never skip. They run
//! in both passes of the suite.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use common::pg::FreshPg;
use common::{spawn_app_with, to_res};
use diesel::prelude::*;
use serde_json::json;
use stafet::db::schema::staff_users;
use stafet::db::staff::StaffUserRow;
use stafet::db::{Db, DbOptions, Target, to_db};
use stafet::relay::StaffRole;

/// How many asks race for the one baton.
const ASKS: usize = 20;

#[test]
fn twenty_asks_on_one_baton_across_two_servers_succeed_exactly_once() {
    let pg = FreshPg::create();
    let url = pg.url();
    let app = spawn_app_with(move |s| s.database.url = url);
    let other = app.another_instance();
    let (_relay, people) = app.open_relay(8, json!({}));
    let asker = people[0].token.clone();
    let me = app.get("/api/me", Some(&asker));
    assert_eq!(me.body["batons"], 1, "{}", me.text);

    let bases = [app.base.clone(), other];
    let start = Arc::new(Barrier::new(ASKS));
    let asks: Vec<_> = (0..ASKS)
        .map(|i| {
            let (base, token, start) = (bases[i % 2].clone(), asker.clone(), start.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let body = json!({ "text": format!("Hvad lærte du af forsøg nummer {i}?") });
                start.wait();
                to_res(
                    agent
                        .post(format!("{base}/api/me/questions"))
                        .header("Authorization", format!("Bearer {token}"))
                        .content_type("application/json")
                        .send(body.to_string().as_bytes()),
                )
            })
        })
        .collect();
    let results: Vec<_> = asks.into_iter().map(|t| t.join().unwrap()).collect();

    let asked: Vec<_> = results.iter().filter(|r| r.status == 201).collect();
    assert_eq!(
        asked.len(),
        1,
        "exactly one ask takes the baton: {results:#?}"
    );
    for refused in results.iter().filter(|r| r.status != 201) {
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert_eq!(refused.code(), "no_baton", "{}", refused.text);
    }
    assert_eq!(app.count("questions"), 1, "one question stored");
    assert_eq!(app.get("/api/me", Some(&asker)).body["batons"], 0);
    app.assert_counters_consistent();
}

/// Two writes that take two rows in opposite orders deadlock; PostgreSQL aborts one, which runs
/// again by itself and succeeds. Each write waits for the other to hold its first row on its
/// first run only, so the second run goes through.
#[test]
fn a_write_aborted_by_a_deadlock_runs_again_and_succeeds() {
    let pg = FreshPg::create();
    let db = Db::open(
        &Target::Postgres(pg.url()),
        &DbOptions {
            synchronous: "FULL".into(),
            busy_timeout_ms: 5000,
            pool_size: 4,
            bulk_pool_size: 1,
        },
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let now = to_db(chrono::Utc::now());
    let (a, b) = rt
        .block_on(db.write(move |c| {
            let a = StaffUserRow::insert(c, "a@x.dk", StaffRole::Analyst, "x", now)?;
            let b = StaffUserRow::insert(c, "b@x.dk", StaffRole::Analyst, "x", now)?;
            Ok((a.id, b.id))
        }))
        .unwrap();

    let both_hold_one = Arc::new(Barrier::new(2));
    let runs = Arc::new(AtomicUsize::new(0));
    let write = |first: i64, second: i64| {
        let (both_hold_one, runs, db) = (both_hold_one.clone(), runs.clone(), db.clone());
        let mut run = 0;
        async move {
            db.write(move |c| {
                run += 1;
                runs.fetch_add(1, Ordering::SeqCst);
                for (i, id) in [first, second].into_iter().enumerate() {
                    diesel::update(staff_users::table.find(id))
                        .set(staff_users::is_suspended.eq(true))
                        .execute(c)?;
                    if i == 0 && run == 1 {
                        both_hold_one.wait();
                    }
                }
                Ok(run)
            })
            .await
        }
    };
    let (one, two) = rt.block_on(async { tokio::join!(write(a, b), write(b, a)) });
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(
        [one.min(two), one.max(two)],
        [1, 2],
        "one write ran once, the one the deadlock aborted ran twice"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    let suspended = rt
        .block_on(db.read(|c| {
            Ok(staff_users::table
                .filter(staff_users::is_suspended.eq(true))
                .count()
                .get_result::<i64>(c)?)
        }))
        .unwrap();
    assert_eq!(suspended, 2);
}
