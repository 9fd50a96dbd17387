//! Email over SMTP to a real (small) SMTP server running in the test: every email of a relay
//! arrives once, an outage is ridden out, and a permanent refusal is recorded with its reason.

use std::collections::HashSet;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use chrono::Duration as ChronoDuration;
use serde_json::{Value, json};
use smtp::{Mode, SmtpServer};

use crate::helpers::smtp;
use crate::helpers::{TestApp, link_token, spawn_app_with};

/// Opens `relay` as its facilitator.
fn open(app: &TestApp, relay: i64) {
    let res = app.post(
        &format!("/api/relays/{relay}/open"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
}

/// The relay's participants as the facilitator lists them (with each one's latest email).
fn participants(app: &TestApp, relay: i64) -> Value {
    app.get(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
    )
    .body
}

/// Whether every participant's latest email has this status.
fn all_latest_emails(app: &TestApp, relay: i64, status: &str) -> bool {
    let list = participants(app, relay);
    list.as_array()
        .unwrap()
        .iter()
        .all(|p| p["latest_email"]["status"] == status)
}

fn smtp_app(port: u16) -> TestApp {
    spawn_app_with(|s| {
        s.email.smtp.host = Some("127.0.0.1".into());
        s.email.smtp.port = port;
        s.email.smtp.tls = "none".into();
        s.email.smtp.timeout_secs = 5;
    })
}

/// A test SMTP server answering as `mode`, and an app that sends through it.
fn server_and_app(mode: Mode) -> (SmtpServer, TestApp) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = SmtpServer::start(listener);
    *server.mode.lock().unwrap() = mode;
    (server, smtp_app(port))
}

fn wait_for(what: &str, within: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

fn import(app: &TestApp, relay: i64, people: &[(&str, &str, &str)]) {
    let rows: Vec<Value> = people
        .iter()
        .map(|(name, email, group)| json!({ "name": name, "email": email, "group": group }))
        .collect();
    let res = app.post(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
        &json!(rows),
    );
    assert_eq!(res.status, 200, "{}", res.text);
}

fn token_in(text: &str) -> String {
    link_token(text).expect("a link")
}

#[test]
fn every_email_of_a_relay_arrives_once_with_the_right_recipient_language_and_link() {
    let (server, app) = server_and_app(Mode::Accept);
    let relay = app.create_relay(json!({ "recipient_choice": "participant" }));
    let asker = ("Anne Asker", "anne@fjordby.dk", "Kommune");
    import(
        &app,
        relay,
        &[
            asker,
            ("Bo Modtager", "bo@styrelsen.dk", "Stat"),
            ("Cai Tredje", "cai@lynga.dk", "Kommune"),
        ],
    );
    assert_eq!(
        app.post(
            &format!("/api/relays/{relay}/schedule"),
            Some(&app.token),
            &json!({})
        )
        .status,
        200
    );
    open(&app, relay);
    wait_for("invitations and openings", Duration::from_secs(10), || {
        server.messages().len() == 6
    });
    let msgs = server.messages();
    let link_of = |addr: &str| token_in(&msgs.iter().rev().find(|m| m.to == addr).unwrap().text);
    let (anne, bo) = (link_of("anne@fjordby.dk"), link_of("bo@styrelsen.dk"));
    let people = participants(&app, relay);
    let bo_id = people
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["email"] == "bo@styrelsen.dk")
        .unwrap()["id"]
        .clone();
    let q = app.post(
        "/api/me/questions",
        Some(&anne),
        &json!({ "text": "Hvordan bruger du data i ledelsen?", "recipient_id": bo_id }),
    );
    assert_eq!(q.status, 201, "{}", q.text);
    let qid = q.body["id"].as_i64().unwrap();
    wait_for("the question email", Duration::from_secs(10), || {
        server.messages().len() == 7
    });
    let a = app.post(
        &format!("/api/me/questions/{qid}/answer"),
        Some(&bo),
        &json!({ "text": "Som samtalestarter, ikke som facit." }),
    );
    assert_eq!(a.status, 201);
    wait_for("the answer email", Duration::from_secs(10), || {
        server.messages().len() == 8
    });
    app.close_relay(relay);
    wait_for("closing emails", Duration::from_secs(10), || {
        server.messages().len() == 11
    });
    std::thread::sleep(Duration::from_millis(500));

    let msgs = server.messages();
    assert_eq!(
        msgs.len(),
        11,
        "3 invitations, 3 openings, question, answer, 3 closings"
    );
    let ids: HashSet<_> = msgs.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids.len(), msgs.len(), "no email twice");
    for m in &msgs {
        assert!(
            m.text.contains("Kære"),
            "Danish relay, Danish email: {}",
            m.subject
        );
        assert!(m.text.contains("http://stafet.test/p/"), "{}", m.text);
    }
    let to_bo: Vec<_> = msgs.iter().filter(|m| m.to == "bo@styrelsen.dk").collect();
    let question_mail = to_bo
        .iter()
        .find(|m| m.text.contains("data i ledelsen"))
        .expect("Bo got the question");
    for needle in ["Anne", "anne@fjordby.dk", "Asker"] {
        assert!(
            !question_mail.raw.contains(needle),
            "the question email names the asker: {needle}"
        );
    }
    let answer_mail = msgs
        .iter()
        .find(|m| m.to == "anne@fjordby.dk" && m.text.contains("facit"))
        .expect("Anne got the answer");
    assert!(
        answer_mail.text.contains("Bo Modtager"),
        "the asker may see who answered"
    );
    assert!(all_latest_emails(&app, relay, "sent"));
}

