//! What the organisation tests share: a world of two organisations with their admins,\nfacilitators, analysts (granted and not) and relays, the callers it offers, and reading\nwhat each person sees.

use std::cell::Cell;
use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{self, Person, Res, TestApp, spawn_app};

/// Who asks. The columns of [`MATRIX`], in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// No credentials.
    Outsider,
    /// A participant of the relay (their link as a bearer token).
    PartHere,
    /// A participant of a relay of the other organisation.
    PartOther,
    /// Admin of the relay's organisation.
    AdminA,
    /// Facilitator of the relay's organisation.
    FacA,
    /// Analyst of the relay's organisation, granted the relay.
    AnaA,
    /// Admin of another organisation.
    AdminB,
    /// Facilitator of another organisation.
    FacB,
    /// Analyst of another organisation (granted a relay there).
    AnaB,
    /// Analyst of the relay's organisation, not granted the relay.
    AnaNotGranted,
    /// The facilitator's API token, revoked.
    RevokedToken,
    /// A staff session of the facilitator's that has ended (its absolute lifetime passed).
    ExpiredSession,
}

/// Every kind of caller, in the order of a matrix row's expected statuses.
pub const CALLERS: [Caller; 12] = [
    Caller::Outsider,
    Caller::PartHere,
    Caller::PartOther,
    Caller::AdminA,
    Caller::FacA,
    Caller::AnaA,
    Caller::AdminB,
    Caller::FacB,
    Caller::AnaB,
    Caller::AnaNotGranted,
    Caller::RevokedToken,
    Caller::ExpiredSession,
];

/// The world the matrix runs in: organisation A (the default, with relay `r` open, relay
/// `rc` closed) and organisation B (relay `rb` open), their staff and participants.
pub struct World {
    pub app: TestApp,
    pub org_a: i64,
    pub org_b: i64,
    pub r: i64,
    pub rc: i64,
    pub rb: i64,
    pub qid: i64,
    pub theme: i64,
    pub people: Vec<Person>,
    pub other: Vec<Person>,
    pub ana_a: i64,
    pub tokens: Vec<Option<String>>,
    pub fresh: Cell<usize>,
}

impl World {
    pub fn token(&self, c: Caller) -> Option<&str> {
        self.tokens[CALLERS.iter().position(|x| *x == c).unwrap()].as_deref()
    }

    /// A new number, for names that must differ.
    pub fn next(&self) -> usize {
        let n = self.fresh.get() + 1;
        self.fresh.set(n);
        n
    }
}

/// Asserts the status.
pub fn ok(res: &Res, status: u16) {
    assert_eq!(res.status, status, "{}", res.text);
}

/// Opens relay `relay` with `rows` as `token`'s; returns the participants with their links.
pub fn open_with(app: &TestApp, token: &str, relay: i64, rows: Value) -> Vec<Person> {
    ok(
        &app.post(
            &format!("/api/relays/{relay}/participants"),
            Some(token),
            &rows,
        ),
        200,
    );
    ok(
        &app.post(
            &format!("/api/relays/{relay}/open"),
            Some(token),
            &json!({}),
        ),
        200,
    );
    let mut people = app.participants_as(relay, token);
    app.read_links(&mut people);
    people
}

/// The body of a new relay.
pub fn relay_body() -> Value {
    json!({
        "title": "Ledelse på tværs",
        "topic": "Samarbejde",
        "purpose": "Spørgsmål mellem ledere.",
        "language": "da",
        "timezone": "Europe/Copenhagen",
        "starts_at": helpers::t0(),
    })
}

