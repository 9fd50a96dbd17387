//! The asker stays anonymous: nothing a recipient can reach names the asker.
//!
//! The walk (`walk_every_participant_route`) runs a relay through its whole life in each
//! anonymity setting and reads everything every other participant can reach: each route a
//! participant credential can call (the list [`ROUTES`], held to the source by
//! `every_participant_handler_is_walked`), the websocket with and without `since`, and every
//! email they got (one of each kind at least), headers included.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration as StdDuration;

use chrono::Duration;
use serde_json::{Value, json};
use stafet::email::render::EmailKind;

use crate::helpers::live;
use crate::helpers::{Person, Res, TestApp, spawn_app};

/// Fails if `text` carries anything that identifies `asker`.
fn assert_no_trace(what: &str, text: &str, asker: &Person) {
    for needle in [asker.name.as_str(), asker.email.as_str()] {
        assert!(!text.contains(needle), "{what} leaks {needle:?}: {text}");
    }
    let local = asker.email.split('@').next().unwrap();
    assert!(
        !text.contains(&format!("{local}@")),
        "{what} leaks the address: {text}"
    );
}

/// Fails if any object in `v` names the asker by id (`asker_id`, `asker: {id}`, `from_id`).
fn assert_no_asker_id(what: &str, v: &Value, asker: &Person) {
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                let k = k.to_lowercase();
                if k.contains("asker") && k != "asker_group" {
                    panic!("{what} has an asker field {k}: {v}");
                }
                if (k == "from_id" || k == "asked_by") && val.as_i64() == Some(asker.id) {
                    panic!("{what} names the asker by id: {v}");
                }
                assert_no_asker_id(what, val, asker);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|i| assert_no_asker_id(what, i, asker)),
        _ => {}
    }
}

/// Everything the recipient can read: /api/me (without the list of people they may ask),
/// their events, and every email they got, headers included.
fn scan_recipient(app: &TestApp, recipient: &Person, asker: &Person) {
    let mut me = app.get("/api/me", Some(&recipient.token)).body;
    assert!(
        me["inbox"].as_array().is_some_and(|i| !i.is_empty()),
        "the recipient has the question"
    );
    // The list of colleagues one may ask names everyone (the asker too) by design; it says
    // nothing about who asked.
    me.as_object_mut().unwrap().remove("recipients");
    assert_no_trace("/api/me", &me.to_string(), asker);
    assert_no_asker_id("/api/me", &me, asker);
    let events = app
        .get("/api/me/events?since=0", Some(&recipient.token))
        .body;
    assert_no_trace("events", &events.to_string(), asker);
    assert_no_asker_id("events", &events, asker);
    let mails = app.emails_to(&recipient.email);
    assert!(!mails.is_empty());
    for m in mails {
        assert_no_trace(&format!("email {}", m.file), &m.raw, asker);
        assert_no_trace(&format!("email {} (decoded)", m.file), &m.text, asker);
        assert_no_trace(&format!("email {} (html)", m.file), &m.html, asker);
    }
}

#[test]
fn nothing_a_recipient_receives_names_an_anonymous_asker_in_participant_mode() {
    let app = spawn_app();
    let (_, people) = app.open_relay(
        3,
        json!({ "recipient_choice": "participant", "show_asker_group": false }),
    );
    let (asker, recipient) = (&people[0], &people[1]);
    let res = app.post(
        "/api/me/questions",
        Some(&asker.token),
        &json!({ "text": "Hvad gør du, når en borgersag går galt i pressen?", "recipient_id": recipient.id }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    scan_recipient(&app, recipient, asker);
    // With show_asker_group off, not even the group is shown.
    let me = app.get("/api/me", Some(&recipient.token)).body;
    assert!(
        me["inbox"][0].get("asker_group").is_none(),
        "{}",
        me["inbox"][0]
    );
}

#[test]
fn the_asker_always_sees_whom_they_asked() {
    let app = spawn_app();
    let (_, people) = app.open_relay(3, json!({}));
    let res = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvordan holder du fast i fagligheden?" }),
    );
    let me = app.get("/api/me", Some(&people[0].token)).body;
    assert_eq!(
        me["asked"][0]["recipient"]["id"],
        res.body["recipient"]["id"]
    );
    assert!(me["asked"][0]["recipient"]["name"].is_string());
}

#[test]
fn a_relay_that_is_not_anonymous_shows_the_asker() {
    let app = spawn_app();
    let (_, people) = app.open_relay(2, json!({ "asker_anonymous": false }));
    let res = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvad er dit bedste ledelsesråd?" }),
    );
    assert_eq!(res.status, 201);
    let me = app.get("/api/me", Some(&people[1].token)).body;
    assert_eq!(me["inbox"][0]["asker"]["name"], people[0].name);
}

