//! Bad participant imports and actions (SPEC §4, §6): an import that is not a list of
//! participants, CSV and JSON imports that report bad rows by line or position and keep the good
//! ones (a missing column, bytes that are not UTF-8, an unterminated quote), imports into a
//! closed relay, and suspending someone unknown or of another relay.

use serde_json::json;

use crate::helpers::fixtures::*;
use crate::helpers::refusals::Body::{Json, Raw};
use crate::helpers::refusals::{assert_refused, refused};
use crate::helpers::{Res, TestApp, spawn_app};

#[test]
fn an_import_that_is_not_a_list_of_participants_is_refused_with_422() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let before = fingerprint(&app, Some(relay));
    let path = format!("/api/relays/{relay}/participants");
    let rows: Vec<_> = [
        json!({ "name": "Mette Kjær", "email": "mette@vesthavn.dk", "group": "Kommune" }),
        json!("mette@vesthavn.dk"),
        json!(null),
        json!(42),
    ]
    .into_iter()
    .map(|body| {
        let t = Some(app.token.as_str());
        refused("POST", &path, t, Json(body), 422, "validation_failed")
    })
    .collect();
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(relay), &before);
}

#[test]
fn suspending_an_unknown_participant_or_one_of_another_relay_is_404() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let (other, _) = open_relay(&app, 2, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    let before_other = fingerprint(&app, Some(other));
    let t = Some(app.token.as_str());
    let (relay, recipient) = (a.relay, a.recipient().id);
    let mut rows = Vec::new();
    for action in ["suspend", "unsuspend", "resend-email"] {
        #[rustfmt::skip]
        let more = [
            refused("POST", format!("/api/relays/{relay}/participants/999999/{action}"), t, Json(json!({})), 404, "not_found"),
            // The recipient of the pending question, addressed through the wrong relay.
            refused("POST", format!("/api/relays/{other}/participants/{recipient}/{action}"), t, Json(json!({})), 404, "not_found"),
            // A real participant under an unknown relay.
            refused("POST", format!("/api/relays/999999/participants/{recipient}/{action}"), t, Json(json!({})), 404, "not_found"),
        ];
        rows.extend(more);
    }
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_unchanged(&app, Some(other), &before_other);
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
    assert!(
        participants(&app, a.relay)
            .iter()
            .all(|p| p["status"] == "active")
    );
}

#[test]
fn importing_into_a_closed_relay_is_a_conflict() {
    let app = spawn_app();
    let (relay, _) = open_relay(&app, 2, json!({}));
    app.close_relay(relay);
    let path = format!("/api/relays/{relay}/participants");
    let t = Some(app.token.as_str());
    let existing = participants(&app, relay)[0].clone();
    let before = fingerprint(&app, Some(relay));
    let person = json!([{ "name": "Ny Person", "email": "ny@person.dk", "group": "Stat" }]);
    let csv = b"name,email,group\nNy Person,ny@person.dk,Stat\n".to_vec();
    // Updating an existing participant's details is refused too.
    let update = json!([{ "name": "Nyt Navn", "email": existing["email"], "group": "Ny gruppe" }]);
    let rows = [
        refused("POST", &path, t, Json(person), 409, "wrong_state"),
        refused("POST", &path, t, Raw("text/csv", csv), 409, "wrong_state"),
        refused("POST", &path, t, Json(update), 409, "wrong_state"),
    ];
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(relay), &before);
}

fn post_csv(app: &TestApp, relay: i64, csv: &str) -> Res {
    post_raw(
        app,
        &format!("/api/relays/{relay}/participants"),
        &app.token,
        "text/csv; charset=utf-8",
        csv.as_bytes(),
    )
}

fn post_csv_bytes(app: &TestApp, relay: i64, csv: &[u8]) -> Res {
    post_raw(
        app,
        &format!("/api/relays/{relay}/participants"),
        &app.token,
        "text/csv",
        csv,
    )
}

#[test]
fn a_csv_import_without_a_required_column_is_refused_as_a_whole() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let before = fingerprint(&app, Some(relay));
    let path = format!("/api/relays/{relay}/participants");
    let rows: Vec<_> = [
        "name,group,title\nMette Kjær,Kommune,Direktør\n",
        "navn,email,gruppe\nMette Kjær,mette@vesthavn.dk,Kommune\n",
        "email,group\nmette@vesthavn.dk,Kommune\n",
        "name,email\nMette Kjær,mette@vesthavn.dk\n",
        "",
    ]
    .into_iter()
    .map(|csv| {
        let body = Raw("text/csv; charset=utf-8", csv.as_bytes().to_vec());
        refused(
            "POST",
            &path,
            Some(&app.token),
            body,
            422,
            "validation_failed",
        )
    })
    .collect();
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(relay), &before);
    assert!(participants(&app, relay).is_empty());
}

