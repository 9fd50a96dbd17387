//! Participants' moves on PostgreSQL commit in groups per relay lane (`Db::write_in`): the
//! moves waiting together share one transaction; a group takes its relays in ascending order,
//! so two instances' groups of the same relays never deadlock; and a group that meets a lost
//! connection is told to try again. That a failed move is undone alone, on both backends, is
//! `system::group_commit`.
//!
//! The server comes from `STAFET_TEST_PG_URL`; without it these tests fail, never skip.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use stafet::db::schema::staff_users;
use stafet::db::staff::StaffUserRow;
use stafet::db::{Db, DbConn, to_db};
use stafet::error::AppError;
use stafet::relay::StaffRole;

use crate::helpers::groups::{Move, add, behind_a_holder, runtime, staff};
use crate::helpers::pg::FreshPg;

#[derive(QueryableByName)]
struct Txid {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    txid: i64,
}

fn txid(c: &mut DbConn) -> Result<i64, AppError> {
    Ok(diesel::sql_query("SELECT txid_current() AS txid")
        .get_result::<Txid>(c)?
        .txid)
}

#[test]
fn moves_waiting_together_commit_in_one_transaction() {
    let pg = FreshPg::create();
    let db = pg.open(1);
    let rt = runtime();
    let moves: Vec<(i64, Move<i64>)> = (0..6_i64)
        .map(|i| (i % 3, Box::new(txid) as Move<i64>))
        .collect();
    let txids = rt.block_on(behind_a_holder(&db, 0, moves, || ()));
    let txids: Vec<i64> = txids.into_iter().map(Result::unwrap).collect();
    assert!(
        txids.iter().all(|t| *t == txids[0]),
        "one transaction for the group: {txids:?}"
    );
    let alone = rt.block_on(db.write_in(1, None, txid)).unwrap();
    assert_ne!(
        alone, txids[0],
        "the next move starts a transaction of its own"
    );
}

/// Waits until `n` moves hold their first row, or `limit` passes: returns whether they all did.
fn meet(place: &(Mutex<usize>, Condvar), n: usize, limit: Duration) -> bool {
    let (count, turn) = place;
    let mut count = count.lock().unwrap();
    *count += 1;
    turn.notify_all();
    let (count, _) = turn.wait_timeout_while(count, limit, |c| *c < n).unwrap();
    *count >= n
}

/// Two instances each hold a group with a move of relay `low` and one of relay `high`, queued
/// in opposite orders. Taken in arrival order, each group would hold one row the other wants
/// next: a deadlock PostgreSQL breaks by aborting one, which runs again. In ascending relay
/// order both groups want `low` first, so one simply waits for the other, and every move runs
/// once.
#[test]
fn two_instances_groups_of_the_same_relays_never_deadlock() {
    let pg = FreshPg::create();
    let (a, b) = (pg.open(1), pg.open(1));
    let now = to_db(chrono::Utc::now());
    let (low, high) = runtime()
        .block_on(a.write(move |c| {
            let low = StaffUserRow::insert(c, "low@x.dk", StaffRole::Analyst, "x", now)?;
            let high = StaffUserRow::insert(c, "high@x.dk", StaffRole::Analyst, "x", now)?;
            Ok((low.id, high.id))
        }))
        .unwrap();
    let place = Arc::new((Mutex::new(0_usize), Condvar::new()));
    let runs = Arc::new(Mutex::new(0_usize));
    // A move of relay `id` that takes its row, and on its first run waits (at most a second)
    // for the other instance's move to take one too.
    let take = |id: i64| -> (i64, Move<bool>) {
        let (place, runs) = (place.clone(), runs.clone());
        let mut first = true;
        (
            id,
            Box::new(move |c| {
                *runs.lock().unwrap() += 1;
                diesel::update(staff_users::table.find(id))
                    .set(staff_users::is_suspended.eq(true))
                    .execute(c)?;
                let both = first && meet(&place, 2, Duration::from_secs(1));
                first = false;
                Ok(both)
            }),
        )
    };
    // Both holders are let go once both instances have queued their moves. Each instance on a
    // thread of its own: the gate blocks.
    let gate = Arc::new((Mutex::new(0_usize), Condvar::new()));
    let group = |db: Db, moves: Vec<(i64, Move<bool>)>| {
        let gate = gate.clone();
        std::thread::spawn(move || {
            runtime().block_on(behind_a_holder(&db, 0, moves, move || {
                assert!(meet(&gate, 2, Duration::from_secs(10)), "both queued");
            }))
        })
    };
    let one = group(a, vec![take(high), take(low)]);
    let two = group(b, vec![take(low), take(high)]);
    for result in one.join().unwrap().into_iter().chain(two.join().unwrap()) {
        result.unwrap();
    }
    assert_eq!(
        *runs.lock().unwrap(),
        4,
        "every move ran once: no deadlock aborted a group"
    );
}

