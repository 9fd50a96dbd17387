//! The audit log (issue 14): who did what, without texts or secrets, exported as CSV; the
//! schedule's openings and closings as the system; old rows deleted by the scheduler.

use serde_json::json;

use crate::helpers::refusals::Body::Empty;
use crate::helpers::refusals::{assert_refused, refused};
use crate::helpers::{self, spawn_app};
use crate::orgs::world::*;

#[test]
fn the_audit_log_records_who_did_what_and_exports_it_as_csv() {
    let w = world();
    let app = &w.app;
    let (fac, admin) = (w.token(Caller::FacA), w.token(Caller::AdminA));
    let r = w.r;
    // Sign-ins: a success, a wrong password, an unknown address.
    let login = |email: &str, password: &str| {
        app.post(
            "/api/auth/login",
            None,
            &json!({ "email": email, "password": password }),
        )
        .status
    };
    assert_eq!(
        login(&app.facilitator_email, &app.facilitator_password),
        200
    );
    assert_eq!(login(&app.facilitator_email, "not the password"), 401);
    assert_eq!(login("=cmd|nobody@example.dk", "whatever"), 401);
    // Relay work of every kind.
    let p = &w.people;
    assert_eq!(
        app.patch(
            &format!("/api/relays/{r}"),
            fac,
            &json!({ "title": "Ledelse på tværs 2" })
        )
        .status,
        200
    );
    for step in ["suspend", "unsuspend"] {
        let path = format!("/api/relays/{r}/participants/{}/{step}", p[5].id);
        assert_eq!(app.post(&path, fac, &json!({})).status, 200);
    }
    let path = format!("/api/relays/{r}/participants/{}/resend-email", p[4].id);
    assert_eq!(app.post(&path, fac, &json!({})).status, 202);
    assert_eq!(
        app.post(
            &format!("/api/questions/{}/reroute", w.qid),
            fac,
            &json!({})
        )
        .status,
        200
    );
    assert_eq!(
        app.get(
            &format!("/api/relays/{r}/corpus?format=csv"),
            w.token(Caller::AnaA)
        )
        .status,
        200
    );
    assert_eq!(
        app.post(
            &format!("/api/relays/{r}/themes/cluster"),
            w.token(Caller::AnaA),
            &json!({})
        )
        .status,
        200
    );
    let members = format!("/api/orgs/{}/members", w.org_a);
    assert_eq!(
        app.patch(
            &format!("{members}/{}", w.ana_a),
            admin,
            &json!({ "role": "facilitator" })
        )
        .status,
        200
    );
    assert_eq!(
        app.delete(&format!("{members}/{}", w.ana_a), admin).status,
        204
    );

    let log = actions(app, w.org_a, admin);
    let has = |action: &str| log.iter().filter(|e| e["action"] == action).count();
    for action in [
        "sign_in",
        "sign_in_failed",
        "relay_created",
        "relay_changed",
        "relay_opened",
        "relay_closed",
        "participants_imported",
        "participant_suspended",
        "participant_unsuspended",
        "email_resent",
        "question_rerouted",
        "corpus_exported",
        "themes_run",
        "analyst_granted",
        "role_changed",
        "member_removed",
    ] {
        assert!(has(action) > 0, "no {action} in {log:#?}");
    }
    let export = log
        .iter()
        .find(|e| e["action"] == "corpus_exported")
        .unwrap();
    assert_eq!(export["actor"], "ana.a@example.dk");
    assert_eq!(export["relay_id"], r);
    assert_eq!(export["detail"]["format"], "csv");
    let role = log.iter().find(|e| e["action"] == "role_changed").unwrap();
    assert_eq!(role["actor"], "admin.a@example.dk");
    assert_eq!(
        role["detail"],
        json!({ "from": "analyst", "to": "facilitator" })
    );
    let failed: Vec<_> = log
        .iter()
        .filter(|e| e["action"] == "sign_in_failed")
        .collect();
    assert_eq!(
        failed.len(),
        1,
        "the wrong password, not the unknown address: {failed:?}"
    );
    assert_eq!(failed[0]["detail"]["reason"], "wrong_password");
    // The unknown address is in no organisation's log; nothing of A is in B's.
    assert_eq!(
        app.count("audit_log WHERE org_id IS NULL AND action = 'sign_in_failed'"),
        1
    );
    let b = actions(app, w.org_b, w.token(Caller::AdminB));
    assert!(
        b.iter()
            .all(|e| e["relay_id"].is_null() || e["relay_id"] == w.rb),
        "{b:#?}"
    );
    assert!(b.iter().any(|e| e["action"] == "relay_created"));
    // No question or answer text, password or secret in any row.
    let everything = app.get(&format!("/api/orgs/{}/audit", w.org_a), admin).text;
    for secret in [
        "Hvordan deler I viden",
        app.facilitator_password.as_str(),
        "not the password",
        app.token.as_str(),
        p[0].token.as_str(),
    ] {
        assert!(!everything.contains(secret), "{secret} in the log");
    }
    // Filters.
    let opened = app.get(
        &format!("/api/orgs/{}/audit?kind=relay_opened", w.org_a),
        admin,
    );
    assert_eq!(opened.status, 200);
    let opened = opened.body.as_array().unwrap();
    assert_eq!(opened.len(), 2, "{opened:?}");
    assert!(opened.iter().all(|e| e["action"] == "relay_opened"));
    let later = (app.clock.now() + chrono::Duration::hours(1)).to_rfc3339();
    let later = later.replace('+', "%2B");
    let res = app.get(&format!("/api/orgs/{}/audit?since={later}", w.org_a), admin);
    assert_eq!(res.body, json!([]), "{}", res.text);
    let audit = |query: &str, status, code| {
        let path = format!("/api/orgs/{}/audit?{query}", w.org_a);
        refused("GET", path, admin, Empty, status, code)
    };
    let rows = [
        audit("kind=flying", 422, "validation_failed"),
        audit("since=yesterday", 400, "bad_query"),
        audit("format=pdf", 422, "validation_failed"),
        audit("colour=red", 400, "bad_query"),
    ];
    assert_refused(app, &rows);
    // CSV: a header and one line per row, formula triggers defused.
    let csv = app.get(&format!("/api/orgs/{}/audit?format=csv", w.org_a), admin);
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "at",
            "actor",
            "action",
            "target_kind",
            "target_id",
            "relay_id",
            "detail"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), log.len());
    assert!(
        rows.iter()
            .any(|r| &r[3] == "corpus_exported" && &r[2] == "ana.a@example.dk")
    );
}

