//! With an https public URL, every cookie is Secure and every response carries HSTS, whatever
//! `cookie_secure` says; over plain http neither is forced.

use serde_json::json;

use crate::helpers::{Res, TestApp, spawn_app, spawn_app_with};

fn login(app: &TestApp) -> Res {
    let res = app.post(
        "/api/auth/login",
        None,
        &json!({ "email": app.facilitator_email, "password": app.facilitator_password }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    res
}

/// The `Set-Cookie` headers that set a value (not the ones that clear one).
fn cookies(res: &Res) -> Vec<&str> {
    let cookies = res.all_headers("set-cookie");
    assert!(!cookies.is_empty(), "no cookie set");
    cookies
}

fn is_secure(cookie: &str) -> bool {
    cookie
        .split(';')
        .any(|attr| attr.trim().eq_ignore_ascii_case("secure"))
}

#[test]
fn an_https_public_url_makes_every_cookie_secure_and_sends_hsts() {
    let app = spawn_app_with(|s| {
        s.server.public_url = "https://stafet.example.dk".into();
        s.server.cookie_secure = false;
    });
    let staff = login(&app);
    for cookie in cookies(&staff) {
        assert!(is_secure(cookie), "staff cookie without Secure: {cookie}");
    }
    let (_, people) = app.open_relay(2, json!({}));
    let link = app.send_raw(
        "POST",
        &format!("/p/{}", people[0].token),
        None,
        "application/x-www-form-urlencoded",
        b"",
        &[],
    );
    assert!(link.status < 400, "{} {}", link.status, link.text);
    for cookie in cookies(&link) {
        assert!(
            is_secure(cookie),
            "participant cookie without Secure: {cookie}"
        );
    }
    for res in [
        staff,
        link,
        app.get("/api/relays", Some(&app.token)),
        app.get("/api/nothing-here", None),
        app.get("/app", None),
    ] {
        let hsts = res.header("strict-transport-security").unwrap_or("");
        assert!(
            hsts.starts_with("max-age=")
                && hsts["max-age=".len()..]
                    .split(';')
                    .next()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
                    >= 15_552_000,
            "HSTS of at least half a year: {hsts:?} (status {})",
            res.status
        );
    }
}

#[test]
fn over_plain_http_cookies_follow_the_setting_and_no_hsts_is_sent() {
    let app = spawn_app();
    let res = login(&app);
    assert!(res.header("strict-transport-security").is_none());
    for cookie in cookies(&res) {
        assert!(!is_secure(cookie), "{cookie}");
    }
    let forced = spawn_app_with(|s| s.server.cookie_secure = true);
    let res = login(&forced);
    assert!(res.header("strict-transport-security").is_none());
    for cookie in cookies(&res) {
        assert!(is_secure(cookie), "{cookie}");
    }
}
