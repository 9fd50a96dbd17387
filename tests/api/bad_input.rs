//! Bad input gets a clear JSON error with a fitting status and changes nothing (SPEC §4, §6):
//! malformed or misshapen bodies, oversized bodies, texts out of bounds, unknown ids, actions
//! the relay's state does not allow, bad imports, wrong or expired links, unknown routes.
//!
//! Every refused request is bracketed by a fingerprint of the database (row counts of every
//! table) and, where it matters, of what the API shows (the relay, its participants with their
//! batons, the question's status), and both must be unchanged.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::refusals::Body::{Empty, Json, Raw};
use crate::helpers::refusals::{assert_json_error, assert_refused, refused};
use crate::helpers::{self, Person, Res, TestApp, spawn_app, spawn_app_with, t0, to_res};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Asserts a JSON error `{"error": {"code", "message"}}` with this status and code.
#[track_caller]
fn assert_error(res: &Res, status: u16, code: &str) {
    assert_json_error("", res, status, code);
}

/// Everything a refused request must leave alone: every table's row count, the relay as the
/// API shows it and its participants (status, batons, counts, kind of their latest email).
#[derive(Debug, PartialEq)]
struct Fingerprint {
    tables: Vec<(String, i64)>,
    relay: Value,
    participants: Value,
}

/// A count straight from the database.
fn sql_count(app: &TestApp, sql: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.connect();
    diesel::sql_query(sql).get_result::<N>(&mut conn).unwrap().n
}

fn read_fingerprint(app: &TestApp, relay: Option<i64>) -> Fingerprint {
    let (relay_view, participants) = match relay {
        Some(id) => {
            let mut list = app
                .get(&format!("/api/relays/{id}/participants"), Some(&app.token))
                .body;
            // The outbox worker sends in the background; whether an email is still queued or
            // already sent is its business, not the request's. Which email it is stays in.
            for p in list.as_array_mut().into_iter().flatten() {
                p["latest_email"] = p["latest_email"]["kind"].clone();
            }
            (
                app.get(&format!("/api/relays/{id}"), Some(&app.token)).body,
                list,
            )
        }
        None => (Value::Null, Value::Null),
    };
    // Sending an email appends an `email_status` event for the staff feed; that follows from
    // an earlier accepted request. An email a refused request queued shows in `email_outbox`.
    let mut tables = app.snapshot();
    for (table, n) in &mut tables {
        if table == "events" {
            *n = sql_count(
                app,
                "SELECT COUNT(*) AS n FROM events WHERE kind <> 'email_status'",
            );
        }
    }
    Fingerprint {
        tables,
        relay: relay_view,
        participants,
    }
}

