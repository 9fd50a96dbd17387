//! Failover on PostgreSQL (issue 12, test b): forty participants split across two `stafet serve`
//! processes ask and answer without pause; one process is killed with SIGKILL mid-load and its
//! clients move to the other, reconnecting their sockets with `since` (half in the URL, half as
//! a `{"since": ID}` message). Then every write acknowledged with a 2xx is stored, each client
//! received exactly its feed, every email queued before the kill went out once (twice only for
//! an email the dead instance was sending, at most one SMTP pass of them), and nobody ever held more batons or unanswered
//! questions than the relay allows.
//!
//! The server comes from `STAFET_TEST_PG_URL`; without it the test fails, never skips. It makes
//! its own database, so it runs in the SQLite pass only (tests/sqlite_only.txt).

use std::collections::{BTreeSet, HashMap};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamp};
use serde_json::{Value, json};
use smtp::SmtpServer;
use stafet::email::worker::SMTP_PASS;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use crate::helpers::pg::FreshPg;
use crate::helpers::smtp;
use crate::helpers::{self, binary, live};

/// The instance that is killed, and the one that survives.
const A: usize = 0;
const B: usize = 1;

/// How a client of A asks the survivor for what it missed.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Resume {
    /// `/ws?since=ID`.
    Url,
    /// `/ws`, then `{"since": ID}`.
    Message,
}

/// A participant as their browser is: a link token, an instance, a way to resume.
#[derive(Clone, Debug)]
struct Client {
    id: i64,
    token: String,
    home: usize,
    resume: Resume,
}

/// What the test's threads share: when load stops, when A was killed, when reading stops.
#[derive(Default)]
struct Run {
    killed: AtomicBool,
    stop_load: AtomicBool,
    stop_reading: AtomicBool,
}

/// The writes a client saw acknowledged with a 2xx.
#[derive(Default, Debug)]
struct Acks {
    /// Question texts (unique per question) and the id the response gave, when it was read.
    questions: Vec<(String, Option<i64>)>,
    /// Answer texts (unique per answer) and the question they answer.
    answers: Vec<(String, i64)>,
    /// Acknowledged writes on B by a client of A, after it moved.
    after_moving: usize,
    moved: bool,
}

/// An SMTP sink on a free port, and its port.
fn smtp_sink() -> (SmtpServer, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (SmtpServer::start(listener), port)
}

