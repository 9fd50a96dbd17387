//! Black-box security tests: login and sessions, CSRF, rate limits, roles on every route,
//! participant isolation, magic links, escaping, security headers, secrets at rest and in logs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration as StdDuration, Instant};

use binary::wait_for;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::binary;
use crate::helpers::refusals::Body::{Empty, Json, Raw};
use crate::helpers::refusals::{assert_refused, refused};
use crate::helpers::{
    CookieJar, PARTICIPANT_COOKIE, PARTICIPANT_CSRF_COOKIE, Res, STAFF_COOKIE, STAFF_CSRF_COOKIE,
    TestApp, spawn_app, spawn_app_with, t0, unknown_token,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The row counts once the background email worker has nothing left to do, so a later
/// comparison sees only what the requests in between changed.
fn settled_snapshot(app: &TestApp) -> Vec<(String, i64)> {
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
fn set_cookie<'a>(res: &'a Res, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}=");
    res.all_headers("set-cookie")
        .into_iter()
        .find(|h| h.starts_with(&prefix))
}

/// The value a `Set-Cookie` header gives `name`.
fn cookie_value(res: &Res, name: &str) -> Option<String> {
    let header = set_cookie(res, name)?;
    let value = header[name.len() + 1..].split(';').next().unwrap_or("");
    Some(value.to_string())
}

fn session_header(cookie: &str, secret: &str) -> String {
    format!("{cookie}={secret}")
}

/// Logs in; returns (session secret, csrf token).
fn login(app: &TestApp, email: &str, password: &str) -> (String, String) {
    let res = app.post(
        "/api/auth/login",
        None,
        &json!({ "email": email, "password": password }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let secret = cookie_value(&res, STAFF_COOKIE).expect("session cookie");
    let csrf = res.body["csrf_token"]
        .as_str()
        .expect("csrf_token")
        .to_string();
    (secret, csrf)
}

/// A JSON request authenticated by the session cookie `cookie`, with an optional CSRF header.
fn cookie_send_in(
    app: &TestApp,
    cookie: &str,
    method: &str,
    path: &str,
    secret: &str,
    csrf: Option<&str>,
    body: &Value,
) -> Res {
    let cookie = session_header(cookie, secret);
    let mut headers: Vec<(&str, &str)> = vec![("Cookie", cookie.as_str())];
    if let Some(c) = csrf {
        headers.push(("X-CSRF-Token", c));
    }
    app.send_raw(
        method,
        path,
        None,
        "application/json",
        body.to_string().as_bytes(),
        &headers,
    )
}

/// [`cookie_send_in`] the staff cookie.
fn cookie_send(
    app: &TestApp,
    method: &str,
    path: &str,
    secret: &str,
    csrf: Option<&str>,
    body: &Value,
) -> Res {
    cookie_send_in(app, STAFF_COOKIE, method, path, secret, csrf, body)
}

/// A GET authenticated by the session cookie `cookie`.
fn cookie_get_in(app: &TestApp, cookie: &str, path: &str, secret: &str) -> Res {
    let cookie = session_header(cookie, secret);
    app.get_with(path, &[("Cookie", cookie.as_str())])
}

/// [`cookie_get_in`] the staff cookie.
fn cookie_get(app: &TestApp, path: &str, secret: &str) -> Res {
    cookie_get_in(app, STAFF_COOKIE, path, secret)
}

/// Any route: GET without a body, other methods with a JSON body.
fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>, body: &Value) -> Res {
    match method {
        "GET" => app.get(path, token),
        m => app.send(m, path, token, body),
    }
}

/// POST /p/{token} the way the Continue button does.
fn redeem(app: &TestApp, token: &str) -> Res {
    app.send_raw(
        "POST",
        &format!("/p/{token}"),
        None,
        "application/x-www-form-urlencoded",
        b"",
        &[],
    )
}

fn relay_body(title: &str) -> Value {
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
fn ask(app: &TestApp, token: &str, text: &str) -> (i64, i64) {
    let res = app.post("/api/me/questions", Some(token), &json!({ "text": text }));
    assert_eq!(res.status, 201, "{}", res.text);
    (
        res.body["id"].as_i64().unwrap(),
        res.body["recipient"]["id"].as_i64().unwrap(),
    )
}

/// One text column of a query, read straight from the database.
fn strings(app: &TestApp, sql: &str) -> Vec<String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct S {
        #[diesel(sql_type = diesel::sql_types::Text)]
        s: String,
    }
    let mut conn = app.connect();
    diesel::sql_query(sql)
        .load::<S>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| r.s)
        .collect()
}

/// One integer column of a query.
fn ints(app: &TestApp, sql: &str) -> Vec<i64> {
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

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_stafet")
}

