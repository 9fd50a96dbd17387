//! Bad relay requests get a clear JSON error and change nothing (SPEC §4, §6): bodies of the
//! wrong shape, invalid fields, unknown relay ids, lifecycle steps out of order, what an open
//! relay keeps, and a relay too small to schedule or open.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::fixtures::*;
use crate::helpers::refusals::Body::{Empty, Json, Raw};
use crate::helpers::refusals::{assert_json_error, assert_refused, refused};
use crate::helpers::{relay_body, spawn_app, t0};

#[test]
fn a_relay_body_of_the_wrong_shape_is_refused_with_422() {
    let app = spawn_app();
    let before = fingerprint(&app, None);
    let mut unknown = relay_body();
    unknown["colour"] = json!("blue");
    let mut missing = relay_body();
    missing.as_object_mut().unwrap().remove("title");
    let mut wrong_type = relay_body();
    wrong_type["title"] = json!(5);
    let mut bad_time = relay_body();
    bad_time["starts_at"] = json!("next monday");
    let mut unknown_setting = relay_body();
    unknown_setting["settings"] = json!({ "max_inbox": 2, "max_inboxes": 3 });
    let mut negative = relay_body();
    negative["settings"] = json!({ "max_inbox": -1 });
    let mut bad_choice = relay_body();
    bad_choice["settings"] = json!({ "recipient_choice": "random" });
    let mut round_extra = relay_body();
    round_extra["rounds"] = json!([{
        "name": "Dag 1", "starts_at": t0(), "ends_at": t0() + Duration::days(1), "colour": "red"
    }]);
    let rows: Vec<_> = [
        unknown,
        missing,
        wrong_type,
        bad_time,
        unknown_setting,
        negative,
        bad_choice,
        round_extra,
        json!([relay_body()]),
        json!("a relay"),
    ]
    .into_iter()
    .map(|body| {
        let t = Some(app.token.as_str());
        refused(
            "POST",
            "/api/relays",
            t,
            Json(body),
            422,
            "validation_failed",
        )
    })
    .collect();
    assert_refused(&app, &rows);
    assert_unchanged(&app, None, &before);
    assert_eq!(app.count("relays"), 0);
}

#[test]
fn an_unknown_relay_id_gets_404_on_every_relay_route() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    app.import_people(relay, 3);
    let before = fingerprint(&app, Some(relay));
    let t = Some(app.token.as_str());
    let r = "/api/relays/999999";
    let person = json!([{ "name": "Ny Person", "email": "ny@person.dk", "group": "Stat" }]);
    let csv = b"name,email,group\nNy Person,ny@person.dk,Stat\n".to_vec();
    #[rustfmt::skip]
    let rows = [
        refused("GET", r, t, Empty, 404, "not_found"),
        refused("GET", format!("{r}/participants"), t, Empty, 404, "not_found"),
        refused("GET", format!("{r}/stats"), t, Empty, 404, "not_found"),
        refused("GET", format!("{r}/events"), t, Empty, 404, "not_found"),
        refused("GET", format!("{r}/events?since=0"), t, Empty, 404, "not_found"),
        refused("PATCH", r, t, Json(json!({ "title": "Ny titel" })), 404, "not_found"),
        refused("POST", format!("{r}/schedule"), t, Json(json!({})), 404, "not_found"),
        refused("POST", format!("{r}/open"), t, Json(json!({})), 404, "not_found"),
        refused("POST", format!("{r}/close"), t, Json(json!({})), 404, "not_found"),
        refused("POST", format!("{r}/participants"), t, Json(person), 404, "not_found"),
        refused("POST", format!("{r}/participants"), t, Raw("text/csv", csv), 404, "not_found"),
    ];
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(relay), &before);
}