#[derive(QueryableByName)]
struct Ended {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    ended: i64,
}

/// A lane whose connection the server ended a moment after its last use (a restart, a
/// failover): the moves of the group that meets it are told 503 `unavailable`, to try again,
/// never 500; nothing of theirs is stored; and the next move gets a fresh connection.
#[test]
fn a_group_that_meets_a_lost_connection_is_told_to_try_again() {
    let pg = FreshPg::create();
    let db = pg.open(1);
    let rt = runtime();
    rt.block_on(db.write_in(1, None, |c| add(c, "before@x.dk")))
        .unwrap();
    let ended = diesel::sql_query(
        "SELECT count(pg_terminate_backend(pid)) AS ended FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .get_result::<Ended>(&mut pg.connect())
    .unwrap()
    .ended;
    assert!(ended >= 1, "the lane had a session open");
    let cut = rt
        .block_on(db.write_in(1, None, |c| add(c, "cut@x.dk")))
        .expect_err("the lane's connection was ended");
    assert_eq!(cut.status().as_u16(), 503, "{cut:?}");
    assert_eq!(cut.code(), "unavailable");
    rt.block_on(db.write_in(1, None, |c| add(c, "after@x.dk")))
        .expect("a fresh connection");
    assert_eq!(staff(&rt, &db, "cut@x.dk"), 0);
    assert_eq!(staff(&rt, &db, "after@x.dk"), 1);
}

/// The events and emails of a group's moves are written at the group's end, one statement for
/// each table (`db::deferred`): a later move of the group does not see them yet, and they come
/// in the moves' order, in the group's one transaction, with links that sign in.
#[test]
fn a_groups_appended_rows_are_written_at_its_end_in_the_moves_order() {
    let opened = open_six();
    let (app, relay, people) = (&opened.app, opened.relay, &opened.people);
    let (seen, links) = (opened.seen, opened.links);
    let moves = vec![
        (
            relay,
            ask(people[0].id, "Hvad lærte du af sidste budgetforhandling?"),
        ),
        (relay, ask(people[1].id, "Hvem spørger du til råds?")),
        (relay, ask(people[2].id, "Hvad ville du gøre om?")),
        // Counts the relay's events: the asks' are not written yet.
        (
            relay,
            Box::new(move |c| {
                use stafet::db::schema::events;
                let n = events::table.filter(events::relay_id.eq(relay)).count();
                Ok(n.get_result::<i64>(c)?)
            }),
        ),
    ];
    let rt = runtime();
    let mut asked: Vec<i64> = rt
        .block_on(behind_a_holder(&app.db, relay, moves, || ()))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(asked.pop(), Some(seen), "written at the end of the group");
    let rows = events_after(app, relay, seen);
    assert_eq!(
        kinds_and_questions(&rows),
        ask_events(&asked),
        "three events per ask, in the order of the asks"
    );
    assert!(
        rows.iter().all(|r| r.tx == rows[0].tx),
        "the group's one transaction wrote them: {rows:?}"
    );
    assert_eq!(
        app.count("credentials WHERE kind = 'participant_link'"),
        links + 3,
        "a link for each email"
    );
    let emails = app.emails();
    for q in asked {
        let to = recipient_email(app, q);
        let email = emails
            .iter()
            .rev()
            .find(|e| e.to == to && e.link_token().is_some())
            .unwrap_or_else(|| panic!("no email with a link to {to}"));
        let res = app.get("/api/me", Some(&email.link_token().unwrap()));
        assert_eq!(res.status, 200, "{}", res.text);
    }
}

/// A move that fails after asking takes its deferred rows with it, and a row the database
/// refuses only when the group's rows are written makes the group run again with a savepoint
/// around each move, where only the move that appended it fails.
#[test]
fn a_group_whose_appended_rows_are_refused_runs_again_and_only_their_move_fails() {
    use stafet::db::events::Audience;
    use stafet::ops::notify;
    use stafet::relay::EventKind;

    let opened = open_six();
    let (app, relay, people) = (&opened.app, opened.relay, &opened.people);
    let (seen, links) = (opened.seen, opened.links);
    let mut regret = ask(people[1].id, "Hvem spørger du til råds?");
    let moves: Vec<(i64, Move<i64>)> = vec![
        (
            relay,
            ask(people[0].id, "Hvad lærte du af sidste budgetforhandling?"),
        ),
        (
            relay,
            Box::new(move |c| {
                regret(c)?;
                Err(AppError::validation("changed my mind"))
            }),
        ),
        // An event for nobody: refused by its foreign key when the group's events are written.
        (
            relay,
            Box::new(move |c| {
                let now = chrono::Utc::now();
                let nobody = Audience::Participant(i64::MAX);
                let data = serde_json::json!({});
                notify::event(c, relay, nobody, EventKind::QuestionSent, data, now)?;
                Ok(0)
            }),
        ),
        (relay, ask(people[2].id, "Hvad ville du gøre om?")),
    ];
    let results = runtime().block_on(behind_a_holder(&app.db, relay, moves, || ()));
    let ok: Vec<bool> = results.iter().map(Result::is_ok).collect();
    assert_eq!(ok, [true, false, false, true], "{results:?}");
    let asked: Vec<i64> = results.into_iter().filter_map(Result::ok).collect();
    let rows = events_after(app, relay, seen);
    assert_eq!(
        kinds_and_questions(&rows),
        ask_events(&asked),
        "the two asks' events, and nothing of the failed moves"
    );
    assert_eq!(app.count("questions"), 2);
    assert_eq!(
        app.count("credentials WHERE kind = 'participant_link'"),
        links + 2
    );
    assert_eq!(
        app.count("email_outbox WHERE kind = 'question_received'"),
        2
    );
}

/// A group locks all its relays in one statement before its first move (`db::held`): while a
/// move of one relay runs, another connection cannot take the lock of a relay whose move comes
/// later in the group. The moves then take no lock of their own, and still ask as they should.
#[test]
fn a_group_locks_all_its_relays_before_its_first_move() {
    let (opened, second, people, db) = two_relays_one_lane();
    let (app, first) = (&opened.app, opened.relay);
    let url = opened._pg.url();
    let moves: Vec<(i64, Move<i64>)> = vec![
        (
            first,
            Box::new(move |_| {
                let mut other = PgConnection::establish(&url).unwrap();
                let taken = diesel::sql_query(format!(
                    "SELECT id FROM relays WHERE id = {second} FOR NO KEY UPDATE NOWAIT"
                ))
                .execute(&mut other);
                Ok(i64::from(taken.is_err()))
            }),
        ),
        (
            second,
            ask(people[0].id, "Hvad lærte du af sidste budgetforhandling?"),
        ),
    ];
    let results = runtime().block_on(behind_a_holder(&db, first, moves, || ()));
    let results: Vec<i64> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        results[0], 1,
        "the second relay was locked before its move ran"
    );
    assert_eq!(
        app.count(&format!("questions WHERE relay_id = {second}")),
        1,
        "the ask stored its question in its relay"
    );
}