/// The fingerprint once queued emails are out and the database has come to rest (the
/// background outbox worker may still be sending what the last accepted request queued).
fn fingerprint(app: &TestApp, relay: Option<i64>) -> Fingerprint {
    let mut last = None;
    for _ in 0..200 {
        app.emails();
        // Emails never tried yet (queued, or claimed by the worker and being sent).
        let unsent = sql_count(
            app,
            "SELECT COUNT(*) AS n FROM email_outbox WHERE status = 'queued' AND attempts = 0",
        );
        let now = read_fingerprint(app, relay);
        if unsent == 0 && last.as_ref() == Some(&now) {
            return now;
        }
        last = Some(now);
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("the database did not come to rest: {last:?}");
}

#[track_caller]
fn assert_unchanged(app: &TestApp, relay: Option<i64>, before: &Fingerprint) {
    let after = fingerprint(app, relay);
    assert_eq!(&after, before, "a refused request changed something");
}

/// The body `create_relay` sends, to be spoiled one field at a time.
fn relay_body() -> Value {
    json!({
        "title": "Ledelse til gavn for borgerne",
        "topic": "Offentlig ledelse",
        "purpose": "Fire dage med spørgsmål mellem topledere.",
        "language": "da",
        "timezone": "Europe/Copenhagen",
        "starts_at": t0(),
    })
}

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

/// POST with a raw body and content type.
fn post_raw(app: &TestApp, path: &str, token: &str, content_type: &str, body: &[u8]) -> Res {
    app.send_raw("POST", path, Some(token), content_type, body, &[])
}

/// Fills in each person's token from the latest email with a link to them, waiting for the
/// background outbox worker when it holds the emails (it may have claimed them first).
fn read_links(app: &TestApp, people: &mut [Person]) {
    for _ in 0..200 {
        let emails = app.emails();
        let found: Vec<Option<String>> = people
            .iter()
            .map(|p| {
                emails
                    .iter()
                    .rev()
                    .find(|e| e.to == p.email && e.link_token().is_some())
                    .and_then(|e| e.link_token())
            })
            .collect();
        if found.iter().all(Option::is_some) {
            for (p, token) in people.iter_mut().zip(found) {
                p.token = token.unwrap();
            }
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("no email with a link for some of {people:?}");
}

/// A relay with `n` participants, opened now, with everyone's link.
fn open_relay(app: &TestApp, n: usize, settings: Value) -> (i64, Vec<Person>) {
    let relay = app.create_relay(settings);
    let mut people = app.import_people(relay, n);
    let res = app.post(
        &format!("/api/relays/{relay}/open"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    read_links(app, &mut people);
    (relay, people)
}

/// An open relay in which `people[0]` has asked one question, still pending.
struct Asked {
    relay: i64,
    people: Vec<Person>,
    qid: i64,
    /// Index of the recipient in `people`.
    to: usize,
}

impl Asked {
    fn asker(&self) -> &Person {
        &self.people[0]
    }

    fn recipient(&self) -> &Person {
        &self.people[self.to]
    }

    /// Someone who neither asked nor received the question.
    fn bystander(&self) -> &Person {
        self.people
            .iter()
            .enumerate()
            .find(|(i, _)| *i != 0 && *i != self.to)
            .map(|(_, p)| p)
            .unwrap()
    }
}

fn relay_with_question(app: &TestApp, settings: Value) -> Asked {
    let (relay, people) = open_relay(app, 4, settings);
    let res = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvordan giver du dine ledere rum til at lede?" }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let qid = res.body["id"].as_i64().unwrap();
    let rid = res.body["recipient"]["id"].as_i64().unwrap();
    let to = people.iter().position(|p| p.id == rid).unwrap();
    Asked {
        relay,
        people,
        qid,
        to,
    }
}

/// The status of question `qid` as its asker sees it.
fn asked_status(app: &TestApp, asker: &Person, qid: i64) -> String {
    let me = app.get("/api/me", Some(&asker.token));
    assert_eq!(me.status, 200, "{}", me.text);
    me.body["asked"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == qid)
        .map(|q| q["status"].as_str().unwrap().to_string())
        .expect("the asker sees the question")
}

/// The status of question `qid` in the recipient's inbox.
fn inbox_status(app: &TestApp, recipient: &Person, qid: i64) -> String {
    let me = app.get("/api/me", Some(&recipient.token));
    assert_eq!(me.status, 200, "{}", me.text);
    me.body["inbox"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == qid)
        .map(|q| q["status"].as_str().unwrap().to_string())
        .expect("the recipient holds the question")
}

fn batons(app: &TestApp, who: &Person) -> i64 {
    let me = app.get("/api/me", Some(&who.token));
    assert_eq!(me.status, 200, "{}", me.text);
    me.body["batons"].as_i64().unwrap()
}

fn relay_state(app: &TestApp, relay: i64) -> String {
    app.get(&format!("/api/relays/{relay}"), Some(&app.token))
        .body["state"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A participant link written straight into the database. A draft relay sends no email, so
/// no participant can hold a link yet; this stands in for one to prove the state check itself.
fn link_without_email(app: &TestApp, participant: i64) -> String {
    use stafet::db::credentials::{Credential, CredentialKind};
    let now = stafet::db::to_db(app.clock.now());
    app.write(move |conn| {
        Ok(Credential::issue(
            conn,
            CredentialKind::ParticipantLink,
            None,
            Some(participant),
            now,
            None,
        )?
        .token)
    })
}

fn participants(app: &TestApp, relay: i64) -> Vec<Value> {
    app.get(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
    )
    .body
    .as_array()
    .unwrap()
    .clone()
}

fn emails_of(list: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = list
        .iter()
        .map(|p| p["email"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// `(line, reason)` of an import report's rejected rows.
fn rejected(res: &Res) -> Vec<(i64, String)> {
    res.body["rejected"]
        .as_array()
        .unwrap_or_else(|| panic!("no rejected list: {}", res.text))
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().unwrap(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Bodies that cannot be read
// ---------------------------------------------------------------------------------------------

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
    for body in broken {
        let label = String::from_utf8_lossy(body);
        for (path, token) in [
            ("/api/relays".to_string(), app.token.clone()),
            ("/api/me/questions".to_string(), a.asker().token.clone()),
            (
                format!("/api/me/questions/{}/answer", a.qid),
                a.recipient().token.clone(),
            ),
            (
                format!("/api/relays/{}/participants", a.relay),
                app.token.clone(),
            ),
            (
                format!("/api/questions/{}/reroute", a.qid),
                app.token.clone(),
            ),
        ] {
            // An empty body means "pick automatically" for a reroute; that is not an error.
            if body.is_empty() && path.ends_with("/reroute") {
                continue;
            }
            let res = post_raw(&app, &path, &token, "application/json", body);
            assert_json_error(
                &format!("{path} with {label:?}"),
                &res,
                400,
                "malformed_json",
            );
        }
    }
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "pending");
    assert_eq!(batons(&app, a.asker()), 0);
    assert_eq!(batons(&app, a.recipient()), 1);
}

#[test]
fn a_relay_body_of_the_wrong_shape_is_refused_with_422() {
    let app = spawn_app();
    let before = fingerprint(&app, None);
    let mut unknown = relay_body();
    unknown["colour"] = json!("blue");
    let mut missing = relay_body();
    missing.as_object_mut().unwrap().remove("title");
    let mut wrong_type = relay_body();
    wrong_type["title"] = json!(5);
    let mut bad_time = relay_body();
    bad_time["starts_at"] = json!("next monday");
    let mut unknown_setting = relay_body();
    unknown_setting["settings"] = json!({ "max_inbox": 2, "max_inboxes": 3 });
    let mut negative = relay_body();
    negative["settings"] = json!({ "max_inbox": -1 });
    let mut bad_choice = relay_body();
    bad_choice["settings"] = json!({ "recipient_choice": "random" });
    let mut round_extra = relay_body();
    round_extra["rounds"] = json!([{
        "name": "Dag 1", "starts_at": t0(), "ends_at": t0() + Duration::days(1), "colour": "red"
    }]);
    for body in [
        unknown,
        missing,
        wrong_type,
        bad_time,
        unknown_setting,
        negative,
        bad_choice,
        round_extra,
        json!([relay_body()]),
        json!("a relay"),
    ] {
        let res = app.post("/api/relays", Some(&app.token), &body);
        assert_error(&res, 422, "validation_failed");
    }
    assert_unchanged(&app, None, &before);
    assert_eq!(app.count("relays"), 0);
}

#[test]
fn a_question_or_answer_body_of_the_wrong_shape_is_refused_with_422() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({ "batons_per_round": 2 }));
    let before = fingerprint(&app, Some(a.relay));
    let text = "Hvad har du lært af dine medarbejdere i år?";
    for body in [
        json!({}),
        json!({ "text": 5 }),
        json!({ "text": null }),
        json!({ "txt": text }),
        json!({ "text": text, "anonymous": false }),
        json!({ "text": text, "recipient_id": "p2" }),
        json!([{ "text": text }]),
        json!(text),
    ] {
        let res = app.post("/api/me/questions", Some(&a.asker().token), &body);
        assert_error(&res, 422, "validation_failed");
        let res = app.post(
            &format!("/api/me/questions/{}/answer", a.qid),
            Some(&a.recipient().token),
            &body,
        );
        assert_error(&res, 422, "validation_failed");
    }
    // A reroute with an unknown field or a non-numeric target.
    for body in [json!({ "recipient": 3 }), json!({ "to": "someone" })] {
        let res = app.post(
            &format!("/api/questions/{}/reroute", a.qid),
            Some(&app.token),
            &body,
        );
        assert_error(&res, 422, "validation_failed");
    }
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "pending");
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
    assert_eq!(batons(&app, a.asker()), 1);
}

#[test]
fn an_import_that_is_not_a_list_of_participants_is_refused_with_422() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let before = fingerprint(&app, Some(relay));
    for body in [
        json!({ "name": "Mette Kjær", "email": "mette@vesthavn.dk", "group": "Kommune" }),
        json!("mette@vesthavn.dk"),
        json!(null),
        json!(42),
    ] {
        let res = app.post(
            &format!("/api/relays/{relay}/participants"),
            Some(&app.token),
            &body,
        );
        assert_error(&res, 422, "validation_failed");
    }
    assert_unchanged(&app, Some(relay), &before);
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
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        let res = post_raw(
            &app,
            "/api/relays",
            &app.token,
            content_type,
            relay.as_bytes(),
        );
        assert_error(&res, 415, "unsupported_media_type");
        let res = post_raw(
            &app,
            "/api/me/questions",
            &a.asker().token,
            content_type,
            question.as_bytes(),
        );
        assert_error(&res, 415, "unsupported_media_type");
        let res = post_raw(
            &app,
            &format!("/api/me/questions/{}/answer", a.qid),
            &a.recipient().token,
            content_type,
            answer.as_bytes(),
        );
        assert_error(&res, 415, "unsupported_media_type");
        let res = post_raw(
            &app,
            &format!("/api/relays/{}/participants", a.relay),
            &app.token,
            content_type,
            people.as_bytes(),
        );
        assert_error(&res, 415, "unsupported_media_type");
    }
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "pending");
}

#[test]
fn a_body_over_the_size_limit_is_refused_with_413() {
    let app = spawn_app_with(|s| s.server.body_limit_bytes = 2048);
    let a = relay_with_question(&app, json!({}));
    let before = fingerprint(&app, Some(a.relay));

    let mut relay = relay_body();
    relay["purpose"] = json!("Fire dage med spørgsmål. ".repeat(200));
    let res = app.post("/api/relays", Some(&app.token), &relay);
    assert_error(&res, 413, "payload_too_large");

    let res = app.post(
        &format!("/api/me/questions/{}/answer", a.qid),
        Some(&a.recipient().token),
        &json!({ "text": "Et langt svar. ".repeat(300) }),
    );
    assert_error(&res, 413, "payload_too_large");

    let res = app.patch(
        &format!("/api/relays/{}", a.relay),
        Some(&app.token),
        &json!({ "purpose": "x".repeat(4000) }),
    );
    assert_error(&res, 413, "payload_too_large");

    let rows: Vec<Value> = (0..60)
        .map(|i| json!({ "name": format!("Person {i}"), "email": format!("p{i}@stor.dk"), "group": "Stat" }))
        .collect();
    let res = app.post(
        &format!("/api/relays/{}/participants", a.relay),
        Some(&app.token),
        &json!(rows),
    );
    assert_error(&res, 413, "payload_too_large");

    let mut csv = String::from("name,email,group,title,organisation\n");
    for i in 0..80 {
        csv.push_str(&format!(
            "Person {i},p{i}@stor.dk,Stat,Direktør,Styrelsen\n"
        ));
    }
    assert!(csv.len() > 2048);
    let res = post_raw(
        &app,
        &format!("/api/relays/{}/participants", a.relay),
        &app.token,
        "text/csv",
        csv.as_bytes(),
    );
    assert_error(&res, 413, "payload_too_large");

    let res = app.post(
        "/api/me/questions",
        Some(&a.bystander().token),
        &json!({ "text": format!("{}?", "Hvorfor ".repeat(400)) }),
    );
    assert_error(&res, 413, "payload_too_large");

    // Streamed without a Content-Length: the limit holds while reading.
    let res = post_chunked(
        &app,
        "/api/relays",
        &app.token,
        "application/json",
        relay.to_string().as_bytes(),
    );
    assert_error(&res, 413, "payload_too_large");
    let res = post_chunked(
        &app,
        &format!("/api/relays/{}/participants", a.relay),
        &app.token,
        "text/csv",
        csv.as_bytes(),
    );
    assert_error(&res, 413, "payload_too_large");

    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "pending");
    assert_eq!(batons(&app, a.bystander()), 1);
    assert_eq!(app.count("participants"), 4);
}

// ---------------------------------------------------------------------------------------------
// Texts out of bounds
// ---------------------------------------------------------------------------------------------

#[test]
fn a_question_outside_ten_to_two_thousand_characters_is_refused_and_keeps_the_baton() {
    let app = spawn_app();
    let (relay, people) = open_relay(&app, 4, json!({ "batons_per_round": 3, "max_batons": 3 }));
    let asker = &people[0];
    let before = fingerprint(&app, Some(relay));
    for text in [
        String::new(),
        "          ".to_string(),
        "   kort?   ".to_string(),
        // Nine characters once trimmed.
        " \n\t Hvorfor?? \n ".to_string(),
        "æøåæøåæøå".to_string(),
        "x".repeat(2_001),
        // 2,001 Danish letters: 4,002 bytes, but it is characters that count.
        "æ".repeat(2_001),
    ] {
        let res = app.post(
            "/api/me/questions",
            Some(&asker.token),
            &json!({ "text": text }),
        );
        assert_error(&res, 422, "text_length");
        assert_unchanged(&app, Some(relay), &before);
    }
    assert_eq!(batons(&app, asker), 3, "a refused question uses no baton");
    assert!(
        app.get("/api/me", Some(&asker.token)).body["asked"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The bounds themselves are allowed, counted in characters after trimming.
    let res = app.post(
        "/api/me/questions",
        Some(&asker.token),
        &json!({ "text": "æ".repeat(2_000) }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.body["text"].as_str().unwrap().chars().count(), 2_000);
    let res = app.post(
        "/api/me/questions",
        Some(&asker.token),
        &json!({ "text": "   æøåÆØÅæøåæ   " }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.body["text"], "æøåÆØÅæøåæ");
    assert_eq!(batons(&app, asker), 1);
}

#[test]
fn an_answer_outside_ten_to_five_thousand_characters_is_refused_and_the_question_stays_pending() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let path = format!("/api/me/questions/{}/answer", a.qid);
    let before = fingerprint(&app, Some(a.relay));
    for text in [
        String::new(),
        "\n\n\n\n\n\n\n\n\n\n\n".to_string(),
        "  Kort svar  ".to_string(),
        "ø".repeat(5_001),
    ] {
        let res = app.post(&path, Some(&a.recipient().token), &json!({ "text": text }));
        assert_error(&res, 422, "text_length");
    }
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
    assert_eq!(asked_status(&app, a.asker(), a.qid), "pending");
    assert_eq!(
        batons(&app, a.recipient()),
        1,
        "no baton for a refused answer"
    );

    let res = app.post(
        &path,
        Some(&a.recipient().token),
        &json!({ "text": "ø".repeat(5_000) }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "answered");
}

#[test]
fn asking_a_colleague_who_cannot_receive_the_question_is_refused_and_keeps_the_baton() {
    let app = spawn_app();
    let (relay, people) = open_relay(&app, 3, json!({ "recipient_choice": "participant" }));
    let (other, other_people) = open_relay(&app, 2, json!({}));
    let asker = &people[0];
    let text = "Hvordan giver du dine ledere rum til at lede?";
    let ask = |body: Value| app.post("/api/me/questions", Some(&asker.token), &body);
    let before = fingerprint(&app, Some(relay));
    let before_other = fingerprint(&app, Some(other));
    // Nobody, or not a colleague in this relay.
    for to in [999_999, other_people[0].id] {
        let res = ask(json!({ "text": text, "recipient_id": to }));
        assert_json_error(&format!("recipient {to}"), &res, 404, "not_found");
    }
    // Oneself.
    let res = ask(json!({ "text": text, "recipient_id": asker.id }));
    assert_error(&res, 409, "recipient_not_eligible");
    // In participant mode the asker must choose.
    assert_error(&ask(json!({ "text": text })), 422, "validation_failed");
    assert_unchanged(&app, Some(relay), &before);
    assert_unchanged(&app, Some(other), &before_other);
    assert_eq!(batons(&app, asker), 1);

    // A colleague who already got a question from the asker cannot get a second one.
    let res = ask(json!({ "text": text, "recipient_id": people[1].id }));
    assert_eq!(res.status, 201, "{}", res.text);
    let res = app.post(
        &format!("/api/me/questions/{}/answer", res.body["id"]),
        Some(&people[1].token),
        &json!({ "text": "Ved at fjerne en tredjedel af rapporteringen." }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let res = app.post(
        "/api/me/questions",
        Some(&people[1].token),
        &json!({ "text": "Og hvordan gør du selv det i praksis?", "recipient_id": asker.id }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let res = app.post(
        &format!("/api/me/questions/{}/answer", res.body["id"]),
        Some(&asker.token),
        &json!({ "text": "Jeg spørger mine medarbejdere hver uge." }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(batons(&app, asker), 1, "the answer passed a baton on");
    let before = fingerprint(&app, Some(relay));
    let res = ask(
        json!({ "text": "Et spørgsmål mere til samme kollega?", "recipient_id": people[1].id }),
    );
    assert_error(&res, 409, "recipient_not_eligible");
    assert_unchanged(&app, Some(relay), &before);
    assert_eq!(batons(&app, asker), 1);
}

#[test]
fn asking_without_a_baton_or_naming_a_colleague_in_auto_mode_is_refused() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let text = "Hvordan giver du dine ledere rum til at lede?";
    let before = fingerprint(&app, Some(a.relay));
    // The asker used their only baton.
    let res = app.post(
        "/api/me/questions",
        Some(&a.asker().token),
        &json!({ "text": text }),
    );
    assert_error(&res, 409, "no_baton");
    // In auto mode the relay picks; naming someone is refused.
    let res = app.post(
        "/api/me/questions",
        Some(&a.bystander().token),
        &json!({ "text": text, "recipient_id": a.asker().id }),
    );
    assert_error(&res, 422, "validation_failed");
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(batons(&app, a.asker()), 0);
    assert_eq!(batons(&app, a.bystander()), 1);
}

// ---------------------------------------------------------------------------------------------
// Unknown ids
// ---------------------------------------------------------------------------------------------

#[test]
fn an_unknown_relay_id_gets_404_on_every_relay_route() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    app.import_people(relay, 3);
    let before = fingerprint(&app, Some(relay));
    let t = Some(app.token.as_str());
    let r = "/api/relays/999999";
    let person = json!([{ "name": "Ny Person", "email": "ny@person.dk", "group": "Stat" }]);
    let csv = b"name,email,group\nNy Person,ny@person.dk,Stat\n".to_vec();
    #[rustfmt::skip]
    let rows = [
        refused("GET", r, t, Empty, 404, "not_found"),
        refused("GET", format!("{r}/participants"), t, Empty, 404, "not_found"),
        refused("GET", format!("{r}/stats"), t, Empty, 404, "not_found"),
        refused("GET", format!("{r}/events"), t, Empty, 404, "not_found"),
        refused("GET", format!("{r}/events?since=0"), t, Empty, 404, "not_found"),
        refused("PATCH", r, t, Json(json!({ "title": "Ny titel" })), 404, "not_found"),
        refused("POST", format!("{r}/schedule"), t, Json(json!({})), 404, "not_found"),
        refused("POST", format!("{r}/open"), t, Json(json!({})), 404, "not_found"),
        refused("POST", format!("{r}/close"), t, Json(json!({})), 404, "not_found"),
        refused("POST", format!("{r}/participants"), t, Json(person), 404, "not_found"),
        refused("POST", format!("{r}/participants"), t, Raw("text/csv", csv), 404, "not_found"),
    ];
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(relay), &before);
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
fn an_unknown_question_cannot_be_answered_or_rerouted() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    let t = Some(app.token.as_str());
    let answer = json!({ "text": "Et svar der er langt nok." });
    #[rustfmt::skip]
    let rows = [
        refused("POST", "/api/me/questions/999999/answer", Some(&a.recipient().token), Json(answer), 404, "not_found"),
        refused("POST", "/api/questions/999999/reroute", t, Json(json!({})), 404, "not_found"),
        refused("POST", "/api/questions/999999/reroute", t, Json(json!({ "to": a.bystander().id })), 404, "not_found"),
        // A known question, but an unknown target.
        refused("POST", format!("/api/questions/{}/reroute", a.qid), t, Json(json!({ "to": 999999 })), 404, "not_found"),
    ];
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
}

#[test]
fn a_question_cannot_be_rerouted_to_a_participant_of_another_relay() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let (other, other_people) = open_relay(&app, 2, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    let before_other = fingerprint(&app, Some(other));
    let res = app.post(
        &format!("/api/questions/{}/reroute", a.qid),
        Some(&app.token),
        &json!({ "to": other_people[0].id }),
    );
    assert_error(&res, 404, "not_found");
    assert_unchanged(&app, Some(a.relay), &before);
    assert_unchanged(&app, Some(other), &before_other);
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
}

#[test]
fn suspending_an_unknown_participant_or_one_of_another_relay_is_404() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let (other, _) = open_relay(&app, 2, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    let before_other = fingerprint(&app, Some(other));
    let t = Some(app.token.as_str());
    let (relay, recipient) = (a.relay, a.recipient().id);
    let mut rows = Vec::new();
    for action in ["suspend", "unsuspend", "resend-email"] {
        #[rustfmt::skip]
        let more = [
            refused("POST", format!("/api/relays/{relay}/participants/999999/{action}"), t, Json(json!({})), 404, "not_found"),
            // The recipient of the pending question, addressed through the wrong relay.
            refused("POST", format!("/api/relays/{other}/participants/{recipient}/{action}"), t, Json(json!({})), 404, "not_found"),
            // A real participant under an unknown relay.
            refused("POST", format!("/api/relays/999999/participants/{recipient}/{action}"), t, Json(json!({})), 404, "not_found"),
        ];
        rows.extend(more);
    }
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_unchanged(&app, Some(other), &before_other);
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
    assert!(
        participants(&app, a.relay)
            .iter()
            .all(|p| p["status"] == "active")
    );
}

// ---------------------------------------------------------------------------------------------
// Answers that are not yours to give
// ---------------------------------------------------------------------------------------------

#[test]
fn a_participant_cannot_answer_a_question_passed_to_someone_else() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let path = format!("/api/me/questions/{}/answer", a.qid);
    let before = fingerprint(&app, Some(a.relay));
    for who in [a.asker(), a.bystander()] {
        let res = app.post(
            &path,
            Some(&who.token),
            &json!({ "text": "Et svar fra den forkerte person." }),
        );
        // Exactly as if the question did not exist: its existence is not theirs to learn.
        assert_error(&res, 404, "not_found");
    }
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "pending");
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
    assert_eq!(batons(&app, a.asker()), 0);
    assert_eq!(batons(&app, a.bystander()), 1);
}

#[test]
fn answering_the_same_question_twice_is_a_conflict_and_keeps_the_first_answer() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let path = format!("/api/me/questions/{}/answer", a.qid);
    let first = "Jeg har fjernet en tredjedel af rapporteringen.";
    let res = app.post(&path, Some(&a.recipient().token), &json!({ "text": first }));
    assert_eq!(res.status, 201, "{}", res.text);
    let before = fingerprint(&app, Some(a.relay));
    let res = app.post(
        &path,
        Some(&a.recipient().token),
        &json!({ "text": "Et andet svar på det samme spørgsmål." }),
    );
    assert_error(&res, 409, "not_pending");
    assert_unchanged(&app, Some(a.relay), &before);
    let me = app.get("/api/me", Some(&a.asker().token));
    assert_eq!(me.body["asked"][0]["answer"]["text"], first);
    assert_eq!(batons(&app, a.recipient()), 2, "one baton for one answer");
    // A facilitator cannot reroute an answered question either.
    let res = app.post(
        &format!("/api/questions/{}/reroute", a.qid),
        Some(&app.token),
        &json!({}),
    );
    assert_error(&res, 409, "not_pending");
    assert_unchanged(&app, Some(a.relay), &before);
}

// ---------------------------------------------------------------------------------------------
// Actions the relay's state does not allow
// ---------------------------------------------------------------------------------------------

#[test]
fn nobody_can_ask_in_a_draft_or_scheduled_relay() {
    let app = spawn_app();
    let draft = app.create_relay(json!({}));
    let people = app.import_people(draft, 3);
    let token = link_without_email(&app, people[0].id);
    let before = fingerprint(&app, Some(draft));
    let res = app.post(
        "/api/me/questions",
        Some(&token),
        &json!({ "text": "Hvordan giver du dine ledere rum til at lede?" }),
    );
    assert_error(&res, 409, "wrong_state");
    assert_unchanged(&app, Some(draft), &before);

    let scheduled = app.create_relay(json!({}));
    let mut people = app.import_people(scheduled, 3);
    let res = app.post(
        &format!("/api/relays/{scheduled}/schedule"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    read_links(&app, &mut people);
    let before = fingerprint(&app, Some(scheduled));
    let res = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvordan giver du dine ledere rum til at lede?" }),
    );
    assert_error(&res, 409, "wrong_state");
    // Nor answer a question id they could only guess.
    let res = app.post(
        "/api/me/questions/1/answer",
        Some(&people[1].token),
        &json!({ "text": "Et svar der er langt nok." }),
    );
    assert_error(&res, 404, "not_found");
    assert_unchanged(&app, Some(scheduled), &before);
    assert_eq!(batons(&app, &people[0]), 0);
}

#[test]
fn nobody_can_ask_or_answer_in_a_closed_relay() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let res = app.post(
        &format!("/api/relays/{}/close", a.relay),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let before = fingerprint(&app, Some(a.relay));
    let res = app.post(
        &format!("/api/me/questions/{}/answer", a.qid),
        Some(&a.recipient().token),
        &json!({ "text": "Et svar der kommer for sent." }),
    );
    assert_error(&res, 409, "wrong_state");
    let res = app.post(
        "/api/me/questions",
        Some(&a.recipient().token),
        &json!({ "text": "Et spørgsmål der kommer for sent?" }),
    );
    assert_error(&res, 409, "wrong_state");
    let res = app.post(
        &format!("/api/questions/{}/reroute", a.qid),
        Some(&app.token),
        &json!({}),
    );
    assert_error(&res, 409, "wrong_state");
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "expired");
}

#[test]
fn lifecycle_steps_out_of_order_are_conflicts_and_keep_the_state() {
    let app = spawn_app();
    let t = Some(app.token.as_str());
    let steps = |relay: i64, refused: &[&str], state: &str| {
        let before = fingerprint(&app, Some(relay));
        for action in refused {
            let res = app.post(&format!("/api/relays/{relay}/{action}"), t, &json!({}));
            assert_error(&res, 409, "wrong_state");
        }
        assert_unchanged(&app, Some(relay), &before);
        assert_eq!(relay_state(&app, relay), state);
    };

    // A draft has nothing to close.
    let draft = app.create_relay(json!({}));
    app.import_people(draft, 2);
    steps(draft, &["close"], "draft");

    // A scheduled relay cannot be scheduled again.
    let scheduled = app.create_relay(json!({}));
    app.import_people(scheduled, 2);
    assert_eq!(
        app.post(&format!("/api/relays/{scheduled}/schedule"), t, &json!({}))
            .status,
        200
    );
    steps(scheduled, &["schedule"], "scheduled");

    // An open relay cannot be scheduled or opened again.
    let (open, _) = open_relay(&app, 2, json!({}));
    steps(open, &["schedule", "open"], "open");

    // A closed relay cannot be reopened, rescheduled or closed again.
    let (closed, _) = open_relay(&app, 2, json!({}));
    assert_eq!(
        app.post(&format!("/api/relays/{closed}/close"), t, &json!({}))
            .status,
        200
    );
    steps(closed, &["schedule", "open", "close"], "closed");
}

#[test]
fn an_open_relay_keeps_its_round_times_language_and_pairing_rules() {
    let app = spawn_app();
    let (relay, _) = open_relay(&app, 3, json!({}));
    let path = format!("/api/relays/{relay}");
    let t = Some(app.token.as_str());
    let view = app.get(&path, t).body;
    let rounds = view["rounds"].as_array().unwrap().clone();
    let mut moved = rounds.clone();
    moved[1]["ends_at"] = json!(t0() + Duration::days(5));
    let mut fewer = rounds.clone();
    fewer.pop();
    let before = fingerprint(&app, Some(relay));
    for body in [
        json!({ "rounds": moved.iter().map(|r| json!({ "name": r["name"], "starts_at": r["starts_at"], "ends_at": r["ends_at"] })).collect::<Vec<_>>() }),
        json!({ "rounds": fewer.iter().map(|r| json!({ "name": r["name"], "starts_at": r["starts_at"], "ends_at": r["ends_at"] })).collect::<Vec<_>>() }),
        json!({ "starts_at": t0() + Duration::days(7) }),
        json!({ "language": "en" }),
        json!({ "timezone": "Europe/London" }),
        json!({ "settings": { "max_inbox": 5 } }),
        json!({ "settings": { "recipient_choice": "participant" } }),
        json!({ "settings": { "asker_anonymous": false } }),
        json!({ "settings": { "seed": 7 } }),
        // A permitted change alongside a refused one is refused as a whole.
        json!({ "title": "En ny titel", "settings": { "batons_per_round": 2 } }),
    ] {
        let res = app.patch(&path, t, &body);
        assert_error(&res, 409, "wrong_state");
    }
    assert_unchanged(&app, Some(relay), &before);
    assert_eq!(app.get(&path, t).body["rounds"], json!(rounds));

    // Once closed, not even the texts change.
    assert_eq!(
        app.post(&format!("{path}/close"), t, &json!({})).status,
        200
    );
    let before = fingerprint(&app, Some(relay));
    for body in [
        json!({ "title": "En ny titel" }),
        json!({ "settings": { "reroute_after_hours": 0 } }),
    ] {
        assert_error(&app.patch(&path, t, &body), 409, "wrong_state");
    }
    assert_unchanged(&app, Some(relay), &before);
}

#[test]
fn an_invalid_patch_of_a_draft_changes_nothing() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let path = format!("/api/relays/{relay}");
    let t = Some(app.token.as_str());
    let before = fingerprint(&app, Some(relay));
    for (body, code) in [
        (
            json!({ "title": "En ny titel", "timezone": "Mars/Olympus" }),
            "validation_failed",
        ),
        (
            json!({ "title": "En ny titel", "language": "sv" }),
            "validation_failed",
        ),
        (json!({ "title": "   " }), "validation_failed"),
        (
            json!({ "title": "En ny titel", "settings": { "batons_per_round": 9 } }),
            "validation_failed",
        ),
        (json!({ "title": "En ny titel", "rounds": [] }), "invalid"),
    ] {
        let res = app.patch(&path, t, &body);
        assert_json_error(&body.to_string(), &res, 422, code);
    }
    assert_unchanged(&app, Some(relay), &before);
    assert_eq!(
        app.get(&path, t).body["title"],
        "Ledelse til gavn for borgerne"
    );
}

#[test]
fn importing_into_a_closed_relay_is_a_conflict() {
    let app = spawn_app();
    let (relay, _) = open_relay(&app, 2, json!({}));
    assert_eq!(
        app.post(
            &format!("/api/relays/{relay}/close"),
            Some(&app.token),
            &json!({})
        )
        .status,
        200
    );
    let path = format!("/api/relays/{relay}/participants");
    let before = fingerprint(&app, Some(relay));
    let res = app.post(
        &path,
        Some(&app.token),
        &json!([{ "name": "Ny Person", "email": "ny@person.dk", "group": "Stat" }]),
    );
    assert_error(&res, 409, "wrong_state");
    let res = post_raw(
        &app,
        &path,
        &app.token,
        "text/csv",
        "name,email,group\nNy Person,ny@person.dk,Stat\n".as_bytes(),
    );
    assert_error(&res, 409, "wrong_state");
    // Updating an existing participant's details is refused too.
    let existing = participants(&app, relay)[0].clone();
    let res = app.post(
        &path,
        Some(&app.token),
        &json!([{ "name": "Nyt Navn", "email": existing["email"], "group": "Ny gruppe" }]),
    );
    assert_error(&res, 409, "wrong_state");
    assert_unchanged(&app, Some(relay), &before);
}

#[test]
fn a_relay_with_fewer_than_two_active_participants_cannot_be_scheduled_or_opened() {
    let app = spawn_app();
    let t = Some(app.token.as_str());
    let empty = app.create_relay(json!({}));
    let one = app.create_relay(json!({}));
    app.import_people(one, 1);
    let two_one_suspended = app.create_relay(json!({}));
    let people = app.import_people(two_one_suspended, 2);
    let res = app.post(
        &format!(
            "/api/relays/{two_one_suspended}/participants/{}/suspend",
            people[1].id
        ),
        t,
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    for relay in [empty, one, two_one_suspended] {
        let before = fingerprint(&app, Some(relay));
        for action in ["schedule", "open"] {
            let res = app.post(&format!("/api/relays/{relay}/{action}"), t, &json!({}));
            assert_error(&res, 409, "too_few_participants");
        }
        assert_unchanged(&app, Some(relay), &before);
        assert_eq!(relay_state(&app, relay), "draft");
    }
    assert!(app.emails().is_empty(), "no invitation went out");
}

// ---------------------------------------------------------------------------------------------
// Relay creation rules
// ---------------------------------------------------------------------------------------------

#[test]
fn a_relay_with_invalid_fields_is_refused_with_422() {
    let app = spawn_app();
    let before = fingerprint(&app, None);
    let day = Duration::days(1);
    let round = |name: &str, from: chrono::DateTime<chrono::Utc>, to| json!({ "name": name, "starts_at": from, "ends_at": to });
    // Fields that break a rule are `validation_failed`; inconsistent rounds are `invalid`.
    let v = "validation_failed";
    let cases: Vec<(&str, Value, &str)> = vec![
        ("language", json!({ "language": "de" }), v),
        ("empty language", json!({ "language": "" }), v),
        ("upper-case language", json!({ "language": "DA" }), v),
        ("timezone", json!({ "timezone": "Europe/Aarhus" }), v),
        ("empty timezone", json!({ "timezone": "" }), v),
        ("offset timezone", json!({ "timezone": "UTC+1" }), v),
        ("empty title", json!({ "title": "" }), v),
        ("blank title", json!({ "title": "   \n " }), v),
        ("empty topic", json!({ "topic": "" }), v),
        ("long title", json!({ "title": "t".repeat(201) }), v),
        (
            "batons_per_round > max_batons",
            json!({ "settings": { "batons_per_round": 4, "max_batons": 3 } }),
            v,
        ),
        (
            "batons_per_round 0",
            json!({ "settings": { "batons_per_round": 0 } }),
            v,
        ),
        ("max_inbox 0", json!({ "settings": { "max_inbox": 0 } }), v),
        (
            "reroute too late",
            json!({ "settings": { "reroute_after_hours": 100_000 } }),
            v,
        ),
        (
            "overlapping rounds",
            json!({ "rounds": [
                round("Dag 1", t0(), t0() + day),
                round("Dag 2", t0() + Duration::hours(12), t0() + day * 2),
            ] }),
            "invalid",
        ),
        (
            "round ends before it starts",
            json!({ "rounds": [round("Dag 1", t0(), t0() - Duration::hours(1))] }),
            "invalid",
        ),
        (
            "round ends as it starts",
            json!({ "rounds": [round("Dag 1", t0(), t0())] }),
            "invalid",
        ),
        (
            "later round first",
            json!({ "starts_at": t0() + day, "rounds": [
                round("Dag 2", t0() + day, t0() + day * 2),
                round("Dag 1", t0(), t0() + day),
            ] }),
            "invalid",
        ),
        ("no rounds", json!({ "rounds": [] }), "invalid"),
        (
            "nameless round",
            json!({ "rounds": [round("  ", t0(), t0() + day)] }),
            "invalid",
        ),
        (
            "starts_at is not round 1",
            json!({ "rounds": [round("Dag 1", t0() + day, t0() + day * 2)] }),
            v,
        ),
        ("no start at all", json!({ "starts_at": null }), v),
    ];
    for (what, patch, code) in cases {
        let mut body = relay_body();
        for (k, val) in patch.as_object().unwrap() {
            if val.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = val.clone();
            }
        }
        let res = app.post("/api/relays", Some(&app.token), &body);
        assert_json_error(what, &res, 422, code);
    }
    assert_unchanged(&app, None, &before);
    assert_eq!(
        app.get("/api/relays", Some(&app.token)).body,
        json!([]),
        "no relay was created"
    );
}

// ---------------------------------------------------------------------------------------------
// Imports with bad rows
// ---------------------------------------------------------------------------------------------

fn post_csv(app: &TestApp, relay: i64, csv: &str) -> Res {
    post_raw(
        app,
        &format!("/api/relays/{relay}/participants"),
        &app.token,
        "text/csv; charset=utf-8",
        csv.as_bytes(),
    )
}

fn post_csv_bytes(app: &TestApp, relay: i64, csv: &[u8]) -> Res {
    post_raw(
        app,
        &format!("/api/relays/{relay}/participants"),
        &app.token,
        "text/csv",
        csv,
    )
}

#[test]
fn a_csv_import_without_a_required_column_is_refused_as_a_whole() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let before = fingerprint(&app, Some(relay));
    for csv in [
        "name,group,title\nMette Kjær,Kommune,Direktør\n",
        "navn,email,gruppe\nMette Kjær,mette@vesthavn.dk,Kommune\n",
        "email,group\nmette@vesthavn.dk,Kommune\n",
        "name,email\nMette Kjær,mette@vesthavn.dk\n",
        "",
    ] {
        let res = post_csv(&app, relay, csv);
        assert_error(&res, 422, "validation_failed");
    }
    assert_unchanged(&app, Some(relay), &before);
    assert!(participants(&app, relay).is_empty());
}

#[test]
fn a_csv_import_reports_bad_rows_by_line_and_keeps_the_good_ones() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let csv = "\u{feff}name,email,group,title,organisation,phone\n\
Mette Kjær,mette@vesthavn.dk,Kommune,Kommunaldirektør,Vesthavn Kommune,12345678\n\
Lars Bech,not-an-email,Kommune,Direktør,Skovbjerg Kommune,\n\
Hanne Lund,METTE@vesthavn.dk,Stat,Departementschef,Ministeriet,\n\
,nameless@velfaerd.dk,Stat,Direktør,Styrelsen,\n\
\"Storm, Karen\",karen@arbejdsmiljo.dk,Stat,Direktør,\"Styrelsen for Arbejdsmiljø\",\n\
Ole Uden Gruppe,ole@gruppe.dk,,,,\n\
Per For Mange,per@felter.dk,Stat,Direktør,Styrelsen,1,2,3\n\
Søren Åby,soren@aeby.dk,Stat,,,\n";
    let res = post_csv(&app, relay, csv);
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 3, "{}", res.text);
    assert_eq!(res.body["updated"], 0, "{}", res.text);
    let bad = rejected(&res);
    let lines: Vec<i64> = bad.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![1, 3, 4, 5, 7, 8], "{}", res.text);
    let reason = |line: i64| {
        bad.iter()
            .find(|(l, _)| *l == line)
            .map(|(_, r)| r.to_lowercase())
            .unwrap()
    };
    assert!(reason(1).contains("phone"), "{}", reason(1));
    assert!(reason(3).contains("email"), "{}", reason(3));
    assert!(reason(4).contains("duplicate"), "{}", reason(4));
    assert!(reason(5).contains("name"), "{}", reason(5));
    assert!(reason(7).contains("group"), "{}", reason(7));
    let list = participants(&app, relay);
    assert_eq!(
        emails_of(&list),
        vec![
            "karen@arbejdsmiljo.dk",
            "mette@vesthavn.dk",
            "soren@aeby.dk"
        ]
    );
    let karen = list
        .iter()
        .find(|p| p["email"] == "karen@arbejdsmiljo.dk")
        .unwrap();
    assert_eq!(karen["name"], "Storm, Karen");
    assert_eq!(karen["organisation"], "Styrelsen for Arbejdsmiljø");
    // The first row keeps its name and group: the duplicate did not overwrite it.
    let mette = list
        .iter()
        .find(|p| p["email"] == "mette@vesthavn.dk")
        .unwrap();
    assert_eq!(mette["name"], "Mette Kjær");
    assert_eq!(mette["group"], "Kommune");
}

#[test]
fn a_csv_import_that_is_not_utf8_is_reported_not_garbled() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let before = fingerprint(&app, Some(relay));
    // A header with a stray Latin-1 byte (0xE6, "æ") cannot be read at all.
    let res = post_csv_bytes(&app, relay, b"name\xe6,email,group\nA B,a@b.dk,G\n");
    assert_error(&res, 400, "malformed_csv");
    assert_unchanged(&app, Some(relay), &before);
    // A Latin-1 row ("Kj\xe6r") is rejected with its line; the UTF-8 rows are kept.
    let res = post_csv_bytes(
        &app,
        relay,
        b"name,email,group\nMette Kj\xe6r,mette@vesthavn.dk,Kommune\nLars Bech,lars@skovbjerg.dk,Kommune\n",
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 1, "{}", res.text);
    let bad = rejected(&res);
    assert_eq!(bad.len(), 1, "{}", res.text);
    assert_eq!(bad[0].0, 2, "{}", res.text);
    assert_eq!(
        emails_of(&participants(&app, relay)),
        vec!["lars@skovbjerg.dk"]
    );
}

#[test]
fn a_json_import_rejects_bad_elements_by_position_and_keeps_the_good_ones() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let body = json!([
        { "name": "Mette Kjær", "email": "mette@vesthavn.dk", "group": "Kommune" },
        { "name": "Lars Bech", "email": "lars@skovbjerg.dk", "group": "Kommune", "phone": "123" },
        { "name": "Hanne Lund", "email": "hanne at velfaerd.dk", "group": "Stat" },
        { "name": "Karen Storm", "email": "karen@arbejdsmiljo.dk", "group": "Stat", "title": "Direktør" },
        { "name": "Peter Krogh", "email": "peter@styrelsen.dk" },
        "Ole Hansen <ole@hansen.dk>",
        { "name": "Anne Holm", "email": "MEtte@vesthavn.dk", "group": "Stat" },
        { "name": 7, "email": "syv@tal.dk", "group": "Stat" },
    ]);
    let res = app.post(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
        &body,
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 2, "{}", res.text);
    let bad = rejected(&res);
    let lines: Vec<i64> = bad.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![2, 3, 5, 6, 7, 8], "{}", res.text);
    assert!(bad[0].1.contains("phone"), "{:?}", bad[0]);
    assert!(bad[1].1.contains("email"), "{:?}", bad[1]);
    assert!(bad[2].1.contains("group"), "{:?}", bad[2]);
    assert_eq!(
        emails_of(&participants(&app, relay)),
        vec!["karen@arbejdsmiljo.dk", "mette@vesthavn.dk"]
    );
}

