//! The fuzz harness's long-running mode: runs each parser's target for a number of minutes
//! and prints cases, cases per second and the first failure (with its seed).
//!
//! `cargo run --example fuzz -- --minutes 10` runs every parser; name some to run only those
//! (`json-relays json-import json-participant json-staff csv-import websocket query config`).
//! The targets are those of `tests/api/fuzz`, which runs them for a modest number of cases.

// The suite's server harness (`helpers` there, with `pg` beside it), less what runs the
// binary: an example has no `CARGO_BIN_EXE_stafet`.
#[path = "../tests/api/fuzz/harness.rs"]
#[allow(
    dead_code,
    reason = "shared with tests/api/fuzz, which runs it by cases"
)]
mod harness;
#[path = "../tests/api/helpers/app.rs"]
#[allow(
    dead_code,
    reason = "the fuzz targets use a part of tests/api's harness"
)]
mod helpers;
#[path = "../tests/api/fuzz/inputs.rs"]
mod inputs;
#[path = "../tests/api/helpers/pg.rs"]
#[allow(dead_code, reason = "the harness uses a part of it")]
mod pg;
#[path = "../tests/api/fuzz/targets.rs"]
mod targets;

use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let mut minutes = 10.0f64;
    let mut chosen = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--minutes" => {
                minutes = args
                    .next()
                    .and_then(|m| m.parse().ok())
                    .expect("--minutes takes a number")
            }
            name => chosen.push(name.to_string()),
        }
    }
    let mut failed = false;
    for (name, target) in targets::PARSERS {
        if !chosen.is_empty() && !chosen.iter().any(|c| c == name) {
            continue;
        }
        let outcome = target(harness::Budget::Time(Duration::from_secs_f64(
            minutes * 60.0,
        )));
        println!(
            "{name}: {:.1} min, {} cases, {:.1} cases/s, seed {}, {}",
            outcome.elapsed.as_secs_f64() / 60.0,
            outcome.cases,
            outcome.cases as f64 / outcome.elapsed.as_secs_f64(),
            outcome.seed,
            match &outcome.failure {
                None => "no failure".to_string(),
                Some(f) => format!("FAILED: {f}"),
            }
        );
        for (response, n) in &outcome.statuses {
            println!("    {n:>8}  {response}");
        }
        failed |= outcome.failure.is_some();
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
