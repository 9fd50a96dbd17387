//! Organisations (issue 14): the authorisation matrix of every `/api/` route, the websocket,
//! the report and each export format; members, roles and the last admin; analysts' grants;
//! the audit log and its CSV.

use std::cell::Cell;
use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::live;
use crate::helpers::refusals::Body::{Empty, Json, Raw};
use crate::helpers::refusals::{assert_refused, refused};
use crate::helpers::smtp;
use crate::helpers::{self, Person, Res, TestApp, binary, spawn_app};

/// Who asks. The columns of [`MATRIX`], in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
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

const CALLERS: [Caller; 12] = [
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
struct World {
    app: TestApp,
    org_a: i64,
    org_b: i64,
    r: i64,
    rc: i64,
    rb: i64,
    qid: i64,
    theme: i64,
    people: Vec<Person>,
    other: Vec<Person>,
    ana_a: i64,
    tokens: Vec<Option<String>>,
    fresh: Cell<usize>,
}

impl World {
    fn token(&self, c: Caller) -> Option<&str> {
        self.tokens[CALLERS.iter().position(|x| *x == c).unwrap()].as_deref()
    }

    /// A new number, for names that must differ.
    fn next(&self) -> usize {
        let n = self.fresh.get() + 1;
        self.fresh.set(n);
        n
    }
}

fn ok(res: &Res, status: u16) {
    assert_eq!(res.status, status, "{}", res.text);
}

/// Opens relay `relay` with `rows` as `token`'s; returns the participants with their links.
fn open_with(app: &TestApp, token: &str, relay: i64, rows: Value) -> Vec<Person> {
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
    let list = app.get(&format!("/api/relays/{relay}/participants"), Some(token));
    let mut people: Vec<Person> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| Person {
            id: p["id"].as_i64().unwrap(),
            name: p["name"].as_str().unwrap().into(),
            email: p["email"].as_str().unwrap().into(),
            group: p["group"].as_str().unwrap().into(),
            token: String::new(),
        })
        .collect();
    app.read_links(&mut people);
    people
}

fn relay_body() -> Value {
    json!({
        "title": "Ledelse på tværs",
        "topic": "Samarbejde",
        "purpose": "Spørgsmål mellem ledere.",
        "language": "da",
        "timezone": "Europe/Copenhagen",
        "starts_at": helpers::t0(),
    })
}