#[test]
fn an_import_with_only_bad_rows_changes_nothing() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let before = fingerprint(&app, Some(relay));
    let res = post_csv(
        &app,
        relay,
        "name,email,group\nLars Bech,not-an-email,Kommune\n,x@y.dk,Stat\n",
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 0);
    assert_eq!(rejected(&res).len(), 2);
    let res = app.post(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
        &json!([{ "name": "A", "email": "a@b", "group": "G" }, { "bogus": true }]),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 0);
    assert_eq!(rejected(&res).len(), 2);
    assert_unchanged(&app, Some(relay), &before);
}

// ---------------------------------------------------------------------------------------------
// Wrong and expired links
// ---------------------------------------------------------------------------------------------

#[test]
fn a_wrong_or_missing_link_is_refused_with_401() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    // Well-formed (an id and 43 URL-safe characters) but never issued.
    let random = helpers::unknown_token();
    let malformed = [
        "abc".to_string(),
        format!("{}!", &random[..random.len() - 1]),
        format!("{random}x"),
        " ".repeat(random.len()),
        // A bare secret, as tokens looked before they carried their credential's id.
        stafet::auth::tokens::generate(),
    ];
    let mut tokens = vec![random.clone()];
    tokens.extend(malformed);
    let question = json!({ "text": "Hvordan giver du dine ledere rum til at lede?" });
    let answer = format!("/api/me/questions/{}/answer", a.qid);
    let mut rows = Vec::new();
    for token in &tokens {
        let t = Some(token.as_str());
        #[rustfmt::skip]
        let more = [
            refused("GET", "/api/me", t, Empty, 401, "unauthorized"),
            refused("GET", "/api/me/events?since=0", t, Empty, 401, "unauthorized"),
            refused("POST", "/api/me/questions", t, Json(question.clone()), 401, "unauthorized"),
            refused("POST", &answer, t, Json(json!({ "text": "Et svar fra en fremmed." })), 401, "unauthorized"),
            refused("GET", "/api/relays", t, Empty, 401, "unauthorized"),
        ];
        rows.extend(more);
    }
    // No credentials at all.
    #[rustfmt::skip]
    let more = [
        refused("GET", "/api/me", None, Empty, 401, "unauthorized"),
        refused("POST", "/api/me/questions", None, Json(json!({ "text": "Hvem er jeg mon i dag?" })), 401, "unauthorized"),
        refused("POST", "/api/relays", None, Json(relay_body()), 401, "unauthorized"),
    ];
    rows.extend(more);
    assert_refused(&app, &rows);
    // A header that is not a bearer token.
    let res = app.get_with("/api/me", &[("Authorization", &format!("Basic {random}"))]);
    assert_error(&res, 401, "unauthorized");
    // The magic-link page for an unknown link says so, and redeeming it starts no session.
    let page = app.get(&format!("/p/{random}"), None);
    assert_eq!(page.status, 401, "{}", page.text);
    let res = app.send_raw("POST", &format!("/p/{random}"), None, "", b"", &[]);
    assert_eq!(res.status, 401, "{}", res.text);
    assert!(res.header("set-cookie").is_none());
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
}

