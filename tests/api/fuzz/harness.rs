//! The fuzz harness: runs a target's cases for a number of cases or of minutes, sends each
//! request byte for byte over a plain TCP socket (so no client library tidies the input), and
//! checks what comes back: an answer at all, never a 5xx, a JSON error for every refusal, and a
//! database unchanged by every refused request.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// How long a target runs.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    /// This many cases (the normal test run).
    Cases(u32),
    /// Cases until this much time has passed (the long-running mode).
    Time(Duration),
}

/// What a run of one target did.
#[derive(Debug)]
pub struct Outcome {
    /// The parser fuzzed.
    pub parser: String,
    /// Cases run.
    pub cases: u64,
    /// Time spent on them (setup excluded).
    pub elapsed: Duration,
    /// The seed of the run (`FUZZ_SEED=<n>` repeats it).
    pub seed: u64,
    /// The first failure, with the smallest input proptest shrank it to.
    pub failure: Option<String>,
    /// Responses seen, by method, route and status (`POST /api/relays/{id}/open 409`).
    pub statuses: BTreeMap<String, u64>,
}

impl Outcome {
    /// Panics with the failure, if any (the normal test run).
    pub fn assert_passed(&self) {
        println!(
            "{}: {} cases in {:.1} s (seed {})",
            self.parser,
            self.cases,
            self.elapsed.as_secs_f64(),
            self.seed
        );
        if let Some(f) = &self.failure {
            panic!(
                "fuzzing {} failed (FUZZ_SEED={} repeats the run): {f}",
                self.parser, self.seed
            );
        }
    }
}

thread_local! {
    /// Responses seen by this thread's target since its run began.
    static STATUSES: RefCell<BTreeMap<String, u64>> = const { RefCell::new(BTreeMap::new()) };
}

/// Counts a response under its method, route and status: path segments that are not words of
/// a route (ids, tokens, fuzzed segments) count as `{}`.
pub fn tally(method: &str, target: &str, status: u16) {
    let path = target.split('?').next().unwrap_or("");
    let word = |seg: &str| {
        seg.len() <= 24
            && seg
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_' || b == b'.')
    };
    let route: Vec<&str> = path
        .split('/')
        .map(|seg| if word(seg) { seg } else { "{}" })
        .collect();
    count(format!("{method} {} {status}", route.join("/")));
}

/// Counts one outcome under `key`.
pub fn count(key: String) {
    STATUSES.with(|s| *s.borrow_mut().entry(key).or_default() += 1);
}

/// Cases per proptest runner in the long-running mode, between looks at the clock.
const CHUNK: u32 = 32;

/// Runs `test` on values of `strategy` within `budget`. A case fails by returning `Err`
/// (or by panicking); the first failure is shrunk to a smallest input and ends the run.
pub fn drive<S: Strategy>(
    parser: &str,
    budget: Budget,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), String>,
) -> Outcome {
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    let started = Instant::now();
    let mut outcome = Outcome {
        parser: parser.to_string(),
        cases: 0,
        elapsed: Duration::ZERO,
        seed,
        failure: None,
        statuses: BTreeMap::new(),
    };
    STATUSES.with(|s| s.borrow_mut().clear());
    let first_failure = std::cell::Cell::new(true);
    let run = |cases: u32, chunk_seed: u64| {
        let config = Config {
            cases,
            failure_persistence: None,
            rng_seed: RngSeed::Fixed(chunk_seed),
            max_shrink_iters: 512,
            // A hang costs its timeout on every shrinking step.
            max_shrink_time: 180_000,
            ..Config::default()
        };
        TestRunner::new(config).run(&strategy, |v| {
            test(v).map_err(|e| {
                // Shown at once: shrinking may take minutes.
                if first_failure.replace(false) {
                    eprintln!("{parser}: a case failed, shrinking it: {e}");
                }
                TestCaseError::fail(e)
            })
        })
    };
    let mut chunk = 0u64;
    loop {
        let cases = match budget {
            Budget::Cases(n) => n,
            Budget::Time(_) => CHUNK,
        };
        let result = run(cases, seed.wrapping_add(chunk));
        chunk += 1;
        match result {
            Ok(()) => outcome.cases += u64::from(cases),
            Err(TestError::Fail(reason, input)) => {
                outcome.failure = Some(format!("{reason}\nsmallest failing input: {input:#?}"));
                break;
            }
            Err(TestError::Abort(reason)) => {
                outcome.failure = Some(format!("aborted: {reason}"));
                break;
            }
        }
        match budget {
            Budget::Cases(_) => break,
            Budget::Time(t) if started.elapsed() >= t => break,
            Budget::Time(_) => {}
        }
    }
    outcome.elapsed = started.elapsed();
    outcome.statuses = STATUSES.with(|s| std::mem::take(&mut *s.borrow_mut()));
    outcome
}