#[test]
fn lifecycle_steps_out_of_order_are_conflicts_and_keep_the_state() {
    let app = spawn_app();
    let t = Some(app.token.as_str());
    let steps = |relay: i64, refused: &[&str], state: &str| {
        let before = fingerprint(&app, Some(relay));
        for action in refused {
            let res = app.post(&format!("/api/relays/{relay}/{action}"), t, &json!({}));
            assert_error(&res, 409, "wrong_state");
        }
        assert_unchanged(&app, Some(relay), &before);
        assert_eq!(relay_state(&app, relay), state);
    };

    // A draft has nothing to close.
    let draft = app.create_relay(json!({}));
    app.import_people(draft, 2);
    steps(draft, &["close"], "draft");

    // A scheduled relay cannot be scheduled again.
    let scheduled = app.create_relay(json!({}));
    app.import_people(scheduled, 2);
    assert_eq!(
        app.post(&format!("/api/relays/{scheduled}/schedule"), t, &json!({}))
            .status,
        200
    );
    steps(scheduled, &["schedule"], "scheduled");

    // An open relay cannot be scheduled or opened again.
    let (open, _) = open_relay(&app, 2, json!({}));
    steps(open, &["schedule", "open"], "open");

    // A closed relay cannot be reopened, rescheduled or closed again.
    let (closed, _) = open_relay(&app, 2, json!({}));
    assert_eq!(
        app.post(&format!("/api/relays/{closed}/close"), t, &json!({}))
            .status,
        200
    );
    steps(closed, &["schedule", "open", "close"], "closed");
}

#[test]
fn an_open_relay_keeps_its_round_times_language_and_pairing_rules() {
    let app = spawn_app();
    let (relay, _) = open_relay(&app, 3, json!({}));
    let path = format!("/api/relays/{relay}");
    let t = Some(app.token.as_str());
    let patch = |body: Value| refused("PATCH", &path, t, Json(body), 409, "wrong_state");
    let view = app.get(&path, t).body;
    let rounds = view["rounds"].as_array().unwrap().clone();
    let mut moved = rounds.clone();
    moved[1]["ends_at"] = json!(t0() + Duration::days(5));
    let mut fewer = rounds.clone();
    fewer.pop();
    let before = fingerprint(&app, Some(relay));
    let rows: Vec<_> = [
        json!({ "rounds": moved.iter().map(|r| json!({ "name": r["name"], "starts_at": r["starts_at"], "ends_at": r["ends_at"] })).collect::<Vec<_>>() }),
        json!({ "rounds": fewer.iter().map(|r| json!({ "name": r["name"], "starts_at": r["starts_at"], "ends_at": r["ends_at"] })).collect::<Vec<_>>() }),
        json!({ "starts_at": t0() + Duration::days(7) }),
        json!({ "language": "en" }),
        json!({ "timezone": "Europe/London" }),
        json!({ "settings": { "max_inbox": 5 } }),
        json!({ "settings": { "recipient_choice": "participant" } }),
        json!({ "settings": { "asker_anonymous": false } }),
        json!({ "settings": { "seed": 7 } }),
        // A permitted change alongside a refused one is refused as a whole.
        json!({ "title": "En ny titel", "settings": { "batons_per_round": 2 } }),
    ]
    .into_iter()
    .map(patch)
    .collect();
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(relay), &before);
    assert_eq!(app.get(&path, t).body["rounds"], json!(rounds));

    // Once closed, not even the texts change.
    assert_eq!(
        app.post(&format!("{path}/close"), t, &json!({})).status,
        200
    );
    let before = fingerprint(&app, Some(relay));
    let rows = [
        patch(json!({ "title": "En ny titel" })),
        patch(json!({ "settings": { "reroute_after_hours": 0 } })),
    ];
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(relay), &before);
}

#[test]
fn an_invalid_patch_of_a_draft_changes_nothing() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let path = format!("/api/relays/{relay}");
    let t = Some(app.token.as_str());
    let before = fingerprint(&app, Some(relay));
    let invalid = "validation_failed";
    #[rustfmt::skip]
    let rows = [
        refused("PATCH", &path, t, Json(json!({ "title": "En ny titel", "timezone": "Mars/Olympus" })), 422, invalid),
        refused("PATCH", &path, t, Json(json!({ "title": "En ny titel", "language": "sv" })), 422, invalid),
        refused("PATCH", &path, t, Json(json!({ "title": "   " })), 422, invalid),
        refused("PATCH", &path, t, Json(json!({ "title": "En ny titel", "settings": { "batons_per_round": 9 } })), 422, invalid),
        refused("PATCH", &path, t, Json(json!({ "title": "En ny titel", "rounds": [] })), 422, "invalid"),
    ];
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(relay), &before);
    assert_eq!(
        app.get(&path, t).body["title"],
        "Ledelse til gavn for borgerne"
    );
}

