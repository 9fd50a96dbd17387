//! Websocket delivery: pushes arrive without polling, a reconnect with `since` misses nothing
//! and repeats nothing, a client that stops reading does not hold up others, and nobody gets
//! another participant's events.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use live::{Live, ids};
use serde_json::{Value, json};

use crate::helpers::live;
use crate::helpers::{Person, TestApp, spawn_app, unknown_token};

fn connect(app: &TestApp, query: &str) -> Live {
    live::connect(&app.base, query)
}

fn read_until(ws: &mut Live, within: Duration, pred: impl FnMut(&Value) -> bool) -> Vec<Value> {
    ws.read_until(within, pred)
}

#[test]
fn a_question_is_pushed_to_the_connected_recipient() {
    let app = spawn_app();
    let (_, people) = app.open_relay(2, json!({}));
    let (a, b) = (&people[0], &people[1]);
    let mut ws = connect(&app, &format!("token={}", b.token));
    let started = Instant::now();
    let res = app.post(
        "/api/me/questions",
        Some(&a.token),
        &json!({ "text": "Hvordan leder du på tværs af siloer?" }),
    );
    assert_eq!(res.status, 201);
    let got = read_until(&mut ws, Duration::from_secs(5), |e| {
        e["type"] == "question_received"
    });
    let pushed = got
        .iter()
        .find(|e| e["type"] == "question_received")
        .expect("pushed");
    assert_eq!(
        pushed["data"]["text"],
        "Hvordan leder du på tværs af siloer?"
    );
    assert!(pushed["id"].as_i64().unwrap() > 0 && pushed["created_at"].is_string());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn reconnecting_with_since_replays_every_missed_event_once_in_order() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(4, json!({ "recipient_choice": "participant" }));
    let b = &people[1];
    // B is connected when A's question arrives, then goes away.
    let mut ws = connect(&app, &format!("token={}", b.token));
    let q1 = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Første spørgsmål til en kollega?", "recipient_id": b.id }),
    );
    assert_eq!(q1.status, 201, "{}", q1.text);
    let first = read_until(&mut ws, Duration::from_secs(5), |e| {
        e["type"] == "question_received"
    });
    let last_seen = first.last().unwrap()["id"].as_i64().unwrap();
    ws.close();

    // While B is away: B answers from another device (a baton for B), and two more questions
    // arrive for B; staff-only events happen too, which are not B's.
    let qid = q1.body["id"].as_i64().unwrap();
    let ans = app.post(
        &format!("/api/me/questions/{qid}/answer"),
        Some(&b.token),
        &json!({ "text": "Et svar fra en anden enhed." }),
    );
    assert_eq!(ans.status, 201, "{}", ans.text);
    for asker in [&people[2], &people[3]] {
        let r = app.post(
            "/api/me/questions",
            Some(&asker.token),
            &json!({ "text": "Et spørgsmål, mens B er væk?", "recipient_id": b.id }),
        );
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let missed = app.get(&format!("/api/me/events?since={last_seen}"), Some(&b.token));
    let expected = ids(missed.body.as_array().unwrap());
    assert!(!expected.is_empty(), "B missed something");

    // Reconnect: ask for everything after the last id seen, then one more live event.
    let mut ws = connect(&app, &format!("token={}", b.token));
    ws.send_since(last_seen);
    let replayed = read_until(&mut ws, Duration::from_secs(3), |e| {
        e["id"].as_i64() == expected.last().copied()
    });
    let ids: Vec<i64> = replayed.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, expected, "every missed event, in order, once");

    app.post(
        &format!("/api/relays/{relay}/close"),
        Some(&app.token),
        &json!({}),
    );
    let live = read_until(&mut ws, Duration::from_secs(5), |e| {
        e["type"] == "relay_closed"
    });
    let live_ids: Vec<i64> = live.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(
        live_ids.iter().all(|id| id > expected.last().unwrap()),
        "no duplicate at the seam"
    );
    assert!(live.iter().any(|e| e["type"] == "relay_closed"));
    let mut all = ids.clone();
    all.extend(&live_ids);
    let mut dedup = all.clone();
    dedup.dedup();
    assert_eq!(all, dedup);
}

#[test]
fn since_in_the_url_replays_before_live_events() {
    let app = spawn_app();
    let (_, people) = app.open_relay(2, json!({}));
    app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Spørgsmål før forbindelsen?" }),
    );
    let mut ws = connect(&app, &format!("token={}&since=0", people[1].token));
    let got = read_until(&mut ws, Duration::from_secs(3), |e| {
        e["type"] == "question_received"
    });
    assert_eq!(got[0]["type"], "relay_opened");
    assert!(got.iter().any(|e| e["type"] == "question_received"));
}