/// A request's status and JSON body (Null when the body is not JSON, or was cut off after a
/// status had arrived); `Err` when it failed at transport level.
fn request(
    agent: &ureq::Agent,
    url: &str,
    token: &str,
    body: Option<&Value>,
) -> Result<(u16, Value), ureq::Error> {
    let auth = format!("Bearer {token}");
    let mut res = match body {
        None => agent.get(url).header("Authorization", &auth).call()?,
        Some(b) => agent
            .post(url)
            .header("Authorization", &auth)
            .content_type("application/json")
            .send(b.to_string().as_bytes())?,
    };
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().unwrap_or_default();
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// A relay of `n` in participant mode with the default limits, opened through `http`; its id and
/// each participant's id with the link token of their opening email.
fn open_relay(
    http: &binary::Http,
    token: &str,
    sink: &SmtpServer,
    n: usize,
) -> (i64, Vec<(i64, String)>) {
    let post = |path: &str, body: Value| {
        let (status, text) = http.send("POST", path, Some(token), Some(&body)).unwrap();
        assert!(matches!(status, 200 | 201), "{path}: {status} {text}");
        serde_json::from_str::<Value>(&text).unwrap()
    };
    let relay = post(
        "/api/relays",
        json!({
            "title": "Ledelse på tværs",
            "topic": "Offentlig ledelse",
            "purpose": "Spørgsmål mellem ledere.",
            "language": "da",
            "timezone": "Europe/Copenhagen",
            "starts_at": chrono::Utc::now() + chrono::Duration::days(1),
            "settings": { "recipient_choice": "participant" },
        }),
    )["id"]
        .as_i64()
        .unwrap();
    let rows: Vec<Value> = (0..n)
        .map(|i| json!({ "name": format!("Leder {i}"), "email": format!("l{i}@by{i}.dk"), "group": if i % 2 == 0 { "A" } else { "B" } }))
        .collect();
    post(&format!("/api/relays/{relay}/participants"), json!(rows));
    post(&format!("/api/relays/{relay}/open"), json!({}));
    let (_, list) = http
        .send(
            "GET",
            &format!("/api/relays/{relay}/participants"),
            Some(token),
            None,
        )
        .unwrap();
    let list: Vec<Value> = serde_json::from_str(&list).unwrap();
    let people = binary::wait_for("every opening email", || {
        let msgs = sink.messages();
        list.iter()
            .map(|p| {
                let link = msgs
                    .iter()
                    .filter(|m| m.to == p["email"].as_str().unwrap())
                    .find_map(|m| helpers::link_token(&m.text))?;
                Some((p["id"].as_i64().unwrap(), link))
            })
            .collect::<Option<Vec<_>>>()
    });
    (relay, people)
}

/// One round of a participant's load through `base`: answers what waits in their inbox, then
/// asks an eligible recipient when they hold a baton. Acknowledged writes go into `acks` as they
/// come, so a round cut short by a dead instance keeps what was acknowledged before.
fn round(
    agent: &ureq::Agent,
    base: &str,
    c: &Client,
    n: usize,
    acks: &mut Acks,
    moved: bool,
) -> Result<(), ureq::Error> {
    let (status, me) = request(agent, &format!("{base}/api/me"), &c.token, None)?;
    assert_eq!(status, 200, "participant {}: GET /api/me: {me}", c.id);
    let pending = me["inbox"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["status"] == "pending")
        .map(|q| q["id"].as_i64().unwrap());
    for qid in pending {
        let text = format!("Svar {n} fra deltager {} på spørgsmål {qid}.", c.id);
        let (status, body) = request(
            agent,
            &format!("{base}/api/me/questions/{qid}/answer"),
            &c.token,
            Some(&json!({ "text": text })),
        )?;
        match status {
            201 => {
                acks.answers.push((text, qid));
                acks.after_moving += usize::from(moved);
            }
            // The relay's rules may refuse: that is load too.
            409 => {}
            _ => panic!("participant {}: answer: {status} {body}", c.id),
        }
    }
    let recipients = me["recipients"].as_array().unwrap();
    if me["batons"].as_i64().unwrap() > 0 && !recipients.is_empty() {
        let to = recipients[n % recipients.len()]["id"].as_i64().unwrap();
        let text = format!("Spørgsmål {n} fra deltager {}: hvad lærte du?", c.id);
        let (status, body) = request(
            agent,
            &format!("{base}/api/me/questions"),
            &c.token,
            Some(&json!({ "text": text, "recipient_id": to })),
        )?;
        match status {
            201 => {
                acks.questions.push((text, body["id"].as_i64()));
                acks.after_moving += usize::from(moved);
            }
            409 => {}
            _ => panic!("participant {}: ask: {status} {body}", c.id),
        }
    }
    Ok(())
}

/// A client `on` an instance that failed it moves to B; only A may fail, and only once killed.
fn move_to_b(on: &mut usize, run: &Run, failure: impl FnOnce() -> String) {
    assert!(
        *on == A && run.killed.load(SeqCst),
        "{} (on instance {})",
        failure(),
        ["A", "B"][*on]
    );
    *on = B;
}

/// A participant asking and answering until the load stops; a client of A moves to B when a
/// request to A fails after the kill (a failure before it, or on B, fails the test).
fn act(c: &Client, bases: &[String; 2], run: &Run) -> Acks {
    let agent = agent();
    let mut acks = Acks::default();
    let mut on = c.home;
    let mut n = c.id as usize;
    while !run.stop_load.load(SeqCst) {
        n += 1;
        if let Err(e) = round(&agent, &bases[on], c, n, &mut acks, on != c.home) {
            move_to_b(&mut on, run, || {
                format!("participant {}: a request failed: {e}", c.id)
            });
            acks.moved = true;
        }
        // Room for the other engineers' builds; still a few requests a second per client.
        std::thread::sleep(Duration::from_millis(20));
    }
    acks
}

/// A websocket client that reads event ids and tells a broken connection from a quiet one.
struct Socket(WebSocket<MaybeTlsStream<TcpStream>>);

impl Socket {
    fn open(base: &str, query: &str) -> Self {
        let url = format!("{}/ws?{query}", base.replace("http://", "ws://"));
        let (ws, resp) = tungstenite::connect(url).expect("websocket handshake");
        assert_eq!(resp.status(), 101);
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        }
        Self(ws)
    }

    /// The event ids read within `within`, and why the connection ended if it did.
    fn read(&mut self, within: Duration) -> (Vec<i64>, Option<String>) {
        let deadline = Instant::now() + within;
        let mut ids = Vec::new();
        while Instant::now() < deadline {
            match self.0.read() {
                Ok(Message::Text(t)) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    let id = v["id"].as_i64();
                    ids.push(id.unwrap_or_else(|| panic!("not an event: {v}")));
                }
                Ok(Message::Close(frame)) => return (ids, Some(format!("closed: {frame:?}"))),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => return (ids, Some(e.to_string())),
            }
        }
        (ids, None)
    }
}

