//! What holds for every response and the whole server: the security headers on every response,
//! and no link or bearer token in the real server's log.

use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use binary::wait_for;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::binary;
use crate::helpers::sessions::*;
use crate::helpers::{link_token, spawn_app, unknown_token};

#[test]
fn every_response_carries_the_security_headers() {
    let app = spawn_app();
    let (_, people) = app.open_relay(2, json!({}));
    let token = &people[0].token;
    let mut responses = vec![
        ("API JSON", app.get("/api/relays", Some(&app.token))),
        ("participant API", app.get("/api/me", Some(token))),
        ("401 JSON", app.get("/api/relays", None)),
        ("403 JSON", app.get("/api/relays", Some(token))),
        ("link page", app.get(&format!("/p/{token}"), None)),
        ("bad link page", app.get("/p/nope", None)),
        ("redeem redirect", redeem(&app, token)),
        ("404", app.get("/no/such/page", None)),
        ("404 API", app.get("/api/nothing-here", Some(&app.token))),
        (
            "422",
            app.post("/api/relays", Some(&app.token), &json!({ "title": "" })),
        ),
        (
            "400 malformed",
            app.send_raw(
                "POST",
                "/api/relays",
                Some(&app.token),
                "application/json",
                b"{not json",
                &[],
            ),
        ),
        (
            "login",
            try_login(&app, &app.facilitator_email, &app.facilitator_password),
        ),
        (
            "wrong method",
            app.send_raw("PUT", "/api/relays", Some(&app.token), "", b"", &[]),
        ),
    ];
    responses.push(("stylesheet", app.get("/static/stafet.css", None)));
    for (what, res) in &responses {
        assert_security_headers(what, res);
        assert_no_internals(what, &res.text);
    }
    // Error bodies are JSON, never HTML, on the API.
    for (what, res) in &responses[2..4] {
        assert!(res.content_type_is("application/json"), "{what}");
    }
    let not_found = &responses[7].1;
    assert_eq!(not_found.status, 404);
    assert_eq!(not_found.code(), "not_found");
}

fn link_tokens_in(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files
        .iter()
        .filter_map(|p| {
            let raw = std::fs::read(p).ok()?;
            let msg = mail_parser::MessageParser::default().parse(&raw)?;
            link_token(&msg.body_text(0)?)
        })
        .collect()
}

#[test]
fn the_real_server_never_logs_a_link_or_bearer_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stafet.sqlite");
    let mail = dir.path().join("mail");
    let (ok, out, err) = cli_user_add(&db, "fac@example.dk", "facilitator");
    assert!(ok, "{err}");
    let (_, staff_token) = parse_user_add(&out);

    let log_out = dir.path().join("stdout.log");
    let log_err = dir.path().join("stderr.log");
    let server = binary::Server::start(&db, &mail, &log_out, &log_err, &staff_token);
    let http = &server.http;

    // A relay with two participants, opened now: the opening emails carry links.
    let (status, text) = http
        .send(
            "POST",
            "/api/relays",
            Some(&staff_token),
            Some(&json!({
                "title": "Logtest", "topic": "Log", "purpose": "Ingen hemmeligheder i loggen.",
                "language": "da", "timezone": "Europe/Copenhagen",
                "starts_at": Utc::now() + Duration::days(1),
            })),
        )
        .unwrap();
    assert_eq!(status, 201, "{text}");
    let relay = serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, text) = http
        .send(
            "POST",
            &format!("/api/relays/{relay}/participants"),
            Some(&staff_token),
            Some(&json!([
                { "name": "Anne Log", "email": "anne@example.dk", "group": "Kommune" },
                { "name": "Bo Log", "email": "bo@example.dk", "group": "Stat" },
            ])),
        )
        .unwrap();
    assert_eq!(status, 200, "{text}");
    let (status, text) = http
        .send(
            "POST",
            &format!("/api/relays/{relay}/open"),
            Some(&staff_token),
            Some(&json!({})),
        )
        .unwrap();
    assert_eq!(status, 200, "{text}");
    let links = wait_for("the opening emails", || {
        let l = link_tokens_in(&mail);
        (l.len() >= 2).then_some(l)
    });
    let link = links[0].clone();

    let (status, page) = http.send("GET", &format!("/p/{link}"), None, None).unwrap();
    assert_eq!(status, 200, "{page}");
    let (status, _) = http
        .send("POST", &format!("/p/{link}"), None, None)
        .unwrap();
    assert_eq!(status, 303);
    let (status, me) = http.send("GET", "/api/me", Some(&link), None).unwrap();
    assert_eq!(status, 200, "{me}");
    // The websocket takes a participant's link in the query string; it must not be logged either.
    let (status, ws) = http
        .send("GET", &format!("/ws?token={link}&since=0"), None, None)
        .unwrap();
    assert_ne!(status, 401, "{ws}");
    let (status, _) = http
        .send(
            "POST",
            "/api/me/questions",
            Some(&links[1]),
            Some(&json!({ "text": "Hvad står der i din log?" })),
        )
        .unwrap();
    assert_eq!(status, 201);
    let bad = unknown_token();
    let (status, _) = http.send("GET", &format!("/p/{bad}"), None, None).unwrap();
    assert_eq!(status, 401);
    let (status, _) = http.send("GET", "/api/me", Some(&bad), None).unwrap();
    assert_eq!(status, 401);
    // Give the last request spans a moment to close, then stop the server.
    std::thread::sleep(StdDuration::from_millis(300));
    drop(server);

    let log = format!(
        "{}\n{}",
        std::fs::read_to_string(&log_out).unwrap(),
        std::fs::read_to_string(&log_err).unwrap()
    );
    assert!(
        log.contains("/p/{token}"),
        "the route pattern is logged: {log}"
    );
    for secret in links.iter().chain([&staff_token, &bad]) {
        assert!(!log.contains(secret.as_str()), "a secret in the log: {log}");
    }
    // Not even a recognisable piece of one.
    assert!(!log.contains(&link[..16]), "{log}");
}
