//! The authorisation matrix (issue 14): every `/api/` route, the websocket, the report and each
//! export format answer each kind of caller as the matrix says, and the matrix covers every
//! registered route.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers;
use crate::helpers::live;
use crate::orgs::world::*;

/// One row of the matrix: a method, the route as registered, how to build the concrete path
/// (which may set up what the request consumes), a body, and the expected status per caller.
struct Row {
    method: &'static str,
    route: &'static str,
    path: fn(&World) -> String,
    body: fn(&World) -> Value,
    expect: [u16; 12],
}

/// The row `method route`, its path and body, expecting these statuses per caller.
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

/// No body.
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
