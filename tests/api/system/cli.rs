//! The CLI against a real database: an export right after a busy server stops, and an export
//! file written whole, or not at all, readable by its owner only.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use binary::{Server, run, stafet};
use chrono::Utc;
use serde_json::json;

use crate::helpers::binary;
use crate::helpers::corpus;
use crate::helpers::spawn_app;

/// `export --relay R --format csv --db DB --out OUT` added to `cmd`.
fn export_args<'a>(cmd: &'a mut Command, db: &Path, relay: i64, out: &Path) -> &'a mut Command {
    cmd.args([
        "export",
        "--relay",
        &relay.to_string(),
        "--format",
        "csv",
        "--db",
    ])
    .arg(db)
    .arg("--out")
    .arg(out)
}

fn export(db: &Path, relay: i64, out: &Path) -> std::process::Output {
    run(export_args(&mut stafet(), db, relay, out))
}

/// Writes until `stop`: relays, each with a batch of participants; counts the writes that
/// succeeded.
fn load(http: &binary::Http, token: &str, worker: usize, stop: &AtomicBool, done: &AtomicUsize) {
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let Some((201, text)) = http.send(
            "POST",
            "/api/relays",
            Some(token),
            Some(&json!({
                "title": format!("Last {worker}-{i}"), "topic": "Last", "purpose": "Skriv meget.",
                "language": "da", "timezone": "Europe/Copenhagen",
                "starts_at": Utc::now() + chrono::Duration::days(1),
            })),
        ) else {
            return;
        };
        let relay = serde_json::from_str::<serde_json::Value>(&text).unwrap()["id"]
            .as_i64()
            .unwrap();
        let people: Vec<_> = (0..20)
            .map(|k| {
                json!({
                    "name": format!("Deltager {worker} {i} {k}"),
                    "email": format!("p{worker}-{i}-{k}@last.dk"),
                    "group": if k % 2 == 0 { "Kommune" } else { "Stat" },
                    "title": "Direktør",
                    "organisation": format!("Organisation {k}"),
                })
            })
            .collect();
        match http.send(
            "POST",
            &format!("/api/relays/{relay}/participants"),
            Some(token),
            Some(&json!(people)),
        ) {
            Some((200, _)) => {
                done.fetch_add(2, Ordering::Relaxed);
            }
            _ => return,
        }
    }
}

#[test]
fn an_export_right_after_a_busy_server_stops_succeeds_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stafet.sqlite");
    let mail = dir.path().join("mail");
    let token = binary::add_facilitator(&db, "fac@example.dk");
    let (out, err) = (dir.path().join("out.log"), dir.path().join("err.log"));
    let export_file = dir.path().join("corpus.csv");
    let mut failures = Vec::new();
    let mut writes = 0;
    for round in 0..20 {
        let mut server = Server::start(&db, &mail, &out, &err, &token);
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..3)
            .map(|w| {
                let (stop, done) = (stop.clone(), done.clone());
                let http = binary::Http::new(server.http.base.clone());
                let token = token.clone();
                std::thread::spawn(move || load(&http, &token, w, &stop, &done))
            })
            .collect();
        binary::wait_for("some writes", || {
            (done.load(Ordering::Relaxed) >= 10).then_some(())
        });
        assert!(server.terminate(), "the server did not stop cleanly");
        let exported = export(&db, 1, &export_file);
        if !exported.status.success() {
            failures.push(format!(
                "round {round}: {}",
                String::from_utf8_lossy(&exported.stderr)
            ));
        }
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.join().unwrap();
        }
        writes += done.load(Ordering::Relaxed);
    }
    eprintln!("{writes} writes in 20 rounds");
    assert!(
        failures.is_empty(),
        "{} of 20 exports failed: {failures:#?}",
        failures.len()
    );
}

#[test]
fn an_export_file_is_written_whole_or_not_at_all_and_only_its_owner_reads_it() {
    let app = spawn_app();
    // About 1.2 MB of CSV.
    let relay = corpus::relay_with(&app, 600, 1900);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("corpus.csv");
    std::fs::write(&out, "the previous export\n").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();

    // A file-size limit of 200 to 400 KB (sh counts in 512- or 1024-byte blocks) stops the
    // export half-way: a write fails as it would on a full disk.
    let mut sh = Command::new("sh");
    sh.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("-c")
        .arg("ulimit -f 400 && exec \"$0\" \"$@\"")
        .arg(binary::bin());
    let limited = run(export_args(&mut sh, &app.db_path, relay, &out));
    assert!(!limited.status.success(), "the export fit under the limit");
    assert!(
        limited.status.code().is_some(),
        "ended by a signal, not an error: {:?}",
        limited.status
    );
    assert!(
        String::from_utf8_lossy(&limited.stderr).contains("error"),
        "{}",
        String::from_utf8_lossy(&limited.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "the previous export\n"
    );
    let names = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(dir.path()), ["corpus.csv"], "a partial file was left");

    let whole = export(&app.db_path, relay, &out);
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    let (status, api_csv) = app.get_bytes(
        &format!("/api/relays/{relay}/corpus?format=csv"),
        &app.token,
    );
    assert_eq!(status, 200);
    assert!(api_csv.len() > 1_000_000);
    assert_eq!(std::fs::read(&out).unwrap(), api_csv);
    let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the export holds names and emails: {mode:o}");
    assert_eq!(names(dir.path()), ["corpus.csv"]);
}
