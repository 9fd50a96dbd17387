//! Credentials that end (issue 14, part B): staff sessions idle out and have an absolute
//! lifetime, API tokens have a name and an expiry and can be revoked, sessions are listed and
//! ended, a password change ends the other sessions, a newer participant link supersedes the
//! older ones after the grace period, links end after the relay's close window, and a
//! participant who lost their link gets a fresh one by email. Real server, real HTTP and
//! websockets, the manual clock.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use chrono::Duration as Span;
use live::{Live, POLICY, connect, connect_with};
use serde_json::{Value, json};

use crate::helpers::live;
use crate::helpers::refusals::Body::{Empty, Json, Raw};
use crate::helpers::refusals::{assert_refused, refused};
use crate::helpers::smtp;
use crate::helpers::{self, Res, TestApp, spawn_app, spawn_app_with, token_after};

/// A signed-in browser: its `Cookie` header and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

fn login_as(app: &TestApp, email: &str, password: &str, agent: &str) -> Browser {
    let res = app.send_raw(
        "POST",
        "/api/auth/login",
        None,
        "application/json",
        json!({ "email": email, "password": password })
            .to_string()
            .as_bytes(),
        &[("User-Agent", agent)],
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let cookie = res
        .all_headers("set-cookie")
        .iter()
        .filter_map(|c| c.split(';').next())
        .filter(|pair| !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ");
    Browser {
        cookie,
        csrf: res.body["csrf_token"].as_str().unwrap().to_string(),
    }
}

fn login(app: &TestApp) -> Browser {
    login_as(
        app,
        &app.facilitator_email,
        &app.facilitator_password,
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    )
}

impl Browser {
    fn get(&self, app: &TestApp, path: &str) -> Res {
        app.get_with(path, &[("Cookie", &self.cookie)])
    }

    fn post(&self, app: &TestApp, path: &str, body: &Value) -> Res {
        let headers = [
            ("Cookie", self.cookie.as_str()),
            ("X-CSRF-Token", self.csrf.as_str()),
            ("Origin", app.base.as_str()),
        ];
        app.send_json_with("POST", path, body, &headers)
    }

    fn staff_socket(&self, app: &TestApp, relay: i64) -> Live {
        let headers = [
            ("Cookie", self.cookie.as_str()),
            ("Origin", app.base.as_str()),
        ];
        let mut ws = connect_with(&app.base, &format!("relay={relay}"), &headers);
        ws.read_for(Duration::from_millis(300));
        assert!(ws.closed.is_none(), "{:?}", ws.closed);
        ws
    }
}

/// Fails unless the server closes `ws` for a policy reason naming `word` within a second of
/// `since` (SPEC §4); the read itself waits up to 5 s so a slow machine shows the real time.
fn assert_closes(ws: &mut Live, since: Instant, word: &str) {
    let got = ws.read_for(Duration::from_secs(5));
    let closed = ws
        .closed
        .as_ref()
        .unwrap_or_else(|| panic!("the socket stayed open; got {got:?}"));
    assert_eq!(closed.code, POLICY, "{closed:?}");
    assert!(closed.reason.contains(word), "{closed:?}");
    let took = closed.at.duration_since(since);
    assert!(took < Duration::from_secs(1), "closed after {took:?}");
}

/// The ids in a listing.
fn ids(res: &Res) -> Vec<i64> {
    res.body
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", res.text))
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn a_staff_session_ends_after_two_idle_hours_and_use_keeps_it_alive() {
    let app = spawn_app();
    let browser = login(&app);
    assert_eq!(browser.get(&app, "/api/auth/me").status, 200);

    // Used every 100 minutes, it stays (each use moves the idle window).
    for _ in 0..3 {
        app.clock.advance(Span::minutes(100));
        let res = browser.get(&app, "/api/auth/me");
        assert_eq!(res.status, 200, "{}", res.text);
    }

    // Then two hours without use end it: refused, and no longer listed.
    let other = login(&app);
    app.clock.advance(Span::minutes(100));
    assert_eq!(other.get(&app, "/api/auth/me").status, 200);
    app.clock.advance(Span::minutes(20));
    let res = browser.get(&app, "/api/auth/me");
    assert_eq!(res.status, 401, "{}", res.text);
    assert_eq!(res.code(), "unauthorized");
    let listed = other.get(&app, "/api/auth/sessions");
    assert_eq!(ids(&listed).len(), 1, "{}", listed.text);
}

#[test]
fn a_session_in_constant_use_still_ends_at_its_absolute_lifetime_and_closes_its_socket() {
    let app = spawn_app();
    let (relay, _) = app.open_relay(2, json!({}));
    let browser = login(&app);
    // 11 h 45 min of use, a request every 45 minutes.
    for _ in 0..15 {
        app.clock.advance(Span::minutes(47));
        assert_eq!(browser.get(&app, "/api/auth/me").status, 200);
    }
    let mut ws = browser.staff_socket(&app, relay);

    app.clock.advance(Span::minutes(60));
    let expired = Instant::now();

    assert_closes(&mut ws, expired, "expired");
    assert_eq!(browser.get(&app, "/api/auth/me").status, 401);
}

#[test]
fn the_idle_and_absolute_lifetimes_are_configurable() {
    let app = spawn_app_with(|s| {
        s.server.session_idle_minutes = 10;
        s.server.session_absolute_hours = 1;
    });
    let browser = login(&app);
    app.clock.advance(Span::minutes(9));
    assert_eq!(browser.get(&app, "/api/auth/me").status, 200);
    app.clock.advance(Span::minutes(10));
    assert_eq!(browser.get(&app, "/api/auth/me").status, 401);

    let browser = login(&app);
    for _ in 0..6 {
        app.clock.advance(Span::minutes(9));
        assert_eq!(browser.get(&app, "/api/auth/me").status, 200);
    }
    app.clock.advance(Span::minutes(9));
    assert_eq!(browser.get(&app, "/api/auth/me").status, 401);
}

#[test]
fn a_use_is_written_down_at_most_once_a_minute() {
    let app = spawn_app();
    let browser = login(&app);
    let last_seen = || {
        let res = browser.get(&app, "/api/auth/sessions");
        res.body[0]["last_seen_at"].as_str().unwrap().to_string()
    };
    let first = last_seen();
    app.clock.advance(Span::seconds(30));
    assert_eq!(last_seen(), first, "written again within a minute");
    app.clock.advance(Span::seconds(31));
    assert_ne!(last_seen(), first, "not written after a minute");
}

#[test]
fn an_api_token_is_created_listed_used_and_revoked_and_its_socket_closes() {
    let app = spawn_app();
    let (relay, _) = app.open_relay(2, json!({}));

    let res = app.post(
        "/api/auth/tokens",
        Some(&app.token),
        &json!({ "name": "eksport til BI", "expires_in_days": 30 }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let tid = res.body["id"].as_i64().unwrap();
    let token = res.body["token"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/relays", Some(&token)).status, 200);

    let list = app.get("/api/auth/tokens", Some(&token));
    assert_eq!(list.status, 200, "{}", list.text);
    assert!(!list.text.contains(&token), "the secret is listed");
    let mine = list.body.as_array().unwrap();
    let row = mine.iter().find(|t| t["id"] == tid).expect("listed");
    assert_eq!(row["name"], "eksport til BI");
    assert!(
        row["expires_at"]
            .as_str()
            .unwrap()
            .starts_with("2027-01-05"),
        "{row}"
    );
    assert!(row["last_used_at"].is_string(), "used: {row}");
    assert!(row.get("token").is_none() && row.get("token_hash").is_none());

    let mut ws = connect(&app.base, &format!("token={token}&relay={relay}"));
    ws.read_for(Duration::from_millis(300));
    assert!(ws.closed.is_none());

    let res = app.delete(&format!("/api/auth/tokens/{tid}"), Some(&app.token));
    assert_eq!(res.status, 204, "{}", res.text);
    let revoked = Instant::now();

    assert_closes(&mut ws, revoked, "revoked");
    assert_eq!(app.get("/api/relays", Some(&token)).status, 401);
    assert!(!ids(&app.get("/api/auth/tokens", Some(&app.token))).contains(&tid));
    let again = app.delete(&format!("/api/auth/tokens/{tid}"), Some(&app.token));
    assert_eq!(again.status, 404, "{}", again.text);
}

#[test]
fn an_api_token_stops_working_at_its_expiry() {
    let app = spawn_app();
    let res = app.post(
        "/api/auth/tokens",
        Some(&app.token),
        &json!({ "name": "kort", "expires_in_days": 1 }),
    );
    let token = res.body["token"].as_str().unwrap().to_string();
    app.clock.advance(Span::hours(23));
    assert_eq!(app.get("/api/relays", Some(&token)).status, 200);
    app.clock.advance(Span::hours(1));
    let res = app.get("/api/relays", Some(&token));
    assert_eq!(res.status, 401, "{}", res.text);
    let tid = res.body["id"].as_i64();
    assert_eq!(tid, None);
    let listed = ids(&app.get("/api/auth/tokens", Some(&app.token)));
    assert_eq!(
        listed.len(),
        1,
        "the expired token is still listed: {listed:?}"
    );
}

#[test]
fn the_token_stafet_user_add_prints_expires_in_ninety_days() {
    let app = spawn_app();
    let list = app.get("/api/auth/tokens", Some(&app.token));
    let expiry = list.body[0]["expires_at"].as_str().unwrap();
    // Created at t0 − 1 day (2026-12-06 08:00), 90 days later.
    assert!(expiry.starts_with("2027-03-06T08:00"), "{expiry}");
    app.clock.advance(Span::days(90));
    assert_eq!(app.get("/api/relays", Some(&app.token)).status, 401);
}

#[test]
fn someone_elses_token_or_session_answers_404_and_stays() {
    let app = spawn_app();
    let (_, other_token) = app.add_staff("other@example.dk", "facilitator");
    let browser = login(&app);
    let sid = ids(&browser.get(&app, "/api/auth/sessions"))[0];
    let mine = ids(&app.get("/api/auth/tokens", Some(&app.token)))[0];

    let res = app.delete(&format!("/api/auth/tokens/{mine}"), Some(&other_token));
    assert_eq!((res.status, res.code()), (404, "not_found"), "{}", res.text);
    let res = app.delete(&format!("/api/auth/sessions/{sid}"), Some(&other_token));
    assert_eq!((res.status, res.code()), (404, "not_found"), "{}", res.text);
    // A token id is not a session id, nor the other way round.
    let res = app.delete(&format!("/api/auth/sessions/{mine}"), Some(&app.token));
    assert_eq!(res.status, 404, "{}", res.text);

    assert_eq!(app.get("/api/relays", Some(&app.token)).status, 200);
    assert_eq!(browser.get(&app, "/api/auth/me").status, 200);
}

#[test]
fn sessions_are_listed_and_one_ended_elsewhere_closes_its_socket() {
    let app = spawn_app();
    let (relay, _) = app.open_relay(2, json!({}));
    let laptop = login(&app);
    let phone = login_as(
        &app,
        &app.facilitator_email,
        &app.facilitator_password,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
         (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    );
    let mut phone_ws = phone.staff_socket(&app, relay);

    let list = laptop.get(&app, "/api/auth/sessions");
    assert_eq!(list.status, 200, "{}", list.text);
    let sessions = list.body.as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["user_agent"], "Firefox on Linux");
    let other = sessions.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(other["user_agent"], "Safari on iOS");
    for key in ["created_at", "last_seen_at"] {
        assert!(other[key].is_string(), "{key}: {other}");
    }

    let res = app.delete(&format!("/api/auth/sessions/{}", other["id"]), None);
    assert_eq!(res.status, 401, "{}", res.text);
    let res = app.delete(
        &format!("/api/auth/sessions/{}", other["id"]),
        Some(&app.token),
    );
    assert_eq!(res.status, 204, "{}", res.text);
    let ended = Instant::now();

    assert_closes(&mut phone_ws, ended, "revoked");
    assert_eq!(phone.get(&app, "/api/auth/me").status, 401);
    assert_eq!(laptop.get(&app, "/api/auth/me").status, 200);
    assert_eq!(ids(&laptop.get(&app, "/api/auth/sessions")).len(), 1);
}

#[test]
fn a_password_change_ends_the_other_sessions_and_keeps_this_one() {
    let app = spawn_app();
    let here = login(&app);
    let elsewhere = login(&app);
    let new = "en helt ny og lang adgangskode";

    let res = here.post(
        &app,
        "/api/auth/password",
        &json!({ "current": app.facilitator_password, "new": new }),
    );
    assert_eq!(res.status, 204, "{}", res.text);

    assert_eq!(here.get(&app, "/api/auth/me").status, 200);
    assert_eq!(elsewhere.get(&app, "/api/auth/me").status, 401);
    let res = app.post(
        "/api/auth/login",
        None,
        &json!({ "email": app.facilitator_email, "password": app.facilitator_password }),
    );
    assert_eq!(res.status, 401, "the old password still works");
    login_as(&app, &app.facilitator_email, new, "curl/8");
}

#[test]
fn a_bad_password_change_is_refused_with_a_json_error_and_changes_nothing() {
    let app = spawn_app();
    let here = login(&app);
    let elsewhere = login(&app);
    let before = app.snapshot();
    let cases = [
        (
            json!({ "current": "wrong password!", "new": "en helt ny og lang adgangskode" }),
            403,
            "wrong_password",
        ),
        (
            json!({ "current": app.facilitator_password, "new": "kort" }),
            422,
            "validation_failed",
        ),
        (
            json!({ "current": app.facilitator_password, "new": "x".repeat(257) }),
            422,
            "validation_failed",
        ),
        (
            json!({ "current": app.facilitator_password }),
            422,
            "validation_failed",
        ),
        (
            json!({ "current": app.facilitator_password, "new": "en helt ny og lang adgangskode", "extra": 1 }),
            422,
            "validation_failed",
        ),
    ];
    for (body, status, code) in cases {
        let res = here.post(&app, "/api/auth/password", &body);
        assert_eq!(
            (res.status, res.code()),
            (status, code),
            "{body}: {}",
            res.text
        );
    }
    let res = app.post(
        "/api/auth/password",
        None,
        &json!({ "current": app.facilitator_password, "new": "en helt ny og lang adgangskode" }),
    );
    assert_eq!(res.status, 401, "{}", res.text);
    assert_eq!(app.snapshot(), before);
    assert_eq!(elsewhere.get(&app, "/api/auth/me").status, 200);
    login(&app);
}

#[test]
fn bad_token_requests_are_refused_with_a_json_error_and_change_nothing() {
    let app = spawn_app();
    let before = app.snapshot();
    let t = Some(app.token.as_str());
    let tokens = "/api/auth/tokens";
    let invalid = |body: Value| refused("POST", tokens, t, Json(body), 422, "validation_failed");
    let mut rows = vec![
        invalid(json!({ "name": "x", "expires_in_days": 0 })),
        invalid(json!({ "name": "x", "expires_in_days": 366 })),
        invalid(json!({ "name": "x", "expires_in_days": -3 })),
        invalid(json!({ "name": "x", "expires_in_days": 1.5 })),
        invalid(json!({ "name": "x", "expires_in_days": "30" })),
        invalid(json!({ "name": "", "expires_in_days": 30 })),
        invalid(json!({ "name": "  ", "expires_in_days": 30 })),
        invalid(json!({ "name": "x".repeat(101), "expires_in_days": 30 })),
        invalid(json!({ "expires_in_days": 30 })),
        invalid(json!({ "name": "x" })),
        invalid(json!({ "name": "x", "expires_in_days": 30, "scope": "all" })),
    ];
    let cut_off = Raw("application/json", b"{\"name\": ".to_vec());
    let good = json!({ "name": "x", "expires_in_days": 30 });
    #[rustfmt::skip]
    rows.extend([
        refused("POST", tokens, t, cut_off, 400, "malformed_json"),
        refused("POST", tokens, None, Json(good), 401, "unauthorized"),
        refused("DELETE", "/api/auth/tokens/abc", t, Empty, 404, "not_found"),
        refused("DELETE", "/api/auth/tokens/999999", t, Empty, 404, "not_found"),
    ]);
    assert_refused(&app, &rows);
    assert_eq!(app.snapshot(), before);
}

/// Resends the participant's latest email; returns the link in the new email.
fn resend(app: &TestApp, relay: i64, p: &helpers::Person) -> String {
    let res = app.post(
        &format!("/api/relays/{relay}/participants/{}/resend-email", p.id),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 202, "{}", res.text);
    let emails = app.emails_to(&p.email);
    emails.last().and_then(|e| e.link_token()).unwrap()
}

#[test]
fn a_newer_link_supersedes_the_older_one_after_the_grace_period() {
    // The shipped grace period, a day (the harness lengthens it for the other tests).
    let shipped = stafet::config::Settings::load().unwrap().links.grace_hours;
    assert_eq!(shipped, 24);
    let app = spawn_app_with(|s| s.links.grace_hours = shipped);
    let (relay, people) = app.open_relay(2, json!({}));
    let p = &people[0];
    let old = p.token.clone();
    let mut ws = connect(&app.base, &format!("token={old}"));
    ws.read_for(Duration::from_millis(300));

    app.clock.advance(Span::hours(2));
    let new = resend(&app, relay, p);
    assert_ne!(new, old);

    // Within the grace period both work.
    app.clock.advance(Span::hours(23));
    assert_eq!(app.get("/api/me", Some(&old)).status, 200);
    assert_eq!(app.get("/api/me", Some(&new)).status, 200);
    assert!(ws.read_for(Duration::from_millis(300)).is_empty() && ws.closed.is_none());

    // A day after the newer one went out the old one no longer works, anywhere.
    app.clock.advance(Span::hours(1));
    let superseded = Instant::now();
    assert_closes(&mut ws, superseded, "superseded");
    let res = app.get("/api/me", Some(&old));
    assert_eq!(
        (res.status, res.code()),
        (401, "link_superseded"),
        "{}",
        res.text
    );
    let page = app.get(&format!("/p/{old}"), None);
    assert_eq!(page.status, 401);
    assert!(page.text.contains("Linket virker ikke"), "{}", page.text);
    assert!(page.text.contains("href=\"/p/recover\""), "{}", page.text);
    assert_eq!(app.get("/api/me", Some(&new)).status, 200);
    // The other participant's link is theirs alone: untouched.
    assert_eq!(app.get("/api/me", Some(&people[1].token)).status, 200);
}

#[test]
fn the_grace_period_is_configurable() {
    let app = spawn_app_with(|s| s.links.grace_hours = 1);
    let (relay, people) = app.open_relay(2, json!({}));
    let old = people[0].token.clone();
    resend(&app, relay, &people[0]);
    app.clock.advance(Span::minutes(59));
    assert_eq!(app.get("/api/me", Some(&old)).status, 200);
    app.clock.advance(Span::minutes(1));
    assert_eq!(app.get("/api/me", Some(&old)).status, 401);
}

#[test]
fn links_and_participant_sessions_end_when_the_close_window_has_passed() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(2, json!({ "share_output": true }));
    let p = &people[0];
    let redeem = app.send_raw(
        "POST",
        &format!("/p/{}", p.token),
        None,
        "",
        b"",
        &[("Origin", &app.base)],
    );
    assert_eq!(redeem.status, 303, "{}", redeem.text);
    let session: String = redeem
        .all_headers("set-cookie")
        .iter()
        .filter_map(|c| c.split(';').next())
        .find(|c| c.starts_with("stafet_participant="))
        .unwrap()
        .to_string();
    app.close_relay(relay);
    let tokens = app.emails_to(&p.email);
    let closing_link = tokens.last().and_then(|e| e.link_token()).unwrap();

    app.clock.advance(Span::days(29));
    assert_eq!(app.get("/api/me", Some(&closing_link)).status, 200);
    assert_eq!(app.get_with("/api/me", &[("Cookie", &session)]).status, 200);

    app.clock.advance(Span::days(2));
    let res = app.get("/api/me", Some(&closing_link));
    assert_eq!(
        (res.status, res.code()),
        (410, "link_expired"),
        "{}",
        res.text
    );
    let res = app.get_with("/api/me", &[("Cookie", &session)]);
    assert_eq!(
        (res.status, res.code()),
        (410, "link_expired"),
        "{}",
        res.text
    );
}

/// The staff feed's events of `kind`.
fn staff_events(app: &TestApp, relay: i64, kind: &str) -> Vec<Value> {
    let res = app.get(&format!("/api/relays/{relay}/events"), Some(&app.token));
    assert_eq!(res.status, 200, "{}", res.text);
    res.body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == kind)
        .cloned()
        .collect()
}

#[test]
fn a_lost_link_is_recovered_by_email_for_each_live_relay() {
    let app = spawn_app();
    let (open, people) = app.open_relay(2, json!({}));
    let p = people[0].clone();
    // The same person in a scheduled relay, and in a draft (nothing sent: nothing to recover).
    let scheduled = app.create_relay(json!({}));
    let row = json!({ "name": p.name, "email": p.email, "group": "Kommune" });
    let other = json!({ "name": "Anden", "email": "anden@example.dk", "group": "Stat" });
    app.import_rows(scheduled, vec![row.clone(), other.clone()]);
    let res = app.post(
        &format!("/api/relays/{scheduled}/schedule"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let draft = app.create_relay(json!({}));
    app.import_rows(draft, vec![row, other]);
    let before = app.emails_to(&p.email).len();

    let res = app.post(
        "/p/recover",
        None,
        &json!({ "email": p.email.to_uppercase() }),
    );
    assert_eq!(res.status, 202, "{}", res.text);
    let answer = res.text.clone();

    let emails = app.emails_to(&p.email);
    assert_eq!(emails.len(), before + 2, "one fresh link per live relay");
    // The relay's welcome again: its opening email, and the invitation of the scheduled one.
    let subjects: Vec<&str> = emails[before..]
        .iter()
        .map(|e| e.subject.as_str())
        .collect();
    let first_subjects: Vec<&str> = emails[..before]
        .iter()
        .map(|e| e.subject.as_str())
        .collect();
    for s in &subjects {
        assert!(
            first_subjects.contains(s),
            "{s:?} is not one of {first_subjects:?}"
        );
    }
    let fresh: Vec<String> = emails[before..]
        .iter()
        .filter_map(|e| e.link_token())
        .collect();
    assert_eq!(fresh.len(), 2);
    let mut relays: Vec<i64> = fresh
        .iter()
        .map(|t| {
            let me = app.get("/api/me", Some(t));
            assert_eq!(me.status, 200, "{}", me.text);
            me.body["relay"]["id"].as_i64().unwrap()
        })
        .collect();
    relays.sort_unstable();
    assert_eq!(relays, vec![open, scheduled]);
    for relay in [open, scheduled] {
        let seen = staff_events(&app, relay, "link_recovered");
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0]["data"]["participant_id"].is_i64(), "{seen:?}");
    }
    assert!(staff_events(&app, draft, "link_recovered").is_empty());

    // An unknown address gets the same answer, and nothing is sent.
    let count = app.count("email_outbox");
    let res = app.post("/p/recover", None, &json!({ "email": "ukendt@example.dk" }));
    assert_eq!((res.status, res.text.as_str()), (202, answer.as_str()));
    assert_eq!(app.count("email_outbox"), count);
}

#[test]
fn a_suspended_participant_recovers_nothing_but_hears_the_same() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(2, json!({}));
    let p = &people[0];
    let res = app.post(
        &format!("/api/relays/{relay}/participants/{}/suspend", p.id),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let count = app.count("email_outbox");
    let res = app.post("/p/recover", None, &json!({ "email": p.email }));
    assert_eq!(res.status, 202, "{}", res.text);
    assert_eq!(app.count("email_outbox"), count);
    assert!(staff_events(&app, relay, "link_recovered").is_empty());
}

#[test]
fn the_recovery_form_posts_and_answers_with_a_page() {
    let app = spawn_app();
    let (_, people) = app.open_relay(2, json!({}));
    let form = app.get_with("/p/recover", &[("Accept-Language", "en-GB,en;q=0.9")]);
    assert_eq!(form.status, 200);
    assert!(form.text.contains("Get a new link"), "{}", form.text);
    assert!(form.text.contains("name=\"email\""));
    let danish = app.get("/p/recover", None);
    assert!(danish.text.contains("Få et nyt link"), "{}", danish.text);

    let before = app.emails_to(&people[0].email).len();
    let body = format!("email={}", people[0].email.replace('@', "%40"));
    let res = app.send_raw(
        "POST",
        "/p/recover",
        None,
        "application/x-www-form-urlencoded",
        body.as_bytes(),
        &[("Origin", &app.base)],
    );
    assert_eq!(res.status, 202, "{}", res.text);
    assert!(res.text.contains("Ældre links holder op"), "{}", res.text);
    assert_eq!(app.emails_to(&people[0].email).len(), before + 1);
}

#[test]
fn recovery_is_rate_limited_per_address_and_per_client() {
    let app = spawn_app_with(|s| {
        s.rate_limit.recover_per_hour_per_email = 2;
        s.rate_limit.recover_per_hour_per_client = 5;
    });
    let (_, people) = app.open_relay(2, json!({}));
    let ask = |email: &str| app.post("/p/recover", None, &json!({ "email": email }));
    for _ in 0..2 {
        assert_eq!(ask(&people[0].email).status, 202);
    }
    let res = ask(&people[0].email);
    assert_eq!(
        (res.status, res.code()),
        (429, "rate_limited"),
        "{}",
        res.text
    );
    // Known or not, an address is counted the same.
    assert_eq!(ask("ukendt@example.dk").status, 202);
    assert_eq!(ask("ukendt@example.dk").status, 202);
    assert_eq!(ask("ukendt@example.dk").status, 429);
    // The client has had five (the refused ones count too): a fresh address is refused.
    let res = ask("helt-ny@example.dk");
    assert_eq!(res.status, 429, "{}", res.text);
}

#[test]
fn bad_recovery_requests_are_refused_with_a_json_error_and_change_nothing() {
    let app = spawn_app();
    app.open_relay(2, json!({}));
    let before = app.snapshot();
    let recover = |content_type, body: &[u8], status, code| {
        refused(
            "POST",
            "/p/recover",
            None,
            Raw(content_type, body.to_vec()),
            status,
            code,
        )
    };
    let invalid = "validation_failed";
    let json = "application/json";
    let rows = [
        recover(json, b"{\"email\": \"not an address\"}", 422, invalid),
        recover(json, b"{\"email\": 5}", 422, invalid),
        recover(json, b"{}", 422, invalid),
        recover(json, b"{\"email\": \"a@b.dk\", \"x\": 1}", 422, invalid),
        recover(json, b"{\"email\": ", 400, "malformed_json"),
        recover("text/plain", b"a@b.dk", 415, "unsupported_media_type"),
        recover(json, b"{\"email\": \"p0@kommune0.dk\"}", 403, "cross_site")
            .with_header("Origin", "https://evil.example"),
    ];
    assert_refused(&app, &rows);
    assert_eq!(app.snapshot(), before);
}

/// A server whose email goes over SMTP to a sink in the test.
fn smtp_app() -> (TestApp, smtp::SmtpServer) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = smtp::SmtpServer::start(listener);
    let app = spawn_app_with(|s| {
        s.email.smtp.host = Some("127.0.0.1".into());
        s.email.smtp.port = port;
        s.email.smtp.tls = "none".into();
        s.email.smtp.timeout_secs = 5;
    });
    (app, sink)
}

/// The reset tokens in the emails the sink received for `to`, oldest first (waits up to 10 s
/// for `count` of them).
fn reset_tokens(sink: &smtp::SmtpServer, to: &str, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let tokens: Vec<String> = sink
            .messages()
            .iter()
            .filter(|m| m.to == to)
            .filter_map(|m| token_after(&m.text, "/reset/"))
            .collect();
        if tokens.len() >= count || Instant::now() > deadline {
            return tokens;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_forgotten_password_is_reset_by_a_single_use_emailed_link_that_ends_every_session() {
    let (app, sink) = smtp_app();
    let before = login(&app);
    let res = app.post(
        "/api/auth/reset",
        None,
        &json!({ "email": "FAC@example.dk" }),
    );
    assert_eq!(res.status, 202, "{}", res.text);
    let answer = res.text.clone();
    let tokens = reset_tokens(&sink, &app.facilitator_email, 1);
    assert_eq!(tokens.len(), 1, "one reset email");
    let mail = sink.messages().pop().unwrap();
    assert!(
        mail.text.contains("http://stafet.test/reset/"),
        "{}",
        mail.text
    );

    // The link's page is there, and opening it changes nothing.
    let page = app.get(&format!("/reset/{}", tokens[0]), None);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("/static/js/reset.js"), "{}", page.text);
    assert_eq!(before.get(&app, "/api/auth/me").status, 200);

    let new = "et nyt og langt kodeord";
    let res = app.post(
        &format!("/api/auth/reset/{}", tokens[0]),
        None,
        &json!({ "password": new }),
    );
    assert_eq!(res.status, 204, "{}", res.text);
    assert_eq!(
        before.get(&app, "/api/auth/me").status,
        401,
        "a session outlived the reset"
    );
    login_as(&app, &app.facilitator_email, new, "curl/8");

    // Single use.
    let again = app.post(
        &format!("/api/auth/reset/{}", tokens[0]),
        None,
        &json!({ "password": "noget helt tredje her" }),
    );
    assert_eq!(
        (again.status, again.code()),
        (404, "not_found"),
        "{}",
        again.text
    );
    login_as(&app, &app.facilitator_email, new, "curl/8");

    // An unknown address hears exactly the same, and nothing is sent.
    let queued = app.count("email_outbox");
    let res = app.post(
        "/api/auth/reset",
        None,
        &json!({ "email": "ingen@example.dk" }),
    );
    assert_eq!((res.status, res.text.as_str()), (202, answer.as_str()));
    assert_eq!(app.count("email_outbox"), queued);
}

#[test]
fn a_reset_link_works_for_an_hour() {
    let (app, sink) = smtp_app();
    for _ in 0..2 {
        let res = app.post(
            "/api/auth/reset",
            None,
            &json!({ "email": app.facilitator_email }),
        );
        assert_eq!(res.status, 202, "{}", res.text);
    }
    let tokens = reset_tokens(&sink, &app.facilitator_email, 2);
    assert_eq!(tokens.len(), 2);
    app.clock.advance(Span::minutes(59));
    let res = app.post(
        &format!("/api/auth/reset/{}", tokens[0]),
        None,
        &json!({ "password": "inden for timen, dette" }),
    );
    assert_eq!(res.status, 204, "{}", res.text);
    app.clock.advance(Span::minutes(1));
    let res = app.post(
        &format!("/api/auth/reset/{}", tokens[1]),
        None,
        &json!({ "password": "efter timen, ikke dette" }),
    );
    assert_eq!((res.status, res.code()), (404, "not_found"), "{}", res.text);
    login_as(
        &app,
        &app.facilitator_email,
        "inden for timen, dette",
        "curl/8",
    );
}

#[test]
fn reset_requests_are_rate_limited_per_address_and_per_client() {
    let app = spawn_app_with(|s| {
        s.rate_limit.recover_per_hour_per_email = 2;
        s.rate_limit.recover_per_hour_per_client = 4;
    });
    let ask = |email: &str| app.post("/api/auth/reset", None, &json!({ "email": email }));
    assert_eq!(ask(&app.facilitator_email).status, 202);
    assert_eq!(ask(&app.facilitator_email).status, 202);
    let res = ask(&app.facilitator_email);
    assert_eq!(
        (res.status, res.code()),
        (429, "rate_limited"),
        "{}",
        res.text
    );
    assert_eq!(ask("ingen@example.dk").status, 202);
    let res = ask("en-anden@example.dk");
    assert_eq!(
        (res.status, res.code()),
        (429, "rate_limited"),
        "{}",
        res.text
    );
    assert_eq!(app.count("password_resets"), 2);
}

#[test]
fn bad_reset_requests_are_refused_with_a_json_error_and_change_nothing() {
    let app = spawn_app();
    let res = app.post(
        "/api/auth/reset",
        None,
        &json!({ "email": app.facilitator_email }),
    );
    assert_eq!(res.status, 202);
    let before = (app.snapshot(), app.count("password_resets"));
    let unknown = format!("/api/auth/reset/{}", helpers::unknown_token());
    let reset = "/api/auth/reset";
    let invalid = "validation_failed";
    let password = json!({ "password": "et langt nok kodeord" });
    let ours = json!({ "email": app.facilitator_email });
    #[rustfmt::skip]
    let rows = [
        refused("POST", reset, None, Json(json!({ "email": "ikke en adresse" })), 422, invalid),
        refused("POST", reset, None, Json(json!({})), 422, invalid),
        refused("POST", reset, None, Json(json!({ "email": "a@b.dk", "x": 1 })), 422, invalid),
        refused("POST", "/api/auth/reset/nonsense", None, Json(password.clone()), 404, "not_found"),
        refused("POST", &unknown, None, Json(password), 404, "not_found"),
        refused("POST", &unknown, None, Json(json!({ "password": "kort" })), 422, invalid),
        refused("POST", reset, None, Json(ours), 403, "cross_site").with_header("Origin", "https://evil.example"),
    ];
    assert_refused(&app, &rows);
    assert_eq!((app.snapshot(), app.count("password_resets")), before);
    login(&app);
}

/// Creating and revoking a token, ending a session and changing the password each leave a row
/// in the person's organisation's audit log, naming who and what, never the secret.
#[test]
fn credential_changes_are_in_the_audit_log_without_their_secrets() {
    let app = spawn_app();
    let (_, admin) = app.add_staff("revisor@example.dk", "admin");
    let res = app.post(
        "/api/auth/tokens",
        Some(&app.token),
        &json!({ "name": "ci", "expires_in_days": 7 }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let secret = res.body["token"].as_str().unwrap().to_string();
    let tid = res.body["id"].as_i64().unwrap();
    let res = app.delete(&format!("/api/auth/tokens/{tid}"), Some(&app.token));
    assert_eq!(res.status, 204, "{}", res.text);
    let res = app.delete("/api/auth/sessions/999999", Some(&app.token));
    assert_eq!(
        res.status, 404,
        "a refused revocation is not audited: {}",
        res.text
    );
    let new_password = "et helt nyt og langt kodeord";
    let res = app.post(
        "/api/auth/password",
        Some(&app.token),
        &json!({ "current": app.facilitator_password, "new": new_password }),
    );
    assert_eq!(res.status, 204, "{}", res.text);

    let res = app.get("/api/orgs/1/audit", Some(&admin));
    assert_eq!(res.status, 200, "{}", res.text);
    let mine: Vec<&Value> = res
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == app.facilitator_email.as_str())
        .collect();
    let actions: Vec<&str> = mine.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["token_created", "token_revoked", "password_changed"],
        "{mine:?}"
    );
    assert_eq!(mine[0]["detail"]["name"], "ci");
    assert_eq!(mine[1]["target_id"], tid);
    assert!(
        !res.text.contains(&secret),
        "no token secret in the audit log"
    );
    assert!(
        !res.text.contains(new_password),
        "no password in the audit log"
    );
}
