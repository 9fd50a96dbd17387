//! One fuzz target per parser of outside input: each sets up a real server (the in-process
//! one of `tests/api/helpers`, or the `stafet` binary for the configuration) with data to aim at,
//! then runs cases from [`super::inputs`] through [`super::harness`].

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

use super::harness::{self, Budget, DbWatch, Outcome, Reply};
use super::inputs::{self, Frame};
use crate::helpers::{Person, TestApp, cli_user_add, relay_body, spawn_app_with, t0};

/// How a target runs.
pub type Run = fn(Budget) -> Outcome;

/// Every target: its name (as the long-running mode takes it) and how to run it.
pub const PARSERS: &[(&str, Run)] = &[
    ("json-relays", json_relays),
    ("json-import", json_import),
    ("json-participant", json_participant),
    ("json-staff", json_staff),
    ("csv-import", csv_import),
    ("websocket", websocket),
    ("query", query),
    ("config", config),
];

/// A server to fuzz, its address and a watch on its database.
struct Target {
    app: TestApp,
    addr: String,
    watch: RefCell<DbWatch>,
}

impl Target {
    /// The in-process server with rate limits out of the way (the fuzzer is one client that
    /// sends thousands of bad tokens; the limits have tests of their own).
    fn start() -> Self {
        let app = spawn_app_with(|s| {
            s.rate_limit.login_per_minute = u32::MAX;
            s.rate_limit.link_per_minute = u32::MAX;
        });
        let addr = app.base.trim_start_matches("http://").to_string();
        let watch = RefCell::new(DbWatch::open(&app.db_path));
        Self { app, addr, watch }
    }

    /// Sends one API request with a bearer token and a body, and checks it.
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &[u8],
        body: &[u8],
    ) -> Result<(Reply, bool), String> {
        let mut headers = vec![("Content-Type", content_type.to_vec())];
        if let Some(t) = token {
            headers.push(("Authorization", format!("Bearer {t}").into_bytes()));
        }
        harness::api_case(
            &self.addr,
            &mut self.watch.borrow_mut(),
            method,
            path,
            &headers,
            body,
        )
        .map_err(|e| format!("{e}\nbody sent: {}", preview(body)))
    }

    /// Ids from the database, to aim cases at rows that exist now.
    fn ids(&self, sql: &str) -> Vec<i64> {
        self.watch.borrow_mut().ids(sql)
    }

    /// A row count.
    fn count(&self, sql: &str) -> i64 {
        self.watch.borrow_mut().count(sql)
    }
}

/// The start of a body, for failure messages.
fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(400)]).into_owned();
    format!("{text:?} ({} bytes)", body.len())
}

/// `list[i % len]`, or `fallback` for an empty list.
fn pick(list: &[i64], i: usize, fallback: i64) -> i64 {
    if list.is_empty() {
        fallback
    } else {
        list[i % list.len()]
    }
}