#[test]
fn the_wrong_kind_of_credentials_is_refused_with_403() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    let staff = Some(app.token.as_str());
    let p = Some(a.asker().token.as_str());
    let question = json!({ "text": "Hvordan giver du dine ledere rum til at lede?" });
    #[rustfmt::skip]
    let rows = [
        // A facilitator is not a participant.
        refused("GET", "/api/me", staff, Empty, 403, "forbidden"),
        refused("POST", "/api/me/questions", staff, Json(question), 403, "forbidden"),
        // A participant is not staff.
        refused("GET", "/api/relays", p, Empty, 403, "forbidden"),
        refused("GET", format!("/api/relays/{}/participants", a.relay), p, Empty, 403, "forbidden"),
        refused("POST", format!("/api/relays/{}/close", a.relay), p, Json(json!({})), 403, "forbidden"),
        refused("POST", format!("/api/questions/{}/reroute", a.qid), p, Json(json!({})), 403, "forbidden"),
    ];
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(relay_state(&app, a.relay), "open");
}

#[test]
fn a_suspended_participants_link_is_refused_with_403() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let res = app.post(
        &format!(
            "/api/relays/{}/participants/{}/suspend",
            a.relay,
            a.bystander().id
        ),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let before = fingerprint(&app, Some(a.relay));
    let token = a.bystander().token.clone();
    let question = json!({ "text": "Må jeg stadig spørge om noget?" });
    #[rustfmt::skip]
    let rows = [
        refused("GET", "/api/me", Some(&token), Empty, 403, "suspended"),
        refused("POST", "/api/me/questions", Some(&token), Json(question), 403, "suspended"),
    ];
    assert_refused(&app, &rows);
    assert_eq!(app.get(&format!("/p/{token}"), None).status, 403);
    assert_unchanged(&app, Some(a.relay), &before);
}

