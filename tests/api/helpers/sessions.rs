//! What the security tests share: signing in by cookie and by token, cookie requests with and\nwithout the CSRF header, redeeming links, asking, and reading the database's strings and\nnumbers straight.

use std::path::Path;
use std::process::Command;
use std::time::{Duration as StdDuration, Instant};

use serde_json::{Value, json};

use crate::helpers::binary;
use crate::helpers::refusals::Refused;
use crate::helpers::{Res, STAFF_COOKIE, TestApp, t0};

/// The row counts once the background email worker has nothing left to do, so a later
/// comparison sees only what the requests in between changed.
pub fn settled_snapshot(app: &TestApp) -> Vec<(String, i64)> {
    let deadline = Instant::now() + StdDuration::from_secs(5);
    let mut last = app.snapshot();
    loop {
        app.emails();
        std::thread::sleep(StdDuration::from_millis(50));
        let now = app.snapshot();
        let queued = ints(
            app,
            "SELECT COUNT(*) AS n FROM email_outbox WHERE status = 'queued'",
        )[0];
        if (now == last && queued == 0) || Instant::now() > deadline {
            return now;
        }
        last = now;
    }
}

/// The full `Set-Cookie` header that sets `name`.
pub fn set_cookie<'a>(res: &'a Res, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}=");
    res.all_headers("set-cookie")
        .into_iter()
        .find(|h| h.starts_with(&prefix))
}

/// The value a `Set-Cookie` header gives `name`.
pub fn cookie_value(res: &Res, name: &str) -> Option<String> {
    let header = set_cookie(res, name)?;
    let value = header[name.len() + 1..].split(';').next().unwrap_or("");
    Some(value.to_string())
}

/// The `Cookie` header of one session cookie.
pub fn session_header(cookie: &str, secret: &str) -> String {
    format!("{cookie}={secret}")
}

/// The row sent in the session `cookie` = `secret`, with the CSRF header if `csrf` is given.
pub fn in_session(row: Refused, cookie: &str, secret: &str, csrf: Option<&str>) -> Refused {
    let row = row.with_header("Cookie", session_header(cookie, secret));
    match csrf {
        Some(token) => row.with_header("X-CSRF-Token", token),
        None => row,
    }
}

/// `POST /api/auth/login` with this email and password, whatever the answer.
pub fn try_login(app: &TestApp, email: &str, password: &str) -> Res {
    app.post(
        "/api/auth/login",
        None,
        &json!({ "email": email, "password": password }),
    )
}

/// Logs in; returns (session secret, csrf token).
pub fn login(app: &TestApp, email: &str, password: &str) -> (String, String) {
    let res = try_login(app, email, password);
    assert_eq!(res.status, 200, "{}", res.text);
    let secret = cookie_value(&res, STAFF_COOKIE).expect("session cookie");
    let csrf = res.body["csrf_token"]
        .as_str()
        .expect("csrf_token")
        .to_string();
    (secret, csrf)
}

/// A JSON request authenticated by the session cookie `cookie`, with an optional CSRF header;
/// a GET goes as [`cookie_get_in`], without the body and the header.
pub fn cookie_send_in(
    app: &TestApp,
    cookie: &str,
    method: &str,
    path: &str,
    secret: &str,
    csrf: Option<&str>,
    body: &Value,
) -> Res {
    if method == "GET" {
        return cookie_get_in(app, cookie, path, secret);
    }
    let cookie = session_header(cookie, secret);
    let mut headers: Vec<(&str, &str)> = vec![("Cookie", cookie.as_str())];
    if let Some(c) = csrf {
        headers.push(("X-CSRF-Token", c));
    }
    app.send_json_with(method, path, body, &headers)
}

/// A GET authenticated by the session cookie `cookie`.
pub fn cookie_get_in(app: &TestApp, cookie: &str, path: &str, secret: &str) -> Res {
    let cookie = session_header(cookie, secret);
    app.get_with(path, &[("Cookie", cookie.as_str())])
}