/// A participant's socket, from the start of their feed, until reading stops; every id it
/// receives goes into `got`. A client of A whose socket breaks after the kill reconnects to B
/// and resumes after the last id it received. Returns how many times it reconnected.
fn listen(c: &Client, bases: &[String; 2], run: &Run, got: &Mutex<Vec<i64>>) -> usize {
    let mut on = c.home;
    let mut ws = Socket::open(&bases[on], &format!("token={}&since=0", c.token));
    let mut reconnects = 0;
    while !run.stop_reading.load(SeqCst) {
        let (ids, broken) = ws.read(Duration::from_millis(100));
        got.lock().unwrap().extend(ids);
        let Some(why) = broken else { continue };
        move_to_b(&mut on, run, || {
            format!("participant {}: the socket ended: {why}", c.id)
        });
        reconnects += 1;
        let last = got.lock().unwrap().last().copied().unwrap_or(0);
        ws = match c.resume {
            Resume::Url => Socket::open(&bases[B], &format!("token={}&since={last}", c.token)),
            Resume::Message => {
                let mut ws = Socket::open(&bases[B], &format!("token={}", c.token));
                let since = json!({ "since": last }).to_string();
                ws.0.send(Message::text(since)).unwrap();
                ws
            }
        };
    }
    reconnects
}

/// A participant's whole feed as the database holds it, through the server at `base`.
fn feed(base: &str, c: &Client) -> Vec<i64> {
    let agent = agent();
    let mut all = Vec::new();
    let mut from = 0;
    loop {
        let url = format!("{base}/api/me/events?since={from}");
        let (status, page) = request(&agent, &url, &c.token, None).unwrap();
        assert_eq!(status, 200, "{page}");
        let ids = live::ids(page.as_array().unwrap());
        all.extend(&ids);
        match ids.last() {
            Some(&last) if ids.len() == 500 => from = last,
            _ => return all,
        }
    }
}

#[derive(QueryableByName, Debug)]
struct StoredText {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    who: i64,
    #[diesel(sql_type = Text)]
    text: String,
}

/// Stored texts by text: questions (`id`, asker) or answers (question id, author).
fn stored(conn: &mut PgConnection, sql: &str) -> HashMap<String, Vec<(i64, i64)>> {
    let mut by_text: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    for row in diesel::sql_query(sql).load::<StoredText>(conn).unwrap() {
        by_text.entry(row.text).or_default().push((row.id, row.who));
    }
    by_text
}

/// Fails unless every acknowledged question and answer is stored once, as acknowledged.
fn assert_acks_stored(conn: &mut PgConnection, relay: i64, acks: &[(Client, Acks)]) {
    let questions = stored(
        conn,
        &format!("SELECT id, asker_id AS who, text FROM questions WHERE relay_id = {relay}"),
    );
    let answers = stored(
        conn,
        "SELECT question_id AS id, author_id AS who, text FROM answers",
    );
    for (c, a) in acks {
        for (text, id) in &a.questions {
            let rows = questions.get(text).map_or(&[][..], Vec::as_slice);
            assert_eq!(rows.len(), 1, "acknowledged question {text:?}: {rows:?}");
            assert_eq!(rows[0].1, c.id, "{text:?} stored under its asker");
            if let Some(id) = id {
                assert_eq!(rows[0].0, *id, "{text:?} stored with the id it was given");
            }
        }
        for (text, qid) in &a.answers {
            let rows = answers.get(text).map_or(&[][..], Vec::as_slice);
            assert_eq!(rows, [(*qid, c.id)], "acknowledged answer {text:?}");
        }
    }
}

#[derive(QueryableByName)]
struct Limits {
    #[diesel(sql_type = Integer)]
    max_inbox: i32,
    #[diesel(sql_type = Integer)]
    batons_per_round: i32,
    #[diesel(sql_type = Integer)]
    max_batons: i32,
}

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Integer)]
    batons: i32,
    #[diesel(sql_type = Integer)]
    inbox_count: i32,
    #[diesel(sql_type = BigInt)]
    pending: i64,
}

