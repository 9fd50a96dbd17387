//! Several servers on one PostgreSQL database: every instance's outbox worker sends, and each
//! email goes out once; an email a dead instance claimed goes out from another once its lease
//! ends; the scheduler runs on one instance and moves to another when that one is killed.
//! Behind a load balancer, rate limits key on the forwarded client address only when the peer
//! is a trusted proxy.
//!
//! The PostgreSQL tests make their own databases on `STAFET_TEST_PG_URL` (without it they
//! fail, never skip); the file runs once, in the suite's first pass.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;
use smtp::SmtpServer;
use stafet::db::outbox::{NewEmail, OutboxRow};
use stafet::db::{DbConn, to_db};
use stafet::email::worker::Mailer;

use crate::helpers::binary;
use crate::helpers::pg::FreshPg;
use crate::helpers::smtp;
use crate::helpers::{self, TestApp, spawn_app_with};

/// Polls `ok` every 50 ms until it holds; fails after a minute.
fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    binary::wait_for(what, || ok().then_some(()));
}

/// An SMTP sink on a free port, and its port.
fn smtp_sink() -> (SmtpServer, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (SmtpServer::start(listener), port)
}

/// A server on the fresh database `pg`, sending to the SMTP sink on `port`.
fn app_on(pg: &FreshPg, port: u16) -> TestApp {
    let url = pg.url();
    spawn_app_with(move |s| {
        s.database.url = url;
        s.email.smtp.host = Some("127.0.0.1".into());
        s.email.smtp.port = port;
        s.email.smtp.tls = "none".into();
        s.email.smtp.timeout_secs = 5;
    })
}

/// How many messages the sink received with each Message-ID.
fn by_message_id(sink: &SmtpServer) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for m in sink.messages() {
        *seen.entry(m.message_id).or_default() += 1;
    }
    seen
}