/// POST /p/{token} the way the Continue button does.
pub fn redeem(app: &TestApp, token: &str) -> Res {
    redeem_with(app, token, &[])
}

/// A relay's body with this title, the rest as `create_relay` sends it.
pub fn relay_body(title: &str) -> Value {
    json!({
        "title": title,
        "topic": "Offentlig ledelse",
        "purpose": "Spørgsmål mellem topledere.",
        "language": "da",
        "timezone": "Europe/Copenhagen",
        "starts_at": t0(),
    })
}

/// Asks a question as `token`; returns (question id, recipient id).
pub fn ask(app: &TestApp, token: &str, text: &str) -> (i64, i64) {
    let res = app.post("/api/me/questions", Some(token), &json!({ "text": text }));
    assert_eq!(res.status, 201, "{}", res.text);
    (
        res.body["id"].as_i64().unwrap(),
        res.body["recipient"]["id"].as_i64().unwrap(),
    )
}

/// One integer column of a query.
pub fn ints(app: &TestApp, sql: &str) -> Vec<i64> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.connect();
    diesel::sql_query(sql)
        .load::<N>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| r.n)
        .collect()
}

/// Runs `stafet user add`; returns (exit ok, stdout, stderr).
pub fn cli_user_add(db: &Path, email: &str, role: &str) -> (bool, String, String) {
    let out = Command::new(binary::bin())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "info")
        .args(["user", "add", "--email", email, "--role", role, "--db"])
        .arg(db)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Parses the two lines `password: …` and `token: …`, insisting there is nothing else.
pub fn parse_user_add(stdout: &str) -> (String, String) {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "exactly two lines: {stdout:?}");
    let password = lines[0]
        .strip_prefix("password: ")
        .unwrap_or_else(|| panic!("first line is the password: {stdout:?}"));
    let token = lines[1]
        .strip_prefix("token: ")
        .unwrap_or_else(|| panic!("second line is the token: {stdout:?}"));
    assert!(!password.trim().is_empty() && password == password.trim());
    assert!(!token.trim().is_empty() && token == token.trim());
    (password.to_string(), token.to_string())
}

/// Asserts the four security headers every response must carry.
pub fn assert_security_headers(what: &str, res: &Res) {
    let csp = res
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
    assert!(csp.contains("default-src"), "{what}: {csp}");
    assert_eq!(
        res.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(res.header("referrer-policy"), Some("no-referrer"), "{what}");
    assert_eq!(res.header("x-frame-options"), Some("DENY"), "{what}");
}

/// Text that must never reach a user from an error page.
pub fn assert_no_internals(what: &str, text: &str) {
    for needle in [
        "panicked",
        "stack backtrace",
        "RUST_BACKTRACE",
        "src/",
        ".rs:",
    ] {
        assert!(!text.contains(needle), "{what} leaks {needle:?}: {text}");
    }
}

/// What a page on another site makes a browser send with its POST: that site's `Origin` (or
/// `null` from a sandboxed frame or a redirect), or the browser's own `Sec-Fetch-Site` verdict.
pub const CROSS_SITE: [(&str, &str); 4] = [
    ("Origin", "https://evil.example"),
    ("Origin", "null"),
    ("Sec-Fetch-Site", "cross-site"),
    ("Sec-Fetch-Site", "same-site"),
];

/// POST /p/{token} with extra headers, as a browser's form submission.
pub fn redeem_with(app: &TestApp, token: &str, headers: &[(&str, &str)]) -> Res {
    app.send_raw(
        "POST",
        &format!("/p/{token}"),
        None,
        "application/x-www-form-urlencoded",
        b"",
        headers,
    )
}

/// The credentials' row count in a snapshot.
pub fn before_credentials(snapshot: &[(String, i64)]) -> i64 {
    snapshot
        .iter()
        .find(|(t, _)| t == "credentials")
        .map(|(_, n)| *n)
        .unwrap()
}