#[test]
fn a_link_stops_working_thirty_days_after_the_relay_closed() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let res = app.post(
        &format!("/api/relays/{}/close", a.relay),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    // Within the 30 days the link still reads the output.
    app.advance(Duration::days(29));
    assert_eq!(app.get("/api/me", Some(&a.asker().token)).status, 200);

    app.advance(Duration::days(2));
    let before = fingerprint(&app, Some(a.relay));
    let question = json!({ "text": "Kan jeg stadig stille et spørgsmål?" });
    let answer = json!({ "text": "Et svar der kommer alt for sent." });
    #[rustfmt::skip]
    let rows = [
        refused("GET", "/api/me", Some(&a.asker().token), Empty, 410, "link_expired"),
        refused("GET", "/api/me/events?since=0", Some(&a.asker().token), Empty, 410, "link_expired"),
        refused("POST", "/api/me/questions", Some(&a.asker().token), Json(question.clone()), 410, "link_expired"),
        refused("GET", "/api/me", Some(&a.recipient().token), Empty, 410, "link_expired"),
        refused("GET", "/api/me/events?since=0", Some(&a.recipient().token), Empty, 410, "link_expired"),
        refused("POST", "/api/me/questions", Some(&a.recipient().token), Json(question), 410, "link_expired"),
        refused("POST", format!("/api/me/questions/{}/answer", a.qid), Some(&a.recipient().token), Json(answer), 410, "link_expired"),
    ];
    assert_refused(&app, &rows);
    for who in [a.asker(), a.recipient()] {
        let page = app.get(&format!("/p/{}", who.token), None);
        assert_eq!(page.status, 410, "{}", page.text);
        let res = app.send_raw("POST", &format!("/p/{}", who.token), None, "", b"", &[]);
        assert_eq!(res.status, 410, "{}", res.text);
        assert!(res.header("set-cookie").is_none());
    }
    assert_unchanged(&app, Some(a.relay), &before);
}

