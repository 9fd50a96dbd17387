//! Bad credentials on the API get a clear JSON error and change nothing (SPEC §4, §6): a wrong
//! or missing link (401), the wrong kind of credential (403), a suspended participant's link
//! (403), and a link thirty days after its relay closed.

use chrono::Duration;
use serde_json::json;

use crate::helpers::fixtures::*;
use crate::helpers::refusals::Body::{Empty, Json};
use crate::helpers::refusals::{assert_refused, refused};
use crate::helpers::{self, relay_body, spawn_app};

#[test]
fn a_wrong_or_missing_link_is_refused_with_401() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    // Well-formed (an id and 43 URL-safe characters) but never issued.
    let random = helpers::unknown_token();
    let malformed = [
        "abc".to_string(),
        format!("{}!", &random[..random.len() - 1]),
        format!("{random}x"),
        " ".repeat(random.len()),
        // A bare secret, as tokens looked before they carried their credential's id.
        stafet::auth::tokens::generate(),
    ];
    let mut tokens = vec![random.clone()];
    tokens.extend(malformed);
    let question = json!({ "text": "Hvordan giver du dine ledere rum til at lede?" });
    let answer = format!("/api/me/questions/{}/answer", a.qid);
    let mut rows = Vec::new();
    for token in &tokens {
        let t = Some(token.as_str());
        #[rustfmt::skip]
        let more = [
            refused("GET", "/api/me", t, Empty, 401, "unauthorized"),
            refused("GET", "/api/me/events?since=0", t, Empty, 401, "unauthorized"),
            refused("POST", "/api/me/questions", t, Json(question.clone()), 401, "unauthorized"),
            refused("POST", &answer, t, Json(json!({ "text": "Et svar fra en fremmed." })), 401, "unauthorized"),
            refused("GET", "/api/relays", t, Empty, 401, "unauthorized"),
        ];
        rows.extend(more);
    }
    // No credentials at all.
    #[rustfmt::skip]
    let more = [
        refused("GET", "/api/me", None, Empty, 401, "unauthorized"),
        refused("POST", "/api/me/questions", None, Json(json!({ "text": "Hvem er jeg mon i dag?" })), 401, "unauthorized"),
        refused("POST", "/api/relays", None, Json(relay_body()), 401, "unauthorized"),
    ];
    rows.extend(more);
    assert_refused(&app, &rows);
    // A header that is not a bearer token.
    let res = app.get_with("/api/me", &[("Authorization", &format!("Basic {random}"))]);
    assert_error(&res, 401, "unauthorized");
    // The magic-link page for an unknown link says so, and redeeming it starts no session.
    let page = app.get(&format!("/p/{random}"), None);
    assert_eq!(page.status, 401, "{}", page.text);
    let res = app.send_raw("POST", &format!("/p/{random}"), None, "", b"", &[]);
    assert_eq!(res.status, 401, "{}", res.text);
    assert!(res.header("set-cookie").is_none());
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
}

#[test]
fn the_wrong_kind_of_credentials_is_refused_with_403() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    let staff = Some(app.token.as_str());
    let p = Some(a.asker().token.as_str());
    let question = json!({ "text": "Hvordan giver du dine ledere rum til at lede?" });
    #[rustfmt::skip]
    let rows = [
        // A facilitator is not a participant.
        refused("GET", "/api/me", staff, Empty, 403, "forbidden"),
        refused("POST", "/api/me/questions", staff, Json(question), 403, "forbidden"),
        // A participant is not staff.
        refused("GET", "/api/relays", p, Empty, 403, "forbidden"),
        refused("GET", format!("/api/relays/{}/participants", a.relay), p, Empty, 403, "forbidden"),
        refused("POST", format!("/api/relays/{}/close", a.relay), p, Json(json!({})), 403, "forbidden"),
        refused("POST", format!("/api/questions/{}/reroute", a.qid), p, Json(json!({})), 403, "forbidden"),
    ];
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(relay_state(&app, a.relay), "open");
}

#[test]
fn a_suspended_participants_link_is_refused_with_403() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let res = app.post(
        &format!(
            "/api/relays/{}/participants/{}/suspend",
            a.relay,
            a.bystander().id
        ),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let before = fingerprint(&app, Some(a.relay));
    let token = a.bystander().token.clone();
    let question = json!({ "text": "Må jeg stadig spørge om noget?" });
    #[rustfmt::skip]
    let rows = [
        refused("GET", "/api/me", Some(&token), Empty, 403, "suspended"),
        refused("POST", "/api/me/questions", Some(&token), Json(question), 403, "suspended"),
    ];
    assert_refused(&app, &rows);
    assert_eq!(app.get(&format!("/p/{token}"), None).status, 403);
    assert_unchanged(&app, Some(a.relay), &before);
}

#[test]
fn a_link_stops_working_thirty_days_after_the_relay_closed() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    app.close_relay(a.relay);
    // Within the 30 days the link still reads the output.
    app.advance(Duration::days(29));
    assert_eq!(app.get("/api/me", Some(&a.asker().token)).status, 200);

    app.advance(Duration::days(2));
    let before = fingerprint(&app, Some(a.relay));
    let question = json!({ "text": "Kan jeg stadig stille et spørgsmål?" });
    let answer = json!({ "text": "Et svar der kommer alt for sent." });
    #[rustfmt::skip]
    let rows = [
        refused("GET", "/api/me", Some(&a.asker().token), Empty, 410, "link_expired"),
        refused("GET", "/api/me/events?since=0", Some(&a.asker().token), Empty, 410, "link_expired"),
        refused("POST", "/api/me/questions", Some(&a.asker().token), Json(question.clone()), 410, "link_expired"),
        refused("GET", "/api/me", Some(&a.recipient().token), Empty, 410, "link_expired"),
        refused("GET", "/api/me/events?since=0", Some(&a.recipient().token), Empty, 410, "link_expired"),
        refused("POST", "/api/me/questions", Some(&a.recipient().token), Json(question), 410, "link_expired"),
        refused("POST", format!("/api/me/questions/{}/answer", a.qid), Some(&a.recipient().token), Json(answer), 410, "link_expired"),
    ];
    assert_refused(&app, &rows);
    for who in [a.asker(), a.recipient()] {
        let page = app.get(&format!("/p/{}", who.token), None);
        assert_eq!(page.status, 410, "{}", page.text);
        let res = app.send_raw("POST", &format!("/p/{}", who.token), None, "", b"", &[]);
        assert_eq!(res.status, 410, "{}", res.text);
        assert!(res.header("set-cookie").is_none());
    }
    assert_unchanged(&app, Some(a.relay), &before);
}