#[test]
fn no_event_of_another_participant_ever_arrives() {
    let app = spawn_app();
    let (_, people) = app.open_relay(3, json!({ "recipient_choice": "participant" }));
    let (a, b, c) = (&people[0], &people[1], &people[2]);
    let mut ws_c = connect(&app, &format!("token={}&since=0", c.token));
    app.post(
        "/api/me/questions",
        Some(&a.token),
        &json!({ "text": "Kun til B, ikke til C?", "recipient_id": b.id }),
    );
    let mut ws_b = connect(&app, &format!("token={}&since=0", b.token));
    let got_b = read_until(&mut ws_b, Duration::from_secs(3), |e| {
        e["type"] == "question_received"
    });
    assert!(got_b.iter().any(|e| e["type"] == "question_received"));
    let got_c = read_until(&mut ws_c, Duration::from_secs(1), |_| false);
    assert!(
        got_c.iter().all(|e| e["type"] == "relay_opened"),
        "{got_c:?}"
    );
    assert!(!got_c.iter().any(|e| e.to_string().contains("Kun til B")));
}

#[test]
fn a_client_that_stops_reading_does_not_hold_up_the_others() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(3, json!({}));
    // Two staff connections on the relay's staff feed: one never reads.
    let _stalled = connect(&app, &format!("relay={relay}&token={}", app.token));
    let mut reader = connect(&app, &format!("relay={relay}&token={}", app.token));
    let pid = people[2].id;
    let started = Instant::now();
    for _ in 0..300 {
        app.post(
            &format!("/api/relays/{relay}/participants/{pid}/suspend"),
            Some(&app.token),
            &json!({}),
        );
        app.post(
            &format!("/api/relays/{relay}/participants/{pid}/unsuspend"),
            Some(&app.token),
            &json!({}),
        );
    }
    let counter = std::cell::Cell::new(0);
    read_until(&mut reader, Duration::from_secs(10), |e| {
        if e["type"] == "participant_suspended" || e["type"] == "participant_unsuspended" {
            counter.set(counter.get() + 1);
        }
        counter.get() == 600
    });
    let n = counter.get();
    assert_eq!(n, 600, "the reading client got every event");
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn websocket_auth_is_checked() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(2, json!({}));
    let url = |q: &str| format!("{}/ws?{q}", app.base.replace("http://", "ws://"));
    let status = |q: &str| match tungstenite::connect(url(q)) {
        Ok(_) => 101,
        Err(tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status(""), 401);
    assert_eq!(status(&format!("token={}", unknown_token())), 401);
    assert_eq!(
        status(&format!("token={}", app.token)),
        422,
        "staff must name a relay"
    );
    assert_eq!(
        status(&format!("token={}&relay={relay}", people[0].token)),
        101,
        "participants get their own feed"
    );
    // A cross-site page cannot open a socket with the user's cookie.
    let mut req = tungstenite::client::IntoClientRequest::into_client_request(url(&format!(
        "token={}",
        people[0].token
    )))
    .unwrap();
    req.headers_mut()
        .insert("Origin", "https://evil.example".parse().unwrap());
    match tungstenite::connect(req) {
        Err(tungstenite::Error::Http(resp)) => assert_eq!(resp.status().as_u16(), 403),
        other => panic!("expected 403, got {:?}", other.map(|(_, r)| r.status())),
    }
}

/// Participant `who`'s feed after `since`, from the database (through the HTTP feed, paged).
fn feed(app: &TestApp, who: &Person, since: i64) -> Vec<i64> {
    let mut all = Vec::new();
    let mut from = since;
    loop {
        let page = app.get(&format!("/api/me/events?since={from}"), Some(&who.token));
        assert_eq!(page.status, 200, "{}", page.text);
        let got = ids(page.body.as_array().unwrap());
        all.extend(&got);
        match got.last() {
            Some(&last) if got.len() == 500 => from = last,
            _ => return all,
        }
    }
}

/// Fails unless every id of `got` lies above everything sent before it (live events and the
/// log in order) or continues a backfill below everything sent before the backfill began:
/// the only order a `{"since"}` after live events may give (see `ws::cursor`).
fn assert_grows_at_one_end(got: &[i64]) {
    let (mut hi, mut lo, mut floor, mut prev) = (i64::MIN, i64::MAX, i64::MAX, i64::MIN);
    for &id in got {
        if id > hi {
            hi = id;
            floor = i64::MAX;
        } else if !(floor != i64::MAX && id > prev && id < floor) {
            assert!(id < lo, "out of order at {id}: {got:?}");
            floor = lo;
        }
        lo = lo.min(id);
        prev = id;
    }
}

