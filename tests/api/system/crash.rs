//! Crash safety (SPEC §6): the real `stafet serve` binary is killed with SIGKILL three times at
//! random moments while 60 participants in two open relays ask and answer over HTTP. After each
//! kill, a copy of the SQLite file (as the kill left it, WAL included) must hold every write
//! the server acknowledged with a 2xx, pass `PRAGMA integrity_check`, and keep the relay's
//! rules: batons, inboxes, deliveries, events and queued emails agree with the questions. The
//! server is restarted on the same file each time and the load goes on; at the end every
//! queued email is sent, each as exactly one `.eml` file.
//!
//! The kill moments come from a seeded generator; the seed is printed, and `CRASH_SEED=<n>`
//! replays the same schedule. What the test asserts does not depend on where the kills land.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use diesel::prelude::*;
use rand::{Rng as _, SeedableRng as _};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::helpers;
use crate::helpers::binary::free_port;
use crate::helpers::fixtures::pending_ids;
use crate::helpers::link_token;

/// Participants per relay, and relays.
const PEOPLE: usize = 30;
const RELAYS: usize = 2;
const KILLS: usize = 3;

/// A `stafet serve` child process on a fixed port of the test's temporary folder.
struct Server {
    child: Child,
}

impl Server {
    /// Starts the server on `dir`'s database and mail folder and waits until it answers.
    fn start(dir: &Path, port: u16) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_stafet"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("RUST_LOG", "warn")
            // The scheduler's passes join the writes being interrupted.
            .env("STAFET__SCHEDULER__TICK_MS", "200")
            .env("STAFET__SERVER__PUBLIC_URL", "http://stafet.test")
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--db"])
            .arg(dir.join("stafet.sqlite"))
            .arg("--mail-dir")
            .arg(dir.join("mail"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = Self { child };
        let agent = agent();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = agent.get(format!("http://127.0.0.1:{port}/api/me")).call() {
                assert_eq!(r.status().as_u16(), 401, "{}", log_tail(dir));
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server exited with {status}: {}", log_tail(dir));
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start: {}",
                log_tail(dir)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kill -9`: SIGKILL, no chance to flush or finish anything.
    fn kill(mut self) {
        // std's Child::kill sends SIGKILL on Unix.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn log_tail(dir: &Path) -> String {
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
    let start = log.len().saturating_sub(4000);
    format!("server log: …{}", &log[log.floor_char_boundary(start)..])
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A response, or `None` when the server was not there to answer (killed, restarting).
fn call(agent: &ureq::Agent, url: &str, token: &str, body: Option<&Value>) -> Option<(u16, Value)> {
    let auth = format!("Bearer {token}");
    let result = match body {
        None => agent.get(url).header("Authorization", &auth).call(),
        Some(b) => agent
            .post(url)
            .header("Authorization", &auth)
            .content_type("application/json")
            .send(b.to_string().as_bytes()),
    };
    let mut res = result.ok()?;
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().ok()?;
    Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// A write the server acknowledged with a 2xx.
#[derive(Debug, Clone)]
struct Ack {
    /// The question's id (for an answer: the question answered).
    question_id: i64,
    /// The asker, or the answerer.
    participant_id: i64,
    /// The text as the server returned it.
    text: String,
}

/// What the participants' threads record.
#[derive(Default)]
struct Record {
    asks: Mutex<Vec<Ack>>,
    answers: Mutex<Vec<Ack>>,
    /// Responses with a 5xx status: never expected, kill or no kill.
    server_errors: Mutex<Vec<String>>,
    acked: AtomicUsize,
}

impl Record {
    /// Records a 2xx response to an ask or an answer in `list`.
    fn acknowledge(&self, list: &Mutex<Vec<Ack>>, question_id: i64, pid: i64, body: &Value) {
        list.lock().unwrap().push(Ack {
            question_id,
            participant_id: pid,
            text: body["text"].as_str().unwrap().to_string(),
        });
        self.acked.fetch_add(1, Ordering::SeqCst);
    }
}

/// One participant: reads their relay, answers what is in their inbox, asks while they hold a
/// baton. A request the server did not answer is simply not acknowledged; every attempt uses a
/// new text, so nothing is retried under the same words.
fn participant_loop(base: &str, pid: i64, token: &str, stop: &AtomicBool, record: &Record) {
    let agent = agent();
    let mut n = 0u32;
    let server_error = |what: &str, status: u16, body: &Value| {
        if status >= 500 {
            record
                .server_errors
                .lock()
                .unwrap()
                .push(format!("{what}: {status} {body}"));
        }
    };
    while !stop.load(Ordering::Relaxed) {
        let Some((status, me)) = call(&agent, &format!("{base}/api/me"), token, None) else {
            std::thread::sleep(Duration::from_millis(25));
            continue;
        };
        server_error("GET /api/me", status, &me);
        if status != 200 {
            std::thread::sleep(Duration::from_millis(25));
            continue;
        }
        for qid in pending_ids(&me) {
            n += 1;
            let text = format!("Svar nr. {n} fra deltager {pid} på spørgsmål {qid}.");
            let url = format!("{base}/api/me/questions/{qid}/answer");
            if let Some((status, body)) = call(&agent, &url, token, Some(&json!({ "text": text })))
            {
                server_error("answer", status, &body);
                if status == 201 {
                    assert_eq!(body["question_id"], qid, "{body}");
                    record.acknowledge(&record.answers, qid, pid, &body);
                }
            }
        }
        if me["batons"].as_i64().unwrap_or(0) > 0 {
            n += 1;
            let text = format!("Spørgsmål nr. {n} fra deltager {pid}: hvad lærte du i dag?");
            let url = format!("{base}/api/me/questions");
            if let Some((status, body)) = call(&agent, &url, token, Some(&json!({ "text": text })))
            {
                server_error("ask", status, &body);
                if status == 201 {
                    let qid = body["id"].as_i64().unwrap();
                    record.acknowledge(&record.asks, qid, pid, &body);
                }
            }
        }
        // A pause between turns keeps the load to a few hundred writes a second: enough to
        // keep the writer busy at every kill, too few to use up the relays' pairs of people.
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// Two relays of [`PEOPLE`], opened now; returns each participant's (id, link token).
fn open_relays(base: &str, dir: &Path, staff: &str) -> Vec<(i64, String)> {
    let agent = agent();
    let mut emails = HashMap::new();
    for r in 0..RELAYS {
        let (status, relay) = call(
            &agent,
            &format!("{base}/api/relays"),
            staff,
            Some(&json!({
                "title": format!("Stafet under nedbrud {r}"),
                "topic": "Robusthed",
                "purpose": "Spørgsmål og svar, mens serveren bliver slået ihjel.",
                "language": "da",
                "timezone": "Europe/Copenhagen",
                "starts_at": chrono::Utc::now() + chrono::Duration::days(1),
            })),
        )
        .unwrap();
        assert_eq!(status, 201, "{relay}");
        let id = relay["id"].as_i64().unwrap();
        let rows: Vec<Value> = (0..PEOPLE)
            .map(|i| {
                json!({
                    "name": format!("Deltager {r}-{i}"),
                    "email": format!("p{r}x{i}@crash.dk"),
                    "group": if i % 2 == 0 { "Kommune" } else { "Stat" },
                })
            })
            .collect();
        let url = format!("{base}/api/relays/{id}/participants");
        let (status, body) = call(&agent, &url, staff, Some(&json!(rows))).unwrap();
        assert_eq!(
            (status, body["created"].as_u64()),
            (200, Some(PEOPLE as u64)),
            "{body}"
        );
        let (status, list) = call(&agent, &url, staff, None).unwrap();
        assert_eq!(status, 200);
        for p in list.as_array().unwrap() {
            emails.insert(
                p["email"].as_str().unwrap().to_string(),
                p["id"].as_i64().unwrap(),
            );
        }
        let url = format!("{base}/api/relays/{id}/open");
        let (status, body) = call(&agent, &url, staff, Some(&json!({}))).unwrap();
        assert_eq!(status, 200, "{body}");
    }
    // Each opening email carries the participant's link.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let links: HashMap<String, String> = read_mail_dir(&dir.join("mail"))
            .into_iter()
            .filter_map(|m| Some((m.to.clone(), m.link?)))
            .collect();
        if links.len() == emails.len() {
            return emails
                .iter()
                .map(|(email, id)| (*id, links[email].clone()))
                .collect();
        }
        assert!(
            Instant::now() < deadline,
            "opening emails: {} of {}",
            links.len(),
            emails.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One `.eml` file as the checks need it.
#[derive(Debug)]
struct Eml {
    outbox_id: i64,
    to: String,
    message_id: String,
    link: Option<String>,
}

fn read_mail_dir(dir: &Path) -> Vec<Eml> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(id) = name.strip_suffix(".eml").filter(|s| !s.starts_with('.')) else {
            continue;
        };
        let raw = std::fs::read(&path).unwrap();
        let msg = mail_parser::MessageParser::default()
            .parse(&raw)
            .unwrap_or_else(|| panic!("{name} is not an email"));
        let text = msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
        let link = link_token(&text);
        out.push(Eml {
            outbox_id: id.parse().unwrap_or_else(|_| panic!("file name {name}")),
            to: crate::helpers::smtp::first_to(&msg),
            message_id: msg.message_id().unwrap_or("").to_string(),
            link,
        });
    }
    out
}

/// Temporary files a pass of the outbox worker left behind (written, not yet renamed).
fn staged_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

mod rows {
    use diesel::sql_types::{BigInt, Integer, Nullable, Text};

    #[derive(diesel::QueryableByName, Debug)]
    pub struct Count {
        #[diesel(sql_type = BigInt)]
        pub n: i64,
    }

    #[derive(diesel::QueryableByName, Debug)]
    pub struct Integrity {
        #[diesel(sql_type = Text)]
        pub integrity_check: String,
    }

    #[derive(diesel::QueryableByName, Debug)]
    pub struct Relay {
        #[diesel(sql_type = BigInt)]
        pub id: i64,
        #[diesel(sql_type = Text)]
        pub state: String,
        #[diesel(sql_type = Integer)]
        pub max_inbox: i32,
        #[diesel(sql_type = Integer)]
        pub batons_per_round: i32,
        #[diesel(sql_type = Integer)]
        pub max_batons: i32,
    }

    #[derive(diesel::QueryableByName, Debug)]
    pub struct Participant {
        #[diesel(sql_type = BigInt)]
        pub id: i64,
        #[diesel(sql_type = BigInt)]
        pub relay_id: i64,
        #[diesel(sql_type = Integer)]
        pub batons: i32,
        #[diesel(sql_type = Integer)]
        pub inbox_count: i32,
        #[diesel(sql_type = Integer)]
        pub received_count: i32,
    }

    #[derive(diesel::QueryableByName, Debug)]
    pub struct Question {
        #[diesel(sql_type = BigInt)]
        pub id: i64,
        #[diesel(sql_type = BigInt)]
        pub relay_id: i64,
        #[diesel(sql_type = BigInt)]
        pub asker_id: i64,
        #[diesel(sql_type = BigInt)]
        pub recipient_id: i64,
        #[diesel(sql_type = Text)]
        pub text: String,
        #[diesel(sql_type = Text)]
        pub status: String,
    }

    #[derive(diesel::QueryableByName, Debug)]
    pub struct Answer {
        #[diesel(sql_type = BigInt)]
        pub question_id: i64,
        #[diesel(sql_type = BigInt)]
        pub author_id: i64,
        #[diesel(sql_type = Text)]
        pub text: String,
    }

    #[derive(diesel::QueryableByName, Debug)]
    pub struct Delivery {
        #[diesel(sql_type = BigInt)]
        pub id: i64,
        #[diesel(sql_type = BigInt)]
        pub question_id: i64,
        #[diesel(sql_type = BigInt)]
        pub asker_id: i64,
        #[diesel(sql_type = BigInt)]
        pub recipient_id: i64,
        #[diesel(sql_type = Text)]
        pub outcome: String,
    }

    #[derive(diesel::QueryableByName, Debug)]
    pub struct Event {
        #[diesel(sql_type = Nullable<BigInt>)]
        pub participant_id: Option<i64>,
        #[diesel(sql_type = Text)]
        pub kind: String,
        #[diesel(sql_type = Text)]
        pub data: String,
    }

    #[derive(diesel::QueryableByName, Debug)]
    pub struct Outbox {
        #[diesel(sql_type = BigInt)]
        pub id: i64,
        #[diesel(sql_type = Text)]
        pub idempotency_key: String,
        #[diesel(sql_type = Text)]
        pub to_address: String,
        #[diesel(sql_type = Text)]
        pub status: String,
    }
}

fn load<T: diesel::QueryableByName<diesel::sqlite::Sqlite> + 'static>(
    conn: &mut SqliteConnection,
    sql: &str,
) -> Vec<T> {
    diesel::sql_query(sql).load(conn).unwrap()
}

/// Everything the checks read, from one connection.
struct State {
    relays: Vec<rows::Relay>,
    participants: Vec<rows::Participant>,
    questions: Vec<rows::Question>,
    answers: Vec<rows::Answer>,
    deliveries: Vec<rows::Delivery>,
    events: Vec<rows::Event>,
    outbox: Vec<rows::Outbox>,
}

impl State {
    fn read(conn: &mut SqliteConnection) -> Self {
        Self {
            relays: load(
                conn,
                "SELECT id, state, max_inbox, batons_per_round, max_batons FROM relays",
            ),
            participants: load(
                conn,
                "SELECT id, relay_id, batons, inbox_count, received_count FROM participants",
            ),
            questions: load(
                conn,
                "SELECT id, relay_id, asker_id, recipient_id, text, status FROM questions",
            ),
            answers: load(conn, "SELECT question_id, author_id, text FROM answers"),
            deliveries: load(
                conn,
                "SELECT id, question_id, asker_id, recipient_id, outcome FROM deliveries",
            ),
            events: load(
                conn,
                "SELECT participant_id, kind, data FROM events ORDER BY id",
            ),
            outbox: load(
                conn,
                "SELECT id, idempotency_key, to_address, status FROM email_outbox",
            ),
        }
    }
}

/// The database as the kill left it: the file and its WAL copied aside, so the checks'
/// own connection (which replays the WAL and checkpoints on close) leaves the server's
/// recovery on restart to the server.
fn copy_aside(dir: &Path, round: usize) -> PathBuf {
    let copy = dir.join(format!("check-{round}"));
    std::fs::create_dir_all(&copy).unwrap();
    for suffix in ["", "-wal"] {
        let from = dir.join(format!("stafet.sqlite{suffix}"));
        if from.exists() {
            std::fs::copy(&from, copy.join(format!("stafet.sqlite{suffix}"))).unwrap();
        }
    }
    copy.join("stafet.sqlite")
}

/// The Message-ID the outbox worker gives the email of an outbox row.
fn message_id(id: i64, key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    format!(
        "{id}.{}@localhost",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..12])
    )
}

/// Every check after a kill. `all_sent`: the final round, where the outbox must be empty.
fn check(db: &Path, mail: &Path, record: &Record, all_sent: bool) {
    let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    let integrity: Vec<rows::Integrity> = load(&mut conn, "PRAGMA integrity_check");
    let integrity: Vec<&str> = integrity
        .iter()
        .map(|r| r.integrity_check.as_str())
        .collect();
    assert_eq!(integrity, ["ok"], "PRAGMA integrity_check");
    let fk: Vec<rows::Count> = load(
        &mut conn,
        "SELECT COUNT(*) AS n FROM pragma_foreign_key_check",
    );
    assert_eq!(fk[0].n, 0, "foreign key violations");
    let s = State::read(&mut conn);
    drop(conn);

    check_acknowledged(&s, record);
    check_rules(&s);
    check_batons(&s);
    check_events(&s);
    check_emails(&s, mail, all_sent);
}

fn check_acknowledged(s: &State, record: &Record) {
    let questions: HashMap<i64, &rows::Question> = s.questions.iter().map(|q| (q.id, q)).collect();
    let answers: HashMap<i64, &rows::Answer> =
        s.answers.iter().map(|a| (a.question_id, a)).collect();
    let asks = record.asks.lock().unwrap().clone();
    for ack in &asks {
        let q = questions
            .get(&ack.question_id)
            .unwrap_or_else(|| panic!("acknowledged question lost: {ack:?}"));
        assert_eq!(
            (q.asker_id, q.text.as_str()),
            (ack.participant_id, ack.text.as_str())
        );
    }
    let answered = record.answers.lock().unwrap().clone();
    for ack in &answered {
        let a = answers
            .get(&ack.question_id)
            .unwrap_or_else(|| panic!("acknowledged answer lost: {ack:?}"));
        assert_eq!(
            (a.author_id, a.text.as_str()),
            (ack.participant_id, ack.text.as_str())
        );
        assert_eq!(questions[&ack.question_id].status, "answered", "{ack:?}");
    }
    assert_eq!(s.relays.len(), RELAYS);
    assert!(s.relays.iter().all(|r| r.state == "open"));
    assert_eq!(s.participants.len(), RELAYS * PEOPLE);
}

/// Inboxes, deliveries and answers agree with the questions, as the relay's rules keep them.
fn check_rules(s: &State) {
    let relay: HashMap<i64, &rows::Relay> = s.relays.iter().map(|r| (r.id, r)).collect();
    let person: HashMap<i64, &rows::Participant> =
        s.participants.iter().map(|p| (p.id, p)).collect();
    let answers: HashMap<i64, &rows::Answer> =
        s.answers.iter().map(|a| (a.question_id, a)).collect();
    assert_eq!(answers.len(), s.answers.len(), "one answer per question");
    let mut deliveries: HashMap<i64, Vec<&rows::Delivery>> = HashMap::new();
    for d in &s.deliveries {
        deliveries.entry(d.question_id).or_default().push(d);
    }
    let pairs: BTreeSet<(i64, i64)> = s
        .deliveries
        .iter()
        .map(|d| (d.asker_id, d.recipient_id))
        .collect();
    assert_eq!(
        pairs.len(),
        s.deliveries.len(),
        "nobody receives two questions from one asker"
    );
    for q in &s.questions {
        let (asker, recipient) = (person[&q.asker_id], person[&q.recipient_id]);
        assert_ne!(q.asker_id, q.recipient_id, "question {} to its asker", q.id);
        assert_eq!(
            (asker.relay_id, recipient.relay_id),
            (q.relay_id, q.relay_id)
        );
        // No reroutes happen in this test: one delivery per question, to its recipient.
        let ds = deliveries.get(&q.id).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(ds.len(), 1, "deliveries of question {}", q.id);
        let d = ds[0];
        assert_eq!((d.asker_id, d.recipient_id), (q.asker_id, q.recipient_id));
        match q.status.as_str() {
            "pending" => {
                assert_eq!(d.outcome, "pending", "question {}", q.id);
                assert!(
                    !answers.contains_key(&q.id),
                    "a pending question {} has an answer",
                    q.id
                );
            }
            "answered" => {
                assert_eq!(d.outcome, "answered", "question {}", q.id);
                let a = answers
                    .get(&q.id)
                    .unwrap_or_else(|| panic!("answered {} without answer", q.id));
                assert_eq!(a.author_id, q.recipient_id, "answered by its recipient");
            }
            other => panic!("question {} is {other} in an open relay", q.id),
        }
    }
    assert!(
        s.answers
            .iter()
            .all(|a| s.questions.iter().any(|q| q.id == a.question_id))
    );
    for p in &s.participants {
        let pending = s
            .questions
            .iter()
            .filter(|q| q.recipient_id == p.id && q.status == "pending")
            .count() as i32;
        let received = s
            .deliveries
            .iter()
            .filter(|d| d.recipient_id == p.id)
            .count() as i32;
        assert_eq!(
            (p.inbox_count, p.received_count),
            (pending, received),
            "participant {}'s inbox and received counts against the questions",
            p.id
        );
        assert!(
            p.inbox_count <= relay[&p.relay_id].max_inbox,
            "participant {} holds {} questions, above max_inbox",
            p.id,
            p.inbox_count
        );
    }
}

/// Each participant's batons follow from their own history: granted at opening, one used per
/// question asked, one back per answer (up to `max_batons`). The history is read from their
/// events, each of which states the count after it; the participant row must agree.
fn check_batons(s: &State) {
    let relay: HashMap<i64, &rows::Relay> = s.relays.iter().map(|r| (r.id, r)).collect();
    for p in &s.participants {
        let r = relay[&p.relay_id];
        let (per_round, max) = (r.batons_per_round, r.max_batons);
        let mut batons: Option<i32> = None;
        let (mut sent, mut granted) = (BTreeSet::new(), BTreeSet::new());
        for e in s.events.iter().filter(|e| e.participant_id == Some(p.id)) {
            let data: Value = serde_json::from_str(&e.data).unwrap();
            let expected = match (e.kind.as_str(), batons) {
                ("relay_opened", None) => per_round.min(max),
                ("question_sent", Some(b)) => {
                    assert!(b >= 1, "participant {} asked without a baton", p.id);
                    assert!(sent.insert(data["question_id"].as_i64().unwrap()));
                    b - 1
                }
                ("baton_granted", Some(b)) => {
                    assert!(granted.insert(data["question_id"].as_i64().unwrap()));
                    if b >= max { b } else { b + 1 }
                }
                ("relay_opened" | "question_sent" | "baton_granted", _) => {
                    panic!("participant {}: {} out of order", p.id, e.kind)
                }
                _ => continue,
            };
            assert_eq!(
                data["batons"], expected,
                "participant {}: {} {data}",
                p.id, e.kind
            );
            batons = Some(expected);
        }
        assert_eq!(
            Some(p.batons),
            batons,
            "participant {}'s batons against their events",
            p.id
        );
        assert!(
            (0..=max).contains(&p.batons),
            "participant {} holds {}",
            p.id,
            p.batons
        );
        let asked: BTreeSet<i64> = s
            .questions
            .iter()
            .filter(|q| q.asker_id == p.id)
            .map(|q| q.id)
            .collect();
        let answered: BTreeSet<i64> = s
            .answers
            .iter()
            .filter(|a| a.author_id == p.id)
            .map(|a| a.question_id)
            .collect();
        assert_eq!(
            sent, asked,
            "participant {}: a question_sent event per question",
            p.id
        );
        assert_eq!(
            granted, answered,
            "participant {}: a baton_granted event per answer",
            p.id
        );
    }
}

/// Each question and answer told whom it should, once, in the same commit: the recipient
/// (`question_received`) and the staff (`question_asked`) of every question, the asker
/// (`answer_received`) and the staff (`question_answered`) of every answer.
fn check_events(s: &State) {
    let told = |kind: &str, staff: bool| -> Vec<(Option<i64>, i64)> {
        let mut v: Vec<_> = s
            .events
            .iter()
            .filter(|e| e.kind == kind && e.participant_id.is_none() == staff)
            .map(|e| {
                let data: Value = serde_json::from_str(&e.data).unwrap();
                (e.participant_id, data["question_id"].as_i64().unwrap())
            })
            .collect();
        v.sort();
        v
    };
    let sorted = |mut v: Vec<(Option<i64>, i64)>| {
        v.sort();
        v
    };
    let asker: HashMap<i64, i64> = s.questions.iter().map(|q| (q.id, q.asker_id)).collect();
    let questions = || s.questions.iter();
    assert_eq!(
        told("question_received", false),
        sorted(questions().map(|q| (Some(q.recipient_id), q.id)).collect())
    );
    assert_eq!(
        told("question_asked", true),
        sorted(questions().map(|q| (None, q.id)).collect())
    );
    assert_eq!(
        told("answer_received", false),
        sorted(
            s.answers
                .iter()
                .map(|a| (Some(asker[&a.question_id]), a.question_id))
                .collect()
        )
    );
    assert_eq!(
        told("question_answered", true),
        sorted(s.answers.iter().map(|a| (None, a.question_id)).collect())
    );
}

/// The outbox holds exactly the emails the questions call for, and the mail folder holds at
/// most one file per outbox row, every sent row's among them.
fn check_emails(s: &State, mail: &Path, all_sent: bool) {
    let mut expected: BTreeSet<String> = s
        .participants
        .iter()
        .map(|p| format!("opening:{}", p.id))
        .collect();
    expected.extend(
        s.deliveries
            .iter()
            .map(|d| format!("question_received:{}", d.id)),
    );
    expected.extend(
        s.answers
            .iter()
            .map(|a| format!("answer_received:{}", a.question_id)),
    );
    let keys: BTreeSet<String> = s.outbox.iter().map(|o| o.idempotency_key.clone()).collect();
    assert_eq!(
        keys.len(),
        s.outbox.len(),
        "one outbox row per idempotency key"
    );
    assert_eq!(
        keys, expected,
        "the outbox against the questions and answers"
    );
    let rows: HashMap<i64, &rows::Outbox> = s.outbox.iter().map(|o| (o.id, o)).collect();
    let files = read_mail_dir(mail);
    let mut seen = BTreeSet::new();
    for f in &files {
        let row = rows
            .get(&f.outbox_id)
            .unwrap_or_else(|| panic!("an .eml file for no outbox row: {f:?}"));
        assert_eq!(
            f.message_id,
            message_id(row.id, &row.idempotency_key),
            "{f:?}"
        );
        assert_eq!(f.to, row.to_address, "{f:?}");
        assert!(
            seen.insert(row.idempotency_key.clone()),
            "two files for {}",
            row.idempotency_key
        );
    }
    for row in &s.outbox {
        if row.status == "sent" {
            assert!(
                seen.contains(&row.idempotency_key),
                "sent without a file: {row:?}"
            );
        }
        if all_sent {
            assert_eq!(row.status, "sent", "{row:?}");
        }
    }
    if all_sent {
        assert_eq!(files.len(), s.outbox.len());
        assert_eq!(
            staged_files(mail),
            Vec::<String>::new(),
            "temporary files left behind"
        );
    }
}

/// A row count of the live database.
fn count(db: &Path, sql: &str) -> i64 {
    let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    load::<rows::Count>(&mut conn, &format!("SELECT COUNT(*) AS n FROM {sql}"))[0].n
}

/// Waits for the load to acknowledge a write after `since`, so every kill interrupts traffic.
fn wait_for_traffic(record: &Record, since: usize, dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while record.acked.load(Ordering::SeqCst) <= since {
        assert!(
            Instant::now() < deadline,
            "no write acknowledged: {}",
            log_tail(dir)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn acknowledged_writes_survive_kill_9_and_the_relay_stays_consistent() {
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("crash test seed: {seed} (CRASH_SEED={seed} replays the kill moments)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (db, mail) = (dir.join("stafet.sqlite"), dir.join("mail"));

    // Arrange: a facilitator from the CLI, the server, two open relays and everyone's link.
    let bin = Path::new(env!("CARGO_BIN_EXE_stafet"));
    let (_, staff) = helpers::cli_user_add(bin, &db, "fac@crash.dk", "facilitator");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Server::start(dir, port);
    let people = open_relays(&base, dir, &staff);
    assert_eq!(people.len(), RELAYS * PEOPLE);

    let stop = Arc::new(AtomicBool::new(false));
    let record = Arc::new(Record::default());
    let threads: Vec<_> = people
        .into_iter()
        .map(|(pid, token)| {
            let (base, stop, record) = (base.clone(), stop.clone(), record.clone());
            std::thread::spawn(move || participant_loop(&base, pid, &token, &stop, &record))
        })
        .collect();

    // Act: three kills at random moments, each followed by the checks and a restart.
    for kill in 1..=KILLS {
        wait_for_traffic(&record, record.acked.load(Ordering::SeqCst), dir);
        std::thread::sleep(Duration::from_millis(rng.gen_range(200..2000)));
        let acked = record.acked.load(Ordering::SeqCst);
        server.kill();
        println!("kill {kill}: {acked} writes acknowledged so far");
        check(&copy_aside(dir, kill), &mail, &record, false);
        if kill == KILLS {
            // A killed worker's claimed emails stay leased for LEASE_SECONDS (5 minutes) so
            // that no other worker sends them meanwhile. The test does not wait five minutes:
            // with the server down, it ends those leases as if the time had passed.
            let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
            diesel::sql_query(
                "UPDATE email_outbox SET next_attempt_at = created_at WHERE status = 'queued'",
            )
            .execute(&mut conn)
            .unwrap();
        }
        server = Server::start(dir, port);
    }
    wait_for_traffic(&record, record.acked.load(Ordering::SeqCst), dir);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(&db, "email_outbox WHERE status <> 'sent'") > 0 {
        assert!(
            Instant::now() < deadline,
            "emails still unsent: {}",
            log_tail(dir)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill();

    // Assert: the final state, with every email sent exactly once.
    check(&copy_aside(dir, KILLS + 1), &mail, &record, true);
    let errors = record.server_errors.lock().unwrap();
    assert!(errors.is_empty(), "5xx responses: {errors:?}");
    let (asks, answers) = (
        record.asks.lock().unwrap().len(),
        record.answers.lock().unwrap().len(),
    );
    println!("{asks} questions and {answers} answers acknowledged across {KILLS} kills");
}
