//! Large corpora made fast: copies of one asked question, written straight into the database.

use diesel::prelude::*;
use serde_json::json;

use crate::helpers::TestApp;

/// An open relay of two whose corpus holds `rows` questions of about `chars` characters: one
/// asked through the API, the rest copied from it. Returns the relay's id.
pub fn relay_with(app: &TestApp, rows: usize, chars: usize) -> i64 {
    let (relay, people) = app.open_relay(2, json!({}));
    let res = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvad betyder det for borgerne?" }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let qid = res.body["id"].as_i64().unwrap();
    copy_question(app, qid, rows - 1, &long_text(chars));
    relay
}

/// Adds `n` copies of question `qid` to its relay, each with `text` after its number. They
/// are expired, so no participant's inbox sees them. The SQL is the same on both backends
/// (`text` goes in as a literal: bind placeholders differ).
pub fn copy_question(app: &TestApp, qid: i64, n: usize, text: &str) {
    let mut conn = app.connect();
    let text = text.replace('\'', "''");
    diesel::sql_query(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
         INSERT INTO questions (relay_id, round_id, asker_id, recipient_id, text, status, \
         asked_at, delivered_at, is_starred) \
         SELECT q.relay_id, q.round_id, q.asker_id, q.recipient_id, n.i || ': ' || '{text}', \
         'expired', q.asked_at, q.delivered_at, FALSE FROM questions q, n WHERE q.id = {qid}"
    ))
    .execute(&mut conn)
    .unwrap();
}

/// A question text of about `chars` characters.
pub fn long_text(chars: usize) -> String {
    "Hvordan måler I, om samarbejdet skaber værdi for borgerne? "
        .repeat(chars / 50 + 1)
        .chars()
        .take(chars)
        .collect()
}