/// Every route a participant credential reaches: method, path, and the function in `src/`
/// that authenticates the participant for it. The walk calls each one.
const ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/api/me", "get_me"),
    ("POST", "/api/me/questions", "ask_question"),
    ("POST", "/api/me/questions/{qid}/answer", "answer_question"),
    ("GET", "/api/me/events", "my_events"),
    ("GET", "/api/me/data", "download_my_data"),
    ("GET", "/api/me/report", "shared_report"),
    ("GET", "/p/{token}", "participant_of_link"),
    ("POST", "/p/{token}", "participant_of_link"),
    ("GET", "/ws", "ws_route"),
];

/// The functions in `src/` (outside `src/auth/`, which defines them) that take a participant
/// credential: a `ParticipantAuth`, `ParticipantMove` or `Principal` in the signature, or a
/// call to `resolve`.
fn participant_handlers(dir: &Path, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if !path.ends_with("auth") {
                participant_handlers(&path, found);
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Each piece runs from one `fn ` to the next: a signature, then its body.
        for piece in text.split("fn ").skip(1) {
            let Some(open) = piece.find('(') else {
                continue;
            };
            let name = &piece[..open];
            if !name.chars().all(|c| c.is_alphanumeric() || c == '_') || name.is_empty() {
                continue;
            }
            let signature = &piece[..piece.find('{').unwrap_or(piece.len())];
            if signature.contains("ParticipantAuth")
                || signature.contains("ParticipantMove")
                || signature.contains(": Principal")
                || piece.contains("resolve(")
            {
                found.insert(name.to_string());
            }
        }
    }
}

#[test]
fn every_participant_handler_is_walked() {
    let mut found = BTreeSet::new();
    participant_handlers(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    let walked: BTreeSet<String> = ROUTES.iter().map(|r| r.2.to_string()).collect();
    assert_eq!(
        found, walked,
        "a function that takes a participant credential is not in ROUTES (or the other way \
         round): add its route to ROUTES and to the walk"
    );
}

/// One of the anonymity settings the walk covers.
#[derive(Debug, Clone, Copy)]
struct Setting {
    anonymous: bool,
    show_group: bool,
}

/// The asker the walk looks for, alone in their group.
struct Asker {
    name: &'static str,
    email: &'static str,
    group: &'static str,
    pseudonym: String,
}

/// Whether `needle` occurs in `text` as a word of its own (not inside a longer token).
fn has_word(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// What of the asker `text` shows that the setting hides.
fn leaks(text: &str, a: &Asker, s: Setting) -> Vec<&'static str> {
    let local = a.email.split('@').next().unwrap();
    let mut found = Vec::new();
    if text.contains(a.email) || text.contains(&format!("{local}@")) {
        found.push("email");
    }
    if has_word(text, &a.pseudonym) {
        found.push("pseudonym");
    }
    if s.anonymous && text.contains(a.name) {
        found.push("name");
    }
    if !s.show_group && text.contains(a.group) {
        found.push("group");
    }
    found
}

/// Everything the participants other than the asker were shown: (what, text), and which
/// routes and email kinds produced it.
#[derive(Default)]
struct Seen {
    surfaces: Vec<(String, String)>,
    routes: BTreeSet<(&'static str, &'static str)>,
    email_kinds: BTreeSet<&'static str>,
}

impl Seen {
    fn add(&mut self, route: (&'static str, &'static str), who: &Person, res: &Res) {
        assert!(
            ROUTES.iter().any(|r| (r.0, r.1) == route),
            "{route:?} is not in ROUTES"
        );
        assert!(res.status < 400, "{route:?} for {}: {}", who.name, res.text);
        let headers: Vec<String> = res
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        self.routes.insert(route);
        self.surfaces.push((
            format!("{} {} as {}", route.0, route.1, who.name),
            format!("{}\n\n{}", headers.join("\n"), res.text),
        ));
    }

    fn add_events(&mut self, what: String, events: &[Value]) {
        assert!(!events.is_empty(), "{what}: no events");
        self.routes.insert(("GET", "/ws"));
        self.surfaces
            .push((what, serde_json::to_string(events).unwrap()));
    }
}

fn outbox_kinds(app: &TestApp) -> std::collections::HashMap<String, String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
    }
    let mut conn = app.connect();
    diesel::sql_query("SELECT id, kind FROM email_outbox")
        .load::<Row>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| (format!("{:08}.eml", r.id), r.kind))
        .collect()
}

