//! Analysis depth (issue 16) through the API on the Danish fixture relay: expected keywords and
//! relevance, question forms and the analyst's corrections, focus shares with the analyst's word
//! lists, activity profiles and the themed network, each checked against numbers this test
//! computes by hand from what it asked, and the exports carrying form, focus, theme and keyword
//! hits per row.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Cursor;

use calamine::{Reader as _, Xlsx, open_workbook_from_rs};
use chrono::Duration;
use serde_json::{Value, json};
use stafet::analysis::fixtures;

use crate::helpers::refusals::Body::{Empty, Json};
use crate::helpers::refusals::{assert_refused, refused};
use crate::helpers::{Person, TestApp, spawn_app};

/// Inflections of the words the test looks for, as a reader would list them.
const BORGER: &[&str] = &[
    "borger",
    "borgere",
    "borgeren",
    "borgerens",
    "borgerne",
    "borgernes",
];
const MEDARBEJDER: &[&str] = &[
    "medarbejder",
    "medarbejdere",
    "medarbejderes",
    "medarbejderne",
];
const DIGITALISERING: &[&str] = &["digitalisering", "digitaliseringen"];

/// How many words of `text` are among `forms`.
fn occurrences(text: &str, forms: &[&str]) -> u64 {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| forms.contains(w))
        .count() as u64
}

/// One question as the test asked it.
struct Asked {
    id: i64,
    topic: usize,
    text: &'static str,
    asker: usize,
    recipient: i64,
    /// Minutes from asking to answering, when answered.
    minutes: Option<u64>,
}

/// The fixture relay with expected keywords: 16 participants in two groups, of whom the first
/// 12 ask the questions in turn; an hour later every fourth question is answered, another hour
/// later every fourth from the third on, the rest stay open.
fn relay(app: &TestApp) -> (i64, Vec<Person>, Vec<Asked>) {
    let (relay, people) = app.open_relay(
        16,
        json!({
            "batons_per_round": 10, "max_batons": 10, "max_inbox": 10, "seed": 7,
            "keywords": ["borger", "medarbejder", "digitalisering", "blockchain"],
        }),
    );
    let mut asked = Vec::new();
    for (i, (topic, text)) in fixtures::QUESTIONS.iter().enumerate() {
        let asker = i % 12;
        let res = app.post(
            "/api/me/questions",
            Some(&people[asker].token),
            &json!({ "text": text }),
        );
        assert_eq!(res.status, 201, "question {i}: {}", res.text);
        asked.push(Asked {
            id: res.body["id"].as_i64().unwrap(),
            topic: *topic,
            text,
            asker,
            recipient: res.body["recipient"]["id"].as_i64().unwrap(),
            minutes: None,
        });
    }
    for (hour, rest) in [(60, 0), (120, 2)] {
        app.advance(Duration::hours(1));
        for (n, q) in asked.iter_mut().enumerate().filter(|(n, _)| n % 4 == rest) {
            let who = people.iter().find(|p| p.id == q.recipient).unwrap();
            let res = app.post(
                &format!("/api/me/questions/{}/answer", q.id),
                Some(&who.token),
                &json!({ "text": format!("Svar nummer {n}.") }),
            );
            assert_eq!(res.status, 201, "{}", res.text);
            q.minutes = Some(hour);
        }
    }
    (relay, people, asked)
}