/// An HTTP response as it came off the socket.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Reply {
    /// The first header of that (lower-case) name.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The body as JSON, or `Null`.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// Short description for failure messages.
    pub fn describe(&self) -> String {
        let body = String::from_utf8_lossy(&self.body);
        let end = body.floor_char_boundary(600.min(body.len()));
        format!(
            "{} ({}) {}",
            self.status,
            self.header("content-type"),
            &body[..end]
        )
    }
}

/// Sends one request exactly as given and reads its response. `target` is the raw request
/// target (path and query). The connection is closed after it, unless the request brings its
/// own `Connection` header (a websocket handshake: then the response ends with its head). A
/// dropped connection is an error: it is how a panicking handler shows.
pub fn request(
    addr: &str,
    method: &str,
    target: &[u8],
    headers: &[(&str, Vec<u8>)],
    body: &[u8],
) -> Result<Reply, String> {
    let mut head = Vec::with_capacity(256 + target.len());
    head.extend_from_slice(method.as_bytes());
    head.push(b' ');
    head.extend_from_slice(target);
    head.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("connection"))
    {
        head.extend_from_slice(b"Connection: close\r\n");
    }
    if method != "GET" {
        head.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    for (k, v) in headers {
        head.extend_from_slice(k.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(v);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    std::thread::scope(|s| {
        // The server may answer (413, 415, 401) before it has read a large body: write and
        // read at once, and let a refused remainder go.
        s.spawn(move || {
            let _ = writer
                .write_all(&head)
                .and_then(|()| writer.write_all(body));
        });
        let reply = read_reply(&mut stream);
        // Done: stop a writer the server no longer reads from.
        let _ = stream.shutdown(std::net::Shutdown::Both);
        reply
    })
}

/// Reads one response: up to the end its `Content-Length` or chunking gives, else to EOF.
/// (Waiting for EOF after a complete response would wait on the server's linger timer.)
fn read_reply(stream: &mut TcpStream) -> Result<Reply, String> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            // A signal (a debugger attaching) is no answer from the server.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if raw.is_empty() => return Err(format!("no response: {e}")),
            Err(_) => break,
        }
        if let Ok(reply) = parse_reply(&raw)
            && complete(&reply, &raw)
        {
            return Ok(reply);
        }
    }
    parse_reply(&raw)
}

/// Whether `reply`, parsed from `raw`, is all there.
fn complete(reply: &Reply, raw: &[u8]) -> bool {
    if reply.status == 101
        || reply
            .header("transfer-encoding")
            .eq_ignore_ascii_case("chunked")
    {
        // A chunked body parses only once its last chunk is in.
        return true;
    }
    let head = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
    match reply.header("content-length").parse::<usize>() {
        Ok(n) => raw.len() >= head + n,
        Err(_) => false,
    }
}

fn parse_reply(raw: &[u8]) -> Result<Reply, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no complete response head in {} bytes", raw.len()))?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked && status != 101 {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(Reply {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk size line without its end (the body was cut off)")?;
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err("a chunk cut off (the body ended early)".into());
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Whether `code` looks like the API's stable error codes (`snake_case`).
fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks the shape every API response must have. Returns whether the request was accepted
/// (2xx); a refusal must be a 4xx with `{"error": {"code", "message"}}` as JSON.
pub fn check_api(reply: &Reply) -> Result<bool, String> {
    match reply.status {
        200..=299 => Ok(true),
        400..=499 => {
            check_error_body(reply)?;
            Ok(false)
        }
        _ => Err(format!("unexpected status: {}", reply.describe())),
    }
}

/// The JSON error shape of a refusal.
pub fn check_error_body(reply: &Reply) -> Result<(), String> {
    if !reply.header("content-type").starts_with("application/json") {
        return Err(format!("a refusal that is not JSON: {}", reply.describe()));
    }
    let body = reply.json();
    let code = body["error"]["code"].as_str().unwrap_or("");
    let message = body["error"]["message"].as_str().unwrap_or("");
    if !is_code(code) || message.trim().is_empty() {
        return Err(format!(
            "a refusal without {{error: {{code, message}}}}: {}",
            reply.describe()
        ));
    }
    Ok(())
}