#[test]
fn audit_rows_older_than_keep_days_are_deleted_by_the_scheduler() {
    let app = helpers::spawn_app_with(|s| {
        s.audit.keep_days = 30;
        s.scheduler.tick_ms = 50;
    });
    let login = json!({ "email": app.facilitator_email, "password": app.facilitator_password });
    assert_eq!(app.post("/api/auth/login", None, &login).status, 200);
    assert_eq!(app.count("audit_log"), 1);
    app.clock.advance(chrono::Duration::days(29));
    assert_eq!(app.post("/api/auth/login", None, &login).status, 200);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(app.count("audit_log"), 2, "29 days old is kept");
    app.clock.advance(chrono::Duration::days(2));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.count("audit_log") != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the 31-day-old row is still there"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn the_schedule_opens_and_closes_relays_in_the_audit_log_as_the_system() {
    let app = spawn_app();
    let (_, admin, _) = app.add_staff_in("admin.a@example.dk", "admin", None);
    let relay = app.create_relay(json!({}));
    app.import_people(relay, 2);
    let res = app.post(
        &format!("/api/relays/{relay}/schedule"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    app.advance(chrono::Duration::days(1));
    app.advance(chrono::Duration::days(10));
    let log = actions(&app, 1, Some(&admin));
    let by = |action: &str| -> Vec<String> {
        log.iter()
            .filter(|e| e["action"] == action && e["relay_id"] == relay)
            .map(|e| e["actor"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(by("relay_scheduled"), ["fac@example.dk"]);
    assert_eq!(by("relay_opened"), ["system"], "{log:#?}");
    assert_eq!(by("relay_closed"), ["system"], "{log:#?}");
}
