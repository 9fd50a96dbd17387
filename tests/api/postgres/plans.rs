//! Statements that run under a relay's lock on every move, held to reading about as many rows as
//! they return, also once PostgreSQL plans them generically (after five runs of a prepared
//! statement) on a history that grew since it was last analysed.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::app_on_fresh_pg;

#[derive(QueryableByName)]
struct Explained {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    plan: String,
}

/// The plan of `statement` as it ran: the top node of `EXPLAIN (ANALYZE, FORMAT JSON)`.
pub(super) fn analysed(conn: &mut PgConnection, statement: &str) -> Value {
    let plan = diesel::sql_query(format!("EXPLAIN (ANALYZE, FORMAT JSON) {statement}"))
        .get_result::<Explained>(conn)
        .unwrap()
        .plan;
    let mut plan: Value = serde_json::from_str(&plan).unwrap();
    plan[0]["Plan"].take()
}

/// Rows each scan of an `EXPLAIN (ANALYZE, FORMAT JSON)` plan node and those under it read:
/// what they returned and what their filters threw away.
pub(super) fn rows_scanned(node: &Value) -> i64 {
    let own = if node["Node Type"]
        .as_str()
        .is_some_and(|t| t.contains("Scan"))
    {
        node["Actual Rows"].as_i64().unwrap_or(0) * node["Actual Loops"].as_i64().unwrap_or(1)
            + node["Rows Removed by Filter"].as_i64().unwrap_or(0)
            + node["Rows Removed by Index Recheck"].as_i64().unwrap_or(0)
    } else {
        0
    };
    let below: i64 = node["Plans"]
        .as_array()
        .map(|plans| plans.iter().map(rows_scanned).sum())
        .unwrap_or(0);
    own + below
}

/// The pairing read (`ParticipantRow::candidates`, on every ask) finds who asked the asker last:
/// the newest delivery to them. With deliveries indexed by recipient alone, the generic plan
/// walked all deliveries backwards by id until it met one to the asker, a walk as long as the
/// history since then: here 1,500 deliveries to others after the one to the asker.
#[test]
fn the_pairing_read_finds_who_asked_last_without_walking_the_history() {
    let (pg, app) = app_on_fresh_pg();
    let (relay, people) = app.open_relay(40, json!({}));
    let (asker, last) = (people[0].id, people[1].id);
    let mut conn = pg.connect();
    // Numbered placeholders for PREPARE.
    let mut n = 0;
    let sql: String = stafet::db::participants::CANDIDATES
        .chars()
        .map(|c| match c {
            '?' => {
                n += 1;
                format!("${n}")
            }
            c => c.to_string(),
        })
        .collect();
    conn.batch_execute(&format!(
        "WITH q AS (INSERT INTO questions (relay_id, asker_id, recipient_id, text, status, \
                    asked_at, delivered_at) \
                    VALUES ({relay}, {last}, {asker}, 'Først', 'answered', now(), now()) \
                    RETURNING id, asker_id, recipient_id) \
         INSERT INTO deliveries (question_id, asker_id, recipient_id, delivered_at, outcome) \
         SELECT id, asker_id, recipient_id, now(), 'answered' FROM q; \
         ANALYZE; \
         WITH q AS (INSERT INTO questions (relay_id, asker_id, recipient_id, text, status, \
                    asked_at, delivered_at) \
                    SELECT {relay}, a.id, r.id, 'Siden', 'answered', now(), now() \
                    FROM participants a JOIN participants r ON r.relay_id = a.relay_id \
                    WHERE a.relay_id = {relay} AND a.id <> r.id AND r.id <> {asker} \
                    ORDER BY a.id, r.id \
                    RETURNING id, asker_id, recipient_id) \
         INSERT INTO deliveries (question_id, asker_id, recipient_id, delivered_at, outcome) \
         SELECT id, asker_id, recipient_id, now(), 'answered' FROM q; \
         PREPARE candidates(bigint, bigint, bigint, bigint) AS {sql}"
    ))
    .unwrap();
    for (mode, runs) in [("auto", 8), ("force_generic_plan", 2)] {
        conn.batch_execute(&format!("SET plan_cache_mode = {mode}"))
            .unwrap();
        for run in 1..=runs {
            let top = &analysed(
                &mut conn,
                &format!("EXECUTE candidates({asker}, {asker}, {asker}, {relay})"),
            );
            assert_eq!(
                top["Actual Rows"], 40,
                "{mode} run {run}: everyone in the relay"
            );
            let scanned = rows_scanned(top);
            // The relay's 40 people, the asker's 39 deliveries (counted, and their recipients),
            // the groups, and one delivery to the asker.
            assert!(
                scanned <= 200,
                "{mode} run {run}: the read scanned {scanned} rows: {top:#}"
            );
        }
    }
    let last_asked_by: Option<i64> = diesel::sql_query(format!(
        "SELECT asker_id AS id FROM deliveries WHERE recipient_id = {asker} ORDER BY id DESC LIMIT 1"
    ))
    .get_result::<LastAsked>(&mut conn)
    .unwrap()
    .id;
    assert_eq!(last_asked_by, Some(last));
}

#[derive(QueryableByName)]
struct LastAsked {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    id: Option<i64>,
}