/// A fingerprint of everything stored, cheap to take when nothing was written: SQLite's
/// `data_version` tells whether another connection committed since the last look, and only
/// then are all rows hashed again.
///
/// Left out: what the outbox worker changes in the background (an email's delivery columns and
/// body, and the staff feed's `email_status` events), `sqlite_sequence`, which those events
/// advance, a credential's last use, and the audit log.
pub struct DbWatch {
    conn: SqliteConnection,
    sql: String,
    version: i64,
    digest: String,
}

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

#[derive(QueryableByName)]
struct Int {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Columns written after the fact: by the outbox worker (a sent email also loses its body, the
/// `params`), and a credential's last use, kept as bookkeeping at most once a minute.
const VOLATILE: [(&str, &str); 8] = [
    ("email_outbox", "params"),
    ("credentials", "last_used_at"),
    ("email_outbox", "status"),
    ("email_outbox", "attempts"),
    ("email_outbox", "next_attempt_at"),
    ("email_outbox", "last_error"),
    ("email_outbox", "sent_at"),
    ("email_outbox", "link_token"),
];

impl DbWatch {
    /// Watches the SQLite file at `path`.
    pub fn open(path: &Path) -> Self {
        let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        diesel::sql_query("PRAGMA busy_timeout = 10000")
            .execute(&mut conn)
            .unwrap();
        let tables: Vec<Text> = diesel::sql_query(
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__diesel%' ORDER BY name",
        )
        .load(&mut conn)
        .unwrap();
        let mut parts = Vec::new();
        for Text { t: table } in tables {
            // The audit log records refused sign-ins and reads (exports) on purpose.
            if table == "audit_log" {
                continue;
            }
            let columns: Vec<Text> = diesel::sql_query(format!(
                "SELECT name AS t FROM pragma_table_info('{table}') ORDER BY cid"
            ))
            .load(&mut conn)
            .unwrap();
            let kept: Vec<String> = columns
                .into_iter()
                .map(|c| c.t)
                .filter(|c| !VOLATILE.contains(&(table.as_str(), c.as_str())))
                .collect();
            let filter = if table == "events" {
                "WHERE kind <> 'email_status'"
            } else {
                ""
            };
            parts.push(format!(
                "SELECT * FROM (SELECT '{table}' || json_array({}) AS t FROM {table} {filter} \
                 ORDER BY rowid)",
                kept.join(", ")
            ));
        }
        let mut watch = Self {
            conn,
            sql: parts.join(" UNION ALL "),
            version: -1,
            digest: String::new(),
        };
        watch.digest();
        watch
    }

    /// The fingerprint now.
    pub fn digest(&mut self) -> String {
        let version = diesel::sql_query("SELECT data_version AS n FROM pragma_data_version")
            .get_result::<Int>(&mut self.conn)
            .unwrap()
            .n;
        if version != self.version {
            let rows: Vec<Text> = diesel::sql_query(&self.sql).load(&mut self.conn).unwrap();
            let mut hash = Sha256::new();
            for r in rows {
                hash.update(r.t.as_bytes());
                hash.update(b"\n");
            }
            self.digest = format!("{:x}", hash.finalize());
            self.version = version;
        }
        self.digest.clone()
    }

    /// A count from the database (`sql` is what follows `SELECT COUNT(*) FROM`).
    pub fn count(&mut self, sql: &str) -> i64 {
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {sql}"))
            .get_result::<Int>(&mut self.conn)
            .unwrap()
            .n
    }

    /// Ids from the database (`sql` selects one integer column named `n`).
    pub fn ids(&mut self, sql: &str) -> Vec<i64> {
        diesel::sql_query(sql)
            .load::<Int>(&mut self.conn)
            .unwrap()
            .into_iter()
            .map(|r| r.n)
            .collect()
    }
}

/// Sends one API request and checks it: the response's shape, and for a refusal that the
/// database did not change. Returns the reply and whether it was accepted.
pub fn api_case(
    addr: &str,
    watch: &mut DbWatch,
    method: &str,
    target: &str,
    headers: &[(&str, Vec<u8>)],
    body: &[u8],
) -> Result<(Reply, bool), String> {
    let before = watch.digest();
    let reply = request(addr, method, target.as_bytes(), headers, body)
        .map_err(|e| format!("{method} {target}: {e}"))?;
    tally(method, target, reply.status);
    let accepted = check_api(&reply).map_err(|e| format!("{method} {target}: {e}"))?;
    if !accepted && watch.digest() != before {
        return Err(format!(
            "{method} {target}: refused ({}) but the database changed",
            reply.describe()
        ));
    }
    Ok((reply, accepted))
}