/// Runs `stafet user add`; returns (exit ok, stdout, stderr).
fn cli_user_add(db: &Path, email: &str, role: &str) -> (bool, String, String) {
    let out = Command::new(bin())
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
fn parse_user_add(stdout: &str) -> (String, String) {
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
fn assert_security_headers(what: &str, res: &Res) {
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
fn assert_no_internals(what: &str, text: &str) {
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

// ---------------------------------------------------------------------------------------------
// Login, sessions, secrets at rest
// ---------------------------------------------------------------------------------------------

#[test]
fn login_with_the_right_password_sets_an_httponly_strict_session_cookie() {
    let app = spawn_app();
    let res = app.post(
        "/api/auth/login",
        None,
        &json!({ "email": app.facilitator_email, "password": app.facilitator_password }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let cookie = set_cookie(&res, STAFF_COOKIE).expect("a staff session cookie");
    let attrs: Vec<String> = cookie
        .split(';')
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attrs.iter().any(|a| a == "httponly"), "{cookie}");
    assert!(attrs.iter().any(|a| a == "samesite=strict"), "{cookie}");
    assert!(attrs.iter().any(|a| a == "path=/"), "{cookie}");
    let csrf = res.body["csrf_token"].as_str().expect("csrf_token");
    assert!(!csrf.is_empty());
    assert_eq!(cookie_value(&res, STAFF_CSRF_COOKIE).as_deref(), Some(csrf));
    assert_ne!(
        cookie_value(&res, STAFF_COOKIE).unwrap(),
        csrf,
        "the CSRF token is not the session secret"
    );
    assert!(
        !res.text
            .contains(&cookie_value(&res, STAFF_COOKIE).unwrap()),
        "the session secret is only in the HttpOnly cookie, never in the body"
    );
}

#[test]
fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = spawn_app();
    let wrong = app.post(
        "/api/auth/login",
        None,
        &json!({ "email": app.facilitator_email, "password": "not-the-password-123" }),
    );
    let unknown = app.post(
        "/api/auth/login",
        None,
        &json!({ "email": "nobody@example.dk", "password": "not-the-password-123" }),
    );
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    assert_eq!(unknown.status, 401, "{}", unknown.text);
    assert_eq!(wrong.code(), "unauthorized");
    assert_eq!(wrong.text, unknown.text, "no hint which accounts exist");
    assert!(set_cookie(&wrong, STAFF_COOKIE).is_none());
    assert!(set_cookie(&unknown, STAFF_COOKIE).is_none());
    // An empty password never works.
    let empty = app.post(
        "/api/auth/login",
        None,
        &json!({ "email": app.facilitator_email, "password": "" }),
    );
    assert_eq!(empty.status, 401);
}

#[test]
fn passwords_are_stored_as_argon2id_hashes() {
    let app = spawn_app();
    let (analyst_pw, _) = app.add_staff("analyst@example.dk", "analyst");
    let hashes = strings(&app, "SELECT password_hash AS s FROM staff_users");
    assert_eq!(hashes.len(), 2);
    for h in &hashes {
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(!h.contains(&app.facilitator_password));
        assert!(!h.contains(&analyst_pw));
    }
    assert_ne!(hashes[0], hashes[1]);
}

#[test]
fn link_api_and_session_secrets_are_never_stored_in_the_clear() {
    let app = spawn_app();
    let (_, people) = app.open_relay(3, json!({}));
    let (_, admin_token) = app.add_staff("admin@example.dk", "admin");
    let (ok, out, err) = cli_user_add(&app.db_path, "cli@example.dk", "analyst");
    assert!(ok, "{err}");
    let (_, cli_token) = parse_user_add(&out);
    let (staff_session, _) = login(&app, &app.facilitator_email, &app.facilitator_password);
    let redeemed = redeem(&app, &people[0].token);
    let participant_session = cookie_value(&redeemed, PARTICIPANT_COOKIE).unwrap();
    // Every email sent so far, and its link.
    let mut secrets: Vec<String> = app.emails().iter().filter_map(|e| e.link_token()).collect();
    assert!(secrets.len() >= 3);
    secrets.extend([
        app.token.clone(),
        admin_token,
        cli_token,
        staff_session,
        participant_session,
    ]);
    let mut parts = Vec::new();
    for s in &secrets {
        let (_, secret) = stafet::auth::tokens::split(s).expect("a token we issued");
        assert_eq!(secret.len(), 43, "secrets carry 256 bits: {s}");
        parts.push(secret.to_string());
    }

    let stored = strings(&app, "SELECT token_hash AS s FROM credentials");
    assert!(stored.len() >= secrets.len());
    for s in secrets.iter().chain(&parts) {
        assert!(!stored.contains(s), "a secret is stored in the clear");
    }
    // Once an email is sent, the outbox forgets the link secret it carried.
    let kept = strings(
        &app,
        "SELECT link_token AS s FROM email_outbox WHERE link_token IS NOT NULL AND status <> 'queued'",
    );
    assert!(kept.is_empty(), "sent emails keep their link: {kept:?}");
    // No other table holds one either.
    let staff = strings(
        &app,
        "SELECT email || ' ' || password_hash AS s FROM staff_users",
    );
    for s in &secrets {
        assert!(staff.iter().all(|row| !row.contains(s.as_str())));
    }
}

#[test]
fn stafet_user_add_prints_a_password_and_a_token_that_both_work() {
    let app = spawn_app();
    let (ok, out, err) = cli_user_add(&app.db_path, "Analytiker@Example.dk", "analyst");
    assert!(ok, "stderr: {err}");
    let (password, token) = parse_user_add(&out);

    // The password logs in (the email is matched case-insensitively as stored).
    let res = app.post(
        "/api/auth/login",
        None,
        &json!({ "email": "analytiker@example.dk", "password": password }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["role"], "analyst");
    // The token works as a bearer, with the analyst's rights only.
    assert_eq!(app.get("/api/relays", Some(&token)).status, 200);
    let create = app.post(
        "/api/relays",
        Some(&token),
        &relay_body("Analytikerens stafet"),
    );
    assert_eq!(create.status, 403, "{}", create.text);
    // The password is not a bearer token, and the token is not a password.
    assert_eq!(app.get("/api/relays", Some(&password)).status, 401);
    let res = app.post(
        "/api/auth/login",
        None,
        &json!({ "email": "analytiker@example.dk", "password": token }),
    );
    assert_eq!(res.status, 401);

    // A facilitator made by the CLI may create relays.
    let (ok, out, err) = cli_user_add(&app.db_path, "fac2@example.dk", "facilitator");
    assert!(ok, "{err}");
    let (_, fac_token) = parse_user_add(&out);
    let create = app.post("/api/relays", Some(&fac_token), &relay_body("Ny stafet"));
    assert_eq!(create.status, 201, "{}", create.text);
}

#[test]
fn stafet_user_add_refuses_an_existing_email_and_prints_no_secrets() {
    let app = spawn_app();
    let before = settled_snapshot(&app);
    let (ok, out, _) = cli_user_add(&app.db_path, &app.facilitator_email, "admin");
    assert!(!ok, "a duplicate account must fail");
    assert!(
        !out.contains("token:") && !out.contains("password:"),
        "{out}"
    );
    assert_eq!(app.snapshot(), before);
    let (ok, out, _) = cli_user_add(&app.db_path, "someone@example.dk", "superuser");
    assert!(!ok, "an unknown role must fail");
    assert!(!out.contains("token:"), "{out}");
    assert_eq!(app.snapshot(), before);
}

// ---------------------------------------------------------------------------------------------
// Cookie sessions and CSRF
// ---------------------------------------------------------------------------------------------

#[test]
fn a_cookie_session_reads_the_staff_api() {
    let app = spawn_app();
    app.create_relay(json!({}));
    let (secret, _) = login(&app, &app.facilitator_email, &app.facilitator_password);
    let res = cookie_get(&app, "/api/relays", &secret);
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body.as_array().unwrap().len(), 1);
    // A made-up cookie does not.
    let fake = cookie_get(&app, "/api/relays", &unknown_token());
    assert_eq!(fake.status, 401);
}

#[test]
fn a_cookie_authenticated_write_without_the_csrf_header_is_refused_and_changes_nothing() {
    let app = spawn_app();
    let (secret, csrf) = login(&app, &app.facilitator_email, &app.facilitator_password);
    let before = settled_snapshot(&app);

    let res = cookie_send(
        &app,
        "POST",
        "/api/relays",
        &secret,
        None,
        &relay_body("Uden CSRF"),
    );
    assert_eq!(res.status, 403, "{}", res.text);
    assert_eq!(res.code(), "csrf");
    assert_eq!(app.snapshot(), before);

    // A wrong, an empty and the session secret itself as token: all refused.
    let last = if csrf.ends_with('A') { "B" } else { "A" };
    let wrong = format!("{}{last}", &csrf[..csrf.len() - 1]);
    for bad in [wrong.as_str(), "", secret.as_str()] {
        let res = cookie_send(
            &app,
            "POST",
            "/api/relays",
            &secret,
            Some(bad),
            &relay_body("Forkert CSRF"),
        );
        assert_eq!(res.status, 403, "{bad:?}: {}", res.text);
        assert_eq!(res.code(), "csrf");
    }
    assert_eq!(app.snapshot(), before);

    // PATCH is unsafe too.
    let relay = app.create_relay(json!({}));
    let before = settled_snapshot(&app);
    let res = cookie_send(
        &app,
        "PATCH",
        &format!("/api/relays/{relay}"),
        &secret,
        None,
        &json!({ "title": "Ændret uden CSRF" }),
    );
    assert_eq!(res.status, 403, "{}", res.text);
    assert_eq!(res.code(), "csrf");
    assert_eq!(app.snapshot(), before);
    let r = app.get(&format!("/api/relays/{relay}"), Some(&app.token));
    assert_ne!(r.body["title"], "Ændret uden CSRF");

    // With the right token the same write works.
    let res = cookie_send(
        &app,
        "POST",
        "/api/relays",
        &secret,
        Some(&csrf),
        &relay_body("Med CSRF"),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.body["title"], "Med CSRF");
}

#[test]
fn a_bearer_token_write_needs_no_csrf_token() {
    let app = spawn_app();
    let res = app.post("/api/relays", Some(&app.token), &relay_body("Med bearer"));
    assert_eq!(res.status, 201, "{}", res.text);
}

#[test]
fn one_users_csrf_token_does_not_work_with_another_users_session() {
    let app = spawn_app();
    let (admin_pw, _) = app.add_staff("admin@example.dk", "admin");
    let (fac_secret, fac_csrf) = login(&app, &app.facilitator_email, &app.facilitator_password);
    let (admin_secret, admin_csrf) = login(&app, "admin@example.dk", &admin_pw);
    assert_ne!(fac_csrf, admin_csrf);
    let before = settled_snapshot(&app);
    for (secret, csrf) in [(&fac_secret, &admin_csrf), (&admin_secret, &fac_csrf)] {
        let res = cookie_send(
            &app,
            "POST",
            "/api/relays",
            secret,
            Some(csrf),
            &relay_body("Lånt CSRF"),
        );
        assert_eq!(res.status, 403, "{}", res.text);
        assert_eq!(res.code(), "csrf");
    }
    assert_eq!(app.snapshot(), before);
    // Two logins of the same user are two sessions with two CSRF tokens.
    let (second_secret, second_csrf) =
        login(&app, &app.facilitator_email, &app.facilitator_password);
    assert_ne!(second_secret, fac_secret);
    let res = cookie_send(
        &app,
        "POST",
        "/api/relays",
        &second_secret,
        Some(&fac_csrf),
        &relay_body("Gammel CSRF"),
    );
    assert_eq!(res.status, 403);
    let res = cookie_send(
        &app,
        "POST",
        "/api/relays",
        &second_secret,
        Some(&second_csrf),
        &relay_body("Ny CSRF"),
    );
    assert_eq!(res.status, 201, "{}", res.text);
}

#[test]
fn logout_ends_the_session_and_the_old_cookie_gets_401() {
    let app = spawn_app();
    let (secret, csrf) = login(&app, &app.facilitator_email, &app.facilitator_password);
    let (other, _) = login(&app, &app.facilitator_email, &app.facilitator_password);
    assert_eq!(cookie_get(&app, "/api/relays", &secret).status, 200);

    // Logging out is a write: without the CSRF header it is refused and the session lives on.
    let res = cookie_send(&app, "POST", "/api/auth/logout", &secret, None, &json!({}));
    assert_eq!(res.status, 403, "{}", res.text);
    assert_eq!(cookie_get(&app, "/api/relays", &secret).status, 200);

    let res = cookie_send(
        &app,
        "POST",
        "/api/auth/logout",
        &secret,
        Some(&csrf),
        &json!({}),
    );
    assert!(res.status == 204 || res.status == 200, "{}", res.text);
    let cleared = set_cookie(&res, STAFF_COOKIE).expect("the cookie is cleared");
    assert!(
        cleared.starts_with(&format!("{STAFF_COOKIE}=;"))
            || cleared.to_ascii_lowercase().contains("max-age=0"),
        "{cleared}"
    );

    let after = cookie_get(&app, "/api/relays", &secret);
    assert_eq!(after.status, 401, "{}", after.text);
    assert_eq!(after.code(), "unauthorized");
    let res = cookie_send(
        &app,
        "POST",
        "/api/relays",
        &secret,
        Some(&csrf),
        &relay_body("Efter logout"),
    );
    assert_eq!(res.status, 401);
    // Only that session ended: another session and the API token still work.
    assert_eq!(cookie_get(&app, "/api/relays", &other).status, 200);
    assert_eq!(app.get("/api/relays", Some(&app.token)).status, 200);
}

#[test]
fn a_staff_session_expires_after_the_configured_hours() {
    let app = spawn_app();
    let (secret, _) = login(&app, &app.facilitator_email, &app.facilitator_password);
    assert_eq!(cookie_get(&app, "/api/relays", &secret).status, 200);
    app.clock.advance(Duration::hours(13));
    assert_eq!(cookie_get(&app, "/api/relays", &secret).status, 401);
    assert_eq!(app.get("/api/relays", Some(&app.token)).status, 200);
}

// ---------------------------------------------------------------------------------------------
// Rate limits
// ---------------------------------------------------------------------------------------------

fn tight_limits() -> TestApp {
    spawn_app_with(|s| {
        s.rate_limit.login_per_minute = 3;
        s.rate_limit.link_per_minute = 3;
    })
}

#[test]
fn the_fourth_login_attempt_in_a_minute_from_one_address_is_rate_limited() {
    let app = tight_limits();
    for _ in 0..3 {
        let res = app.post(
            "/api/auth/login",
            None,
            &json!({ "email": app.facilitator_email, "password": "guess-guess-guess" }),
        );
        assert_eq!(res.status, 401, "{}", res.text);
    }
    // Even the right password is refused now.
    let res = app.post(
        "/api/auth/login",
        None,
        &json!({ "email": app.facilitator_email, "password": app.facilitator_password }),
    );
    assert_eq!(res.status, 429, "{}", res.text);
    assert_eq!(res.code(), "rate_limited");
    assert!(set_cookie(&res, STAFF_COOKIE).is_none());
    assert_security_headers("429", &res);
}

#[test]
fn repeated_bad_magic_links_are_rate_limited() {
    let app = tight_limits();
    let well_formed_unknown = unknown_token();
    for bad in ["nope", well_formed_unknown.as_str(), "nope2"] {
        let res = app.get(&format!("/p/{bad}"), None);
        assert_eq!(res.status, 401, "{}", res.text);
    }
    let res = app.get(&format!("/p/{well_formed_unknown}"), None);
    assert_eq!(res.status, 429, "{}", res.text);
    assert!(
        res.header("content-type")
            .unwrap_or("")
            .starts_with("text/html")
    );
    // Redeeming is limited by the same budget.
    let res = redeem(&app, &well_formed_unknown);
    assert_eq!(res.status, 429);
    assert!(set_cookie(&res, PARTICIPANT_COOKIE).is_none());
}

#[test]
fn repeated_bad_bearer_tokens_are_rate_limited() {
    let app = tight_limits();
    let unknown = unknown_token();
    assert_eq!(app.get("/api/me", Some(&unknown)).status, 401);
    assert_eq!(app.get("/api/relays", Some("short-garbage")).status, 401);
    assert_eq!(app.get("/api/me", Some(&unknown)).status, 401);
    let res = app.get("/api/me", Some(&unknown));
    assert_eq!(res.status, 429, "{}", res.text);
    assert_eq!(res.code(), "rate_limited");
    let res = app.get("/api/relays", Some(&unknown_token()));
    assert_eq!(res.status, 429, "{}", res.text);
    // Bad session cookies count too.
    let res = cookie_get(&app, "/api/relays", &unknown_token());
    assert_eq!(res.status, 429, "{}", res.text);
}

#[test]
fn a_token_needs_its_own_secret_not_just_a_real_credential_id() {
    use stafet::auth::tokens;
    let app = spawn_app();
    let (_, people) = app.open_relay(2, json!({}));
    let (staff_id, staff_secret) = tokens::split(&app.token).unwrap();
    let (link_id, link_secret) = tokens::split(&people[0].token).unwrap();
    assert_eq!(app.get("/api/relays", Some(&app.token)).status, 200);
    assert_eq!(app.get("/api/me", Some(&people[0].token)).status, 200);
    // A real id with a guessed secret, and each credential's secret under the other's id.
    for forged in [
        tokens::compose(staff_id, &tokens::generate()),
        tokens::compose(link_id, &tokens::generate()),
        tokens::compose(staff_id, link_secret),
        tokens::compose(link_id, staff_secret),
    ] {
        assert_eq!(
            app.get("/api/relays", Some(&forged)).status,
            401,
            "{forged}"
        );
        assert_eq!(app.get("/api/me", Some(&forged)).status, 401, "{forged}");
        assert_eq!(cookie_get(&app, "/api/relays", &forged).status, 401);
        assert_eq!(app.get(&format!("/p/{forged}"), None).status, 401);
    }
}

// ---------------------------------------------------------------------------------------------
// Roles on every route
// ---------------------------------------------------------------------------------------------

/// A relay with three participants, one question asked, and a second draft relay.
struct Fixture {
    relay: i64,
    draft: i64,
    pid: i64,
    qid: i64,
    participant_token: String,
}

fn fixture(app: &TestApp) -> Fixture {
    let (relay, people) = app.open_relay(3, json!({}));
    let draft = app.create_relay(json!({}));
    app.import_people(draft, 2);
    let (qid, _) = ask(
        app,
        &people[0].token,
        "Hvordan leder du bedst for borgerne?",
    );
    Fixture {
        relay,
        draft,
        pid: people[1].id,
        qid,
        participant_token: people[0].token.clone(),
    }
}

/// Every staff route as (method, path, a valid body, facilitator only).
fn staff_routes(f: &Fixture) -> Vec<(&'static str, String, Value, bool)> {
    let (r, d, p, q) = (f.relay, f.draft, f.pid, f.qid);
    vec![
        ("GET", "/api/relays".into(), json!(null), false),
        (
            "POST",
            "/api/relays".into(),
            relay_body("En ny stafet"),
            true,
        ),
        ("GET", format!("/api/relays/{r}"), json!(null), false),
        (
            "PATCH",
            format!("/api/relays/{d}"),
            json!({ "title": "Omdøbt stafet" }),
            true,
        ),
        ("POST", format!("/api/relays/{d}/schedule"), json!({}), true),
        ("POST", format!("/api/relays/{d}/open"), json!({}), true),
        ("POST", format!("/api/relays/{r}/close"), json!({}), true),
        ("GET", format!("/api/relays/{r}/stats"), json!(null), false),
        (
            "GET",
            format!("/api/relays/{r}/events?since=0"),
            json!(null),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/participants"),
            json!([{ "name": "Ny Person", "email": "ny@example.dk", "group": "Stat" }]),
            true,
        ),
        (
            "GET",
            format!("/api/relays/{r}/participants"),
            json!(null),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/participants/{p}/suspend"),
            json!({}),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/participants/{p}/unsuspend"),
            json!({}),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/participants/{p}/resend-email"),
            json!({}),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/participants/{p}/erase"),
            json!({ "texts": "keep" }),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/erase-now"),
            json!({}),
            true,
        ),
        (
            "POST",
            format!("/api/relays/{r}/copy"),
            json!({ "title": "Kopi", "with_participants": true }),
            true,
        ),
        (
            "POST",
            format!("/api/questions/{q}/reroute"),
            json!({}),
            true,
        ),
        (
            "GET",
            format!("/api/relays/{r}/questions/pending"),
            json!(null),
            true,
        ),
        ("GET", "/api/auth/me".into(), json!(null), false),
        // Analysis: every staff role reads it.
        (
            "GET",
            format!("/api/relays/{r}/corpus?format=json"),
            json!(null),
            false,
        ),
        ("GET", format!("/api/relays/{r}/words"), json!(null), false),
        (
            "GET",
            format!("/api/relays/{r}/network"),
            json!(null),
            false,
        ),
        ("GET", format!("/api/relays/{r}/themes"), json!(null), false),
        (
            "GET",
            format!("/api/relays/{r}/themes/suggestions"),
            json!(null),
            false,
        ),
        ("GET", format!("/api/relays/{r}/report"), json!(null), false),
        (
            "GET",
            format!("/api/analysis/distinctive?a={r}&b={d}"),
            json!(null),
            false,
        ),
    ]
}

/// Every participant route as (method, path, a valid body).
fn participant_routes(qid: i64) -> Vec<(&'static str, String, Value)> {
    vec![
        ("GET", "/api/me".into(), json!(null)),
        (
            "POST",
            "/api/me/questions".into(),
            json!({ "text": "Et helt gyldigt spørgsmål?" }),
        ),
        (
            "POST",
            format!("/api/me/questions/{qid}/answer"),
            json!({ "text": "Et helt gyldigt svar på det." }),
        ),
        ("GET", "/api/me/events?since=0".into(), json!(null)),
        ("GET", "/api/me/report".into(), json!(null)),
        ("GET", "/api/me/data".into(), json!(null)),
    ]
}

#[test]
fn without_credentials_every_api_route_answers_401() {
    let app = spawn_app();
    let f = fixture(&app);
    let before = settled_snapshot(&app);
    let mut routes: Vec<(&str, String, Value)> = staff_routes(&f)
        .into_iter()
        .map(|(m, p, b, _)| (m, p, b))
        .collect();
    routes.extend(participant_routes(f.qid));
    routes.push(("POST", "/api/auth/logout".into(), json!({})));
    for (method, path, body) in &routes {
        let res = call(&app, method, path, None, body);
        assert_eq!(res.status, 401, "{method} {path}: {}", res.text);
        assert_eq!(res.code(), "unauthorized", "{method} {path}");
        if *method != "GET" {
            // A CSRF header without a session is no credential either.
            let res = app.send_raw(
                method,
                path,
                None,
                "application/json",
                body.to_string().as_bytes(),
                &[("X-CSRF-Token", "anything")],
            );
            assert_eq!(res.status, 401, "{method} {path}: {}", res.text);
        }
    }
    assert_eq!(app.snapshot(), before, "nothing changed");
}

#[test]
fn a_participant_token_is_refused_on_every_staff_route() {
    let app = spawn_app();
    let f = fixture(&app);
    let before = settled_snapshot(&app);
    for (method, path, body, _) in staff_routes(&f) {
        let res = call(&app, method, &path, Some(&f.participant_token), &body);
        assert_eq!(res.status, 403, "{method} {path}: {}", res.text);
        assert_eq!(res.code(), "forbidden", "{method} {path}");
    }
    assert_eq!(app.snapshot(), before, "nothing changed");
}

#[test]
fn a_participant_cookie_session_is_refused_on_staff_routes() {
    let app = spawn_app();
    let f = fixture(&app);
    let redeemed = redeem(&app, &f.participant_token);
    let secret = cookie_value(&redeemed, PARTICIPANT_COOKIE).unwrap();
    let csrf = cookie_get_in(&app, PARTICIPANT_COOKIE, "/api/me", &secret).body["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let before = settled_snapshot(&app);
    // Staff routes do not read the participant cookie: no credentials. The participant's
    // secret put into the staff cookie is a participant's all the same.
    for (cookie, status) in [(PARTICIPANT_COOKIE, 401), (STAFF_COOKIE, 403)] {
        for (method, path, body, _) in staff_routes(&f) {
            let res = if method == "GET" {
                cookie_get_in(&app, cookie, &path, &secret)
            } else {
                cookie_send_in(&app, cookie, method, &path, &secret, Some(&csrf), &body)
            };
            assert_eq!(res.status, status, "{cookie} {method} {path}: {}", res.text);
        }
    }
    assert_eq!(app.snapshot(), before);
}

#[test]
fn an_analyst_is_refused_on_facilitator_routes_but_reads_relays_and_stats() {
    let app = spawn_app();
    let f = fixture(&app);
    let (_, analyst) = app.add_staff("analyst@example.dk", "analyst");
    // An analyst of the relays' organisation, granted them (issue 14).
    app.grant(f.relay, "analyst@example.dk");
    app.grant(f.draft, "analyst@example.dk");
    let before = settled_snapshot(&app);
    for (method, path, body, facilitator_only) in staff_routes(&f) {
        let res = call(&app, method, &path, Some(&analyst), &body);
        if facilitator_only {
            assert_eq!(res.status, 403, "{method} {path}: {}", res.text);
            assert_eq!(res.code(), "forbidden", "{method} {path}");
        } else {
            assert_eq!(res.status, 200, "{method} {path}: {}", res.text);
        }
    }
    assert_eq!(app.snapshot(), before, "nothing changed");
    // The relay list and stats name nobody.
    let people = app
        .get(
            &format!("/api/relays/{}/participants", f.relay),
            Some(&app.token),
        )
        .body;
    let stats = app.get(&format!("/api/relays/{}/stats", f.relay), Some(&analyst));
    let list = app.get("/api/relays", Some(&analyst));
    for p in people.as_array().unwrap() {
        let email = p["email"].as_str().unwrap();
        assert!(!stats.text.contains(email), "{}", stats.text);
        assert!(!list.text.contains(email));
    }
}

#[test]
fn the_caller_is_refused_before_the_body_or_query_is_read() {
    let app = spawn_app();
    let f = fixture(&app);
    let (_, analyst) = app.add_staff("analyst@example.dk", "analyst");
    // An analyst of the relays' organisation, granted them (issue 14).
    app.grant(f.relay, "analyst@example.dk");
    app.grant(f.draft, "analyst@example.dk");
    let before = settled_snapshot(&app);
    // Invalid bodies: an unauthorised caller learns nothing about validation.
    let cases = [
        ("POST", "/api/relays".to_string(), json!({})),
        (
            "PATCH",
            format!("/api/relays/{}", f.draft),
            json!({ "no_such_field": 1 }),
        ),
        (
            "POST",
            format!("/api/relays/{}/participants", f.relay),
            json!({ "not": "a list" }),
        ),
        (
            "POST",
            format!("/api/questions/{}/reroute", f.qid),
            json!({ "to": "nobody" }),
        ),
    ];
    let mut rows = Vec::new();
    for (method, path, body) in cases {
        #[rustfmt::skip]
        let more = [
            refused(method, &path, Some(&analyst), Json(body.clone()), 403, "forbidden"),
            refused(method, &path, Some(&f.participant_token), Json(body.clone()), 403, "forbidden"),
            // Without credentials it is 401, whatever the body.
            refused(method, &path, None, Json(body), 401, "unauthorized"),
        ];
        rows.extend(more);
    }
    let answer = format!("/api/me/questions/{}/answer", f.qid);
    // A bad query string, likewise.
    let events = format!("/api/relays/{}/events?since=abc", f.relay);
    let staff = Some(app.token.as_str());
    #[rustfmt::skip]
    let more = [
        refused("POST", "/api/me/questions", staff, Json(json!({ "text": 5 })), 403, "forbidden"),
        refused("POST", answer, Some(&analyst), Raw("text/plain", b"not json".to_vec()), 403, "forbidden"),
        refused("GET", &events, Some(&analyst), Empty, 403, "forbidden"),
        refused("GET", &events, None, Empty, 401, "unauthorized"),
        refused("GET", "/api/me/events?since=abc", staff, Empty, 403, "forbidden"),
        refused("GET", "/api/me/events?since=abc", None, Empty, 401, "unauthorized"),
    ];
    rows.extend(more);
    assert_refused(&app, &rows);
    assert_eq!(app.snapshot(), before);
}

#[test]
fn an_admin_may_do_what_a_facilitator_does() {
    let app = spawn_app();
    let f = fixture(&app);
    let (_, admin) = app.add_staff("admin@example.dk", "admin");
    let res = app.post("/api/relays", Some(&admin), &relay_body("Adminens stafet"));
    assert_eq!(res.status, 201, "{}", res.text);
    let res = app.get(
        &format!("/api/relays/{}/participants", f.relay),
        Some(&admin),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let res = app.get(
        &format!("/api/relays/{}/events?since=0", f.relay),
        Some(&admin),
    );
    assert_eq!(res.status, 200, "{}", res.text);
}

#[test]
fn staff_tokens_and_sessions_are_refused_on_participant_routes() {
    let app = spawn_app();
    let f = fixture(&app);
    let (_, analyst) = app.add_staff("analyst@example.dk", "analyst");
    // An analyst of the relays' organisation, granted them (issue 14).
    app.grant(f.relay, "analyst@example.dk");
    app.grant(f.draft, "analyst@example.dk");
    let (_, admin) = app.add_staff("admin@example.dk", "admin");
    let (secret, csrf) = login(&app, &app.facilitator_email, &app.facilitator_password);
    let before = settled_snapshot(&app);
    for token in [&app.token, &analyst, &admin] {
        for (method, path, body) in participant_routes(f.qid) {
            let res = call(&app, method, &path, Some(token), &body);
            assert_eq!(res.status, 403, "{method} {path}: {}", res.text);
            assert_eq!(res.code(), "forbidden");
        }
    }
    // Participant routes do not read the staff cookie; a staff secret in the participant
    // cookie is staff's all the same.
    for (cookie, status) in [(STAFF_COOKIE, 401), (PARTICIPANT_COOKIE, 403)] {
        for (method, path, body) in participant_routes(f.qid) {
            let res = if method == "GET" {
                cookie_get_in(&app, cookie, &path, &secret)
            } else {
                cookie_send_in(&app, cookie, method, &path, &secret, Some(&csrf), &body)
            };
            assert_eq!(res.status, status, "{cookie} {method} {path}: {}", res.text);
        }
    }
    assert_eq!(app.snapshot(), before);
}

#[test]
fn the_websocket_refuses_no_credentials_analysts_participants_of_nothing_and_other_origins() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(2, json!({}));
    let (_, analyst) = app.add_staff("analyst@example.dk", "analyst");
    app.grant(relay, "analyst@example.dk");
    let res = app.get("/ws", None);
    assert_eq!(res.status, 401, "{}", res.text);
    let res = app.get(&format!("/ws?relay={relay}"), Some(&analyst));
    assert_eq!(res.status, 403, "{}", res.text);
    let res = app.get(&format!("/ws?token={}", unknown_token()), None);
    assert_eq!(res.status, 401, "{}", res.text);
    // A page on another origin cannot open a participant's feed with their cookie or link.
    let link = &people[0].token;
    let res = app.get_with(
        &format!("/ws?token={link}"),
        &[("Origin", "https://evil.example")],
    );
    assert_eq!(res.status, 403, "{}", res.text);
    let session = cookie_value(&redeem(&app, link), PARTICIPANT_COOKIE).unwrap();
    let cookie = session_header(PARTICIPANT_COOKIE, &session);
    let res = app.get_with(
        "/ws",
        &[
            ("Origin", "https://evil.example"),
            ("Cookie", cookie.as_str()),
        ],
    );
    assert_eq!(res.status, 403, "{}", res.text);
    assert_security_headers("ws refusal", &res);
}

// ---------------------------------------------------------------------------------------------
// Participants see only their own
// ---------------------------------------------------------------------------------------------

#[test]
fn a_participant_never_sees_another_participants_inbox_or_questions() {
    let app = spawn_app();
    let (_, people) = app.open_relay(5, json!({}));
    let texts = [
        "Hvad er det sværeste ved din ledelse i år?",
        "Hvordan inddrager du borgerne i beslutninger?",
    ];
    let (qa, to_a) = ask(&app, &people[0].token, texts[0]);
    let (qb, to_b) = ask(&app, &people[1].token, texts[1]);
    let recipient_of = |text: &str| if text == texts[0] { to_a } else { to_b };
    let asker_of = |text: &str| {
        if text == texts[0] {
            people[0].id
        } else {
            people[1].id
        }
    };

    for p in &people {
        let me = app.get("/api/me", Some(&p.token));
        assert_eq!(me.status, 200);
        assert_eq!(me.body["participant"]["id"], p.id, "the right person");
        for text in texts {
            let mine = recipient_of(text) == p.id || asker_of(text) == p.id;
            assert_eq!(
                me.text.contains(text),
                mine,
                "{} sees {text:?}: {}",
                p.name,
                me.text
            );
        }
        let events = app.get("/api/me/events?since=0", Some(&p.token));
        assert_eq!(events.status, 200);
        for text in texts {
            if !(recipient_of(text) == p.id || asker_of(text) == p.id) {
                assert!(!events.text.contains(text), "{}: {}", p.name, events.text);
            }
        }
        // Every event a participant is given is addressed to them, and to nobody else.
        let ids: Vec<i64> = events
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        let theirs = ints(
            &app,
            &format!(
                "SELECT id AS n FROM events WHERE participant_id = {} ORDER BY id",
                p.id
            ),
        );
        assert_eq!(ids, theirs, "{}", p.name);
    }

    // Nobody but the recipient can answer a question, and trying changes nothing.
    for (qid, to) in [(qa, to_a), (qb, to_b)] {
        for p in people.iter().filter(|p| p.id != to) {
            let before = settled_snapshot(&app);
            let res = app.post(
                &format!("/api/me/questions/{qid}/answer"),
                Some(&p.token),
                &json!({ "text": "Et svar fra den forkerte person." }),
            );
            assert!(
                res.status == 404 || res.status == 403,
                "{} answered question {qid}: {} {}",
                p.name,
                res.status,
                res.text
            );
            assert_eq!(app.snapshot(), before);
        }
    }
}

#[test]
fn a_participant_of_one_relay_sees_nothing_of_another_relay() {
    let app = spawn_app();
    let (_, first) = app.open_relay(3, json!({}));
    let (_, second) = app.open_relay(3, json!({}));
    let text = "Hvad betyder tillid i din organisation?";
    let (qid, to) = ask(&app, &first[0].token, text);
    assert!(first.iter().any(|p| p.id == to));
    for p in &second {
        let me = app.get("/api/me", Some(&p.token));
        assert!(!me.text.contains(text));
        let ev = app.get("/api/me/events?since=0", Some(&p.token));
        assert!(!ev.text.contains(text));
        let res = app.post(
            &format!("/api/me/questions/{qid}/answer"),
            Some(&p.token),
            &json!({ "text": "Et svar fra en anden stafet." }),
        );
        assert!(res.status == 404 || res.status == 403, "{}", res.text);
    }
}

// ---------------------------------------------------------------------------------------------
// Magic links
// ---------------------------------------------------------------------------------------------

#[test]
fn get_on_a_magic_link_shows_a_continue_form_and_changes_nothing() {
    let app = spawn_app();
    let (_, people) = app.open_relay(2, json!({}));
    let token = &people[0].token;
    let before = settled_snapshot(&app);
    for _ in 0..3 {
        let res = app.get(&format!("/p/{token}"), None);
        assert_eq!(res.status, 200, "{}", res.text);
        assert!(
            res.header("content-type")
                .unwrap_or("")
                .starts_with("text/html"),
            "{:?}",
            res.header("content-type")
        );
        let html = res.text.to_ascii_lowercase();
        assert!(html.contains("<form"), "{}", res.text);
        assert!(html.contains("method=\"post\""), "{}", res.text);
        assert!(
            res.text.contains(&format!("action=\"/p/{token}\"")),
            "{}",
            res.text
        );
        assert!(set_cookie(&res, PARTICIPANT_COOKIE).is_none(), "no session");
        assert!(res.header("set-cookie").is_none());
        assert!(
            res.header("cache-control")
                .is_some_and(|c| c.contains("no-store")),
            "a link page is not cached"
        );
    }
    assert_eq!(
        app.snapshot(),
        before,
        "GET changes nothing, not even credentials"
    );
    // A scanner fetching it again changes nothing either.
    let scanner = app.get_with(&format!("/p/{token}"), &[("User-Agent", "LinkScanner/1.0")]);
    assert_eq!(scanner.status, 200);
    assert_eq!(app.snapshot(), before);
}

#[test]
fn posting_a_magic_link_starts_a_cookie_session_that_needs_the_csrf_token_to_write() {
    let app = spawn_app();
    let (_, people) = app.open_relay(3, json!({}));
    let token = &people[0].token;
    let before = app.count("credentials");
    let res = redeem(&app, token);
    assert_eq!(res.status, 303, "{}", res.text);
    assert_eq!(res.header("location"), Some("/app"));
    let cookie = set_cookie(&res, PARTICIPANT_COOKIE).expect("session cookie");
    let lower = cookie.to_ascii_lowercase();
    assert!(lower.contains("httponly"), "{cookie}");
    assert!(lower.contains("samesite=strict"), "{cookie}");
    let secret = cookie_value(&res, PARTICIPANT_COOKIE).unwrap();
    assert_ne!(&secret, token, "the cookie is a new secret, not the link");
    assert_eq!(app.count("credentials"), before + 1);

    let me = cookie_get_in(&app, PARTICIPANT_COOKIE, "/api/me", &secret);
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["participant"]["id"], people[0].id);
    let csrf = me.body["csrf_token"]
        .as_str()
        .expect("csrf_token")
        .to_string();
    assert_eq!(
        cookie_value(&res, PARTICIPANT_CSRF_COOKIE).as_deref(),
        Some(csrf.as_str())
    );

    let question = json!({ "text": "Hvordan skaber du ro til fordybelse?" });
    let snap = settled_snapshot(&app);
    let res = cookie_send_in(
        &app,
        PARTICIPANT_COOKIE,
        "POST",
        "/api/me/questions",
        &secret,
        None,
        &question,
    );
    assert_eq!(res.status, 403, "{}", res.text);
    assert_eq!(res.code(), "csrf");
    // The CSRF token of the link secret (what a bearer client would get) is not this session's.
    let other_csrf = app.get("/api/me", Some(token)).body["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(other_csrf, csrf);
    let res = cookie_send_in(
        &app,
        PARTICIPANT_COOKIE,
        "POST",
        "/api/me/questions",
        &secret,
        Some(&other_csrf),
        &question,
    );
    assert_eq!(res.status, 403, "{}", res.text);
    assert_eq!(app.snapshot(), snap, "refused writes change nothing");

    let res = cookie_send_in(
        &app,
        PARTICIPANT_COOKIE,
        "POST",
        "/api/me/questions",
        &secret,
        Some(&csrf),
        &question,
    );
    assert_eq!(res.status, 201, "{}", res.text);
    // The events feed reads with the cookie as well.
    assert_eq!(
        cookie_get_in(&app, PARTICIPANT_COOKIE, "/api/me/events?since=0", &secret).status,
        200
    );
}

#[test]
fn a_suspended_participants_link_shows_a_clear_403_page() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(3, json!({}));
    let p = &people[1];
    let session = cookie_value(&redeem(&app, &p.token), PARTICIPANT_COOKIE).unwrap();
    let res = app.post(
        &format!("/api/relays/{relay}/participants/{}/suspend", p.id),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);

    let before = settled_snapshot(&app);
    let page = app.get(&format!("/p/{}", p.token), None);
    assert_eq!(page.status, 403, "{}", page.text);
    assert!(
        page.header("content-type")
            .unwrap_or("")
            .starts_with("text/html")
    );
    let lower = page.text.to_lowercase();
    assert!(
        lower.contains("pause") || lower.contains("suspend"),
        "a clear message: {}",
        page.text
    );
    assert!(!lower.contains("<form"), "no Continue button");
    assert_no_internals("suspended page", &page.text);

    let res = redeem(&app, &p.token);
    assert_eq!(res.status, 403, "{}", res.text);
    assert!(set_cookie(&res, PARTICIPANT_COOKIE).is_none());
    assert_eq!(
        app.snapshot(),
        before,
        "no session for a suspended participant"
    );
    // An existing cookie session stops too.
    let me = cookie_get_in(&app, PARTICIPANT_COOKIE, "/api/me", &session);
    assert_eq!(me.status, 403);
    assert_eq!(me.code(), "suspended");
}

#[test]
fn a_bad_link_shows_an_html_error_page_never_a_stack_trace() {
    let app = spawn_app();
    let (_, people) = app.open_relay(2, json!({}));
    let unknown = unknown_token();
    let long = "x".repeat(5000);
    let bad_links = [
        "not-a-token".to_string(),
        unknown,
        format!("{}!", &people[0].token[..42]),
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_string(),
        long,
        "%00%ff".to_string(),
        // A staff API token is not a participant link.
        app.token.clone(),
    ];
    let before = settled_snapshot(&app);
    for bad in &bad_links {
        let res = app.get(&format!("/p/{bad}"), None);
        assert_eq!(res.status, 401, "{bad}: {}", res.text);
        assert!(
            res.header("content-type")
                .unwrap_or("")
                .starts_with("text/html"),
            "{bad}"
        );
        assert!(res.text.to_ascii_lowercase().contains("<html"), "{bad}");
        assert!(!res.text.contains("<script"), "{bad}: {}", res.text);
        assert!(
            !res.text.contains(bad.as_str()),
            "the page does not echo the link"
        );
        assert_no_internals(bad, &res.text);
        let posted = redeem(&app, bad);
        assert_eq!(posted.status, 401, "{bad}: {}", posted.text);
        assert!(set_cookie(&posted, PARTICIPANT_COOKIE).is_none());
        assert_no_internals(bad, &posted.text);
    }
    assert_eq!(app.snapshot(), before);
}

#[test]
fn a_closed_relays_link_stops_after_the_grace_period() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(2, json!({}));
    let res = app.post(
        &format!("/api/relays/{relay}/close"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        app.get(&format!("/p/{}", people[0].token), None).status,
        200
    );
    app.clock.advance(Duration::days(31));
    let page = app.get(&format!("/p/{}", people[0].token), None);
    assert_eq!(page.status, 410, "{}", page.text);
    assert!(
        page.header("content-type")
            .unwrap_or("")
            .starts_with("text/html")
    );
    assert_no_internals("expired", &page.text);
}

// ---------------------------------------------------------------------------------------------
// Escaping and headers
// ---------------------------------------------------------------------------------------------

#[test]
fn a_script_in_the_relay_title_and_participant_name_is_escaped_on_the_link_page() {
    let app = spawn_app();
    let evil = "<script>alert(1)</script>";
    let res = app.post(
        "/api/relays",
        Some(&app.token),
        &relay_body(&format!("Stafet {evil}")),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let relay = res.body["id"].as_i64().unwrap();
    let res = app.post(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
        &json!([
            { "name": format!("Mette {evil}"), "email": "mette@example.dk", "group": "Kommune" },
            { "name": "Lars Bech", "email": "lars@example.dk", "group": "Stat" },
        ]),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 2, "{}", res.text);
    let res = app.post(
        &format!("/api/relays/{relay}/open"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let token = app
        .emails_to("mette@example.dk")
        .last()
        .and_then(|e| e.link_token())
        .expect("a link");

    let page = app.get(&format!("/p/{token}"), None);
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(!page.text.contains(evil), "{}", page.text);
    assert!(!page.text.contains("<script"), "{}", page.text);
    assert!(
        page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            || page
                .text
                .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{}",
        page.text
    );
    assert!(page.text.contains("Mette &lt;script&gt;"), "{}", page.text);
    assert!(page.text.contains("Stafet &lt;script&gt;"), "{}", page.text);
    // The API hands the text back as data, unchanged (escaping is the page's job).
    let me = app.get("/api/me", Some(&token));
    assert_eq!(me.body["relay"]["title"], format!("Stafet {evil}"));
    assert_eq!(me.body["participant"]["name"], format!("Mette {evil}"));
    assert!(
        me.header("content-type")
            .unwrap_or("")
            .starts_with("application/json")
    );
}

#[test]
fn every_response_carries_the_security_headers() {
    let app = spawn_app();
    let (_, people) = app.open_relay(2, json!({}));
    let token = &people[0].token;
    let mut responses = vec![
        ("API JSON", app.get("/api/relays", Some(&app.token))),
        ("participant API", app.get("/api/me", Some(token))),
        ("401 JSON", app.get("/api/relays", None)),
        ("403 JSON", app.get("/api/relays", Some(token))),
        ("link page", app.get(&format!("/p/{token}"), None)),
        ("bad link page", app.get("/p/nope", None)),
        ("redeem redirect", redeem(&app, token)),
        ("404", app.get("/no/such/page", None)),
        ("404 API", app.get("/api/nothing-here", Some(&app.token))),
        (
            "422",
            app.post("/api/relays", Some(&app.token), &json!({ "title": "" })),
        ),
        (
            "400 malformed",
            app.send_raw(
                "POST",
                "/api/relays",
                Some(&app.token),
                "application/json",
                b"{not json",
                &[],
            ),
        ),
        (
            "login",
            app.post(
                "/api/auth/login",
                None,
                &json!({ "email": app.facilitator_email, "password": app.facilitator_password }),
            ),
        ),
        (
            "wrong method",
            app.send_raw("PUT", "/api/relays", Some(&app.token), "", b"", &[]),
        ),
    ];
    responses.push(("stylesheet", app.get("/static/stafet.css", None)));
    for (what, res) in &responses {
        assert_security_headers(what, res);
        assert_no_internals(what, &res.text);
    }
    // Error bodies are JSON, never HTML, on the API.
    for (what, res) in &responses[2..4] {
        assert!(
            res.header("content-type")
                .unwrap_or("")
                .starts_with("application/json"),
            "{what}"
        );
    }
    let not_found = &responses[7].1;
    assert_eq!(not_found.status, 404);
    assert_eq!(not_found.code(), "not_found");
}

// ---------------------------------------------------------------------------------------------
// Secrets are never logged: the real binary
// ---------------------------------------------------------------------------------------------

fn link_tokens_in(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files
        .iter()
        .filter_map(|p| {
            let raw = std::fs::read(p).ok()?;
            let msg = mail_parser::MessageParser::default().parse(&raw)?;
            let text = msg.body_text(0)?.into_owned();
            let i = text.find("/p/")?;
            Some(
                text[i + 3..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn the_real_server_never_logs_a_link_or_bearer_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stafet.sqlite");
    let mail = dir.path().join("mail");
    let (ok, out, err) = cli_user_add(&db, "fac@example.dk", "facilitator");
    assert!(ok, "{err}");
    let (_, staff_token) = parse_user_add(&out);

    let log_out = dir.path().join("stdout.log");
    let log_err = dir.path().join("stderr.log");
    let server = binary::Server::start(&db, &mail, &log_out, &log_err, &staff_token);
    let http = &server.http;

    // A relay with two participants, opened now: the opening emails carry links.
    let (status, text) = http
        .send(
            "POST",
            "/api/relays",
            Some(&staff_token),
            Some(&json!({
                "title": "Logtest", "topic": "Log", "purpose": "Ingen hemmeligheder i loggen.",
                "language": "da", "timezone": "Europe/Copenhagen",
                "starts_at": Utc::now() + Duration::days(1),
            })),
        )
        .unwrap();
    assert_eq!(status, 201, "{text}");
    let relay = serde_json::from_str::<Value>(&text).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, text) = http
        .send(
            "POST",
            &format!("/api/relays/{relay}/participants"),
            Some(&staff_token),
            Some(&json!([
                { "name": "Anne Log", "email": "anne@example.dk", "group": "Kommune" },
                { "name": "Bo Log", "email": "bo@example.dk", "group": "Stat" },
            ])),
        )
        .unwrap();
    assert_eq!(status, 200, "{text}");
    let (status, text) = http
        .send(
            "POST",
            &format!("/api/relays/{relay}/open"),
            Some(&staff_token),
            Some(&json!({})),
        )
        .unwrap();
    assert_eq!(status, 200, "{text}");
    let links = wait_for("the opening emails", || {
        let l = link_tokens_in(&mail);
        (l.len() >= 2).then_some(l)
    });
    let link = links[0].clone();

    let (status, page) = http.send("GET", &format!("/p/{link}"), None, None).unwrap();
    assert_eq!(status, 200, "{page}");
    let (status, _) = http
        .send("POST", &format!("/p/{link}"), None, None)
        .unwrap();
    assert_eq!(status, 303);
    let (status, me) = http.send("GET", "/api/me", Some(&link), None).unwrap();
    assert_eq!(status, 200, "{me}");
    // The websocket takes a participant's link in the query string; it must not be logged either.
    let (status, ws) = http
        .send("GET", &format!("/ws?token={link}&since=0"), None, None)
        .unwrap();
    assert_ne!(status, 401, "{ws}");
    let (status, _) = http
        .send(
            "POST",
            "/api/me/questions",
            Some(&links[1]),
            Some(&json!({ "text": "Hvad står der i din log?" })),
        )
        .unwrap();
    assert_eq!(status, 201);
    let bad = unknown_token();
    let (status, _) = http.send("GET", &format!("/p/{bad}"), None, None).unwrap();
    assert_eq!(status, 401);
    let (status, _) = http.send("GET", "/api/me", Some(&bad), None).unwrap();
    assert_eq!(status, 401);
    // Give the last request spans a moment to close, then stop the server.
    std::thread::sleep(StdDuration::from_millis(300));
    drop(server);

    let log = format!(
        "{}\n{}",
        std::fs::read_to_string(&log_out).unwrap(),
        std::fs::read_to_string(&log_err).unwrap()
    );
    assert!(
        log.contains("/p/{token}"),
        "the route pattern is logged: {log}"
    );
    for secret in links.iter().chain([&staff_token, &bad]) {
        assert!(!log.contains(secret.as_str()), "a secret in the log: {log}");
    }
    // Not even a recognisable piece of one.
    assert!(!log.contains(&link[..16]), "{log}");
}

// ---------------------------------------------------------------------------------------------
// Login CSRF, and staff and participant sessions side by side in one browser
// ---------------------------------------------------------------------------------------------

/// What a page on another site makes a browser send with its POST: that site's `Origin` (or
/// `null` from a sandboxed frame or a redirect), or the browser's own `Sec-Fetch-Site` verdict.
const CROSS_SITE: [(&str, &str); 4] = [
    ("Origin", "https://evil.example"),
    ("Origin", "null"),
    ("Sec-Fetch-Site", "cross-site"),
    ("Sec-Fetch-Site", "same-site"),
];

/// POST /p/{token} with extra headers, as a browser's form submission.
fn redeem_with(app: &TestApp, token: &str, headers: &[(&str, &str)]) -> Res {
    app.send_raw(
        "POST",
        &format!("/p/{token}"),
        None,
        "application/x-www-form-urlencoded",
        b"",
        headers,
    )
}

/// The status of a websocket handshake to `/ws?{query}` that sends `cookie` (101: it opened).
fn ws_handshake(app: &TestApp, query: &str, cookie: &str) -> u16 {
    use tungstenite::client::IntoClientRequest as _;
    let url = format!("{}/ws?{query}", app.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("Cookie", cookie.parse().expect("a cookie header"));
    match tungstenite::connect(req) {
        Ok((mut ws, resp)) => {
            let _ = ws.close(None);
            resp.status().as_u16()
        }
        Err(tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("websocket handshake failed: {e}"),
    }
}

#[test]
fn a_magic_link_posted_from_another_site_is_refused_and_starts_no_session() {
    let app = spawn_app();
    let (_, people) = app.open_relay(2, json!({}));
    let token = &people[0].token;
    let before = settled_snapshot(&app);
    for header in CROSS_SITE {
        let res = redeem_with(&app, token, &[header]);
        assert_eq!(res.status, 403, "{header:?}: {}", res.text);
        assert!(
            res.header("content-type")
                .unwrap_or("")
                .starts_with("text/html"),
            "{header:?}"
        );
        assert!(
            res.text.contains("Open the link from your email"),
            "a clear page: {}",
            res.text
        );
        assert!(
            res.header("set-cookie").is_none(),
            "{header:?} set a cookie"
        );
        assert_no_internals("cross-site redemption", &res.text);
    }
    assert_eq!(
        app.snapshot(),
        before,
        "no credential row was created, nothing else changed"
    );
    // The Continue page's own POST works: as an older browser sends it, and as Chromium does
    // from a page whose referrer policy was `no-referrer` (`Origin: null`).
    let own = app.base.clone();
    let res = redeem_with(&app, token, &[("Origin", own.as_str())]);
    assert_eq!(res.status, 303, "{}", res.text);
    assert_eq!(app.count("credentials"), before_credentials(&before) + 1);
    let res = redeem_with(
        &app,
        token,
        &[("Origin", "null"), ("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(res.status, 303, "{}", res.text);
    assert!(cookie_value(&res, PARTICIPANT_COOKIE).is_some());
    assert_eq!(app.count("credentials"), before_credentials(&before) + 2);
}

fn before_credentials(snapshot: &[(String, i64)]) -> i64 {
    snapshot
        .iter()
        .find(|(t, _)| t == "credentials")
        .map(|(_, n)| *n)
        .unwrap()
}

#[test]
fn a_login_posted_from_another_site_is_refused_and_starts_no_session() {
    let app = spawn_app();
    let body =
        json!({ "email": app.facilitator_email, "password": app.facilitator_password }).to_string();
    let login_with = |headers: &[(&str, &str)]| {
        app.send_raw(
            "POST",
            "/api/auth/login",
            None,
            "application/json",
            body.as_bytes(),
            headers,
        )
    };
    let before = settled_snapshot(&app);
    for header in CROSS_SITE {
        let res = login_with(&[header]);
        assert_eq!(res.status, 403, "{header:?}: {}", res.text);
        assert_eq!(res.code(), "cross_site", "{header:?}");
        assert!(
            res.header("set-cookie").is_none(),
            "{header:?} set a cookie"
        );
        assert!(res.body.get("csrf_token").is_none());
    }
    assert_eq!(app.snapshot(), before, "no session row was created");
    let own = app.base.clone();
    let res = login_with(&[("Origin", own.as_str()), ("Sec-Fetch-Site", "same-origin")]);
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(cookie_value(&res, STAFF_COOKIE).is_some());
    assert_eq!(app.count("credentials"), before_credentials(&before) + 1);
}

#[test]
fn a_cookie_write_sent_from_another_site_is_refused_even_with_the_right_token() {
    let app = spawn_app();
    let (secret, csrf) = login(&app, &app.facilitator_email, &app.facilitator_password);
    let cookie = session_header(STAFF_COOKIE, &secret);
    let body = relay_body("Fra en anden side").to_string();
    let before = settled_snapshot(&app);
    for header in CROSS_SITE {
        let res = app.send_raw(
            "POST",
            "/api/relays",
            None,
            "application/json",
            body.as_bytes(),
            &[("Cookie", cookie.as_str()), ("X-CSRF-Token", &csrf), header],
        );
        assert_eq!(res.status, 403, "{header:?}: {}", res.text);
        assert_eq!(res.code(), "cross_site");
    }
    assert_eq!(app.snapshot(), before);
}

/// A browser with a facilitator signed in, who then continues from a participant's link.
struct BothSessions {
    jar: CookieJar,
    staff_csrf: String,
    participant_csrf: String,
}

fn both_sessions(app: &TestApp, link: &str) -> BothSessions {
    let mut jar = CookieJar::default();
    let login = app.post(
        "/api/auth/login",
        None,
        &json!({ "email": app.facilitator_email, "password": app.facilitator_password }),
    );
    assert_eq!(login.status, 200, "{}", login.text);
    jar.store(&login);
    let cookie = jar.header();
    let redeemed = redeem_with(app, link, &[("Cookie", cookie.as_str())]);
    assert_eq!(redeemed.status, 303, "{}", redeemed.text);
    jar.store(&redeemed);
    let cookie = jar.header();
    let me = app.get_with("/api/me", &[("Cookie", cookie.as_str())]);
    assert_eq!(me.status, 200, "{}", me.text);
    BothSessions {
        staff_csrf: login.body["csrf_token"].as_str().unwrap().to_string(),
        participant_csrf: me.body["csrf_token"].as_str().unwrap().to_string(),
        jar,
    }
}

#[test]
fn a_staff_user_who_redeems_a_participant_link_stays_signed_in_as_staff() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(3, json!({}));
    let b = both_sessions(&app, &people[0].token);
    let cookie = b.jar.header();
    let with_jar = [("Cookie", cookie.as_str())];

    // Staff at the staff API, the participant at /api/me.
    let relays = app.get_with("/api/relays", &with_jar);
    assert_eq!(relays.status, 200, "still staff: {}", relays.text);
    assert!(
        relays
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == relay),
        "{}",
        relays.text
    );
    let whoami = app.get_with("/api/auth/me", &with_jar);
    assert_eq!(whoami.status, 200, "{}", whoami.text);
    assert_eq!(whoami.body["user"]["email"], app.facilitator_email);
    let me = app.get_with("/api/me", &with_jar);
    assert_eq!(me.body["participant"]["id"], people[0].id, "{}", me.text);
    assert_eq!(
        b.jar.names(),
        vec![
            PARTICIPANT_COOKIE,
            PARTICIPANT_CSRF_COOKIE,
            STAFF_COOKIE,
            STAFF_CSRF_COOKIE
        ],
        "the browser holds both sessions"
    );

    // Each session writes with its own token, and only its own.
    let write = |path: &str, csrf: &str, body: &Value| {
        let headers = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf)];
        app.send_raw(
            "POST",
            path,
            None,
            "application/json",
            body.to_string().as_bytes(),
            &headers,
        )
    };
    let question = json!({ "text": "Hvad gør du, når to gode hensyn støder sammen?" });
    let snap = settled_snapshot(&app);
    let res = write("/api/me/questions", &b.staff_csrf, &question);
    assert_eq!(res.code(), "csrf", "{}", res.text);
    let res = write(
        "/api/relays",
        &b.participant_csrf,
        &relay_body("Forkert token"),
    );
    assert_eq!(res.code(), "csrf", "{}", res.text);
    assert_eq!(app.snapshot(), snap);
    let res = write("/api/me/questions", &b.participant_csrf, &question);
    assert_eq!(res.status, 201, "{}", res.text);
    let res = write("/api/relays", &b.staff_csrf, &relay_body("To sessioner"));
    assert_eq!(res.status, 201, "{}", res.text);

    // The websocket reads the staff cookie for a relay's staff feed, the participant cookie
    // otherwise.
    assert_eq!(ws_handshake(&app, &format!("relay={relay}"), &cookie), 101);
    assert_eq!(ws_handshake(&app, "since=0", &cookie), 101);
    let staff_only = session_header(STAFF_COOKIE, b.jar.get(STAFF_COOKIE).unwrap());
    let participant_only =
        session_header(PARTICIPANT_COOKIE, b.jar.get(PARTICIPANT_COOKIE).unwrap());
    assert_eq!(
        ws_handshake(&app, &format!("relay={relay}"), &staff_only),
        101
    );
    assert_eq!(ws_handshake(&app, "since=0", &staff_only), 401);
    assert_eq!(
        ws_handshake(&app, &format!("relay={relay}"), &participant_only),
        401
    );
    assert_eq!(ws_handshake(&app, "since=0", &participant_only), 101);
}

#[test]
fn logging_staff_out_leaves_the_participant_session_in_the_same_browser() {
    let app = spawn_app();
    let (_, people) = app.open_relay(2, json!({}));
    let mut b = both_sessions(&app, &people[1].token);
    let cookie = b.jar.header();
    let res = app.send_raw(
        "POST",
        "/api/auth/logout",
        None,
        "application/json",
        b"{}",
        &[("Cookie", cookie.as_str()), ("X-CSRF-Token", &b.staff_csrf)],
    );
    assert_eq!(res.status, 204, "{}", res.text);
    assert!(set_cookie(&res, PARTICIPANT_COOKIE).is_none());
    assert!(set_cookie(&res, PARTICIPANT_CSRF_COOKIE).is_none());
    b.jar.store(&res);
    assert_eq!(
        b.jar.names(),
        vec![PARTICIPANT_COOKIE, PARTICIPANT_CSRF_COOKIE]
    );
    let cookie = b.jar.header();
    let with_jar = [("Cookie", cookie.as_str())];
    assert_eq!(app.get_with("/api/relays", &with_jar).status, 401);
    let me = app.get_with("/api/me", &with_jar);
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["participant"]["id"], people[1].id);
    let res = app.send_raw(
        "POST",
        "/api/me/questions",
        None,
        "application/json",
        json!({ "text": "Hvordan holder du fast i det, der virker?" })
            .to_string()
            .as_bytes(),
        &[
            ("Cookie", cookie.as_str()),
            ("X-CSRF-Token", &b.participant_csrf),
        ],
    );
    assert_eq!(res.status, 201, "{}", res.text);
}
