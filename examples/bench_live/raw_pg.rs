//! The raw PostgreSQL baseline of `bench_live`: ask-shaped transactions through `pgbench` on a
//! database of their own. Each locks one relay's row, inserts a question, its delivery and an
//! event, updates the asker's batons and commits: the statements a Stafet ask makes, without
//! the HTTP, the JSON, the recipient choice, the email and the push.

use std::path::PathBuf;
use std::process::Command;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

/// Tables shaped like Stafet's (foreign keys and the indexes an ask's inserts maintain), and
/// `relays` relays sharing `participants` participants.
fn schema(relays: usize, participants: usize) -> String {
    format!(
        "CREATE TABLE relays (id BIGINT PRIMARY KEY, title TEXT NOT NULL,
                              updated_at TIMESTAMPTZ NOT NULL DEFAULT now());
         CREATE TABLE participants (id BIGINT PRIMARY KEY, relay_id BIGINT NOT NULL REFERENCES relays,
                                    batons INT NOT NULL);
         CREATE TABLE questions (id BIGSERIAL PRIMARY KEY, relay_id BIGINT NOT NULL REFERENCES relays,
                                 asker_id BIGINT NOT NULL REFERENCES participants, text TEXT NOT NULL,
                                 created_at TIMESTAMPTZ NOT NULL);
         CREATE INDEX ON questions (relay_id, id);
         CREATE INDEX ON questions (asker_id);
         CREATE TABLE deliveries (id BIGSERIAL PRIMARY KEY,
                                  question_id BIGINT NOT NULL REFERENCES questions,
                                  recipient_id BIGINT NOT NULL REFERENCES participants,
                                  created_at TIMESTAMPTZ NOT NULL);
         CREATE INDEX ON deliveries (recipient_id);
         CREATE TABLE events (id BIGSERIAL PRIMARY KEY, relay_id BIGINT NOT NULL REFERENCES relays,
                              participant_id BIGINT NOT NULL REFERENCES participants,
                              kind TEXT NOT NULL, data TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL);
         CREATE INDEX ON events (relay_id, id);
         INSERT INTO relays (id, title) SELECT g, 'Benchmark ' || g FROM generate_series(1, {relays}) g;
         INSERT INTO participants SELECT g, 1 + g % {relays}, 1000000
           FROM generate_series(1, {participants}) g;
         ANALYZE;"
    )
}

/// One ask: the asker's relay is locked first, so the asker's row is only ever updated under
/// that lock (no deadlocks), as in Stafet. The recipient is the asker's neighbour.
fn script(relays: usize, participants: usize) -> String {
    format!(
        "\\set p random(1, {participants})
\\set r 1 + :p % {relays}
\\set q 1 + :p % {participants}
BEGIN;
SELECT id FROM relays WHERE id = :r FOR NO KEY UPDATE;
INSERT INTO questions (relay_id, asker_id, text, created_at) VALUES (:r, :p, 'Hvordan skaber du rum til ledelse i en travl hverdag?', now());
INSERT INTO deliveries (question_id, recipient_id, created_at) VALUES (currval('questions_id_seq'), :q, now());
INSERT INTO events (relay_id, participant_id, kind, data, created_at) VALUES (:r, :q, 'question_received', '{{\"question_id\": 1}}', now());
UPDATE participants SET batons = batons - 1 WHERE id = :p;
COMMIT;
"
    )
}

/// `pgbench`: STAFET_PGBENCH, else the newest under /usr/lib/postgresql, else from PATH.
fn pgbench() -> PathBuf {
    if let Some(bin) = std::env::var_os("STAFET_PGBENCH") {
        return PathBuf::from(bin);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|d| d.path().join("bin/pgbench"))
        .filter(|p| p.exists())
        .collect();
    found.sort_by_key(|p| {
        p.components()
            .nth(4)
            .and_then(|c| c.as_os_str().to_str()?.parse::<u32>().ok())
    });
    found.pop().unwrap_or_else(|| PathBuf::from("pgbench"))
}

/// Runs `clients` pgbench clients of ask-shaped transactions for `seconds` on the empty
/// database at `url` (prepared statements, as diesel's cache uses them) and returns their
/// committed transactions per second.
pub fn ask_transactions_per_sec(
    url: &str,
    relays: usize,
    participants: usize,
    clients: usize,
    seconds: u64,
) -> f64 {
    PgConnection::establish(url)
        .expect("connecting to the baseline database")
        .batch_execute(&schema(relays, participants))
        .expect("creating the baseline tables");
    let file = tempfile::Builder::new()
        .suffix(".sql")
        .tempfile()
        .expect("script file");
    std::fs::write(file.path(), script(relays, participants)).unwrap();
    let out = Command::new(pgbench())
        .args(["--no-vacuum", "--protocol=prepared", "--jobs=2"])
        .arg(format!("--client={clients}"))
        .arg(format!("--time={seconds}"))
        .arg("--file")
        .arg(file.path())
        .arg(url)
        .output()
        .expect("running pgbench (set STAFET_PGBENCH to its path)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pgbench failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no tps in pgbench's output: {stdout}"))
}
