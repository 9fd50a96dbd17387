//! Bad questions and answers get a clear JSON error and change nothing (SPEC §4, §6): bodies of
//! the wrong shape, texts out of bounds or of invisible characters, colleagues who cannot
//! receive, no baton, unknown or someone else's questions, answering twice, and relays in a
//! state where nobody may ask or answer. The baton and the question's status stay as they were.

use serde_json::{Value, json};

use crate::helpers::fixtures::*;
use crate::helpers::refusals::Body::Json;
use crate::helpers::refusals::{assert_json_error, assert_refused, refused};
use crate::helpers::{TestApp, spawn_app};

/// A participant link written straight into the database. A draft relay sends no email, so
/// no participant can hold a link yet; this stands in for one to prove the state check itself.
fn link_without_email(app: &TestApp, participant: i64) -> String {
    use stafet::db::credentials::{Credential, CredentialKind};
    let now = stafet::db::to_db(app.clock.now());
    app.write(move |conn| {
        Ok(Credential::issue(
            conn,
            CredentialKind::ParticipantLink,
            None,
            Some(participant),
            now,
            None,
        )?
        .token)
    })
}

/// The asker spent the baton on the question; a colleague who did not ask still holds one.
fn assert_baton_spent_only_by_the_asker(app: &TestApp, a: &Asked) {
    assert_eq!(batons(app, a.asker()), 0);
    assert_eq!(batons(app, a.bystander()), 1);
}

#[test]
fn a_question_or_answer_body_of_the_wrong_shape_is_refused_with_422() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({ "batons_per_round": 2 }));
    let before = fingerprint(&app, Some(a.relay));
    let text = "Hvad har du lært af dine medarbejdere i år?";
    let answer = format!("/api/me/questions/{}/answer", a.qid);
    let invalid = "validation_failed";
    let mut rows = Vec::new();
    for body in [
        json!({}),
        json!({ "text": 5 }),
        json!({ "text": null }),
        json!({ "txt": text }),
        json!({ "text": text, "anonymous": false }),
        json!({ "text": text, "recipient_id": "p2" }),
        json!([{ "text": text }]),
        json!(text),
    ] {
        let (asker, recipient) = (
            Some(a.asker().token.as_str()),
            Some(a.recipient().token.as_str()),
        );
        rows.push(refused(
            "POST",
            "/api/me/questions",
            asker,
            Json(body.clone()),
            422,
            invalid,
        ));
        rows.push(refused(
            "POST",
            &answer,
            recipient,
            Json(body),
            422,
            invalid,
        ));
    }
    // A reroute with an unknown field or a non-numeric target.
    for body in [json!({ "recipient": 3 }), json!({ "to": "someone" })] {
        let reroute = format!("/api/questions/{}/reroute", a.qid);
        rows.push(refused(
            "POST",
            reroute,
            Some(&app.token),
            Json(body),
            422,
            invalid,
        ));
    }
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "pending");
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
    assert_eq!(batons(&app, a.asker()), 1);
}

