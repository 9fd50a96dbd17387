//! Test harness: starts the real server on a random port with a temporary SQLite file (or, in
//! the suite's PostgreSQL pass, a fresh PostgreSQL database) and a manual clock, and speaks
//! HTTP to it. Emails are read back from the `.eml` folder.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};
use stafet::clock::Clock;
use stafet::config::Settings;
use stafet::db::Db;
use stafet::email::worker::{Mailer, deliver_due};
use stafet::startup::Application;
use tokio::sync::oneshot;

use super::pg;

/// A response: status, headers we care about, body as JSON (or Null) and as text.
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: Vec<(String, String)>,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the `Content-Type` starts with `prefix` (false without one).
    pub fn content_type_is(&self, prefix: &str) -> bool {
        self.header("content-type")
            .is_some_and(|c| c.starts_with(prefix))
    }

    pub fn all_headers(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The error code of a JSON error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// One email read back from the outbox folder.
#[derive(Debug, Clone)]
pub struct Email {
    pub file: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub raw: String,
}

impl Email {
    /// The magic-link secret in the email.
    pub fn link_token(&self) -> Option<String> {
        link_token(&self.text)
    }
}

/// The magic-link secret in an email's text.
pub fn link_token(text: &str) -> Option<String> {
    token_after(text, "/p/")
}

/// The secret of the first link in `text` whose path starts with `prefix` (`/p/`, `/reset/`,
/// `/invite/`): the URL-safe characters after it, empty where none follow.
pub fn token_after(text: &str, prefix: &str) -> Option<String> {
    let i = text.find(prefix)?;
    Some(
        text[i + prefix.len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect(),
    )
}

/// The cookie holding a staff user's browser session.
pub const STAFF_COOKIE: &str = "stafet_staff";
/// The cookie handing a staff session's CSRF token to the page.
pub const STAFF_CSRF_COOKIE: &str = "stafet_staff_csrf";
/// The cookie holding a participant's browser session.
pub const PARTICIPANT_COOKIE: &str = "stafet_participant";
/// The cookie handing a participant session's CSRF token to the page.
pub const PARTICIPANT_CSRF_COOKIE: &str = "stafet_participant_csrf";

/// The cookies one browser holds: every `Set-Cookie` stored under its name (a later one with
/// the same name replaces it, as a browser does), a removal forgets it.
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    cookies: Vec<(String, String)>,
}

impl CookieJar {
    /// Takes in the cookies a response sets.
    pub fn store(&mut self, res: &Res) {
        for header in res.all_headers("set-cookie") {
            let mut attrs = header.split(';').map(str::trim);
            let Some((name, value)) = attrs.next().and_then(|nv| nv.split_once('=')) else {
                continue;
            };
            let removed = value.is_empty() || attrs.any(|a| a.eq_ignore_ascii_case("max-age=0"));
            self.cookies.retain(|(n, _)| n != name);
            if !removed {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }

    /// The value of cookie `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The names held, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.cookies.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        names
    }

    /// The `Cookie` request header sending them all.
    pub fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A participant created by a fixture.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub group: String,
    pub token: String,
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub clock: Clock,
    pub mail_dir: PathBuf,
    pub db_path: PathBuf,
    /// A facilitator's API token.
    pub token: String,
    pub facilitator_email: String,
    pub facilitator_password: String,
    rt: tokio::runtime::Runtime,
    agent: ureq::Agent,
    mailer: Mailer,
    settings: Settings,
    /// This app's servers (`another_instance` adds more), stopped when it is dropped.
    servers: Mutex<Vec<RunningServer>>,
    /// The PostgreSQL database of the PostgreSQL pass, dropped with the app.
    _pg: Option<pg::FreshPg>,
    _dir: tempfile::TempDir,
}

/// A token of the right shape that was never issued: it reaches the credential lookup.
pub fn unknown_token() -> String {
    stafet::auth::tokens::compose(i64::MAX, &stafet::auth::tokens::generate())
}

/// A draft relay's body as [`TestApp::create_relay`] sends it, without settings: the valid
/// start that bad-input tests spoil one field at a time and the fuzzer varies.
pub fn relay_body() -> Value {
    json!({
        "title": "Ledelse til gavn for borgerne",
        "topic": "Offentlig ledelse",
        "purpose": "Fire dage med spørgsmål mellem topledere.\nSpørgsmålene er anonyme.",
        "language": "da",
        "timezone": "Europe/Copenhagen",
        "starts_at": t0(),
    })
}

/// The instant test relays start from.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap()
}

pub fn spawn_app() -> TestApp {
    spawn_app_with(|_| {})
}

pub fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::load().unwrap();
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.public_url = "http://stafet.test".into();
    // The one place the suite's backend is chosen: the PostgreSQL pass gives each app a fresh
    // database. Tests that hand `db_path` to the CLI's `--db` then hand it the URL.
    let fresh_pg = pg::postgres_pass().then(pg::FreshPg::create);
    settings.database.url = match &fresh_pg {
        Some(db) => db.url(),
        None => dir.path().join("test.sqlite").to_str().unwrap().into(),
    };
    settings.email.mail_dir = dir.path().join("mail");
    // The tests drive the clock and the scheduler themselves.
    settings.scheduler.tick_ms = 3_600_000;
    settings.rate_limit.login_per_minute = 1000;
    settings.rate_limit.link_per_minute = 1000;
    // Every email carries a fresh link that supersedes the older ones a day later; the tests
    // that run a relay over days keep the first link they read (tests/api/auth/credentials.rs sets the
    // shipped grace period and tests supersession).
    settings.links.grace_hours = 24 * 365;
    tweak(&mut settings);
    let clock = Clock::manual(t0() - Duration::days(1));
    let (port, db, server) = start_server(&settings, &clock);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .build()
        .into();
    let mailer = Mailer::new(
        &settings.email.from,
        &settings.email.mail_dir,
        "http://stafet.test",
    )
    .unwrap();
    let facilitator_email = "fac@example.dk".to_string();
    let (password, hash) = stafet::ops::staff::new_password().unwrap();
    let (e, pw) = (facilitator_email.clone(), password.clone());
    let now = clock.now();
    let account = rt
        .block_on(db.write(move |conn| {
            stafet::ops::staff::add_user(conn, &e, "facilitator", None, &hash, pw.clone(), now)
        }))
        .unwrap();
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        db,
        clock,
        mail_dir: settings.email.mail_dir.clone(),
        db_path: PathBuf::from(&settings.database.url),
        token: account.token,
        facilitator_email,
        facilitator_password: password,
        rt,
        agent,
        mailer,
        settings,
        servers: Mutex::new(vec![server]),
        _pg: fresh_pg,
        _dir: dir,
    }
}