/// The lane tells a move the relay it was queued for, not what the move acts on: a move queued
/// for another relay than its asker's or its question's finds nothing there, and writes
/// nothing, instead of acting under the wrong relay's lock.
#[test]
fn a_move_queued_for_another_relay_than_its_own_finds_nothing() {
    let (opened, second, people, db) = two_relays_one_lane();
    let (app, first) = (&opened.app, opened.relay);
    let rt = runtime();
    let asked = rt
        .block_on(db.write_in(second, None, ask(people[0].id, "Hvem spørger du til råds?")))
        .unwrap();
    let recipient: i64 = app.read(move |c| {
        use stafet::db::schema::questions;
        Ok(questions::table
            .find(asked)
            .select(questions::recipient_id)
            .first(c)?)
    });
    let before = (
        app.count("questions"),
        app.count("answers"),
        app.count("events"),
    );
    let wrong_ask =
        rt.block_on(db.write_in(first, None, ask(people[1].id, "Hvad ville du gøre om?")));
    let wrong_answer = rt.block_on(db.write_in(first, None, move |c| {
        stafet::ops::questions::answer(
            c,
            recipient,
            asked,
            "Et svar på dit spørgsmål.",
            chrono::Utc::now(),
        )
    }));
    for (what, result) in [
        ("ask", wrong_ask.map(drop)),
        ("answer", wrong_answer.map(drop)),
    ] {
        let e = result.expect_err(what);
        assert_eq!(
            e.status(),
            actix_web::http::StatusCode::NOT_FOUND,
            "{what}: {e:?}"
        );
    }
    assert_eq!(
        (
            app.count("questions"),
            app.count("answers"),
            app.count("events")
        ),
        before,
        "nothing written"
    );
}