// ---------------------------------------------------------------------------------------------
// Routes and methods
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Dates out of bounds, and the writes beside them
// ---------------------------------------------------------------------------------------------

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
    for date in OUT_OF_BOUNDS {
        let mut bodies = Vec::new();
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
            bodies.push(("POST", "/api/relays".to_string(), body));
        }
        let path = format!("/api/relays/{draft}");
        bodies.push(("PATCH", path.clone(), json!({ "starts_at": date })));
        bodies.push(("PATCH", path.clone(), json!({ "rounds": round(&ok, date) })));
        bodies.push(("PATCH", path, json!({ "rounds": round(date, &ok) })));
        for (method, path, body) in bodies {
            let res = app.send(method, &path, t, &body);
            assert_json_error(&format!("{method} {body}"), &res, 422, "invalid");
        }
    }
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

// Invisible characters, and a CSV quote left open
// ---------------------------------------------------------------------------------------------

/// Texts that show nothing, or nine characters padded out with characters that show nothing.
fn invisible_texts() -> Vec<String> {
    vec![
        "\u{200B}".repeat(20),
        "\u{00A0}".repeat(20),
        "\u{202E}\u{2066}\u{200F}\u{2069}".repeat(5),
        "\u{FEFF}\u{2060}\u{00AD}\u{200D}".repeat(5),
        "\u{3000}\u{2800}\u{3164}\u{200B} \n".repeat(5),
        "\u{0007}\u{001B}".repeat(10),
        "Hvorfor??\u{200B}\u{200B}\u{200B}".to_string(),
        "Hvo\u{200B}rfor\u{2060}?\u{00AD}?\u{FEFF}".to_string(),
        format!("\u{00A0}\u{200B}Hvorfor??{}", "\u{200B}\u{00A0}".repeat(10)),
    ]
}

