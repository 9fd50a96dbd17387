//! Live push across instances on PostgreSQL: a write committed on one server reaches a socket
//! on another, by notification (`pg_notify` after commit, one listener per instance), by the
//! hub's fallback poll while the listener cannot connect, and again by notification once it
//! has reconnected.
//!
//! The server comes from `STAFET_TEST_PG_URL`; without it these tests fail, never skip. They make
//! their own databases, so they run in the SQLite pass only (tests/sqlite_only.txt).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{Value, json};
use stafet::db::event_signal::{self, Instance};

use super::plans::{analysed, rows_scanned};
use crate::helpers::live;
use crate::helpers::pg::{self, FreshPg};
use crate::helpers::{self, Person, TestApp, app_on_fresh_pg};

/// One HTTP client for every request of these tests (ureq keeps connections to each server).
static AGENT: LazyLock<ureq::Agent> = LazyLock::new(|| {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
});

/// The bound each push is held to: the target is a second, with room for a loaded machine.
const PUSH_WITHIN: Duration = Duration::from_secs(3);

/// A server on a fresh database (dropped when it goes) and the base URL of a second server on
/// the same database.
fn two_instances() -> (FreshPg, TestApp, String) {
    let (pg, app) = app_on_fresh_pg();
    let other = app.another_instance();
    (pg, app, other)
}

