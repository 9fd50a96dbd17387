//! Organisations (issue 14): the authorisation matrix of every `/api/` route, the websocket,
//! the report and each export format; members, roles and the last admin; analysts' grants;
//! the audit log and its CSV.

mod common;

use std::cell::Cell;
use std::collections::BTreeSet;

use common::{Person, Res, TestApp, spawn_app};
use serde_json::{Value, json};

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
    // Part B of issue 14 adds two columns here: a revoked API token and an expired session
    // (both 401 on every staff route). Add them to CALLERS, `World::token` and every row.
}

const CALLERS: [Caller; 10] = [
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
    admin_a_token: String,
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
        "starts_at": common::t0(),
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
    let tokens = vec![
        None,
        Some(people[0].token.clone()),
        Some(other[0].token.clone()),
        Some(admin_a.clone()),
        Some(app.token.clone()),
        Some(ana_a_token),
        Some(admin_b),
        Some(fac_b),
        Some(ana_b),
        Some(ana_ng),
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
        admin_a_token: admin_a,
        fresh: Cell::new(0),
    }
}

fn user_id(app: &TestApp, email: &str) -> i64 {
    let mut conn =
        <diesel::SqliteConnection as diesel::Connection>::establish(app.db_path.to_str().unwrap())
            .unwrap();
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
    expect: [u16; 10],
}