#[derive(QueryableByName)]
struct StaffEvent {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    data: String,
}

/// Fails unless nobody ever held more batons or unanswered questions than the relay allows.
/// The relay's writes are serialised by its row lock and take their event ids inside it, so the
/// staff feed in id order is the order the writes happened in: replaying it (every question
/// asked uses a baton and fills an inbox, every answer empties one and earns a baton up to the
/// most) gives each participant's holdings after every write, which must stay within the
/// limits and end where the database says they are.
fn assert_limits_held(conn: &mut PgConnection, relay: i64) -> usize {
    let limits = diesel::sql_query(format!(
        "SELECT max_inbox, batons_per_round, max_batons FROM relays WHERE id = {relay}"
    ))
    .get_result::<Limits>(conn)
    .unwrap();
    let held = diesel::sql_query(format!(
        "SELECT p.id, p.batons, p.inbox_count, \
         (SELECT COUNT(*) FROM deliveries d WHERE d.recipient_id = p.id AND d.outcome = 'pending') \
         AS pending FROM participants p WHERE p.relay_id = {relay}"
    ))
    .load::<Held>(conn)
    .unwrap();
    let mut batons: HashMap<i64, i32> = held
        .iter()
        .map(|p| (p.id, limits.batons_per_round))
        .collect();
    let mut inbox: HashMap<i64, i32> = held.iter().map(|p| (p.id, 0)).collect();
    let events = diesel::sql_query(format!(
        "SELECT kind, data FROM events WHERE relay_id = {relay} AND participant_id IS NULL \
         AND kind IN ('question_asked', 'question_answered') ORDER BY id"
    ))
    .load::<StaffEvent>(conn)
    .unwrap();
    for e in &events {
        let data: Value = serde_json::from_str(&e.data).unwrap();
        let id = |k: &str| data[k].as_i64().unwrap();
        if e.kind == "question_asked" {
            let asker = batons.get_mut(&id("asker_id")).unwrap();
            assert!(*asker > 0, "{} asked without a baton", id("asker_id"));
            *asker -= 1;
            let to = inbox.get_mut(&id("recipient_id")).unwrap();
            *to += 1;
            assert!(
                *to <= limits.max_inbox,
                "{} held {to} unanswered questions (most {})",
                id("recipient_id"),
                limits.max_inbox
            );
        } else {
            let who = id("answerer_id");
            *inbox.get_mut(&who).unwrap() -= 1;
            let b = batons.get_mut(&who).unwrap();
            *b = (*b + 1).min(limits.max_batons);
        }
    }
    for p in &held {
        assert!(
            (0..=limits.max_batons).contains(&p.batons),
            "{} holds {} batons",
            p.id,
            p.batons
        );
        assert!(p.inbox_count <= limits.max_inbox, "{} inbox", p.id);
        assert_eq!(i64::from(p.inbox_count), p.pending, "{}: inbox count", p.id);
        assert_eq!(
            (p.batons, p.inbox_count),
            (batons[&p.id], inbox[&p.id]),
            "{}: batons and inbox as the writes left them",
            p.id
        );
    }
    events.len()
}

#[derive(QueryableByName, Debug)]
struct Outbox {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    idempotency_key: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Nullable<Timestamp>)]
    next_attempt_at: Option<NaiveDateTime>,
}

fn outbox(conn: &mut PgConnection) -> Vec<Outbox> {
    diesel::sql_query(
        "SELECT id, idempotency_key, status, attempts, next_attempt_at FROM email_outbox \
         ORDER BY id",
    )
    .load(conn)
    .unwrap()
}