#[test]
fn a_relay_with_fewer_than_two_active_participants_cannot_be_scheduled_or_opened() {
    let app = spawn_app();
    let t = Some(app.token.as_str());
    let empty = app.create_relay(json!({}));
    let one = app.create_relay(json!({}));
    app.import_people(one, 1);
    let two_one_suspended = app.create_relay(json!({}));
    let people = app.import_people(two_one_suspended, 2);
    let res = app.post(
        &format!(
            "/api/relays/{two_one_suspended}/participants/{}/suspend",
            people[1].id
        ),
        t,
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    for relay in [empty, one, two_one_suspended] {
        let before = fingerprint(&app, Some(relay));
        for action in ["schedule", "open"] {
            let res = app.post(&format!("/api/relays/{relay}/{action}"), t, &json!({}));
            assert_error(&res, 409, "too_few_participants");
        }
        assert_unchanged(&app, Some(relay), &before);
        assert_eq!(relay_state(&app, relay), "draft");
    }
    assert!(app.emails().is_empty(), "no invitation went out");
}

#[test]
fn a_relay_with_invalid_fields_is_refused_with_422() {
    let app = spawn_app();
    let before = fingerprint(&app, None);
    let day = Duration::days(1);
    let round = |name: &str, from: chrono::DateTime<chrono::Utc>, to| json!({ "name": name, "starts_at": from, "ends_at": to });
    // Fields that break a rule are `validation_failed`; inconsistent rounds are `invalid`.
    let v = "validation_failed";
    let cases: Vec<(&str, Value, &str)> = vec![
        ("language", json!({ "language": "de" }), v),
        ("empty language", json!({ "language": "" }), v),
        ("upper-case language", json!({ "language": "DA" }), v),
        ("timezone", json!({ "timezone": "Europe/Aarhus" }), v),
        ("empty timezone", json!({ "timezone": "" }), v),
        ("offset timezone", json!({ "timezone": "UTC+1" }), v),
        ("empty title", json!({ "title": "" }), v),
        ("blank title", json!({ "title": "   \n " }), v),
        ("empty topic", json!({ "topic": "" }), v),
        ("long title", json!({ "title": "t".repeat(201) }), v),
        (
            "batons_per_round > max_batons",
            json!({ "settings": { "batons_per_round": 4, "max_batons": 3 } }),
            v,
        ),
        (
            "batons_per_round 0",
            json!({ "settings": { "batons_per_round": 0 } }),
            v,
        ),
        ("max_inbox 0", json!({ "settings": { "max_inbox": 0 } }), v),
        (
            "reroute too late",
            json!({ "settings": { "reroute_after_hours": 100_000 } }),
            v,
        ),
        (
            "overlapping rounds",
            json!({ "rounds": [
                round("Dag 1", t0(), t0() + day),
                round("Dag 2", t0() + Duration::hours(12), t0() + day * 2),
            ] }),
            "invalid",
        ),
        (
            "round ends before it starts",
            json!({ "rounds": [round("Dag 1", t0(), t0() - Duration::hours(1))] }),
            "invalid",
        ),
        (
            "round ends as it starts",
            json!({ "rounds": [round("Dag 1", t0(), t0())] }),
            "invalid",
        ),
        (
            "later round first",
            json!({ "starts_at": t0() + day, "rounds": [
                round("Dag 2", t0() + day, t0() + day * 2),
                round("Dag 1", t0(), t0() + day),
            ] }),
            "invalid",
        ),
        ("no rounds", json!({ "rounds": [] }), "invalid"),
        (
            "nameless round",
            json!({ "rounds": [round("  ", t0(), t0() + day)] }),
            "invalid",
        ),
        (
            "starts_at is not round 1",
            json!({ "rounds": [round("Dag 1", t0() + day, t0() + day * 2)] }),
            v,
        ),
        ("no start at all", json!({ "starts_at": null }), v),
    ];
    for (what, patch, code) in cases {
        let mut body = relay_body();
        for (k, val) in patch.as_object().unwrap() {
            if val.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = val.clone();
            }
        }
        let res = app.post("/api/relays", Some(&app.token), &body);
        assert_json_error(what, &res, 422, code);
    }
    assert_unchanged(&app, None, &before);
    assert_eq!(
        app.get("/api/relays", Some(&app.token)).body,
        json!([]),
        "no relay was created"
    );
}
