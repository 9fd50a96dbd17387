//! TOTP two-factor sign-in for staff (issue 14): enrolling with a code computed here from the
//! secret the server hands out, sign-in with a code or a recovery code, replays and wrong codes
//! refused (and counted by the login rate limit), turning it off with the password, an
//! organisation's requirement closing staff routes until the person enrols, the audit log, and
//! bad input. Real server, real HTTP, the manual clock the server checks codes against.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::live;
use crate::helpers::refusals::Body::{Json, Raw};
use crate::helpers::refusals::{assert_refused, refused as row};
use crate::helpers::{Res, TestApp, spawn_app, spawn_app_with};

/// The code an authenticator app shows for `secret` at `at` (RFC 6238 defaults of `totp-rs`:
/// SHA1, 6 digits, 30 seconds).
fn code_at(secret: &str, at: DateTime<Utc>) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret).build().unwrap();
    totp.generate(u64::try_from(at.timestamp()).unwrap())
        .to_string()
}

/// A six-digit code that is not `code`.
fn wrong_code(code: &str) -> &'static str {
    if code == "123456" { "654321" } else { "123456" }
}

/// Fails unless `res` is the JSON error `status` with `code`.
fn refused(res: &Res, status: u16, code: &str) {
    assert_eq!((res.status, res.code()), (status, code), "{}", res.text);
}

/// `DELETE /api/auth/totp` with `body` as the holder of `token`.
fn turn_off(app: &TestApp, token: &str, body: &Value) -> Res {
    let body = body.to_string();
    app.send_raw(
        "DELETE",
        "/api/auth/totp",
        Some(token),
        "application/json",
        body.as_bytes(),
        &[],
    )
}

fn login(app: &TestApp, email: &str, password: &str, totp: Option<&str>) -> Res {
    let mut body = json!({ "email": email, "password": password });
    if let Some(code) = totp {
        body["totp"] = json!(code);
    }
    app.post("/api/auth/login", None, &body)
}

/// Starts and confirms enrolment for the holder of `token`; returns the secret and the
/// recovery codes.
fn enrol(app: &TestApp, token: &str) -> (String, Vec<String>) {
    let started = app.post("/api/auth/totp", Some(token), &json!({}));
    assert_eq!(started.status, 200, "{}", started.text);
    let secret = started.body["secret"].as_str().unwrap().to_string();
    let code = code_at(&secret, app.clock.now());
    let confirmed = app.post("/api/auth/totp", Some(token), &json!({ "totp": code }));
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    let codes = confirmed.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    // The confirming code's step is used up: sign-ins in these tests start a step later.
    app.clock.advance(Duration::seconds(30));
    (secret, codes)
}

fn default_org(app: &TestApp) -> i64 {
    app.get("/api/orgs", Some(&app.token)).body[0]["id"]
        .as_i64()
        .unwrap()
}

/// The audit rows of `kind` in `org`, read by its admin.
fn audit(app: &TestApp, admin: &str, org: i64, kind: &str) -> Vec<Value> {
    let res = app.get(&format!("/api/orgs/{org}/audit?kind={kind}"), Some(admin));
    assert_eq!(res.status, 200, "{}", res.text);
    res.body.as_array().unwrap().clone()
}

fn totp_on(app: &TestApp) -> bool {
    app.count("staff_totp WHERE enabled_at IS NOT NULL") == 1
}

