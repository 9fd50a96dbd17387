//! Fuzzing every parser of outside input against the real server (SPEC §4, §6): JSON bodies
//! of each route, the CSV and JSON participant import, websocket messages, query strings and
//! path segments, and the configuration (TOML file and environment). Each case checks that
//! nothing panics, nothing answers 5xx, every refusal is a JSON error
//! `{"error": {"code", "message"}}`, and a refused input changes nothing in the database.
//!
//! This run does a modest number of cases per parser. The long-running mode runs each parser
//! for minutes: `cargo run --example fuzz -- --minutes 10 [parser…]` (docs/FUZZING.md). A
//! failure prints its seed; `FUZZ_SEED=<n>` repeats the run.

#[allow(
    dead_code,
    reason = "shared with examples/fuzz.rs, which runs it by time"
)]
mod harness;
mod inputs;
mod targets;

use harness::Budget;

fn run(parser: &str, cases: u32) {
    let (_, target) = targets::PARSERS
        .iter()
        .find(|(name, _)| *name == parser)
        .unwrap();
    target(Budget::Cases(cases)).assert_passed();
}

#[test]
fn relay_bodies_never_fail_the_server_and_refusals_change_nothing() {
    run("json-relays", 1000);
}

#[test]
fn json_imports_never_fail_the_server_and_report_what_they_did() {
    run("json-import", 800);
}

#[test]
fn question_and_answer_bodies_never_fail_the_server_and_refusals_change_nothing() {
    run("json-participant", 1000);
}

#[test]
fn staff_bodies_never_fail_the_server_and_refusals_change_nothing() {
    run("json-staff", 500);
}

#[test]
fn csv_imports_never_fail_the_server_and_report_what_they_did() {
    run("csv-import", 600);
}

#[test]
fn websocket_messages_get_events_or_an_error_frame_and_change_nothing() {
    run("websocket", 300);
}

#[test]
fn query_strings_and_path_segments_get_answers_or_json_errors_and_change_nothing() {
    run("query", 1500);
}

#[test]
fn configurations_serve_or_stop_with_a_clear_error() {
    run("config", 60);
}