/// `who` asks `to` through the server at `base`; returns the question's id.
fn ask(base: &str, who: &Person, to: &Person, text: &str) -> i64 {
    let res = send(
        base,
        "/api/me/questions",
        &who.token,
        &json!({ "text": text, "recipient_id": to.id }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    res.body["id"].as_i64().expect("question id")
}

/// POST `body` to `path` on the server at `base` as the bearer of `token`.
fn send(base: &str, path: &str, token: &str, body: &Value) -> helpers::Res {
    helpers::to_res(
        AGENT
            .post(format!("{base}{path}"))
            .header("Authorization", format!("Bearer {token}"))
            .content_type("application/json")
            .send(body.to_string().as_bytes()),
    )
}

/// `who` asks `to` through the server at `base`, and `ws` (`to`'s socket) reads until the
/// question arrives; how long that took from before the request. Fails, saying `by`, when it
/// does not arrive within [`PUSH_WITHIN`].
fn ask_pushed(ws: &mut live::Live, base: &str, who: &Person, to: &Person, by: &str) -> Duration {
    let start = Instant::now();
    let id = ask(
        base,
        who,
        to,
        &format!("Hvad lærte du af {} ({by})?", who.name),
    );
    let is_it = |e: &Value| e["type"] == "question_received" && e["data"]["question_id"] == id;
    let got = ws.read_until(PUSH_WITHIN, is_it);
    assert!(
        got.iter().any(is_it),
        "question {id} was not pushed {by} within {PUSH_WITHIN:?}"
    );
    start.elapsed()
}

/// A relay where anyone may ask anyone, with room in every inbox.
fn open_relay(app: &TestApp, n: usize) -> Vec<Person> {
    app.open_relay(
        n,
        json!({ "recipient_choice": "participant", "max_inbox": 50 }),
    )
    .1
}

/// A relay of `n` (see [`open_relay`]) and the first one's socket on the server at `base`.
fn relay_with_socket_on(app: &TestApp, base: &str, n: usize) -> (Vec<Person>, live::Live) {
    let people = open_relay(app, n);
    let mut ws = live::connect(base, &format!("token={}", people[0].token));
    ws.read_for(Duration::from_millis(300));
    (people, ws)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn a_question_asked_on_one_instance_reaches_a_socket_on_the_other_at_once() {
    let (_pg, app, other) = two_instances();
    let (people, mut ws) = relay_with_socket_on(&app, &other, 21);
    let recipient = &people[0];

    let mut took: Vec<Duration> = people[1..]
        .iter()
        .map(|asker| ask_pushed(&mut ws, &app.base, asker, recipient, "across instances"))
        .collect();
    took.sort();
    eprintln!(
        "cross-instance push (ask on A to event on B's socket) over {} pushes: p50 {:?}, max {:?}",
        took.len(),
        percentile(&took, 0.5),
        took.last().unwrap()
    );
}

/// Participant `who`'s whole feed, from the database through the server at `base`.
fn feed(base: &str, who: &Person) -> Vec<i64> {
    let mut all = Vec::new();
    let mut from = 0;
    loop {
        let page = helpers::to_res(
            AGENT
                .get(format!("{base}/api/me/events?since={from}"))
                .header("Authorization", format!("Bearer {}", who.token))
                .call(),
        );
        assert_eq!(page.status, 200, "{}", page.text);
        let got = live::ids(page.body.as_array().unwrap());
        all.extend(&got);
        match got.last() {
            Some(&last) if got.len() == 500 => from = last,
            _ => return all,
        }
    }
}

/// One participant's load for `run`: answers what is in their inbox and asks someone else,
/// through the server at `base`, until `stop`.
fn act(base: &str, me: &Person, others: &[Person], stop: &AtomicBool) -> usize {
    let mut asked = 0;
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let to = &others[(round + me.id as usize) % others.len()];
        let res = send(
            base,
            "/api/me/questions",
            &me.token,
            &json!({ "text": format!("Hvad lærte du i runde {round}?"), "recipient_id": to.id }),
        );
        // The relay's rules may refuse (no baton, a full inbox): that is load too.
        assert!(matches!(res.status, 201 | 409), "{}", res.text);
        asked += usize::from(res.status == 201);
        let me_now = helpers::to_res(
            AGENT
                .get(format!("{base}/api/me"))
                .header("Authorization", format!("Bearer {}", me.token))
                .call(),
        );
        for q in me_now.body["inbox"].as_array().into_iter().flatten() {
            if q["status"] == "pending" {
                let qid = q["id"].as_i64().unwrap();
                let res = send(
                    base,
                    &format!("/api/me/questions/{qid}/answer"),
                    &me.token,
                    &json!({ "text": "Et svar fra den anden server." }),
                );
                assert!(matches!(res.status, 201 | 409), "{}", res.text);
            }
        }
    }
    asked
}

#[test]
fn twenty_participants_with_sockets_on_two_instances_each_get_their_whole_feed_once() {
    let (_pg, app, other) = two_instances();
    let people = open_relay(&app, 20);
    let bases = [app.base.clone(), other];
    let stop = Arc::new(AtomicBool::new(false));

    // Every request goes to instance A; half the sockets are on A, half on B, which commits
    // nothing itself and so hears of everything from A. The sockets replay from the start of
    // the feed (a `since` against either instance), then stay live.
    let readers: Vec<_> = people
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut ws = live::connect(&bases[i % 2], &format!("token={}&since=0", p.token));
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    got.extend(live::ids(&ws.read_for(Duration::from_millis(100))));
                }
                (ws, got)
            })
        })
        .collect();
    let actors: Vec<_> = people
        .iter()
        .map(|p| {
            let (base, stop) = (bases[0].clone(), stop.clone());
            let (me, others) = (p.clone(), people.clone());
            std::thread::spawn(move || {
                let others: Vec<Person> = others.into_iter().filter(|o| o.id != me.id).collect();
                act(&base, &me, &others, &stop)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(5));
    stop.store(true, Ordering::Relaxed);
    let asked: usize = actors.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(asked >= 20, "the load asked only {asked} questions");

    let mut events = 0;
    for (reader, p) in readers.into_iter().zip(&people) {
        let (mut ws, mut got) = reader.join().unwrap();
        let want = feed(&bases[0], p);
        // What is committed reaches the socket soon: read until it has come (or 10 s passed).
        let deadline = Instant::now() + Duration::from_secs(10);
        while got.len() < want.len() && Instant::now() < deadline {
            got.extend(live::ids(&ws.read_for(Duration::from_millis(100))));
        }
        got.extend(live::ids(&ws.read_for(Duration::from_millis(200))));
        assert_eq!(got, want, "participant {}: socket against feed", p.id);
        let distinct: BTreeSet<i64> = got.iter().copied().collect();
        assert_eq!(distinct.len(), got.len(), "no duplicate");
        events += got.len();
    }
    eprintln!("{asked} questions asked; {events} events pushed, each once, none missing");
}

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

/// The listeners' sessions on `pg`'s database, seen from the server's own database (`pg`'s may
/// refuse new sessions).
fn listeners(pg: &FreshPg) -> BTreeSet<i32> {
    diesel::sql_query(format!(
        "SELECT pid FROM pg_stat_activity \
         WHERE application_name = 'stafet-listener' AND datname = '{}'",
        name(pg)
    ))
    .load::<Pid>(&mut pg::admin(&pg::pg_server_url()))
    .unwrap()
    .into_iter()
    .map(|p| p.pid)
    .collect()
}

/// `pg`'s database name.
fn name(pg: &FreshPg) -> String {
    let url = pg.url();
    let path = url.split('?').next().unwrap();
    path.rsplit('/').next().unwrap().to_string()
}

/// Waits (10 s at most) until `pg` has two listener sessions none of which is in `old`.
fn wait_for_new_listeners(pg: &FreshPg, old: &BTreeSet<i32>) -> BTreeSet<i32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = listeners(pg);
        if now.len() == 2 && now.is_disjoint(old) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "listeners now {now:?}, before {old:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn pushes_go_on_while_the_listener_is_cut_off_and_after_it_reconnects() {
    let (pg, app, other) = two_instances();
    let (people, mut ws) = relay_with_socket_on(&app, &other, 5);
    let recipient = &people[0];
    let first = wait_for_new_listeners(&pg, &BTreeSet::new());

    // Cut both listeners off and keep them from reconnecting: the database takes no new
    // sessions (the servers' pools stay connected).
    let mut admin = pg::admin(&pg::pg_server_url());
    let name = name(&pg);
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'stafet-listener' AND datname = '{name}';"
        ))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !listeners(&pg).is_empty() {
        assert!(Instant::now() < deadline, "the listeners did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(listeners(&pg).is_empty(), "no listener got back in");

    for asker in &people[1..3] {
        ask_pushed(&mut ws, &app.base, asker, recipient, "by the fallback poll");
    }
    assert!(listeners(&pg).is_empty(), "the listeners stayed cut off");

    admin
        .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .unwrap();
    wait_for_new_listeners(&pg, &first);
    for asker in &people[3..5] {
        ask_pushed(
            &mut ws,
            &app.base,
            asker,
            recipient,
            "after the listener reconnected",
        );
    }
}

#[test]
fn a_write_with_events_notifies_the_relays_it_touched_after_its_commit() {
    let (pg, app, _other) = two_instances();
    let (relay, people) = app.open_relay(3, json!({}));
    let mut listener = pg.connect();
    listener.batch_execute("LISTEN stafet_events").unwrap();

    let res = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvad har du lært i dag?" }),
    );
    assert_eq!(res.status, 201, "{}", res.text);

    let deadline = Instant::now() + Duration::from_secs(5);
    let mut payloads = Vec::new();
    while Instant::now() < deadline {
        for n in listener.notifications_iter() {
            payloads.push(n.unwrap().payload);
        }
        // Parsed as another instance's listener does.
        let elsewhere = Instance::new();
        if payloads
            .iter()
            .any(|p| event_signal::parse(p, &elsewhere).contains(&relay))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no notification named relay {relay}: {payloads:?}");
}

#[test]
fn one_read_of_several_relays_gives_each_relay_its_next_events_in_id_order() {
    use stafet::db::DbConn;
    use stafet::db::events::EventRow;

    let (pg, app) = app_on_fresh_pg();
    let (a, people_a) = app.open_relay(3, json!({}));
    let (b, people_b) = app.open_relay(3, json!({}));
    let (quiet, _) = app.open_relay(3, json!({}));
    for people in [&people_a, &people_b, &people_a] {
        let res = app.post(
            "/api/me/questions",
            Some(&people[0].token),
            &json!({ "text": "Hvad fylder mest hos dig lige nu?" }),
        );
        assert!(res.status == 201 || res.status == 409, "{}", res.text);
    }
    let mut conn = DbConn::Pg(pg.connect());
    // Until the log is still (the outbox worker adds an event when it sends), so that the
    // reads below see the same events.
    let mut last = EventRow::max_id(&mut conn).unwrap();
    loop {
        std::thread::sleep(Duration::from_millis(400));
        let now = EventRow::max_id(&mut conn).unwrap();
        if now == last {
            break;
        }
        last = now;
    }
    let all = EventRow::of_relays_after(&mut conn, &[(a, 0), (b, 0), (quiet, 0)], 10_000).unwrap();
    let of = |relay: i64| -> Vec<i64> {
        all.iter()
            .filter(|e| e.relay_id == relay)
            .map(|e| e.id)
            .collect()
    };
    let (ids_a, ids_b) = (of(a), of(b));
    assert!(ids_a.len() >= 2 && ids_b.len() >= 2, "{ids_a:?} {ids_b:?}");
    let ids: Vec<i64> = all.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order: {ids:?}");
    for relay in [a, b, quiet] {
        let alone = EventRow::of_relay_after(&mut conn, relay, 0, 10_000).unwrap();
        let alone: Vec<i64> = alone.iter().map(|e| e.id).collect();
        assert_eq!(of(relay), alone, "relay {relay} as its own read has it");
    }
    assert!(all.iter().all(|e| [a, b, quiet].contains(&e.relay_id)));

    // From each relay's own cursor, a page of three: the lowest ids past the cursors, and
    // each relay's rows the start of what it has after its cursor.
    let (after_a, after_b) = (ids_a[0], ids_b[0]);
    let page = EventRow::of_relays_after(&mut conn, &[(a, after_a), (b, after_b)], 3).unwrap();
    let mut expected: Vec<i64> = ids_a[1..].iter().chain(&ids_b[1..]).copied().collect();
    expected.sort_unstable();
    expected.truncate(3);
    let got: Vec<i64> = page.iter().map(|e| e.id).collect();
    assert_eq!(got, expected);
    assert!(
        EventRow::of_relays_after(&mut conn, &[], 3)
            .unwrap()
            .is_empty()
    );
}

/// The hub's catch-up read (every 250 ms on every instance) takes the events after its cursor
/// and the ids it passed unseen. It must read about as many rows as it returns, not walk the
/// log from its start: on a log that grew since it was last analysed (as under load), and also
/// once PostgreSQL plans the prepared statement generically (after five runs). Written as one
/// condition `id > cursor OR id = ANY(missed)`, it read all 20,000 rows here.
#[test]
fn the_catch_up_read_scans_only_past_the_cursor_and_the_missed_ids() {
    let (pg, app) = app_on_fresh_pg();
    let (relay, _people) = app.open_relay(2, json!({}));
    let mut conn = pg.connect();
    conn.batch_execute(&format!(
        "INSERT INTO events (relay_id, participant_id, kind, data, created_at) \
         SELECT {relay}, NULL, 'reminder', '{{}}', now() FROM generate_series(1, 20000); \
         PREPARE catch_up(bigint, bigint[], bigint) AS {}",
        stafet::db::events::PG_AFTER_OR_AMONG
    ))
    .unwrap();
    let last: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT max(id) FROM events")
        .get_result(&mut conn)
        .unwrap();
    let (cursor, missed) = (last - 10, 100);
    for run in 1..=8 {
        let top = &analysed(
            &mut conn,
            &format!("EXECUTE catch_up({cursor}, '{{{missed}}}', 1000)"),
        );
        assert_eq!(
            top["Actual Rows"], 11,
            "run {run}: ten new events and the missed one"
        );
        let scanned = rows_scanned(top);
        assert!(
            scanned <= 100,
            "run {run}: the read scanned {scanned} rows of 20,000 for 11: {top:#}"
        );
    }
}