/// The world: both organisations, their people and relays, a question and a theme.
pub fn world() -> World {
    let app = spawn_app();
    let org_a = 1;
    let org_b = app.add_org("Region Nord");
    let (_, admin_a, _) = app.add_staff_in("admin.a@example.dk", "admin", None);
    let (_, ana_a_token, ana_a) = app.add_staff_in("ana.a@example.dk", "analyst", None);
    let (_, ana_ng, _) = app.add_staff_in("ana.ng@example.dk", "analyst", None);
    let (_, admin_b, _) = app.add_staff_in("admin.b@example.dk", "admin", Some(org_b));
    let (_, fac_b, _) = app.add_staff_in("fac.b@example.dk", "facilitator", Some(org_b));
    let (_, ana_b, _) = app.add_staff_in("ana.b@example.dk", "analyst", Some(org_b));

    // A closed relay first: the open relay's links are then the latest to each address.
    let (rc, _) = app.open_relay(3, json!({}));
    app.close_relay(rc);
    let (r, people) = app.open_relay(6, json!({}));
    let res = app.post("/api/relays", Some(&fac_b), &relay_body());
    ok(&res, 201);
    let rb = res.body["id"].as_i64().unwrap();
    assert_eq!(res.body["org_id"], org_b, "{}", res.text);
    let rows: Vec<Value> = (0..4)
        .map(|i| {
            json!({
                "name": format!("Nord Deltager{i}"),
                "email": format!("n{i}@region-nord.dk"),
                "group": if i % 2 == 0 { "Kommune" } else { "Region" },
            })
        })
        .collect();
    let other = open_with(&app, &fac_b, rb, json!(rows));
    for (relay, token, user) in [(r, &app.token, ana_a), (rc, &app.token, ana_a)] {
        ok(
            &app.post(
                &format!("/api/relays/{relay}/analysts"),
                Some(token),
                &json!({ "user_id": user }),
            ),
            200,
        );
    }
    let ana_b_id = user_id(&app, "ana.b@example.dk");
    ok(
        &app.post(
            &format!("/api/relays/{rb}/analysts"),
            Some(&admin_b),
            &json!({ "user_id": ana_b_id }),
        ),
        200,
    );
    let res = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvordan deler I viden på tværs af forvaltninger?" }),
    );
    ok(&res, 201);
    let qid = res.body["id"].as_i64().unwrap();
    let res = app.post(
        &format!("/api/relays/{r}/themes"),
        Some(&app.token),
        &json!({ "label": "Viden" }),
    );
    ok(&res, 201);
    let theme = res.body["id"].as_i64().unwrap();
    // A token revoked by its owner, and a session whose lifetime ended a day ago.
    let res = app.post(
        "/api/auth/tokens",
        Some(&app.token),
        &json!({ "name": "revoked", "expires_in_days": 1 }),
    );
    ok(&res, 201);
    let revoked = res.body["token"].as_str().unwrap().to_string();
    let tid = res.body["id"].as_i64().unwrap();
    ok(
        &app.delete(&format!("/api/auth/tokens/{tid}"), Some(&app.token)),
        204,
    );
    let fac_id = user_id(&app, &app.facilitator_email);
    let then = app.clock.now() - chrono::Duration::hours(24);
    let expired =
        app.write(move |conn| stafet::ops::staff::start_session(conn, fac_id, 1, None, then));
    let tokens = vec![
        None,
        Some(people[0].token.clone()),
        Some(other[0].token.clone()),
        Some(admin_a),
        Some(app.token.clone()),
        Some(ana_a_token),
        Some(admin_b),
        Some(fac_b),
        Some(ana_b),
        Some(ana_ng),
        Some(revoked),
        Some(expired),
    ];
    World {
        app,
        org_a,
        org_b,
        r,
        rc,
        rb,
        qid,
        theme,
        people,
        other,
        ana_a,
        tokens,
        fresh: Cell::new(0),
    }
}

/// The staff user's id by email.
pub fn user_id(app: &TestApp, email: &str) -> i64 {
    let mut conn = app.connect();
    stafet::db::staff::StaffUserRow::by_email(&mut conn, email)
        .unwrap()
        .unwrap()
        .id
}

/// The `email` of each entry of a list (members, participants).
pub fn emails_in(list: &Value) -> impl Iterator<Item = &str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
}

/// The ids of a list the request answered.
pub fn ids(res: &Res) -> BTreeSet<i64> {
    assert_eq!(res.status, 200, "{}", res.text);
    res.body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// Rows of the tables organisations live in, to prove a refused request changed nothing.
pub fn org_snapshot(app: &TestApp) -> Vec<i64> {
    [
        "orgs",
        "memberships",
        "relay_analysts",
        "relays",
        "staff_users",
        "invitations",
    ]
    .iter()
    .map(|t| app.count(t))
    .collect()
}

/// The actions in organisation `org`'s log as its admin reads them.
pub fn actions(app: &TestApp, org: i64, admin: Option<&str>) -> Vec<Value> {
    let res = app.get(&format!("/api/orgs/{org}/audit"), admin);
    assert_eq!(res.status, 200, "{}", res.text);
    res.body.as_array().unwrap().clone()
}

/// The staff session token a sign-in's cookie carries (usable as a bearer token).
pub fn session_of(res: &Res) -> String {
    let cookie = res
        .all_headers("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("stafet_staff="))
        .unwrap_or_else(|| panic!("no session cookie: {:?}", res.headers));
    cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string()
}