/// A server on a thread of its own, stopped when this is dropped. Every test shares one
/// process, where a server left running would keep its threads and its jobs' timers until the
/// suite ends. It winds down in the background: waiting for each one (a runtime's shutdown
/// waits for its blocking tasks) made the suite slower than leaving them all running.
struct RunningServer {
    _stop: oneshot::Sender<()>,
}

/// Starts a server with `settings` and `clock` on a thread of its own; returns its port,
/// database handle and the server, which runs until dropped.
fn start_server(settings: &Settings, clock: &Clock) -> (u16, Db, RunningServer) {
    let (tx, rx) = mpsc::channel();
    let (stop, stop_rx) = oneshot::channel::<()>();
    let (s, c) = (settings.clone(), clock.clone());
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(s, c).await.expect("build app");
            tx.send((app.port(), app.db())).unwrap();
            // Dropping the application stops its workers; leaving the runtime ends its jobs.
            tokio::select! {
                _ = app.run_until_stopped() => {}
                _ = stop_rx => {}
            }
        });
    });
    let (port, db) = rx
        .recv_timeout(StdDuration::from_secs(30))
        .expect("server start");
    let server = RunningServer { _stop: stop };
    (port, db, server)
}

/// A response as the tests read it: status, headers, text and JSON (or Null).
pub fn to_res(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Res {
    let mut r = r.expect("request failed at transport level");
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Res {
        status,
        body,
        text,
        headers,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The base URL of another server on this app's database and clock (PostgreSQL takes
    /// several; a SQLite file refuses a second one). It runs until this app is dropped.
    pub fn another_instance(&self) -> String {
        let (port, _, server) = start_server(&self.settings, &self.clock);
        self.servers.lock().unwrap().push(server);
        format!("http://127.0.0.1:{port}")
    }

    /// GET with an optional bearer token.
    pub fn get(&self, path: &str, token: Option<&str>) -> Res {
        let mut req = self.agent.get(self.url(path));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        to_res(req.call())
    }

    /// Creates a staff account straight through the library; returns (password, API token).
    pub fn add_staff(&self, email: &str, role: &str) -> (String, String) {
        let (password, token, _) = self.add_staff_in(email, role, None);
        (password, token)
    }

    /// Creates a staff account in organisation `org` (none: the default); returns (password,
    /// API token, user id).
    pub fn add_staff_in(&self, email: &str, role: &str, org: Option<i64>) -> (String, String, i64) {
        let (password, hash) = stafet::ops::staff::new_password().unwrap();
        let (e, r, pw) = (email.to_string(), role.to_string(), password.clone());
        let now = self.clock.now();
        let account = self
            .rt
            .block_on(self.db.write(move |conn| {
                stafet::ops::staff::add_user(conn, &e, &r, org, &hash, pw.clone(), now)
            }))
            .unwrap();
        (password, account.token, account.user.id)
    }

    /// Creates an organisation (as `stafet org add` does); returns its id.
    pub fn add_org(&self, name: &str) -> i64 {
        let (n, now) = (name.to_string(), self.clock.now());
        self.rt
            .block_on(
                self.db
                    .write(move |conn| stafet::ops::orgs::add(conn, &n, now)),
            )
            .unwrap()
            .id
    }

    /// Grants the analyst with this email the relay, as the test facilitator, over HTTP.
    pub fn grant(&self, relay: i64, analyst_email: &str) {
        let e = analyst_email.to_string();
        let user = self
            .rt
            .block_on(self.db.read(move |conn| {
                Ok(stafet::db::staff::StaffUserRow::by_email(conn, &e)?.expect("no such staff"))
            }))
            .unwrap();
        let res = self.post(
            &format!("/api/relays/{relay}/analysts"),
            Some(&self.token),
            &json!({ "user_id": user.id }),
        );
        assert_eq!(res.status, 200, "{}", res.text);
    }

    /// A connection of its own to the app's database, as another process would open one (a
    /// SQLite connection waits up to 10 s for the server's locks).
    pub fn connect(&self) -> stafet::db::DbConn {
        use diesel::connection::SimpleConnection;
        use diesel::prelude::*;
        use stafet::db::{DbConn, Target};
        match Target::parse(&self.settings.database.url).unwrap() {
            Target::Postgres(url) => DbConn::Pg(PgConnection::establish(&url).unwrap()),
            Target::Sqlite(path) => {
                let mut conn =
                    DbConn::Sqlite(SqliteConnection::establish(path.to_str().unwrap()).unwrap());
                conn.batch_execute("PRAGMA busy_timeout = 10000").unwrap();
                conn
            }
        }
    }

    /// Runs `f` as a write on the app's own database (whichever backend) and returns its value.
    pub fn write<T: Send + 'static>(
        &self,
        f: impl FnMut(&mut stafet::db::DbConn) -> Result<T, stafet::error::AppError> + Send + 'static,
    ) -> T {
        self.rt.block_on(self.db.write(f)).unwrap()
    }

    /// Runs `f` on a connection of the app's database and returns what it read.
    pub fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut stafet::db::DbConn) -> Result<T, stafet::error::AppError> + Send + 'static,
    ) -> T {
        self.rt.block_on(self.db.read(f)).unwrap()
    }

    /// GET with a bearer token, the body as bytes (for binary downloads).
    pub fn get_bytes(&self, path: &str, token: &str) -> (u16, Vec<u8>) {
        let mut r = self
            .agent
            .get(self.url(path))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("request failed at transport level");
        let status = r.status().as_u16();
        let bytes = r
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .unwrap();
        (status, bytes)
    }

    /// GET with extra headers (cookies).
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Res {
        let mut req = self.agent.get(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        to_res(req.call())
    }

    /// A JSON request with extra headers (cookies, CSRF, Origin) and no bearer token.
    pub fn send_json_with(
        &self,
        method: &str,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Res {
        self.send_raw(
            method,
            path,
            None,
            "application/json",
            body.to_string().as_bytes(),
            headers,
        )
    }

    /// A request with a JSON body.
    pub fn send(&self, method: &str, path: &str, token: Option<&str>, body: &Value) -> Res {
        self.send_raw(
            method,
            path,
            token,
            "application/json",
            body.to_string().as_bytes(),
            &[],
        )
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Res {
        self.send("POST", path, token, body)
    }

    pub fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Res {
        self.send("PATCH", path, token, body)
    }

    /// Any request with a raw body, content type and extra headers.
    pub fn send_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Res {
        let url = self.url(path);
        let mut req = match method {
            "POST" => self.agent.post(&url),
            "PATCH" => self.agent.patch(&url),
            "PUT" => self.agent.put(&url),
            "DELETE" => self.agent.delete(&url).force_send_body(),
            other => panic!("method {other}"),
        };
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if !content_type.is_empty() {
            req = req.content_type(content_type);
        }
        to_res(req.send(body))
    }

    /// DELETE with a bearer token.
    pub fn delete(&self, path: &str, token: Option<&str>) -> Res {
        let mut req = self.agent.delete(self.url(path));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        to_res(req.call())
    }

    /// Runs one scheduler pass now.
    pub fn tick(&self) {
        self.rt
            .block_on(stafet::jobs::tick_once(&self.db, &self.clock))
            .unwrap();
    }

    /// Moves the clock and runs the scheduler.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.tick();
    }

    /// Delivers every queued email now and returns all emails written so far, oldest first.
    pub fn emails(&self) -> Vec<Email> {
        self.rt
            .block_on(deliver_due(&self.db, &self.clock, &self.mailer))
            .unwrap();
        // The server's own worker may hold some emails (leased while it writes them): wait.
        let deadline = std::time::Instant::now() + StdDuration::from_secs(10);
        while self.count("email_outbox WHERE status = 'queued'") > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "emails still queued after 10 s"
            );
            std::thread::sleep(StdDuration::from_millis(10));
        }
        let mut files: Vec<_> = std::fs::read_dir(&self.mail_dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let raw = std::fs::read(&p).unwrap();
                let msg = mail_parser::MessageParser::default().parse(&raw).unwrap();
                Email {
                    file: p.file_name().unwrap().to_string_lossy().into_owned(),
                    to: msg
                        .to()
                        .and_then(|a| a.first())
                        .and_then(|a| a.address())
                        .unwrap_or("")
                        .to_string(),
                    subject: msg.subject().unwrap_or("").to_string(),
                    text: msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
                    html: msg.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
                    raw: String::from_utf8_lossy(&raw).into_owned(),
                }
            })
            .collect()
    }

    /// Emails to one address.
    pub fn emails_to(&self, address: &str) -> Vec<Email> {
        self.emails()
            .into_iter()
            .filter(|e| e.to == address)
            .collect()
    }

    /// Creates a draft relay starting at [`t0`]; `settings` are merged into the request.
    pub fn create_relay(&self, settings: Value) -> i64 {
        let res = self.post("/api/relays", Some(&self.token), &{
            let mut body = relay_body();
            body["settings"] = settings;
            body
        });
        assert_eq!(res.status, 201, "{}", res.text);
        res.body["id"].as_i64().unwrap()
    }

    /// Imports `n` participants alternating between two groups.
    pub fn import_people(&self, relay: i64, n: usize) -> Vec<Person> {
        let rows: Vec<Value> = (0..n)
            .map(|i| {
                json!({
                    "name": format!("Deltager Nr{i}"),
                    "email": format!("p{i}@kommune{i}.dk"),
                    "group": if i % 2 == 0 { "Kommune" } else { "Stat" },
                    "title": "Direktør",
                    "organisation": format!("Organisation {i}"),
                })
            })
            .collect();
        self.import_rows(relay, rows)
    }

    /// Imports `rows` (`{name, email, group, ...}`); returns every participant of the relay.
    pub fn import_rows(&self, relay: i64, rows: Vec<Value>) -> Vec<Person> {
        let res = self.post(
            &format!("/api/relays/{relay}/participants"),
            Some(&self.token),
            &json!(rows),
        );
        assert_eq!(res.status, 200, "{}", res.text);
        self.participants_as(relay, &self.token)
    }

    /// The relay's participants as `token` lists them, their tokens left empty.
    pub fn participants_as(&self, relay: i64, token: &str) -> Vec<Person> {
        let list = self.get(&format!("/api/relays/{relay}/participants"), Some(token));
        list.body
            .as_array()
            .unwrap()
            .iter()
            .map(|p| Person {
                id: p["id"].as_i64().unwrap(),
                name: p["name"].as_str().unwrap().into(),
                email: p["email"].as_str().unwrap().into(),
                group: p["group"].as_str().unwrap().into(),
                token: String::new(),
            })
            .collect()
    }

    /// Fills in each person's token from the latest email with a link.
    pub fn read_links(&self, people: &mut [Person]) {
        let emails = self.emails();
        for p in people.iter_mut() {
            let last = emails
                .iter()
                .rev()
                .find(|e| e.to == p.email && e.link_token().is_some())
                .unwrap_or_else(|| panic!("no email with a link to {}", p.email));
            p.token = last.link_token().unwrap();
        }
    }

    /// A relay with `n` participants, opened now, tokens read from the opening emails.
    pub fn open_relay(&self, n: usize, settings: Value) -> (i64, Vec<Person>) {
        let relay = self.create_relay(settings);
        let mut people = self.import_people(relay, n);
        self.open(relay, &mut people);
        (relay, people)
    }

    /// Opens relay `relay` now and fills in its `people`'s tokens from the opening emails.
    pub fn open(&self, relay: i64, people: &mut [Person]) {
        let res = self.post(
            &format!("/api/relays/{relay}/open"),
            Some(&self.token),
            &json!({}),
        );
        assert_eq!(res.status, 200, "{}", res.text);
        self.read_links(people);
    }

    /// Closes relay `relay` as the facilitator.
    pub fn close_relay(&self, relay: i64) {
        let res = self.post(
            &format!("/api/relays/{relay}/close"),
            Some(&self.token),
            &json!({}),
        );
        assert_eq!(res.status, 200, "{}", res.text);
    }

    /// Counts rows of a table as stored (to prove nothing changed), on a connection of the
    /// app's own database, whichever backend it is.
    pub fn count(&self, table: &str) -> i64 {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        self.rt
            .block_on(
                self.db
                    .read(move |conn| Ok(diesel::sql_query(sql).get_result::<N>(conn)?.n)),
            )
            .unwrap()
    }

    /// Fails unless the participants' inbox and received counters match the deliveries.
    pub fn assert_counters_consistent(&self) {
        let drift = self.count(
            "participants p WHERE p.inbox_count != (SELECT COUNT(*) FROM questions q \
             WHERE q.recipient_id = p.id AND q.status = 'pending') \
             OR p.received_count != (SELECT COUNT(*) FROM deliveries d WHERE d.recipient_id = p.id)",
        );
        assert_eq!(drift, 0, "participant counters drifted from the deliveries");
    }

    /// A fingerprint of every table's row count. The outbox worker's `email_status` events are
    /// left out: it writes them in the background, whenever its pass after a request runs.
    pub fn snapshot(&self) -> Vec<(String, i64)> {
        [
            "relays",
            "rounds",
            "groups",
            "participants",
            "credentials",
            "questions",
            "deliveries",
            "answers",
            "events WHERE kind <> 'email_status'",
            "email_outbox",
            "staff_users",
        ]
        .iter()
        .map(|t| (t.to_string(), self.count(t)))
        .collect()
    }
}

/// Runs `<bin> user add` on the database at `db` with no `STAFET…` variables of this process;
/// returns the (password, token) it prints.
pub fn cli_user_add(bin: &Path, db: &Path, email: &str, role: &str) -> (String, String) {
    let mut cmd = std::process::Command::new(bin);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("STAFET") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .args(["user", "add", "--email", email, "--role", role, "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {stdout:?}"))
            .to_string()
    };
    (line("password: "), line("token: "))
}