#[test]
fn emails_wait_out_a_mail_server_outage_and_arrive_exactly_once() {
    // A port with nothing listening: connections are refused until the server starts.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = smtp_app(port);
    let relay = app.create_relay(json!({}));
    import(
        &app,
        relay,
        &[
            ("Ea", "ea@a.dk", "A"),
            ("Fie", "fie@b.dk", "B"),
            ("Gry", "gry@c.dk", "A"),
        ],
    );
    open(&app, relay);
    wait_for("failed attempts", Duration::from_secs(15), || {
        let list = participants(&app, relay);
        list.as_array()
            .unwrap()
            .iter()
            .all(|p| p["latest_email"]["attempts"].as_i64().unwrap_or(0) >= 1)
    });
    let list = participants(&app, relay);
    for p in list.as_array().unwrap() {
        assert_eq!(
            p["latest_email"]["status"], "queued",
            "a refused connection is retried, not failed"
        );
        assert!(
            p["latest_email"]["error"]
                .as_str()
                .is_some_and(|e| !e.is_empty())
        );
    }
    // The server comes back; once the backoff has passed, everything goes out once.
    let server = SmtpServer::start(TcpListener::bind(("127.0.0.1", port)).unwrap());
    app.clock.advance(ChronoDuration::hours(2));
    wait_for("delivery after the outage", Duration::from_secs(15), || {
        server.messages().len() == 3
    });
    app.clock.advance(ChronoDuration::hours(2));
    std::thread::sleep(Duration::from_millis(1500));
    let msgs = server.messages();
    assert_eq!(msgs.len(), 3, "each email exactly once");
    let to: HashSet<_> = msgs.iter().map(|m| m.to.clone()).collect();
    assert_eq!(to.len(), 3);
    assert!(all_latest_emails(&app, relay, "sent"));
    let events = app
        .get(
            &format!("/api/relays/{relay}/events?since=0"),
            Some(&app.token),
        )
        .body;
    let last_status = events
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["type"] == "email_status")
        .unwrap();
    assert_eq!(last_status["data"]["sent"], 3);
}

#[test]
fn a_permanent_refusal_marks_the_email_failed_with_the_servers_reason() {
    let (server, app) = server_and_app(Mode::Reject("550 5.1.1 mailbox unavailable".into()));
    let relay = app.create_relay(json!({}));
    import(
        &app,
        relay,
        &[("Ea", "ea@a.dk", "A"), ("Fie", "fie@b.dk", "B")],
    );
    open(&app, relay);
    wait_for("failed emails", Duration::from_secs(10), || {
        all_latest_emails(&app, relay, "failed")
    });
    let list = participants(&app, relay);
    for p in list.as_array().unwrap() {
        let err = p["latest_email"]["error"].as_str().unwrap();
        assert!(err.contains("mailbox unavailable"), "{err}");
        assert_eq!(p["latest_email"]["attempts"], 1, "no retry after a 5xx");
    }
    // The facilitator fixes things and resends: a new email, delivered.
    *server.mode.lock().unwrap() = Mode::Accept;
    let pid = list[0]["id"].as_i64().unwrap();
    let res = app.post(
        &format!("/api/relays/{relay}/participants/{pid}/resend-email"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 202, "{}", res.text);
    wait_for("the resent email", Duration::from_secs(10), || {
        server.messages().len() == 1
    });
    // The server has the message a moment before the worker records it as sent.
    let stats = || {
        app.get(&format!("/api/relays/{relay}/stats"), Some(&app.token))
            .body
    };
    wait_for(
        "the resent email marked sent",
        Duration::from_secs(10),
        || stats()["emails"]["sent"] == 1,
    );
    let stats = stats();
    assert_eq!(server.messages().len(), 1);
    assert_eq!(stats["emails"]["failed"], 2);
    assert_eq!(stats["emails"]["sent"], 1);
}
