//! Backups and restores with the real binary: backups taken while participants ask and answer
//! through the API, each restored and checked; the lock that keeps a database to one server
//! (a second server and a restore are refused while one runs); a restore over a database whose
//! server was killed, with its write-ahead log still beside it; scheduled backups that rotate.

use std::collections::BTreeSet;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use binary::{Http, Server, run, stafet, wait_for};
use chrono::Utc;
use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::binary;
use crate::helpers::fixtures::pending_ids;
use crate::helpers::link_token;

/// A write the server acknowledged, and when the client had the answer.
#[derive(Debug, Clone, Copy)]
enum Ack {
    /// A question asked, by its id.
    Question(i64),
    /// An answer given, by its question's id.
    Answer(i64),
}

type Acks = Arc<Mutex<Vec<(Instant, Ack)>>>;

fn body(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An open relay of `n` participants with batons and inboxes enough for a long run; returns
/// each participant's link secret, read from the opening emails in `mail`.
fn open_relay(http: &Http, token: &str, mail: &Path, n: usize) -> Vec<String> {
    let (status, text) = http
        .send(
            "POST",
            "/api/relays",
            Some(token),
            Some(&json!({
                "title": "Ledelse til gavn for borgerne", "topic": "Ledelse",
                "purpose": "Spørgsmål mellem topledere.", "language": "da",
                "timezone": "Europe/Copenhagen",
                "starts_at": Utc::now() + chrono::Duration::days(1),
                "settings": { "batons_per_round": 50, "max_batons": 50, "max_inbox": 50 },
            })),
        )
        .unwrap();
    assert_eq!(status, 201, "{text}");
    let relay = body(&text)["id"].as_i64().unwrap();
    let people: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "name": format!("Deltager {i}"), "email": format!("p{i}@kommune.dk"),
                "group": if i % 2 == 0 { "Kommune" } else { "Stat" },
                "title": "Direktør", "organisation": format!("Organisation {i}"),
            })
        })
        .collect();
    let path = format!("/api/relays/{relay}/participants");
    let (status, text) = http
        .send("POST", &path, Some(token), Some(&json!(people)))
        .unwrap();
    assert_eq!(status, 200, "{text}");
    let path = format!("/api/relays/{relay}/open");
    let (status, text) = http
        .send("POST", &path, Some(token), Some(&json!({})))
        .unwrap();
    assert_eq!(status, 200, "{text}");
    (0..n)
        .map(|i| {
            let to = format!("p{i}@kommune.dk");
            wait_for("an email with a link", || link_in_mail(mail, &to))
        })
        .collect()
}

/// The link secret in the first email to `to` that has one.
fn link_in_mail(mail: &Path, to: &str) -> Option<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(mail)
        .ok()?
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    files.iter().find_map(|path| {
        let raw = std::fs::read(path).ok()?;
        let msg = mail_parser::MessageParser::default().parse(&raw)?;
        let addressed = msg.to()?.first()?.address()? == to;
        let text = msg.body_text(0)?;
        let secret = link_token(&text)?;
        (addressed && !secret.is_empty()).then_some(secret)
    })
}

/// One participant's turn: answers what waits in their inbox, then asks one question. Every
/// write the server acknowledges goes into `acks` with the instant its answer arrived.
/// Returns false once the server no longer answers.
fn take_turn(http: &Http, secret: &str, n: usize, acks: &Acks) -> bool {
    let Some((200, me)) = http.send("GET", "/api/me", Some(secret), None) else {
        return false;
    };
    let me = body(&me);
    for qid in pending_ids(&me) {
        let text = json!({ "text": format!("Svar nummer {n} på spørgsmål {qid}.") });
        let path = format!("/api/me/questions/{qid}/answer");
        match http.send("POST", &path, Some(secret), Some(&text)) {
            Some((201, _)) => acks
                .lock()
                .unwrap()
                .push((Instant::now(), Ack::Answer(qid))),
            Some(_) => {}
            None => return false,
        }
    }
    let text = json!({ "text": format!("Hvad har du lært i dag, nummer {n}?") });
    match http.send("POST", "/api/me/questions", Some(secret), Some(&text)) {
        Some((201, q)) => {
            let id = body(&q)["id"].as_i64().unwrap();
            acks.lock()
                .unwrap()
                .push((Instant::now(), Ack::Question(id)));
            true
        }
        // No baton or no one left to ask: refused, and fine; the answers go on.
        Some(_) => true,
        None => false,
    }
}

