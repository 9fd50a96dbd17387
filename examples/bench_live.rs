//! Live-delivery benchmark (issues 3 and 12): starts `stafet serve` as a child process on a
//! fresh database, connects N participants over websockets across several relays, drives asks
//! and answers through the HTTP API as fast as the server takes them, checks that every push
//! arrives exactly once, and prints throughput, latencies and the server's peak memory. In the
//! same run it measures the baseline: on SQLite, raw inserts, one per transaction, with the same
//! journal and `synchronous` settings; on PostgreSQL, ask-shaped transactions through `pgbench`
//! with as many clients as requests in flight (`bench_live/raw_pg.rs`).
//!
//! Run: `cargo build --release && cargo run --release --example bench_live -- [participants] [relays] [seconds] [rate] [in_flight]`
//! (defaults 1000 10 20 0 0). Set STAFET_SYNC=NORMAL to compare with synchronous=NORMAL, and
//! STAFET_BIN to run another build of the server.
//!
//! PostgreSQL: set STAFET_PG_URL to a server's URL (e.g. from `scripts/pg-throwaway.sh`); each
//! run creates fresh databases there and drops them at the end. The servers send their emails to
//! an SMTP sink in this process. STAFET_INSTANCES=2 starts two servers on the one database:
//! participant k sends its requests to and holds its websocket on instance k mod 2, as behind a
//! load balancer, so about half the pushes cross instances (through the database's
//! notifications); their latency is reported apart. STAFET__* variables reach the servers.
//!
//! With `rate` 0 every participant acts as soon as its last request is answered. Alone, that
//! keeps one request in flight per participant (1,000 closed-loop clients): it measures
//! throughput, and latency there is mostly queueing (Little's law: about 1,000 / throughput).
//! `in_flight` caps the requests in flight across all participants (all stay connected), which
//! measures latency at the throughput that many concurrent requests reach. With a rate
//! (writes/s offered by all participants together) each participant acts on its own schedule,
//! one action every `participants / rate` seconds, which measures latency at that load.

#[path = "../tests/api/helpers/pg.rs"]
#[allow(
    dead_code,
    reason = "the tests' fresh-database helper, of which the bench uses a part"
)]
mod fresh_pg;
#[path = "bench_live/raw_pg.rs"]
mod raw_pg;
#[path = "../tests/api/helpers/smtp.rs"]
#[allow(
    dead_code,
    reason = "the tests' SMTP sink, of which the bench uses a part"
)]
mod smtp;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// A tiny keep-alive HTTP/1.1 client: one connection per simulated participant.
struct Http {
    addr: String,
    conn: Option<BufReader<TcpStream>>,
}

impl Http {
    fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_string(),
            conn: None,
        }
    }

    async fn request(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        for _ in 0..3 {
            if self.conn.is_none() {
                let s = TcpStream::connect(&self.addr).await.expect("connect");
                s.set_nodelay(true).ok();
                self.conn = Some(BufReader::new(s));
            }
            let conn = self.conn.as_mut().unwrap();
            let payload = body.map(|b| b.to_string()).unwrap_or_default();
            let req = format!(
                "{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\
Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{payload}",
                payload.len()
            );
            if conn.get_mut().write_all(req.as_bytes()).await.is_err() {
                self.conn = None;
                continue;
            }
            match read_response(conn).await {
                Some(r) => return r,
                None => self.conn = None,
            }
        }
        panic!("HTTP request failed three times: {method} {path}");
    }
}

