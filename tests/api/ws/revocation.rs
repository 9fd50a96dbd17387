//! Open websockets lose access with their credential: suspension, logout, a credential deleted
//! (here by another process, as the CLI or another instance would) or expired, and a link past
//! its relay's end each close the socket within a second, with a reason, and nothing more is
//! sent on it. Closing a relay alone does not: its participants may read the output a while.

use std::time::{Duration, Instant};

use chrono::Duration as Days;
use live::{Live, POLICY, connect, connect_with};
use serde_json::{Value, json};

use crate::helpers::live;
use crate::helpers::{self, Res, TestApp, spawn_app};

/// The bound SPEC §4 sets: "within a second".
const WITHIN: Duration = Duration::from_secs(1);

/// Reads until the server closes `ws` (at most 5 s); returns what arrived before the close.
fn read_to_close(ws: &mut Live) -> Vec<Value> {
    let got = ws.read_for(Duration::from_secs(5));
    assert!(ws.closed.is_some(), "the socket stayed open; got {got:?}");
    got
}

/// Fails unless `ws` was closed for a policy reason naming `word`, within a second of `since`.
fn assert_closed(ws: &Live, since: Instant, word: &str) {
    let closed = ws.closed.as_ref().expect("closed");
    assert_eq!(closed.code, POLICY, "{closed:?}");
    assert!(closed.reason.contains(word), "{closed:?}");
    let took = closed.at.duration_since(since);
    eprintln!("closed ({}) after {took:?}", closed.reason);
    assert!(took < WITHIN, "closed after {took:?}");
}

