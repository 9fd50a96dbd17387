//! Which relays each person sees (issue 14): only those of their organisations and grants, where
//! a relay goes for someone in several organisations, and a database from before organisations
//! keeping everything reachable by the same people.

use std::collections::BTreeSet;

use serde_json::json;

use crate::helpers::{self, TestApp, spawn_app};
use crate::orgs::world::*;

fn db_conn(app: &TestApp) -> stafet::db::DbConn {
    app.connect()
}

#[test]
fn each_person_lists_only_the_relays_they_see() {
    let w = world();
    let (r, rc, rb) = (w.r, w.rc, w.rb);
    let expect: [(Caller, &[i64]); 7] = [
        (Caller::AdminA, &[r, rc]),
        (Caller::FacA, &[r, rc]),
        (Caller::AnaA, &[r, rc]),
        (Caller::AdminB, &[rb]),
        (Caller::FacB, &[rb]),
        (Caller::AnaB, &[rb]),
        (Caller::AnaNotGranted, &[]),
    ];
    for (caller, relays) in expect {
        let got = ids(&w.app.get("/api/relays", w.token(caller)));
        assert_eq!(got, relays.iter().copied().collect(), "{caller:?}");
    }
    let mine = w.app.get("/api/orgs", w.token(Caller::AdminB));
    assert_eq!(
        mine.body,
        json!([{ "id": w.org_b, "name": "Region Nord", "role": "admin", "require_totp": false }])
    );
    let me = w.app.get("/api/auth/me", w.token(Caller::AnaA));
    assert_eq!(me.body["orgs"][0]["id"], w.org_a, "{}", me.text);
    assert_eq!(me.body["orgs"][0]["role"], "analyst");
    // Another organisation's relay and a relay that never was answer the same bytes.
    let hidden = w
        .app
        .get(&format!("/api/relays/{rb}"), w.token(Caller::FacA));
    let missing = w.app.get("/api/relays/999999", w.token(Caller::FacA));
    assert_eq!(
        (hidden.status, &hidden.text),
        (missing.status, &missing.text)
    );
    // Participants of another organisation's relay are no business of this one.
    let theirs = format!("/api/relays/{rb}/participants/{}/suspend", w.other[1].id);
    let before = org_snapshot(&w.app);
    assert_eq!(
        w.app
            .post(&theirs, w.token(Caller::AdminA), &json!({}))
            .status,
        404
    );
    assert_eq!(org_snapshot(&w.app), before);
    // Only a member of the relay's organisation can be granted it.
    let b_member = user_id(&w.app, "ana.b@example.dk");
    let grant = w.app.post(
        &format!("/api/relays/{r}/analysts"),
        w.token(Caller::FacA),
        &json!({ "user_id": b_member }),
    );
    assert_eq!(grant.status, 422, "{}", grant.text);
    assert!(!ids(&w.app.get("/api/relays", w.token(Caller::AnaB))).contains(&r));
    let suspended = format!("participants WHERE id = {} AND is_suspended", w.other[1].id);
    assert_eq!(w.app.count(&suspended), 0);
}

#[test]
fn a_person_in_several_organisations_says_where_a_relay_goes() {
    let app = spawn_app();
    let org_b = app.add_org("Region Syd");
    let org_c = app.add_org("Region Øst");
    let (_, token, uid) = app.add_staff_in("both@example.dk", "facilitator", None);
    {
        let mut conn = db_conn(&app);
        let now = chrono::Utc::now().naive_utc();
        use stafet::db::memberships::Membership;
        use stafet::relay::StaffRole;
        Membership::set(&mut conn, org_b, uid, StaffRole::Facilitator, now).unwrap();
        Membership::set(&mut conn, org_c, uid, StaffRole::Analyst, now).unwrap();
    }
    let before = org_snapshot(&app);
    let res = app.post("/api/relays", Some(&token), &relay_body());
    assert_eq!(res.status, 422, "{}", res.text);
    assert_eq!(res.code(), "validation_failed");
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("org_id")
    );
    let mut body = relay_body();
    body["org_id"] = json!(999);
    assert_eq!(app.post("/api/relays", Some(&token), &body).status, 404);
    body["org_id"] = json!(org_c);
    let res = app.post("/api/relays", Some(&token), &body);
    assert_eq!(res.status, 403, "an analyst there: {}", res.text);
    body["org_id"] = json!("two");
    let res = app.post("/api/relays", Some(&token), &body);
    assert_eq!(res.status, 422, "{}", res.text);
    assert_eq!(org_snapshot(&app), before, "nothing was created");
    body["org_id"] = json!(org_b);
    let res = app.post("/api/relays", Some(&token), &body);
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.body["org_id"], org_b);
    // The default organisation's facilitator does not see it.
    let rid = res.body["id"].as_i64().unwrap();
    assert!(!ids(&app.get("/api/relays", Some(&app.token))).contains(&rid));
    assert!(ids(&app.get("/api/relays", Some(&token))).contains(&rid));
}

/// The SQL of a database as the release before organisations left it: three staff, an open
/// relay with two groups, participants, a question and its answer.
const BEFORE_ORGS: &str = "
INSERT INTO staff_users (id, email, role, password_hash, is_suspended, created_at) VALUES
  (1, 'admin@kommune.dk', 'admin', '{hash}', 0, '2026-11-20 09:00:00'),
  (2, 'fac@kommune.dk', 'facilitator', '{hash}', 0, '2026-11-20 09:00:00'),
  (3, 'ana@kommune.dk', 'analyst', '{hash}', 0, '2026-11-20 09:00:00');