/// The emails A claimed and did not mark before it died. A claim leases an email for
/// `LEASE_SECONDS` by moving its next attempt that far ahead; nothing else puts a queued email's
/// next attempt in the future here (the sink accepts everything, so no backoff). Once B has
/// sent everything due, the emails still queued with a lease that began before the kill are
/// A's: B's own claims from before the kill finished long ago (called at least 10 s after
/// it), and B's claims after it lease past `killed_at + LEASE_SECONDS`.
///
/// B works through the backlog at its SMTP pace (ten emails a pass), and a faster server queues
/// more in the same load: the wait fails only when B stops making progress for a minute.
fn orphans_of_the_kill(conn: &mut PgConnection, killed_at: NaiveDateTime) -> BTreeSet<i64> {
    let lease = chrono::Duration::seconds(stafet::email::worker::LEASE_SECONDS);
    let (mut fewest, mut progress_at) = (usize::MAX, Instant::now());
    loop {
        let now = chrono::Utc::now().naive_utc();
        let queued: Vec<Outbox> = outbox(conn)
            .into_iter()
            .filter(|r| r.status == "queued")
            .collect();
        let leased_by_a = |r: &Outbox| {
            r.attempts == 0
                && r.next_attempt_at
                    .is_some_and(|t| t > now && t < killed_at + lease)
        };
        let left = queued.iter().filter(|r| !leased_by_a(r)).count();
        if left == 0 {
            return queued.iter().map(|r| r.id).collect();
        }
        if left < fewest {
            (fewest, progress_at) = (left, Instant::now());
        }
        assert!(
            progress_at.elapsed() < Duration::from_secs(60),
            "B stopped sending what is due: {left} emails left for a minute"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How many copies of each Message-ID's email the sink received, by outbox id (the Message-ID
/// is `<outbox id>.<hash of the idempotency key>@domain`).
fn received_by_outbox_id(sink: &SmtpServer) -> HashMap<i64, usize> {
    let mut seen = HashMap::new();
    for m in sink.messages() {
        let id = m.message_id.trim_start_matches('<').split('.').next();
        let id = id.and_then(|id| id.parse().ok());
        *seen
            .entry(id.unwrap_or_else(|| panic!("Message-ID {}", m.message_id)))
            .or_default() += 1;
    }
    seen
}

#[test]
fn forty_participants_lose_nothing_when_one_of_two_instances_is_killed_mid_load() {
    let pg = FreshPg::create();
    let (sink, smtp_port) = smtp_sink();
    let dir = tempfile::tempdir().unwrap();
    let url = pg.url();
    let token = binary::add_facilitator(Path::new(&url), "fac@example.dk");
    let mut servers = [
        binary::serve_pg(&url, smtp_port, &dir.path().join("a.log"), &token),
        binary::serve_pg(&url, smtp_port, &dir.path().join("b.log"), &token),
    ];
    let bases = Arc::new([servers[A].http.base.clone(), servers[B].http.base.clone()]);
    let (relay, people) = open_relay(&servers[B].http, &token, &sink, 40);
    // Even ones on A, odd ones on B; A's clients resume alternately by URL and by message.
    let clients: Vec<Client> = people
        .into_iter()
        .enumerate()
        .map(|(i, (id, token))| Client {
            id,
            token,
            home: i % 2,
            resume: [Resume::Url, Resume::Message][i / 2 % 2],
        })
        .collect();
    let run = Arc::new(Run::default());

    let received: Vec<Arc<Mutex<Vec<i64>>>> = clients.iter().map(|_| Arc::default()).collect();
    let readers: Vec<_> = clients
        .iter()
        .zip(&received)
        .map(|(c, got)| {
            let (c, bases, run, got) = (c.clone(), bases.clone(), run.clone(), got.clone());
            std::thread::spawn(move || listen(&c, &bases, &run, &got))
        })
        .collect();
    // Every socket has replayed the opening before the load starts.
    binary::wait_for("every socket to replay the opening", || {
        received
            .iter()
            .all(|got| !got.lock().unwrap().is_empty())
            .then_some(())
    });
    let actors: Vec<_> = clients
        .iter()
        .map(|c| {
            let (c, bases, run) = (c.clone(), bases.clone(), run.clone());
            std::thread::spawn(move || act(&c, &bases, &run))
        })
        .collect();

    std::thread::sleep(Duration::from_secs(6));
    let mut conn = pg.connect();
    let asked_before = count(&mut conn, relay);
    run.killed.store(true, SeqCst);
    // `Child::kill` is SIGKILL: A gets no chance to finish a request, a pass or a socket.
    servers[A].child.kill().unwrap();
    servers[A].child.wait().unwrap();
    let (killed, killed_at) = (Instant::now(), chrono::Utc::now().naive_utc());
    let queued_before_kill = outbox(&mut conn);
    std::thread::sleep(Duration::from_secs(6));
    run.stop_load.store(true, SeqCst);
    let acks: Vec<(Client, Acks)> = clients
        .iter()
        .cloned()
        .zip(actors.into_iter().map(|t| t.join().unwrap()))
        .collect();
    let asked = count(&mut conn, relay);
    assert!(
        asked_before >= 20 && asked >= asked_before + 20,
        "load before and after the kill: {asked_before} questions, then {asked}"
    );

    // Every acknowledged write is stored.
    assert_acks_stored(&mut conn, relay, &acks);
    for (c, a) in &acks {
        if c.home == A {
            assert!(a.moved, "participant {} moved to B", c.id);
        }
    }
    let moved_writes: usize = acks.iter().map(|(_, a)| a.after_moving).sum();
    assert!(moved_writes > 0, "A's clients wrote on B after the kill");

    // Each socket (A's clients: two, the second on B) received exactly its feed.
    let feeds: Vec<Vec<i64>> = clients.iter().map(|c| feed(&bases[B], c)).collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline
        && received
            .iter()
            .zip(&feeds)
            .any(|(got, want)| got.lock().unwrap().len() < want.len())
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Anything sent twice would arrive by now.
    std::thread::sleep(Duration::from_millis(500));
    run.stop_reading.store(true, SeqCst);
    let reconnects: Vec<usize> = readers.into_iter().map(|t| t.join().unwrap()).collect();
    let mut events = 0;
    for (((c, got), want), reconnected) in
        clients.iter().zip(&received).zip(&feeds).zip(&reconnects)
    {
        let got = got.lock().unwrap().clone();
        assert_eq!(
            *reconnected,
            usize::from(c.home == A),
            "participant {}: reconnections",
            c.id
        );
        let distinct: BTreeSet<i64> = got.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            got.len(),
            "participant {}: no duplicate",
            c.id
        );
        if c.home == A && c.resume == Resume::Message {
            // A `{"since": ID}` that arrives after the connection's first live events gets the
            // older ones after them (src/ws/cursor.rs): every id once, not in one order.
            assert_eq!(
                distinct.into_iter().collect::<Vec<_>>(),
                *want,
                "participant {}: sockets against feed",
                c.id
            );
        } else {
            assert_eq!(got, *want, "participant {}: sockets against feed", c.id);
        }
        events += got.len();
    }

    let changes = assert_limits_held(&mut conn, relay);

    // Every email queued before the kill is delivered, once unless A was sending it.
    std::thread::sleep(Duration::from_secs(10).saturating_sub(killed.elapsed()));
    let orphans = orphans_of_the_kill(&mut conn, killed_at);
    // The leases of A's emails run out: what five minutes would do, at once.
    diesel::sql_query("UPDATE email_outbox SET next_attempt_at = $1 WHERE id = ANY($2)")
        .bind::<Timestamp, _>(chrono::Utc::now().naive_utc())
        .bind::<Array<BigInt>, _>(orphans.iter().copied().collect::<Vec<_>>())
        .execute(&mut conn)
        .unwrap();
    binary::wait_for("every email sent", || {
        outbox(&mut conn)
            .iter()
            .all(|r| r.status == "sent")
            .then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    let delivered = received_by_outbox_id(&sink);
    let keys: HashMap<i64, String> = outbox(&mut conn)
        .into_iter()
        .map(|r| (r.id, r.idempotency_key))
        .collect();
    for row in &queued_before_kill {
        let n = delivered.get(&row.id).copied().unwrap_or(0);
        assert!(
            n >= 1,
            "email {} ({}) never delivered",
            row.id,
            row.idempotency_key
        );
    }
    for (id, n) in &delivered {
        let key = keys
            .get(id)
            .unwrap_or_else(|| panic!("email {id} not in the outbox"));
        let most = if orphans.contains(id) { 2 } else { 1 };
        assert!(*n <= most, "email {id} ({key}) delivered {n} times");
    }
    let twice = delivered.values().filter(|n| **n > 1).count();
    // One pass over SMTP is what a killed instance can leave half done.
    assert!(
        orphans.len() <= SMTP_PASS,
        "{} emails claimed by A and never recorded",
        orphans.len()
    );
    eprintln!(
        "{asked} questions ({asked_before} before the kill), {} acknowledged writes ({moved_writes} \
         by A's clients on B); {events} events received, each once, none missing; {changes} \
         writes within the limits; {} emails queued before the kill, {} of them in flight on A, \
         {twice} delivered twice",
        acks.iter()
            .map(|(_, a)| a.questions.len() + a.answers.len())
            .sum::<usize>(),
        queued_before_kill.len(),
        orphans.len(),
    );
}

/// How many questions the relay holds.
fn count(conn: &mut PgConnection, relay: i64) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM questions WHERE relay_id = {relay}"
    ))
    .get_result::<N>(conn)
    .unwrap()
    .n
}