fn question_ids(app: &TestApp, relay: i64) -> Vec<i64> {
    let corpus = app.get(
        &format!("/api/relays/{relay}/corpus?format=json"),
        Some(&app.token),
    );
    assert_eq!(corpus.status, 200, "{}", corpus.text);
    corpus
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["question_id"].as_i64().unwrap())
        .collect()
}

/// Runs a relay through its whole life with asker A and five colleagues, and returns what the
/// colleagues were shown.
fn walk(s: Setting, a: &mut Asker) -> Seen {
    let app = spawn_app();
    let relay = app.create_relay(json!({
        "asker_anonymous": s.anonymous, "show_asker_group": s.show_group,
        "share_output": true, "batons_per_round": 2,
        "reminder_after_hours": 6, "reroute_after_hours": 12,
    }));
    let mut rows = vec![json!({ "name": a.name, "email": a.email, "group": a.group })];
    rows.extend((1..=5).map(|i| {
        json!({
            "name": format!("Kollega Nummer{i}"), "email": format!("k{i}@stat{i}.dk"),
            "group": if i % 2 == 0 { "Staten" } else { "Regionen" }, "title": "Direktør",
        })
    }));
    let mut people = app.import_rows(relay, rows);
    let list = app.get(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
    );
    a.pseudonym = list.body[0]["pseudonym"].as_str().unwrap().to_string();
    assert_eq!(people[0].email, a.email);

    // Invitations, then the relay opens by itself at the start of round 1.
    let staff = |path: String| {
        let res = app.post(&path, Some(&app.token), &json!({}));
        assert_eq!(res.status, 200, "{path}: {}", res.text);
    };
    staff(format!("/api/relays/{relay}/schedule"));
    app.advance(Duration::days(1));
    app.read_links(&mut people);
    let (asker, others) = people.split_first().unwrap();
    let mut sockets: Vec<live::Live> = others
        .iter()
        .map(|p| live::connect(&app.base, &format!("token={}", p.token)))
        .collect();
    let mut live_events: Vec<Vec<Value>> = vec![Vec::new(); others.len()];
    let mut drain = |sockets: &mut Vec<live::Live>| {
        for (ws, got) in sockets.iter_mut().zip(live_events.iter_mut()) {
            got.extend(ws.read_for(StdDuration::from_millis(100)));
        }
    };
    let mut seen = Seen::default();

    // A asks twice, then is suspended so that nobody asks A (whoever asks A may see A's name:
    // A would be their recipient, not an asker).
    for text in [
        "Hvordan får du politikerne med?",
        "Hvad gør du, når sagen går i pressen?",
    ] {
        let res = app.post(
            "/api/me/questions",
            Some(&asker.token),
            &json!({ "text": text }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    staff(format!(
        "/api/relays/{relay}/participants/{}/suspend",
        asker.id
    ));
    for p in others {
        let res = app.post(
            "/api/me/questions",
            Some(&p.token),
            &json!({ "text": "Hvordan skaber du tillid på tværs?" }),
        );
        seen.add(("POST", "/api/me/questions"), p, &res);
    }
    drain(&mut sockets);
    // Reminders, then every pending question passed on; then everyone answers.
    app.advance(Duration::hours(6));
    app.advance(Duration::hours(6));
    for p in others {
        let me = app.get("/api/me", Some(&p.token)).body;
        for q in me["inbox"].as_array().unwrap() {
            if q["status"] == "pending" {
                let res = app.post(
                    &format!("/api/me/questions/{}/answer", q["id"]),
                    Some(&p.token),
                    &json!({ "text": "Ved at lytte først og love mindre." }),
                );
                seen.add(("POST", "/api/me/questions/{qid}/answer"), p, &res);
            }
        }
    }
    drain(&mut sockets);
    // Round 2 starts; the analyst stars every question; the relay closes.
    app.advance(Duration::hours(12));
    for qid in question_ids(&app, relay) {
        let res = app.send(
            "PUT",
            &format!("/api/questions/{qid}/star"),
            Some(&app.token),
            &json!({ "starred": true }),
        );
        assert_eq!(res.status, 200, "{}", res.text);
    }
    staff(format!("/api/relays/{relay}/close"));
    drain(&mut sockets);

    // Everything each colleague can reach now.
    let kinds = outbox_kinds(&app);
    for (i, p) in others.iter().enumerate() {
        let token = Some(p.token.as_str());
        seen.add(("GET", "/api/me"), p, &app.get("/api/me", token));
        seen.add(
            ("GET", "/api/me/events"),
            p,
            &app.get("/api/me/events?since=0", token),
        );
        seen.add(
            ("GET", "/api/me/report"),
            p,
            &app.get("/api/me/report", token),
        );
        seen.add(("GET", "/api/me/data"), p, &app.get("/api/me/data", token));
        seen.add(
            ("GET", "/p/{token}"),
            p,
            &app.get(&format!("/p/{}", p.token), None),
        );
        let redeemed = app.send_raw("POST", &format!("/p/{}", p.token), None, "", b"", &[]);
        seen.add(("POST", "/p/{token}"), p, &redeemed);
        let cookie: Vec<&str> = redeemed
            .all_headers("set-cookie")
            .into_iter()
            .filter_map(|c| c.split(';').next())
            .collect();
        let page = app.get_with("/app", &[("Cookie", &cookie.join("; "))]);
        assert_eq!(page.status, 200);
        seen.surfaces
            .push((format!("/app as {}", p.name), page.text));
        seen.add_events(format!("websocket as {}", p.name), &live_events[i]);
        let mut replay = live::connect(&app.base, &format!("token={}&since=0", p.token));
        let replayed = replay.read_for(StdDuration::from_millis(500));
        seen.add_events(format!("websocket with since=0 as {}", p.name), &replayed);
        for m in app.emails_to(&p.email) {
            let kind = kinds[&m.file].clone();
            let kind = EmailKind::parse(&kind)
                .unwrap_or_else(|| panic!("kind {kind}"))
                .as_str();
            seen.email_kinds.insert(kind);
            let what = format!("{kind} email {} to {}", m.file, p.name);
            seen.surfaces.push((
                what,
                format!("{}\n{}\n{}\n{}", m.raw, m.subject, m.text, m.html),
            ));
        }
    }
    seen
}

#[test]
fn walk_every_participant_route_in_each_anonymity_setting() {
    for s in [
        Setting {
            anonymous: true,
            show_group: true,
        },
        Setting {
            anonymous: true,
            show_group: false,
        },
        Setting {
            anonymous: false,
            show_group: true,
        },
    ] {
        let mut a = Asker {
            name: "Asta Kirkegaard-Vinther",
            email: "asta.kv@ravnsborg.dk",
            group: "Ravnsborg Kommune",
            pseudonym: String::new(),
        };
        let seen = walk(s, &mut a);

        // The walk reached every route and every kind of email.
        let all: BTreeSet<(&str, &str)> = ROUTES.iter().map(|r| (r.0, r.1)).collect();
        assert_eq!(seen.routes, all, "{s:?}: routes not walked");
        let kinds: BTreeSet<&str> = EmailKind::ALL
            .iter()
            .filter(|k| k.to_participant())
            .map(|k| k.as_str())
            .collect();
        assert_eq!(seen.email_kinds, kinds, "{s:?}: email kinds not seen");

        // Nothing shows what the setting hides.
        let found: Vec<String> = seen
            .surfaces
            .iter()
            .filter_map(|(what, text)| {
                let l = leaks(text, &a, s);
                (!l.is_empty()).then(|| format!("{what} shows the asker's {l:?}"))
            })
            .collect();
        assert!(found.is_empty(), "{s:?}:\n{}", found.join("\n"));

        // ...while what it allows is there to be seen, so the walk reads real content.
        let shows = |needle: &str| seen.surfaces.iter().any(|(_, t)| t.contains(needle));
        assert_eq!(shows(a.group), s.show_group, "{s:?}: the asker's group");
        assert_eq!(shows(a.name), !s.anonymous, "{s:?}: the asker's name");
    }
}
