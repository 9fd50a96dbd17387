//! `stafet user reset-totp`: the operator's way back in for a staff member who lost both their
//! authenticator and their recovery codes. The real binary against the test server's database
//! (a SQLite file, or the PostgreSQL database of the PostgreSQL pass), the server's own HTTP API
//! to check what it changed.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::helpers::{TestApp, binary, spawn_app};

/// The code an authenticator app shows for `secret` at `at` (SHA1, 6 digits, 30 seconds).
fn code_at(secret: &str, at: DateTime<Utc>) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret).build().unwrap();
    totp.generate(u64::try_from(at.timestamp()).unwrap())
        .to_string()
}

/// Runs `stafet user reset-totp --email EMAIL` on the app's database: success, stdout, stderr.
fn reset_totp(app: &TestApp, email: &str) -> (bool, String, String) {
    binary::cli(app, &["user", "reset-totp", "--email", email])
}

fn login_status(app: &TestApp, totp: Option<&str>) -> (u16, String) {
    let mut body = json!({ "email": app.facilitator_email, "password": app.facilitator_password });
    if let Some(code) = totp {
        body["totp"] = json!(code);
    }
    let res = app.post("/api/auth/login", None, &body);
    (res.status, res.code().to_string())
}

fn sessions(app: &TestApp) -> i64 {
    app.count("credentials WHERE kind = 'staff_session'")
}

#[test]
fn an_operator_resets_a_lost_authenticator_and_the_password_alone_signs_in_again() {
    let app = spawn_app();
    let (_, admin) = app.add_staff("admin@example.dk", "admin");
    let started = app.post("/api/auth/totp", Some(&app.token), &json!({}));
    let secret = started.body["secret"].as_str().unwrap().to_string();
    let code = code_at(&secret, app.clock.now());
    let on = app.post("/api/auth/totp", Some(&app.token), &json!({ "totp": code }));
    assert_eq!(on.status, 200, "{}", on.text);
    app.clock.advance(Duration::seconds(30));
    // Signed in twice with a code: two browser sessions, say one of them on the lost phone.
    for _ in 0..2 {
        let code = code_at(&secret, app.clock.now());
        assert_eq!(login_status(&app, Some(&code)).0, 200);
        app.clock.advance(Duration::seconds(30));
    }
    assert_eq!(sessions(&app), 2);
    assert_eq!(login_status(&app, None), (401, "totp_required".to_string()));

    // An unknown email changes nothing and says so.
    let (ok, _, err) = reset_totp(&app, "nobody@example.dk");
    assert!(!ok);
    assert!(err.contains("staff user"), "{err}");
    assert_eq!(app.count("staff_totp"), 1);

    let (ok, out, err) = reset_totp(&app, &app.facilitator_email.to_uppercase());
    assert!(ok, "{out}{err}");
    assert_eq!(
        out.trim(),
        "two-factor sign-in turned off; 2 browser session(s) ended"
    );
    assert_eq!(app.count("staff_totp"), 0);
    assert_eq!(app.count("totp_recovery_codes"), 0);
    assert_eq!(sessions(&app), 0);
    // The API token stays: it is revoked on its own, not by a lost phone.
    assert_eq!(app.get("/api/relays", Some(&app.token)).status, 200);
    assert_eq!(login_status(&app, None).0, 200);

    // The organisation's log says who did it: the operator, to whom, and nothing secret.
    let org = app.get("/api/orgs", Some(&admin)).body[0]["id"]
        .as_i64()
        .unwrap();
    let log = app.get(
        &format!("/api/orgs/{org}/audit?kind=totp_reset"),
        Some(&admin),
    );
    assert_eq!(log.status, 200, "{}", log.text);
    let rows = log.body.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{}", log.text);
    assert_eq!(rows[0]["actor"], "operator (command line)", "{}", log.text);
    assert!(!log.text.contains(&secret));

    // Again: nothing was on, nothing to end; still logged, still fine.
    let (ok, out, _) = reset_totp(&app, &app.facilitator_email);
    assert!(ok);
    assert_eq!(
        out.trim(),
        "two-factor sign-in was not on; 1 browser session(s) ended"
    );
}
