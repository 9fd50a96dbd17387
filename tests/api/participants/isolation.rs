//! Participants are kept apart: one never sees another's inbox or questions, nor anything of
//! another relay.

use serde_json::json;

use crate::helpers::sessions::*;
use crate::helpers::{live, spawn_app};

#[test]
fn a_participant_never_sees_another_participants_inbox_or_questions() {
    let app = spawn_app();
    let (_, people) = app.open_relay(5, json!({}));
    let texts = [
        "Hvad er det sværeste ved din ledelse i år?",
        "Hvordan inddrager du borgerne i beslutninger?",
    ];
    let (qa, to_a) = ask(&app, &people[0].token, texts[0]);
    let (qb, to_b) = ask(&app, &people[1].token, texts[1]);
    let recipient_of = |text: &str| if text == texts[0] { to_a } else { to_b };
    let asker_of = |text: &str| {
        if text == texts[0] {
            people[0].id
        } else {
            people[1].id
        }
    };

    for p in &people {
        let me = app.get("/api/me", Some(&p.token));
        assert_eq!(me.status, 200);
        assert_eq!(me.body["participant"]["id"], p.id, "the right person");
        for text in texts {
            let mine = recipient_of(text) == p.id || asker_of(text) == p.id;
            assert_eq!(
                me.text.contains(text),
                mine,
                "{} sees {text:?}: {}",
                p.name,
                me.text
            );
        }
        let events = app.get("/api/me/events?since=0", Some(&p.token));
        assert_eq!(events.status, 200);
        for text in texts {
            if !(recipient_of(text) == p.id || asker_of(text) == p.id) {
                assert!(!events.text.contains(text), "{}: {}", p.name, events.text);
            }
        }
        // Every event a participant is given is addressed to them, and to nobody else.
        let ids = live::ids(events.body.as_array().unwrap());
        let theirs = ints(
            &app,
            &format!(
                "SELECT id AS n FROM events WHERE participant_id = {} ORDER BY id",
                p.id
            ),
        );
        assert_eq!(ids, theirs, "{}", p.name);
    }

    // Nobody but the recipient can answer a question, and trying changes nothing.
    for (qid, to) in [(qa, to_a), (qb, to_b)] {
        for p in people.iter().filter(|p| p.id != to) {
            let before = settled_snapshot(&app);
            let res = app.post(
                &format!("/api/me/questions/{qid}/answer"),
                Some(&p.token),
                &json!({ "text": "Et svar fra den forkerte person." }),
            );
            assert!(
                res.status == 404 || res.status == 403,
                "{} answered question {qid}: {} {}",
                p.name,
                res.status,
                res.text
            );
            assert_eq!(app.snapshot(), before);
        }
    }
}

#[test]
fn a_participant_of_one_relay_sees_nothing_of_another_relay() {
    let app = spawn_app();
    let (_, first) = app.open_relay(3, json!({}));
    let (_, second) = app.open_relay(3, json!({}));
    let text = "Hvad betyder tillid i din organisation?";
    let (qid, to) = ask(&app, &first[0].token, text);
    assert!(first.iter().any(|p| p.id == to));
    for p in &second {
        let me = app.get("/api/me", Some(&p.token));
        assert!(!me.text.contains(text));
        let ev = app.get("/api/me/events?since=0", Some(&p.token));
        assert!(!ev.text.contains(text));
        let res = app.post(
            &format!("/api/me/questions/{qid}/answer"),
            Some(&p.token),
            &json!({ "text": "Et svar fra en anden stafet." }),
        );
        assert!(res.status == 404 || res.status == 403, "{}", res.text);
    }
}