/// Participants taking turns until `stop`, spread over a few client threads.
fn participants(
    base: &str,
    secrets: Vec<String>,
    stop: &Arc<AtomicBool>,
    acks: &Acks,
) -> Vec<std::thread::JoinHandle<()>> {
    secrets
        .chunks(secrets.len().div_ceil(4))
        .map(|chunk| {
            let (chunk, stop, acks) = (chunk.to_vec(), stop.clone(), acks.clone());
            let http = Http::new(base.to_string());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    for secret in &chunk {
                        n += 1;
                        if !take_turn(&http, secret, n, &acks) {
                            return;
                        }
                    }
                }
            })
        })
        .collect()
}

/// `stafet COMMAND FLAG1 PATH1 FLAG2 PATH2`, run to its end.
fn cli(command: &str, (flag1, path1): (&str, &Path), (flag2, path2): (&str, &Path)) -> Output {
    run(stafet()
        .args([command, flag1])
        .arg(path1)
        .arg(flag2)
        .arg(path2))
}

fn backup(db: &Path, out: &Path) -> Output {
    cli("backup", ("--db", db), ("--out", out))
}

fn restore(from: &Path, db: &Path) -> Output {
    cli("restore", ("--from", from), ("--db", db))
}

fn connect(db: &Path) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(db.to_str().unwrap()).unwrap();
    conn.batch_execute("PRAGMA busy_timeout = 30000;").unwrap();
    conn
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

/// What a database holds, as far as these tests look: its questions and its answered
/// questions by id, and what SQLite's integrity check says.
#[derive(Debug, PartialEq)]
struct Content {
    questions: BTreeSet<i64>,
    answered: BTreeSet<i64>,
    integrity: Vec<String>,
}

