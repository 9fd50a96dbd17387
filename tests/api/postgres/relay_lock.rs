//! What only PostgreSQL has: several writers at once. Relay rules hold when two servers on one
//! database take the same relay's requests together (each relay-scoped write locks the relay's
//! row first), and a write the database aborts for a deadlock runs again and succeeds.
//!
//! The server comes from `STAFET_TEST_PG_URL`; without it these tests fail, never skip. They run
//! in both passes of the suite.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;
use stafet::db::schema::staff_users;
use stafet::db::staff::StaffUserRow;
use stafet::db::to_db;
use stafet::relay::StaffRole;

use crate::helpers::live;
use crate::helpers::pg::FreshPg;
use crate::helpers::{self, app_on_fresh_pg, to_res};

/// How many asks race for the one baton.
const ASKS: usize = 20;

#[test]
fn twenty_asks_on_one_baton_across_two_servers_succeed_exactly_once() {
    let (_pg, app) = app_on_fresh_pg();
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
/// first run only, so a later run goes through.
#[test]
fn a_write_aborted_by_a_deadlock_runs_again_and_succeeds() {
    let pg = FreshPg::create();
    let db = pg.open(4);
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
    assert!(
        one.max(two) >= 2,
        "the write the deadlock aborted ran again: {one} and {two} runs"
    );
    assert_eq!(runs.load(Ordering::SeqCst), one + two);
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

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// Another writer's transaction that has taken an event id in `relay` for `participant` and
/// not committed yet; returns it and the id.
fn hold_event(app: &helpers::TestApp, relay: i64, participant: i64) -> (stafet::db::DbConn, i64) {
    let mut writer = app.connect();
    writer.batch_execute("BEGIN").unwrap();
    let held = diesel::sql_query(format!(
        "INSERT INTO events (relay_id, participant_id, kind, data, created_at) \
         VALUES ({relay}, {participant}, 'reminder', '{{\"question_id\": 0}}', now()) \
         RETURNING id"
    ))
    .get_result::<Id>(&mut writer)
    .unwrap()
    .id;
    (writer, held)
}

/// `who` asks a question in their (auto mode) relay: a commit with higher event ids.
fn ask(app: &helpers::TestApp, who: &helpers::Person) {
    let res = app.post(
        "/api/me/questions",
        Some(&who.token),
        &json!({ "text": "Hvad lærte du sidst af en kollega?" }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
}

/// A server on a fresh database with two open relays, A (2 people) and B (3): the database
/// (dropped when it goes), the app, A's id and people, and B's people.
fn two_relays() -> (
    FreshPg,
    helpers::TestApp,
    i64,
    Vec<helpers::Person>,
    Vec<helpers::Person>,
) {
    let (pg, app) = app_on_fresh_pg();
    let (relay_a, a) = app.open_relay(2, json!({}));
    let (_, b) = app.open_relay(3, json!({}));
    (pg, app, relay_a, a, b)
}

/// Fails unless event `id` reaches `ws` within 10 s.
fn assert_pushed(ws: &mut live::Live, id: i64) {
    let got = ws.read_until(Duration::from_secs(10), |e| e["id"] == id);
    assert!(
        live::ids(&got).contains(&id),
        "event {id} was never pushed: {got:?}"
    );
}

/// Ids come from a sequence at insert, not at commit: relay B's event may commit with a higher
/// id while relay A's write still holds a lower one. The live feed, which moved past the lower
/// id, still pushes that event once it commits.
#[test]
fn an_event_committed_after_a_higher_id_of_another_relay_is_still_pushed() {
    let (_pg, app, relay_a, a, b) = two_relays();
    let mut ws = live::connect(&app.base, &format!("token={}", a[0].token));
    ws.read_for(Duration::from_millis(500));

    let (mut writer, held) = hold_event(&app, relay_a, a[0].id);
    // Relay B commits a higher id meanwhile, and the live feed reads past the held one.
    ask(&app, &b[0]);
    std::thread::sleep(Duration::from_millis(500));
    writer.batch_execute("COMMIT").unwrap();
    // The next commit wakes the live feed.
    ask(&app, &b[1]);

    assert_pushed(&mut ws, held);
}

/// A connection opened while another relay's higher id is committed and a lower id of its own
/// relay is not yet starts at the end of its own relay, so that event still reaches it live.
#[test]
fn a_connection_opened_past_another_relays_higher_id_still_gets_its_own_relays_lower_one() {
    let (_pg, app, relay_a, a, b) = two_relays();

    let (mut writer, held) = hold_event(&app, relay_a, a[0].id);
    ask(&app, &b[0]);
    let mut ws = live::connect(&app.base, &format!("token={}", a[0].token));
    ws.read_for(Duration::from_millis(500));
    writer.batch_execute("COMMIT").unwrap();
    ask(&app, &b[1]);

    assert_pushed(&mut ws, held);
}
