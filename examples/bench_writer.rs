//! Writer benchmark: the ask and answer operations through the group-commit writer alone, with
//! no HTTP in front, so the CPU the writer thread spends per request can be measured and
//! improved in isolation. Many tasks (one per simulated participant) answer what they were
//! passed, then ask; the writer's own CPU time comes from /proc.
//!
//! Run: `cargo run --release --example bench_writer -- [participants] [relays] [seconds]`
//! (defaults 1000 10 10).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use stafet::db::{Db, DbOptions};
use stafet::ops;

/// The server's allocator (src/main.rs), so the writer's CPU here is what it is in `serve`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU seconds used so far by this process's threads named `name`.
fn thread_cpu_s(name: &str) -> f64 {
    let mut ticks = 0u64;
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the parenthesised name: state is 3rd, utime 14th, stime 15th.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        ticks += f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
            + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    }
    ticks as f64 / 100.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let relays: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let seconds: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(10);
    let sync = std::env::var("STAFET_SYNC").unwrap_or_else(|_| "FULL".into());
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(
        &stafet::db::Target::Sqlite(dir.path().join("bench.sqlite")),
        &DbOptions {
            synchronous: sync.clone(),
            busy_timeout_ms: 5000,
            pool_size: 4,
            lanes: 2,
            bulk_pool_size: 1,
        },
    )
    .unwrap();

    let now = chrono::Utc::now();
    let per = n / relays;
    let mut people = Vec::new();
    for r in 0..relays {
        let input: ops::relays::CreateRelay = serde_json::from_value(json!({
            "title": format!("Benchmark {r}"), "topic": "Ledelse", "purpose": "Benchmark",
            "language": "da", "timezone": "Europe/Copenhagen", "starts_at": now,
            "settings": { "max_batons": 3, "max_inbox": 3, "reroute_after_hours": 0, "reminder_after_hours": 0 },
        }))
        .unwrap();
        let rows: Vec<ops::participants::ImportRow> = (0..per)
            .map(|i| {
                serde_json::from_value(json!({
                    "name": format!("Deltager {r}-{i}"), "email": format!("p{r}-{i}@bench.dk"),
                    "group": if i % 2 == 0 { "A" } else { "B" },
                }))
                .unwrap()
            })
            .collect();
        let ids = db
            .write(move |conn| {
                let (relay, _) = ops::relays::create(conn, input.clone(), None, now)?;
                ops::participants::import(conn, relay.id, rows.clone(), now)?;
                ops::relays::open_now(conn, relay.id, now)?;
                Ok(
                    stafet::db::participants::ParticipantRow::for_relay(conn, relay.id)?
                        .into_iter()
                        .map(|p| p.id)
                        .collect::<Vec<_>>(),
                )
            })
            .await
            .unwrap();
        people.extend(ids);
    }
    println!(
        "participants {} in {relays} relays; {seconds} s; synchronous={sync}",
        people.len()
    );

    // Questions passed to each participant and not yet answered, as the driver learnt them.
    let inboxes: Arc<Mutex<HashMap<i64, Vec<i64>>>> = Arc::default();
    let counts: Arc<Mutex<(u64, u64, u64)>> = Arc::default();
    let cpu0 = thread_cpu_s("stafet-db-write");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for pid in people {
        let (db, inboxes, counts) = (db.clone(), inboxes.clone(), counts.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let next = inboxes.lock().unwrap().get_mut(&pid).and_then(Vec::pop);
                if let Some(qid) = next {
                    let t = chrono::Utc::now();
                    db.write(move |c| ops::questions::answer(c, pid, qid, "Et svar, tak.", t))
                        .await
                        .unwrap();
                    counts.lock().unwrap().1 += 1;
                    continue;
                }
                let t = chrono::Utc::now();
                let text = "Hvordan skaber du rum til ledelse i en travl hverdag?";
                match db
                    .write(move |c| ops::questions::ask(c, pid, text, None, t))
                    .await
                {
                    Ok(asked) => {
                        let (to, q) = (asked.recipient.id, asked.question.id);
                        inboxes.lock().unwrap().entry(to).or_default().push(q);
                        counts.lock().unwrap().0 += 1;
                    }
                    Err(e) => {
                        if std::env::var("WHY").is_ok() {
                            eprintln!("{e}");
                        }
                        counts.lock().unwrap().2 += 1;
                        // No baton or nobody free: give the others a turn.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = thread_cpu_s("stafet-db-write") - cpu0;
    let (asks, answers, refused) = *counts.lock().unwrap();
    let writes = asks + answers;
    println!(
        "writes {writes} ({asks} asks, {answers} answers, {refused} refused) in {elapsed:.1} s = {:.0}/s",
        writes as f64 / elapsed
    );
    println!(
        "writer thread CPU {cpu:.2} s = {:.0} µs per request ({:.0}% busy)",
        cpu * 1e6 / (writes + refused) as f64,
        cpu * 100.0 / elapsed
    );
}