#[test]
fn two_servers_workers_send_each_of_200_emails_exactly_once() {
    let pg = FreshPg::create();
    let (sink, port) = smtp_sink();
    let app = app_on(&pg, port);
    let other = app.another_instance();
    let relay = app.create_relay(json!({}));
    app.import_people(relay, 100);
    // Invitations through one instance, openings through the other: 200 emails, queued in
    // two bursts that both workers see.
    let scheduled = app.post(
        &format!("/api/relays/{relay}/schedule"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(scheduled.status, 200, "{}", scheduled.text);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let opened = helpers::to_res(
        agent
            .post(format!("{other}/api/relays/{relay}/open"))
            .header("Authorization", format!("Bearer {}", app.token))
            .content_type("application/json")
            .send(b"{}".as_slice()),
    );
    assert_eq!(opened.status, 200, "{}", opened.text);
    assert_eq!(app.count("email_outbox"), 200);

    wait_for("every email sent", || {
        app.count("email_outbox WHERE status = 'sent'") == 200
    });
    // Anything sent twice would arrive by now: both workers look at least once a second.
    std::thread::sleep(Duration::from_secs(2));
    let seen = by_message_id(&sink);
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
    assert_eq!(seen.len(), 200, "one message per outbox row");
    assert_eq!(sink.messages().len(), 200);
    assert_eq!(app.count("email_outbox WHERE attempts != 1"), 0);
}

#[test]
fn an_email_claimed_by_a_dead_instance_is_sent_by_another_after_the_lease() {
    let pg = FreshPg::create();
    let (sink, port) = smtp_sink();
    let app = app_on(&pg, port);
    let _other = app.another_instance();
    // Settle the fixture's own emails (none: no relay yet), then let a "dead" instance queue
    // and claim an email in one transaction, on a connection of its own (no server's commit
    // signal fires), and never send or mark it.
    let now = app.clock.now();
    let lease = Duration::from_secs(120);
    let mut dead = DbConn::Pg(pg.connect());
    let row = dead
        .transaction::<_, diesel::result::Error, _>(|conn| {
            let queued = OutboxRow::enqueue(
                conn,
                NewEmail {
                    idempotency_key: "reset:dead-instance".into(),
                    relay_id: None,
                    participant_id: None,
                    kind: "password_reset",
                    to_address: "leder@kommune.dk",
                    params: json!({
                        "participant_name": "Lea Leder",
                        "relay_title": "Stafet",
                        "language": "da",
                    }),
                    link_token: Some("secret-of-the-link".into()),
                },
                to_db(now),
            )?;
            assert!(queued);
            let lease_until = to_db(now + chrono::Duration::from_std(lease).unwrap());
            let mut claimed = OutboxRow::claim_due(conn, to_db(now), lease_until, 10)?;
            assert_eq!(claimed.len(), 1);
            Ok(claimed.remove(0))
        })
        .unwrap();
    // What the dead instance would have sent, had it got that far.
    let mailer = Mailer::new("Stafet <stafet@localhost>", &app.mail_dir, "http://x").unwrap();
    let would_have_sent =
        smtp::parse(&String::from_utf8(mailer.build(&row).unwrap().formatted()).unwrap());

    // While the lease runs, the living servers leave the email alone (each looks every second).
    std::thread::sleep(Duration::from_secs(3));
    assert!(sink.messages().is_empty(), "sent during another's lease");
    assert_eq!(app.count("email_outbox WHERE status = 'queued'"), 1);

    app.clock
        .advance(chrono::Duration::from_std(lease).unwrap() + chrono::Duration::seconds(1));
    wait_for("the email sent after the lease", || {
        app.count("email_outbox WHERE status = 'sent'") == 1
    });
    std::thread::sleep(Duration::from_secs(2));
    let msgs = sink.messages();
    assert_eq!(msgs.len(), 1, "sent once");
    assert_eq!(msgs[0].to, "leder@kommune.dk");
    assert_eq!(
        msgs[0].message_id, would_have_sent.message_id,
        "the resend keeps the Message-ID"
    );
}

/// `n` password-reset emails queued now on `conn`.
fn queue_resets(conn: &mut DbConn, n: usize, now: chrono::NaiveDateTime) {
    for i in 0..n {
        let email = NewEmail {
            idempotency_key: format!("reset:{i}"),
            relay_id: None,
            participant_id: None,
            kind: "password_reset",
            to_address: "leder@kommune.dk",
            params: json!({ "participant_name": "Lea", "relay_title": "Stafet", "language": "da" }),
            link_token: None,
        };
        assert!(OutboxRow::enqueue(conn, email, now).unwrap());
    }
}

/// Two workers claiming at once: the second takes the due emails the first has not claimed,
/// without waiting for the first's transaction to end.
#[test]
fn a_claim_skips_the_emails_another_claim_holds_instead_of_waiting() {
    let pg = FreshPg::create();
    // Migrated; no server runs, so no worker of its own claims anything.
    pg.open(1);
    let now = to_db(Utc::now());
    let lease = now + chrono::Duration::minutes(2);
    let (mut first, mut second) = (DbConn::Pg(pg.connect()), DbConn::Pg(pg.connect()));
    queue_resets(&mut first, 10, now);

    first.batch_execute("BEGIN").unwrap();
    let held = OutboxRow::claim_due(&mut first, now, lease, 4).unwrap();
    assert_eq!(held.len(), 4);
    // Waiting for the first claim would end in this timeout's error.
    second.batch_execute("SET lock_timeout = '5s'").unwrap();
    let taken = second
        .transaction::<_, diesel::result::Error, _>(|c| OutboxRow::claim_due(c, now, lease, 10))
        .expect("the second claim does not wait for the first");
    first.batch_execute("COMMIT").unwrap();

    assert_eq!(taken.len(), 6, "the second claim takes the rest");
    let mut ids: Vec<i64> = held.iter().chain(&taken).map(|r| r.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 10, "no email claimed twice");
    // Both leases hold: nothing is due any more.
    let again = second
        .transaction::<_, diesel::result::Error, _>(|c| OutboxRow::claim_due(c, now, lease, 10))
        .unwrap();
    assert!(again.is_empty());
}

/// Whether the server logging to `log` said it runs the background jobs.
fn runs_jobs(log: &Path) -> bool {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .contains("this instance runs the background jobs")
}

#[test]
fn when_the_scheduler_instance_is_killed_a_relay_still_opens_once_from_the_other() {
    let pg = FreshPg::create();
    let (_sink, port) = smtp_sink();
    let dir = tempfile::tempdir().unwrap();
    let url = pg.url();
    let token = binary::add_facilitator(Path::new(&url), "fac@example.dk");
    let logs = [dir.path().join("a.log"), dir.path().join("b.log")];
    let mut servers = [
        binary::serve_pg(&url, port, &logs[0], &token),
        binary::serve_pg(&url, port, &logs[1], &token),
    ];
    binary::wait_for("one server to take the jobs", || {
        logs.iter().position(|l| runs_jobs(l))
    });
    // Give the other a few tries for the lock: it must not get it while the holder lives.
    std::thread::sleep(Duration::from_secs(4));
    let holders: Vec<usize> = (0..2).filter(|&i| runs_jobs(&logs[i])).collect();
    assert_eq!(holders.len(), 1, "one instance runs the jobs: {holders:?}");
    let (holder, survivor) = (holders[0], 1 - holders[0]);

    // A relay scheduled to open in a few seconds, through the surviving instance.
    let http = &servers[survivor].http;
    let starts_at = Utc::now() + chrono::Duration::seconds(6);
    let (status, body) = http
        .send(
            "POST",
            "/api/relays",
            Some(&token),
            Some(&json!({
                "title": "Ledelse på tværs",
                "topic": "Offentlig ledelse",
                "purpose": "Spørgsmål mellem ledere.",
                "language": "da",
                "timezone": "Europe/Copenhagen",
                "starts_at": starts_at,
                "settings": {},
            })),
        )
        .unwrap();
    assert_eq!(status, 201, "{body}");
    let relay = serde_json::from_str::<serde_json::Value>(&body).unwrap()["id"]
        .as_i64()
        .unwrap();
    let people: Vec<_> = (0..4)
        .map(|i| json!({ "name": format!("Leder {i}"), "email": format!("l{i}@by.dk"), "group": "A" }))
        .collect();
    let (status, body) = http
        .send(
            "POST",
            &format!("/api/relays/{relay}/participants"),
            Some(&token),
            Some(&json!(people)),
        )
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, body) = http
        .send(
            "POST",
            &format!("/api/relays/{relay}/schedule"),
            Some(&token),
            Some(&json!({})),
        )
        .unwrap();
    assert_eq!(status, 200, "{body}");

    // The scheduler's instance dies before the opening is due.
    servers[holder].child.kill().unwrap();
    servers[holder].child.wait().unwrap();
    assert!(
        Utc::now() < starts_at,
        "the machine was too slow to kill it in time"
    );

    let mut conn = pg.connect();
    let count = |conn: &mut PgConnection, sql: &str| -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {sql}"))
            .get_result::<N>(conn)
            .unwrap()
            .n
    };
    wait_for("the relay to open", || {
        count(
            &mut conn,
            &format!("relays WHERE id = {relay} AND state = 'open'"),
        ) == 1
    });
    assert!(
        runs_jobs(&logs[survivor]),
        "the survivor took the jobs over"
    );
    // Ticks go on every 200 ms: a second opening would show by now.
    std::thread::sleep(Duration::from_secs(1));
    // One `relay_opened` event per participant and one for staff: an opening applied twice
    // would give someone two.
    let opened = format!("events WHERE relay_id = {relay} AND kind = 'relay_opened'");
    assert_eq!(count(&mut conn, &opened), 5, "opened once");
    let feeds = format!(
        "(SELECT DISTINCT COALESCE(participant_id, 0) FROM events WHERE relay_id = {relay} \
         AND kind = 'relay_opened') AS feeds"
    );
    assert_eq!(count(&mut conn, &feeds), 5, "opened once for each feed");
    assert_eq!(
        count(
            &mut conn,
            &format!("email_outbox WHERE relay_id = {relay} AND kind = 'opening'")
        ),
        4
    );
}