/// The `name=value` pairs a response's `Set-Cookie` headers set, as one `Cookie` header.
fn cookies(res: &Res) -> String {
    res.all_headers("set-cookie")
        .iter()
        .filter_map(|c| c.split(';').next())
        .filter(|pair| !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A browser session: its `Cookie` header, its CSRF token, and its socket on `relay`'s staff
/// feed.
struct Browser {
    cookie: String,
    csrf: String,
    ws: Live,
}

/// Logs the facilitator in as a browser does and opens the relay's staff feed with the cookie.
fn browser_login(app: &TestApp, relay: i64) -> Browser {
    let res = app.post(
        "/api/auth/login",
        None,
        &json!({ "email": app.facilitator_email, "password": app.facilitator_password }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let csrf = res.body["csrf_token"].as_str().unwrap().to_string();
    let cookie = cookies(&res);
    let headers = [("Cookie", cookie.as_str()), ("Origin", app.base.as_str())];
    let ws = connect_with(&app.base, &format!("relay={relay}"), &headers);
    Browser { cookie, csrf, ws }
}

fn staff_event(app: &TestApp, relay: i64, pid: i64, action: &str) {
    let res = app.post(
        &format!("/api/relays/{relay}/participants/{pid}/{action}"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
}

/// The id of the credential a token presents.
fn credential_id(token: &str) -> i64 {
    stafet::auth::tokens::split(token).unwrap().0
}

/// Deletes a credential straight from the database, the way another process would.
fn delete_elsewhere(app: &TestApp, id: i64) {
    use diesel::prelude::*;
    let mut conn = app.connect();
    let n = diesel::sql_query(format!("DELETE FROM credentials WHERE id = {id}"))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_participant_suspended_while_connected_is_closed_within_a_second_and_gets_nothing_more() {
    // Arrange: B holds a question from A, and waits for C's answer to B's own question.
    let app = spawn_app();
    let (relay, people) = app.open_relay(3, json!({ "recipient_choice": "participant" }));
    let (a, b, c) = (&people[0], &people[1], &people[2]);
    let ask = |from: &helpers::Person, to: &helpers::Person, text: &str| {
        let res = app.post(
            "/api/me/questions",
            Some(&from.token),
            &json!({ "text": text, "recipient_id": to.id }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
        res.body["id"].as_i64().unwrap()
    };
    ask(a, b, "Hvad gør du, når borgerne ikke stoler på os?");
    let bs_question = ask(b, c, "Hvordan holder du fast i det faglige?");
    let mut ws = connect(&app.base, &format!("token={}", b.token));
    ws.read_for(Duration::from_millis(300));

    // Act: suspend B, and C answers B's question at once.
    staff_event(&app, relay, b.id, "suspend");
    let suspended = Instant::now();
    let answer = app.post(
        &format!("/api/me/questions/{bs_question}/answer"),
        Some(&c.token),
        &json!({ "text": "Ved at spørge fagfolkene først, hver gang." }),
    );
    assert_eq!(answer.status, 201, "{}", answer.text);
    let got = read_to_close(&mut ws);

    // Assert: neither the question passed on from B nor C's answer reached B.
    assert!(got.is_empty(), "events after the suspension: {got:?}");
    assert_closed(&ws, suspended, "suspended");
    let feed = app.count(&format!(
        "events WHERE participant_id = {} AND kind IN ('question_withdrawn', 'answer_received')",
        b.id
    ));
    assert_eq!(feed, 2, "both events exist; they were held back");
}

#[test]
fn a_staff_socket_is_closed_within_a_second_of_logout() {
    // Arrange: the facilitator's browser session watches the staff feed.
    let app = spawn_app();
    let (relay, people) = app.open_relay(2, json!({}));
    let Browser {
        cookie,
        csrf,
        mut ws,
    } = browser_login(&app, relay);
    staff_event(&app, relay, people[0].id, "suspend");
    let before = ws.read_until(Duration::from_secs(5), |e| {
        e["type"] == "participant_suspended"
    });
    assert!(
        before.iter().any(|e| e["type"] == "participant_suspended"),
        "the feed works before logout: {before:?}"
    );

    // Act
    let out = app.send_raw(
        "POST",
        "/api/auth/logout",
        None,
        "application/json",
        b"{}",
        &[
            ("Cookie", &cookie),
            ("X-CSRF-Token", &csrf),
            ("Origin", &app.base),
        ],
    );
    assert_eq!(out.status, 204, "{}", out.text);
    let logged_out = Instant::now();
    read_to_close(&mut ws);

    // Assert
    assert_closed(&ws, logged_out, "revoked");
    staff_event(&app, relay, people[0].id, "unsuspend");
    assert!(ws.read_for(Duration::from_millis(300)).is_empty());
}

#[test]
fn a_credential_deleted_by_another_process_closes_its_sockets() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(2, json!({}));
    let (_, staff_token) = app.add_staff("chef@example.dk", "facilitator");
    let mut participant = connect(&app.base, &format!("token={}", people[0].token));
    let mut staff = connect(&app.base, &format!("token={staff_token}&relay={relay}"));
    let mut other = connect(&app.base, &format!("token={}", people[1].token));
    participant.read_for(Duration::from_millis(200));

    delete_elsewhere(&app, credential_id(&people[0].token));
    delete_elsewhere(&app, credential_id(&staff_token));
    let deleted = Instant::now();

    for ws in [&mut participant, &mut staff] {
        read_to_close(ws);
        assert_closed(ws, deleted, "revoked");
    }
    other.read_for(Duration::from_millis(500));
    assert!(other.closed.is_none(), "another credential's socket stays");
}

#[test]
fn an_expired_session_closes_its_socket() {
    let app = spawn_app();
    let (relay, _) = app.open_relay(2, json!({}));
    let mut ws = browser_login(&app, relay).ws;
    ws.read_for(Duration::from_millis(300));
    assert!(ws.closed.is_none());

    // Staff sessions last `server.session_hours` (12 in the shipped configuration).
    app.clock.advance(Days::hours(13));
    let expired = Instant::now();

    read_to_close(&mut ws);
    assert_closed(&ws, expired, "expired");
}

#[test]
fn closing_a_relay_keeps_participant_sockets_until_their_links_expire() {
    // Arrange
    let app = spawn_app();
    let (relay, people) = app.open_relay(2, json!({ "share_output": true }));
    let mut participant = connect(&app.base, &format!("token={}", people[0].token));
    let mut staff = connect(&app.base, &format!("token={}&relay={relay}", app.token));

    // Act 1: close the relay.
    app.close_relay(relay);

    // Assert 1: the participant hears of it and stays connected to read the output.
    let got = participant.read_for(Duration::from_millis(1500));
    assert!(got.iter().any(|e| e["type"] == "relay_closed"), "{got:?}");
    assert!(participant.closed.is_none(), "{:?}", participant.closed);

    // Act 2: the link's time after the close runs out.
    app.clock.advance(Days::days(31));
    let expired = Instant::now();

    // Assert 2: the participant's socket ends as their link does; the staff socket stays.
    read_to_close(&mut participant);
    assert_closed(&participant, expired, "link_expired");
    assert_eq!(
        app.get("/api/me", Some(&people[0].token)).code(),
        "link_expired"
    );
    staff.read_for(Duration::from_millis(500));
    assert!(staff.closed.is_none(), "{:?}", staff.closed);
}