/// An open relay of six on a fresh database, its opening emails delivered, and what it holds so
/// far: its events and the link credentials.
struct Opened {
    /// The database, dropped after the app.
    _pg: FreshPg,
    app: crate::helpers::TestApp,
    relay: i64,
    people: Vec<crate::helpers::Person>,
    seen: i64,
    links: i64,
}

/// [`open_six`], a second relay of six, and the database's server with one lane, so the two
/// relays' moves wait together.
fn two_relays_one_lane() -> (Opened, i64, Vec<crate::helpers::Person>, Db) {
    let opened = open_six();
    let (second, people) = opened.app.open_relay(6, serde_json::json!({}));
    let db = opened._pg.open(1);
    (opened, second, people, db)
}

fn open_six() -> Opened {
    let (pg, app) = crate::helpers::app_on_fresh_pg();
    let (relay, people) = app.open_relay(6, serde_json::json!({}));
    let _ = app.emails();
    let seen = app.count(&format!("events WHERE relay_id = {relay}"));
    let links = app.count("credentials WHERE kind = 'participant_link'");
    Opened {
        _pg: pg,
        app,
        relay,
        people,
        seen,
        links,
    }
}

/// The events an ask appends, in order.
const ASK_EVENTS: [&str; 3] = ["question_received", "question_sent", "question_asked"];

/// The (kind, question) of each event.
fn kinds_and_questions(rows: &[Appended]) -> Vec<(&str, i64)> {
    rows.iter().map(|r| (r.kind.as_str(), r.question)).collect()
}

/// The (kind, question) of the events the asks of questions `asked` append, in order.
fn ask_events(asked: &[i64]) -> Vec<(&'static str, i64)> {
    asked
        .iter()
        .flat_map(|q| ASK_EVENTS.map(|k| (k, *q)))
        .collect()
}

/// A move: participant `asker` asks `text`; returns the question's id.
fn ask(asker: i64, text: &'static str) -> Move<i64> {
    Box::new(move |c| {
        let asked = stafet::ops::questions::ask(c, asker, text, None, chrono::Utc::now())?;
        Ok(asked.question.id)
    })
}