#[test]
fn enrolment_then_sign_in_needs_a_current_unused_code() {
    let app = spawn_app();
    let (email, pw) = (
        app.facilitator_email.clone(),
        app.facilitator_password.clone(),
    );
    let (_, admin) = app.add_staff("admin@example.dk", "admin");

    let started = app.post("/api/auth/totp", Some(&app.token), &json!({}));
    assert_eq!(started.status, 200, "{}", started.text);
    let secret = started.body["secret"].as_str().unwrap().to_string();
    let uri = started.body["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Stafet:fac%40example.dk?"),
        "{uri}"
    );
    assert!(uri.contains(&format!("secret={secret}")) && uri.contains("issuer=Stafet"));
    // A pending secret changes nothing at sign-in.
    assert_eq!(login(&app, &email, &pw, None).status, 200);

    let wrong = app.post(
        "/api/auth/totp",
        Some(&app.token),
        &json!({ "totp": "000000" }),
    );
    let wrong = if code_at(&secret, app.clock.now()) == "000000" {
        app.post(
            "/api/auth/totp",
            Some(&app.token),
            &json!({ "totp": "111111" }),
        )
    } else {
        wrong
    };
    refused(&wrong, 422, "wrong_totp");
    assert!(!totp_on(&app));

    let code = code_at(&secret, app.clock.now());
    let confirmed = app.post("/api/auth/totp", Some(&app.token), &json!({ "totp": code }));
    assert_eq!(confirmed.status, 200, "{}", confirmed.text);
    let codes = confirmed.body["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    assert!(totp_on(&app));
    assert_eq!(app.count("totp_recovery_codes WHERE used_at IS NULL"), 10);
    // The codes are kept only as hashes.
    let plain = codes[0].as_str().unwrap().replace('-', "");
    assert_eq!(
        app.count(&format!(
            "totp_recovery_codes WHERE code_hash LIKE '%{plain}%'"
        )),
        0
    );
    let again = app.post("/api/auth/totp", Some(&app.token), &json!({}));
    refused(&again, 409, "totp_on");

    // The confirming code does not sign in: its step is used.
    let replay = login(&app, &email, &pw, Some(&code));
    refused(&replay, 401, "wrong_totp");

    app.clock.advance(Duration::seconds(30));
    let needed = login(&app, &email, &pw, None);
    refused(&needed, 401, "totp_required");
    // Whether the password was right shows only once it was.
    let code = code_at(&secret, app.clock.now());
    let bad_pw = login(&app, &email, "not the password", None);
    refused(&bad_pw, 401, "unauthorized");
    let bad_pw = login(&app, &email, "not the password", Some(&code));
    refused(&bad_pw, 401, "unauthorized");
    let other = wrong_code(&code);
    let wrong = login(&app, &email, &pw, Some(other));
    refused(&wrong, 401, "wrong_totp");

    let ok = login(&app, &email, &pw, Some(&code));
    assert_eq!(ok.status, 200, "{}", ok.text);
    let replay = login(&app, &email, &pw, Some(&code));
    refused(&replay, 401, "wrong_totp");
    // A code is still good a step later (clock skew), but not once it was used.
    app.clock.advance(Duration::seconds(30));
    assert_eq!(login(&app, &email, &pw, Some(&code)).code(), "wrong_totp");
    let next = code_at(&secret, app.clock.now());
    assert_eq!(login(&app, &email, &pw, Some(&next)).status, 200);

    let org = default_org(&app);
    let enabled = audit(&app, &admin, org, "totp_enabled");
    assert_eq!(enabled.len(), 1);
    assert_eq!(enabled[0]["actor"], email.as_str());
    let failed = audit(&app, &admin, org, "sign_in_failed");
    let wrong_codes = failed
        .iter()
        .filter(|r| r["detail"]["reason"] == "wrong_totp")
        .count();
    assert_eq!(wrong_codes, 4, "{failed:?}");
    let text = serde_json::to_string(&audit(&app, &admin, org, "")).unwrap();
    assert!(!text.contains(&secret) && !text.contains(&next));
}

