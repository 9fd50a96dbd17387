//! A participant's moves (asking, answering) with a credential that has ended since its earlier
//! use. On PostgreSQL an instance that has resolved a participant credential once sends its
//! later moves straight to their relay's lane, which checks the credential there
//! (`auth::moves`); these tests hold that such a move is refused exactly as any request with
//! that credential is, costs the same rate-limit budget, and writes nothing. They run in both
//! passes of the suite, so both ways of authenticating a move answer the same.

use chrono::Duration as Span;
use serde_json::json;

use crate::helpers::sessions::settled_snapshot;
use crate::helpers::{Person, Res, TestApp, spawn_app_with};

/// Days a relay's links work after it closes, in these tests.
const WINDOW: i64 = 30;

/// A relay of three where the first has asked the second, who has used their link since:
/// the second holds a question to answer and a baton to ask with.
fn asked_and_known(app: &TestApp) -> (i64, Vec<Person>, i64) {
    let (relay, people) = app.open_relay(3, json!({ "recipient_choice": "participant" }));
    let asked = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvad gør du, når et møde går i stå?", "recipient_id": people[1].id }),
    );
    assert_eq!(asked.status, 201, "{}", asked.text);
    let qid = asked.body["id"].as_i64().unwrap();
    let me = app.get("/api/me", Some(&people[1].token));
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["batons"], 1, "{}", me.text);
    (relay, people, qid)
}

/// How a credential ends after its holder has used it.
#[derive(Debug, Clone, Copy)]
enum End {
    /// The organiser suspends its holder.
    Suspended,
    /// A newer link goes out, and its grace period passes.
    Superseded,
    /// Its holder's personal data is erased, their credentials with it.
    Erased,
    /// The relay closes, and its links' window after the close passes.
    Expired,
}

/// Ends the second person's credential as `end` says, in relay `relay`.
fn end_credential(app: &TestApp, relay: i64, people: &mut [Person], end: End) {
    let staff = |what: &str, status: u16| {
        let res = app.post(
            &format!("/api/relays/{relay}/participants/{}/{what}", people[1].id),
            Some(&app.token),
            &json!({}),
        );
        assert_eq!(res.status, status, "{what}: {}", res.text);
    };
    match end {
        End::Suspended => staff("suspend", 200),
        End::Superseded => {
            staff("resend-email", 202);
            app.clock.advance(Span::hours(1));
        }
        End::Erased => staff("erase", 200),
        End::Expired => {
            app.close_relay(relay);
            // The closing email's link is the newest, and it has been used.
            let closing = app.emails_to(&people[1].email);
            people[1].token = closing.last().and_then(|e| e.link_token()).unwrap();
            assert_eq!(app.get("/api/me", Some(&people[1].token)).status, 200);
            app.clock.advance(Span::days(WINDOW) + Span::minutes(1));
        }
    }
}

/// What the second person tries with their ended credential: an ask, an answer, or an answer
/// whose body would be refused on its own.
const TRIES: [&str; 3] = ["ask", "answer", "unreadable answer"];

fn try_move(app: &TestApp, people: &[Person], qid: i64, what: &str) -> Res {
    let token = Some(people[1].token.as_str());
    let answer = format!("/api/me/questions/{qid}/answer");
    match what {
        "ask" => app.post(
            "/api/me/questions",
            token,
            &json!({ "text": "Hvem lærer du mest af?", "recipient_id": people[2].id }),
        ),
        "answer" => answer_with(app, people[1].token.as_str(), qid),
        _ => app.post(&answer, token, &json!({ "svar": 7 })),
    }
}

/// Answers question `qid` with `token`.
fn answer_with(app: &TestApp, token: &str, qid: i64) -> Res {
    app.post(
        &format!("/api/me/questions/{qid}/answer"),
        Some(token),
        &json!({ "text": "Jeg spørger den, der tier." }),
    )
}

/// `res` is `status` with error `code`.
fn assert_answered(res: &Res, status: u16, code: &str, what: &str) {
    assert_eq!(
        (res.status, res.code()),
        (status, code),
        "{what}: {}",
        res.text
    );
}

#[test]
fn a_move_with_a_credential_that_has_ended_since_its_last_use_is_refused_and_writes_nothing() {
    let app = spawn_app_with(|s| {
        s.links.grace_hours = 1;
        s.server.link_valid_days_after_close = WINDOW;
    });
    let ends = [
        (End::Suspended, 403, "suspended"),
        (End::Superseded, 401, "link_superseded"),
        (End::Erased, 401, "unauthorized"),
        (End::Expired, 410, "link_expired"),
    ];
    for (end, status, code) in ends {
        // Each try on a credential the instance knows: the first refusal makes it forget.
        for what in TRIES {
            let (relay, mut people, qid) = asked_and_known(&app);
            end_credential(&app, relay, &mut people, end);
            let before = settled_snapshot(&app);
            let res = try_move(&app, &people, qid, what);
            assert_answered(&res, status, code, &format!("{end:?}, {what}"));
            assert_eq!(settled_snapshot(&app), before, "{end:?}, {what}");
        }
    }
}

#[test]
fn refused_moves_cost_the_link_budget_as_bad_credentials_do() {
    let app = spawn_app_with(|s| s.rate_limit.link_per_minute = 3);
    let (relay, people, qid) = asked_and_known(&app);
    let res = app.post(
        &format!("/api/relays/{relay}/participants/{}/erase", people[1].id),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let before = settled_snapshot(&app);
    for n in 1..=3 {
        let res = answer_with(&app, &people[1].token, qid);
        assert_answered(&res, 401, "unauthorized", &format!("refusal {n}"));
    }
    let res = answer_with(&app, &people[1].token, qid);
    assert_answered(&res, 429, "rate_limited", "the fourth");
    assert_eq!(settled_snapshot(&app), before);
}

#[test]
fn a_known_credential_id_with_another_secret_moves_nothing() {
    use stafet::auth::tokens;
    let app = spawn_app_with(|_| ());
    let (_relay, people, qid) = asked_and_known(&app);
    let (id, _) = tokens::split(&people[1].token).unwrap();
    let forged = tokens::compose(id, &tokens::generate());
    let before = settled_snapshot(&app);
    let res = answer_with(&app, &forged, qid);
    assert_answered(&res, 401, "unauthorized", "another secret");
    assert_eq!(settled_snapshot(&app), before);
    // The real secret still works.
    let res = answer_with(&app, &people[1].token, qid);
    assert_eq!(res.status, 201, "{}", res.text);
}