async fn read_response(conn: &mut BufReader<TcpStream>) -> Option<(u16, Value)> {
    let mut line = String::new();
    conn.read_line(&mut line).await.ok()?;
    let status: u16 = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut len = 0usize;
    loop {
        line.clear();
        conn.read_line(&mut line).await.ok()?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().ok()?;
        }
    }
    let mut buf = vec![0; len];
    conn.read_exact(&mut buf).await.ok()?;
    Some((status, serde_json::from_slice(&buf).unwrap_or(Value::Null)))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    field("VmHWM:")
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Raw SQLite: one INSERT per transaction, same journal mode and `synchronous`.
fn baseline_inserts_per_sec(dir: &Path, sync: &str, n: usize) -> f64 {
    let path = dir.join("baseline.sqlite");
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    conn.batch_execute(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync};
         CREATE TABLE t (id INTEGER PRIMARY KEY, relay_id BIGINT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL);"
    ))
    .unwrap();
    let start = Instant::now();
    for i in 0..n {
        conn.batch_execute(&format!(
            "BEGIN IMMEDIATE; INSERT INTO t (relay_id, text, created_at) VALUES ({}, 'Hvordan giver du dine ledere rum til at lede?', '2026-12-07 08:00:00'); COMMIT;",
            i % 10
        ))
        .unwrap();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn stafet_binary() -> PathBuf {
    // STAFET_BIN compares two builds in alternating runs on the same machine.
    if let Some(bin) = std::env::var_os("STAFET_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/examples/bench_live -> target/<profile>/stafet
    exe.parent().unwrap().parent().unwrap().join("stafet")
}

/// Where the servers keep their data: a SQLite file, or a database of its own on a PostgreSQL
/// server, dropped at the end.
enum Store {
    Sqlite(PathBuf),
    Postgres { server: String, name: String },
}

impl Store {
    /// A fresh database on the PostgreSQL server at `server`.
    fn postgres(server: &str, label: &str) -> Self {
        let name = format!("stafet_bench_{label}_{:08x}", rand::random::<u32>());
        PgConnection::establish(server)
            .expect("connecting to STAFET_PG_URL")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("creating a benchmark database");
        Store::Postgres {
            server: server.to_string(),
            name,
        }
    }

    /// What `--db` takes.
    fn db_arg(&self) -> OsString {
        match self {
            Store::Sqlite(path) => path.clone().into(),
            Store::Postgres { server, name } => fresh_pg::with_database(server, name).into(),
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Store::Postgres { server, name } = self
            && let Ok(mut conn) = PgConnection::establish(server)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Where the servers' emails go: `.eml` files in a folder (SQLite), or the SMTP sink in this
/// process (PostgreSQL, where `serve` requires SMTP).
enum Outbox {
    Files(PathBuf),
    Smtp { sink: smtp::SmtpServer, port: u16 },
}

impl Outbox {
    fn smtp() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        Outbox::Smtp {
            sink: smtp::SmtpServer::start(listener),
            port,
        }
    }

    /// Adds the link secrets of the emails that arrived to `tokens`, by recipient address.
    fn collect_tokens(&self, tokens: &mut HashMap<String, String>) {
        match self {
            Outbox::Files(dir) => {
                for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                    let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
                    tokens.extend(link_token(&raw));
                }
            }
            Outbox::Smtp { sink, .. } => {
                let arrived = std::mem::take(&mut *sink.received.lock().unwrap());
                tokens.extend(arrived.iter().filter_map(|raw| link_token(raw)));
            }
        }
    }

    /// Drops the emails the sink keeps, once a second, so a run's notifications do not pile
    /// up in this process's memory.
    fn discard_from_now_on(&self) {
        if let Outbox::Smtp { sink, .. } = self {
            let received = sink.received.clone();
            std::thread::spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(1));
                    received.lock().unwrap().clear();
                }
            });
        }
    }
}