#[test]
fn a_csv_import_reports_bad_rows_by_line_and_keeps_the_good_ones() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let csv = "\u{feff}name,email,group,title,organisation,phone\n\
Mette Kjær,mette@vesthavn.dk,Kommune,Kommunaldirektør,Vesthavn Kommune,12345678\n\
Lars Bech,not-an-email,Kommune,Direktør,Skovbjerg Kommune,\n\
Hanne Lund,METTE@vesthavn.dk,Stat,Departementschef,Ministeriet,\n\
,nameless@velfaerd.dk,Stat,Direktør,Styrelsen,\n\
\"Storm, Karen\",karen@arbejdsmiljo.dk,Stat,Direktør,\"Styrelsen for Arbejdsmiljø\",\n\
Ole Uden Gruppe,ole@gruppe.dk,,,,\n\
Per For Mange,per@felter.dk,Stat,Direktør,Styrelsen,1,2,3\n\
Søren Åby,soren@aeby.dk,Stat,,,\n";
    let res = post_csv(&app, relay, csv);
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 3, "{}", res.text);
    assert_eq!(res.body["updated"], 0, "{}", res.text);
    let bad = rejected(&res);
    let lines: Vec<i64> = bad.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![1, 3, 4, 5, 7, 8], "{}", res.text);
    let reason = |line: i64| {
        bad.iter()
            .find(|(l, _)| *l == line)
            .map(|(_, r)| r.to_lowercase())
            .unwrap()
    };
    assert!(reason(1).contains("phone"), "{}", reason(1));
    assert!(reason(3).contains("email"), "{}", reason(3));
    assert!(reason(4).contains("duplicate"), "{}", reason(4));
    assert!(reason(5).contains("name"), "{}", reason(5));
    assert!(reason(7).contains("group"), "{}", reason(7));
    let list = participants(&app, relay);
    assert_eq!(
        emails_of(&list),
        vec![
            "karen@arbejdsmiljo.dk",
            "mette@vesthavn.dk",
            "soren@aeby.dk"
        ]
    );
    let karen = list
        .iter()
        .find(|p| p["email"] == "karen@arbejdsmiljo.dk")
        .unwrap();
    assert_eq!(karen["name"], "Storm, Karen");
    assert_eq!(karen["organisation"], "Styrelsen for Arbejdsmiljø");
    // The first row keeps its name and group: the duplicate did not overwrite it.
    let mette = list
        .iter()
        .find(|p| p["email"] == "mette@vesthavn.dk")
        .unwrap();
    assert_eq!(mette["name"], "Mette Kjær");
    assert_eq!(mette["group"], "Kommune");
}

#[test]
fn a_csv_import_that_is_not_utf8_is_reported_not_garbled() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let before = fingerprint(&app, Some(relay));
    // A header with a stray Latin-1 byte (0xE6, "æ") cannot be read at all.
    let res = post_csv_bytes(&app, relay, b"name\xe6,email,group\nA B,a@b.dk,G\n");
    assert_error(&res, 400, "malformed_csv");
    assert_unchanged(&app, Some(relay), &before);
    // A Latin-1 row ("Kj\xe6r") is rejected with its line; the UTF-8 rows are kept.
    let res = post_csv_bytes(
        &app,
        relay,
        b"name,email,group\nMette Kj\xe6r,mette@vesthavn.dk,Kommune\nLars Bech,lars@skovbjerg.dk,Kommune\n",
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 1, "{}", res.text);
    let bad = rejected(&res);
    assert_eq!(bad.len(), 1, "{}", res.text);
    assert_eq!(bad[0].0, 2, "{}", res.text);
    assert_eq!(
        emails_of(&participants(&app, relay)),
        vec!["lars@skovbjerg.dk"]
    );
}

