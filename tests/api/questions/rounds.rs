//! The round a question belongs to: the latest round started when it was asked, so a question
//! asked between two rounds belongs to the one before. (PostgreSQL decides this inside the
//! statement that stores the question, SQLite from the rounds it reads; the whole suite runs on
//! both.)

use chrono::Duration;
use serde_json::json;

use crate::helpers::{relay_body, spawn_app, t0};

#[test]
fn a_question_belongs_to_the_latest_round_started_when_it_was_asked() {
    let app = spawn_app();
    let round = |name: &str, from: i64, to: i64| {
        json!({ "name": name, "starts_at": t0() + Duration::hours(from),
                "ends_at": t0() + Duration::hours(to) })
    };
    let mut body = relay_body();
    body["rounds"] = json!([round("Dag 1", 0, 8), round("Dag 2", 24, 32)]);
    body["settings"] = json!({ "batons_per_round": 1, "max_batons": 5 });
    let res = app.post("/api/relays", Some(&app.token), &body);
    assert_eq!(res.status, 201, "{}", res.text);
    let relay = res.body["id"].as_i64().unwrap();
    let mut people = app.import_people(relay, 8);
    app.open(relay, &mut people);

    // Opening moves the rounds so the first starts now: Dag 1 for 8 hours, a gap, Dag 2 from
    // the 24th hour. (hours after opening, the round a question asked then belongs to)
    let asks = [(1, "Dag 1"), (12, "Dag 1"), (25, "Dag 2"), (31, "Dag 2")];
    let mut clock_at = Duration::zero();
    for (i, (at, _)) in asks.iter().enumerate() {
        let to = Duration::hours(*at);
        if to > clock_at {
            app.advance(to - clock_at);
            clock_at = to;
        }
        let res = app.post(
            "/api/me/questions",
            Some(&people[i].token),
            &json!({ "text": format!("Spørgsmål nummer {i} om rundernes grænser?") }),
        );
        assert_eq!(res.status, 201, "ask {i} at {at} h: {}", res.text);
    }

    let corpus = app.get(
        &format!("/api/relays/{relay}/corpus?format=json"),
        Some(&app.token),
    );
    assert_eq!(corpus.status, 200, "{}", corpus.text);
    for (i, (at, round)) in asks.iter().enumerate() {
        let text = format!("Spørgsmål nummer {i} om rundernes grænser?");
        let row = corpus
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["question"] == text)
            .unwrap_or_else(|| panic!("question {i} not in the corpus: {}", corpus.text));
        assert_eq!(
            row["round_name"],
            json!(round),
            "asked {at} h after the first round's start: {row}"
        );
    }
}
