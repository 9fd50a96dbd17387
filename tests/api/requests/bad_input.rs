//! Requests that are not well formed, on any route, get a clear JSON error with a fitting status
//! and change nothing (SPEC §4, §6): malformed JSON, bodies that are not JSON or too large, ids
//! that are not numbers, unknown routes and methods, malformed query strings, dates out of
//! bounds wherever they are sent, and texts bounded by their visible characters.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::fixtures::*;
use crate::helpers::refusals::Body::{Empty, Json, Raw};
use crate::helpers::refusals::{assert_json_error, assert_refused, refused};
use crate::helpers::{Res, TestApp, relay_body, spawn_app, spawn_app_with, t0, to_res};

/// A POST whose body is streamed without a Content-Length (chunked), so the server only learns
/// its size while reading it.
fn post_chunked(app: &TestApp, path: &str, token: &str, content_type: &str, body: &[u8]) -> Res {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut reader = std::io::Cursor::new(body.to_vec());
    let result = agent
        .post(app.url(path))
        .header("Authorization", format!("Bearer {token}"))
        .content_type(content_type)
        .send(ureq::SendBody::from_reader(&mut reader));
    to_res(result)
}

#[test]
fn malformed_json_is_refused_with_400_and_changes_nothing() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    // Each breaks before any field name is read, so no endpoint can call it a wrong field.
    let broken: &[&[u8]] = &[
        b"{",
        b"{\"",
        b"{'text': 'single quotes'}",
        b"not json",
        b"\xff\xfe",
        b"",
    ];
    let routes = [
        ("/api/relays".to_string(), &app.token),
        ("/api/me/questions".to_string(), &a.asker().token),
        (
            format!("/api/me/questions/{}/answer", a.qid),
            &a.recipient().token,
        ),
        (format!("/api/relays/{}/participants", a.relay), &app.token),
        (format!("/api/questions/{}/reroute", a.qid), &app.token),
    ];
    let mut rows = Vec::new();
    for body in broken {
        for (path, token) in &routes {
            // An empty body means "pick automatically" for a reroute; that is not an error.
            if body.is_empty() && path.ends_with("/reroute") {
                continue;
            }
            let raw = Raw("application/json", body.to_vec());
            rows.push(refused(
                "POST",
                path,
                Some(token),
                raw,
                400,
                "malformed_json",
            ));
        }
    }
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "pending");
    assert_eq!(batons(&app, a.asker()), 0);
    assert_eq!(batons(&app, a.recipient()), 1);
}

#[test]
fn a_body_that_is_not_json_is_refused_with_415() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    let relay = relay_body().to_string();
    let question = json!({ "text": "Hvordan giver du dine ledere rum til at lede?" }).to_string();
    let answer = json!({ "text": "Ved at fjerne en tredjedel af rapporteringen." }).to_string();
    let people =
        json!([{ "name": "Ny Person", "email": "ny@person.dk", "group": "Stat" }]).to_string();
    let routes = [
        ("/api/relays".to_string(), &app.token, &relay),
        ("/api/me/questions".to_string(), &a.asker().token, &question),
        (
            format!("/api/me/questions/{}/answer", a.qid),
            &a.recipient().token,
            &answer,
        ),
        (
            format!("/api/relays/{}/participants", a.relay),
            &app.token,
            &people,
        ),
    ];
    let mut rows = Vec::new();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        for (path, token, body) in &routes {
            let raw = Raw(content_type, body.as_bytes().to_vec());
            let row = refused(
                "POST",
                path,
                Some(token),
                raw,
                415,
                "unsupported_media_type",
            );
            rows.push(row);
        }
    }
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "pending");
}