#[test]
fn a_json_import_rejects_bad_elements_by_position_and_keeps_the_good_ones() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let body = json!([
        { "name": "Mette Kjær", "email": "mette@vesthavn.dk", "group": "Kommune" },
        { "name": "Lars Bech", "email": "lars@skovbjerg.dk", "group": "Kommune", "phone": "123" },
        { "name": "Hanne Lund", "email": "hanne at velfaerd.dk", "group": "Stat" },
        { "name": "Karen Storm", "email": "karen@arbejdsmiljo.dk", "group": "Stat", "title": "Direktør" },
        { "name": "Peter Krogh", "email": "peter@styrelsen.dk" },
        "Ole Hansen <ole@hansen.dk>",
        { "name": "Anne Holm", "email": "MEtte@vesthavn.dk", "group": "Stat" },
        { "name": 7, "email": "syv@tal.dk", "group": "Stat" },
    ]);
    let res = app.post(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
        &body,
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 2, "{}", res.text);
    let bad = rejected(&res);
    let lines: Vec<i64> = bad.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![2, 3, 5, 6, 7, 8], "{}", res.text);
    assert!(bad[0].1.contains("phone"), "{:?}", bad[0]);
    assert!(bad[1].1.contains("email"), "{:?}", bad[1]);
    assert!(bad[2].1.contains("group"), "{:?}", bad[2]);
    assert_eq!(
        emails_of(&participants(&app, relay)),
        vec!["karen@arbejdsmiljo.dk", "mette@vesthavn.dk"]
    );
}

#[test]
fn an_import_with_only_bad_rows_changes_nothing() {
    let app = spawn_app();
    let relay = app.create_relay(json!({}));
    let before = fingerprint(&app, Some(relay));
    let res = post_csv(
        &app,
        relay,
        "name,email,group\nLars Bech,not-an-email,Kommune\n,x@y.dk,Stat\n",
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 0);
    assert_eq!(rejected(&res).len(), 2);
    let res = app.post(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
        &json!([{ "name": "A", "email": "a@b", "group": "G" }, { "bogus": true }]),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 0);
    assert_eq!(rejected(&res).len(), 2);
    assert_unchanged(&app, Some(relay), &before);
}

#[test]
fn a_csv_with_an_unterminated_quote_reports_the_line_and_the_lines_it_swallowed() {
    let app = spawn_app();
    // The quote opens in the last column: the row itself would pass, and take the rest along.
    let relay = app.create_relay(json!({}));
    let csv = "name,email,group,title,organisation\n\
Mette Kjær,mette@vesthavn.dk,Kommune,Direktør,Vesthavn Kommune\n\
Lars Bech,lars@skovbjerg.dk,Kommune,Direktør,\"Skovbjerg Kommune\n\
Hanne Lund,hanne@velfaerd.dk,Stat,Direktør,Styrelsen\n\
\n\
Karen Storm,karen@arbejdsmiljo.dk,Stat,Direktør,Arbejdstilsynet\n";
    let res = post_csv(&app, relay, csv);
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 1, "{}", res.text);
    let bad = rejected(&res);
    let lines: Vec<i64> = bad.iter().map(|(l, _)| *l).collect();
    assert_eq!(
        lines,
        vec![3, 4, 6],
        "the row and each line it swallowed: {}",
        res.text
    );
    assert!(bad[0].1.contains("quote"), "{:?}", bad[0]);
    assert!(bad[0].1.contains("never closed"), "{:?}", bad[0]);
    for (_, reason) in &bad[1..] {
        assert!(reason.contains("line 3"), "{reason}");
    }
    assert_eq!(
        emails_of(&participants(&app, relay)),
        vec!["mette@vesthavn.dk"],
        "the good row before the quote is kept"
    );

    // In the middle of a row, and in a file ending without a line break.
    let relay = app.create_relay(json!({}));
    let csv = "name,email,group\nMette Kjær,mette@vesthavn.dk,Kommune\n\"Lars Bech,lars@skovbjerg.dk,Kommune\nHanne Lund,hanne@velfaerd.dk,Stat";
    let res = post_csv(&app, relay, csv);
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 1, "{}", res.text);
    let lines: Vec<i64> = rejected(&res).iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![3, 4], "{}", res.text);

    // A quoted field that closes, even across a line break, is no such thing.
    let relay = app.create_relay(json!({}));
    let csv = "name,email,group,organisation\n\"Storm, Karen\",karen@arbejdsmiljo.dk,Stat,\"Styrelsen for\nArbejdsmiljø\"\nMette Kjær,mette@vesthavn.dk,Kommune,";
    let res = post_csv(&app, relay, csv);
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["created"], 2, "{}", res.text);
    assert!(rejected(&res).is_empty(), "{}", res.text);
}
