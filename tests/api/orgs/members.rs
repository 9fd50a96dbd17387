//! Members and roles (issue 14): admins change roles and remove members but an organisation
//! keeps an admin, a member removed or made an analyst loses the open staff feed, and the CLI
//! adds organisations and their members.

use serde_json::json;

use crate::helpers::live;
use crate::helpers::refusals::Body::{Empty, Json, Raw};
use crate::helpers::refusals::{assert_refused, refused};
use crate::helpers::{binary, spawn_app};
use crate::orgs::world::*;

#[test]
fn admins_change_roles_and_remove_members_but_an_organisation_keeps_an_admin() {
    let w = world();
    let app = &w.app;
    let admin = w.token(Caller::AdminA);
    let members = format!("/api/orgs/{}/members", w.org_a);
    let list = app.get(&members, admin);
    assert_eq!(list.status, 200, "{}", list.text);
    let emails: Vec<&str> = emails_in(&list.body).collect();
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
    let token = binary::token_line(&out);
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
    let token = binary::token_line(&out);
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
