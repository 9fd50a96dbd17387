//! Corpus export over the API and the CLI: JSON, CSV and XLSX agree, formulas are neutralised,
//! analysts get pseudonyms only, and bad requests change nothing.

use std::io::Cursor;

use calamine::{Data, DataType as _, Reader as _, Xlsx, open_workbook_from_rs};
use serde_json::{Value, json};

use crate::helpers::refusals::Body::{Empty, Json};
use crate::helpers::refusals::{assert_refused, refused};
use crate::helpers::{Person, TestApp, binary, spawn_app};

const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"klik\")";

/// An open relay with four answered-or-pending questions, one answer that looks like a formula,
/// and one starred question.
fn relay_with_corpus(app: &TestApp) -> (i64, Vec<Person>) {
    let (relay, people) = app.open_relay(4, json!({}));
    let mut asked = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let res = app.post(
            "/api/me/questions",
            Some(&p.token),
            &json!({ "text": format!("Spørgsmål nummer {i}: hvordan, \"konkret\", skaber I værdi for borgerne?\nAnden linje.") }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
        asked.push((
            res.body["id"].as_i64().unwrap(),
            res.body["recipient"]["id"].as_i64().unwrap(),
        ));
    }
    for (n, (qid, rid)) in asked.iter().take(3).enumerate() {
        let who = people.iter().find(|p| p.id == *rid).unwrap();
        let text = if n == 0 {
            FORMULA.to_string()
        } else {
            format!("Et svar på {qid}, med æ, ø og å.")
        };
        let res = app.post(
            &format!("/api/me/questions/{qid}/answer"),
            Some(&who.token),
            &json!({ "text": text }),
        );
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let star = app.send(
        "PUT",
        &format!("/api/questions/{}/star", asked[1].0),
        Some(&app.token),
        &json!({ "starred": true }),
    );
    assert_eq!(star.status, 200, "{}", star.text);
    (relay, people)
}

/// A CSV or XLSX text cell back as the JSON value it came from.
fn unneutralise(s: &str) -> String {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_string(),
        _ => s.to_string(),
    }
}

fn json_cell_as_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(bytes);
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn csv_and_xlsx_read_back_equal_the_json() {
    let app = spawn_app();
    let (relay, _) = relay_with_corpus(&app);
    let json_res = app.get(
        &format!("/api/relays/{relay}/corpus?format=json"),
        Some(&app.token),
    );
    assert_eq!(json_res.status, 200, "{}", json_res.text);
    let rows = json_res.body.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let columns: Vec<String> = rows[0].as_object().unwrap().keys().cloned().collect();

    let (status, csv_bytes) = app.get_bytes(
        &format!("/api/relays/{relay}/corpus?format=csv"),
        &app.token,
    );
    assert_eq!(status, 200);
    let (header, csv_data) = csv_rows(&csv_bytes);
    assert_eq!(header.len(), columns.len());
    assert_eq!(csv_data.len(), rows.len());
    for (row, line) in rows.iter().zip(&csv_data) {
        for (col, cell) in header.iter().zip(line) {
            assert_eq!(
                unneutralise(cell),
                json_cell_as_text(&row[col]),
                "CSV column {col}"
            );
        }
    }

    let (status, xlsx) = app.get_bytes(
        &format!("/api/relays/{relay}/corpus?format=xlsx"),
        &app.token,
    );
    assert_eq!(status, 200);
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("corpus").unwrap();
    let mut it = sheet.rows();
    let head: Vec<String> = it.next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(head, header);
    let body: Vec<_> = it.collect();
    assert_eq!(body.len(), rows.len());
    for (row, cells) in rows.iter().zip(body) {
        for (col, cell) in head.iter().zip(cells) {
            let expected = &row[col];
            match cell {
                Data::Empty => assert!(expected.is_null(), "XLSX {col}: {expected}"),
                Data::Float(f) => assert_eq!(*f, expected.as_f64().unwrap(), "XLSX {col}"),
                Data::Int(i) => assert_eq!(*i, expected.as_i64().unwrap(), "XLSX {col}"),
                Data::Bool(b) => assert_eq!(Some(*b), expected.as_bool(), "XLSX {col}"),
                Data::String(s) => {
                    assert_eq!(unneutralise(s), json_cell_as_text(expected), "XLSX {col}")
                }
                other => panic!("unexpected XLSX cell {other:?} in {col}"),
            }
        }
    }
}

#[test]
fn a_formula_looking_answer_is_neutralised_in_csv_and_xlsx_and_kept_in_json() {
    let app = spawn_app();
    let (relay, _) = relay_with_corpus(&app);
    let json_res = app.get(&format!("/api/relays/{relay}/corpus"), Some(&app.token));
    assert!(
        json_res
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["answer"] == FORMULA)
    );

    let (_, csv_bytes) = app.get_bytes(
        &format!("/api/relays/{relay}/corpus?format=csv"),
        &app.token,
    );
    let (header, data) = csv_rows(&csv_bytes);
    let col = header.iter().position(|h| h == "answer").unwrap();
    assert!(data.iter().any(|r| r[col] == format!("'{FORMULA}")));
    assert!(
        !data
            .iter()
            .flatten()
            .any(|c| c.starts_with(['=', '+', '-', '@']))
    );

    let (_, xlsx) = app.get_bytes(
        &format!("/api/relays/{relay}/corpus?format=xlsx"),
        &app.token,
    );
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("corpus").unwrap();
    let cells: Vec<String> = sheet
        .rows()
        .flatten()
        .filter_map(|c| c.get_string().map(str::to_string))
        .collect();
    assert!(cells.contains(&format!("'{FORMULA}")));
    assert!(!cells.iter().any(|c| c.starts_with(['=', '+', '-', '@'])));
    let formulas = book.worksheet_formula("corpus").unwrap();
    assert!(
        formulas.used_cells().count() == 0,
        "the workbook has formulas"
    );
}