#[test]
fn a_body_over_the_size_limit_is_refused_with_413() {
    let app = spawn_app_with(|s| s.server.body_limit_bytes = 2048);
    let a = relay_with_question(&app, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    let t = Some(app.token.as_str());
    let participants = format!("/api/relays/{}/participants", a.relay);

    let mut relay = relay_body();
    relay["purpose"] = json!("Fire dage med spørgsmål. ".repeat(200));
    let people: Vec<Value> = (0..60)
        .map(|i| json!({ "name": format!("Person {i}"), "email": format!("p{i}@stor.dk"), "group": "Stat" }))
        .collect();
    let mut csv = String::from("name,email,group,title,organisation\n");
    for i in 0..80 {
        csv.push_str(&format!(
            "Person {i},p{i}@stor.dk,Stat,Direktør,Styrelsen\n"
        ));
    }
    assert!(csv.len() > 2048);
    let long_answer = json!({ "text": "Et langt svar. ".repeat(300) });
    let long_question = json!({ "text": format!("{}?", "Hvorfor ".repeat(400)) });
    let too_large = "payload_too_large";
    #[rustfmt::skip]
    let rows = [
        refused("POST", "/api/relays", t, Json(relay.clone()), 413, too_large),
        refused("POST", format!("/api/me/questions/{}/answer", a.qid), Some(&a.recipient().token), Json(long_answer), 413, too_large),
        refused("PATCH", format!("/api/relays/{}", a.relay), t, Json(json!({ "purpose": "x".repeat(4000) })), 413, too_large),
        refused("POST", &participants, t, Json(json!(people)), 413, too_large),
        refused("POST", &participants, t, Raw("text/csv", csv.clone().into_bytes()), 413, too_large),
        refused("POST", "/api/me/questions", Some(&a.bystander().token), Json(long_question), 413, too_large),
    ];
    assert_refused(&app, &rows);

    // Streamed without a Content-Length: the limit holds while reading.
    let relay = relay.to_string();
    for (path, content_type, body) in [
        ("/api/relays", "application/json", relay.as_bytes()),
        (participants.as_str(), "text/csv", csv.as_bytes()),
    ] {
        let res = post_chunked(&app, path, &app.token, content_type, body);
        assert_json_error(&format!("chunked {path}"), &res, 413, too_large);
    }

    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "pending");
    assert_eq!(batons(&app, a.bystander()), 1);
    assert_eq!(app.count("participants"), 4);
}

#[test]
fn a_non_numeric_id_gets_a_json_404_not_an_html_or_plain_page() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    let t = Some(app.token.as_str());
    let answer = json!({ "text": "Et svar der er langt nok." });
    let suspend = format!("/api/relays/{}/participants/abc/suspend", a.relay);
    #[rustfmt::skip]
    let rows = [
        refused("GET", "/api/relays/abc", t, Empty, 404, "not_found"),
        refused("GET", "/api/relays/abc/participants", t, Empty, 404, "not_found"),
        refused("GET", "/api/relays/abc/stats", t, Empty, 404, "not_found"),
        refused("GET", "/api/relays/1.5", t, Empty, 404, "not_found"),
        refused("GET", "/api/relays/-", t, Empty, 404, "not_found"),
        refused("GET", "/api/relays/99999999999999999999999", t, Empty, 404, "not_found"),
        refused("PATCH", "/api/relays/abc", t, Json(json!({ "title": "Ny titel" })), 404, "not_found"),
        refused("POST", "/api/relays/abc/schedule", t, Json(json!({})), 404, "not_found"),
        refused("POST", "/api/relays/abc/open", t, Json(json!({})), 404, "not_found"),
        refused("POST", "/api/relays/abc/close", t, Json(json!({})), 404, "not_found"),
        refused("POST", suspend, t, Json(json!({})), 404, "not_found"),
        refused("POST", "/api/questions/abc/reroute", t, Json(json!({})), 404, "not_found"),
        refused("POST", "/api/me/questions/abc/answer", Some(&a.recipient().token), Json(answer), 404, "not_found"),
    ];
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
}

#[test]
fn an_unknown_route_under_api_gets_a_json_404() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let before = fingerprint(&app, Some(relay));
    let t = Some(app.token.as_str());
    let mut rows = Vec::new();
    for path in [
        "/api/nope".to_string(),
        "/api".to_string(),
        "/api/".to_string(),
        "/api/v2/relays".to_string(),
        format!("/api/relays/{relay}/nope"),
        format!("/api/relays/{relay}/participants/1"),
        "/api/me/nope".to_string(),
    ] {
        rows.push(refused("GET", &path, t, Empty, 404, "not_found"));
        rows.push(refused("GET", &path, None, Empty, 404, "not_found"));
    }
    let archive = format!("/api/relays/{relay}/archive");
    rows.push(refused(
        "POST",
        archive,
        t,
        Json(json!({})),
        404,
        "not_found",
    ));
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(relay), &before);
}

