//! On PostgreSQL an email's personal link is made by the statement that queues the email: the
//! credential's id, known only there, is encoded into the link by SQL instead of by
//! `auth::tokens::compose`. These tests hold the two encodings to each other on ids whose
//! encoding has every URL-safe character that differs from standard base64 ('-' and '_'), and
//! check that a repeated email leaves no link behind.
//!
//! The server comes from `STAFET_TEST_PG_URL`; without it these tests fail, never skip. They make
//! their own databases, so they run in the SQLite pass only (tests/sqlite_only.txt).

use diesel::connection::SimpleConnection;
use serde_json::json;
use stafet::auth::tokens;
use stafet::db::outbox::{NewEmail, OutboxRow};

use crate::helpers::app_on_fresh_pg;

#[test]
fn links_made_by_the_database_open_the_app_and_name_their_credential() {
    let (_pg, app) = app_on_fresh_pg();
    // Its base64 starts "P___----": six-bit groups of 63 (`_`), then of 62 (`-`).
    let first: i64 = 0x3FFF_FFFB_EFBE_0000;
    app.connect()
        .batch_execute(&format!(
            "ALTER TABLE credentials ALTER COLUMN id RESTART WITH {first}"
        ))
        .unwrap();
    let (_relay, people) = app.open_relay(3, json!({}));
    let mut seen = Vec::new();
    for p in &people {
        let (id, _) = tokens::split(&p.token).expect("a well-formed link");
        assert!(
            id >= first,
            "link of credential {id}, issued before the restart"
        );
        assert_eq!(
            tokens::compose(id, &p.token[tokens::ID_LEN..]),
            p.token,
            "the database's encoding of {id} differs from compose's"
        );
        seen.extend(p.token[..tokens::ID_LEN].chars());
        let res = app.get("/api/me", Some(&p.token));
        assert_eq!(res.status, 200, "{}", res.text);
    }
    assert!(
        seen.contains(&'-') && seen.contains(&'_'),
        "ids chosen to need both URL-safe characters: {seen:?}"
    );
}

#[test]
fn an_email_queued_again_under_its_key_leaves_no_link_behind() {
    let (_pg, app) = app_on_fresh_pg();
    let (_relay, people) = app.open_relay(2, json!({}));
    let links = || app.count("credentials WHERE kind = 'participant_link'");
    let before = links();
    let queued: Vec<bool> = (0..2)
        .map(|_| app.write(enqueue(people[0].id, people[0].email.clone())))
        .collect();
    assert_eq!(queued, [true, false], "queued once, then known by its key");
    assert_eq!(links(), before + 1, "one link for the one email");
    assert_eq!(
        app.count("email_outbox WHERE idempotency_key = 'again:1'"),
        1
    );
}

/// A write that queues an email under the key `again:1` with a link for participant `pid`.
fn enqueue(
    pid: i64,
    address: String,
) -> impl FnMut(&mut stafet::db::DbConn) -> Result<bool, stafet::error::AppError> + Send + 'static {
    move |conn| {
        Ok(OutboxRow::enqueue_with_link(
            conn,
            NewEmail {
                idempotency_key: "again:1".into(),
                relay_id: None,
                participant_id: Some(pid),
                kind: "question_received",
                to_address: &address,
                params: json!({}),
                link_token: None,
            },
            pid,
            stafet::db::to_db(chrono::Utc::now()),
        )?)
    }
}