#[test]
fn a_question_or_answer_of_invisible_characters_is_refused_and_changes_nothing() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({ "batons_per_round": 2, "max_batons": 2 }));
    let answer = format!("/api/me/questions/{}/answer", a.qid);
    let before = fingerprint(&app, Some(a.relay));
    for text in invisible_texts() {
        let res = app.post(
            "/api/me/questions",
            Some(&a.asker().token),
            &json!({ "text": text }),
        );
        assert_json_error(&format!("question {text:?}"), &res, 422, "text_length");
        let res = app.post(
            &answer,
            Some(&a.recipient().token),
            &json!({ "text": text }),
        );
        assert_json_error(&format!("answer {text:?}"), &res, 422, "text_length");
    }
    // Ten letters under thousands of combining marks are not a ten-character question.
    let zalgo = format!("Hvorfor?!?{}", "\u{0301}".repeat(2_001));
    let res = app.post(
        "/api/me/questions",
        Some(&a.asker().token),
        &json!({ "text": zalgo }),
    );
    assert_error(&res, 422, "text_length");
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
    assert_eq!(batons(&app, a.asker()), 1, "refused questions use no baton");

    // What is kept is what shows, without the controls that could make it read otherwise.
    let res = app.post(
        "/api/me/questions",
        Some(&a.asker().token),
        &json!({ "text": "\u{200B}\u{00A0}Hvem godkender \u{202E}fdp.exe\u{202C}?\u{200B}" }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.body["text"], "Hvem godkender fdp.exe?");
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

#[test]
fn a_csv_with_an_unterminated_quote_reports_the_line_and_the_lines_it_swallowed() {
    let app = spawn_app();
    // The quote opens in the last column: the row itself would pass, and take the rest along.
    let relay = app.create_relay(json!({}));
    let csv = "name,email,group,title,organisation\n\
Mette Kjær,mette@vesthavn.dk,Kommune,Direktør,Vesthavn Kommune\n\
Lars Bech,lars@skovbjerg.dk,Kommune,Direktør,\"Skovbjerg Kommune\n\
Hanne Lund,hanne@velfaerd.dk,Stat,Direktør,Styrelsen\n\
\n\
Karen Storm,karen@arbejdsmiljo.dk,Stat,Direktør,Arbejdstilsynet\n";
    let res = post_csv(&app, relay, csv);
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 1, "{}", res.text);
    let bad = rejected(&res);
    let lines: Vec<i64> = bad.iter().map(|(l, _)| *l).collect();
    assert_eq!(
        lines,
        vec![3, 4, 6],
        "the row and each line it swallowed: {}",
        res.text
    );
    assert!(bad[0].1.contains("quote"), "{:?}", bad[0]);
    assert!(bad[0].1.contains("never closed"), "{:?}", bad[0]);
    for (_, reason) in &bad[1..] {
        assert!(reason.contains("line 3"), "{reason}");
    }
    assert_eq!(
        emails_of(&participants(&app, relay)),
        vec!["mette@vesthavn.dk"],
        "the good row before the quote is kept"
    );

    // In the middle of a row, and in a file ending without a line break.
    let relay = app.create_relay(json!({}));
    let csv = "name,email,group\nMette Kjær,mette@vesthavn.dk,Kommune\n\"Lars Bech,lars@skovbjerg.dk,Kommune\nHanne Lund,hanne@velfaerd.dk,Stat";
    let res = post_csv(&app, relay, csv);
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 1, "{}", res.text);
    let lines: Vec<i64> = rejected(&res).iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![3, 4], "{}", res.text);

    // A quoted field that closes, even across a line break, is no such thing.
    let relay = app.create_relay(json!({}));
    let csv = "name,email,group,organisation\n\"Storm, Karen\",karen@arbejdsmiljo.dk,Stat,\"Styrelsen for\nArbejdsmiljø\"\nMette Kjær,mette@vesthavn.dk,Kommune,";
    let res = post_csv(&app, relay, csv);
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 2, "{}", res.text);
    assert!(rejected(&res).is_empty(), "{}", res.text);
}