#[test]
fn a_wrong_method_gets_a_json_405() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let before = fingerprint(&app, Some(relay));
    let t = Some(app.token.as_str());
    let r = format!("/api/relays/{relay}");
    #[rustfmt::skip]
    let rows = [
        refused("DELETE", "/api/relays", t, Empty, 405, "method_not_allowed"),
        refused("DELETE", &r, t, Empty, 405, "method_not_allowed"),
        refused("GET", format!("{r}/schedule"), t, Empty, 405, "method_not_allowed"),
        refused("GET", "/api/me/questions", t, Empty, 405, "method_not_allowed"),
        refused("PUT", &r, t, Json(json!({ "title": "Erstattet" })), 405, "method_not_allowed"),
        refused("PATCH", "/api/relays", t, Json(json!({ "title": "Alle" })), 405, "method_not_allowed"),
    ];
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(relay), &before);
}

#[test]
fn a_malformed_query_string_is_a_json_400() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    let (t, p) = (Some(app.token.as_str()), Some(a.asker().token.as_str()));
    let feed = format!("/api/relays/{}/events", a.relay);
    let mut rows = Vec::new();
    for since in ["abc", "1.5", "-", "%FF"] {
        #[rustfmt::skip]
        let more = [
            refused("GET", format!("{feed}?since={since}"), t, Empty, 400, "bad_query"),
            refused("GET", format!("/api/me/events?since={since}"), p, Empty, 400, "bad_query"),
        ];
        rows.extend(more);
    }
    for latest in ["0", "-1", "501", "abc", ""] {
        let path = format!("{feed}?latest={latest}");
        rows.push(refused("GET", path, t, Empty, 400, "bad_query"));
    }
    #[rustfmt::skip]
    let more = [
        refused("GET", format!("{feed}?after=3"), t, Empty, 400, "bad_query"),
        // The participant feed has no `latest`.
        refused("GET", "/api/me/events?latest=5", p, Empty, 400, "bad_query"),
    ];
    rows.extend(more);
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
}

/// Dates a relay may not name: past the end of 2100 (up to the largest the time type reads,
/// whose four default days overflowed it) or before 2000.
const OUT_OF_BOUNDS: [&str; 6] = [
    "+262142-12-31T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2101-01-01T00:00:00Z",
    "1999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "-0100-01-01T00:00:00Z",
];

#[test]
fn a_date_before_2000_or_after_2100_is_refused_with_422_wherever_it_is_sent() {
    let app = spawn_app();
    let draft = app.create_relay(json!({}));
    let before = fingerprint(&app, Some(draft));
    let t = Some(app.token.as_str());
    let round =
        |from: &str, to: &str| json!([{ "name": "Dag 1", "starts_at": from, "ends_at": to }]);
    let ok = t0().to_rfc3339();
    let mut rows = Vec::new();
    for date in OUT_OF_BOUNDS {
        for patch in [
            json!({ "starts_at": date }),
            json!({ "starts_at": ok, "rounds": round(&ok, date) }),
            json!({ "starts_at": date, "rounds": round(date, "2101-06-01T00:00:00Z") }),
            json!({ "starts_at": null, "rounds": round(date, &ok) }),
        ] {
            let mut body = relay_body();
            for (k, v) in patch.as_object().unwrap() {
                if v.is_null() {
                    body.as_object_mut().unwrap().remove(k);
                } else {
                    body[k] = v.clone();
                }
            }
            rows.push(refused(
                "POST",
                "/api/relays",
                t,
                Json(body),
                422,
                "invalid",
            ));
        }
        let path = format!("/api/relays/{draft}");
        #[rustfmt::skip]
        rows.extend([
            refused("PATCH", &path, t, Json(json!({ "starts_at": date })), 422, "invalid"),
            refused("PATCH", &path, t, Json(json!({ "rounds": round(&ok, date) })), 422, "invalid"),
            refused("PATCH", &path, t, Json(json!({ "rounds": round(date, &ok) })), 422, "invalid"),
        ]);
    }
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(draft), &before);
    assert_eq!(
        app.get(&format!("/api/relays/{draft}"), t).body["starts_at"],
        json!(t0())
    );
}

