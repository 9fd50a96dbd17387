//! The scheduler as the server runs it: a relay whose step fails is logged and skipped, and
//! every other relay still opens, reminds and closes on time.

use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with};

#[track_caller]
fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    // Generous: the scheduler ticks every 50 ms, but the machine may be loaded.
    let deadline = Instant::now() + StdDuration::from_secs(30);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(StdDuration::from_millis(50));
    }
}

fn state(app: &TestApp, relay: i64) -> String {
    app.get(&format!("/api/relays/{relay}"), Some(&app.token))
        .body["state"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Stores a value in `relay`'s rounds that no longer reads as a time, as a damaged or hand-
/// edited database would: every step of that relay then fails when it loads the rounds.
fn corrupt_rounds(app: &TestApp, relay: i64) {
    let mut conn = diesel::SqliteConnection::establish(app.db_path.to_str().unwrap()).unwrap();
    conn.batch_execute("PRAGMA busy_timeout = 10000").unwrap();
    diesel::sql_query("UPDATE rounds SET starts_at = 'not a time' WHERE relay_id = ?")
        .bind::<diesel::sql_types::BigInt, _>(relay)
        .execute(&mut conn)
        .unwrap();
}

#[test]
fn a_relay_whose_step_fails_does_not_stop_the_scheduler_for_the_others() {
    // The server's own scheduler, ticking often; the manual clock decides what is due.
    let app = spawn_app_with(|s| s.scheduler.tick_ms = 50);
    // The broken relay comes first, so the scheduler reaches it before the healthy one.
    let (broken, _) = app.open_relay(2, json!({}));
    let (healthy, people) = app.open_relay(2, json!({ "reminder_after_hours": 12 }));
    assert!(broken < healthy);
    let asked = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvordan giver du dine ledere rum til at lede?" }),
    );
    assert_eq!(asked.status, 201, "{}", asked.text);
    let qid = asked.body["id"].as_i64().unwrap();
    corrupt_rounds(&app, broken);

    // The reminder of the healthy relay's question falls due.
    app.clock.advance(Duration::hours(13));
    wait_for("the healthy relay's reminder", || {
        app.count(&format!(
            "questions WHERE id = {qid} AND reminded_at IS NOT NULL"
        )) == 1
    });
    // Its last round ends: it closes.
    app.clock.advance(Duration::days(5));
    wait_for("the healthy relay to close", || {
        state(&app, healthy) == "closed"
    });
    // The broken relay is left as it was, for someone to look at.
    assert_eq!(
        app.count(&format!("relays WHERE id = {broken} AND state = 'open'")),
        1
    );
}
