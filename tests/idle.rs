//! An idle server is idle: with nothing to send and nothing due, the outbox worker and the
//! scheduler commit nothing and the process uses next to no CPU; a new email still goes out
//! at once.
//!
//! A test binary of its own, not a module of `tests/api`: no other test's server may share the
//! process whose CPU time is measured.

#[path = "api/helpers/mod.rs"]
#[allow(
    dead_code,
    reason = "one test uses a small part of the suite's helpers"
)]
mod helpers;

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::spawn_app_with;

/// CPU time (user + system) this process has used so far.
#[cfg(target_os = "linux")]
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // The fields after the command name (which may hold spaces) in parentheses; utime and
    // stime are the 14th and 15th fields, in clock ticks of 1/100 s (USER_HZ on Linux).
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

fn eml_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn an_idle_server_commits_nothing_and_still_sends_a_new_email_at_once() {
    // The scheduler ticks ten times a second, so its passes over a live relay count too.
    let app = spawn_app_with(|s| s.scheduler.tick_ms = 100);
    let (relay, _people) = app.open_relay(4, json!({}));
    app.emails();
    // Let the worker's pass after the last commit finish.
    std::thread::sleep(Duration::from_millis(500));

    let commits = app.db.commits();
    let first = *commits.borrow();
    #[cfg(target_os = "linux")]
    let cpu_before = cpu_time();
    let idle = Duration::from_secs(3);
    std::thread::sleep(idle);
    let committed = *commits.borrow() - first;
    println!("idle for {idle:?}: {committed} commits");
    #[cfg(target_os = "linux")]
    let cpu = cpu_time() - cpu_before;
    #[cfg(target_os = "linux")]
    println!("idle for {idle:?}: {cpu:?} of CPU");
    assert!(
        committed <= idle.as_secs(),
        "{committed} commits in {idle:?} of idling"
    );
    // Idle is a few reads by the scheduler; a tenth of a core is far above that.
    #[cfg(target_os = "linux")]
    assert!(cpu < idle / 10, "{cpu:?} of CPU in {idle:?} of idling");

    // A participant added to the open relay gets the opening email from the worker, without
    // the test delivering it.
    let before = eml_files(&app.mail_dir);
    let started = Instant::now();
    let res = app.post(
        &format!("/api/relays/{relay}/participants"),
        Some(&app.token),
        &json!([{ "name": "Ny Deltager", "email": "ny@kommune.dk", "group": "Kommune" }]),
    );
    assert_eq!(res.status, 200, "{}", res.text);
    while eml_files(&app.mail_dir) == before {
        // Generous for a loaded machine; the time it took is printed.
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the new email was not sent"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    println!(
        "a new email was written {:?} after its request",
        started.elapsed()
    );
}
