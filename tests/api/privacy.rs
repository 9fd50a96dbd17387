//! Personal data through its life (SPEC §4 "Personal data"): retention erases every trace of
//! the people of a closed relay from the database file and keeps the pseudonymised corpus,
//! erasure on request mid-relay, a participant's own data download, sent emails without their
//! bodies, and copies of a relay. Real server, real SQLite file, the clock moved by the test.

use std::path::Path;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::live;
use crate::helpers::refusals::Body::Json;
use crate::helpers::refusals::{assert_refused, refused};
use crate::helpers::*;

/// Questions from two topics, so clustering has something to find.
const QUESTIONS: [&str; 12] = [
    "Hvordan sikrer du, at borgerne oplever sammenhæng mellem sektorerne i jeres kommune?",
    "Hvad gør du konkret for at borgerne får én indgang til kommunens tilbud?",
    "Hvordan inddrager du borgerne, når sektorerne skal samarbejde om en indsats?",
    "Hvilke borgere falder oftest mellem to sektorer hos jer, og hvorfor sker det?",
    "Hvordan måler I, om borgerne faktisk oplever bedre sammenhæng på tværs?",
    "Hvornår har du sidst ændret en arbejdsgang, fordi borgerne pegede på et problem?",
    "Hvordan giver du dine mellemledere rum til at lede deres medarbejdere selv?",
    "Hvad gør du, når en mellemleder og medarbejderne er uenige om prioriteringen?",
    "Hvordan udvikler du dine ledere, så medarbejderne oplever god ledelse i hverdagen?",
    "Hvilken støtte får nye ledere hos jer, før de skal lede medarbejdere alene?",
    "Hvordan taler du med dine ledere om trivsel blandt medarbejderne i en travl periode?",
    "Hvad har dine ledere lært dig om at lede medarbejdere gennem store forandringer?",
];

/// What identifies one imported participant: each string must be gone after erasure.
#[derive(Debug, Clone)]
struct Identity {
    name: String,
    email: String,
    title: String,
    organisation: String,
}

fn identities(n: usize) -> Vec<Identity> {
    (0..n)
        .map(|i| Identity {
            name: format!("Ingeborg Zylvester{i}"),
            email: format!("ingeborg.zyl{i}@ravnsholt.dk"),
            title: format!("Vicedirektørqx{i}"),
            organisation: format!("Ravnsholtqx Kommune {i}"),
        })
        .collect()
}

/// A relay with these people (two groups), opened now, each holding their link.
fn open_with(app: &TestApp, who: &[Identity], settings: Value) -> (i64, Vec<Person>) {
    let relay = app.create_relay(settings);
    let rows = who
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({
                "name": p.name, "email": p.email,
                "group": if i % 2 == 0 { "Kommune" } else { "Region" },
                "title": p.title, "organisation": p.organisation,
            })
        })
        .collect();
    let mut people = app.import_rows(relay, rows);
    app.open(relay, &mut people);
    (relay, people)
}

fn ask(app: &TestApp, p: &Person, text: &str) -> Res {
    app.post(
        "/api/me/questions",
        Some(&p.token),
        &json!({ "text": text }),
    )
}

/// Every participant answers every question waiting for them; returns how many answers.
fn answer_all(app: &TestApp, people: &[Person]) -> usize {
    let mut n = 0;
    for p in people {
        let me = app.get("/api/me", Some(&p.token));
        if me.status != 200 {
            continue;
        }
        for q in me.body["inbox"].as_array().unwrap() {
            if q["status"] != "pending" {
                continue;
            }
            let res = app.post(
                &format!("/api/me/questions/{}/answer", q["id"]),
                Some(&p.token),
                &json!({ "text": format!("Vi arbejder med det i ledergruppen hver uge ({n}).") }),
            );
            assert_eq!(res.status, 201, "{}", res.text);
            n += 1;
        }
    }
    n
}

