//! What the bad-input tests share: a fingerprint of the database and of what the API shows, to\nassert that a refused request changed nothing, and relays in the states they refuse requests\nin (with a question asked, their links read, their participants' batons and statuses).

use serde_json::{Value, json};

use crate::helpers::refusals::assert_json_error;
use crate::helpers::{Person, Res, TestApp};

/// Asserts a JSON error `{"error": {"code", "message"}}` with this status and code.
#[track_caller]
pub fn assert_error(res: &Res, status: u16, code: &str) {
    assert_json_error("", res, status, code);
}

/// Everything a refused request must leave alone: every table's row count, the relay as the
/// API shows it and its participants (status, batons, counts, kind of their latest email).
#[derive(Debug, PartialEq)]
pub struct Fingerprint {
    tables: Vec<(String, i64)>,
    relay: Value,
    participants: Value,
}

/// A count straight from the database.
pub fn sql_count(app: &TestApp, sql: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.connect();
    diesel::sql_query(sql).get_result::<N>(&mut conn).unwrap().n
}

/// The fingerprint as it is this moment.
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
pub fn fingerprint(app: &TestApp, relay: Option<i64>) -> Fingerprint {
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

/// Asserts that the fingerprint is as `before`, once the database has come to rest.
#[track_caller]
pub fn assert_unchanged(app: &TestApp, relay: Option<i64>, before: &Fingerprint) {
    let after = fingerprint(app, relay);
    assert_eq!(&after, before, "a refused request changed something");
}

/// POST with a raw body and content type.
pub fn post_raw(app: &TestApp, path: &str, token: &str, content_type: &str, body: &[u8]) -> Res {
    app.send_raw("POST", path, Some(token), content_type, body, &[])
}

/// Fills in each person's token from the latest email with a link to them, waiting for the
/// background outbox worker when it holds the emails (it may have claimed them first).
pub fn read_links(app: &TestApp, people: &mut [Person]) {
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
pub fn open_relay(app: &TestApp, n: usize, settings: Value) -> (i64, Vec<Person>) {
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
pub struct Asked {
    pub relay: i64,
    pub people: Vec<Person>,
    pub qid: i64,
    /// Index of the recipient in `people`.
    pub to: usize,
}

impl Asked {
    pub fn asker(&self) -> &Person {
        &self.people[0]
    }

    pub fn recipient(&self) -> &Person {
        &self.people[self.to]
    }

    /// Someone who neither asked nor received the question.
    pub fn bystander(&self) -> &Person {
        self.people
            .iter()
            .enumerate()
            .find(|(i, _)| *i != 0 && *i != self.to)
            .map(|(_, p)| p)
            .unwrap()
    }
}

/// An open relay of four in which `people[0]` has asked a question, still pending.
pub fn relay_with_question(app: &TestApp, settings: Value) -> Asked {
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

/// The ids of the questions pending in the inbox of a `GET /api/me` answer (none when it has
/// no inbox).
pub fn pending_ids(me: &Value) -> Vec<i64> {
    me["inbox"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|q| q["status"] == "pending")
        .filter_map(|q| q["id"].as_i64())
        .collect()
}

/// The status of question `qid` as its asker sees it.
pub fn asked_status(app: &TestApp, asker: &Person, qid: i64) -> String {
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
pub fn inbox_status(app: &TestApp, recipient: &Person, qid: i64) -> String {
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

/// The batons `who` holds, as `/api/me` shows them.
pub fn batons(app: &TestApp, who: &Person) -> i64 {
    let me = app.get("/api/me", Some(&who.token));
    assert_eq!(me.status, 200, "{}", me.text);
    me.body["batons"].as_i64().unwrap()
}

/// The relay's state as staff see it.
pub fn relay_state(app: &TestApp, relay: i64) -> String {
    app.get(&format!("/api/relays/{relay}"), Some(&app.token))
        .body["state"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The relay's participants as staff see them.
pub fn participants(app: &TestApp, relay: i64) -> Vec<Value> {
    app.get(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
    )
    .body
    .as_array()
    .unwrap()
    .clone()
}

/// The participants' emails, sorted.
pub fn emails_of(list: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = list
        .iter()
        .map(|p| p["email"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

/// `(line, reason)` of an import report's rejected rows.
pub fn rejected(res: &Res) -> Vec<(i64, String)> {
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