/// The recipient address and link secret of an opening email.
fn link_token(raw: &str) -> Option<(String, String)> {
    // Undo quoted-printable soft line breaks; secrets contain no '='.
    let text = raw.replace("=\r\n", "").replace("=\n", "");
    let to = text
        .lines()
        .find_map(|l| l.strip_prefix("To: "))
        .map(|s| s.trim().to_string())?;
    let i = text.find("/p/")?;
    let token = text[i + 3..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect::<String>();
    Some((to, token))
}

fn start_server(bin: &Path, store: &Store, port: u16, sync: &str, outbox: &Outbox) -> Child {
    let mut cmd = Command::new(bin);
    cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .arg("--db")
        .arg(store.db_arg())
        .env("STAFET__DATABASE__SYNCHRONOUS", sync)
        .env("STAFET__RATE_LIMIT__LINK_PER_MINUTE", "1000000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    match outbox {
        Outbox::Files(dir) => cmd.arg("--mail-dir").arg(dir),
        Outbox::Smtp { port, .. } => cmd
            .env("STAFET__EMAIL__SMTP__HOST", "127.0.0.1")
            .env("STAFET__EMAIL__SMTP__PORT", port.to_string())
            .env("STAFET__EMAIL__SMTP__TLS", "none"),
    };
    cmd.spawn().expect("start stafet serve")
}

/// POSTs one write of the load within the cap on requests in flight and records its latency;
/// returns its status and body, and when the answer came.
async fn timed_post(
    http: &mut Http,
    permits: &tokio::sync::Semaphore,
    shared: &Mutex<Shared>,
    path: &str,
    token: &str,
    body: &Value,
) -> (u16, Value, Instant) {
    let permit = permits.acquire().await.unwrap();
    let t = Instant::now();
    let (status, answer) = http.request("POST", path, token, Some(body)).await;
    let now = Instant::now();
    drop(permit);
    shared
        .lock()
        .unwrap()
        .api_ms
        .push((now - t).as_secs_f64() * 1000.0);
    (status, answer, now)
}

#[derive(Default)]
struct Shared {
    /// question id -> (ack time, recipient, instance the ask went to)
    asked: HashMap<i64, (Instant, i64, usize)>,
    /// question id -> (ack time of the answer, asker)
    answered: HashMap<i64, (Instant, i64)>,
    /// (participant, event id) -> count of times received
    seen: HashMap<(i64, i64), u32>,
    /// (kind, question id, participant) -> receive time
    pushes: HashMap<(&'static str, i64, i64), Instant>,
    api_ms: Vec<f64>,
    writes: u64,
    refused: u64,
    refusals: HashMap<String, u64>,
    /// recipient -> questions asked of them
    asked_of: HashMap<i64, Vec<i64>>,
    /// participant -> when its socket stopped being read
    stopped: HashMap<i64, Instant>,
}

impl Shared {
    /// Whether a question asked of `pid` has not reached its socket yet.
    fn awaits(&self, pid: i64) -> bool {
        self.asked_of.get(&pid).is_some_and(|qids| {
            qids.iter()
                .any(|q| !self.pushes.contains_key(&("question", *q, pid)))
        })
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let relays: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let seconds: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(20);
    let rate: f64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(0.0);
    let in_flight: usize = args.get(5).and_then(|a| a.parse().ok()).unwrap_or(0);
    let permits = Arc::new(tokio::sync::Semaphore::new(if in_flight > 0 {
        in_flight
    } else {
        tokio::sync::Semaphore::MAX_PERMITS
    }));
    // Time between two actions of one participant when paced.
    let every = (rate > 0.0).then(|| Duration::from_secs_f64(n as f64 / rate));
    let sync = std::env::var("STAFET_SYNC").unwrap_or_else(|_| "FULL".into());
    let pg_server = std::env::var("STAFET_PG_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let instances: usize = std::env::var("STAFET_INSTANCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    assert!(
        instances >= 1 && (instances == 1 || pg_server.is_some()),
        "several instances need PostgreSQL (STAFET_PG_URL)"
    );
    let dir = tempfile::tempdir().unwrap();
    println!(
        "machine: {} cores; {}, {instances} instance(s); participants {n} in {relays} relays; {seconds} s; {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if pg_server.is_some() {
            "PostgreSQL".to_string()
        } else {
            format!("SQLite synchronous={sync}")
        },
        match (every, in_flight) {
            (Some(_), _) => format!("paced at {rate} writes/s offered"),
            (None, 0) => "as fast as the server takes them".into(),
            (None, k) =>
                format!("as fast as the server takes them, at most {k} requests in flight"),
        }
    );

    let (baseline, baseline_name) = match &pg_server {
        None => (
            baseline_inserts_per_sec(dir.path(), &sync, 2000),
            "raw SQLite inserts, one per transaction",
        ),
        Some(server) => {
            let clients = if in_flight > 0 { in_flight } else { 64 };
            let db = Store::postgres(server, "raw");
            let tps = raw_pg::ask_transactions_per_sec(
                &db.db_arg().to_string_lossy(),
                relays,
                n,
                clients,
                10,
            );
            println!("(pgbench: {clients} clients, 10 s)");
            (tps, "raw PostgreSQL ask-shaped transactions")
        }
    };
    println!("baseline: {baseline_name}: {baseline:.0}/s");

    let (store, outbox) = match &pg_server {
        None => (
            Store::Sqlite(dir.path().join("bench.sqlite")),
            Outbox::Files(dir.path().join("mail")),
        ),
        Some(server) => (Store::postgres(server, "live"), Outbox::smtp()),
    };
    let bin = stafet_binary();
    let out = Command::new(&bin)
        .args([
            "user",
            "add",
            "--email",
            "bench@stafet.dk",
            "--role",
            "facilitator",
            "--db",
        ])
        .arg(store.db_arg())
        .output()
        .expect("stafet user add");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let staff = stdout
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .expect("token")
        .to_string();
    let mut children = Vec::new();
    let mut addrs = Vec::new();
    for _ in 0..instances {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        children.push(start_server(&bin, &store, port, &sync, &outbox));
        addrs.push(format!("127.0.0.1:{port}"));
    }
    for addr in &addrs {
        for _ in 0..300 {
            if TcpStream::connect(addr).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let rss_all = |children: &[Child]| children.iter().map(|c| rss_kb(c.id())).sum::<u64>();
    let idle_rss = rss_all(&children);

    // Set up relays and participants (through the first instance).
    let mut http = Http::new(&addrs[0]);
    let per = n / relays;
    let mut emails = Vec::new();
    for r in 0..relays {
        let (s, relay) = http
            .request(
                "POST",
                "/api/relays",
                &staff,
                Some(&json!({
                    "title": format!("Benchmark {r}"), "topic": "Ledelse", "purpose": "Benchmark",
                    "language": "da", "timezone": "Europe/Copenhagen", "starts_at": chrono::Utc::now(),
                    "settings": { "max_batons": 3, "max_inbox": 3, "reroute_after_hours": 0, "reminder_after_hours": 0 },
                })),
            )
            .await;
        assert_eq!(s, 201, "{relay}");
        let id = relay["id"].as_i64().unwrap();
        let rows: Vec<Value> = (0..per)
            .map(|i| {
                let email = format!("p{r}-{i}@bench.dk");
                emails.push(email.clone());
                json!({ "name": format!("Deltager {r}-{i}"), "email": email, "group": if i % 2 == 0 { "A" } else { "B" } })
            })
            .collect();
        let (s, _) = http
            .request(
                "POST",
                &format!("/api/relays/{id}/participants"),
                &staff,
                Some(&json!(rows)),
            )
            .await;
        assert_eq!(s, 200);
        let (s, _) = http
            .request(
                "POST",
                &format!("/api/relays/{id}/open"),
                &staff,
                Some(&json!({})),
            )
            .await;
        assert_eq!(s, 200);
    }
    // Wait for the opening emails (the outbox worker writes or sends them).
    let mut tokens = HashMap::new();
    while !emails.iter().all(|e| tokens.contains_key(e)) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        outbox.collect_tokens(&mut tokens);
    }
    outbox.discard_from_now_on();

    // Connect every participant's websocket and learn their ids.
    let shared = Arc::new(Mutex::new(Shared::default()));
    let mut ids = Vec::new();
    for email in &emails {
        let token = tokens[email].clone();
        let (_, me) = http.request("GET", "/api/me", &token, None).await;
        ids.push((me["participant"]["id"].as_i64().unwrap(), token));
    }
    // Participant k's instance, for its requests and its websocket: by pairs, since groups
    // alternate (A asks B), so that about half the asks cross instances.
    let home: HashMap<i64, usize> = ids
        .iter()
        .enumerate()
        .map(|(k, (pid, _))| (*pid, k / 2 % instances))
        .collect();
    let mut sockets = Vec::new();
    for (pid, token) in &ids {
        let addr = &addrs[home[pid]];
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws?token={token}"))
            .await
            .expect("ws");
        sockets.push((*pid, token.clone(), ws));
    }
    let connected_rss = rss_all(&children);
    println!(
        "connected {} websockets; server RSS idle {} KB, connected {} KB",
        sockets.len(),
        idle_rss,
        connected_rss
    );

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (k, (pid, token, ws)) in sockets.into_iter().enumerate() {
        let shared = shared.clone();
        let permits = permits.clone();
        let instance = home[&pid];
        let addr = addrs[instance].clone();
        // Paced participants start spread over one interval, so the load is even.
        let mut pace = every.map(|e| {
            let start = tokio::time::Instant::now() + e.mul_f64(k as f64 / n as f64);
            let mut t = tokio::time::interval_at(start, e);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            t
        });
        tasks.push(tokio::spawn(async move {
            // The socket is read by a task of its own that stamps each message the moment it
            // arrives, so push latency is the server's, not the time this driver spends waiting
            // for its own HTTP requests.
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, String)>();
            let reader = tokio::spawn(async move {
                let (mut sink, mut stream) = ws.split();
                while let Some(msg) = stream.next().await {
                    match msg {
                        Ok(Message::Text(t)) => {
                            if tx.send((Instant::now(), t.to_string())).is_err() {
                                break;
                            }
                        }
                        Ok(Message::Ping(p)) => {
                            let _ = sink.send(Message::Pong(p)).await;
                        }
                        Ok(Message::Close(_)) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
            });
            let mut http = Http::new(&addr);
            let mut inbox: Vec<i64> = Vec::new();
            let mut batons = 1i64;
            let mut exhausted = false;
            loop {
                if Instant::now() >= deadline {
                    break;
                }
                // Answer first (that gives a baton), then ask while a baton is held.
                let can_act = !inbox.is_empty() || (batons > 0 && !exhausted);
                if can_act && let Some(p) = pace.as_mut() {
                    tokio::select! {
                        _ = p.tick() => {}
                        _ = tokio::time::sleep_until(deadline.into()) => break,
                    }
                }
                if let Some(qid) = inbox.pop() {
                    let answer = json!({ "text": "Et svar fra benchmarken, tak for spørgsmålet." });
                    let path = format!("/api/me/questions/{qid}/answer");
                    let (s, body, now) =
                        timed_post(&mut http, &permits, &shared, &path, &token, &answer).await;
                    let mut sh = shared.lock().unwrap();
                    if s == 201 {
                        sh.writes += 1;
                        batons = body["batons"].as_i64().unwrap_or(batons);
                        sh.answered.insert(qid, (now, 0));
                    }
                    continue;
                }
                if batons > 0 && !exhausted {
                    let question =
                        json!({ "text": "Hvordan skaber du rum til ledelse i en travl hverdag?" });
                    let (s, body, now) = timed_post(
                        &mut http,
                        &permits,
                        &shared,
                        "/api/me/questions",
                        &token,
                        &question,
                    )
                    .await;
                    let mut sh = shared.lock().unwrap();
                    if s == 201 {
                        sh.writes += 1;
                        batons -= 1;
                        let qid = body["id"].as_i64().unwrap();
                        let rid = body["recipient"]["id"].as_i64().unwrap();
                        sh.asked.insert(qid, (now, rid, instance));
                        sh.asked_of.entry(rid).or_default().push(qid);
                    } else {
                        sh.refused += 1;
                        *sh.refusals
                            .entry(body["error"]["code"].as_str().unwrap_or("?").to_string())
                            .or_default() += 1;
                        exhausted = true;
                    }
                    continue;
                }
                // Nothing to do: wait for a push (or the end).
                let remaining = deadline.saturating_duration_since(Instant::now());
                match tokio::time::timeout(remaining, rx.recv()).await {
                    Ok(Some((now, t))) => {
                        let v: Value = serde_json::from_str(&t).unwrap();
                        let id = v["id"].as_i64().unwrap_or(0);
                        let kind = v["type"].as_str().unwrap_or("");
                        let qid = v["data"]["question_id"].as_i64().unwrap_or(0);
                        let mut sh = shared.lock().unwrap();
                        *sh.seen.entry((pid, id)).or_default() += 1;
                        match kind {
                            "question_received" => {
                                sh.pushes.entry(("question", qid, pid)).or_insert(now);
                                inbox.push(qid);
                            }
                            "answer_received" => {
                                sh.pushes.entry(("answer", qid, pid)).or_insert(now);
                            }
                            // `baton_granted` follows this driver's own answers, whose
                            // responses already carried the count; read late, it is stale.
                            "round_started" => {
                                batons = v["data"]["batons"].as_i64().unwrap_or(batons);
                                exhausted = false;
                            }
                            _ => {}
                        }
                    }
                    Ok(None) => panic!("websocket closed for {pid}"),
                    Err(_) => break,
                }
            }
            // Drain pushes still in flight: 3 s, and longer while a question asked of this
            // participant has not arrived (up to 30 s), so that a late push under load is
            // measured as late rather than counted as lost.
            let quiet_from = Instant::now() + Duration::from_secs(3);
            let give_up = Instant::now() + Duration::from_secs(30);
            loop {
                let until = if shared.lock().unwrap().awaits(pid) {
                    give_up
                } else {
                    quiet_from
                };
                let (now, t) = match tokio::time::timeout(
                    until.saturating_duration_since(Instant::now()),
                    rx.recv(),
                )
                .await
                {
                    Ok(Some(m)) => m,
                    // An ask of this participant acknowledged during the quiet wait is still due.
                    Err(_) if Instant::now() < give_up && shared.lock().unwrap().awaits(pid) => {
                        continue;
                    }
                    _ => break,
                };
                {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    let id = v["id"].as_i64().unwrap_or(0);
                    let qid = v["data"]["question_id"].as_i64().unwrap_or(0);
                    let mut sh = shared.lock().unwrap();
                    *sh.seen.entry((pid, id)).or_default() += 1;
                    match v["type"].as_str() {
                        Some("question_received") => {
                            sh.pushes.entry(("question", qid, pid)).or_insert(now);
                        }
                        Some("answer_received") => {
                            sh.pushes.entry(("answer", qid, pid)).or_insert(now);
                        }
                        _ => {}
                    }
                }
            }
            reader.abort();
            shared.lock().unwrap().stopped.insert(pid, Instant::now());
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = (deadline.min(Instant::now()) - started)
        .as_secs_f64()
        .max(0.001);
    let peaks: Vec<u64> = children.iter().map(|c| peak_rss_kb(c.id())).collect();
    for child in &mut children {
        child.kill().ok();
        child.wait().ok();
    }

    let sh = shared.lock().unwrap();
    let mut api = sh.api_ms.clone();
    api.sort_by(|a, b| a.partial_cmp(b).unwrap());
    // Pushes by whether the ask went to the instance holding the recipient's websocket.
    let mut push_ms = [Vec::new(), Vec::new()];
    let mut lost = [0, 0];
    // Asks acknowledged only after their recipient's socket had stopped being read (a request
    // in flight at the end that took longer than the drain): their push was not watched for.
    let mut unwatched = 0;
    for (qid, (ack, rid, instance)) in &sh.asked {
        let cross = usize::from(home[rid] != *instance);
        match sh.pushes.get(&("question", *qid, *rid)) {
            Some(t) => {
                push_ms[cross].push(t.saturating_duration_since(*ack).as_secs_f64() * 1000.0)
            }
            None if sh.stopped.get(rid).is_some_and(|stop| stop <= ack) => unwatched += 1,
            None => lost[cross] += 1,
        }
    }
    for p in &mut push_ms {
        p.sort_by(|a, b| a.partial_cmp(b).unwrap());
    }
    let duplicates = sh.seen.values().filter(|c| **c > 1).count();
    let writes_per_s = sh.writes as f64 / elapsed;
    println!(
        "acknowledged writes: {} in {elapsed:.1} s = {writes_per_s:.0}/s (asks {}, answers {}, refused asks {})",
        sh.writes,
        sh.asked.len(),
        sh.answered.len(),
        sh.refused
    );
    println!("refusals by code: {:?}", sh.refusals);
    println!(
        "ratio to the baseline ({baseline_name}): {:.2}x",
        writes_per_s / baseline
    );
    println!(
        "API latency ms: p50 {:.2} p99 {:.2} max {:.2} (n={})",
        percentile(&api, 0.5),
        percentile(&api, 0.99),
        api.last().copied().unwrap_or(f64::NAN),
        api.len()
    );
    for (cross, what) in [(0, "same instance"), (1, "cross-instance")] {
        if instances == 1 && cross == 1 {
            continue;
        }
        let p = &push_ms[cross];
        println!(
            "push latency ms (ask acknowledged -> recipient receives){}: p50 {:.2} p99 {:.2} max {:.2} (n={}, lost {})",
            if instances > 1 {
                format!(", {what}")
            } else {
                String::new()
            },
            percentile(p, 0.5),
            percentile(p, 0.99),
            p.last().copied().unwrap_or(f64::NAN),
            p.len(),
            lost[cross]
        );
    }
    println!(
        "pushes lost: {}, duplicated: {duplicates}; not watched for (asked of a socket no longer \
         read): {unwatched}",
        lost[0] + lost[1]
    );
    println!(
        "server peak RSS {:?} KB; per connected participant {:.1} KB ((connected - idle) / n)",
        peaks,
        (connected_rss.saturating_sub(idle_rss)) as f64 / n as f64
    );
    drop(sh);
    // The databases go after the servers that use them.
    drop(store);
}