fn group_of(people: &[Person], id: i64) -> &str {
    &people.iter().find(|p| p.id == id).unwrap().group
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn keywords_are_counted_per_group_with_their_relevance_and_unexpected_words() {
    let app = spawn_app();
    let (relay, people, asked) = relay(&app);
    let got = app.get(&format!("/api/relays/{relay}"), Some(&app.token));
    assert_eq!(
        got.body["settings"]["keywords"],
        json!(["borger", "medarbejder", "digitalisering", "blockchain"])
    );
    let res = app.get(&format!("/api/relays/{relay}/keywords"), Some(&app.token));
    assert_eq!(res.status, 200, "{}", res.text);
    let k = &res.body;
    for (i, (word, forms)) in [
        ("borger", BORGER),
        ("medarbejder", MEDARBEJDER),
        ("digitalisering", DIGITALISERING),
        ("blockchain", &["blockchain"][..]),
    ]
    .iter()
    .enumerate()
    {
        let mut groups: BTreeMap<&str, u64> = BTreeMap::from([("Kommune", 0), ("Stat", 0)]);
        for q in &asked {
            *groups.get_mut(people[q.asker].group.as_str()).unwrap() += occurrences(q.text, forms);
        }
        let hit = &k["keywords"][i];
        assert_eq!(hit["word"], *word);
        assert_eq!(hit["count"], groups.values().sum::<u64>(), "{word}");
        assert_eq!(hit["groups"], json!(groups), "{word}");
    }
    assert!(k["keywords"][0]["count"].as_u64().unwrap() >= 20);
    // Three of the four were found.
    assert!(close(k["relevance"].as_f64().unwrap(), 0.75));
    // The only relay on the platform: measured against general Danish.
    assert_eq!(k["reference"], "general");
    let unexpected = k["unexpected"].as_array().unwrap();
    assert!(!unexpected.is_empty() && unexpected.len() <= 20);
    let z: Vec<f64> = unexpected
        .iter()
        .map(|u| u["z"].as_f64().unwrap())
        .collect();
    assert!(z.windows(2).all(|w| w[0] >= w[1]) && z.iter().all(|&z| z >= 1.96));
    for u in unexpected {
        let w = u["word"].as_str().unwrap();
        assert!(
            !BORGER.contains(&w) && !MEDARBEJDER.contains(&w),
            "{w} was expected"
        );
    }

    // Editing the keywords changes the report; a second relay becomes the reference.
    let res = app.patch(
        &format!("/api/relays/{relay}"),
        Some(&app.token),
        &json!({ "settings": { "keywords": [" blockchain ", "", "Blockchain"] } }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["settings"]["keywords"], json!(["blockchain"]));
    let k = app
        .get(&format!("/api/relays/{relay}/keywords"), Some(&app.token))
        .body;
    assert!(close(k["relevance"].as_f64().unwrap(), 0.0));
    assert_eq!(k["keywords"][0]["count"], 0);
    // Once another Danish relay has questions, the platform's relays are the reference.
    let (_, others) = app.open_relay(2, json!({}));
    let res = app.post(
        "/api/me/questions",
        Some(&others[0].token),
        &json!({ "text": "Hvordan går det med budgettet i år?" }),
    );
    assert_eq!(res.status, 201, "{}", res.text);
    let k = app
        .get(&format!("/api/relays/{relay}/keywords"), Some(&app.token))
        .body;
    assert_eq!(k["reference"], "relays");
    let res = app.patch(
        &format!("/api/relays/{relay}"),
        Some(&app.token),
        &json!({ "settings": { "keywords": ["x".repeat(101)] } }),
    );
    assert_eq!(res.status, 422, "{}", res.text);
}

#[test]
fn form_shares_follow_the_forms_and_a_correction_survives_a_re_run() {
    let app = spawn_app();
    let (relay, people, asked) = relay(&app);
    let (_, analyst) = app.add_staff("analytiker@example.dk", "analyst");
    app.grant(relay, "analytiker@example.dk");
    let forms = app.get(
        &format!("/api/relays/{relay}/questions/forms"),
        Some(&analyst),
    );
    assert_eq!(forms.status, 200, "{}", forms.text);
    let form_of: HashMap<i64, String> = forms
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["corrected"], false);
            (
                f["question_id"].as_i64().unwrap(),
                f["form"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(form_of.len(), asked.len());
    // Forms a reader gives at a glance.
    let by_text = |t: &str| &form_of[&asked.iter().find(|q| q.text == t).unwrap().id];
    assert_eq!(
        by_text("Hvad gør du for at fastholde de erfarne medarbejdere?"),
        "open"
    );
    assert_eq!(
        by_text("Er der for meget kontrol og for lidt tillid i den offentlige styring?"),
        "closed"
    );
    assert_eq!(
        by_text(
            "Alle taler om samskabelse med borgerne. Hvordan oplever borgerne det, og er det \
             mere end et modeord?"
        ),
        "mixed"
    );

    // Shares per group, counted here from the list.
    let shares = |form_of: &HashMap<i64, String>, group: &str, form: &str| {
        let mine: Vec<&Asked> = asked
            .iter()
            .filter(|q| people[q.asker].group == group)
            .collect();
        mine.iter().filter(|q| form_of[&q.id] == form).count() as f64 / mine.len() as f64
    };
    let view = app
        .get(&format!("/api/relays/{relay}/forms"), Some(&analyst))
        .body;
    for g in ["Kommune", "Stat"] {
        for f in ["open", "closed", "mixed"] {
            assert!(
                close(
                    view["groups"][g][f].as_f64().unwrap(),
                    shares(&form_of, g, f)
                ),
                "{g} {f}: {}",
                view["groups"][g]
            );
        }
    }
    assert_eq!(view["all"]["count"], asked.len());
    assert_eq!(view["rounds"][0]["id"], 1);
    assert_eq!(view["rounds"][0]["count"], asked.len());

    // The analyst corrects an open question to closed; it holds after a re-run of the themes.
    let q = asked.iter().find(|q| form_of[&q.id] == "open").unwrap();
    let res = app.send(
        "PUT",
        &format!("/api/questions/{}/form", q.id),
        Some(&analyst),
        &json!({ "form": "closed" }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.body,
        json!({ "question_id": q.id, "form": "closed", "corrected": true })
    );
    let cluster = app.post(
        &format!("/api/relays/{relay}/themes/cluster"),
        Some(&analyst),
        &json!({ "k": 5 }),
    );
    assert_eq!(cluster.status, 200, "{}", cluster.text);
    let after = app.get(
        &format!("/api/relays/{relay}/questions/forms"),
        Some(&analyst),
    );
    let entry = after
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["question_id"] == q.id)
        .unwrap()
        .clone();
    assert_eq!(
        entry,
        json!({ "question_id": q.id, "form": "closed", "corrected": true })
    );
    let mut corrected = form_of.clone();
    corrected.insert(q.id, "closed".into());
    let view = app
        .get(&format!("/api/relays/{relay}/forms"), Some(&analyst))
        .body;
    let g = people[q.asker].group.as_str();
    assert!(close(
        view["groups"][g]["closed"].as_f64().unwrap(),
        shares(&corrected, g, "closed")
    ));
    assert!(shares(&corrected, g, "closed") > shares(&form_of, g, "closed"));
    // Per theme, the counts add up to the relay.
    let in_themes: u64 = view["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["count"].as_u64().unwrap())
        .sum();
    assert_eq!(in_themes as usize, asked.len());
}

#[test]
fn bad_form_corrections_get_clear_errors_and_change_nothing() {
    let app = spawn_app();
    let (relay, people, asked) = relay(&app);
    let q = asked[0].id;
    let res = app.send(
        "PUT",
        &format!("/api/questions/{q}/form"),
        Some(&app.token),
        &json!({ "form": "rhetorical" }),
    );
    assert_eq!(
        (res.status, res.code()),
        (422, "validation_failed"),
        "{}",
        res.text
    );
    assert!(
        res.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("open, closed or mixed")
    );
    let (staff, participant) = (Some(app.token.as_str()), Some(people[0].token.as_str()));
    let put = |who, qid: i64, body: Value, status, code| {
        refused(
            "PUT",
            format!("/api/questions/{qid}/form"),
            who,
            Json(body),
            status,
            code,
        )
    };
    let open = json!({ "form": "open" });
    #[rustfmt::skip]
    let mut rows = vec![
        put(staff, 999_999, open.clone(), 404, "not_found"),
        put(staff, q, json!({ "form": "open", "extra": 1 }), 422, "validation_failed"),
        put(participant, q, open.clone(), 403, "forbidden"),
        put(None, q, open, 401, "unauthorized"),
    ];
    for path in [
        "keywords",
        "questions/forms",
        "forms",
        "focus",
        "profiles",
        "network/svg",
    ] {
        let url = format!("/api/relays/{relay}/{path}");
        #[rustfmt::skip]
        rows.extend([
            refused("GET", &url, participant, Empty, 403, "forbidden"),
            refused("GET", &url, None, Empty, 401, "unauthorized"),
            refused("GET", format!("/api/relays/999999/{path}"), staff, Empty, 404, "not_found"),
        ]);
    }
    let long_word = json!({ "inward": ["x".repeat(101)], "outward": [] });
    let svg_in_french = format!("/api/relays/{relay}/network/svg?lang=fr");
    #[rustfmt::skip]
    rows.extend([
        refused("PUT", format!("/api/relays/{relay}/focus/lists"), staff, Json(long_word), 422, "validation_failed"),
        refused("GET", svg_in_french, staff, Empty, 422, "validation_failed"),
    ]);
    assert_refused(&app, &rows);
    assert_eq!(app.count("question_forms"), 0);
    assert_eq!(app.count("focus_lists"), 0);
}

#[test]
fn focus_shares_are_read_with_the_analysts_word_lists() {
    let app = spawn_app();
    let (relay, people, asked) = relay(&app);
    let (_, analyst) = app.add_staff("analytiker@example.dk", "analyst");
    app.grant(relay, "analytiker@example.dk");
    let defaults = app.get(&format!("/api/relays/{relay}/focus"), Some(&analyst));
    assert_eq!(defaults.status, 200, "{}", defaults.text);
    assert_eq!(defaults.body["lists"]["custom"], false);
    let inward_defaults = defaults.body["lists"]["inward"].as_array().unwrap();
    assert!(
        inward_defaults
            .iter()
            .any(|w| w.as_str().unwrap().contains("medarbejder"))
    );

    let res = app.send(
        "PUT",
        &format!("/api/relays/{relay}/focus/lists"),
        Some(&analyst),
        &json!({ "inward": ["medarbejder", " "], "outward": ["borger"] }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let view = &res.body;
    assert_eq!(
        view["lists"],
        json!({ "custom": true, "inward": ["medarbejder"], "outward": ["borger"] })
    );
    // Each question weighs 1: split between its inward and outward words, or all neither.
    let mut sums: BTreeMap<&str, [f64; 4]> = BTreeMap::new();
    for q in &asked {
        let (i, o) = (
            occurrences(q.text, MEDARBEJDER),
            occurrences(q.text, BORGER),
        );
        let w = if i + o == 0 {
            [0.0, 0.0, 1.0]
        } else {
            [i as f64 / (i + o) as f64, o as f64 / (i + o) as f64, 0.0]
        };
        for key in [people[q.asker].group.as_str(), "all"] {
            let s = sums.entry(key).or_default();
            for (a, b) in s.iter_mut().zip(w.iter().chain([&1.0])) {
                *a += b;
            }
        }
    }
    for (key, [i, o, n, count]) in &sums {
        let got = if *key == "all" {
            &view["all"]
        } else {
            &view["groups"][key]
        };
        assert_eq!(got["count"].as_f64().unwrap(), *count, "{key}");
        for (name, want) in [("inward", i), ("outward", o), ("neither", n)] {
            assert!(
                close(got[name].as_f64().unwrap(), want / count),
                "{key} {name}: {got}"
            );
        }
    }
    assert!(view["all"]["outward"].as_f64().unwrap() > view["all"]["inward"].as_f64().unwrap());

    let reset = app.delete(&format!("/api/relays/{relay}/focus/lists"), Some(&analyst));
    assert_eq!(reset.status, 200, "{}", reset.text);
    assert_eq!(reset.body, defaults.body);
}

#[test]
fn profiles_and_the_themed_network_match_hand_counts() {
    let app = spawn_app();
    let (relay, people, asked) = relay(&app);
    let (_, analyst) = app.add_staff("analytiker@example.dk", "analyst");
    app.grant(relay, "analytiker@example.dk");
    let res = app.get(&format!("/api/relays/{relay}/profiles"), Some(&analyst));
    assert_eq!(res.status, 200, "{}", res.text);
    for p in &people {
        assert!(!res.text.contains(&p.name));
    }
    for g in ["Kommune", "Stat"] {
        let mine = |id: i64| group_of(&people, id) == g;
        let asked_n = asked.iter().filter(|q| mine(people[q.asker].id)).count() as u64;
        let received: Vec<&Asked> = asked.iter().filter(|q| mine(q.recipient)).collect();
        let mut minutes: Vec<u64> = received.iter().filter_map(|q| q.minutes).collect();
        minutes.sort_unstable();
        let answered = minutes.len() as u64;
        let median = match minutes.len() {
            0 => None,
            n if n % 2 == 1 => Some(minutes[n / 2] as f64),
            n => Some((minutes[n / 2 - 1] + minutes[n / 2]) as f64 / 2.0),
        };
        let mut active: HashSet<i64> = asked
            .iter()
            .filter(|q| mine(people[q.asker].id))
            .map(|q| people[q.asker].id)
            .collect();
        active.extend(
            received
                .iter()
                .filter(|q| q.minutes.is_some())
                .map(|q| q.recipient),
        );
        let size = people.iter().filter(|p| p.group == g).count();
        let clearly = |a: u64, b: u64| a as f64 >= 1.5 * b as f64 && a >= b + 2;
        let profile = if clearly(asked_n, answered) {
            "proactive"
        } else if clearly(answered, asked_n) {
            "reactive"
        } else {
            "balanced"
        };
        let got = &res.body["groups"][g];
        assert_eq!(got["asked"], asked_n, "{g}");
        assert_eq!(got["received"], received.len(), "{g}");
        assert_eq!(got["answered"], answered, "{g}");
        assert!(close(
            got["answered_share"].as_f64().unwrap(),
            answered as f64 / received.len() as f64
        ));
        assert_eq!(got["median_answer_minutes"].as_f64(), median, "{g}");
        assert_eq!(got["profile"], profile, "{g}");
        assert!(close(
            got["participation"].as_f64().unwrap(),
            active.len() as f64 / size as f64
        ));
    }
    // The first 12 of 16 ask, so both groups asked about three times what they answered.
    assert_eq!(res.body["groups"]["Kommune"]["profile"], "proactive");

    // Two themes by hand: topics 0 and 2; the rest in none.
    let mut theme_ids = Vec::new();
    for (topic, label) in [(0, "Borgerne"), (2, "Medarbejderne")] {
        let t = app.post(
            &format!("/api/relays/{relay}/themes"),
            Some(&analyst),
            &json!({ "label": label }),
        );
        assert_eq!(t.status, 201, "{}", t.text);
        let tid = t.body["id"].as_i64().unwrap();
        theme_ids.push((topic, tid, label));
        for q in asked.iter().filter(|q| q.topic == topic) {
            let r = app.send(
                "PUT",
                &format!("/api/questions/{}/theme", q.id),
                Some(&analyst),
                &json!({ "theme_id": tid }),
            );
            assert_eq!(r.status, 200, "{}", r.text);
        }
    }
    let net = app
        .get(&format!("/api/relays/{relay}/network"), Some(&analyst))
        .body;
    let links = net["links"].as_array().unwrap();
    let mut want: BTreeMap<(String, String), [u32; 3]> = BTreeMap::new();
    for q in &asked {
        let key = (
            people[q.asker].group.clone(),
            group_of(&people, q.recipient).to_owned(),
        );
        let slot = theme_ids.iter().position(|t| t.0 == q.topic).unwrap_or(2);
        want.entry(key).or_default()[slot] += 1;
    }
    assert_eq!(links.len(), want.len());
    for (link, ((from, to), counts)) in links.iter().zip(&want) {
        assert_eq!((&link["from"], &link["to"]), (&json!(from), &json!(to)));
        assert_eq!(link["count"], counts.iter().sum::<u32>());
        // The theme with most questions of the link; a tie goes to the first theme; none
        // when no question of the link is in a theme.
        if counts[0] + counts[1] == 0 {
            assert_eq!(
                (&link["theme_id"], &link["theme_label"]),
                (&Value::Null, &Value::Null)
            );
        } else {
            let top = if counts[1] > counts[0] { 1 } else { 0 };
            assert_eq!(link["theme_id"], theme_ids[top].1);
            assert_eq!(link["theme_label"], theme_ids[top].2);
        }
        let split: HashMap<Option<i64>, u64> = link["split"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["theme_id"].as_i64(), s["count"].as_u64().unwrap()))
            .collect();
        assert_eq!(
            split.get(&Some(theme_ids[0].1)).copied().unwrap_or(0),
            counts[0] as u64
        );
        assert_eq!(
            split.get(&Some(theme_ids[1].1)).copied().unwrap_or(0),
            counts[1] as u64
        );
        assert_eq!(split.get(&None).copied().unwrap_or(0), counts[2] as u64);
    }
    let svg = app.get(
        &format!("/api/relays/{relay}/network/svg?lang=da"),
        Some(&analyst),
    );
    assert_eq!(svg.status, 200);
    assert!(
        svg.header("content-type")
            .unwrap()
            .starts_with("image/svg+xml")
    );
    assert!(svg.text.starts_with("<svg") && svg.text.contains("Borgerne"));
    assert!(svg.text.contains("Hvem spørger hvem om hvad"));
}

#[test]
fn exports_carry_form_focus_theme_and_keyword_hits_per_row_and_xlsx_sums_up_the_groups() {
    let app = spawn_app();
    let (relay, people, asked) = relay(&app);
    let (_, analyst) = app.add_staff("analytiker@example.dk", "analyst");
    app.grant(relay, "analytiker@example.dk");
    let q = &asked[0];
    let res = app.send(
        "PUT",
        &format!("/api/questions/{}/form", q.id),
        Some(&analyst),
        &json!({ "form": "mixed" }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let forms: HashMap<i64, Value> = app
        .get(
            &format!("/api/relays/{relay}/questions/forms"),
            Some(&analyst),
        )
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["question_id"].as_i64().unwrap(), f["form"].clone()))
        .collect();

    let rows = app.get(
        &format!("/api/relays/{relay}/corpus?format=json"),
        Some(&analyst),
    );
    assert_eq!(rows.status, 200, "{}", rows.text);
    for p in &people {
        assert!(!rows.text.contains(&p.name));
    }
    for (row, q) in rows.body.as_array().unwrap().iter().zip(&asked) {
        assert_eq!(row["question_id"], q.id);
        assert_eq!(row["form"], forms[&q.id]);
        assert!(["inward", "outward", "both", "neither"].contains(&row["focus"].as_str().unwrap()));
        let mut hits = Vec::new();
        for (w, f) in [
            ("borger", BORGER),
            ("medarbejder", MEDARBEJDER),
            ("digitalisering", DIGITALISERING),
        ] {
            if occurrences(q.text, f) > 0 {
                hits.push(w);
            }
        }
        let hits = if hits.is_empty() {
            Value::Null
        } else {
            json!(hits.join("; "))
        };
        assert_eq!(row["keywords"], hits, "{}", q.text);
        assert!(row["asker"].as_str().unwrap().starts_with('P'));
    }
    let first = &rows.body[0];
    assert_eq!(first["form"], "mixed");

    let (status, csv) = app.get_bytes(&format!("/api/relays/{relay}/corpus?format=csv"), &analyst);
    assert_eq!(status, 200);
    let header = String::from_utf8(csv)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    for col in ["asker", "theme", "form", "focus", "keywords"] {
        assert!(header.split(',').any(|c| c == col), "{col} in {header}");
    }

    let (status, xlsx) =
        app.get_bytes(&format!("/api/relays/{relay}/corpus?format=xlsx"), &analyst);
    assert_eq!(status, 200);
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    assert_eq!(book.sheet_names(), ["corpus", "groups"]);
    let groups = book.worksheet_range("groups").unwrap();
    let cells: Vec<Vec<String>> = groups
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert!(cells[0].contains(&"asked".to_string()) && cells[0].contains(&"open".to_string()));
    let profiles = app
        .get(&format!("/api/relays/{relay}/profiles"), Some(&analyst))
        .body;
    let asked_col = cells[0].iter().position(|c| c == "asked").unwrap();
    for row in &cells[1..] {
        let g = &row[0];
        assert_eq!(
            row[asked_col],
            profiles["groups"][g]["asked"].to_string(),
            "{g}"
        );
    }
    assert_eq!(cells.len(), 3);
}

#[test]
fn the_site_has_a_favicon_linked_from_every_page() {
    let app = spawn_app();
    let icon = app.get("/favicon.ico", None);
    assert_eq!(icon.status, 200);
    assert!(
        icon.header("content-type")
            .unwrap()
            .starts_with("image/svg+xml")
    );
    assert!(icon.text.starts_with("<svg"));
    for page in ["/app", "/console", "/analysis"] {
        let res = app.get(page, None);
        assert_eq!(res.status, 200, "{page}");
        assert!(
            res.text
                .contains("<link rel=\"icon\" href=\"/favicon.ico\""),
            "{page}"
        );
    }
}

#[test]
fn the_report_shows_form_focus_profiles_graph_keywords_and_corrections() {
    let app = spawn_app();
    let (relay, people, asked) = relay(&app);
    let q = asked
        .iter()
        .find(|q| q.text.starts_with("Hvad gør du for at fastholde"))
        .unwrap();
    let res = app.send(
        "PUT",
        &format!("/api/questions/{}/form", q.id),
        Some(&app.token),
        &json!({ "form": "closed" }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let report = app.get(&format!("/api/relays/{relay}/report"), Some(&app.token));
    assert_eq!(report.status, 200, "{}", report.text);
    let html = &report.text;
    for heading in [
        "Spørgsmålenes form pr. gruppe",
        "Spørgsmålenes form pr. runde",
        "Fokus: indad eller udad pr. gruppe",
        "Aktivitet pr. gruppe",
        "Hvem spørger hvem om hvad",
        "Forventede nøgleord",
        "Rettet af analytikeren",
    ] {
        assert!(html.contains(heading), "{heading}");
    }
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(html.contains(&format!("{} <strong>lukket</strong>", q.text)));
    // The relevance: three of four keywords found.
    assert!(html.contains("<strong>75 %</strong>"));
    for p in &people {
        assert!(!html.contains(&p.name));
    }

    // The participants' shared copy has the group figures but not the corrected question.
    let res = app.patch(
        &format!("/api/relays/{relay}"),
        Some(&app.token),
        &json!({ "settings": { "share_output": true } }),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    app.close_relay(relay);
    let shared = app.get("/api/me/report", Some(&people[0].token));
    assert_eq!(shared.status, 200, "{}", shared.text);
    assert!(shared.text.contains("Aktivitet pr. gruppe"));
    assert!(!shared.text.contains("Rettet af analytikeren") && !shared.text.contains(q.text));
}
