//! Magic links, black box: a GET shows a continue form and changes nothing (mail scanners), a
//! POST starts a cookie session that needs the CSRF token to write, a link posted from another
//! site starts nothing, and a bad, suspended or expired link gets a clear page with the relay's
//! title and names escaped, never a stack trace.

use chrono::Duration;
use serde_json::json;

use crate::helpers::sessions::*;
use crate::helpers::{
    PARTICIPANT_COOKIE, PARTICIPANT_CSRF_COOKIE, TestApp, spawn_app, unknown_token,
};

/// The first person's link in a relay of two just opened, and the settled state before anyone
/// uses it.
fn a_fresh_link(app: &TestApp) -> (String, Vec<(String, i64)>) {
    let (_, mut people) = app.open_relay(2, json!({}));
    let token = std::mem::take(&mut people[0].token);
    (token, settled_snapshot(app))
}

#[test]
fn get_on_a_magic_link_shows_a_continue_form_and_changes_nothing() {
    let app = spawn_app();
    let (token, before) = a_fresh_link(&app);
    let token = &token;
    for _ in 0..3 {
        let res = app.get(&format!("/p/{token}"), None);
        assert_eq!(res.status, 200, "{}", res.text);
        assert!(
            res.content_type_is("text/html"),
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
    let ask = |csrf: Option<&str>| {
        cookie_send_in(
            &app,
            PARTICIPANT_COOKIE,
            "POST",
            "/api/me/questions",
            &secret,
            csrf,
            &question,
        )
    };
    let snap = settled_snapshot(&app);
    let res = ask(None);
    assert_eq!(res.status, 403, "{}", res.text);
    assert_eq!(res.code(), "csrf");
    // The CSRF token of the link secret (what a bearer client would get) is not this session's.
    let other_csrf = app.get("/api/me", Some(token)).body["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(other_csrf, csrf);
    let res = ask(Some(&other_csrf));
    assert_eq!(res.status, 403, "{}", res.text);
    assert_eq!(app.snapshot(), snap, "refused writes change nothing");

    let res = ask(Some(&csrf));
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
    assert!(page.content_type_is("text/html"));
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
        assert!(res.content_type_is("text/html"), "{bad}");
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
    app.close_relay(relay);
    assert_eq!(
        app.get(&format!("/p/{}", people[0].token), None).status,
        200
    );
    app.clock.advance(Duration::days(31));
    let page = app.get(&format!("/p/{}", people[0].token), None);
    assert_eq!(page.status, 410, "{}", page.text);
    assert!(page.content_type_is("text/html"));
    assert_no_internals("expired", &page.text);
}

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
    assert!(me.content_type_is("application/json"));
}

#[test]
fn a_magic_link_posted_from_another_site_is_refused_and_starts_no_session() {
    let app = spawn_app();
    let (token, before) = a_fresh_link(&app);
    let token = &token;
    for header in CROSS_SITE {
        let res = redeem_with(&app, token, &[header]);
        assert_eq!(res.status, 403, "{header:?}: {}", res.text);
        assert!(res.content_type_is("text/html"), "{header:?}");
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