#[test]
fn a_recovery_code_signs_in_once() {
    let app = spawn_app();
    let (email, pw) = (
        app.facilitator_email.clone(),
        app.facilitator_password.clone(),
    );
    let (_, admin) = app.add_staff("admin@example.dk", "admin");
    let (_, codes) = enrol(&app, &app.token);
    let typed = codes[3].to_uppercase().replace('-', " ");
    let ok = login(&app, &email, &pw, Some(&typed));
    assert_eq!(ok.status, 200, "{}", ok.text);
    let again = login(&app, &email, &pw, Some(&codes[3]));
    refused(&again, 401, "wrong_totp");
    let made_up = login(&app, &email, &pw, Some("aaaa-bbbb-cccc-dddd"));
    assert_eq!(made_up.code(), "wrong_totp");
    assert_eq!(app.count("totp_recovery_codes WHERE used_at IS NULL"), 9);
    let used = audit(&app, &admin, default_org(&app), "recovery_code_used");
    assert_eq!(used.len(), 1);
    assert_eq!(used[0]["detail"]["left"], 9);
}

#[test]
fn wrong_codes_count_against_the_login_rate_limit() {
    let app = spawn_app_with(|s| s.rate_limit.login_per_minute = 3);
    let (email, pw) = (
        app.facilitator_email.clone(),
        app.facilitator_password.clone(),
    );
    // Confirming spends one attempt of the budget too.
    let (secret, _) = enrol(&app, &app.token);
    let code = code_at(&secret, app.clock.now());
    let other = wrong_code(&code);
    assert_eq!(login(&app, &email, &pw, Some(other)).code(), "wrong_totp");
    assert_eq!(login(&app, &email, &pw, Some(other)).code(), "wrong_totp");
    let limited = login(&app, &email, &pw, Some(&code));
    refused(&limited, 429, "rate_limited");
}

#[test]
fn turning_it_off_needs_the_password() {
    let app = spawn_app();
    let (email, pw) = (
        app.facilitator_email.clone(),
        app.facilitator_password.clone(),
    );
    let (_, admin) = app.add_staff("admin@example.dk", "admin");
    let off = |password: &str| turn_off(&app, &app.token, &json!({ "password": password }));
    let nothing = off(&pw);
    refused(&nothing, 409, "totp_off");
    enrol(&app, &app.token);
    let wrong = off("not the password");
    refused(&wrong, 403, "wrong_password");
    assert!(totp_on(&app));
    assert_eq!(login(&app, &email, &pw, None).code(), "totp_required");
    assert_eq!(off(&pw).status, 204);
    assert!(!totp_on(&app));
    assert_eq!(app.count("totp_recovery_codes"), 0);
    assert_eq!(login(&app, &email, &pw, None).status, 200);
    assert_eq!(
        audit(&app, &admin, default_org(&app), "totp_disabled").len(),
        1
    );
}