#[test]
fn a_question_outside_ten_to_two_thousand_characters_is_refused_and_keeps_the_baton() {
    let app = spawn_app();
    let (relay, people) = open_relay(&app, 4, json!({ "batons_per_round": 3, "max_batons": 3 }));
    let asker = &people[0];
    let before = fingerprint(&app, Some(relay));
    for text in [
        String::new(),
        "          ".to_string(),
        "   kort?   ".to_string(),
        // Nine characters once trimmed.
        " \n\t Hvorfor?? \n ".to_string(),
        "æøåæøåæøå".to_string(),
        "x".repeat(2_001),
        // 2,001 Danish letters: 4,002 bytes, but it is characters that count.
        "æ".repeat(2_001),
    ] {
        let res = app.post(
            "/api/me/questions",
            Some(&asker.token),
            &json!({ "text": text }),
        );
        assert_error(&res, 422, "text_length");
        assert_unchanged(&app, Some(relay), &before);
    }
    assert_eq!(batons(&app, asker), 3, "a refused question uses no baton");
    assert!(
        app.get("/api/me", Some(&asker.token)).body["asked"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The bounds themselves are allowed, counted in characters after trimming.
    let res = app.post(
        "/api/me/questions",
        Some(&asker.token),
        &json!({ "text": "æ".repeat(2_000) }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.body["text"].as_str().unwrap().chars().count(), 2_000);
    let res = app.post(
        "/api/me/questions",
        Some(&asker.token),
        &json!({ "text": "   æøåÆØÅæøåæ   " }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.body["text"], "æøåÆØÅæøåæ");
    assert_eq!(batons(&app, asker), 1);
}

#[test]
fn an_answer_outside_ten_to_five_thousand_characters_is_refused_and_the_question_stays_pending() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let path = format!("/api/me/questions/{}/answer", a.qid);
    let before = fingerprint(&app, Some(a.relay));
    let rows: Vec<_> = [
        String::new(),
        "\n\n\n\n\n\n\n\n\n\n\n".to_string(),
        "  Kort svar  ".to_string(),
        "ø".repeat(5_001),
    ]
    .into_iter()
    .map(|text| {
        let body = Json(json!({ "text": text }));
        refused(
            "POST",
            &path,
            Some(&a.recipient().token),
            body,
            422,
            "text_length",
        )
    })
    .collect();
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
    assert_eq!(asked_status(&app, a.asker(), a.qid), "pending");
    assert_eq!(
        batons(&app, a.recipient()),
        1,
        "no baton for a refused answer"
    );

    let res = app.post(
        &path,
        Some(&a.recipient().token),
        &json!({ "text": "ø".repeat(5_000) }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "answered");
}

#[test]
fn asking_a_colleague_who_cannot_receive_the_question_is_refused_and_keeps_the_baton() {
    let app = spawn_app();
    let (relay, people) = open_relay(&app, 3, json!({ "recipient_choice": "participant" }));
    let (other, other_people) = open_relay(&app, 2, json!({}));
    let asker = &people[0];
    let text = "Hvordan giver du dine ledere rum til at lede?";
    let ask = |body: Value| app.post("/api/me/questions", Some(&asker.token), &body);
    let before = fingerprint(&app, Some(relay));
    let before_other = fingerprint(&app, Some(other));
    // Nobody, or not a colleague in this relay.
    for to in [999_999, other_people[0].id] {
        let res = ask(json!({ "text": text, "recipient_id": to }));
        assert_json_error(&format!("recipient {to}"), &res, 404, "not_found");
    }
    // Oneself.
    let res = ask(json!({ "text": text, "recipient_id": asker.id }));
    assert_error(&res, 409, "recipient_not_eligible");
    // In participant mode the asker must choose.
    assert_error(&ask(json!({ "text": text })), 422, "validation_failed");
    assert_unchanged(&app, Some(relay), &before);
    assert_unchanged(&app, Some(other), &before_other);
    assert_eq!(batons(&app, asker), 1);

    // A colleague who already got a question from the asker cannot get a second one.
    let res = ask(json!({ "text": text, "recipient_id": people[1].id }));
    assert_eq!(res.status, 201, "{}", res.text);
    let res = app.post(
        &format!("/api/me/questions/{}/answer", res.body["id"]),
        Some(&people[1].token),
        &json!({ "text": "Ved at fjerne en tredjedel af rapporteringen." }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let res = app.post(
        "/api/me/questions",
        Some(&people[1].token),
        &json!({ "text": "Og hvordan gør du selv det i praksis?", "recipient_id": asker.id }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let res = app.post(
        &format!("/api/me/questions/{}/answer", res.body["id"]),
        Some(&asker.token),
        &json!({ "text": "Jeg spørger mine medarbejdere hver uge." }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(batons(&app, asker), 1, "the answer passed a baton on");
    let before = fingerprint(&app, Some(relay));
    let res = ask(
        json!({ "text": "Et spørgsmål mere til samme kollega?", "recipient_id": people[1].id }),
    );
    assert_error(&res, 409, "recipient_not_eligible");
    assert_unchanged(&app, Some(relay), &before);
    assert_eq!(batons(&app, asker), 1);
}

#[test]
fn asking_without_a_baton_or_naming_a_colleague_in_auto_mode_is_refused() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let text = "Hvordan giver du dine ledere rum til at lede?";
    let before = fingerprint(&app, Some(a.relay));
    let named = json!({ "text": text, "recipient_id": a.asker().id });
    #[rustfmt::skip]
    let rows = [
        // The asker used their only baton.
        refused("POST", "/api/me/questions", Some(&a.asker().token), Json(json!({ "text": text })), 409, "no_baton"),
        // In auto mode the relay picks; naming someone is refused.
        refused("POST", "/api/me/questions", Some(&a.bystander().token), Json(named), 422, "validation_failed"),
    ];
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_baton_spent_only_by_the_asker(&app, &a);
}

#[test]
fn an_unknown_question_cannot_be_answered_or_rerouted() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    let t = Some(app.token.as_str());
    let answer = json!({ "text": "Et svar der er langt nok." });
    #[rustfmt::skip]
    let rows = [
        refused("POST", "/api/me/questions/999999/answer", Some(&a.recipient().token), Json(answer), 404, "not_found"),
        refused("POST", "/api/questions/999999/reroute", t, Json(json!({})), 404, "not_found"),
        refused("POST", "/api/questions/999999/reroute", t, Json(json!({ "to": a.bystander().id })), 404, "not_found"),
        // A known question, but an unknown target.
        refused("POST", format!("/api/questions/{}/reroute", a.qid), t, Json(json!({ "to": 999999 })), 404, "not_found"),
    ];
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
}

#[test]
fn a_question_cannot_be_rerouted_to_a_participant_of_another_relay() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let (other, other_people) = open_relay(&app, 2, json!({}));
    let before = fingerprint(&app, Some(a.relay));
    let before_other = fingerprint(&app, Some(other));
    let res = app.post(
        &format!("/api/questions/{}/reroute", a.qid),
        Some(&app.token),
        &json!({ "to": other_people[0].id }),
    );
    assert_error(&res, 404, "not_found");
    assert_unchanged(&app, Some(a.relay), &before);
    assert_unchanged(&app, Some(other), &before_other);
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
}

#[test]
fn a_participant_cannot_answer_a_question_passed_to_someone_else() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let path = format!("/api/me/questions/{}/answer", a.qid);
    let before = fingerprint(&app, Some(a.relay));
    // Exactly as if the question did not exist: its existence is not theirs to learn.
    let rows: Vec<_> = [a.asker(), a.bystander()]
        .into_iter()
        .map(|who| {
            let body = Json(json!({ "text": "Et svar fra den forkerte person." }));
            refused("POST", &path, Some(&who.token), body, 404, "not_found")
        })
        .collect();
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "pending");
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
    assert_baton_spent_only_by_the_asker(&app, &a);
}

#[test]
fn answering_the_same_question_twice_is_a_conflict_and_keeps_the_first_answer() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    let path = format!("/api/me/questions/{}/answer", a.qid);
    let first = "Jeg har fjernet en tredjedel af rapporteringen.";
    let res = app.post(&path, Some(&a.recipient().token), &json!({ "text": first }));
    assert_eq!(res.status, 201, "{}", res.text);
    let before = fingerprint(&app, Some(a.relay));
    let res = app.post(
        &path,
        Some(&a.recipient().token),
        &json!({ "text": "Et andet svar på det samme spørgsmål." }),
    );
    assert_error(&res, 409, "not_pending");
    assert_unchanged(&app, Some(a.relay), &before);
    let me = app.get("/api/me", Some(&a.asker().token));
    assert_eq!(me.body["asked"][0]["answer"]["text"], first);
    assert_eq!(batons(&app, a.recipient()), 2, "one baton for one answer");
    // A facilitator cannot reroute an answered question either.
    let res = app.post(
        &format!("/api/questions/{}/reroute", a.qid),
        Some(&app.token),
        &json!({}),
    );
    assert_error(&res, 409, "not_pending");
    assert_unchanged(&app, Some(a.relay), &before);
}

#[test]
fn nobody_can_ask_in_a_draft_or_scheduled_relay() {
    let app = spawn_app();
    let draft = app.create_relay(json!({}));
    let people = app.import_people(draft, 3);
    let token = link_without_email(&app, people[0].id);
    let before = fingerprint(&app, Some(draft));
    let res = app.post(
        "/api/me/questions",
        Some(&token),
        &json!({ "text": "Hvordan giver du dine ledere rum til at lede?" }),
    );
    assert_error(&res, 409, "wrong_state");
    assert_unchanged(&app, Some(draft), &before);

    let scheduled = app.create_relay(json!({}));
    let mut people = app.import_people(scheduled, 3);
    let res = app.post(
        &format!("/api/relays/{scheduled}/schedule"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    read_links(&app, &mut people);
    let before = fingerprint(&app, Some(scheduled));
    let res = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvordan giver du dine ledere rum til at lede?" }),
    );
    assert_error(&res, 409, "wrong_state");
    // Nor answer a question id they could only guess.
    let res = app.post(
        "/api/me/questions/1/answer",
        Some(&people[1].token),
        &json!({ "text": "Et svar der er langt nok." }),
    );
    assert_error(&res, 404, "not_found");
    assert_unchanged(&app, Some(scheduled), &before);
    assert_eq!(batons(&app, &people[0]), 0);
}

#[test]
fn nobody_can_ask_or_answer_in_a_closed_relay() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({}));
    app.close_relay(a.relay);
    let before = fingerprint(&app, Some(a.relay));
    let recipient = Some(a.recipient().token.as_str());
    let late_answer = json!({ "text": "Et svar der kommer for sent." });
    let late_question = json!({ "text": "Et spørgsmål der kommer for sent?" });
    #[rustfmt::skip]
    let rows = [
        refused("POST", format!("/api/me/questions/{}/answer", a.qid), recipient, Json(late_answer), 409, "wrong_state"),
        refused("POST", "/api/me/questions", recipient, Json(late_question), 409, "wrong_state"),
        refused("POST", format!("/api/questions/{}/reroute", a.qid), Some(&app.token), Json(json!({})), 409, "wrong_state"),
    ];
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(asked_status(&app, a.asker(), a.qid), "expired");
}

/// Texts that show nothing, or nine characters padded out with characters that show nothing.
fn invisible_texts() -> Vec<String> {
    vec![
        "\u{200B}".repeat(20),
        "\u{00A0}".repeat(20),
        "\u{202E}\u{2066}\u{200F}\u{2069}".repeat(5),
        "\u{FEFF}\u{2060}\u{00AD}\u{200D}".repeat(5),
        "\u{3000}\u{2800}\u{3164}\u{200B} \n".repeat(5),
        "\u{0007}\u{001B}".repeat(10),
        "Hvorfor??\u{200B}\u{200B}\u{200B}".to_string(),
        "Hvo\u{200B}rfor\u{2060}?\u{00AD}?\u{FEFF}".to_string(),
        format!("\u{00A0}\u{200B}Hvorfor??{}", "\u{200B}\u{00A0}".repeat(10)),
    ]
}

#[test]
fn a_question_or_answer_of_invisible_characters_is_refused_and_changes_nothing() {
    let app = spawn_app();
    let a = relay_with_question(&app, json!({ "batons_per_round": 2, "max_batons": 2 }));
    let answer = format!("/api/me/questions/{}/answer", a.qid);
    let before = fingerprint(&app, Some(a.relay));
    let (asker, recipient) = (
        Some(a.asker().token.as_str()),
        Some(a.recipient().token.as_str()),
    );
    let mut rows = Vec::new();
    for text in invisible_texts() {
        let body = json!({ "text": text });
        rows.push(refused(
            "POST",
            "/api/me/questions",
            asker,
            Json(body.clone()),
            422,
            "text_length",
        ));
        rows.push(refused(
            "POST",
            &answer,
            recipient,
            Json(body),
            422,
            "text_length",
        ));
    }
    // Ten letters under thousands of combining marks are not a ten-character question.
    let zalgo = json!({ "text": format!("Hvorfor?!?{}", "\u{0301}".repeat(2_001)) });
    rows.push(refused(
        "POST",
        "/api/me/questions",
        asker,
        Json(zalgo),
        422,
        "text_length",
    ));
    assert_refused(&app, &rows);
    assert_unchanged(&app, Some(a.relay), &before);
    assert_eq!(inbox_status(&app, a.recipient(), a.qid), "pending");
    assert_eq!(batons(&app, a.asker()), 1, "refused questions use no baton");

    // What is kept is what shows, without the controls that could make it read otherwise.
    let res = app.post(
        "/api/me/questions",
        Some(&a.asker().token),
        &json!({ "text": "\u{200B}\u{00A0}Hvem godkender \u{202E}fdp.exe\u{202C}?\u{200B}" }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.body["text"], "Hvem godkender fdp.exe?");
}