fn content(db: &Path) -> Content {
    let mut conn = connect(db);
    let ids = |conn: &mut SqliteConnection, sql: &str| -> BTreeSet<i64> {
        let rows: Vec<Id> = diesel::sql_query(sql).load(conn).unwrap();
        rows.into_iter().map(|r| r.id).collect()
    };
    let lines: Vec<Line> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .unwrap();
    Content {
        questions: ids(&mut conn, "SELECT id FROM questions"),
        answered: ids(&mut conn, "SELECT question_id AS id FROM answers"),
        integrity: lines.into_iter().map(|l| l.integrity_check).collect(),
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Waits (a minute at most) for a process to end by itself.
fn exits(child: &mut std::process::Child) -> std::process::ExitStatus {
    wait_for("the process to end", || child.try_wait().unwrap())
}

/// A fresh database with a facilitator, in a temporary folder with the server's mail folder and
/// log files.
struct Site {
    dir: tempfile::TempDir,
    db: PathBuf,
    mail: PathBuf,
    out: PathBuf,
    err: PathBuf,
    token: String,
}

impl Site {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("stafet.sqlite");
        let token = binary::add_facilitator(&db, "fac@example.dk");
        Self {
            db,
            mail: dir.path().join("mail"),
            out: dir.path().join("out.log"),
            err: dir.path().join("err.log"),
            token,
            dir,
        }
    }

    /// `stafet serve` on this site's database.
    fn serve(&self) -> Server {
        Server::start(&self.db, &self.mail, &self.out, &self.err, &self.token)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The server and its participants keep writing while 20 backups are taken one after another.
/// Every backup has mode 0600, restores into a new file, passes SQLite's integrity check, and
/// holds every question and answer acknowledged before that backup started.
#[test]
fn twenty_backups_under_write_load_each_restore_whole_with_every_acknowledged_write() {
    let site = Site::new();
    let server = site.serve();
    let secrets = open_relay(&server.http, &site.token, &site.mail, 40);
    let stop = Arc::new(AtomicBool::new(false));
    let acks: Acks = Arc::default();
    let clients = participants(&server.http.base, secrets, &stop, &acks);

    let mut during = 0;
    let mut checked = 0;
    let mut took_ms = Vec::new();
    for i in 0..20 {
        // Some writes between two backups, so each one sees a database that moved on.
        let before = acks.lock().unwrap().len();
        wait_for("writes between backups", || {
            (acks.lock().unwrap().len() >= before + 5).then_some(())
        });
        let file = site.path(&format!("backup-{i:02}.sqlite"));
        let started = Instant::now();
        let made = backup(&site.db, &file);
        let ended = Instant::now();
        assert!(made.status.success(), "backup {i}: {}", stderr(&made));
        assert_eq!(mode(&file), 0o600, "backup {i}");
        took_ms.extend(
            String::from_utf8_lossy(&made.stdout)
                .lines()
                .filter_map(|l| {
                    l.strip_prefix("wrote ")?
                        .strip_suffix(" ms")?
                        .rsplit(' ')
                        .next()?
                        .parse::<u64>()
                        .ok()
                }),
        );

        let restored = site.path(&format!("restored-{i:02}.sqlite"));
        let put = restore(&file, &restored);
        assert!(put.status.success(), "restore {i}: {}", stderr(&put));
        let held = content(&restored);
        assert_eq!(held.integrity, ["ok"], "backup {i}");
        let acked: Vec<(Instant, Ack)> = acks.lock().unwrap().clone();
        for (at, ack) in &acked {
            if *at >= started {
                during += usize::from(*at < ended);
                continue;
            }
            let kept = match ack {
                Ack::Question(id) => held.questions.contains(id),
                Ack::Answer(qid) => held.answered.contains(qid),
            };
            assert!(
                kept,
                "backup {i} lacks {ack:?}, acknowledged before it started"
            );
            checked += 1;
        }
        std::fs::remove_file(&restored).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    let total = acks.lock().unwrap().len();
    eprintln!(
        "{total} writes acknowledged; {checked} found in the backups taken after them; \
         {during} acknowledged while a backup was being taken; each backup's copy took \
         {:?} ms (min, max)",
        (took_ms.iter().min(), took_ms.iter().max())
    );
    assert!(during > 0, "no write was acknowledged while a backup ran");
}

/// A server holds its database: a second server on the same file does not start, and a
/// restore over it is refused and changes nothing. A server killed with SIGKILL leaves its
/// write-ahead log beside the file; a restore over that database is then allowed, and the
/// restored file holds exactly the backup, none of the old log's pages. A server starts on it.
#[test]
fn one_server_per_database_and_a_restore_only_when_none_runs() {
    let site = Site::new();
    let (db, mail) = (&site.db, &site.mail);
    let mut server = site.serve();
    let secrets = open_relay(&server.http, &site.token, mail, 6);
    let acks: Acks = Arc::default();
    for (n, secret) in secrets.iter().enumerate() {
        assert!(take_turn(&server.http, secret, n, &acks));
    }
    let early = site.path("early.sqlite");
    let made = backup(db, &early);
    assert!(made.status.success(), "{}", stderr(&made));
    let in_backup = content(&early);
    assert_eq!(in_backup.questions.len(), 6);

    // A second server on the same file is refused, and the first goes on.
    let second = stafet()
        .args(["serve", "--bind", "127.0.0.1:0", "--db"])
        .arg(db)
        .arg("--mail-dir")
        .arg(mail)
        .stdout(std::fs::File::create(site.path("second.out")).unwrap())
        .stderr(std::fs::File::create(site.path("second.err")).unwrap())
        .spawn()
        .unwrap();
    // Killed when the test fails, like the first.
    let mut second = Server {
        child: second,
        http: Http::new(String::new()),
    };
    let status = exits(&mut second.child);
    let said = std::fs::read_to_string(site.path("second.err")).unwrap();
    assert!(!status.success());
    assert!(said.contains("in use by another Stafet server"), "{said}");
    assert!(said.contains("two servers on one SQLite file"), "{said}");
    assert!(server.alive());

    // A restore over the running server's database is refused and changes nothing.
    let inode = std::fs::metadata(db).unwrap().ino();
    let refused = restore(&early, db);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("stop the server"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(std::fs::metadata(db).unwrap().ino(), inode);
    let onto_itself = backup(db, db);
    assert!(!onto_itself.status.success());
    assert!(stderr(&onto_itself).contains("is the database itself"));
    assert_eq!(std::fs::metadata(db).unwrap().ino(), inode);
    for (n, secret) in secrets.iter().enumerate() {
        assert!(
            take_turn(&server.http, secret, 100 + n, &acks),
            "the server goes on"
        );
    }

    // Killed, the server leaves its write-ahead log (frames with the later writes) behind.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let wal = site.path("stafet.sqlite-wal");
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "no log was left"
    );
    let put = restore(&early, db);
    assert!(put.status.success(), "{}", stderr(&put));
    assert_eq!(mode(db), 0o600);
    assert_eq!(
        content(db),
        in_backup,
        "the old log leaked into the restored file"
    );

    let mut again = site.serve();
    let (status, text) = again
        .http
        .send("GET", "/api/me", Some(&secrets[0]), None)
        .unwrap();
    assert_eq!(status, 200, "{text}");
    assert!(
        again.terminate(),
        "the server on the restored file did not stop cleanly"
    );
}

/// With `every_seconds` set, the server writes backups into the folder on its own and keeps
/// the newest `keep`; other files in the folder stay. Each backup restores and is sound.
#[test]
fn scheduled_backups_rotate_and_keep_the_newest() {
    let site = Site::new();
    let backups = site.path("backups");
    std::fs::create_dir(&backups).unwrap();
    std::fs::write(backups.join("notes.txt"), "not a backup").unwrap();
    let ancient = backups.join("stafet-20000101-000000.sqlite");
    std::fs::write(&ancient, "the oldest backup").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = stafet()
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--db"])
        .arg(&site.db)
        .arg("--mail-dir")
        .arg(&site.mail)
        .env("STAFET__BACKUP__EVERY_SECONDS", "1")
        .env("STAFET__BACKUP__KEEP", "3")
        .env("STAFET__BACKUP__DIR", &backups)
        .stdout(std::fs::File::create(&site.out).unwrap())
        .stderr(std::fs::File::create(&site.err).unwrap())
        .spawn()
        .unwrap();
    let http = Http::new(format!("http://127.0.0.1:{port}"));
    let mut server = Server { child, http };
    wait_for("the server to answer", || {
        server
            .http
            .send("GET", "/api/relays", Some(&site.token), None)
            .filter(|(s, _)| *s == 200)
    });
    let ours = || -> Vec<PathBuf> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&backups)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "sqlite"))
            .collect();
        names.sort();
        names
    };
    // Past five backups, three kept, the oldest gone. Between two backups (a second apart)
    // the folder holds exactly the kept ones; without rotation it would only grow.
    wait_for("five backups written and three kept", || {
        let log = std::fs::read_to_string(&site.out).unwrap_or_default();
        let written = log.matches("backup written").count();
        (written >= 5 && ours().len() == 3 && !ancient.exists()).then_some(())
    });
    assert!(server.terminate(), "the server did not stop cleanly");
    assert!(
        backups.join("notes.txt").exists(),
        "another file was deleted"
    );

    // A backup may have been renamed into place just before the stop, ahead of its rotation.
    let kept = ours();
    assert!((3..=4).contains(&kept.len()), "{kept:?}");
    for file in &kept {
        assert_eq!(mode(file), 0o600, "{}", file.display());
        let restored = site.path("restored.sqlite");
        let put = restore(file, &restored);
        assert!(put.status.success(), "{}", stderr(&put));
        assert_eq!(content(&restored).integrity, ["ok"]);
        std::fs::remove_file(&restored).unwrap();
    }
}
