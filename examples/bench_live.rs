//! Live-delivery benchmark (issue 3): starts `stafet serve` as a child process on a fresh
//! SQLite file, connects N participants over websockets across several relays, drives asks and
//! answers through the HTTP API as fast as the server takes them, checks that every push
//! arrives exactly once, and prints throughput, latencies and the server's peak memory. In the
//! same run it measures the baseline: raw SQLite inserts, one per transaction, with the same
//! journal and `synchronous` settings.
//!
//! Run: `cargo build --release && cargo run --release --example bench_live -- [participants] [relays] [seconds] [rate] [in_flight]`
//! (defaults 1000 10 20 0 0). Set STAFET_SYNC=NORMAL to compare with synchronous=NORMAL, and
//! STAFET_BIN to run another build of the server.
//!
//! With `rate` 0 every participant acts as soon as its last request is answered. Alone, that
//! keeps one request in flight per participant (1,000 closed-loop clients): it measures
//! throughput, and latency there is mostly queueing (Little's law: about 1,000 / throughput).
//! `in_flight` caps the requests in flight across all participants (all stay connected), which
//! measures latency at the throughput that many concurrent requests reach. With a rate
//! (writes/s offered by all participants together) each participant acts on its own schedule,
//! one action every `participants / rate` seconds, which measures latency at that load.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
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

fn start_server(bin: &Path, dir: &Path, port: u16, sync: &str) -> Child {
    Command::new(bin)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .arg("--db")
        .arg(dir.join("bench.sqlite"))
        .arg("--mail-dir")
        .arg(dir.join("mail"))
        .env("STAFET__DATABASE__SYNCHRONOUS", sync)
        .env("STAFET__RATE_LIMIT__LINK_PER_MINUTE", "1000000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start stafet serve")
}

/// Link secrets from the opening emails, by recipient address.
fn tokens_from_mail(dir: &Path) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
        // Undo quoted-printable soft line breaks; secrets contain no '='.
        let text = raw.replace("=\r\n", "").replace("=\n", "");
        let to = text
            .lines()
            .find_map(|l| l.strip_prefix("To: "))
            .map(|s| s.trim().to_string());
        let token = text.find("/p/").map(|i| {
            text[i + 3..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect::<String>()
        });
        if let (Some(to), Some(token)) = (to, token) {
            out.insert(to, token);
        }
    }
    out
}

