//! Staff sign-in and sessions, black box: the session cookie and its flags, the same 401 for a
//! wrong password and an unknown email, secrets stored only as hashes, the CLI's printed
//! credentials, CSRF on cookie writes (and from other sites), logout and expiry, rate limits on
//! logins, links and bearer tokens, and staff and participant sessions side by side in one
//! browser.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::refusals::Body::Json;
use crate::helpers::refusals::{assert_refused, refused};
use crate::helpers::sessions::*;
use crate::helpers::{
    CookieJar, PARTICIPANT_COOKIE, PARTICIPANT_CSRF_COOKIE, Res, STAFF_COOKIE, STAFF_CSRF_COOKIE,
    TestApp, spawn_app, spawn_app_with, unknown_token,
};

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

/// [`cookie_get_in`] the staff cookie.
fn cookie_get(app: &TestApp, path: &str, secret: &str) -> Res {
    cookie_get_in(app, STAFF_COOKIE, path, secret)
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

#[test]
fn login_with_the_right_password_sets_an_httponly_strict_session_cookie() {
    let app = spawn_app();
    let res = try_login(&app, &app.facilitator_email, &app.facilitator_password);
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
    let wrong = try_login(&app, &app.facilitator_email, "not-the-password-123");
    let unknown = try_login(&app, "nobody@example.dk", "not-the-password-123");
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    assert_eq!(unknown.status, 401, "{}", unknown.text);
    assert_eq!(wrong.code(), "unauthorized");
    assert_eq!(wrong.text, unknown.text, "no hint which accounts exist");
    assert!(set_cookie(&wrong, STAFF_COOKIE).is_none());
    assert!(set_cookie(&unknown, STAFF_COOKIE).is_none());
    // An empty password never works.
    let empty = try_login(&app, &app.facilitator_email, "");
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
    let res = try_login(&app, "analytiker@example.dk", &password);
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
    let res = try_login(&app, "analytiker@example.dk", &token);
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

    // No token, a wrong, an empty and the session secret itself as token: all refused.
    let last = if csrf.ends_with('A') { "B" } else { "A" };
    let wrong = format!("{}{last}", &csrf[..csrf.len() - 1]);
    let rows: Vec<_> = [
        (None, "Uden CSRF"),
        (Some(wrong.as_str()), "Forkert CSRF"),
        (Some(""), "Forkert CSRF"),
        (Some(secret.as_str()), "Forkert CSRF"),
    ]
    .into_iter()
    .map(|(token, title)| {
        let row = refused(
            "POST",
            "/api/relays",
            None,
            Json(relay_body(title)),
            403,
            "csrf",
        );
        in_session(row, STAFF_COOKIE, &secret, token)
    })
    .collect();
    assert_refused(&app, &rows);
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
    let rows: Vec<_> = [(&fac_secret, &admin_csrf), (&admin_secret, &fac_csrf)]
        .into_iter()
        .map(|(secret, csrf)| {
            let body = Json(relay_body("Lånt CSRF"));
            let row = refused("POST", "/api/relays", None, body, 403, "csrf");
            in_session(row, STAFF_COOKIE, secret, Some(csrf))
        })
        .collect();
    assert_refused(&app, &rows);
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
        let res = try_login(&app, &app.facilitator_email, "guess-guess-guess");
        assert_eq!(res.status, 401, "{}", res.text);
    }
    // Even the right password is refused now.
    let res = try_login(&app, &app.facilitator_email, &app.facilitator_password);
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
    assert!(res.content_type_is("text/html"));
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
    let body = relay_body("Fra en anden side");
    let before = settled_snapshot(&app);
    let rows: Vec<_> = CROSS_SITE
        .into_iter()
        .map(|(name, value)| {
            let row = refused(
                "POST",
                "/api/relays",
                None,
                Json(body.clone()),
                403,
                "cross_site",
            );
            in_session(row, STAFF_COOKIE, &secret, Some(&csrf)).with_header(name, value)
        })
        .collect();
    assert_refused(&app, &rows);
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
    let login = try_login(app, &app.facilitator_email, &app.facilitator_password);
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
        app.send_json_with("POST", path, body, &headers)
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