#[derive(Debug)]
struct Appended {
    kind: String,
    question: i64,
    /// The transaction that wrote it.
    tx: String,
}

/// Relay `relay`'s events past its first `seen`, in id order.
fn events_after(app: &crate::helpers::TestApp, relay: i64, seen: i64) -> Vec<Appended> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        data: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        tx: String,
    }
    let rows: Vec<Row> = app.read(move |c| {
        Ok(diesel::sql_query(format!(
            "SELECT kind, data, xmin::text AS tx FROM events \
             WHERE relay_id = {relay} ORDER BY id OFFSET {seen}"
        ))
        .load::<Row>(c)?)
    });
    rows.into_iter()
        .map(|r| Appended {
            question: serde_json::from_str::<serde_json::Value>(&r.data).unwrap()["question_id"]
                .as_i64()
                .unwrap_or(0),
            kind: r.kind,
            tx: r.tx,
        })
        .collect()
}

/// The address of question `q`'s recipient.
fn recipient_email(app: &crate::helpers::TestApp, q: i64) -> String {
    use stafet::db::schema::{participants, questions};
    app.read(move |c| {
        Ok(questions::table
            .inner_join(participants::table.on(participants::id.eq(questions::recipient_id)))
            .filter(questions::id.eq(q))
            .select(participants::email)
            .first::<String>(c)?)
    })
}

/// A move whose credential this instance already knows is checked in its lane, after its
/// relay's lock (`auth::moves`): a credential deleted while the move waits for that lock stops
/// the move. Checked before the wait, as every other request is, the move would go through.
#[test]
fn a_credential_deleted_while_its_move_waits_for_the_relay_stops_the_move() {
    use diesel::connection::SimpleConnection;
    let opened = open_six();
    let (app, relay, people) = (&opened.app, opened.relay, &opened.people);
    let token = people[0].token.clone();
    // Known to the instance from now on.
    assert_eq!(app.get("/api/me", Some(&token)).status, 200);
    let before = app.snapshot();

    let mut holder = holding(app, relay);
    let base = app.base.clone();
    let asking = std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        crate::helpers::to_res(
            agent
                .post(format!("{base}/api/me/questions"))
                .header("Authorization", format!("Bearer {token}"))
                .content_type("application/json")
                .send(br#"{"text": "Hvad ville du sige nej til?"}"#),
        )
    });
    wait_for_a_lock_wait(&mut pg_conn(app));
    let (credential, _) = stafet::auth::tokens::split(&people[0].token).unwrap();
    pg_conn(app)
        .batch_execute(&format!("DELETE FROM credentials WHERE id = {credential}"))
        .unwrap();
    holder.batch_execute("COMMIT").unwrap();

    let res = asking.join().unwrap();
    assert_eq!(
        (res.status, res.code()),
        (401, "unauthorized"),
        "{}",
        res.text
    );
    let mut after = before.clone();
    for (table, n) in &mut after {
        if table == "credentials" {
            *n -= 1;
        }
    }
    assert_eq!(app.snapshot(), after, "the move wrote nothing");
}

fn pg_conn(app: &crate::helpers::TestApp) -> diesel::PgConnection {
    match app.connect() {
        DbConn::Pg(c) => c,
        DbConn::Sqlite(_) => panic!("a PostgreSQL test on SQLite"),
    }
}

/// A connection of `app`'s database in a transaction that holds relay `relay`'s lock, as another
/// instance's group of that relay would.
fn holding(app: &crate::helpers::TestApp, relay: i64) -> diesel::PgConnection {
    use diesel::connection::SimpleConnection;
    let mut holder = pg_conn(app);
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT id FROM relays WHERE id = {relay} FOR UPDATE"
        ))
        .unwrap();
    holder
}