#[derive(Default)]
struct Shared {
    /// question id -> (ack time, recipient)
    asked: HashMap<i64, (Instant, i64)>,
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
    let dir = tempfile::tempdir().unwrap();
    println!(
        "machine: {} cores; participants {n} in {relays} relays; {seconds} s; synchronous={sync}; {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        match (every, in_flight) {
            (Some(_), _) => format!("paced at {rate} writes/s offered"),
            (None, 0) => "as fast as the server takes them".into(),
            (None, k) =>
                format!("as fast as the server takes them, at most {k} requests in flight"),
        }
    );

    let baseline = baseline_inserts_per_sec(dir.path(), &sync, 2000);
    println!("baseline: raw SQLite inserts, one per transaction: {baseline:.0}/s");

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
        .arg(dir.path().join("bench.sqlite"))
        .output()
        .expect("stafet user add");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let staff = stdout
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .expect("token")
        .to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = start_server(&bin, dir.path(), port, &sync);
    let addr = format!("127.0.0.1:{port}");
    for _ in 0..100 {
        if TcpStream::connect(&addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let idle_rss = rss_kb(child.id());

    // Set up relays and participants.
    let mut http = Http::new(&addr);
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
    // Wait for the opening emails (the outbox worker writes them).
    let mail_dir = dir.path().join("mail");
    let tokens = loop {
        let t = tokens_from_mail(&mail_dir);
        if emails.iter().all(|e| t.contains_key(e)) {
            break t;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    // Connect every participant's websocket and learn their ids.
    let shared = Arc::new(Mutex::new(Shared::default()));
    let mut ids = Vec::new();
    for email in &emails {
        let token = tokens[email].clone();
        let (_, me) = http.request("GET", "/api/me", &token, None).await;
        ids.push((me["participant"]["id"].as_i64().unwrap(), token));
    }
    let mut sockets = Vec::new();
    for (pid, token) in &ids {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws?token={token}"))
            .await
            .expect("ws");
        sockets.push((*pid, token.clone(), ws));
    }
    let connected_rss = rss_kb(child.id());
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
        let addr = addr.clone();
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
                    let permit = permits.acquire().await.unwrap();
                    let t = Instant::now();
                    let (s, body) = http
                        .request("POST", &format!("/api/me/questions/{qid}/answer"), &token, Some(&json!({ "text": "Et svar fra benchmarken, tak for spørgsmålet." })))
                        .await;
                    let now = Instant::now();
                    drop(permit);
                    let mut sh = shared.lock().unwrap();
                    sh.api_ms.push((now - t).as_secs_f64() * 1000.0);
                    if s == 201 {
                        sh.writes += 1;
                        batons = body["batons"].as_i64().unwrap_or(batons);
                        sh.answered.insert(qid, (now, 0));
                    }
                    continue;
                }
                if batons > 0 && !exhausted {
                    let permit = permits.acquire().await.unwrap();
                    let t = Instant::now();
                    let (s, body) = http
                        .request("POST", "/api/me/questions", &token, Some(&json!({ "text": "Hvordan skaber du rum til ledelse i en travl hverdag?" })))
                        .await;
                    let now = Instant::now();
                    drop(permit);
                    let mut sh = shared.lock().unwrap();
                    sh.api_ms.push((now - t).as_secs_f64() * 1000.0);
                    if s == 201 {
                        sh.writes += 1;
                        batons -= 1;
                        let qid = body["id"].as_i64().unwrap();
                        let rid = body["recipient"]["id"].as_i64().unwrap();
                        sh.asked.insert(qid, (now, rid));
                    } else {
                        sh.refused += 1;
                        *sh.refusals.entry(body["error"]["code"].as_str().unwrap_or("?").to_string()).or_default() += 1;
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
            // Drain pushes that are still in flight.
            let drain_until = Instant::now() + Duration::from_secs(3);
            while let Ok(Some((now, t))) = tokio::time::timeout(drain_until.saturating_duration_since(Instant::now()), rx.recv()).await {
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
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = (deadline.min(Instant::now()) - started)
        .as_secs_f64()
        .max(0.001);
    let peak = peak_rss_kb(child.id());
    child.kill().ok();
    child.wait().ok();

    let sh = shared.lock().unwrap();
    let mut api = sh.api_ms.clone();
    api.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut push_ms = Vec::new();
    let mut lost = 0;
    for (qid, (ack, rid)) in &sh.asked {
        match sh.pushes.get(&("question", *qid, *rid)) {
            Some(t) => push_ms.push(t.saturating_duration_since(*ack).as_secs_f64() * 1000.0),
            None => lost += 1,
        }
    }
    push_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
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
        "ratio to raw SQLite one-insert-per-transaction: {:.2}x",
        writes_per_s / baseline
    );
    println!(
        "API latency ms: p50 {:.2} p99 {:.2} (n={})",
        percentile(&api, 0.5),
        percentile(&api, 0.99),
        api.len()
    );
    println!(
        "push latency ms (ask acknowledged -> recipient receives): p50 {:.2} p99 {:.2} (n={})",
        percentile(&push_ms, 0.5),
        percentile(&push_ms, 0.99),
        push_ms.len()
    );
    println!("pushes lost: {lost}, duplicated: {duplicates}");
    println!(
        "server peak RSS {} KB; per connected participant {:.1} KB ((connected - idle) / n)",
        peak,
        (connected_rss.saturating_sub(idle_rss)) as f64 / n as f64
    );
}