#[test]
fn an_organisation_that_requires_it_closes_staff_routes_until_the_member_enrols() {
    let app = spawn_app();
    let (email, pw) = (
        app.facilitator_email.clone(),
        app.facilitator_password.clone(),
    );
    let (admin_pw, admin) = app.add_staff("admin@example.dk", "admin");
    let org = default_org(&app);
    let path = format!("/api/orgs/{org}");
    let by_fac = app.patch(&path, Some(&app.token), &json!({ "require_totp": true }));
    assert_eq!(by_fac.status, 403, "{}", by_fac.text);
    let outside = app.add_org("Andre");
    let hidden = app.patch(
        &format!("/api/orgs/{outside}"),
        Some(&admin),
        &json!({ "require_totp": true }),
    );
    assert_eq!(hidden.status, 404, "{}", hidden.text);

    let relay = app.create_relay(json!({}));
    let set = app.patch(&path, Some(&admin), &json!({ "require_totp": true }));
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.body["require_totp"], true);

    // Signing in still works; every staff route but the enrolment ones answers 403.
    assert_eq!(login(&app, &email, &pw, None).status, 200);
    for route in [
        "/api/relays",
        "/api/orgs",
        "/api/auth/tokens",
        "/api/auth/sessions",
    ] {
        let closed = app.get(route, Some(&app.token));
        assert_eq!(
            (closed.status, closed.code()),
            (403, "totp_required"),
            "{route}"
        );
    }
    assert_eq!(
        live::handshake_status(&app.base, &format!("/ws?relay={relay}"), Some(&app.token)),
        403
    );
    let me = app.get("/api/auth/me", Some(&app.token));
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["totp"], json!({ "on": false, "required": true }));
    assert_eq!(me.body["orgs"][0]["require_totp"], true);

    let (secret, _) = enrol(&app, &app.token);
    assert_eq!(app.get("/api/relays", Some(&app.token)).status, 200);
    assert_eq!(
        live::handshake_status(&app.base, &format!("/ws?relay={relay}"), Some(&app.token)),
        101
    );
    assert_eq!(
        app.get("/api/auth/me", Some(&app.token)).body["totp"]["on"],
        true
    );
    let off = turn_off(&app, &app.token, &json!({ "password": pw }));
    refused(&off, 409, "totp_required");
    assert!(totp_on(&app));
    let code = code_at(&secret, app.clock.now());
    assert_eq!(login(&app, &email, &pw, Some(&code)).status, 200);

    // The admin is a member too: closed until they enrol, then they lift the requirement.
    let closed = app.get(&format!("/api/orgs/{org}/members"), Some(&admin));
    assert_eq!(closed.code(), "totp_required");
    assert_eq!(login(&app, "admin@example.dk", &admin_pw, None).status, 200);
    enrol(&app, &admin);
    let lifted = app.patch(&path, Some(&admin), &json!({ "require_totp": false }));
    assert_eq!(lifted.status, 200, "{}", lifted.text);
    let changes = audit(&app, &admin, org, "totp_required_changed");
    let details: Vec<_> = changes.iter().map(|r| r["detail"].clone()).collect();
    assert_eq!(
        details,
        [
            json!({ "from": false, "to": true }),
            json!({ "from": true, "to": false })
        ]
    );
}

#[test]
fn bad_input_answers_json_errors_and_changes_nothing() {
    let app = spawn_app();
    let (_, admin) = app.add_staff("admin@example.dk", "admin");
    let org = default_org(&app);
    let not_started = app.post(
        "/api/auth/totp",
        Some(&app.token),
        &json!({ "totp": "123456" }),
    );
    refused(&not_started, 409, "totp_not_started");
    let before = app.snapshot();
    let (staff, admin) = (Some(app.token.as_str()), Some(admin.as_str()));
    let invalid = "validation_failed";
    let enrol = |body: Value| row("POST", "/api/auth/totp", staff, Json(body), 422, invalid);
    let require = |body: Value| {
        row(
            "PATCH",
            format!("/api/orgs/{org}"),
            admin,
            Json(body),
            422,
            invalid,
        )
    };
    let off = |body: Value| row("DELETE", "/api/auth/totp", staff, Json(body), 422, invalid);
    let login =
        json!({ "email": app.facilitator_email, "password": app.facilitator_password, "totp": 5 });
    #[rustfmt::skip]
    let rows = [
        enrol(json!({ "totp": 123456 })),
        enrol(json!({ "code": "123456" })),
        enrol(json!([])),
        enrol(json!("x")),
        row("POST", "/api/auth/totp", staff, Raw("application/json", b"{".to_vec()), 400, "malformed_json"),
        require(json!({ "require_totp": "yes" })),
        require(json!({})),
        require(json!({ "require_totp": true, "x": 1 })),
        row("PATCH", "/api/orgs/999999", admin, Json(json!({ "require_totp": true })), 404, "not_found"),
        off(json!({})),
        off(json!({ "password": 5 })),
        row("POST", "/api/auth/login", None, Json(login), 422, invalid),
    ];
    assert_refused(&app, &rows);
    assert_eq!(app.snapshot(), before);
    assert_eq!(app.count("staff_totp"), 0);
    assert_eq!(app.count("orgs WHERE require_totp"), 0);
}