#[test]
fn a_since_message_below_what_went_out_live_sends_only_the_older_events_once() {
    // Arrange: B misses a question while away, then connects without `since`.
    let app = spawn_app();
    let (_, people) = app.open_relay(4, json!({ "recipient_choice": "participant" }));
    let b = &people[1];
    let seen = *feed(&app, b, 0).last().unwrap();
    let ask = |from: &Person| {
        let res = app.post(
            "/api/me/questions",
            Some(&from.token),
            &json!({ "text": "Et spørgsmål til B, mens B er væk?", "recipient_id": b.id }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
    };
    ask(&people[0]);
    let mut ws = connect(&app, &format!("token={}", b.token));
    ws.read_for(Duration::from_millis(200));
    // A live event goes out before B asks for what it missed.
    ask(&people[2]);
    let live = read_until(&mut ws, Duration::from_secs(5), |e| {
        e["type"] == "question_received"
    });

    // Act
    ws.send_since(seen);
    let replayed = ws.read_for(Duration::from_secs(1));

    // Assert: the missed question once, and not the live one again.
    let mut got = ids(&live);
    got.extend(ids(&replayed));
    let unique: BTreeSet<i64> = got.iter().copied().collect();
    assert_eq!(unique.len(), got.len(), "sent twice: {got:?}");
    assert_eq!(
        unique.into_iter().collect::<Vec<_>>(),
        feed(&app, b, seen),
        "everything after {seen}"
    );
    assert_grows_at_one_end(&got);
}

#[test]
fn since_under_load_never_sends_an_event_twice_nor_skips_one() {
    // Arrange: 40 colleagues ask B at once from four threads while B answers from a fifth:
    // two events for B per question, and events for everyone else in between.
    let app = std::sync::Arc::new(spawn_app());
    let (_, people) = app.open_relay(
        41,
        json!({ "recipient_choice": "participant", "max_inbox": 50 }),
    );
    let b = people[0].clone();
    let askers: Vec<Person> = people[1..].to_vec();
    let mut load = Vec::new();
    for chunk in askers.chunks(10) {
        let (app, b, chunk) = (app.clone(), b.clone(), chunk.to_vec());
        load.push(std::thread::spawn(move || {
            for a in chunk {
                let res = app.post(
                    "/api/me/questions",
                    Some(&a.token),
                    &json!({ "text": format!("Hvad lærte du af {}?", a.name), "recipient_id": b.id }),
                );
                assert_eq!(res.status, 201, "{}", res.text);
            }
        }));
    }
    let answerer = {
        let (app, b) = (app.clone(), b.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            let mut answered = 0;
            while answered < 40 {
                assert!(Instant::now() < deadline, "B answered only {answered}");
                let me = app.get("/api/me", Some(&b.token)).body;
                for q in me["inbox"].as_array().unwrap() {
                    if q["status"] == "pending" {
                        let qid = q["id"].as_i64().unwrap();
                        let res = app.post(
                            &format!("/api/me/questions/{qid}/answer"),
                            Some(&b.token),
                            &json!({ "text": "Et svar skrevet under travlhed." }),
                        );
                        assert_eq!(res.status, 201, "{}", res.text);
                        answered += 1;
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };

    // Act: B's client connects again and again while the load runs, asking with `since` in
    // the URL and then sending a `since` below what it has had, or connecting bare and sending
    // `since` at once.
    let mut all: Vec<i64> = Vec::new();
    let mut last = 0;
    let mut cycles = 0;
    while cycles < 6 || !(answerer.is_finished() && load.iter().all(|t| t.is_finished())) {
        cycles += 1;
        let got = if cycles % 2 == 1 {
            let mut ws = connect(&app, &format!("token={}&since={last}", b.token));
            let mut got = read_until(&mut ws, Duration::from_secs(2), |_| true);
            if !got.is_empty() {
                ws.send_since(last);
            }
            got.extend(ws.read_for(Duration::from_millis(150 + 50 * (cycles % 4))));
            ws.close();
            let got = ids(&got);
            assert!(
                got.windows(2).all(|w| w[0] < w[1]),
                "cycle {cycles}: {got:?}"
            );
            got
        } else {
            let mut ws = connect(&app, &format!("token={}", b.token));
            ws.send_since(last);
            let mut got = ids(&ws.read_for(Duration::from_millis(200)));
            // Whatever the server has sent, it sends whole: read until no id up to the highest
            // one received is missing (or fail after 10 s).
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let top = got.iter().copied().max().unwrap_or(last);
                let have: BTreeSet<i64> = got.iter().copied().collect();
                let missing: Vec<i64> = feed(&app, &b, last)
                    .into_iter()
                    .filter(|id| *id <= top && !have.contains(id))
                    .collect();
                if missing.is_empty() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "cycle {cycles}: {missing:?} never came; got {got:?}"
                );
                got.extend(ids(&ws.read_for(Duration::from_millis(100))));
            }
            ws.close();
            assert_grows_at_one_end(&got);
            got
        };
        assert!(got.iter().all(|id| *id > last), "cycle {cycles}: {got:?}");
        last = got.iter().copied().max().unwrap_or(last);
        all.extend(got);
    }
    for t in load {
        t.join().unwrap();
    }
    answerer.join().unwrap();
    // One more connection takes what is left.
    let mut ws = connect(&app, &format!("token={}&since={last}", b.token));
    all.extend(ids(&ws.read_for(Duration::from_millis(500))));

    // Assert
    let unique: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "an event came twice: {all:?}");
    let mut sorted = all.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, feed(&app, &b, 0), "every event of B's feed, once");
    assert!(all.len() >= 80, "{} events", all.len());
    assert!(cycles >= 6);
}