fn world() -> World {
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
    ok(
        &app.post(
            &format!("/api/relays/{rc}/close"),
            Some(&app.token),
            &json!({}),
        ),
        200,
    );
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

fn user_id(app: &TestApp, email: &str) -> i64 {
    let mut conn = app.connect();
    stafet::db::staff::StaffUserRow::by_email(&mut conn, email)
        .unwrap()
        .unwrap()
        .id
}

/// One row of the matrix: a method, the route as registered, how to build the concrete path
/// (which may set up what the request consumes), a body, and the expected status per caller.
struct Row {
    method: &'static str,
    route: &'static str,
    path: fn(&World) -> String,
    body: fn(&World) -> Value,
    expect: [u16; 12],
}

const fn row(
    method: &'static str,
    route: &'static str,
    path: fn(&World) -> String,
    body: fn(&World) -> Value,
    expect: [u16; 12],
) -> Row {
    Row {
        method,
        route,
        path,
        body,
        expect,
    }
}

fn none(_: &World) -> Value {
    Value::Null
}

fn empty(_: &World) -> Value {
    json!({})
}

/// Columns: Outsider, PartHere, PartOther, AdminA, FacA, AnaA, AdminB, FacB, AnaB,
/// AnaNotGranted, RevokedToken, ExpiredSession (a credential that ended is no credential: the
/// outsider's answer). Relay routes name relay `r` of organisation A (or what belongs to it).
/// 401 no credentials · 403 seen but not for this role (participants on staff routes, staff on
/// participant routes, analysts on facilitator routes) · 404 outside what the caller sees,
/// the same answer as for what does not exist · 409/422 allowed, refused by the state or the
/// body. `WS` rows are websocket handshakes (101: connected).
#[rustfmt::skip]
const MATRIX: &[Row] = &[
    //                                                                                              Out  PHr  POt  AdA  FaA  AnA  AdB  FaB  AnB  AnNG Rvk  Exp
    row("POST",  "/api/auth/login", |_| "/api/auth/login".into(), |_| json!({"email": "nobody@example.dk", "password": "wrong password"}),
                                                                                                 [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
    row("GET",   "/api/auth/me", |_| "/api/auth/me".into(), none,                              [401, 403, 403, 200, 200, 200, 200, 200, 200, 200, 401, 401]),
    row("GET",   "/api/orgs", |_| "/api/orgs".into(), none,                                    [401, 403, 403, 200, 200, 200, 200, 200, 200, 200, 401, 401]),
    row("GET",   "/api/orgs/{oid}/members", |w| format!("/api/orgs/{}/members", w.org_a), none,
                                                                                                 [401, 403, 403, 200, 403, 403, 404, 404, 404, 403, 401, 401]),
    row("PATCH", "/api/orgs/{oid}/members/{uid}", |w| format!("/api/orgs/{}/members/{}", w.org_a, w.ana_a), |_| json!({"role": "analyst"}),
                                                                                                 [401, 403, 403, 200, 403, 403, 404, 404, 404, 403, 401, 401]),
    row("DELETE", "/api/orgs/{oid}/members/{uid}", |w| {
            let n = w.next();
            let (_, _, uid) = w.app.add_staff_in(&format!("leaving{n}@example.dk"), "facilitator", None);
            format!("/api/orgs/{}/members/{uid}", w.org_a)
        }, none,                                                                                 [401, 403, 403, 204, 403, 403, 404, 404, 404, 403, 401, 401]),
    row("POST",  "/api/orgs/{oid}/invitations", |w| format!("/api/orgs/{}/invitations", w.org_a), |w| json!({"email": format!("invited{}@example.dk", w.next()), "role": "analyst"}),
                                                                                                 [401, 403, 403, 201, 403, 403, 404, 404, 404, 403, 401, 401]),
    row("POST",  "/api/auth/invitations/{token}", |_| format!("/api/auth/invitations/{}", helpers::unknown_token()), |_| json!({"password": "et langt kodeord"}),
                                                                                                 [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    row("GET",   "/api/orgs/{oid}/audit", |w| format!("/api/orgs/{}/audit", w.org_a), none,   [401, 403, 403, 200, 403, 403, 404, 404, 404, 403, 401, 401]),
    row("GET",   "/api/orgs/{oid}/audit", |w| format!("/api/orgs/{}/audit?format=csv", w.org_a), none,
                                                                                                 [401, 403, 403, 200, 403, 403, 404, 404, 404, 403, 401, 401]),
    row("GET",   "/api/relays", |_| "/api/relays".into(), none,                                [401, 403, 403, 200, 200, 200, 200, 200, 200, 200, 401, 401]),
    row("POST",  "/api/relays", |_| "/api/relays".into(), |_| relay_body(),                    [401, 403, 403, 201, 201, 403, 201, 201, 403, 403, 401, 401]),
    row("GET",   "/api/relays/{id}", |w| format!("/api/relays/{}", w.r), none,                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("PATCH", "/api/relays/{id}", |w| format!("/api/relays/{}", w.r), empty,                [401, 403, 403, 200, 200, 403, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/relays/{id}/schedule", |w| format!("/api/relays/{}/schedule", w.r), empty,
                                                                                                 [401, 403, 403, 409, 409, 403, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/relays/{id}/open", |w| format!("/api/relays/{}/open", w.r), empty,     [401, 403, 403, 409, 409, 403, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/relays/{id}/close", |w| format!("/api/relays/{}/close", w.rc), empty,  [401, 403, 403, 409, 409, 403, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/stats", |w| format!("/api/relays/{}/stats", w.r), none,     [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/events", |w| format!("/api/relays/{}/events", w.r), none,   [401, 403, 403, 200, 200, 403, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/relays/{id}/participants", |w| format!("/api/relays/{}/participants", w.r), |_| json!([]),
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/participants", |w| format!("/api/relays/{}/participants", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/relays/{id}/participants/{pid}/suspend", |w| format!("/api/relays/{}/participants/{}/suspend", w.r, w.people[5].id), empty,
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/relays/{id}/participants/{pid}/unsuspend", |w| format!("/api/relays/{}/participants/{}/unsuspend", w.r, w.people[5].id), empty,
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/relays/{id}/participants/{pid}/resend-email", |w| format!("/api/relays/{}/participants/{}/resend-email", w.r, w.people[4].id), empty,
                                                                                                 [401, 403, 403, 202, 202, 403, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/relays/{id}/analysts", |w| format!("/api/relays/{}/analysts", w.r), |w| json!({"user_id": w.ana_a}),
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/corpus", |w| format!("/api/relays/{}/corpus?format=json", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/corpus", |w| format!("/api/relays/{}/corpus?format=csv", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/corpus", |w| format!("/api/relays/{}/corpus?format=xlsx", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/words", |w| format!("/api/relays/{}/words", w.r), none,     [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/network", |w| format!("/api/relays/{}/network", w.r), none, [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/report", |w| format!("/api/relays/{}/report", w.r), none,   [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/report", |w| format!("/api/relays/{}/report?compare={}", w.r, w.rb), none,
                                                                                                 [401, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/themes", |w| format!("/api/relays/{}/themes", w.r), none,   [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/relays/{id}/themes", |w| format!("/api/relays/{}/themes", w.r), |_| json!({"label": "Ny"}),
                                                                                                 [401, 403, 403, 201, 201, 201, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/relays/{id}/themes/cluster", |w| format!("/api/relays/{}/themes/cluster", w.r), empty,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/themes/suggestions", |w| format!("/api/relays/{}/themes/suggestions", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/questions/pending", |w| format!("/api/relays/{}/questions/pending", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/questions/{qid}/reroute", |w| format!("/api/questions/{}/reroute", w.qid), empty,
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404, 401, 401]),
    row("PUT",   "/api/questions/{qid}/star", |w| format!("/api/questions/{}/star", w.qid), |_| json!({"starred": true}),
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("PUT",   "/api/questions/{qid}/theme", |w| format!("/api/questions/{}/theme", w.qid), |_| json!({"theme_id": null}),
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("PATCH", "/api/themes/{tid}", |w| format!("/api/themes/{}", w.theme), |_| json!({"label": "Viden og læring"}),
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("DELETE", "/api/themes/{tid}", |w| {
            let res = w.app.post(&format!("/api/relays/{}/themes", w.r), Some(&w.app.token), &json!({"label": format!("Kort {}", w.next())}));
            format!("/api/themes/{}", res.body["id"])
        }, none,                                                                                 [401, 403, 403, 204, 204, 204, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/themes/{tid}/merge", |w| format!("/api/themes/{}/merge", w.theme), |w| json!({"into": w.theme}),
                                                                                                 [401, 403, 403, 422, 422, 422, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/themes/{tid}/split", |w| format!("/api/themes/{}/split", w.theme), empty,
                                                                                                 [401, 403, 403, 422, 422, 422, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/analysis/distinctive", |w| format!("/api/analysis/distinctive?a={}&b={}", w.r, w.rc), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/analysis/distinctive", |w| format!("/api/analysis/distinctive?a={}&b={}", w.r, w.rb), none,
                                                                                                 [401, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/keywords", |w| format!("/api/relays/{}/keywords", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/questions/forms", |w| format!("/api/relays/{}/questions/forms", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/forms", |w| format!("/api/relays/{}/forms", w.r), none,     [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("PUT",   "/api/questions/{qid}/form", |w| format!("/api/questions/{}/form", w.qid), |_| json!({"form": "open"}),
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/focus", |w| format!("/api/relays/{}/focus", w.r), none,     [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("PUT",   "/api/relays/{id}/focus/lists", |w| format!("/api/relays/{}/focus/lists", w.r), |_| json!({"inward": ["kollega"], "outward": ["borger"]}),
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("DELETE", "/api/relays/{id}/focus/lists", |w| format!("/api/relays/{}/focus/lists", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/profiles", |w| format!("/api/relays/{}/profiles", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/relays/{id}/network/svg", |w| format!("/api/relays/{}/network/svg", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/relays/{id}/erase-now", |w| format!("/api/relays/{}/erase-now", w.r), empty,
                                                                                                 [401, 403, 403, 409, 409, 403, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/relays/{id}/participants/{pid}/erase", |w| format!("/api/relays/{}/participants/{}/erase", w.r, w.people[5].id), |_| json!({"texts": "bogus"}),
                                                                                                 [401, 403, 403, 422, 422, 403, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/relays/{id}/copy", |w| format!("/api/relays/{}/copy", w.r), |w| json!({"title": format!("Kopi {}", w.next()), "with_participants": false}),
                                                                                                 [401, 403, 403, 201, 201, 403, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/auth/password", |_| "/api/auth/password".into(), |_| json!({"current": "forkert kodeord", "new": "kort"}),
                                                                                                 [401, 403, 403, 422, 422, 422, 422, 422, 422, 422, 401, 401]),
    row("POST",  "/api/auth/reset", |_| "/api/auth/reset".into(), |w| json!({"email": format!("glemsom{}@example.dk", w.next())}),
                                                                                                 [202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202]),
    row("POST",  "/api/auth/reset/{token}", |_| format!("/api/auth/reset/{}", helpers::unknown_token()), |_| json!({"password": "et langt nyt kodeord"}),
                                                                                                 [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    row("POST",  "/api/auth/tokens", |_| "/api/auth/tokens".into(), |_| json!({"name": "matrix", "expires_in_days": 30}),
                                                                                                 [401, 403, 403, 201, 201, 201, 201, 201, 201, 201, 401, 401]),
    row("GET",   "/api/auth/tokens", |_| "/api/auth/tokens".into(), none,                      [401, 403, 403, 200, 200, 200, 200, 200, 200, 200, 401, 401]),
    row("DELETE", "/api/auth/tokens/{tid}", |w| {
            // A token of the facilitator of A: only its owner may revoke it.
            let res = w.app.post("/api/auth/tokens", Some(&w.app.token), &json!({"name": format!("kort {}", w.next()), "expires_in_days": 1}));
            format!("/api/auth/tokens/{}", res.body["id"])
        }, none,                                                                                 [401, 403, 403, 404, 204, 404, 404, 404, 404, 404, 401, 401]),
    row("POST",  "/api/auth/totp", |_| "/api/auth/totp".into(), empty,                      [401, 403, 403, 200, 200, 200, 200, 200, 200, 200, 401, 401]),
    row("DELETE", "/api/auth/totp", |_| "/api/auth/totp".into(), |_| json!({"password": "forkert kodeord"}),
                                                                                                 [401, 403, 403, 403, 403, 403, 403, 403, 403, 403, 401, 401]),
    row("PATCH", "/api/orgs/{oid}", |w| format!("/api/orgs/{}", w.org_a), |_| json!({"require_totp": false}),
                                                                                                 [401, 403, 403, 200, 403, 403, 404, 404, 404, 403, 401, 401]),
    row("GET",   "/api/auth/sessions", |_| "/api/auth/sessions".into(), none,                  [401, 403, 403, 200, 200, 200, 200, 200, 200, 200, 401, 401]),
    row("DELETE", "/api/auth/sessions/{sid}", |_| "/api/auth/sessions/999999".into(), none,    [401, 403, 403, 404, 404, 404, 404, 404, 404, 404, 401, 401]),
    row("GET",   "/api/me/data", |_| "/api/me/data".into(), none,                              [401, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401, 401]),
    row("GET",   "/api/me", |_| "/api/me".into(), none,                                        [401, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401, 401]),
    row("POST",  "/api/me/questions", |_| "/api/me/questions".into(), |_| json!({"text": ""}), [401, 422, 422, 403, 403, 403, 403, 403, 403, 403, 401, 401]),
    row("POST",  "/api/me/questions/{qid}/answer", |w| format!("/api/me/questions/{}/answer", w.qid), |_| json!({"text": ""}),
                                                                                                 [401, 404, 404, 403, 403, 403, 403, 403, 403, 403, 401, 401]),
    row("GET",   "/api/me/events", |_| "/api/me/events".into(), none,                          [401, 200, 200, 403, 403, 403, 403, 403, 403, 403, 401, 401]),
    row("GET",   "/api/me/report", |_| "/api/me/report".into(), none,                          [401, 409, 409, 403, 403, 403, 403, 403, 403, 403, 401, 401]),
    row("POST",  "/api/auth/logout", |_| "/api/auth/logout".into(), empty,                     [401, 403, 403, 204, 204, 204, 204, 204, 204, 204, 401, 401]),
    row("WS",    "/ws", |w| format!("/ws?relay={}", w.r), none,                                [401, 101, 101, 101, 101, 403, 404, 404, 404, 404, 401, 401]),
];

fn call(w: &World, row: &Row, token: Option<&str>) -> (u16, String) {
    let path = (row.path)(w);
    if row.method == "WS" {
        return (
            live::handshake_status(&w.app.base, &path, token),
            String::new(),
        );
    }
    let body = (row.body)(w);
    let res = match row.method {
        "GET" => w.app.get(&path, token),
        "DELETE" if body.is_null() => w.app.delete(&path, token),
        m => w.app.send(m, &path, token, &body),
    };
    (res.status, res.text)
}

#[test]
fn every_route_answers_each_caller_as_the_matrix_says() {
    let w = world();
    let mut wrong = Vec::new();
    for row in MATRIX {
        for (i, caller) in CALLERS.iter().enumerate() {
            let (status, text) = call(&w, row, w.token(*caller));
            if status != row.expect[i] {
                wrong.push(format!(
                    "{} {} as {caller:?}: {status}, expected {}: {}",
                    row.method,
                    (row.path)(&w),
                    row.expect[i],
                    text.chars().take(200).collect::<String>()
                ));
            }
            // Hidden answers exactly like missing: the same body as for a relay that never was.
            if status == 404 && row.route.starts_with("/api/relays/{id}") && text.contains("relay")
            {
                assert_eq!(
                    text,
                    r#"{"error":{"code":"not_found","message":"relay not found"}}"#
                );
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The `/api/` routes as `src/http/routes/mod.rs` registers them: (METHOD, path).
fn registered_routes() -> BTreeSet<(String, String)> {
    let src = include_str!("../../../src/http/routes/mod.rs");
    let start = src.find("pub fn configure_api").unwrap();
    let body = &src[start..];
    let end = body.find("\n}\n").unwrap();
    let body = &body[..end];
    let mut out = BTreeSet::new();
    let mut depth = 0i32;
    let mut scopes: Vec<(String, i32)> = Vec::new();
    let mut resource: Option<(String, i32)> = None;
    let mut i = 0;
    let bytes = body.as_bytes();
    let literal_after = |at: usize| -> String {
        let rest = &body[at..];
        let open = rest.find('"').unwrap();
        let close = rest[open + 1..].find('"').unwrap();
        rest[open + 1..open + 1 + close].to_string()
    };
    while i < bytes.len() {
        let rest = &body[i..];
        if rest.starts_with("web::scope(") {
            scopes.push((literal_after(i), depth));
        } else if rest.starts_with("web::resource(") {
            let prefix: String = scopes.iter().map(|(p, _)| p.as_str()).collect();
            resource = Some((format!("/api{prefix}{}", literal_after(i)), depth));
        } else {
            for m in ["get", "post", "put", "patch", "delete"] {
                if rest.starts_with(&format!("web::{m}()")) {
                    let (path, _) = resource.clone().expect("a method outside a resource");
                    out.insert((m.to_uppercase(), path));
                }
            }
        }
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                // A scope or resource ends with the `.service(` call that holds it.
                depth -= 1;
                scopes.retain(|(_, d)| *d <= depth);
                if resource.as_ref().is_some_and(|(_, d)| *d > depth) {
                    resource = None;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[test]
fn the_matrix_covers_every_registered_api_route() {
    let routes = registered_routes();
    assert!(
        routes.len() > 30,
        "the route table was not read: {routes:?}"
    );
    assert!(routes.contains(&("GET".into(), "/api/relays/{id}/corpus".into())));
    let covered: BTreeSet<(String, String)> = MATRIX
        .iter()
        .filter(|r| r.method != "WS")
        .map(|r| (r.method.to_string(), r.route.to_string()))
        .collect();
    let missing: Vec<_> = routes.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the matrix: {missing:?}"
    );
    let unknown: Vec<_> = covered.difference(&routes).collect();
    assert!(unknown.is_empty(), "matrix rows for no route: {unknown:?}");
    assert!(MATRIX.iter().any(|r| r.method == "WS"), "the websocket");
    let exports = MATRIX
        .iter()
        .filter(|r| r.route.ends_with("/corpus"))
        .count();
    assert_eq!(exports, 3, "one row per export format: json, csv, xlsx");
}

fn ids(res: &Res) -> BTreeSet<i64> {
    assert_eq!(res.status, 200, "{}", res.text);
    res.body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// Rows of the tables organisations live in, to prove a refused request changed nothing.
fn org_snapshot(app: &TestApp) -> Vec<i64> {
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

#[test]
fn admins_change_roles_and_remove_members_but_an_organisation_keeps_an_admin() {
    let w = world();
    let app = &w.app;
    let admin = w.token(Caller::AdminA);
    let members = format!("/api/orgs/{}/members", w.org_a);
    let list = app.get(&members, admin);
    assert_eq!(list.status, 200, "{}", list.text);
    let emails: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&"ana.a@example.dk") && !emails.contains(&"fac.b@example.dk"));
    let admin_id = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "admin.a@example.dk")
        .unwrap()["user_id"]
        .as_i64()
        .unwrap();
    let set_role = |uid: i64, role: &str| {
        app.patch(&format!("{members}/{uid}"), admin, &json!({ "role": role }))
    };
    let before = org_snapshot(app);
    // Bad input: clear JSON errors, nothing changes. The last admin can be neither demoted nor
    // removed.
    let analyst = format!("{members}/{}", w.ana_a);
    let last_admin = format!("{members}/{admin_id}");
    let invalid = "validation_failed";
    #[rustfmt::skip]
    let rows = [
        refused("PATCH", &analyst, admin, Json(json!({ "role": "boss" })), 422, invalid),
        refused("PATCH", &analyst, admin, Json(json!({})), 422, invalid),
        refused("PATCH", &analyst, admin, Json(json!({ "role": "admin", "extra": 1 })), 422, invalid),
        refused("PATCH", &analyst, admin, Raw("application/json", b"{not json".to_vec()), 400, "malformed_json"),
        refused("PATCH", format!("{members}/999999"), admin, Json(json!({"role": "analyst"})), 404, "not_found"),
        refused("PATCH", &last_admin, admin, Json(json!({ "role": "facilitator" })), 409, "last_admin"),
        refused("DELETE", &last_admin, admin, Empty, 409, "last_admin"),
    ];
    assert_refused(app, &rows);
    assert_eq!(org_snapshot(app), before, "refusals changed nothing");
    // A role change takes effect at once: the analyst becomes a facilitator and runs the relay.
    let ana = w.token(Caller::AnaNotGranted);
    let ng_id = user_id(app, "ana.ng@example.dk");
    assert_eq!(app.get(&format!("/api/relays/{}", w.r), ana).status, 404);
    let res = set_role(ng_id, "facilitator");
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        app.get(&format!("/api/relays/{}/participants", w.r), ana)
            .status,
        200
    );
    // With a second admin the first may step down.
    let res = set_role(ng_id, "admin");
    assert_eq!(res.status, 200);
    let res = set_role(admin_id, "facilitator");
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(app.get(&members, admin).status, 403, "no longer an admin");
    // A removed analyst loses the organisation and their grants in it.
    let res = app.delete(&format!("{members}/{}", w.ana_a), ana);
    assert_eq!(res.status, 204, "{}", res.text);
    let gone = w.token(Caller::AnaA);
    assert_eq!(app.get(&format!("/api/relays/{}", w.r), gone).status, 404);
    assert!(ids(&app.get("/api/relays", gone)).is_empty());
    assert_eq!(app.get("/api/orgs", gone).body, json!([]));
    assert_eq!(
        app.count(&format!("relay_analysts WHERE user_id = {}", w.ana_a)),
        0
    );
}

/// The actions in organisation `org`'s log as its admin reads them.
fn actions(app: &TestApp, org: i64, admin: Option<&str>) -> Vec<Value> {
    let res = app.get(&format!("/api/orgs/{org}/audit"), admin);
    assert_eq!(res.status, 200, "{}", res.text);
    res.body.as_array().unwrap().clone()
}

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
fn the_cli_adds_organisations_and_members_of_them() {
    let app = spawn_app();
    let run = |args: &[&str]| {
        let (ok, out, _) = binary::cli(&app, args);
        (ok, out)
    };
    let (ok, out) = run(&["org", "add", "--name", "Aarhus Kommune"]);
    assert!(ok, "{out}");
    let org: i64 = out.trim().strip_prefix("id: ").unwrap().parse().unwrap();
    let (ok, out) = run(&[
        "user",
        "add",
        "--email",
        "chef@aarhus.dk",
        "--role",
        "admin",
        "--org",
        &org.to_string(),
    ]);
    assert!(ok, "{out}");
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .unwrap()
        .to_string();
    let mine = app.get("/api/orgs", Some(&token));
    assert_eq!(
        mine.body,
        json!([{ "id": org, "name": "Aarhus Kommune", "role": "admin", "require_totp": false }])
    );
    // Without --org: the default organisation.
    let (ok, out) = run(&[
        "user",
        "add",
        "--email",
        "ny@example.dk",
        "--role",
        "analyst",
    ]);
    assert!(ok, "{out}");
    let token = out
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .unwrap()
        .to_string();
    assert_eq!(app.get("/api/orgs", Some(&token)).body[0]["id"], 1);
    let (ok, _) = run(&[
        "user",
        "add",
        "--email",
        "x@example.dk",
        "--role",
        "admin",
        "--org",
        "999",
    ]);
    assert!(!ok, "no such organisation");
    assert_eq!(app.count("staff_users WHERE email = 'x@example.dk'"), 0);
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
    let emails: BTreeSet<&str> = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert!(
        ["admin@kommune.dk", "fac@kommune.dk", "ana@kommune.dk"]
            .iter()
            .all(|e| emails.contains(e)),
        "{emails:?}"
    );
}

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
            let at = text.find("/invite/").expect("an invitation link") + "/invite/".len();
            return text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
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

/// The staff session token a sign-in's cookie carries (usable as a bearer token).
fn session_of(res: &Res) -> String {
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

#[test]
fn a_member_removed_or_made_analyst_loses_the_open_staff_feed() {
    let app = spawn_app();
    let (_, admin, _) = app.add_staff_in("admin.a@example.dk", "admin", None);
    let (_, leaving, leaving_id) = app.add_staff_in("leaving@example.dk", "facilitator", None);
    let (_, demoted, demoted_id) = app.add_staff_in("demoted@example.dk", "facilitator", None);
    let (relay, _) = app.open_relay(2, json!({}));
    let feed = |token: &str| live::connect(&app.base, &format!("token={token}&relay={relay}"));
    let (mut stays, mut gone, mut analyst) = (feed(&app.token), feed(&leaving), feed(&demoted));
    let members = "/api/orgs/1/members";
    assert_eq!(
        app.delete(&format!("{members}/{leaving_id}"), Some(&admin))
            .status,
        204
    );
    let res = app.patch(
        &format!("{members}/{demoted_id}"),
        Some(&admin),
        &json!({ "role": "analyst" }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    // Generous bounds: the sweep runs twice a second, the machine may be busy.
    for ws in [&mut gone, &mut analyst] {
        ws.read_for(std::time::Duration::from_secs(10));
        let closed = ws.closed.as_ref().expect("the feed stayed open");
        assert!(closed.reason.starts_with("revoked"), "{closed:?}");
    }
    stays.read_for(std::time::Duration::from_millis(1500));
    assert!(
        stays.closed.is_none(),
        "a facilitator still in the organisation keeps the feed"
    );
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
