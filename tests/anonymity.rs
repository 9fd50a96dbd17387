//! The asker stays anonymous: nothing a recipient can reach names the asker.

mod common;

use chrono::Duration;
use common::{Person, TestApp, spawn_app};
use serde_json::{Value, json};

/// Fails if `text` carries anything that identifies `asker`.
fn assert_no_trace(what: &str, text: &str, asker: &Person) {
    for needle in [asker.name.as_str(), asker.email.as_str()] {
        assert!(!text.contains(needle), "{what} leaks {needle:?}: {text}");
    }
    let local = asker.email.split('@').next().unwrap();
    assert!(
        !text.contains(&format!("{local}@")),
        "{what} leaks the address: {text}"
    );
}

/// Fails if any object in `v` names the asker by id (`asker_id`, `asker: {id}`, `from_id`).
fn assert_no_asker_id(what: &str, v: &Value, asker: &Person) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                let k = k.to_lowercase();
                if k.contains("asker") && k != "asker_group" {
                    panic!("{what} has an asker field {k}: {v}");
                }
                if (k == "from_id" || k == "asked_by") && val.as_i64() == Some(asker.id) {
                    panic!("{what} names the asker by id: {v}");
                }
                assert_no_asker_id(what, val, asker);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|i| assert_no_asker_id(what, i, asker)),
        _ => {}
    }
}

/// Everything the recipient can read: /api/me (without the list of people they may ask),
/// their events, and every email they got, headers included.
fn scan_recipient(app: &TestApp, recipient: &Person, asker: &Person) {
    let mut me = app.get("/api/me", Some(&recipient.token)).body;
    assert!(
        me["inbox"].as_array().is_some_and(|i| !i.is_empty()),
        "the recipient has the question"
    );
    // The list of colleagues one may ask names everyone (the asker too) by design; it says
    // nothing about who asked.
    me.as_object_mut().unwrap().remove("recipients");
    assert_no_trace("/api/me", &me.to_string(), asker);
    assert_no_asker_id("/api/me", &me, asker);
    let events = app
        .get("/api/me/events?since=0", Some(&recipient.token))
        .body;
    assert_no_trace("events", &events.to_string(), asker);
    assert_no_asker_id("events", &events, asker);
    let mails = app.emails_to(&recipient.email);
    assert!(!mails.is_empty());
    for m in mails {
        assert_no_trace(&format!("email {}", m.file), &m.raw, asker);
        assert_no_trace(&format!("email {} (decoded)", m.file), &m.text, asker);
        assert_no_trace(&format!("email {} (html)", m.file), &m.html, asker);
    }
}

#[test]
fn nothing_a_recipient_receives_names_an_anonymous_asker_in_auto_mode() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(
        4,
        json!({ "reroute_after_hours": 12, "reminder_after_hours": 6 }),
    );
    let asker = &people[0];
    let res = app.post(
        "/api/me/questions",
        Some(&asker.token),
        &json!({ "text": "Hvordan skaber du tillid mellem politikere og administration?" }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let first = res.body["recipient"]["id"].as_i64().unwrap();
    // Reminder, then reroute: both the old and the new recipient get mail about it.
    app.advance(Duration::hours(6));
    app.advance(Duration::hours(6));
    let stats = app
        .get(
            &format!("/api/relays/{relay}/participants"),
            Some(&app.token),
        )
        .body;
    let second = stats
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pending"] == 1)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_ne!(first, second);
    for rid in [first, second] {
        let mut recipient = people.iter().find(|p| p.id == rid).unwrap().clone();
        recipient.token = app
            .emails_to(&recipient.email)
            .last()
            .unwrap()
            .link_token()
            .unwrap();
        scan_recipient(&app, &recipient, asker);
    }
    // The second recipient answers: still nothing about the asker in what they get back.
    let mut r2 = people.iter().find(|p| p.id == second).unwrap().clone();
    r2.token = app
        .emails_to(&r2.email)
        .last()
        .unwrap()
        .link_token()
        .unwrap();
    let qid = res.body["id"].as_i64().unwrap();
    let ans = app.post(
        &format!("/api/me/questions/{qid}/answer"),
        Some(&r2.token),
        &json!({ "text": "Ved at være åben om, hvad vi ikke ved endnu." }),
    );
    assert_eq!(ans.status, 201);
    assert_no_trace("answer response", &ans.text, asker);
    scan_recipient(&app, &r2, asker);
}

#[test]
fn nothing_a_recipient_receives_names_an_anonymous_asker_in_participant_mode() {
    let app = spawn_app();
    let (_, people) = app.open_relay(
        3,
        json!({ "recipient_choice": "participant", "show_asker_group": false }),
    );
    let (asker, recipient) = (&people[0], &people[1]);
    let res = app.post(
        "/api/me/questions",
        Some(&asker.token),
        &json!({ "text": "Hvad gør du, når en borgersag går galt i pressen?", "recipient_id": recipient.id }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    scan_recipient(&app, recipient, asker);
    // With show_asker_group off, not even the group is shown.
    let me = app.get("/api/me", Some(&recipient.token)).body;
    assert!(
        me["inbox"][0].get("asker_group").is_none(),
        "{}",
        me["inbox"][0]
    );
}

#[test]
fn the_asker_always_sees_whom_they_asked() {
    let app = spawn_app();
    let (_, people) = app.open_relay(3, json!({}));
    let res = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvordan holder du fast i fagligheden?" }),
    );
    let me = app.get("/api/me", Some(&people[0].token)).body;
    assert_eq!(
        me["asked"][0]["recipient"]["id"],
        res.body["recipient"]["id"]
    );
    assert!(me["asked"][0]["recipient"]["name"].is_string());
}

#[test]
fn a_relay_that_is_not_anonymous_shows_the_asker() {
    let app = spawn_app();
    let (_, people) = app.open_relay(2, json!({ "asker_anonymous": false }));
    let res = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvad er dit bedste ledelsesråd?" }),
    );
    assert_eq!(res.status, 201);
    let me = app.get("/api/me", Some(&people[1].token)).body;
    assert_eq!(me["inbox"][0]["asker"]["name"], people[0].name);
}