/// A valid `POST /api/relays` body with every field, rounds and settings included.
fn relay_example() -> Value {
    let t = t0();
    let mut body = relay_body();
    body["purpose"] = json!("Fire dage med spørgsmål mellem topledere.");
    let extra = json!({
        "rounds": [
            { "name": "Dag 1", "starts_at": t, "ends_at": t + chrono::Duration::days(1), "prompt": "Tillid" },
            { "name": "Dag 2", "starts_at": t + chrono::Duration::days(1), "ends_at": t + chrono::Duration::days(2) },
        ],
        "settings": {
            "recipient_choice": "auto", "cross_group": true, "max_inbox": 2,
            "batons_per_round": 1, "max_batons": 3, "asker_anonymous": true,
            "show_asker_group": true, "reminder_after_hours": 12, "reroute_after_hours": 36,
            "share_output": false, "seed": 42,
        },
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

/// Smaller valid bodies beside [`relay_example`]: the fewest fields a new relay needs (its
/// rounds then laid out from `starts_at`), and patches of one part each.
fn relay_examples() -> [Value; 4] {
    let full = relay_example();
    let minimal = json!({
        "title": full["title"], "topic": full["topic"], "purpose": full["purpose"],
        "language": "en", "timezone": "UTC", "starts_at": full["starts_at"],
    });
    let moved = json!({ "starts_at": full["starts_at"] });
    let settings = json!({ "settings": full["settings"], "purpose": "Ny tekst" });
    [full, minimal, moved, settings]
}

/// `POST /api/relays`, `PATCH /api/relays/{draft}` and `PATCH /api/relays/{open}`.
pub fn json_relays(budget: Budget) -> Outcome {
    let t = Target::start();
    let draft = t.app.create_relay(json!({}));
    let (open, _) = t.app.open_relay(3, json!({}));
    let token = t.app.token.clone();
    let examples = relay_examples();
    let cases = (
        0..3usize,
        0..4usize,
        inputs::recipe(),
        inputs::json_content_type(),
    );
    harness::drive(
        "json-relays",
        budget,
        cases,
        |(route, example, recipe, ct)| {
            let (method, path) = match route {
                0 => ("POST", "/api/relays".to_string()),
                1 => ("PATCH", format!("/api/relays/{draft}")),
                _ => ("PATCH", format!("/api/relays/{open}")),
            };
            // A new relay from a whole or minimal body; a patch from any.
            let example = &examples[if route == 0 { example % 2 } else { example }];
            let body = recipe.bake(example);
            let (reply, accepted) = t.call(method, &path, Some(&token), &ct, &body)?;
            if accepted && reply.json()["id"].as_i64().is_none() {
                return Err(format!(
                    "{method} {path} accepted without a relay: {}",
                    reply.describe()
                ));
            }
            Ok(())
        },
    )
}

/// Checks an accepted import's report against the participants table.
fn check_import(reply: &Reply, before: i64, after: i64) -> Result<(), String> {
    let report = reply.json();
    let created = report["created"].as_i64();
    let ok = report["updated"].as_i64().is_some()
        && report["rejected"].as_array().is_some_and(|r| {
            r.iter()
                .all(|x| x["line"].as_u64().is_some() && x["reason"].as_str().is_some())
        });
    if !ok || created != Some(after - before) {
        return Err(format!(
            "import report {} against {before} -> {after} participants",
            reply.describe()
        ));
    }
    Ok(())
}

/// The JSON participant import, into a draft and into an open relay; `parse_json` too.
pub fn json_import(budget: Budget) -> Outcome {
    let t = Target::start();
    let draft = t.app.create_relay(json!({}));
    let (open, _) = t.app.open_relay(3, json!({}));
    let token = t.app.token.clone();
    let example = json!([
        { "name": "Anne Hansen", "email": "p1@fuzz.dk", "group": "Kommune", "title": "Direktør", "organisation": "Aarhus" },
        { "name": "Bo Jensen", "email": "p2@fuzz.dk", "group": "Stat" },
        { "name": "Carl Nielsen", "email": "p3@fuzz.dk", "group": "Region", "title": null },
    ]);
    let cases = (
        prop::bool::weighted(0.8),
        inputs::recipe(),
        inputs::json_content_type(),
    );
    harness::drive("json-import", budget, cases, |(to_draft, recipe, ct)| {
        let body = recipe.bake(&example);
        // The pure parser first: it must not panic on anything.
        let parsed = stafet::ops::import::parse_json(&body);
        let relay = if to_draft { draft } else { open };
        let path = format!("/api/relays/{relay}/participants");
        let before = t.count("participants");
        let (reply, accepted) = t.call("POST", &path, Some(&token), &ct, &body)?;
        if accepted {
            if parsed.is_err() {
                return Err(format!(
                    "parse_json refused what the server took: {}",
                    preview(&body)
                ));
            }
            check_import(&reply, before, t.count("participants"))?;
        }
        Ok(())
    })
}

/// Tokens of a relay's participants by id.
fn tokens(people: &[Person]) -> HashMap<i64, String> {
    people.iter().map(|p| (p.id, p.token.clone())).collect()
}

/// Who sends a participant case, where, and its valid example: an ask in the auto relay
/// (route 0) or the participant-mode one (1), by someone holding a baton when anyone does (so
/// the case gets past that rule), or an answer (2), mostly by the question's recipient.
fn participant_case(
    t: &Target,
    relays: [i64; 2],
    someone: &[Person],
    (route, i, j): (usize, usize, usize),
) -> (i64, String, Value) {
    let text = "Hvordan måler I, om borgerne får gavn af det?";
    if route < 2 {
        let relay = relays[route];
        let with = t.ids(&format!(
            "SELECT id AS n FROM participants WHERE relay_id = {relay} ORDER BY batons = 0, id"
        ));
        let (from, to) = (pick(&with, i % 2, 0), pick(&with, j, 0));
        let example = if route == 0 {
            json!({ "text": text })
        } else {
            json!({ "text": text, "recipient_id": to })
        };
        return (from, "/api/me/questions".into(), example);
    }
    let order = "FROM questions ORDER BY status <> 'pending', id";
    let qids = t.ids(&format!("SELECT id AS n {order}"));
    let recipients = t.ids(&format!("SELECT recipient_id AS n {order}"));
    let k = i % qids.len().min(4);
    let who = if j % 8 == 0 {
        someone[j % someone.len()].id
    } else {
        recipients[k]
    };
    let path = format!("/api/me/questions/{}/answer", qids[k]);
    (who, path, json!({ "text": text }))
}

/// Asking (auto and participant mode) and answering, as participants with live ids.
pub fn json_participant(budget: Budget) -> Outcome {
    let t = Target::start();
    let (auto, a) = t.app.open_relay(10, json!({}));
    let participant_mode = json!({ "recipient_choice": "participant" });
    let (named, n) = t.app.open_relay(10, participant_mode);
    let mut token = tokens(&a);
    token.extend(tokens(&n));
    let first = json!({ "text": "Hvad gør borgerne gladest?" });
    let res = t.app.post("/api/me/questions", Some(&a[0].token), &first);
    assert_eq!(res.status, 201, "{}", res.text);
    let named_first = json!({ "text": first["text"], "recipient_id": n[1].id });
    let res = t
        .app
        .post("/api/me/questions", Some(&n[0].token), &named_first);
    assert_eq!(res.status, 201, "{}", res.text);
    let cases = (
        (0..3usize, any::<usize>(), any::<usize>()),
        inputs::recipe(),
        inputs::json_content_type(),
    );
    harness::drive("json-participant", budget, cases, |(aim, recipe, ct)| {
        let (who, path, example) = participant_case(&t, [auto, named], &a, aim);
        let body = recipe.bake(&example);
        t.call("POST", &path, Some(&token[&who]), &ct, &body)?;
        Ok(())
    })
}

/// Login, themes (cluster, create, rename, merge, place), starring and rerouting.
pub fn json_staff(budget: Budget) -> Outcome {
    let t = Target::start();
    let (relay, people) = t.app.open_relay(6, json!({}));
    let texts = [
        "Hvordan skaber vi tillid mellem kommune og stat?",
        "Hvad betyder tillid for borgerne i praksis?",
        "Hvordan måler vi gavn for borgerne bedst?",
    ];
    for (p, text) in people.iter().zip(texts) {
        let res = t.app.post(
            "/api/me/questions",
            Some(&p.token),
            &json!({ "text": text }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    for label in ["Tillid", "Måling"] {
        let res = t.app.post(
            &format!("/api/relays/{relay}/themes"),
            Some(&t.app.token),
            &json!({ "label": label }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let token = t.app.token.clone();
    let email = t.app.facilitator_email.clone();
    let cases = (
        0..8usize,
        any::<usize>(),
        any::<usize>(),
        inputs::recipe(),
        inputs::json_content_type(),
    );
    harness::drive("json-staff", budget, cases, |(route, i, j, recipe, ct)| {
        let themes = t.ids("SELECT id AS n FROM themes ORDER BY id");
        let questions = t.ids("SELECT id AS n FROM questions ORDER BY status <> 'pending', id");
        let (tid, other) = (pick(&themes, i, 1), pick(&themes, j, 1));
        let qid = pick(&questions, i, 1);
        let pid = people[j % people.len()].id;
        let (method, path, example) = match route {
            0 => (
                "POST",
                "/api/auth/login".to_string(),
                json!({ "email": email, "password": "ikke-det-rigtige" }),
            ),
            1 => (
                "POST",
                format!("/api/relays/{relay}/themes/cluster"),
                json!({ "k": 2, "seed": 7, "text": "question" }),
            ),
            2 => (
                "POST",
                format!("/api/relays/{relay}/themes"),
                json!({ "label": "Samarbejde" }),
            ),
            3 => (
                "PATCH",
                format!("/api/themes/{tid}"),
                json!({ "label": "Tillid og ansvar" }),
            ),
            4 => (
                "POST",
                format!("/api/themes/{tid}/merge"),
                json!({ "into": other }),
            ),
            5 => (
                "PUT",
                format!("/api/questions/{qid}/theme"),
                json!({ "theme_id": tid }),
            ),
            6 => (
                "PUT",
                format!("/api/questions/{qid}/star"),
                json!({ "starred": true }),
            ),
            _ => (
                "POST",
                format!("/api/questions/{qid}/reroute"),
                json!({ "to": pid }),
            ),
        };
        let auth = (route != 0).then_some(token.as_str());
        let body = recipe.bake(&example);
        t.call(method, &path, auth, &ct, &body)?;
        Ok(())
    })
}

/// The CSV participant import into a draft relay, and `parse_csv` on its own.
pub fn csv_import(budget: Budget) -> Outcome {
    let t = Target::start();
    let draft = t.app.create_relay(json!({}));
    let token = t.app.token.clone();
    let path = format!("/api/relays/{draft}/participants");
    let cases = (inputs::csv_body(), inputs::csv_content_type());
    harness::drive("csv-import", budget, cases, |(body, ct)| {
        let lines = body.split(|&b| b == b'\n' || b == b'\r').count();
        if let Ok((rows, rejected)) = stafet::ops::import::parse_csv(&body) {
            let bad_line = rows
                .iter()
                .map(|(l, _)| *l)
                .chain(rejected.iter().map(|r| r.line))
                .find(|&l| l > lines + 1);
            if let Some(l) = bad_line {
                return Err(format!(
                    "parse_csv reports line {l} of {lines}: {}",
                    preview(&body)
                ));
            }
        }
        let before = t.count("participants");
        let (reply, accepted) = t.call("POST", &path, Some(&token), &ct, &body)?;
        if accepted {
            check_import(&reply, before, t.count("participants"))?;
        }
        Ok(())
    })
}

type Ws = WebSocket<MaybeTlsStream<TcpStream>>;

/// Reads until the pong for `marker`, returning the text frames before it; `Err(Some(code))`
/// when the server closed the connection instead.
fn until_pong(ws: &mut Ws, marker: &[u8]) -> Result<Vec<String>, Option<u16>> {
    let mut texts = Vec::new();
    loop {
        match ws.read() {
            Ok(Message::Text(t)) => texts.push(t.to_string()),
            Ok(Message::Pong(p)) if p.as_ref() == marker => return Ok(texts),
            Ok(Message::Close(frame)) => return Err(frame.map(|f| u16::from(f.code))),
            Ok(_) => {}
            Err(_) => return Err(None),
        }
    }
}

/// Checks what the server sent for one frame.
/// `seen` holds the event ids this connection has sent so far: a connection never sends one
/// twice, whichever way `since` arrives (SPEC §4 Websocket).
fn check_frame(
    frame: &Frame,
    got: Result<Vec<String>, Option<u16>>,
    seen: &mut HashSet<i64>,
) -> Result<bool, String> {
    let texts = match (frame, got) {
        (Frame::Text(t), Err(code)) if t.len() > 16 * 1024 => {
            // Above the frame limit: the server closes with "too big" or "protocol error".
            return match code {
                Some(c @ (1002 | 1009)) => {
                    harness::count(format!("WS text over 16 KiB -> close {c}"));
                    Ok(false)
                }
                other => Err(format!(
                    "closed with {other:?} after a {} byte frame",
                    t.len()
                )),
            };
        }
        (_, Err(code)) => return Err(format!("the server closed the socket ({code:?})")),
        (_, Ok(texts)) => texts,
    };
    let parsed: Vec<Value> = texts
        .iter()
        .map(|t| serde_json::from_str(t).unwrap_or(Value::Null))
        .collect();
    let is_error = |v: &Value| {
        v["type"] == "error"
            && v["data"]["code"] == "bad_message"
            && v["data"]["message"].as_str().is_some_and(|m| !m.is_empty())
    };
    let is_event = |v: &Value| {
        v["id"].as_i64().is_some() && v["type"].is_string() && v["created_at"].is_string()
    };
    for id in parsed
        .iter()
        .filter(|v| is_event(v))
        .filter_map(|v| v["id"].as_i64())
    {
        if !seen.insert(id) {
            return Err(format!("event {id} sent twice on one connection"));
        }
    }
    let ok = match frame {
        Frame::Text(t) => match serde_json::from_str::<stafet::ws::messages::ClientMsg>(t) {
            Ok(msg) => parsed
                .iter()
                .all(|v| is_event(v) && v["id"].as_i64() > Some(msg.since)),
            Err(_) => parsed.len() == 1 && is_error(&parsed[0]),
        },
        Frame::Binary(_) => parsed.iter().all(is_error),
        Frame::Ping(_) => parsed.is_empty(),
    };
    if !ok {
        return Err(format!("answer to {frame:?}: {texts:?}"));
    }
    let kind = match frame {
        Frame::Text(_) => "text",
        Frame::Binary(_) => "binary",
        Frame::Ping(_) => "ping",
    };
    let answer = match parsed.first() {
        None => "nothing",
        Some(v) if v["type"] == "error" => "an error frame",
        Some(_) => "events",
    };
    harness::count(format!("WS {kind} -> {answer}"));
    Ok(true)
}

/// Messages on the participant websocket: each gets events, one error frame, or (too large)
/// a close; the socket stays usable and the database unchanged.
pub fn websocket(budget: Budget) -> Outcome {
    let t = Target::start();
    let (_, people) = t.app.open_relay(3, json!({}));
    let res = t.app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvad gør borgerne gladest?" }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let url = format!("ws://{}/ws?token={}&since=0", t.addr, people[1].token);
    let cases = proptest::collection::vec(inputs::ws_frame(), 1..6);
    harness::drive("websocket", budget, cases, |frames| {
        let before = t.watch.borrow_mut().digest();
        let (mut ws, _) = tungstenite::connect(&url).map_err(|e| format!("connect: {e}"))?;
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(30)))
                .map_err(|e| e.to_string())?;
        }
        // The replay of `since=0` first.
        ws.send(Message::Ping(b"start".to_vec().into()))
            .map_err(|e| e.to_string())?;
        let replay = until_pong(&mut ws, b"start").map_err(|c| format!("closed at once: {c:?}"))?;
        let mut seen: HashSet<i64> = replay
            .iter()
            .filter_map(|t| serde_json::from_str::<Value>(t).ok()?["id"].as_i64())
            .collect();
        for (n, frame) in frames.iter().enumerate() {
            let message = match frame {
                Frame::Text(s) => Message::Text(s.clone().into()),
                Frame::Binary(b) => Message::Binary(b.0.clone().into()),
                Frame::Ping(p) => Message::Ping(p.0.clone().into()),
            };
            let marker = format!("marker-{n}").into_bytes();
            let sent = ws
                .send(message)
                .and_then(|()| ws.send(Message::Ping(marker.clone().into())));
            let got = match sent {
                Ok(()) => until_pong(&mut ws, &marker),
                Err(_) => Err(None),
            };
            if !check_frame(frame, got, &mut seen)? {
                break;
            }
        }
        let _ = ws.close(None);
        if t.watch.borrow_mut().digest() != before {
            return Err("a websocket message changed the database".into());
        }
        Ok(())
    })
}

/// Routes that read a query string: path, who may call it, the keys it knows.
const QUERY_ROUTES: &[(&str, &str, &[&str])] = &[
    ("/api/me/events", "P", &["since"]),
    ("/api/relays/$R/events", "S", &["since", "latest"]),
    ("/api/relays/$R/words", "S", &["group", "source", "top"]),
    (
        "/api/analysis/distinctive",
        "S",
        &["a", "b", "source", "top"],
    ),
    ("/api/relays/$R/corpus", "S", &["format"]),
    ("/api/relays/$R/report", "S", &["compare"]),
    ("/ws", "", &["token", "relay", "since"]),
    ("/ws", "upgrade", &["token", "relay", "since"]),
];

/// Routes with an id or name in the path.
const PATH_ROUTES: &[&str] = &[
    "/api/relays/{}",
    "/api/relays/{}/participants",
    "/api/relays/{}/stats",
    "/api/relays/{}/themes",
    "/api/relays/$R/participants/{}/suspend",
    "/api/themes/{}",
    "/p/{}",
    "/static/{}",
];

/// Query strings and path segments of GET routes: never a 5xx, a JSON error for each
/// refusal (the link page answers in HTML by design), never a change to the database.
pub fn query(budget: Budget) -> Outcome {
    let t = Target::start();
    let (relay, people) = t.app.open_relay(4, json!({}));
    let res = t.app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvad gør borgerne gladest?" }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let fill = |s: &str| {
        s.replace("$P", &people[1].token)
            .replace("$S", &t.app.token)
            .replace("$R", &relay.to_string())
    };
    let routes = prop::sample::select(QUERY_ROUTES);
    // Half the websocket cases carry a real token first, so a handshake can get through.
    let by_query = routes.prop_flat_map(|(path, who, keys)| {
        (inputs::query(keys), any::<bool>()).prop_map(move |(q, token)| {
            let q = if path == "/ws" && token {
                format!("token=$P&{q}")
            } else {
                q
            };
            (path, who, q)
        })
    });
    let by_path = (prop::sample::select(PATH_ROUTES), inputs::path_segment())
        .prop_map(|(route, seg)| (route, "S", seg));
    let cases =
        prop_oneof![3 => by_query.prop_map(|c| (true, c)), 1 => by_path.prop_map(|c| (false, c))];
    harness::drive("query", budget, cases, |(is_query, (route, who, q))| {
        let target = if is_query {
            fill(&format!("{route}?{q}"))
        } else {
            fill(&route.replace("{}", &q))
        };
        let mut headers = Vec::new();
        match who {
            "P" => headers.push((
                "Authorization",
                format!("Bearer {}", people[1].token).into_bytes(),
            )),
            "S" => headers.push((
                "Authorization",
                format!("Bearer {}", t.app.token).into_bytes(),
            )),
            "upgrade" => {
                headers.push(("Upgrade", b"websocket".to_vec()));
                headers.push(("Connection", b"Upgrade".to_vec()));
                headers.push(("Sec-WebSocket-Version", b"13".to_vec()));
                headers.push(("Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ==".to_vec()));
            }
            _ => {}
        }
        let before = t.watch.borrow_mut().digest();
        let reply = harness::request(&t.addr, "GET", target.as_bytes(), &headers, b"")
            .map_err(|e| format!("GET {target}: {e}"))?;
        harness::tally(
            if who == "upgrade" { "UPGRADE" } else { "GET" },
            &target,
            reply.status,
        );
        let link_page =
            target.starts_with("/p/") && reply.header("content-type").starts_with("text/html");
        match reply.status {
            101 if who == "upgrade" => {}
            400..=499 if link_page => {}
            _ => {
                harness::check_api(&reply).map_err(|e| format!("GET {target}: {e}"))?;
            }
        }
        if t.watch.borrow_mut().digest() != before {
            return Err(format!("GET {target} changed the database"));
        }
        Ok(())
    })
}

/// The configuration: a TOML file (`STAFET_CONFIG`) and `STAFET__SECTION__KEY` variables,
/// read by the real binary. It must either serve (and answer, a staff login included: that
/// uses the session settings) or stop with a clear `error:` line; never panic, never hang.
pub fn config(budget: Budget) -> Outcome {
    let template = tempfile::tempdir().unwrap();
    let (password, _) = cli_user_add(
        &stafet_binary(),
        &template.path().join("db.sqlite"),
        "fuzz@example.dk",
        "facilitator",
    );
    let login = json!({ "email": "fuzz@example.dk", "password": password }).to_string();
    let cases = (inputs::config_file(), inputs::config_env());
    harness::drive("config", budget, cases, |(file, env)| {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        for f in ["db.sqlite", "db.sqlite-wal"] {
            let from = template.path().join(f);
            if from.exists() {
                std::fs::copy(&from, dir.path().join(f)).map_err(|e| e.to_string())?;
            }
        }
        let config = dir.path().join("stafet.toml");
        std::fs::write(&config, &file.0).map_err(|e| e.to_string())?;
        run_configured(dir.path(), &config, &env, login.as_bytes()).map_err(|e| {
            format!(
                "{e}\nconfig file:\n{}\nenv: {env:?}",
                String::from_utf8_lossy(&file)
            )
        })
    })
}

/// The `stafet` command with none of this process's `STAFET…` variables.
fn plain_command() -> Command {
    let mut cmd = Command::new(stafet_binary());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("STAFET") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// A server that says it serves must answer: 401 without credentials, and a staff login with
/// the right password (200, or a JSON refusal such as 413 under a tiny body limit).
fn check_serving(addr: &str, login: &[u8]) -> Result<(), String> {
    let me = harness::request(addr, "GET", b"/api/me", &[], b"")
        .map_err(|e| format!("serving, but GET /api/me failed: {e}"))?;
    if me.status != 401 || harness::check_error_body(&me).is_err() {
        return Err(format!(
            "serving, but GET /api/me answered {}",
            me.describe()
        ));
    }
    let json = [("Content-Type", b"application/json".to_vec())];
    let reply = harness::request(addr, "POST", b"/api/auth/login", &json, login)
        .map_err(|e| format!("serving, but the login failed: {e}"))?;
    harness::tally("CONFIG serves, then POST", "/api/auth/login", reply.status);
    harness::check_api(&reply).map_err(|e| format!("serving, but the login: {e}"))?;
    Ok(())
}

/// The `stafet` binary: cargo names it to tests; an example finds it beside its own folder
/// (`target/<profile>/examples/fuzz` -> `target/<profile>/stafet`), or in `STAFET_BIN`.
fn stafet_binary() -> std::path::PathBuf {
    if let Some(bin) = option_env!("CARGO_BIN_EXE_stafet") {
        return bin.into();
    }
    if let Some(bin) = std::env::var_os("STAFET_BIN") {
        return bin.into();
    }
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("stafet")
}

/// `log` without the ANSI colour codes the log writer adds.
fn without_colours(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ parameters… final letter
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Starts `stafet serve` with that configuration and judges how it went.
fn run_configured(
    dir: &Path,
    config: &Path,
    env: &[(String, String)],
    login: &[u8],
) -> Result<(), String> {
    let (out_path, err_path) = (dir.join("stdout"), dir.join("stderr"));
    let mut cmd = plain_command();
    cmd.current_dir(dir)
        .env("STAFET_CONFIG", config)
        .env("RUST_LOG", "info")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(["serve", "--db"])
        .arg(dir.join("db.sqlite"))
        .arg("--mail-dir")
        .arg(dir.join("mail"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).map_err(|e| e.to_string())?)
        .stderr(std::fs::File::create(&err_path).map_err(|e| e.to_string())?);
    let mut child = cmd.spawn().map_err(|e| format!("spawn: {e}"))?;
    let output = || {
        let log = format!(
            "{}{}",
            std::fs::read_to_string(&out_path).unwrap_or_default(),
            std::fs::read_to_string(&err_path).unwrap_or_default()
        );
        without_colours(&log)
    };
    // Starting takes well under a second; a loaded machine may take a few.
    let deadline = Instant::now() + Duration::from_secs(30);
    let verdict = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            let log = output();
            break if status.code() == Some(1) && log.lines().any(|l| l.starts_with("error: ")) {
                harness::count("CONFIG stops with error:".into());
                Ok(())
            } else {
                Err(format!("exited with {status} without a clear error: {log}"))
            };
        }
        let log = output();
        if let Some(port) = log
            .lines()
            .find(|l| l.contains("Stafet is serving"))
            .and_then(|l| l.split("port=").nth(1))
            .and_then(|p| p.split(' ').next())
        {
            break check_serving(&format!("127.0.0.1:{port}"), login);
        }
        if Instant::now() > deadline {
            break Err(format!(
                "neither serving nor stopped after 30 s: {}",
                output()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = child.kill();
    let _ = child.wait();
    let log = output();
    if log.contains("panicked") {
        return Err(format!("panicked: {log}"));
    }
    verdict
}