/// A connection to the test's database file that first moves the whole WAL into the file and
/// cuts the WAL to nothing (retried while the server's readers hold it).
fn checkpointed(db: &Path) -> SqliteConnection {
    #[derive(QueryableByName)]
    struct Outcome {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        busy: i64,
    }
    let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    conn.batch_execute("PRAGMA busy_timeout = 5000;").unwrap();
    let deadline = Instant::now() + StdDuration::from_secs(30);
    loop {
        let o: Outcome = diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
            .get_result(&mut conn)
            .unwrap();
        if o.busy == 0 {
            return conn;
        }
        assert!(Instant::now() < deadline, "the WAL stayed busy for 30 s");
        std::thread::sleep(StdDuration::from_millis(50));
    }
}

/// Every text value of every column of every table, as `(table.column, value)`.
fn every_text(conn: &mut SqliteConnection) -> Vec<(String, String)> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct V {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .load(conn)
    .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let columns: Vec<Name> = diesel::sql_query(format!("PRAGMA table_info(\"{}\")", t.name))
            .load(conn)
            .unwrap();
        for c in columns {
            let values: Vec<V> = diesel::sql_query(format!(
                "SELECT CAST(\"{c}\" AS TEXT) AS v FROM \"{t}\" WHERE \"{c}\" IS NOT NULL",
                c = c.name,
                t = t.name
            ))
            .load(conn)
            .unwrap();
            out.extend(
                values
                    .into_iter()
                    .map(|v| (format!("{}.{}", t.name, c.name), v.v)),
            );
        }
    }
    out
}

/// Where each of `needles` still is: in a table's text, in the database file's bytes or in the
/// WAL's (after a checkpoint that cut it).
fn traces(db: &Path, needles: &[String]) -> Vec<String> {
    let mut conn = checkpointed(db);
    let texts = every_text(&mut conn);
    let mut files = vec![(db.to_path_buf(), std::fs::read(db).unwrap())];
    let wal = db.with_extension("sqlite-wal");
    if let Ok(bytes) = std::fs::read(&wal) {
        files.push((wal, bytes));
    }
    drop(conn);
    let mut found = Vec::new();
    for needle in needles {
        for (column, value) in &texts {
            if value.contains(needle.as_str()) {
                found.push(format!("{needle:?} in {column}"));
            }
        }
        for (path, bytes) in &files {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(format!("{needle:?} in the bytes of {}", path.display()));
            }
        }
    }
    found
}

/// What must go: each person's identity, their link token and its secret, and session tokens.
fn secrets_of(who: &[Identity], people: &[Person], sessions: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for w in who {
        out.extend([
            w.name.clone(),
            w.email.clone(),
            w.title.clone(),
            w.organisation.clone(),
        ]);
    }
    for p in people {
        out.push(p.token.clone());
        out.push(p.token[11..].to_string());
    }
    for s in sessions {
        out.push(s.clone());
        out.push(s[11..].to_string());
    }
    out
}

/// Redeems a link as a browser does; returns the participant session cookie's value.
fn session_of(app: &TestApp, p: &Person) -> String {
    let res = app.send_raw("POST", &format!("/p/{}", p.token), None, "", b"", &[]);
    assert_eq!(res.status, 303, "{}", res.text);
    let mut jar = CookieJar::default();
    jar.store(&res);
    jar.get(PARTICIPANT_COOKIE).unwrap().to_string()
}