#[test]
fn a_request_with_an_out_of_bounds_date_fails_alone_and_the_writes_beside_it_commit() {
    let app = spawn_app();
    let t = Some(app.token.as_str());
    // Bursts of 30 good creates with one out-of-bounds create among them, all at once, so the
    // writer commits them in shared groups.
    let (bursts, good) = (5, 30);
    for burst in 0..bursts {
        let gate = std::sync::Barrier::new(good + 1);
        let results: Vec<(bool, Res)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..=good)
                .map(|i| {
                    let gate = &gate;
                    let app = &app;
                    s.spawn(move || {
                        let bad = i == good / 2;
                        let mut body = relay_body();
                        body["title"] = json!(format!("Stafet {burst}-{i}"));
                        if bad {
                            body["starts_at"] = json!(OUT_OF_BOUNDS[0]);
                        }
                        gate.wait();
                        (bad, app.post("/api/relays", t, &body))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (bad, res) in results {
            if bad {
                assert_error(&res, 422, "invalid");
            } else {
                assert_eq!(res.status, 201, "a neighbour failed: {}", res.text);
            }
        }
    }
    let relays = app.get("/api/relays", t).body;
    assert_eq!(relays.as_array().unwrap().len(), bursts * good);
}

#[test]
fn every_bounded_text_counts_visible_characters() {
    let app = spawn_app();
    let blank = "\u{200B}\u{00A0}\u{2060}\u{202E}\u{3164}";
    // Relay fields, on create and on patch.
    let before = fingerprint(&app, None);
    for field in ["title", "topic"] {
        let mut body = relay_body();
        body[field] = json!(blank);
        let res = app.post("/api/relays", Some(&app.token), &body);
        assert_json_error(field, &res, 422, "validation_failed");
    }
    // Round names.
    let mut body = relay_body();
    body["rounds"] =
        json!([{ "name": blank, "starts_at": t0(), "ends_at": t0() + Duration::days(1) }]);
    let res = app.post("/api/relays", Some(&app.token), &body);
    assert_json_error("round name", &res, 422, "invalid");
    assert_unchanged(&app, None, &before);

    let relay = app.create_relay(json!({}));
    let before = fingerprint(&app, Some(relay));
    let res = app.patch(
        &format!("/api/relays/{relay}"),
        Some(&app.token),
        &json!({ "title": blank }),
    );
    assert_json_error("patched title", &res, 422, "validation_failed");
    // Theme labels.
    let res = app.post(
        &format!("/api/relays/{relay}/themes"),
        Some(&app.token),
        &json!({ "label": blank }),
    );
    assert_json_error("theme label", &res, 422, "validation_failed");
    assert_unchanged(&app, Some(relay), &before);

    // Participants' names and groups; an email with a hidden character is no address.
    let res = app.post(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
        &json!([
            { "name": blank, "email": "a@kommune.dk", "group": "Kommune" },
            { "name": "Bo Berg", "email": "bo@kommune.dk", "group": blank },
            { "name": "Cai Cold", "email": "cai\u{200B}@kommune.dk", "group": "Kommune" },
            { "name": "\u{202E}Dan Dahl\u{200B}", "email": "dan@kommune.dk", "group": "Stat",
              "title": blank, "organisation": " Styrelsen\u{00A0}" },
        ]),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let bad = rejected(&res);
    let lines: Vec<i64> = bad.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![1, 2, 3], "{}", res.text);
    assert!(bad[0].1.contains("name"), "{:?}", bad[0]);
    assert!(bad[1].1.contains("group"), "{:?}", bad[1]);
    assert!(bad[2].1.contains("email"), "{:?}", bad[2]);
    let list = participants(&app, relay);
    assert_eq!(emails_of(&list), vec!["dan@kommune.dk"]);
    assert_eq!(list[0]["name"], "Dan Dahl");
    assert_eq!(list[0]["title"], Value::Null);
    assert_eq!(list[0]["organisation"], "Styrelsen");
}
