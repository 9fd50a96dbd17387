//! The analysis API on a realistic Danish relay: themes recover the topics the questions were
//! written in, assisted theming learns from a few placed questions, words and distinctive words
//! count what they should, the network adds up, and an analyst's edits survive a re-run.

use std::collections::HashMap;

use serde_json::{Value, json};
use stafet::analysis::{adjusted_rand_index, fixtures};

use crate::helpers::refusals::Body::{Empty, Json};
use crate::helpers::refusals::{assert_refused, refused};
use crate::helpers::{self, Person, TestApp, spawn_app};

/// A relay whose questions are the fixture's, asked round-robin by 16 participants in two
/// groups; every other question is answered. Returns (relay, people, question id -> topic).
fn danish_relay(app: &TestApp) -> (i64, Vec<Person>, HashMap<i64, usize>) {
    let (relay, people) = app.open_relay(
        16,
        json!({ "batons_per_round": 10, "max_batons": 10, "max_inbox": 10, "seed": 7 }),
    );
    let mut topic_of = HashMap::new();
    let mut asked = Vec::new();
    for (i, (topic, text)) in fixtures::QUESTIONS.iter().enumerate() {
        let asker = &people[i % people.len()];
        let res = app.post(
            "/api/me/questions",
            Some(&asker.token),
            &json!({ "text": text }),
        );
        assert_eq!(res.status, 201, "question {i}: {}", res.text);
        let qid = res.body["id"].as_i64().unwrap();
        topic_of.insert(qid, *topic);
        asked.push((qid, res.body["recipient"]["id"].as_i64().unwrap()));
    }
    for (n, (qid, rid)) in asked.iter().enumerate().filter(|(n, _)| n % 2 == 0) {
        let who = people.iter().find(|p| p.id == *rid).unwrap();
        let text = format!("Et gennemtænkt svar nummer {n} om netop det emne, spørgsmålet rejser.");
        let res = app.post(
            &format!("/api/me/questions/{qid}/answer"),
            Some(&who.token),
            &json!({ "text": text }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    (relay, people, topic_of)
}

fn labels(themes: &Value, topic_of: &HashMap<i64, usize>) -> (Vec<usize>, Vec<i64>) {
    let mut theme_of = HashMap::new();
    for t in themes["themes"].as_array().unwrap() {
        for m in t["members"].as_array().unwrap() {
            theme_of.insert(m.as_i64().unwrap(), t["id"].as_i64().unwrap());
        }
    }
    let mut ids: Vec<i64> = topic_of.keys().copied().collect();
    ids.sort_unstable();
    ids.iter()
        .filter(|q| theme_of.contains_key(q))
        .map(|q| (topic_of[q], theme_of[q]))
        .unzip()
}

#[test]
fn clustering_recovers_the_topics_the_questions_were_written_in() {
    let app = spawn_app();
    let (relay, _, topic_of) = danish_relay(&app);
    let mut aris = Vec::new();
    for seed in [1, 2, 3] {
        let res = app.post(
            &format!("/api/relays/{relay}/themes/cluster"),
            Some(&app.token),
            &json!({ "k": 5, "seed": seed, "text": "question" }),
        );
        assert_eq!(res.status, 200, "{}", res.text);
        assert_eq!(res.body["themes"].as_array().unwrap().len(), 5);
        let (truth, found) = labels(&res.body, &topic_of);
        assert!(
            found.len() >= topic_of.len() - 3,
            "almost every question is placed"
        );
        aris.push(adjusted_rand_index(&truth, &found));
        // Each theme has label words and representative questions.
        for t in res.body["themes"].as_array().unwrap() {
            assert!(!t["label_words"].as_array().unwrap().is_empty());
            assert!(!t["representatives"].as_array().unwrap().is_empty());
        }
    }
    let mean = aris.iter().sum::<f64>() / aris.len() as f64;
    eprintln!("ARI per seed {aris:?}, mean {mean:.3}");
    assert!(
        mean >= 0.45,
        "themes should recover the topics: ARI {aris:?}"
    );

    // The same seed gives the same themes.
    let again = |seed: u64| {
        app.post(
            &format!("/api/relays/{relay}/themes/cluster"),
            Some(&app.token),
            &json!({ "k": 5, "seed": seed }),
        )
        .body["themes"]
            .clone()
    };
    let strip = |v: Value| -> Vec<Value> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| json!([t["label"], t["members"]]))
            .collect()
    };
    assert_eq!(strip(again(4)), strip(again(4)));

    // k chosen by the platform stays in a sensible range; the cake covers every group.
    let auto = app.post(
        &format!("/api/relays/{relay}/themes/cluster"),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(auto.status, 200, "{}", auto.text);
    let k = auto.body["themes"].as_array().unwrap().len();
    assert!((2..=12).contains(&k), "k = {k}");
    let cake = auto.body["cake"].as_array().unwrap();
    assert_eq!(cake.len(), 2);
    for g in cake {
        let sum: u64 = g["slices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["count"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, g["total"].as_u64().unwrap());
    }
}

#[test]
fn assisted_theming_suggests_the_right_theme_for_most_questions_from_three_placed_each() {
    let app = spawn_app();
    let (relay, _, topic_of) = danish_relay(&app);
    let mut by_topic: Vec<Vec<i64>> = vec![Vec::new(); fixtures::TOPICS.len()];
    let mut ids: Vec<i64> = topic_of.keys().copied().collect();
    ids.sort_unstable();
    for q in ids {
        by_topic[topic_of[&q]].push(q);
    }
    let mut theme_for_topic = HashMap::new();
    for (topic, label) in fixtures::TOPICS.iter().enumerate() {
        let res = app.post(
            &format!("/api/relays/{relay}/themes"),
            Some(&app.token),
            &json!({ "label": label }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
        let tid = res.body["id"].as_i64().unwrap();
        theme_for_topic.insert(tid, topic);
        for q in by_topic[topic].iter().take(3) {
            let res = app.send(
                "PUT",
                &format!("/api/questions/{q}/theme"),
                Some(&app.token),
                &json!({ "theme_id": tid }),
            );
            assert_eq!(res.status, 200, "{}", res.text);
        }
    }
    let res = app.get(
        &format!("/api/relays/{relay}/themes/suggestions"),
        Some(&app.token),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    let list = res.body.as_array().unwrap();
    assert_eq!(
        list.len(),
        topic_of.len() - 15,
        "a suggestion for every unplaced question"
    );
    let confidences: Vec<f64> = list
        .iter()
        .map(|s| s["confidence"].as_f64().unwrap())
        .collect();
    assert!(confidences.windows(2).all(|w| w[0] >= w[1]), "best first");
    assert!(confidences.iter().all(|c| (0.0..=1.0).contains(c)));
    let right = list
        .iter()
        .filter(|s| {
            theme_for_topic[&s["theme_id"].as_i64().unwrap()]
                == topic_of[&s["question_id"].as_i64().unwrap()]
        })
        .count();
    let accuracy = right as f64 / list.len() as f64;
    eprintln!("suggestion accuracy {right}/{} = {accuracy:.3}", list.len());
    assert!(accuracy >= 0.7, "accuracy {accuracy}");

    // Accepting a suggestion places the question; it leaves the suggestions.
    let first = &list[0];
    let q = first["question_id"].as_i64().unwrap();
    app.send(
        "PUT",
        &format!("/api/questions/{q}/theme"),
        Some(&app.token),
        &json!({ "theme_id": first["theme_id"] }),
    );
    let after = app.get(
        &format!("/api/relays/{relay}/themes/suggestions"),
        Some(&app.token),
    );
    assert!(
        !after
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["question_id"] == q)
    );
}

#[test]
fn the_analysts_edits_survive_a_re_run() {
    let app = spawn_app();
    let (relay, _, _) = danish_relay(&app);
    let run = |k: u64| {
        app.post(
            &format!("/api/relays/{relay}/themes/cluster"),
            Some(&app.token),
            &json!({ "k": k, "seed": 3 }),
        )
    };
    let first = run(5).body;
    let themes = first["themes"].as_array().unwrap().clone();
    let (a, b, c) = (&themes[0], &themes[1], &themes[2]);
    let id = |t: &Value| t["id"].as_i64().unwrap();

    // Rename a, merge c into b, move one question of a out to a new theme of the analyst's.
    let renamed = app.patch(
        &format!("/api/themes/{}", id(a)),
        Some(&app.token),
        &json!({ "label": "Borgernes stemme" }),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let merged = app.post(
        &format!("/api/themes/{}/merge", id(c)),
        Some(&app.token),
        &json!({ "into": id(b) }),
    );
    assert_eq!(merged.status, 200, "{}", merged.text);
    let own = app.post(
        &format!("/api/relays/{relay}/themes"),
        Some(&app.token),
        &json!({ "label": "Mit eget tema" }),
    );
    let own_id = own.body["id"].as_i64().unwrap();
    let moved = a["members"][0].as_i64().unwrap();
    app.send(
        "PUT",
        &format!("/api/questions/{moved}/theme"),
        Some(&app.token),
        &json!({ "theme_id": own_id }),
    );

    let before = app
        .get(&format!("/api/relays/{relay}/themes"), Some(&app.token))
        .body;
    let find = |v: &Value, tid: i64| {
        v["themes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == tid)
            .cloned()
    };
    let b_members = find(&before, id(b)).unwrap()["members"].clone();
    assert_eq!(
        b_members.as_array().unwrap().len(),
        b["size"].as_u64().unwrap() as usize + c["size"].as_u64().unwrap() as usize
    );
    assert!(find(&before, id(c)).is_none());

    // Re-run: the analyst's themes keep their names and members; the rest is clustered anew.
    let after = run(3).body;
    for tid in [id(a), id(b), own_id] {
        let (x, y) = (find(&before, tid).unwrap(), find(&after, tid).unwrap());
        assert_eq!(x["label"], y["label"]);
        assert_eq!(x["members"], y["members"]);
        assert_eq!(y["pinned"], true);
    }
    assert_eq!(find(&after, id(a)).unwrap()["label"], "Borgernes stemme");
    assert_eq!(find(&after, own_id).unwrap()["members"], json!([moved]));
    let unpinned = after["themes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["pinned"] == false)
        .count();
    assert_eq!(unpinned, 3);

    // Split b into two of the analyst's themes; delete one: its questions become unplaced.
    let split = app.post(
        &format!("/api/themes/{}/split", id(b)),
        Some(&app.token),
        &json!({}),
    );
    assert_eq!(split.status, 200, "{}", split.text);
    let parts: Vec<Value> = split.body["themes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["label"].as_str().unwrap().contains(" ("))
        .cloned()
        .collect();
    assert_eq!(parts.len(), 2);
    let total: u64 = parts.iter().map(|t| t["size"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, b_members.as_array().unwrap().len());
    let unplaced_before = split.body["unplaced"].as_u64().unwrap();
    let del = app.delete(&format!("/api/themes/{}", id(&parts[0])), Some(&app.token));
    assert_eq!(del.status, 204);
    let now = app
        .get(&format!("/api/relays/{relay}/themes"), Some(&app.token))
        .body;
    assert_eq!(
        now["unplaced"].as_u64().unwrap(),
        unplaced_before + parts[0]["size"].as_u64().unwrap()
    );
}

#[test]
fn bad_theme_requests_get_clear_errors_and_change_nothing() {
    let app = spawn_app();
    let (relay, people, _) = danish_relay(&app);
    let other = app.create_relay(json!({}));
    let run = app.post(
        &format!("/api/relays/{relay}/themes/cluster"),
        Some(&app.token),
        &json!({ "k": 3 }),
    );
    let tid = run.body["themes"][0]["id"].as_i64().unwrap();
    let foreign = app.post(
        &format!("/api/relays/{other}/themes"),
        Some(&app.token),
        &json!({ "label": "Andet" }),
    );
    let foreign_id = foreign.body["id"].as_i64().unwrap();
    let before = app
        .get(&format!("/api/relays/{relay}/themes"), Some(&app.token))
        .body;
    let snapshot = app.snapshot();
    let t = Some(app.token.as_str());
    let participant = Some(people[0].token.as_str());
    let cluster = format!("/api/relays/{relay}/themes/cluster");
    let themes = format!("/api/relays/{relay}/themes");
    let merge = format!("/api/themes/{tid}/merge");
    let invalid = "validation_failed";
    #[rustfmt::skip]
    let rows = [
        refused("POST", &cluster, t, Json(json!({ "k": 0 })), 422, invalid),
        refused("POST", &cluster, t, Json(json!({ "text": "answer" })), 422, invalid),
        refused("POST", &cluster, t, Json(json!({ "kk": 2 })), 422, invalid),
        refused("POST", "/api/relays/999/themes/cluster", t, Json(json!({})), 404, "not_found"),
        refused("POST", &themes, t, Json(json!({ "label": "  " })), 422, invalid),
        refused("PATCH", format!("/api/themes/{tid}"), t, Json(json!({ "label": "" })), 422, invalid),
        refused("PATCH", "/api/themes/999", t, Json(json!({ "label": "Nyt navn" })), 404, "not_found"),
        refused("POST", &merge, t, Json(json!({ "into": tid })), 422, invalid),
        refused("POST", &merge, t, Json(json!({ "into": foreign_id })), 422, invalid),
        refused("POST", &merge, t, Json(json!({ "into": 999 })), 404, "not_found"),
        refused("PUT", "/api/questions/1/theme", t, Json(json!({ "theme_id": foreign_id })), 422, invalid),
        refused("PUT", "/api/questions/999/theme", t, Json(json!({ "theme_id": tid })), 404, "not_found"),
        refused("PUT", "/api/questions/1/theme", t, Json(json!({ "theme": tid })), 422, invalid),
        refused("DELETE", "/api/themes/999", t, Empty, 404, "not_found"),
        refused("POST", &themes, participant, Json(json!({ "label": "x" })), 403, "forbidden"),
        refused("GET", &themes, participant, Empty, 403, "forbidden"),
        refused("GET", &themes, None, Empty, 401, "unauthorized"),
    ];
    assert_refused(&app, &rows);
    assert_eq!(app.snapshot(), snapshot);
    assert_eq!(
        app.get(&format!("/api/relays/{relay}/themes"), Some(&app.token))
            .body,
        before
    );
}

#[test]
fn word_frequencies_match_hand_counts() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(2, json!({ "cross_group": false }));
    // Person 0 is in Kommune, 1 in Stat (see import_people).
    let ask = |p: &Person, text: &str| {
        let res = app.post(
            "/api/me/questions",
            Some(&p.token),
            &json!({ "text": text }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
        res.body["id"].as_i64().unwrap()
    };
    ask(
        &people[0],
        "Hvordan styrer lederen, når styringen kommer oppefra?",
    );
    let q = ask(&people[1], "Styring og tillid: hvordan får lederen tillid?");
    let res = app.post(
        &format!("/api/me/questions/{q}/answer"),
        Some(&people[0].token),
        &json!({ "text": "Borgerne skal mærke tilliden." }),
    );
    assert_eq!(res.status, 201);
    let words = |query: &str| {
        app.get(
            &format!("/api/relays/{relay}/words?{query}"),
            Some(&app.token),
        )
    };
    let rows = |v: &Value| -> Vec<(String, u64, u64)> {
        v["words"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w["word"].as_str().unwrap().to_string(),
                    w["count"].as_u64().unwrap(),
                    w["questions"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    // Questions only: lederen 2 in 2, styring (styringen + styring) 2 in 2, tillid 2 in 1, ...
    let all = words("source=questions&top=3");
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(
        rows(&all.body),
        vec![
            ("lederen".into(), 2, 2),
            ("styring".into(), 2, 2),
            ("tillid".into(), 2, 1)
        ]
    );
    // Both: the answer's "tilliden" joins the stem "tillid" (3 in 2 documents).
    let both = words("source=both&top=1");
    assert_eq!(rows(&both.body), vec![("tillid".into(), 3, 2)]);
    // Per group: the answer counts for the group of the one who answered (Kommune).
    let kommune = words("source=answers&group=Kommune");
    assert_eq!(rows(&kommune.body).len(), 3);
    assert_eq!(words("source=answers&group=Stat").body["words"], json!([]));
    assert_eq!(words("source=poems").status, 422);
    assert_eq!(words("top=0").status, 422);
    assert_eq!(words("group=Ukendt").status, 422);
    assert_eq!(words("grup=Stat").status, 400);
}

#[test]
fn distinctive_words_lean_to_the_side_that_uses_them() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(
        4,
        json!({ "batons_per_round": 3, "max_batons": 3, "max_inbox": 5 }),
    );
    // Kommune writes about "sektor", Stat about "organisation"; the rest is shared.
    for (group, word) in [("Kommune", "sektor"), ("Stat", "organisation")] {
        let texts = [
            format!("Hvordan leder du i {word}en med fokus på {word} og borgere?"),
            format!("Hvad betyder {word}en for din ledelse af {word}?"),
            format!("Hvor står {word}en om ti år?"),
        ];
        for p in people.iter().filter(|p| p.group == group) {
            for text in &texts {
                let res = app.post(
                    "/api/me/questions",
                    Some(&p.token),
                    &json!({ "text": text }),
                );
                assert_eq!(res.status, 201, "{}", res.text);
            }
        }
    }
    let res = app.get(
        &format!("/api/analysis/distinctive?a={relay}:Kommune&b={relay}:Stat&top=3"),
        Some(&app.token),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.body["a_words"][0]["word"], "sektoren");
    assert!(res.body["a_words"][0]["z"].as_f64().unwrap() > 1.96);
    assert_eq!(res.body["a_words"][0]["count_b"], 0);
    assert_eq!(res.body["b_words"][0]["word"], "organisationen");
    assert!(res.body["b_words"][0]["z"].as_f64().unwrap() < -1.96);
    assert_eq!(res.body["a"]["documents"], 6);
    // A relay against another relay works too; bad sides are refused.
    let other = app.create_relay(json!({}));
    assert_eq!(
        app.get(
            &format!("/api/analysis/distinctive?a={relay}&b={other}"),
            Some(&app.token)
        )
        .status,
        200
    );
    for q in [
        format!("a={relay}&b={relay}"),
        format!("a=x&b={relay}"),
        format!("a={relay}:Ukendt&b={relay}"),
        format!("a={relay}"),
    ] {
        let r = app.get(&format!("/api/analysis/distinctive?{q}"), Some(&app.token));
        assert!(r.status == 422 || r.status == 400, "{q}: {}", r.status);
    }
    assert_eq!(
        app.get(
            &format!("/api/analysis/distinctive?a=999&b={relay}"),
            Some(&app.token)
        )
        .status,
        404
    );
}

#[test]
fn the_network_adds_up_and_hides_names_from_analysts() {
    let app = spawn_app();
    let (relay, people, topic_of) = danish_relay(&app);
    let (_, analyst) = app.add_staff("analytiker@example.dk", "analyst");
    app.grant(relay, "analytiker@example.dk");
    let res = app.get(&format!("/api/relays/{relay}/network"), Some(&analyst));
    assert_eq!(res.status, 200, "{}", res.text);
    let n = &res.body;
    let total: u64 = n["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, topic_of.len());
    let parts = n["participants"].as_array().unwrap();
    assert_eq!(parts.len(), people.len());
    let sum = |k: &str| parts.iter().map(|p| p[k].as_u64().unwrap()).sum::<u64>() as usize;
    assert_eq!(sum("asked"), topic_of.len());
    assert_eq!(sum("received"), topic_of.len());
    assert_eq!(sum("answered"), topic_of.len().div_ceil(2));
    let in_chains: u64 = n["chains"]["histogram"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(len, c)| len.parse::<u64>().unwrap() * c.as_u64().unwrap())
        .sum();
    assert_eq!(
        in_chains as usize,
        topic_of.len(),
        "every question is in one chain"
    );
    for p in &people {
        assert!(!res.text.contains(&p.name), "analyst sees {}", p.name);
    }
    let named = app.get(&format!("/api/relays/{relay}/network"), Some(&app.token));
    assert!(named.text.contains(&people[0].name));
    assert_eq!(
        app.get(
            &format!("/api/relays/{relay}/network"),
            Some(&people[0].token)
        )
        .status,
        403
    );
    assert_eq!(
        app.get("/api/relays/999/network", Some(&app.token)).status,
        404
    );
}

#[test]
fn the_report_is_one_self_contained_page_with_cake_words_network_and_starred_questions() {
    let app = spawn_app();
    let (relay, people, _) = danish_relay(&app);
    let run = app.post(
        &format!("/api/relays/{relay}/themes/cluster"),
        Some(&app.token),
        &json!({ "k": 5, "seed": 1 }),
    );
    assert_eq!(run.status, 200);
    // A starred question with markup in it, and its answer.
    let asker = &people[3];
    let marked = "Hvad gør I, når <script>alert(1)</script> & \"bureaukratiet\" vokser?";
    let q = app.post(
        "/api/me/questions",
        Some(&asker.token),
        &json!({ "text": marked }),
    );
    assert_eq!(q.status, 201, "{}", q.text);
    let qid = q.body["id"].as_i64().unwrap();
    let holder = people
        .iter()
        .find(|p| p.id == q.body["recipient"]["id"].as_i64().unwrap())
        .unwrap();
    app.post(
        &format!("/api/me/questions/{qid}/answer"),
        Some(&holder.token),
        &json!({ "text": "Vi fjerner én regel om måneden." }),
    );
    app.send(
        "PUT",
        &format!("/api/questions/{qid}/star"),
        Some(&app.token),
        &json!({ "starred": true }),
    );

    let (_, analyst) = app.add_staff("analytiker@example.dk", "analyst");
    app.grant(relay, "analytiker@example.dk");
    let res = app.get(&format!("/api/relays/{relay}/report"), Some(&analyst));
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.header("content-type").unwrap().starts_with("text/html"));
    let csp = res.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-"),
        "{csp}"
    );
    let html = &res.text;
    assert!(html.contains("Temaer pr. gruppe") && html.contains("<svg"));
    assert!(html.contains("Hvem spurgte hvem"));
    assert!(html.contains("Vi fjerner én regel om måneden."));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; &quot;bureaukratiet&quot;")
    );
    assert!(!html.contains("<script"), "no script at all");
    // The network graph's arrowheads are markers in the page itself (`url(#…)`), no request.
    assert!(
        !html.contains("src=")
            && !html.contains("href=")
            && html.matches("url(").count() == html.matches("url(#").count(),
        "no requests"
    );
    for p in &people {
        assert!(
            !html.contains(&p.name) && !html.contains(&p.email),
            "report names {}",
            p.name
        );
    }
    // The inline style is exactly what the CSP hash allows.
    let style = html
        .split("<style>")
        .nth(1)
        .unwrap()
        .split("</style>")
        .next()
        .unwrap();
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash =
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style.as_bytes()));
    assert!(csp.contains(&format!("'sha256-{hash}'")));

    // Two relays side by side.
    let (other, _) = app.open_relay(2, json!({}));
    let both = app.get(
        &format!("/api/relays/{relay}/report?compare={other}"),
        Some(&app.token),
    );
    assert_eq!(both.status, 200, "{}", both.text);
    assert!(both.text.contains("Ord, der skiller stafetterne"));
    assert_eq!(
        app.get(
            &format!("/api/relays/{relay}/report?compare={relay}"),
            Some(&app.token)
        )
        .status,
        422
    );
    assert_eq!(
        app.get(
            &format!("/api/relays/{relay}/report?compare=999"),
            Some(&app.token)
        )
        .status,
        404
    );
    assert_eq!(
        app.get(
            &format!("/api/relays/{relay}/report"),
            Some(&people[0].token)
        )
        .status,
        403
    );
}

#[test]
fn participants_read_the_shared_output_only_when_the_closed_relay_shares_it() {
    let app = spawn_app();
    let (shared, people) = app.open_relay(3, json!({ "share_output": true }));
    let (private, others) = app.open_relay(3, json!({}));
    let early = app.get("/api/me/report", Some(&people[0].token));
    assert_eq!(
        (early.status, early.code()),
        (409, "not_closed"),
        "{}",
        early.text
    );
    for relay in [shared, private] {
        app.close_relay(relay);
    }
    let res = app.get("/api/me/report", Some(&people[0].token));
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.text.contains("Ledelse til gavn for borgerne"));
    assert!(
        res.header("content-security-policy")
            .unwrap()
            .starts_with("default-src 'none'")
    );
    for p in &people {
        assert!(!res.text.contains(&p.name) && !res.text.contains(&p.email));
    }
    assert_eq!(
        app.get("/api/me/report", Some(&others[0].token)).status,
        403
    );
    assert_eq!(app.get("/api/me/report", Some(&app.token)).status, 403);
    assert_eq!(app.get("/api/me/report", None).status, 401);
}

#[test]
fn tiny_relays_cluster_without_errors() {
    let app = spawn_app();
    let (relay, people) = app.open_relay(3, json!({}));
    let cluster = |body: Value| {
        app.post(
            &format!("/api/relays/{relay}/themes/cluster"),
            Some(&app.token),
            &body,
        )
    };
    // No questions at all.
    let none = cluster(json!({}));
    assert_eq!(none.status, 200, "{}", none.text);
    assert_eq!(none.body["themes"], json!([]));
    assert_eq!(
        app.get(
            &format!("/api/relays/{relay}/themes/suggestions"),
            Some(&app.token)
        )
        .body,
        json!([])
    );
    assert_eq!(
        app.get(&format!("/api/relays/{relay}/words"), Some(&app.token))
            .body["words"],
        json!([])
    );
    // One question, asked for more themes than there are questions.
    let asked = app.post(
        "/api/me/questions",
        Some(&people[0].token),
        &json!({ "text": "Hvordan skaber vi værdi for borgerne?" }),
    );
    assert_eq!(asked.status, 201);
    for body in [json!({}), json!({ "k": 5 })] {
        let res = cluster(body);
        assert_eq!(res.status, 200, "{}", res.text);
        assert!(res.body["themes"].as_array().unwrap().len() <= 1);
    }
    let report = app.get(&format!("/api/relays/{relay}/report"), Some(&app.token));
    assert_eq!(report.status, 200, "{}", report.text);
    let network = app.get(&format!("/api/relays/{relay}/network"), Some(&app.token));
    assert_eq!(network.body["chains"]["count"], 1);
}

/// The shape of a JSON value: each object's keys with the shapes of their values, each array
/// as the distinct shapes of its elements, each leaf as its type. The objects keyed by data
/// (`per_group`, `histogram`) keep one key, `*`, with the shapes of their values.
fn shape(v: &Value) -> Value {
    const MAPS: [&str; 2] = ["per_group", "histogram"];
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| match v {
                    Value::Object(inner) if MAPS.contains(&k.as_str()) => {
                        let mut values: Vec<Value> = inner.values().map(shape).collect();
                        values.sort_by_key(Value::to_string);
                        values.dedup();
                        (k.clone(), json!({ "*": values }))
                    }
                    _ => (k.clone(), shape(v)),
                })
                .collect(),
        ),
        Value::Array(a) => {
            let mut shapes: Vec<Value> = a.iter().map(shape).collect();
            shapes.sort_by_key(Value::to_string);
            shapes.dedup();
            Value::Array(shapes)
        }
        Value::String(_) => json!("string"),
        Value::Number(n) if n.is_f64() => json!("float"),
        Value::Number(_) => json!("integer"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

/// Every analysis and themes view, as the API has always sent it: the key names, the nesting
/// and the JSON type of every value (the frontend reads them by name).
#[test]
fn every_analysis_view_keeps_its_json_shape() {
    let app = spawn_app();
    let (relay, _, _) = danish_relay(&app);
    let t = Some(app.token.as_str());
    let ok = |res: helpers::Res| {
        assert!(res.status < 300, "{}", res.text);
        res.body
    };
    let get = |path: &str| ok(app.get(path, t));
    let clustered = ok(app.post(
        &format!("/api/relays/{relay}/themes/cluster"),
        t,
        &json!({ "k": 3, "seed": 1 }),
    ));
    let created = ok(app.post(
        &format!("/api/relays/{relay}/themes"),
        t,
        &json!({ "label": "Eget tema" }),
    ));
    // One question taken out: the cake gets its unplaced slice and there is a suggestion.
    let qid = clustered["themes"][0]["members"][0].as_i64().unwrap();
    let placed = ok(app.send(
        "PUT",
        &format!("/api/questions/{qid}/theme"),
        t,
        &json!({ "theme_id": null }),
    ));
    let star = ok(app.send(
        "PUT",
        &format!("/api/questions/{qid}/star"),
        t,
        &json!({ "starred": true }),
    ));

    let slice = |theme_id: &str| json!({ "count": "integer", "label": "string", "share": "float", "theme_id": theme_id });
    let theme = json!({
        "id": "integer", "label": "string", "label_words": ["string"], "members": ["integer"],
        "per_group": { "*": ["integer"] }, "pinned": "bool",
        "representatives": [{ "question_id": "integer", "text": "string" }], "size": "integer",
    });
    let empty_theme = json!({
        "id": "integer", "label": "string", "label_words": [], "members": [],
        "per_group": { "*": [] }, "pinned": "bool", "representatives": [], "size": "integer",
    });
    // A group's cake row has the unplaced slice when one of its questions is unplaced: the one
    // taken out above, and any the clustering left without a theme.
    let mut view = shape(&get(&format!("/api/relays/{relay}/themes")));
    let with_unplaced = json!({ "group": "string", "slices": [slice("integer"), slice("null")], "total": "integer" });
    let all_placed = json!({ "group": "string", "slices": [slice("integer")], "total": "integer" });
    let rows = view["cake"].as_array().unwrap().clone();
    assert!(rows.contains(&with_unplaced), "{rows:?}");
    assert!(
        rows.iter().all(|r| *r == with_unplaced || *r == all_placed),
        "{rows:?}"
    );
    view["cake"] = json!([with_unplaced]);
    assert_eq!(
        view,
        json!({
            "cake": [with_unplaced],
            "groups": ["string"], "questions": "integer", "relay_id": "integer",
            "themes": [theme, empty_theme], "unplaced": "integer",
        })
    );
    assert_eq!(
        shape(&created),
        json!({
            "id": "integer", "label": "string", "label_words": [], "members": [],
            "pinned": "bool", "relay_id": "integer", "size": "integer",
        })
    );
    assert_eq!(
        shape(&placed),
        json!({ "question_id": "integer", "theme_id": "null" })
    );
    assert_eq!(
        shape(&star),
        json!({ "question_id": "integer", "starred": "bool" })
    );
    assert_eq!(
        shape(&get(&format!("/api/relays/{relay}/themes/suggestions"))),
        json!([{ "confidence": "float", "question_id": "integer", "theme_id": "integer" }])
    );

    let words = |group: &str| {
        json!({
            "documents": "integer", "group": group, "relay_id": "integer", "source": "string",
            "words": [{ "count": "integer", "questions": "integer", "word": "string" }],
        })
    };
    assert_eq!(
        shape(&get(&format!("/api/relays/{relay}/words"))),
        words("null")
    );
    assert_eq!(
        shape(&get(&format!("/api/relays/{relay}/words?group=Stat"))),
        words("string")
    );
    let side = |group: &str| json!({ "documents": "integer", "group": group, "label": "string", "relay_id": "integer" });
    let word = json!([{
        "count_a": "integer", "count_b": "integer", "delta": "float", "word": "string", "z": "float",
    }]);
    assert_eq!(
        shape(&get(&format!(
            "/api/analysis/distinctive?a={relay}:Kommune&b={relay}"
        ))),
        json!({
            "a": side("string"), "a_words": word, "b": side("null"), "b_words": word,
            "source": "string",
        })
    );

    let mut network = json!({
        "chains": {
            "count": "integer", "histogram": { "*": ["integer"] }, "longest": "integer",
            "top": [{
                "length": "integer",
                "path": [{ "group": "string", "pseudonym": "string" }],
                "questions": ["integer"],
            }],
        },
        "groups": ["string"],
        "matrix": [["integer"]],
        "participants": [{
            "answered": "integer", "asked": "integer", "group": "string", "name": "string",
            "pseudonym": "string", "received": "integer",
        }],
        "links": "links",
        "relay_id": "integer",
    });
    // A link's split lists its themes and, when some of its questions are in none, a null
    // theme; its top theme is null only when none of them is in a theme.
    let links = |mut view: Value| {
        let in_theme =
            json!({ "count": "integer", "theme_id": "integer", "theme_label": "string" });
        let in_none = json!({ "count": "integer", "theme_id": "null", "theme_label": "null" });
        for link in view["links"].as_array().unwrap() {
            let mut link = link.as_object().unwrap().clone();
            let split = link.remove("split").unwrap();
            assert!(
                split
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|s| *s == in_theme || *s == in_none)
            );
            let top = (link["theme_id"].clone(), link["theme_label"].clone());
            assert!(
                top == (json!("integer"), json!("string")) || top == (json!("null"), json!("null"))
            );
            assert_eq!(
                link.keys().collect::<Vec<_>>(),
                ["count", "from", "theme_id", "theme_label", "to"]
            );
        }
        view["links"] = json!("links");
        view
    };
    assert_eq!(
        links(shape(&get(&format!("/api/relays/{relay}/network")))),
        network
    );
    // Analysts get no name at all, not even a null one.
    network["participants"][0]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let (_, analyst) = app.add_staff("analytiker@example.dk", "analyst");
    app.grant(relay, "analytiker@example.dk");
    let res = app.get(&format!("/api/relays/{relay}/network"), Some(&analyst));
    assert_eq!(links(shape(&ok(res))), network);
}