/// Three failed sign-ins from one client with `X-Forwarded-For: forwarded`.
fn sign_in_from(app: &TestApp, forwarded: &str) -> u16 {
    app.send_raw(
        "POST",
        "/api/auth/login",
        None,
        "application/json",
        json!({ "email": "fac@example.dk", "password": "wrong password" })
            .to_string()
            .as_bytes(),
        &[("X-Forwarded-For", forwarded)],
    )
    .status
}

#[test]
fn the_login_limit_keys_on_the_forwarded_address_only_from_a_trusted_proxy() {
    let limited = |trusted: Vec<String>| {
        spawn_app_with(move |s| {
            s.rate_limit.login_per_minute = 2;
            s.server.trusted_proxies = trusted.try_into().unwrap();
        })
    };
    // Behind a trusted proxy (the test client's own address): each forwarded client has its
    // own allowance.
    let app = limited(vec!["127.0.0.1".into()]);
    assert_eq!(sign_in_from(&app, "198.51.100.1"), 401);
    assert_eq!(sign_in_from(&app, "198.51.100.1"), 401);
    assert_eq!(sign_in_from(&app, "198.51.100.1"), 429);
    // A client writing its own X-Forwarded-For through the proxy does not escape it: the
    // right-most untrusted address is what the proxy saw.
    assert_eq!(sign_in_from(&app, "203.0.113.77, 198.51.100.1"), 429);
    assert_eq!(sign_in_from(&app, "198.51.100.2"), 401);

    // From a peer that is no trusted proxy the header is ignored: one allowance for the peer.
    let app = limited(vec!["10.0.0.0/8".into()]);
    assert_eq!(sign_in_from(&app, "198.51.100.1"), 401);
    assert_eq!(sign_in_from(&app, "198.51.100.2"), 401);
    assert_eq!(sign_in_from(&app, "198.51.100.3"), 429);
}