/// The corpus as JSON rows without the name and email columns (what retention takes away).
fn pseudonymous_corpus(app: &TestApp, relay: i64) -> Vec<Value> {
    let res = app.get(
        &format!("/api/relays/{relay}/corpus?format=json"),
        Some(&app.token),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let rows = match &res.body {
        Value::Array(rows) => rows.clone(),
        other => other["rows"].as_array().cloned().unwrap_or_default(),
    };
    rows.into_iter()
        .map(|mut r| {
            if let Value::Object(m) = &mut r {
                for k in [
                    "asker_name",
                    "asker_email",
                    "recipient_name",
                    "recipient_email",
                ] {
                    m.remove(k);
                }
            }
            r
        })
        .collect()
}

/// The CSV corpus without the name and email columns.
fn pseudonymous_csv(app: &TestApp, relay: i64) -> Vec<Vec<String>> {
    let (status, bytes) = app.get_bytes(
        &format!("/api/relays/{relay}/corpus?format=csv"),
        &app.token,
    );
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let keep: Vec<usize> = (0..headers.len())
        .filter(|&i| !headers[i].ends_with("_name") || headers[i] == "round_name")
        .filter(|&i| !headers[i].ends_with("_email"))
        .collect();
    let mut rows = vec![keep.iter().map(|&i| headers[i].clone()).collect()];
    for r in reader.records() {
        let r = r.unwrap();
        rows.push(keep.iter().map(|&i| r[i].to_string()).collect());
    }
    rows
}

/// The themes of a clustering run with a fixed seed, as label and members.
fn themes(app: &TestApp, relay: i64) -> Vec<Value> {
    let res = app.post(
        &format!("/api/relays/{relay}/themes/cluster"),
        Some(&app.token),
        &json!({ "k": 2, "seed": 11 }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    res.body["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| json!([t["label"], t["members"]]))
        .collect()
}

/// A relay of six where everyone asks twice and every question is answered.
fn busy_relay(app: &TestApp, who: &[Identity], settings: Value) -> (i64, Vec<Person>) {
    let mut base = json!({ "batons_per_round": 2, "max_batons": 4, "max_inbox": 4 });
    base.as_object_mut()
        .unwrap()
        .extend(settings.as_object().unwrap().clone());
    let (relay, people) = open_with(app, who, base);
    for (i, p) in people.iter().enumerate() {
        for k in 0..2 {
            let res = ask(app, p, QUESTIONS[(i * 2 + k) % QUESTIONS.len()]);
            assert_eq!(res.status, 201, "{}", res.text);
        }
    }
    assert!(answer_all(app, &people) >= people.len());
    (relay, people)
}

#[test]
fn retention_erases_every_trace_of_the_people_and_keeps_the_pseudonymised_corpus() {
    // Arrange: a relay that ran, with links redeemed into sessions, then closed.
    let app = spawn_app();
    let who = identities(6);
    let (relay, people) = busy_relay(&app, &who, json!({ "retention_days": 30 }));
    let sessions: Vec<String> = people.iter().take(2).map(|p| session_of(&app, p)).collect();
    let res = app.post(
        &format!("/api/relays/{relay}/close"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let closed_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(res.body["closed_at"].clone()).unwrap();
    assert_eq!(
        res.body["erase_at"],
        json!(closed_at + Duration::days(30)),
        "erase_at is retention_days after closing"
    );
    app.emails();
    let clusters = themes(&app, relay);
    let corpus = pseudonymous_corpus(&app, relay);
    let csv = pseudonymous_csv(&app, relay);
    let secrets = secrets_of(&who, &people, &sessions);
    let before = traces(&app.db_path, &secrets);
    assert!(
        before.iter().any(|t| t.contains(&who[0].email)),
        "the scan finds what is there: {before:?}"
    );

    // A day before the period ends, nothing goes.
    app.advance(Duration::days(29));
    assert_eq!(
        app.get(&format!("/api/relays/{relay}"), Some(&app.token))
            .body["erased_at"],
        Value::Null
    );
    assert!(!traces(&app.db_path, &secrets).is_empty());

    // Act: the period passes and the scheduler runs.
    app.advance(Duration::days(1) + Duration::minutes(1));

    // Assert: no identity, link or session is left in any table or in the file's bytes.
    let left = traces(&app.db_path, &secrets);
    assert!(
        left.is_empty(),
        "left after retention:\n{}",
        left.join("\n")
    );
    assert_eq!(app.count("email_outbox"), 0);
    assert_eq!(app.count("credentials WHERE participant_id IS NOT NULL"), 0);
    let relay_now = app.get(&format!("/api/relays/{relay}"), Some(&app.token));
    assert!(
        relay_now.body["erased_at"].is_string(),
        "{}",
        relay_now.text
    );
    for p in &people {
        assert_eq!(app.get("/api/me", Some(&p.token)).status, 401);
    }
    // The corpus is what it was under pseudonyms, and clusters the same with the same seed.
    assert_eq!(pseudonymous_corpus(&app, relay), corpus);
    assert_eq!(pseudonymous_csv(&app, relay), csv);
    assert_eq!(themes(&app, relay), clusters);
    // The staff feed says it happened, and no more.
    let feed = app.get(
        &format!("/api/relays/{relay}/events?since=0"),
        Some(&app.token),
    );
    let kinds: Vec<&str> = feed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["relay_erased"], "{}", feed.text);
}

#[test]
fn a_relay_set_to_delete_leaves_nothing_of_itself() {
    let app = spawn_app();
    let who = identities(4);
    let (relay, people) = busy_relay(&app, &who, json!({ "retention": "delete" }));
    let kept = app.open_relay(2, json!({})).0;
    app.post(
        &format!("/api/relays/{relay}/close"),
        Some(&app.token),
        &json!({}),
    );
    app.emails();
    let texts: Vec<String> = QUESTIONS.iter().take(8).map(|q| q.to_string()).collect();

    let res = app.post(
        &format!("/api/relays/{relay}/erase-now"),
        Some(&app.token),
        &json!({}),
    );

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["deleted"], true);
    assert_eq!(
        app.get(&format!("/api/relays/{relay}"), Some(&app.token))
            .status,
        404
    );
    assert_eq!(app.count(&format!("relays WHERE id = {relay}")), 0);
    for table in ["rounds", "groups", "participants", "questions", "events"] {
        let n = app.count(&format!("{table} WHERE relay_id = {relay}"));
        assert_eq!(n, 0, "{table}");
    }
    // The relay kept had no answers and no deliveries.
    assert_eq!(app.count("answers"), 0);
    assert_eq!(app.count("deliveries"), 0);
    let mut needles = secrets_of(&who, &people, &[]);
    needles.extend(texts);
    let left = traces(&app.db_path, &needles);
    assert!(left.is_empty(), "left after delete:\n{}", left.join("\n"));
    assert_eq!(
        app.get(&format!("/api/relays/{kept}"), Some(&app.token))
            .status,
        200,
        "other relays stay"
    );
}

#[test]
fn erase_now_brings_retention_forward_and_refuses_a_relay_that_is_not_closed() {
    let app = spawn_app();
    let who = identities(3);
    let (relay, people) = open_with(&app, &who, json!({}));
    let before = app.snapshot();

    let open = app.post(
        &format!("/api/relays/{relay}/erase-now"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(open.status, 409, "{}", open.text);
    assert_eq!(open.code(), "wrong_state");
    assert_eq!(app.snapshot(), before, "a refusal changes nothing");
    let (_, analyst) = app.add_staff("analytiker@x.dk", "analyst");
    // Granted the relay: an analyst who may read it is refused its staff work with a 403.
    app.grant(relay, "analytiker@x.dk");
    for (path, token) in [
        (format!("/api/relays/{relay}/erase-now"), analyst.as_str()),
        (
            format!("/api/relays/{relay}/erase-now"),
            people[0].token.as_str(),
        ),
    ] {
        let res = app.post(&path, Some(token), &json!({}));
        assert_eq!(res.status, 403, "{path}: {}", res.text);
        assert_eq!(res.code(), "forbidden");
    }
    assert_eq!(
        app.post("/api/relays/999999/erase-now", Some(&app.token), &json!({}))
            .status,
        404
    );

    app.post(
        &format!("/api/relays/{relay}/close"),
        Some(&app.token),
        &json!({}),
    );
    let res = app.post(
        &format!("/api/relays/{relay}/erase-now"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.body["erased_at"].is_string());
    let list = app.get(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
    );
    for p in list.body.as_array().unwrap() {
        assert_eq!(p["name"], p["pseudonym"], "{p}");
        assert!(p["title"].is_null() && p["organisation"].is_null(), "{p}");
    }
    let again = app.post(
        &format!("/api/relays/{relay}/erase-now"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(again.status, 409);
    assert_eq!(again.code(), "already_erased");
}

#[test]
fn a_participant_erased_mid_relay_is_gone_and_the_relay_goes_on_for_everyone_else() {
    // Arrange: A asks; the question waits with R, who is connected.
    let app = spawn_app();
    let who = identities(5);
    let (relay, people) = open_with(&app, &who, json!({ "max_inbox": 3 }));
    let asked = ask(&app, &people[0], QUESTIONS[0]);
    assert_eq!(asked.status, 201, "{}", asked.text);
    let qid = asked.body["id"].as_i64().unwrap();
    let r_id = asked.body["recipient"]["id"].as_i64().unwrap();
    let r = people.iter().find(|p| p.id == r_id).unwrap().clone();
    let r_who = who.iter().find(|w| w.email == r.email).unwrap().clone();
    let session = session_of(&app, &r);
    let mut ws = live::connect(&app.base, &format!("token={}", r.token));
    ws.read_for(StdDuration::from_millis(200));
    app.emails();

    // Act
    let erased_at = Instant::now();
    let res = app.post(
        &format!("/api/relays/{relay}/participants/{r_id}/erase"),
        Some(&app.token),
        &json!({}),
    );

    // Assert: erased, the waiting question moved on.
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["texts"], "keep");
    assert_eq!(res.body["rerouted"], 1, "{}", res.text);
    ws.read_for(StdDuration::from_secs(10));
    let closed = ws
        .closed
        .as_ref()
        .expect("the erased person's socket closes");
    eprintln!(
        "socket closed {:?} after the erasure",
        closed.at - erased_at
    );
    assert_eq!(app.get("/api/me", Some(&r.token)).status, 401, "link");
    let cookie = format!("{PARTICIPANT_COOKIE}={session}");
    assert_eq!(
        app.get_with("/api/me", &[("Cookie", &cookie)]).status,
        401,
        "session"
    );
    let holder = people.iter().filter(|p| p.id != r_id).find(|p| {
        app.get("/api/me", Some(&p.token)).body["inbox"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["id"] == qid && q["status"] == "pending")
    });
    assert!(holder.is_some(), "the question waits with someone else now");

    // The others go on asking and answering.
    let others: Vec<Person> = people.iter().filter(|p| p.id != r_id).cloned().collect();
    let more = ask(&app, &others[1], QUESTIONS[7]);
    assert_eq!(more.status, 201, "{}", more.text);
    assert_ne!(more.body["recipient"]["id"], r_id, "nobody asks the erased");
    assert!(answer_all(&app, &others) >= 2);
    app.assert_counters_consistent();

    // The staff feed records the erasure, and nothing of the erased person's identity.
    let feed = app.get(
        &format!("/api/relays/{relay}/events?since=0"),
        Some(&app.token),
    );
    let erasure = feed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "participant_erased")
        .expect("a participant_erased event");
    assert_eq!(erasure["data"]["participant_id"], r_id);
    let mut needles = secrets_of(std::slice::from_ref(&r_who), std::slice::from_ref(&r), &[]);
    needles.push(session.clone());
    for n in &needles {
        assert!(!feed.text.contains(n.as_str()), "the feed shows {n}");
    }
    // Nothing of them is left anywhere in the database.
    let left = traces(&app.db_path, &needles);
    assert!(left.is_empty(), "left after erasure:\n{}", left.join("\n"));
    // Their question texts stay in the corpus under the pseudonym.
    let corpus = app.get(
        &format!("/api/relays/{relay}/corpus?format=json"),
        Some(&app.token),
    );
    assert!(corpus.text.contains(QUESTIONS[0]));
}

#[test]
fn erasing_with_texts_removed_takes_their_questions_and_answers_out_of_the_corpus() {
    let app = spawn_app();
    let who = identities(4);
    let (relay, people) = open_with(&app, &who, json!({ "max_inbox": 3 }));
    let asked = ask(&app, &people[0], QUESTIONS[3]);
    assert_eq!(asked.status, 201);
    let asked_back = ask(&app, &people[1], QUESTIONS[9]);
    assert_eq!(asked_back.status, 201);
    answer_all(&app, &people);
    let a = people[0].id;

    let res = app.post(
        &format!("/api/relays/{relay}/participants/{a}/erase"),
        Some(&app.token),
        &json!({ "texts": "remove" }),
    );

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["questions_removed"], 1);
    let corpus = app.get(
        &format!("/api/relays/{relay}/corpus?format=json"),
        Some(&app.token),
    );
    assert!(!corpus.text.contains(QUESTIONS[3]), "their question went");
    assert!(corpus.text.contains(QUESTIONS[9]), "others' questions stay");
    app.assert_counters_consistent();
}

#[test]
fn bad_erasure_requests_are_refused_and_change_nothing() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(3, json!({}));
    let pid = people[0].id;
    let path = format!("/api/relays/{relay}/participants/{pid}/erase");
    let (_, analyst) = app.add_staff("analytiker@x.dk", "analyst");
    // Granted the relay: an analyst who may read it is refused its staff work with a 403.
    app.grant(relay, "analytiker@x.dk");
    let other = app.open_relay(2, json!({})).0;
    app.emails();
    let before = app.snapshot();

    let staff = Some(app.token.as_str());
    let elsewhere = format!("/api/relays/{other}/participants/{pid}/erase");
    let invalid = "validation_failed";
    #[rustfmt::skip]
    let rows = [
        refused("POST", &path, staff, Json(json!({ "texts": "shred" })), 422, invalid),
        refused("POST", &path, staff, Json(json!({ "text": "keep" })), 422, invalid),
        refused("POST", &path, Some(&analyst), Json(json!({})), 403, "forbidden"),
        refused("POST", &path, Some(&people[1].token), Json(json!({})), 403, "forbidden"),
        refused("POST", elsewhere, staff, Json(json!({})), 404, "not_found"),
    ];
    assert_refused(&app, &rows);
    assert_eq!(app.snapshot(), before, "nothing changed");
    assert_eq!(app.get("/api/me", Some(&people[0].token)).status, 200);
    assert_eq!(app.count("participants WHERE erased_at IS NOT NULL"), 0);
}

#[test]
fn sent_emails_keep_their_status_and_lose_their_bodies() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(3, json!({}));
    ask(&app, &people[0], QUESTIONS[2]);
    let emails = app.emails();
    assert!(!emails.is_empty());

    let sent = app.count("email_outbox WHERE status = 'sent'");
    assert!(sent > 0);
    assert_eq!(
        app.count(
            "email_outbox WHERE status = 'sent' AND (params <> '{}' OR link_token IS NOT NULL)"
        ),
        0,
        "a sent email keeps no body and no link"
    );
    // What the email status needs stays.
    let list = app.get(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
    );
    for p in list.body.as_array().unwrap() {
        assert_eq!(p["latest_email"]["status"], "sent", "{p}");
        assert!(p["latest_email"]["kind"].is_string());
    }
    // A resend still gives a working link.
    let pid = people[1].id;
    let res = app.post(
        &format!("/api/relays/{relay}/participants/{pid}/resend-email"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 202, "{}", res.text);
    let latest = app.emails_to(&people[1].email).into_iter().last().unwrap();
    let token = latest.link_token().expect("a link in the resent email");
    assert_eq!(app.get("/api/me", Some(&token)).status, 200);
}

#[test]
fn my_data_holds_everything_about_me_and_nobody_anonymous_to_me() {
    // Arrange: an anonymous relay that hides groups; R is asked by A and answers.
    let app = spawn_app();
    let who = identities(4);
    let (relay, people) = open_with(
        &app,
        &who,
        json!({ "asker_anonymous": true, "show_asker_group": false, "max_inbox": 3 }),
    );
    let asked = ask(&app, &people[0], QUESTIONS[4]);
    let r_id = asked.body["recipient"]["id"].as_i64().unwrap();
    let r = people.iter().find(|p| p.id == r_id).unwrap().clone();
    let mine = ask(&app, &r, QUESTIONS[8]);
    assert_eq!(mine.status, 201, "{}", mine.text);
    answer_all(&app, &people);
    app.emails();
    let list = app.get(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
    );
    let pseudonym_of = |id: i64| {
        list.body
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()["pseudonym"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // Act
    let res = app.get("/api/me/data", Some(&r.token));

    // Assert: a download with everything about R...
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(
        res.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment")),
        "{:?}",
        res.headers
    );
    let data = &res.body;
    assert_eq!(data["participant"]["email"], r.email);
    assert_eq!(data["participant"]["name"], r.name);
    assert_eq!(data["questions_received"][0]["text"], QUESTIONS[4]);
    assert_eq!(data["questions_asked"][0]["text"], QUESTIONS[8]);
    assert_eq!(data["answers"].as_array().unwrap().len(), 1);
    let emails = data["emails"].as_array().unwrap();
    assert!(!emails.is_empty());
    for e in emails {
        assert!(e["kind"].is_string() && e["status"].is_string(), "{e}");
        assert!(e.get("sent_at").is_some());
    }
    assert!(data["relay"]["privacy_text"].as_str().unwrap().len() > 100);
    // ...and nothing of the asker who is anonymous to R.
    let a = &people[0];
    let a_who = &who[0];
    let text = res.text.clone();
    for hidden in [
        a.name.clone(),
        a.email.clone(),
        a_who.title.clone(),
        a_who.organisation.clone(),
        pseudonym_of(a.id),
    ] {
        assert!(
            !text.contains(&hidden),
            "my data shows the asker's {hidden}"
        );
    }
    assert!(
        data["questions_received"][0].get("asker_group").is_none(),
        "the group is hidden in this relay"
    );
    assert!(data["questions_received"][0].get("asker").is_none());
    // A staff token is no participant.
    assert_eq!(app.get("/api/me/data", Some(&app.token)).status, 403);
}

#[test]
fn a_copy_is_a_draft_with_the_same_rounds_rules_groups_and_notice() {
    let app = spawn_app();
    let (relay, _) = app.open_relay(4, json!({ "max_inbox": 3, "retention_days": 90 }));
    let patched = app.patch(
        &format!("/api/relays/{relay}"),
        Some(&app.token),
        &json!({ "controller": "Ravnsholt Kommune, Torvet 1", "privacy_contact": "dpo@ravnsholt.dk" }),
    );
    assert_eq!(patched.status, 200, "{}", patched.text);
    let original = app
        .get(&format!("/api/relays/{relay}"), Some(&app.token))
        .body;

    for with_participants in [false, true] {
        let res = app.post(
            &format!("/api/relays/{relay}/copy"),
            Some(&app.token),
            &json!({ "title": "Næste hold", "with_participants": with_participants }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
        let copy = &res.body;
        let id = copy["id"].as_i64().unwrap();
        assert_ne!(id, relay);
        assert_eq!(copy["state"], "draft");
        assert_eq!(copy["title"], "Næste hold");
        for field in [
            "topic",
            "purpose",
            "language",
            "timezone",
            "settings",
            "controller",
            "privacy_contact",
            "privacy_text",
        ] {
            assert_eq!(copy[field], original[field], "{field}");
        }
        let shape = |r: &Value| -> Vec<Value> {
            r["rounds"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    let s: chrono::DateTime<chrono::Utc> =
                        serde_json::from_value(x["starts_at"].clone()).unwrap();
                    let e: chrono::DateTime<chrono::Utc> =
                        serde_json::from_value(x["ends_at"].clone()).unwrap();
                    json!([x["name"], x["prompt"], (e - s).num_seconds()])
                })
                .collect()
        };
        assert_eq!(
            shape(copy),
            shape(&original),
            "rounds: names, prompts, lengths"
        );
        let starts: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(copy["starts_at"].clone()).unwrap();
        assert!(starts > app.clock.now(), "the copy starts in the future");
        let people = app.get(&format!("/api/relays/{id}/participants"), Some(&app.token));
        let n = people.body.as_array().unwrap().len();
        assert_eq!(n, if with_participants { 4 } else { 0 });
        assert_eq!(app.count(&format!("groups WHERE relay_id = {id}")), 2);
        assert_eq!(app.count(&format!("questions WHERE relay_id = {id}")), 0);
        assert_eq!(app.count(&format!("events WHERE relay_id = {id}")), 0);
        if with_participants {
            // The copy opens and runs.
            let open = app.post(
                &format!("/api/relays/{id}/open"),
                Some(&app.token),
                &json!({}),
            );
            assert_eq!(open.status, 200, "{}", open.text);
        }
    }

    // Bad input changes nothing.
    let before = app.count("relays");
    let empty = app.post(
        &format!("/api/relays/{relay}/copy"),
        Some(&app.token),
        &json!({ "title": "  " }),
    );
    assert_eq!(empty.status, 422, "{}", empty.text);
    let missing = app.post(
        "/api/relays/999999/copy",
        Some(&app.token),
        &json!({ "title": "X" }),
    );
    assert_eq!(missing.status, 404);
    let (_, analyst) = app.add_staff("analytiker@x.dk", "analyst");
    // Granted the relay: an analyst who may read it is refused its staff work with a 403.
    app.grant(relay, "analytiker@x.dk");
    let refused = app.post(
        &format!("/api/relays/{relay}/copy"),
        Some(&analyst),
        &json!({ "title": "X" }),
    );
    assert_eq!(refused.status, 403);
    assert_eq!(app.count("relays"), before);
}

#[test]
fn the_privacy_notice_comes_from_the_configuration_and_participants_see_it() {
    let app = spawn_app_with(|s| {
        s.privacy.controller = "Ravnsholt Kommune".into();
        s.privacy.contact = "dpo@ravnsholt.dk".into();
        s.privacy.retention_days = 45;
    });
    let (relay, people) = app.open_relay(2, json!({}));
    let staff = app
        .get(&format!("/api/relays/{relay}"), Some(&app.token))
        .body;
    assert_eq!(staff["controller"], "Ravnsholt Kommune");
    assert_eq!(staff["privacy_contact"], "dpo@ravnsholt.dk");
    assert_eq!(staff["settings"]["retention_days"], 45);
    assert_eq!(staff["settings"]["retention"], "pseudonymise");
    assert!(
        staff["privacy_text"]
            .as_str()
            .unwrap()
            .contains("Datatilsynet")
    );
    assert_eq!(staff["erase_at"], Value::Null, "not closed yet");

    let me = app.get("/api/me", Some(&people[0].token)).body;
    assert_eq!(me["relay"]["controller"], "Ravnsholt Kommune");
    assert_eq!(me["relay"]["privacy_contact"], "dpo@ravnsholt.dk");
    assert_eq!(me["relay"]["privacy_text"], staff["privacy_text"]);

    // The facilitator edits it in any state; bad values are refused and change nothing.
    let res = app.patch(
        &format!("/api/relays/{relay}"),
        Some(&app.token),
        &json!({ "privacy_text": "Vores egen tekst om persondata.", "settings": { "retention_days": 10 } }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["privacy_text"], "Vores egen tekst om persondata.");
    for bad in [
        json!({ "settings": { "retention": "forever" } }),
        json!({ "settings": { "retention_days": 100_000 } }),
        json!({ "controller": "x".repeat(600) }),
    ] {
        let res = app.patch(&format!("/api/relays/{relay}"), Some(&app.token), &bad);
        assert_eq!(res.status, 422, "{bad}: {}", res.text);
    }
    let now = app
        .get(&format!("/api/relays/{relay}"), Some(&app.token))
        .body;
    assert_eq!(now["settings"]["retention_days"], 10);
    assert_eq!(now["controller"], "Ravnsholt Kommune");

    // The link page shows the notice before anything is written.
    let page = app.get(&format!("/p/{}", people[0].token), None);
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains("Vores egen tekst om persondata."),
        "{}",
        page.text
    );
    // The invitation email links to it.
    let app2 = spawn_app();
    let relay2 = app2.create_relay(json!({}));
    let people2 = app2.import_people(relay2, 2);
    app2.post(
        &format!("/api/relays/{relay2}/schedule"),
        Some(&app2.token),
        &json!({}),
    );
    let invitation = app2.emails_to(&people2[0].email).remove(0);
    assert!(invitation.text.contains("#privacy"), "{}", invitation.text);
}