/// Queues `moves` on their lanes, in this order: the first poll of a move queues it.
fn queue<F: std::future::Future + Unpin, const N: usize>(
    rt: &tokio::runtime::Runtime,
    moves: [&mut F; N],
) {
    rt.block_on(async {
        for fut in moves {
            std::future::poll_fn(|cx| {
                let _ = std::pin::Pin::new(&mut *fut).poll(cx);
                std::task::Poll::Ready(())
            })
            .await;
        }
    });
}

/// Waits (up to 10 s) until some connection of this database waits for a lock.
fn wait_for_a_lock_wait(conn: &mut diesel::PgConnection) {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let waiting = diesel::sql_query(
            "SELECT COUNT(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .get_result::<N>(conn)
        .unwrap()
        .n;
        if waiting > 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no move came to wait for the relay's lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A group that waits for its relay's lock (here held by another connection, as another
/// instance's group of that relay would) takes in the moves of that relay that arrive
/// meanwhile, so one wait and one commit serve them all; a move of a relay it does not hold
/// waits for the next group.
#[test]
fn moves_that_arrive_while_a_group_waits_for_its_relay_join_it() {
    use diesel::connection::SimpleConnection;
    let (opened, second, _, db) = two_relays_one_lane();
    let (app, first) = (&opened.app, opened.relay);
    let rt = runtime();

    let mut holder = holding(app, first);
    let waiting = rt.spawn({
        let db = db.clone();
        async move { db.write_in(first, None, txid).await }
    });
    wait_for_a_lock_wait(&mut pg_conn(app));
    let mut joining = Box::pin(db.write_in(first, None, txid));
    let mut other = Box::pin(db.write_in(second, None, txid));
    queue(&rt, [&mut joining, &mut other]);
    holder.batch_execute("COMMIT").unwrap();

    let (waited, joined, next) = rt.block_on(async {
        (
            waiting.await.unwrap().unwrap(),
            joining.await.unwrap(),
            other.await.unwrap(),
        )
    });
    assert_eq!(
        joined, waited,
        "the move of the held relay joined the waiting group"
    );
    assert_ne!(
        next, waited,
        "the other relay's move went to the next group"
    );
}

/// A group takes at once the relays no other transaction holds and runs their moves; the moves
/// of a relay another instance's group holds (here another connection) wait for the next group,
/// which waits for that relay. Waiting for every relay, the group would keep the free relay's
/// move waiting as long as the other relay stays held.
#[test]
fn a_group_runs_the_moves_of_the_relays_it_gets_and_leaves_a_held_one_to_the_next() {
    use diesel::connection::SimpleConnection;
    let (opened, second, _, db) = two_relays_one_lane();
    let (app, first) = (&opened.app, opened.relay);
    let rt = runtime();

    let mut holder = holding(app, first);
    // A move that keeps the lane busy until both moves below are queued, so they come as one
    // group.
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let busy = rt.spawn({
        let db = db.clone();
        async move {
            db.write_in(second, None, move |_| {
                let _ = started_tx.send(());
                let _ = release_rx.recv();
                Ok(())
            })
            .await
        }
    });
    started_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the busy move runs");
    let mut held = Box::pin(db.write_in(first, None, txid));
    let mut free = Box::pin(db.write_in(second, None, txid));
    queue(&rt, [&mut held, &mut free]);
    release_tx.send(()).unwrap();
    rt.block_on(busy).unwrap().unwrap();

    let free = rt
        .block_on(async { tokio::time::timeout(Duration::from_secs(5), free).await })
        .expect("the free relay's move did not wait for the held one")
        .unwrap();
    let waited =
        rt.block_on(async { tokio::time::timeout(Duration::from_millis(300), &mut held).await });
    assert!(waited.is_err(), "the held relay's move waits for it");
    holder.batch_execute("COMMIT").unwrap();
    let held = rt.block_on(held).unwrap();
    assert_ne!(held, free, "the held relay's move ran in a later group");
}