#[test]
fn an_analysts_export_has_pseudonyms_and_no_name_or_email() {
    let app = spawn_app();
    let (relay, people) = relay_with_corpus(&app);
    let (_, analyst) = app.add_staff("analytiker@example.dk", "analyst");
    app.grant(relay, "analytiker@example.dk");
    for format in ["json", "csv", "xlsx"] {
        let (status, bytes) = app.get_bytes(
            &format!("/api/relays/{relay}/corpus?format={format}"),
            &analyst,
        );
        assert_eq!(status, 200, "{format}");
        let text = if format == "xlsx" {
            let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
            let sheet = book.worksheet_range("corpus").unwrap();
            sheet
                .rows()
                .flatten()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            String::from_utf8(bytes).unwrap()
        };
        for p in &people {
            assert!(!text.contains(&p.name), "{format} leaks {}", p.name);
            assert!(!text.contains(&p.email), "{format} leaks {}", p.email);
        }
        assert!(
            !text.contains("asker_name") && !text.contains("recipient_email"),
            "{format}"
        );
        assert!(
            text.contains("P001") || text.contains("P1"),
            "{format} has pseudonyms: {text}"
        );
    }
    // Facilitators do see names.
    let named = app.get(&format!("/api/relays/{relay}/corpus"), Some(&app.token));
    assert!(named.text.contains(&people[0].name));
}

#[test]
fn bad_export_requests_get_clear_errors() {
    let app = spawn_app();
    let (relay, people) = relay_with_corpus(&app);
    let before = app.snapshot();
    let (staff, participant) = (Some(app.token.as_str()), Some(people[0].token.as_str()));
    let corpus = format!("/api/relays/{relay}/corpus");
    let star = |id: i64, who, starred: Value, status, code| {
        let body = Json(json!({ "starred": starred }));
        refused(
            "PUT",
            format!("/api/questions/{id}/star"),
            who,
            body,
            status,
            code,
        )
    };
    #[rustfmt::skip]
    let rows = [
        refused("GET", format!("{corpus}?format=pdf"), staff, Empty, 422, "validation_failed"),
        refused("GET", format!("{corpus}?formt=csv"), staff, Empty, 400, "bad_query"),
        refused("GET", "/api/relays/999/corpus?format=csv", staff, Empty, 404, "not_found"),
        refused("GET", &corpus, participant, Empty, 403, "forbidden"),
        refused("GET", &corpus, None, Empty, 401, "unauthorized"),
        star(999, staff, json!(true), 404, "not_found"),
        star(1, staff, json!("yes"), 422, "validation_failed"),
        star(1, participant, json!(true), 403, "forbidden"),
    ];
    assert_refused(&app, &rows);
    assert_eq!(app.snapshot(), before);
}

#[test]
fn the_cli_exports_the_same_csv_as_the_api() {
    let app = spawn_app();
    let (relay, _) = relay_with_corpus(&app);
    let (_, api_csv) = app.get_bytes(
        &format!("/api/relays/{relay}/corpus?format=csv"),
        &app.token,
    );
    let out = app.mail_dir.with_file_name("export.csv");
    let relay = relay.to_string();
    let out_arg = out.to_string_lossy();
    let (ok, _, err) = binary::cli(
        &app,
        &[
            "export", "--relay", &relay, "--format", "csv", "--out", &out_arg,
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), api_csv);
    assert!(err.contains("4 questions written"));

    let (ok, _, err) = binary::cli(&app, &["export", "--relay", "999", "--format", "json"]);
    assert!(!ok);
    assert!(err.contains("no relay 999"));
}
