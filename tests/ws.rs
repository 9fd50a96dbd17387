//! Websocket delivery: pushes arrive without polling, a reconnect with `since` misses nothing
//! and repeats nothing, a client that stops reading does not hold up others, and nobody gets
//! another participant's events.

mod common;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{TestApp, spawn_app, unknown_token};
use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

type Ws = WebSocket<MaybeTlsStream<TcpStream>>;

fn connect(app: &TestApp, query: &str) -> Ws {
    let url = format!("{}/ws?{query}", app.base.replace("http://", "ws://"));
    let (ws, resp) = tungstenite::connect(url).expect("websocket handshake");
    assert_eq!(resp.status(), 101);
    if let MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
    }
    ws
}

/// Reads events until `pred` matches one or `within` passes; returns all read.
fn read_until(ws: &mut Ws, within: Duration, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    while Instant::now() < deadline {
        match ws.read() {
            Ok(Message::Text(t)) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                let done = pred(&v);
                got.push(v);
                if done {
                    return got;
                }
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("websocket error: {e}"),
        }
    }
    got
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
    ws.close(None).ok();
    drop(ws);

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
    let expected: Vec<i64> = app
        .get(&format!("/api/me/events?since={last_seen}"), Some(&b.token))
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(!expected.is_empty(), "B missed something");

    // Reconnect: ask for everything after the last id seen, then one more live event.
    let mut ws = connect(&app, &format!("token={}", b.token));
    ws.send(Message::text(json!({ "since": last_seen }).to_string()))
        .unwrap();
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