INSERT INTO relays (id, title, topic, purpose, language, timezone, state, recipient_choice,
  cross_group, max_inbox, batons_per_round, max_batons, asker_anonymous, show_asker_group,
  reminder_after_hours, reroute_after_hours, share_output, seed, rounds_started, created_by,
  created_at, updated_at, opened_at) VALUES
  (7, 'Gammel stafet', 'Ledelse', 'Før organisationer.', 'da', 'Europe/Copenhagen', 'open',
   'auto', 0, 3, 1, 3, 1, 1, 24, 48, 0, 42, 1, 2, '2026-11-20 09:00:00', '2026-11-20 09:00:00',
   '2026-11-20 10:00:00');
INSERT INTO rounds (id, relay_id, position, name, starts_at, ends_at) VALUES
  (1, 7, 0, 'Runde 1', '2026-11-20 10:00:00', '2026-12-20 10:00:00');
INSERT INTO groups (id, relay_id, name) VALUES (1, 7, 'Kommune'), (2, 7, 'Stat');
INSERT INTO participants (id, relay_id, group_id, name, email, pseudonym, batons, inbox_count,
  received_count, created_at, updated_at) VALUES
  (1, 7, 1, 'Anne Ask', 'anne@kommune.dk', 'P-1', 1, 0, 1, '2026-11-20 09:00:00', '2026-11-20 09:00:00'),
  (2, 7, 2, 'Bo Birk', 'bo@stat.dk', 'P-2', 1, 0, 0, '2026-11-20 09:00:00', '2026-11-20 09:00:00');
INSERT INTO questions (id, relay_id, round_id, asker_id, recipient_id, text, status, asked_at,
  delivered_at, answered_at) VALUES
  (1, 7, 1, 2, 1, 'Hvad lærte I af sammenlægningen?', 'answered', '2026-11-20 11:00:00',
   '2026-11-20 11:00:00', '2026-11-20 12:00:00');
INSERT INTO deliveries (question_id, asker_id, recipient_id, delivered_at, ended_at, outcome)
  VALUES (1, 2, 1, '2026-11-20 11:00:00', '2026-11-20 12:00:00', 'answered');
INSERT INTO answers (question_id, author_id, text, created_at) VALUES
  (1, 1, 'At tale med borgerne tidligt.', '2026-11-20 12:00:00');
";

#[test]
fn a_database_from_before_organisations_keeps_everything_reachable_by_the_same_people() {
    use diesel::connection::SimpleConnection as _;
    use diesel_migrations::MigrationHarness as _;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("before.sqlite");
    let password = "correct horse battery staple";
    {
        let mut conn =
            <diesel::SqliteConnection as diesel::Connection>::establish(file.to_str().unwrap())
                .unwrap();
        conn.batch_execute("PRAGMA foreign_keys = ON").unwrap();
        // Every migration of the SQLite tree before this one, as the previous release ran them.
        let pending = conn
            .pending_migrations(stafet::db::migrate::SQLITE)
            .unwrap();
        for m in pending
            .iter()
            .filter(|m| m.name().to_string().as_str() < "2026-11-30")
        {
            conn.run_migration(m.as_ref()).unwrap();
        }
        assert!(
            conn.batch_execute("SELECT org_id FROM relays").is_err(),
            "the schema before organisations"
        );
        let hash = stafet::auth::password::hash(password).unwrap();
        conn.batch_execute(&BEFORE_ORGS.replace("{hash}", &hash))
            .unwrap();
    }
    let path = file.to_str().unwrap().to_string();
    let app = helpers::spawn_app_with(move |s| s.database.url = path);
    let token_of = |email: &str| {
        let res = app.post(
            "/api/auth/login",
            None,
            &json!({ "email": email, "password": password }),
        );
        assert_eq!(res.status, 200, "{email}: {}", res.text);
        session_of(&res)
    };
    for (email, role) in [
        ("admin@kommune.dk", "admin"),
        ("fac@kommune.dk", "facilitator"),
        ("ana@kommune.dk", "analyst"),
    ] {
        let token = token_of(email);
        let t = Some(token.as_str());
        let orgs = app.get("/api/orgs", t);
        assert_eq!(orgs.body[0]["id"], 1, "{}", orgs.text);
        assert_eq!(orgs.body[0]["role"], role, "{email}");
        assert_eq!(
            ids(&app.get("/api/relays", t)),
            BTreeSet::from([7]),
            "{email}"
        );
        let relay = app.get("/api/relays/7", t);
        assert_eq!(relay.body["org_id"], 1, "{}", relay.text);
        let corpus = app.get("/api/relays/7/corpus?format=json", t);
        assert_eq!(corpus.status, 200, "{email}: {}", corpus.text);
        assert!(
            corpus.text.contains("Hvad lærte I af sammenlægningen?"),
            "{email}"
        );
        assert!(
            corpus.text.contains("At tale med borgerne tidligt."),
            "{email}"
        );
        // Names as before: facilitators and admins only.
        assert_eq!(
            corpus.text.contains("Anne Ask"),
            role != "analyst",
            "{email}"
        );
        let participants = app.get("/api/relays/7/participants", t);
        assert_eq!(
            participants.status,
            if role == "analyst" { 403 } else { 200 }
        );
    }
    let admin = token_of("admin@kommune.dk");
    let members = app.get("/api/orgs/1/members", Some(&admin));
    let emails: BTreeSet<&str> = emails_in(&members.body).collect();
    assert!(
        ["admin@kommune.dk", "fac@kommune.dk", "ana@kommune.dk"]
            .iter()
            .all(|e| emails.contains(e)),
        "{emails:?}"
    );
}
