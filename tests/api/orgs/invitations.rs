//! Invitations (issue 14): a link signs a new member up once within 72 hours, and an existing
//! account joins another organisation with its own password.

use serde_json::json;

use crate::helpers::refusals::Body::Json;
use crate::helpers::refusals::{assert_refused, refused};
use crate::helpers::smtp;
use crate::helpers::{self, TestApp, token_after};
use crate::orgs::world::*;

/// The invitation token in the last email to `to` the SMTP server received, waiting for it.
fn invitation_token(server: &smtp::SmtpServer, to: &str, nth: usize) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mine: Vec<smtp::Parsed> = server
            .messages()
            .into_iter()
            .filter(|m| m.to == to)
            .collect();
        if mine.len() >= nth {
            let text = &mine[nth - 1].text;
            return token_after(text, "/invite/").expect("an invitation link");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no invitation email to {to}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn smtp_app() -> (TestApp, smtp::SmtpServer) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = smtp::SmtpServer::start(listener);
    let app = helpers::spawn_app_with(move |s| {
        s.email.smtp.host = Some("127.0.0.1".into());
        s.email.smtp.port = port;
        s.email.smtp.tls = "none".into();
        s.email.smtp.timeout_secs = 5;
    });
    (app, server)
}

#[test]
fn an_invitation_link_signs_a_new_member_up_once_within_72_hours() {
    let (app, server) = smtp_app();
    let (_, admin, _) = app.add_staff_in("admin.a@example.dk", "admin", None);
    let invitations = "/api/orgs/1/invitations";
    let before = org_snapshot(&app);
    // Bad input and callers who may not invite: clear errors, nothing stored or sent.
    let someone = json!({ "email": "x@example.dk", "role": "analyst" });
    let by_admin = Some(admin.as_str());
    let invalid = "validation_failed";
    #[rustfmt::skip]
    let rows = [
        refused("POST", invitations, Some(&app.token), Json(someone.clone()), 403, "forbidden"),
        refused("POST", invitations, None, Json(someone.clone()), 401, "unauthorized"),
        refused("POST", invitations, by_admin, Json(json!({ "email": "not an address", "role": "analyst" })), 422, invalid),
        refused("POST", invitations, by_admin, Json(json!({ "email": "x@example.dk", "role": "owner" })), 422, invalid),
        refused("POST", invitations, by_admin, Json(json!({ "email": "x@example.dk" })), 422, invalid),
        refused("POST", invitations, by_admin, Json(json!({ "email": "fac@example.dk", "role": "analyst" })), 409, "already_member"),
        refused("POST", "/api/orgs/999/invitations", by_admin, Json(someone), 404, "not_found"),
    ];
    assert_refused(&app, &rows);
    assert_eq!(org_snapshot(&app), before);
    assert_eq!(app.count("email_outbox"), 0);

    let res = app.post(
        invitations,
        Some(&admin),
        &json!({ "email": " Ny.Facilitator@Example.dk ", "role": "facilitator" }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.body["email"], "ny.facilitator@example.dk");
    let token = invitation_token(&server, "ny.facilitator@example.dk", 1);
    let page = app.get(&format!("/invite/{token}"), None);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("invite.js"), "{}", page.text);
    let accept = format!("/api/auth/invitations/{token}");
    // A too short password is refused and leaves the link usable.
    let res = app.post(&accept, None, &json!({ "password": "kort" }));
    assert_eq!(res.status, 422, "{}", res.text);
    for bad in [helpers::unknown_token(), "not-a-token".to_string()] {
        let res = app.post(
            &format!("/api/auth/invitations/{bad}"),
            None,
            &json!({ "password": "et langt kodeord" }),
        );
        assert_eq!(res.status, 404, "{}", res.text);
    }
    let res = app.post(&accept, None, &json!({ "password": "et langt kodeord" }));
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["user"]["email"], "ny.facilitator@example.dk");
    let session = session_of(&res);
    let orgs = app.get("/api/orgs", Some(&session));
    assert_eq!(
        orgs.body,
        json!([{ "id": 1, "name": "Default organisation", "role": "facilitator", "require_totp": false }])
    );
    assert_eq!(
        app.post("/api/relays", Some(&session), &relay_body())
            .status,
        201
    );
    // Single use.
    let res = app.post(
        &accept,
        None,
        &json!({ "password": "et andet langt kodeord" }),
    );
    assert_eq!(res.status, 410, "{}", res.text);
    assert_eq!(res.code(), "invitation_used");
    // The password chosen is the account's.
    let login = json!({ "email": "ny.facilitator@example.dk", "password": "et langt kodeord" });
    assert_eq!(app.post("/api/auth/login", None, &login).status, 200);

    // 72 hours: a minute before, the link works; at 72 hours it does not.
    for (email, hours, minutes, status) in [
        ("early@example.dk", 71, 59, 200),
        ("late@example.dk", 72, 0, 410),
    ] {
        let res = app.post(
            invitations,
            Some(&admin),
            &json!({ "email": email, "role": "analyst" }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
        let token = invitation_token(&server, email, 1);
        app.clock
            .advance(chrono::Duration::hours(hours) + chrono::Duration::minutes(minutes));
        let res = app.post(
            &format!("/api/auth/invitations/{token}"),
            None,
            &json!({ "password": "et langt kodeord" }),
        );
        assert_eq!(res.status, status, "{email}: {}", res.text);
        if status == 410 {
            assert_eq!(res.code(), "invitation_expired");
            assert_eq!(app.count("staff_users WHERE email = 'late@example.dk'"), 0);
        }
    }
    let log = actions(&app, 1, Some(&admin));
    assert!(
        log.iter()
            .any(|e| e["action"] == "member_invited" && e["detail"]["role"] == "facilitator")
    );
    assert!(
        log.iter()
            .any(|e| e["action"] == "member_joined" && e["actor"] == "ny.facilitator@example.dk")
    );
}

#[test]
fn an_existing_account_joins_another_organisation_with_its_own_password() {
    let (app, server) = smtp_app();
    let org_b = app.add_org("Region Nord");
    let (_, admin_b, _) = app.add_staff_in("admin.b@example.dk", "admin", Some(org_b));
    let res = app.post(
        &format!("/api/orgs/{org_b}/invitations"),
        Some(&admin_b),
        &json!({ "email": app.facilitator_email, "role": "analyst" }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let token = invitation_token(&server, &app.facilitator_email, 1);
    let accept = format!("/api/auth/invitations/{token}");
    let res = app.post(
        &accept,
        None,
        &json!({ "password": "somebody else's guess" }),
    );
    assert_eq!(res.status, 401, "{}", res.text);
    let res = app.post(
        &accept,
        None,
        &json!({ "password": app.facilitator_password }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let orgs = app.get("/api/orgs", Some(&app.token));
    let roles: Vec<(i64, String)> = orgs
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_i64().unwrap(),
                o["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        vec![(1, "facilitator".into()), (org_b, "analyst".into())]
    );
    // Now in two organisations, but creating relays only in one: no org_id needed.
    assert_eq!(
        app.post("/api/relays", Some(&app.token), &relay_body())
            .status,
        201
    );
}
