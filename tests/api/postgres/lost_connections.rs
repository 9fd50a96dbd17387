//! Connections PostgreSQL ends under a running server (a restart, a failover, an operator ending
//! sessions). The pool checks a connection before handing it out only when it has lain idle
//! for a second or more (a check on every checkout cost a statement per request), or was handed
//! back before another was found lost. So of connections ended a moment after their last use,
//! the first fails the one request that takes it next: that request is told 503
//! `unavailable`, to try again, never 500, and the others are checked and replaced unseen.
//!
//! The server comes from `STAFET_TEST_PG_URL`; without it these tests fail, never skip.

use std::time::Duration;

use diesel::prelude::*;
use serde_json::json;

use crate::helpers::pg::FreshPg;
use crate::helpers::spawn_app_with;

#[derive(QueryableByName)]
struct Ended {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    ended: i64,
}

/// Ends every session on the test database but the caller's own; returns how many.
fn end_sessions(admin: &mut PgConnection) -> i64 {
    diesel::sql_query(
        "SELECT count(pg_terminate_backend(pid)) AS ended FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .get_result::<Ended>(admin)
    .expect("ending the server's sessions")
    .ended
}

#[test]
fn ended_connections_cost_at_most_a_503_each_and_idle_ones_cost_nothing() {
    let pg = FreshPg::create();
    let url = pg.url();
    let app = spawn_app_with(move |s| {
        s.database.url = url;
        s.database.pool_size = 4;
    });
    let (_relay, people) = app.open_relay(8, json!({}));
    let me = &people[0].token;
    assert_eq!(app.get("/api/me", Some(me)).status, 200);
    let mut admin = pg.connect();

    // Ended a moment after their last use: the next requests meet them.
    assert!(
        end_sessions(&mut admin) >= 1,
        "the server had sessions open"
    );
    let mut unavailable = 0;
    for _ in 0..12 {
        let res = app.get("/api/me", Some(me));
        match res.status {
            200 => {}
            503 => {
                assert_eq!(res.code(), "unavailable", "{}", res.text);
                unavailable += 1;
            }
            other => panic!("a lost connection gave {other}: {}", res.text),
        }
    }
    // The first lost connection found has the others, handed back before it, checked.
    assert!(
        unavailable <= 1,
        "{unavailable} requests failed, not at most the first"
    );
    let asked = app.post(
        "/api/me/questions",
        Some(me),
        &json!({ "text": "Hvad gør du, når forbindelsen ryger?" }),
    );
    assert_eq!(asked.status, 201, "{}", asked.text);

    // Ended while idle for longer than a second: checked on checkout and replaced, unseen.
    assert!(end_sessions(&mut admin) >= 1);
    std::thread::sleep(Duration::from_millis(1500));
    for _ in 0..8 {
        let res = app.get("/api/me", Some(me));
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let asker = app.get("/api/me", Some(me));
    assert_eq!(
        asker.body["batons"], 0,
        "the ask was stored once: {}",
        asker.text
    );
}
