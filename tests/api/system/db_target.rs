//! `--db` and `database.url` through the real binary: a URL is never taken for a file name. A
//! scheme other than PostgreSQL's is refused before anything is created. A PostgreSQL URL
//! opens PostgreSQL: `user add`, `demo` and `export` work on it, `serve` wants SMTP there, and
//! what copies a SQLite file (backup, restore) points to pg_dump. The old key `database.path`
//! still names a SQLite file.

use std::path::Path;
use std::process::{Command, Output};

use binary::{run, stafet};

use crate::helpers::binary;
use crate::helpers::pg;

/// Every subcommand that opens the database, with `--db VALUE`.
fn commands_with_db(value: &str) -> Vec<Vec<String>> {
    let with = |args: &[&str]| with_db(args, value);
    vec![
        with(&["serve", "--bind", "127.0.0.1:0", "--mail-dir", "mail"]),
        with(&["user", "add", "--email", "a@example.dk", "--role", "admin"]),
        with(&["demo", "--mail-dir", "mail"]),
        with(&[
            "export", "--relay", "1", "--format", "csv", "--out", "out.csv",
        ]),
    ]
}

/// `stafet` run in the folder `dir` (the default database and mail folder are relative).
fn stafet_in(dir: &Path) -> Command {
    let mut cmd = stafet();
    cmd.current_dir(dir)
        .env_remove("STAFET__DATABASE__URL")
        .env_remove("STAFET__DATABASE__PATH")
        .env_remove("STAFET_CONFIG");
    cmd
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What `dir` holds, for a readable failure.
fn contents(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Runs `args` with the environment `env` in a fresh folder; asserts that it fails, says
/// `message`, and creates nothing.
fn refused_with(env: &[(&str, &str)], args: &[String], message: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = run(stafet_in(dir.path()).envs(env.iter().copied()).args(args));
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(
        stderr(&out).contains(message),
        "{args:?} should say `{message}`, said: {}",
        stderr(&out)
    );
    assert_eq!(
        contents(dir.path()),
        Vec::<String>::new(),
        "{args:?} created files"
    );
}

fn refused(args: &[String], message: &str) {
    refused_with(&[], args, message);
}

/// `args` with `--db value` after them.
fn with_db(args: &[&str], value: &str) -> Vec<String> {
    args.iter()
        .chain(&["--db", value])
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn serve_on_postgresql_without_smtp_is_refused_naming_smtp_before_listening() {
    for url in ["postgres://x", "postgresql://stafet@127.0.0.1:1/stafet"] {
        let serve = with_db(
            &["serve", "--bind", "127.0.0.1:0", "--mail-dir", "mail"],
            url,
        );
        refused(
            &serve,
            "a server on PostgreSQL needs SMTP: set email.smtp.host",
        );
    }
}

#[test]
fn backup_and_restore_of_a_postgresql_url_point_to_pg_dump() {
    let backup = with_db(&["backup", "--out", "copy.sqlite"], "postgres://x");
    refused(&backup, "back PostgreSQL up with its own tools (pg_dump");
    let restore = with_db(&["restore", "--from", "copy.sqlite"], "postgres://x");
    refused(&restore, "back PostgreSQL up with its own tools (pg_dump");
}

#[test]
fn user_add_demo_and_export_work_on_postgresql() {
    let db = pg::FreshPg::create();
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let ok = |args: Vec<String>| {
        let out = run(stafet_in(dir.path()).args(&args));
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let added = ok(with_db(
        &["user", "add", "--email", "a@example.dk", "--role", "admin"],
        &url,
    ));
    assert!(added.contains("token: "), "{added}");
    let demo = ok(with_db(&["demo", "--mail-dir", "mail"], &url));
    assert!(
        demo.contains("/p/"),
        "the demo prints participant links: {demo}"
    );
    ok(with_db(
        &[
            "export", "--relay", "1", "--format", "csv", "--out", "out.csv",
        ],
        &url,
    ));
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert!(csv.lines().count() > 5, "the demo's questions: {csv}");
    assert!(
        !contents(dir.path())
            .iter()
            .any(|f| f.starts_with("postgres")),
        "no SQLite file named after the URL: {:?}",
        contents(dir.path())
    );
}

#[test]
fn another_scheme_is_refused_naming_the_accepted_forms() {
    for args in commands_with_db("mysql://root:hunter2@db/stafet") {
        refused(&args, "`mysql://` is not a database Stafet can open");
        let dir = tempfile::tempdir().unwrap();
        let said = stderr(&run(stafet_in(dir.path()).args(&args)));
        assert!(said.contains("SQLite file path"), "{said}");
        assert!(said.contains("postgres://"), "{said}");
        assert!(
            !said.contains("hunter2"),
            "the password is repeated: {said}"
        );
    }
}

#[test]
fn the_config_key_is_read_the_same_way() {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    refused_with(
        &[("STAFET__DATABASE__URL", "mysql://x")],
        &args(&["user", "add", "--email", "a@example.dk", "--role", "admin"]),
        "`mysql://` is not a database Stafet can open",
    );
    refused_with(
        &[("STAFET__DATABASE__URL", "postgres://x")],
        &args(&["serve", "--bind", "127.0.0.1:0", "--mail-dir", "mail"]),
        "a server on PostgreSQL needs SMTP",
    );
    // The old key is read through the same parser: a URL, never a file called `postgres:`.
    refused_with(
        &[("STAFET__DATABASE__PATH", "postgres://x")],
        &args(&["demo", "--mail-dir", "mail"]),
        "opening the database postgres://x",
    );
}

#[test]
fn the_old_path_key_still_names_a_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let add = |cmd: &mut Command| {
        run(cmd.args(["user", "add", "--email", "a@example.dk", "--role", "admin"]))
    };
    let out = add(stafet_in(dir.path()).env("STAFET__DATABASE__PATH", "old.sqlite"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        dir.path().join("old.sqlite").is_file(),
        "{:?}",
        contents(dir.path())
    );

    // Both keys at once is a mistake to report, not to guess at.
    let out = add(stafet_in(dir.path())
        .env("STAFET__DATABASE__PATH", "old.sqlite")
        .env("STAFET__DATABASE__URL", "new.sqlite"));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("database.path is the old name of database.url"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("new.sqlite").exists());
}

#[test]
fn a_file_path_still_opens_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(stafet_in(dir.path()).args(&commands_with_db("sub/stafet.sqlite")[1]));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("sub/stafet.sqlite").is_file());
}
