//! Roles on every route, black box: without credentials every API route answers 401; a
//! participant's token or cookie is refused on staff routes and staff credentials on participant
//! routes; an analyst reads but does not facilitate, an admin does what a facilitator does; and
//! the caller is refused before the body or query is read.

use serde_json::{Value, json};

use crate::helpers::refusals::Body::{Empty, Json, Raw};
use crate::helpers::refusals::{Refused, assert_refused, refused};
use crate::helpers::sessions::*;
use crate::helpers::{PARTICIPANT_COOKIE, Res, STAFF_COOKIE, TestApp, spawn_app};

/// Any route: GET without a body, other methods with a JSON body.
fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>, body: &Value) -> Res {
    match method {
        "GET" => app.get(path, token),
        m => app.send(m, path, token, body),
    }
}

/// The row "`method path` as `who` gets `status` and `code`", sent as `call` sends it.
fn row(
    route: &(&'static str, String, Value),
    who: Option<&str>,
    status: u16,
    code: &'static str,
) -> Refused {
    let (method, path, body) = route;
    let body = if *method == "GET" {
        Empty
    } else {
        Json(body.clone())
    };
    refused(method, path, who, body, status, code)
}

/// A relay with three participants, one question asked, and a second draft relay.
struct Fixture {
    relay: i64,
    draft: i64,
    pid: i64,
    qid: i64,
    participant_token: String,
}

fn fixture(app: &TestApp) -> Fixture {
    let (relay, people) = app.open_relay(3, json!({}));
    let draft = app.create_relay(json!({}));
    app.import_people(draft, 2);
    let (qid, _) = ask(
        app,
        &people[0].token,
        "Hvordan leder du bedst for borgerne?",
    );
    Fixture {
        relay,
        draft,
        pid: people[1].id,
        qid,
        participant_token: people[0].token.clone(),
    }
}

/// Every staff route as (method, path, a valid body, facilitator only).
fn staff_routes(f: &Fixture) -> Vec<(&'static str, String, Value, bool)> {
    let (r, d, p, q) = (f.relay, f.draft, f.pid, f.qid);
    vec![
        ("GET", "/api/relays".into(), json!(null), false),
        (
            "POST",
            "/api/relays".into(),
            relay_body("En ny stafet"),
            true,
        ),
        ("GET", format!("/api/relays/{r}"), json!(null), false),
        (
            "PATCH",
            format!("/api/relays/{d}"),
            json!({ "title": "Omdøbt stafet" }),
            true,
        ),
        ("POST", format!("/api/relays/{d}/schedule"), json!({}), true),
        ("POST", format!("/api/relays/{d}/open"), json!({}), true),
        ("POST", format!("/api/relays/{r}/close"), json!({}), true),
        ("GET", format!("/api/relays/{r}/stats"), json!(null), false),
        (
            "GET",
            format!("/api/relays/{r}/events?since=0"),
            json!(null),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/participants"),
            json!([{ "name": "Ny Person", "email": "ny@example.dk", "group": "Stat" }]),
            true,
        ),
        (
            "GET",
            format!("/api/relays/{r}/participants"),
            json!(null),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/participants/{p}/suspend"),
            json!({}),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/participants/{p}/unsuspend"),
            json!({}),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/participants/{p}/resend-email"),
            json!({}),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/participants/{p}/erase"),
            json!({ "texts": "keep" }),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/erase-now"),
            json!({}),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/copy"),
            json!({ "title": "Kopi", "with_participants": true }),
            true,
        ),
        (
            "POST",
            format!("/api/questions/{q}/reroute"),
            json!({}),
            true,
        ),
        (
            "GET",
            format!("/api/relays/{r}/questions/pending"),
            json!(null),
            true,
        ),
        ("GET", "/api/auth/me".into(), json!(null), false),
        // Analysis: every staff role reads it.
        (
            "GET",
            format!("/api/relays/{r}/corpus?format=json"),
            json!(null),
            false,
        ),
        ("GET", format!("/api/relays/{r}/words"), json!(null), false),
        (
            "GET",
            format!("/api/relays/{r}/network"),
            json!(null),
            false,
        ),
        ("GET", format!("/api/relays/{r}/themes"), json!(null), false),
        (
            "GET",
            format!("/api/relays/{r}/themes/suggestions"),
            json!(null),
            false,
        ),
        ("GET", format!("/api/relays/{r}/report"), json!(null), false),
        (
            "GET",
            format!("/api/analysis/distinctive?a={r}&b={d}"),
            json!(null),
            false,
        ),
    ]
}

/// Every participant route as (method, path, a valid body).
fn participant_routes(qid: i64) -> Vec<(&'static str, String, Value)> {
    vec![
        ("GET", "/api/me".into(), json!(null)),
        (
            "POST",
            "/api/me/questions".into(),
            json!({ "text": "Et helt gyldigt spørgsmål?" }),
        ),
        (
            "POST",
            format!("/api/me/questions/{qid}/answer"),
            json!({ "text": "Et helt gyldigt svar på det." }),
        ),
        ("GET", "/api/me/events?since=0".into(), json!(null)),
        ("GET", "/api/me/report".into(), json!(null)),
        ("GET", "/api/me/data".into(), json!(null)),
    ]
}

/// An analyst of the relays' organisation, granted both of the fixture's relays (issue 14);
/// their token.
fn granted_analyst(app: &TestApp, f: &Fixture) -> String {
    let (_, analyst) = app.add_staff("analyst@example.dk", "analyst");
    app.grant(f.relay, "analyst@example.dk");
    app.grant(f.draft, "analyst@example.dk");
    analyst
}

#[test]
fn without_credentials_every_api_route_answers_401() {
    let app = spawn_app();
    let f = fixture(&app);
    let before = settled_snapshot(&app);
    let mut routes: Vec<(&str, String, Value)> = staff_routes(&f)
        .into_iter()
        .map(|(m, p, b, _)| (m, p, b))
        .collect();
    routes.extend(participant_routes(f.qid));
    routes.push(("POST", "/api/auth/logout".into(), json!({})));
    let mut rows = Vec::new();
    for route in &routes {
        rows.push(row(route, None, 401, "unauthorized"));
        if route.0 != "GET" {
            // A CSRF header without a session is no credential either.
            let with_csrf = row(route, None, 401, "unauthorized");
            rows.push(with_csrf.with_header("X-CSRF-Token", "anything"));
        }
    }
    assert_refused(&app, &rows);
    assert_eq!(app.snapshot(), before, "nothing changed");
}

#[test]
fn a_participant_token_is_refused_on_every_staff_route() {
    let app = spawn_app();
    let f = fixture(&app);
    let before = settled_snapshot(&app);
    let rows: Vec<_> = staff_routes(&f)
        .into_iter()
        .map(|(m, p, b, _)| row(&(m, p, b), Some(&f.participant_token), 403, "forbidden"))
        .collect();
    assert_refused(&app, &rows);
    assert_eq!(app.snapshot(), before, "nothing changed");
}

#[test]
fn a_participant_cookie_session_is_refused_on_staff_routes() {
    let app = spawn_app();
    let f = fixture(&app);
    let redeemed = redeem(&app, &f.participant_token);
    let secret = cookie_value(&redeemed, PARTICIPANT_COOKIE).unwrap();
    let csrf = cookie_get_in(&app, PARTICIPANT_COOKIE, "/api/me", &secret).body["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let before = settled_snapshot(&app);
    // Staff routes do not read the participant cookie: no credentials. The participant's
    // secret put into the staff cookie is a participant's all the same.
    for (cookie, status) in [(PARTICIPANT_COOKIE, 401), (STAFF_COOKIE, 403)] {
        for (method, path, body, _) in staff_routes(&f) {
            let res = cookie_send_in(&app, cookie, method, &path, &secret, Some(&csrf), &body);
            assert_eq!(res.status, status, "{cookie} {method} {path}: {}", res.text);
        }
    }
    assert_eq!(app.snapshot(), before);
}

#[test]
fn an_analyst_is_refused_on_facilitator_routes_but_reads_relays_and_stats() {
    let app = spawn_app();
    let f = fixture(&app);
    let analyst = granted_analyst(&app, &f);
    let before = settled_snapshot(&app);
    for (method, path, body, facilitator_only) in staff_routes(&f) {
        let res = call(&app, method, &path, Some(&analyst), &body);
        if facilitator_only {
            assert_eq!(res.status, 403, "{method} {path}: {}", res.text);
            assert_eq!(res.code(), "forbidden", "{method} {path}");
        } else {
            assert_eq!(res.status, 200, "{method} {path}: {}", res.text);
        }
    }
    assert_eq!(app.snapshot(), before, "nothing changed");
    // The relay list and stats name nobody.
    let people = app
        .get(
            &format!("/api/relays/{}/participants", f.relay),
            Some(&app.token),
        )
        .body;
    let stats = app.get(&format!("/api/relays/{}/stats", f.relay), Some(&analyst));
    let list = app.get("/api/relays", Some(&analyst));
    for p in people.as_array().unwrap() {
        let email = p["email"].as_str().unwrap();
        assert!(!stats.text.contains(email), "{}", stats.text);
        assert!(!list.text.contains(email));
    }
}

#[test]
fn the_caller_is_refused_before_the_body_or_query_is_read() {
    let app = spawn_app();
    let f = fixture(&app);
    let analyst = granted_analyst(&app, &f);
    let before = settled_snapshot(&app);
    // Invalid bodies: an unauthorised caller learns nothing about validation.
    let cases = [
        ("POST", "/api/relays".to_string(), json!({})),
        (
            "PATCH",
            format!("/api/relays/{}", f.draft),
            json!({ "no_such_field": 1 }),
        ),
        (
            "POST",
            format!("/api/relays/{}/participants", f.relay),
            json!({ "not": "a list" }),
        ),
        (
            "POST",
            format!("/api/questions/{}/reroute", f.qid),
            json!({ "to": "nobody" }),
        ),
    ];
    let mut rows = Vec::new();
    for (method, path, body) in cases {
        #[rustfmt::skip]
        let more = [
            refused(method, &path, Some(&analyst), Json(body.clone()), 403, "forbidden"),
            refused(method, &path, Some(&f.participant_token), Json(body.clone()), 403, "forbidden"),
            // Without credentials it is 401, whatever the body.
            refused(method, &path, None, Json(body), 401, "unauthorized"),
        ];
        rows.extend(more);
    }
    let answer = format!("/api/me/questions/{}/answer", f.qid);
    // A bad query string, likewise.
    let events = format!("/api/relays/{}/events?since=abc", f.relay);
    let staff = Some(app.token.as_str());
    #[rustfmt::skip]
    let more = [
        refused("POST", "/api/me/questions", staff, Json(json!({ "text": 5 })), 403, "forbidden"),
        refused("POST", answer, Some(&analyst), Raw("text/plain", b"not json".to_vec()), 403, "forbidden"),
        refused("GET", &events, Some(&analyst), Empty, 403, "forbidden"),
        refused("GET", &events, None, Empty, 401, "unauthorized"),
        refused("GET", "/api/me/events?since=abc", staff, Empty, 403, "forbidden"),
        refused("GET", "/api/me/events?since=abc", None, Empty, 401, "unauthorized"),
    ];
    rows.extend(more);
    assert_refused(&app, &rows);
    assert_eq!(app.snapshot(), before);
}

#[test]
fn an_admin_may_do_what_a_facilitator_does() {
    let app = spawn_app();
    let f = fixture(&app);
    let (_, admin) = app.add_staff("admin@example.dk", "admin");
    let res = app.post("/api/relays", Some(&admin), &relay_body("Adminens stafet"));
    assert_eq!(res.status, 201, "{}", res.text);
    let res = app.get(
        &format!("/api/relays/{}/participants", f.relay),
        Some(&admin),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let res = app.get(
        &format!("/api/relays/{}/events?since=0", f.relay),
        Some(&admin),
    );
    assert_eq!(res.status, 200, "{}", res.text);
}

#[test]
fn staff_tokens_and_sessions_are_refused_on_participant_routes() {
    let app = spawn_app();
    let f = fixture(&app);
    let analyst = granted_analyst(&app, &f);
    let (_, admin) = app.add_staff("admin@example.dk", "admin");
    let (secret, csrf) = login(&app, &app.facilitator_email, &app.facilitator_password);
    let before = settled_snapshot(&app);
    let mut rows = Vec::new();
    for token in [&app.token, &analyst, &admin] {
        for route in participant_routes(f.qid) {
            rows.push(row(&route, Some(token), 403, "forbidden"));
        }
    }
    assert_refused(&app, &rows);
    // Participant routes do not read the staff cookie; a staff secret in the participant
    // cookie is staff's all the same.
    for (cookie, status) in [(STAFF_COOKIE, 401), (PARTICIPANT_COOKIE, 403)] {
        for (method, path, body) in participant_routes(f.qid) {
            let res = cookie_send_in(&app, cookie, method, &path, &secret, Some(&csrf), &body);
            assert_eq!(res.status, status, "{cookie} {method} {path}: {}", res.text);
        }
    }
    assert_eq!(app.snapshot(), before);
}