const fn row(
    method: &'static str,
    route: &'static str,
    path: fn(&World) -> String,
    body: fn(&World) -> Value,
    expect: [u16; 10],
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
/// AnaNotGranted. Relay routes name relay `r` of organisation A (or what belongs to it).
/// 401 no credentials · 403 seen but not for this role (participants on staff routes, staff on
/// participant routes, analysts on facilitator routes) · 404 outside what the caller sees,
/// the same answer as for what does not exist · 409/422 allowed, refused by the state or the
/// body. `WS` rows are websocket handshakes (101: connected).
#[rustfmt::skip]
const MATRIX: &[Row] = &[
    //                                                                                              Out  PHr  POt  AdA  FaA  AnA  AdB  FaB  AnB  AnNG
    row("POST",  "/api/auth/login", |_| "/api/auth/login".into(), |_| json!({"email": "nobody@example.dk", "password": "wrong password"}),
                                                                                                 [401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
    row("GET",   "/api/auth/me", |_| "/api/auth/me".into(), none,                              [401, 403, 403, 200, 200, 200, 200, 200, 200, 200]),
    row("GET",   "/api/orgs", |_| "/api/orgs".into(), none,                                    [401, 403, 403, 200, 200, 200, 200, 200, 200, 200]),
    row("GET",   "/api/orgs/{oid}/members", |w| format!("/api/orgs/{}/members", w.org_a), none,
                                                                                                 [401, 403, 403, 200, 403, 403, 404, 404, 404, 403]),
    row("PATCH", "/api/orgs/{oid}/members/{uid}", |w| format!("/api/orgs/{}/members/{}", w.org_a, w.ana_a), |_| json!({"role": "analyst"}),
                                                                                                 [401, 403, 403, 200, 403, 403, 404, 404, 404, 403]),
    row("DELETE", "/api/orgs/{oid}/members/{uid}", |w| {
            let n = w.next();
            let (_, _, uid) = w.app.add_staff_in(&format!("leaving{n}@example.dk"), "facilitator", None);
            format!("/api/orgs/{}/members/{uid}", w.org_a)
        }, none,                                                                                 [401, 403, 403, 204, 403, 403, 404, 404, 404, 403]),
    row("GET",   "/api/orgs/{oid}/audit", |w| format!("/api/orgs/{}/audit", w.org_a), none,   [401, 403, 403, 200, 403, 403, 404, 404, 404, 403]),
    row("GET",   "/api/orgs/{oid}/audit", |w| format!("/api/orgs/{}/audit?format=csv", w.org_a), none,
                                                                                                 [401, 403, 403, 200, 403, 403, 404, 404, 404, 403]),
    row("GET",   "/api/relays", |_| "/api/relays".into(), none,                                [401, 403, 403, 200, 200, 200, 200, 200, 200, 200]),
    row("POST",  "/api/relays", |_| "/api/relays".into(), |_| relay_body(),                    [401, 403, 403, 201, 201, 403, 201, 201, 403, 403]),
    row("GET",   "/api/relays/{id}", |w| format!("/api/relays/{}", w.r), none,                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("PATCH", "/api/relays/{id}", |w| format!("/api/relays/{}", w.r), empty,                [401, 403, 403, 200, 200, 403, 404, 404, 404, 404]),
    row("POST",  "/api/relays/{id}/schedule", |w| format!("/api/relays/{}/schedule", w.r), empty,
                                                                                                 [401, 403, 403, 409, 409, 403, 404, 404, 404, 404]),
    row("POST",  "/api/relays/{id}/open", |w| format!("/api/relays/{}/open", w.r), empty,     [401, 403, 403, 409, 409, 403, 404, 404, 404, 404]),
    row("POST",  "/api/relays/{id}/close", |w| format!("/api/relays/{}/close", w.rc), empty,  [401, 403, 403, 409, 409, 403, 404, 404, 404, 404]),
    row("GET",   "/api/relays/{id}/stats", |w| format!("/api/relays/{}/stats", w.r), none,     [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("GET",   "/api/relays/{id}/events", |w| format!("/api/relays/{}/events", w.r), none,   [401, 403, 403, 200, 200, 403, 404, 404, 404, 404]),
    row("POST",  "/api/relays/{id}/participants", |w| format!("/api/relays/{}/participants", w.r), |_| json!([]),
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404]),
    row("GET",   "/api/relays/{id}/participants", |w| format!("/api/relays/{}/participants", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404]),
    row("POST",  "/api/relays/{id}/participants/{pid}/suspend", |w| format!("/api/relays/{}/participants/{}/suspend", w.r, w.people[5].id), empty,
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404]),
    row("POST",  "/api/relays/{id}/participants/{pid}/unsuspend", |w| format!("/api/relays/{}/participants/{}/unsuspend", w.r, w.people[5].id), empty,
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404]),
    row("POST",  "/api/relays/{id}/participants/{pid}/resend-email", |w| format!("/api/relays/{}/participants/{}/resend-email", w.r, w.people[4].id), empty,
                                                                                                 [401, 403, 403, 202, 202, 403, 404, 404, 404, 404]),
    row("POST",  "/api/relays/{id}/analysts", |w| format!("/api/relays/{}/analysts", w.r), |w| json!({"user_id": w.ana_a}),
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404]),
    row("GET",   "/api/relays/{id}/corpus", |w| format!("/api/relays/{}/corpus?format=json", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("GET",   "/api/relays/{id}/corpus", |w| format!("/api/relays/{}/corpus?format=csv", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("GET",   "/api/relays/{id}/corpus", |w| format!("/api/relays/{}/corpus?format=xlsx", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("GET",   "/api/relays/{id}/words", |w| format!("/api/relays/{}/words", w.r), none,     [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("GET",   "/api/relays/{id}/network", |w| format!("/api/relays/{}/network", w.r), none, [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("GET",   "/api/relays/{id}/report", |w| format!("/api/relays/{}/report", w.r), none,   [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("GET",   "/api/relays/{id}/report", |w| format!("/api/relays/{}/report?compare={}", w.r, w.rb), none,
                                                                                                 [401, 403, 403, 404, 404, 404, 404, 404, 404, 404]),
    row("GET",   "/api/relays/{id}/themes", |w| format!("/api/relays/{}/themes", w.r), none,   [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("POST",  "/api/relays/{id}/themes", |w| format!("/api/relays/{}/themes", w.r), |_| json!({"label": "Ny"}),
                                                                                                 [401, 403, 403, 201, 201, 201, 404, 404, 404, 404]),
    row("POST",  "/api/relays/{id}/themes/cluster", |w| format!("/api/relays/{}/themes/cluster", w.r), empty,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("GET",   "/api/relays/{id}/themes/suggestions", |w| format!("/api/relays/{}/themes/suggestions", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("GET",   "/api/relays/{id}/questions/pending", |w| format!("/api/relays/{}/questions/pending", w.r), none,
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404]),
    row("POST",  "/api/questions/{qid}/reroute", |w| format!("/api/questions/{}/reroute", w.qid), empty,
                                                                                                 [401, 403, 403, 200, 200, 403, 404, 404, 404, 404]),
    row("PUT",   "/api/questions/{qid}/star", |w| format!("/api/questions/{}/star", w.qid), |_| json!({"starred": true}),
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("PUT",   "/api/questions/{qid}/theme", |w| format!("/api/questions/{}/theme", w.qid), |_| json!({"theme_id": null}),
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("PATCH", "/api/themes/{tid}", |w| format!("/api/themes/{}", w.theme), |_| json!({"label": "Viden og læring"}),
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("DELETE", "/api/themes/{tid}", |w| {
            let res = w.app.post(&format!("/api/relays/{}/themes", w.r), Some(&w.app.token), &json!({"label": format!("Kort {}", w.next())}));
            format!("/api/themes/{}", res.body["id"])
        }, none,                                                                                 [401, 403, 403, 204, 204, 204, 404, 404, 404, 404]),
    row("POST",  "/api/themes/{tid}/merge", |w| format!("/api/themes/{}/merge", w.theme), |w| json!({"into": w.theme}),
                                                                                                 [401, 403, 403, 422, 422, 422, 404, 404, 404, 404]),
    row("POST",  "/api/themes/{tid}/split", |w| format!("/api/themes/{}/split", w.theme), empty,
                                                                                                 [401, 403, 403, 422, 422, 422, 404, 404, 404, 404]),
    row("GET",   "/api/analysis/distinctive", |w| format!("/api/analysis/distinctive?a={}&b={}", w.r, w.rc), none,
                                                                                                 [401, 403, 403, 200, 200, 200, 404, 404, 404, 404]),
    row("GET",   "/api/analysis/distinctive", |w| format!("/api/analysis/distinctive?a={}&b={}", w.r, w.rb), none,
                                                                                                 [401, 403, 403, 404, 404, 404, 404, 404, 404, 404]),
    row("GET",   "/api/me", |_| "/api/me".into(), none,                                        [401, 200, 200, 403, 403, 403, 403, 403, 403, 403]),
    row("POST",  "/api/me/questions", |_| "/api/me/questions".into(), |_| json!({"text": ""}), [401, 422, 422, 403, 403, 403, 403, 403, 403, 403]),
    row("POST",  "/api/me/questions/{qid}/answer", |w| format!("/api/me/questions/{}/answer", w.qid), |_| json!({"text": ""}),
                                                                                                 [401, 404, 404, 403, 403, 403, 403, 403, 403, 403]),
    row("GET",   "/api/me/events", |_| "/api/me/events".into(), none,                          [401, 200, 200, 403, 403, 403, 403, 403, 403, 403]),
    row("GET",   "/api/me/report", |_| "/api/me/report".into(), none,                          [401, 409, 409, 403, 403, 403, 403, 403, 403, 403]),
    row("POST",  "/api/auth/logout", |_| "/api/auth/logout".into(), empty,                     [401, 403, 403, 204, 204, 204, 204, 204, 204, 204]),
    row("WS",    "/ws", |w| format!("/ws?relay={}", w.r), none,                                [401, 101, 101, 101, 101, 403, 404, 404, 404, 404]),
];

/// The websocket handshake's status with `token` as a bearer token.
fn ws_status(app: &TestApp, path: &str, token: Option<&str>) -> u16 {
    let url = format!("{}{path}", app.base.replace("http://", "ws://"));
    let mut req = tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
    if let Some(t) = token {
        req.headers_mut()
            .insert("Authorization", format!("Bearer {t}").parse().unwrap());
    }
    match tungstenite::connect(req) {
        Ok((mut ws, _)) => {
            let _ = ws.close(None);
            101
        }
        Err(tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("websocket handshake: {e}"),
    }
}

fn call(w: &World, row: &Row, token: Option<&str>) -> (u16, String) {
    let path = (row.path)(w);
    if row.method == "WS" {
        return (ws_status(&w.app, &path, token), String::new());
    }
    let body = (row.body)(w);
    let res = match row.method {
        "GET" => w.app.get(&path, token),
        "DELETE" => w.app.delete(&path, token),
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
    let src = include_str!("../src/http/routes/mod.rs");
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
