//! The web pages and their assets as a browser fetches them, and the two routes the console
//! needs: who is logged in, and the relay's stranded questions.

use serde_json::json;

use crate::helpers::spawn_app;

#[test]
fn the_pages_are_served_with_a_strict_csp_and_no_inline_script() {
    let app = spawn_app();
    for path in ["/app", "/console"] {
        let res = app.get(path, None);
        assert_eq!(res.status, 200, "{path}");
        assert!(res.header("content-type").unwrap().starts_with("text/html"));
        let csp = res.header("content-security-policy").unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
        // Every script is an external module from our own origin.
        for (i, _) in res.text.match_indices("<script") {
            let tag = &res.text[i..i + res.text[i..].find('>').unwrap()];
            assert!(
                tag.contains("src=\"/static/js/"),
                "{path}: inline script {tag}"
            );
        }
    }
}

#[test]
fn assets_are_served_with_their_type_and_revalidated_by_etag() {
    let app = spawn_app();
    let js = app.get("/static/js/app.js", None);
    assert_eq!(js.status, 200);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let etag = js.header("etag").unwrap().to_string();
    let again = app.get_with("/static/js/app.js", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.text.is_empty());
    let css = app.get("/static/stafet.css", None);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
}

#[test]
fn a_missing_asset_or_a_path_outside_the_frontend_is_a_json_404() {
    let app = spawn_app();
    for path in [
        "/static/nope.js",
        "/static/../Cargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/..%2fCargo.toml",
        "/static/js/../../Cargo.toml",
    ] {
        let res = app.get(path, None);
        assert_eq!(res.status, 404, "{path}: {}", res.text);
        assert!(!res.text.contains("[package]"), "{path} leaked a file");
        assert_eq!(res.code(), "not_found", "{path}");
    }
}

#[test]
fn the_root_sends_staff_to_the_console() {
    let app = spawn_app();
    let res = app.get("/", None);
    assert_eq!(res.status, 302);
    assert_eq!(res.header("location"), Some("/console"));
}

#[test]
fn auth_me_tells_the_console_who_is_logged_in() {
    let app = spawn_app();
    assert_eq!(app.get("/api/auth/me", None).status, 401);
    let res = app.get("/api/auth/me", Some(&app.token));
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["email"], app.facilitator_email);
    assert_eq!(res.body["user"]["role"], "facilitator");
}

#[test]
fn pending_questions_list_the_stranded_ones_without_content_in_an_anonymous_relay() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(4, json!({}));
    let text = "Hvordan holder I fast i borgerens perspektiv i en travl hverdag?";
    let asked = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": text }),
    );
    assert_eq!(asked.status, 201, "{}", asked.text);
    let recipient = asked.body["recipient"]["id"].as_i64().unwrap();

    let res = app.get(
        &format!("/api/relays/{relay}/questions/pending"),
        Some(&app.token),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let list = res.body.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["recipient"]["id"], recipient);
    assert_eq!(list[0]["asker_group"], people[0].group);
    assert!(list[0].get("text").is_none() && list[0].get("asker").is_none());
    assert!(!res.text.contains(&people[0].name) && !res.text.contains(text));

    // Answered questions leave the list.
    let owner = people.iter().find(|p| p.id == recipient).unwrap();
    let qid = asked.body["id"].as_i64().unwrap();
    let answered = app.post(
        &format!("/api/me/questions/{qid}/answer"),
        Some(&owner.token),
        &json!({ "text": "Vi tager en borgersag op på hvert eneste møde." }),
    );
    assert_eq!(answered.status, 201, "{}", answered.text);
    let res = app.get(
        &format!("/api/relays/{relay}/questions/pending"),
        Some(&app.token),
    );
    assert_eq!(res.body, json!([]));
}

#[test]
fn pending_questions_show_asker_and_text_when_the_relay_is_not_anonymous() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(3, json!({ "asker_anonymous": false }));
    let text = "Hvad har I lært af jeres seneste borgerinddragelse?";
    let asked = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": text }),
    );
    assert_eq!(asked.status, 201, "{}", asked.text);
    let res = app.get(
        &format!("/api/relays/{relay}/questions/pending"),
        Some(&app.token),
    );
    assert_eq!(res.body[0]["text"], text);
    assert_eq!(res.body[0]["asker"]["name"], people[0].name);
}

#[test]
fn pending_questions_of_an_unknown_relay_is_404() {
    let app = spawn_app();
    let res = app.get("/api/relays/999/questions/pending", Some(&app.token));
    assert_eq!(res.status, 404);
    assert_eq!(res.code(), "not_found");
}
