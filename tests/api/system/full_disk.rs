//! A full disk under the database and the logs: the real server, its database, mail folder and
//! standard output and error on a small tmpfs that the test fills. Writes then fail with a JSON
//! 5xx, reads go on, the process never dies, and once space returns writes work again.
//!
//! Mounting a tmpfs needs root, which the test machines and CI have.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use binary::{Server, wait_for};
use chrono::Utc;
use serde_json::{Value, json};

use crate::helpers::binary;

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Self {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mounting a tmpfs at {} (needs root)", at.display());
        Self(at.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A file that takes every free block of its file system; remove it to free the space.
struct Filler {
    path: PathBuf,
    file: std::fs::File,
}

impl Filler {
    /// Fills the file system of `dir` with a file there.
    fn new(dir: &Path) -> Self {
        let path = dir.join("filler");
        let file = std::fs::File::create(&path).unwrap();
        let mut filler = Self { path, file };
        filler.top_up();
        filler
    }

    /// Takes again whatever the server freed since (a rolled-back or truncated WAL, a removed
    /// temporary email), so the disk stays full between requests.
    fn top_up(&mut self) {
        let block = vec![0x55u8; 64 * 1024];
        while self.file.write_all(&block).is_ok() {}
        // The last partial blocks too.
        while self.file.write_all(&block[..512]).is_ok() {}
    }

    /// Gives the space back (closing the file too: an open file keeps its blocks).
    fn remove(self) {
        std::fs::remove_file(&self.path).unwrap();
    }
}

fn relay(title: &str) -> Value {
    json!({
        "title": title, "topic": "Disk", "purpose": "Hvad sker der, når disken er fuld? ".repeat(20),
        "language": "da", "timezone": "Europe/Copenhagen",
        "starts_at": Utc::now() + chrono::Duration::days(1),
    })
}

/// The JSON error code of a body, if it is one.
fn error_code(text: &str) -> Option<String> {
    let body: Value = serde_json::from_str(text).ok()?;
    body["error"]["code"].as_str().map(str::to_string)
}

#[test]
fn a_full_disk_fails_writes_with_json_errors_and_the_server_lives_on_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&dir.path().join("disk"), "12m");
    let db = disk.0.join("stafet.sqlite");
    let token = binary::add_facilitator(&db, "fac@example.dk");
    let (out, err) = (disk.0.join("stdout.log"), disk.0.join("stderr.log"));
    let mut server = Server::start(&db, &disk.0.join("mail"), &out, &err, &token);
    let http = &server.http;
    let (status, text) = http
        .send("POST", "/api/relays", Some(&token), Some(&relay("Før")))
        .unwrap();
    assert_eq!(status, 201, "{text}");

    let mut filler = Filler::new(&disk.0);
    // The next writes need room the disk no longer has: one of the first fails.
    let mut failed = None;
    for i in 0..200 {
        let (status, text) = http
            .send(
                "POST",
                "/api/relays",
                Some(&token),
                Some(&relay(&format!("Fuld {i}"))),
            )
            .expect("the server answers while the disk is full");
        if status != 201 {
            failed = Some((status, text));
            break;
        }
    }
    let (status, text) = failed.expect("a write failed on the full disk");
    assert!(status >= 500, "{status} {text}");
    assert!(error_code(&text).is_some(), "a JSON error: {text}");

    // While it is full: a write fails cleanly with a JSON error, or succeeds where SQLite can
    // reuse WAL pages it already holds (then it is stored like any other); reads and sign-in
    // checks go on, and all of it is logged (or dropped) without harm.
    let mut stored_while_full = Vec::new();
    for i in 0..20 {
        filler.top_up();
        let title = format!("Stadig fuld {i}");
        let (status, text) = http
            .send("POST", "/api/relays", Some(&token), Some(&relay(&title)))
            .expect("the server answers");
        match status {
            201 => stored_while_full.push(title),
            _ => assert!(
                status >= 500 && error_code(&text).is_some(),
                "{status} {text}"
            ),
        }
        let (status, text) = http
            .send("GET", "/api/relays", Some(&token), None)
            .expect("a read");
        assert_eq!(status, 200, "{text}");
        let (status, text) = http
            .send("GET", "/api/relays", Some("not-a-token"), None)
            .unwrap();
        assert!(
            status == 401 && error_code(&text).is_some(),
            "{status} {text}"
        );
    }
    assert!(server.alive(), "the server died on the full disk");

    filler.remove();
    let http = &server.http;
    let title = wait_for("a write to succeed again", || {
        let (status, text) =
            http.send("POST", "/api/relays", Some(&token), Some(&relay("Efter")))?;
        (status == 201).then_some(text)
    });
    assert!(title.contains("Efter"));
    let (status, text) = http.send("GET", "/api/relays", Some(&token), None).unwrap();
    assert_eq!(status, 200, "{text}");
    let titles: Vec<String> = serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["title"].as_str().map(str::to_string))
        .collect();
    assert!(titles.contains(&"Før".to_string()) && titles.contains(&"Efter".to_string()));
    for title in &stored_while_full {
        assert!(
            titles.contains(title),
            "{title} was acknowledged, so it is stored"
        );
    }
    assert!(server.alive(), "the server died after the disk was freed");
    // The log says what it had to drop.
    let log = wait_for("the log to note the dropped lines", || {
        let _ = server.http.send("GET", "/api/relays", Some(&token), None);
        let log = std::fs::read_to_string(&out).ok()?;
        log.contains("could not be written and were dropped")
            .then_some(log)
    });
    assert!(log.contains("Stafet is serving"));
}
