//! Who may open the websocket: no credentials, analysts, participants of nothing and other
//! origins are refused.

use serde_json::json;

use crate::helpers::sessions::*;
use crate::helpers::{PARTICIPANT_COOKIE, spawn_app, unknown_token};

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
