//! Helpers for tests that run the real `stafet` binary as a child process: the server with its
//! output in files, the CLI, and plain HTTP to it.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `stafet` binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_stafet")
}

/// The binary with the settings every test wants: run from the crate, logs at `info`.
pub fn stafet() -> Command {
    let mut cmd = Command::new(bin());
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "info")
        .env_remove("STAFET__SERVER__PUBLIC_URL")
        .stdin(Stdio::null());
    cmd
}

/// Runs `stafet user add` for a facilitator; returns the API token.
pub fn add_facilitator(db: &Path, email: &str) -> String {
    let out = run(stafet()
        .args([
            "user",
            "add",
            "--email",
            email,
            "--role",
            "facilitator",
            "--db",
        ])
        .arg(db));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    token_line(&String::from_utf8_lossy(&out.stdout))
}

/// The API token in a `stafet user add` output's line `token: …`.
pub fn token_line(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .expect("a token line")
        .to_string()
}

/// Runs a command to its end.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the command runs")
}

/// A child process that is killed when dropped, so a failing test leaves nothing behind.
pub struct Server {
    pub child: Child,
    pub http: Http,
}

impl Server {
    /// Starts `stafet serve` on a free port with the database `db`, mail in `mail`, standard
    /// output and error into the files `out` and `err`; returns once it answers.
    pub fn start(db: &Path, mail: &Path, out: &Path, err: &Path, token: &str) -> Self {
        let port = free_port();
        let child = serve_on(port, db.as_os_str())
            .arg("--mail-dir")
            .arg(mail)
            .stdout(std::fs::File::create(out).unwrap())
            .stderr(std::fs::File::create(err).unwrap())
            .spawn()
            .unwrap();
        Self::answering(child, port, token)
    }

    /// The server `child` started on `port`, once it answers `token`'s requests.
    fn answering(child: Child, port: u16, token: &str) -> Self {
        let server = Self {
            child,
            http: Http::new(format!("http://127.0.0.1:{port}")),
        };
        wait_for("the server to answer", || {
            server
                .http
                .send("GET", "/api/relays", Some(token), None)
                .filter(|(s, _)| *s == 200)
        });
        server
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Sends SIGTERM and waits (a minute at most) for the process to end; returns whether it
    /// ended by itself with success.
    pub fn terminate(&mut self) -> bool {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        let status = wait_for("the server to stop", || self.child.try_wait().unwrap());
        status.success()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `stafet serve --bind 127.0.0.1:{port} --db {db}`.
fn serve_on(port: u16, db: &std::ffi::OsStr) -> Command {
    let mut cmd = stafet();
    cmd.arg("serve")
        .arg("--bind")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--db")
        .arg(db);
    cmd
}

/// `stafet serve` on the PostgreSQL database `db_url`, on a free port, with its scheduler
/// ticking every 200 ms, email to the SMTP sink on `smtp_port`, its log in `log`; returns once
/// it answers `token`'s requests.
pub fn serve_pg(db_url: &str, smtp_port: u16, log: &Path, token: &str) -> Server {
    let port = free_port();
    let child = serve_on(port, db_url.as_ref())
        .env("STAFET__EMAIL__SMTP__HOST", "127.0.0.1")
        .env("STAFET__EMAIL__SMTP__PORT", smtp_port.to_string())
        .env("STAFET__EMAIL__SMTP__TLS", "none")
        .env("STAFET__SCHEDULER__TICK_MS", "200")
        .env("NO_COLOR", "1")
        .stdout(Stdio::from(std::fs::File::create(log).unwrap()))
        .stderr(Stdio::from(
            std::fs::OpenOptions::new().append(true).open(log).unwrap(),
        ))
        .spawn()
        .unwrap();
    Server::answering(child, port, token)
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Plain HTTP to a server on a port.
pub struct Http {
    pub base: String,
    agent: ureq::Agent,
}

impl Http {
    pub fn new(base: String) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Self { base, agent }
    }

    /// GET or POST (JSON); `None` when the request failed at transport level.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Option<(u16, String)> {
        let url = format!("{}{path}", self.base);
        let auth = token.map(|t| format!("Bearer {t}"));
        let result = match method {
            "GET" => {
                let mut req = self.agent.get(&url);
                if let Some(a) = &auth {
                    req = req.header("Authorization", a);
                }
                req.call()
            }
            _ => {
                let mut req = self.agent.post(&url);
                if let Some(a) = &auth {
                    req = req.header("Authorization", a);
                }
                let bytes = body.map(|b| b.to_string()).unwrap_or_default();
                req.content_type("application/json").send(bytes.as_bytes())
            }
        };
        let mut res = result.ok()?;
        let status = res.status().as_u16();
        let text = res.body_mut().read_to_string().unwrap_or_default();
        Some((status, text))
    }
}

/// Polls `f` every 50 ms until it gives a value; fails after a minute.
pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs the `stafet` binary with `args` and `--db` on `app`'s database (the SQLite file, or the
/// PostgreSQL URL of the PostgreSQL pass): whether it succeeded, stdout, stderr.
pub fn cli(app: &super::TestApp, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stafet"))
        .args(args)
        .arg("--db")
        .arg(&app.db_path)
        .env_remove("STAFET__DATABASE__URL")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
