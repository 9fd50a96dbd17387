//! Analysis benchmark (issues 5 and 16): a synthetic Danish-like corpus (10k, 100k and 1M
//! questions) through tokenising, word counts and themes, against scikit-learn's TF-IDF +
//! KMeans with the same k on the same texts, with each side's agreement with the generated
//! topics; and CSV export of 1M rows against `sqlite3 -csv` running the same query.
//! Each measured job runs in a child process of its own so its peak memory is its own.
//!
//! Run: `cargo run --release --example bench_analysis -- [sizes…] [--export-rows N] [--repeat R]
//! [--only-export]` (defaults: 10000 100000 1000000 questions, 1000000 rows, 3 repeats). Needs
//! python3 with scikit-learn and the sqlite3 command (`pip install scikit-learn`, `apt-get
//! install sqlite3`). A single themes job runs as `bench_analysis --phase themes N LABELS_OUT`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use diesel::Connection as _;
use diesel::connection::SimpleConnection as _;
use serde_json::{Value, json};
use stafet::analysis::{
    self, ClusterOptions, Corpus, KChoice, Language, Tokenizer, TokenizerOptions, fixtures,
};

const K: usize = 20;
const SEED: u64 = 1;

/// A small deterministic generator (SplitMix64), so every run makes the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Danish-like questions: real Danish words from the fixture relay plus compounds of them (as
/// Danish builds words), in `K` topics of their own vocabulary, with stop words mixed in.
fn corpus(n: usize) -> (Vec<String>, Vec<usize>) {
    let tok = Tokenizer::new(TokenizerOptions {
        stop_words: vec![],
        stem: None,
        min_chars: 3,
    });
    let mut base: Vec<String> = fixtures::texts()
        .iter()
        .flat_map(|t| tok.tokens(t).into_iter().map(|t| t.surface))
        .collect();
    base.sort();
    base.dedup();
    let mut rng = Rng(42);
    let mut vocab: Vec<String> = base.clone();
    while vocab.len() < 4_000 {
        let a = &base[rng.below(base.len())];
        let b = &base[rng.below(base.len())];
        vocab.push(format!("{a}{b}"));
    }
    vocab.sort();
    vocab.dedup();
    let band = vocab.len() / K;
    let stop = Language::Da.stop_words();
    let mut topics = Vec::with_capacity(n);
    let texts = (0..n)
        .map(|_| {
            let topic = rng.below(K);
            topics.push(topic);
            let len = 10 + rng.below(16);
            let mut words = Vec::with_capacity(len);
            for _ in 0..len {
                let r = rng.below(100);
                let w = if r < 60 {
                    vocab[topic * band + rng.below(band)].as_str()
                } else if r < 80 {
                    vocab[rng.below(vocab.len())].as_str()
                } else {
                    stop[rng.below(stop.len())]
                };
                words.push(w);
            }
            let mut s = words.join(" ");
            if let Some(first) = s.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            s.push('?');
            // Pushing the mark doubled the string's capacity; the texts are the input both
            // sides hold in memory, so they are held at their size, as Python holds them.
            s.shrink_to_fit();
            s
        })
        .collect();
    (texts, topics)
}

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Child: tokenise, count words and cluster `n` generated questions; print timings as JSON.
fn phase_themes(n: usize, labels_out: &Path) {
    let (texts, topics) = corpus(n);
    let rss_input = peak_rss_kb();
    let tokenizer = Tokenizer::new(TokenizerOptions {
        stop_words: vec![Language::Da],
        stem: None,
        min_chars: 2,
    });
    let t = Instant::now();
    let corpus = Corpus::from_texts(&tokenizer, &texts);
    let tokenize = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let top = analysis::corpus_word_frequencies(&corpus, Some(50));
    let words = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let result = analysis::cluster(
        &corpus,
        &ClusterOptions {
            k: KChoice::Fixed(K),
            seed: SEED,
            n_init: 4,
            max_iter: 100,
            ..ClusterOptions::default()
        },
    );
    let themes = t.elapsed().as_secs_f64();
    let mut out = std::io::BufWriter::new(std::fs::File::create(labels_out).unwrap());
    for a in &result.assignment {
        match a {
            Some(c) => writeln!(out, "{c}").unwrap(),
            None => writeln!(out, "-1").unwrap(),
        }
    }
    out.flush().unwrap();
    let peak = peak_rss_kb();
    let ari = analysis::adjusted_rand_index(&topics, &result.assignment);
    println!(
        "{}",
        json!({
            "tokenize_seconds": tokenize, "words_seconds": words, "themes_seconds": themes,
            "peak_rss_kb": peak, "input_rss_kb": rss_input, "top_word": top[0].word,
            "ari_topics": ari,
        })
    );
}

/// Child: export the corpus of relay 1 as CSV to `out`; print time and peak memory.
fn phase_export(db: &Path, out: &Path) {
    let mut conn = stafet::db::DbConn::Sqlite(
        diesel::SqliteConnection::establish(db.to_str().unwrap()).unwrap(),
    );
    let t = Instant::now();
    let file = std::io::BufWriter::with_capacity(1 << 16, std::fs::File::create(out).unwrap());
    let rows = stafet::export::write_corpus(
        &mut conn,
        1,
        stafet::export::Format::Csv,
        stafet::export::Reader::Named,
        file,
        |_| {},
    )
    .unwrap();
    println!(
        "{}",
        json!({ "seconds": t.elapsed().as_secs_f64(), "rows": rows, "peak_rss_kb": peak_rss_kb() })
    );
}

fn child(args: &[&str]) -> Value {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(out.stdout.trim_ascii()).unwrap()
}

fn read_labels(path: &Path) -> Vec<i64> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect()
}

fn themes_run(dir: &Path, n: usize, repeat: usize, report: &mut String) {
    let (texts, topics) = corpus(n);
    let docs = dir.join(format!("docs-{n}.txt"));
    let mut f = std::fs::File::create(&docs).unwrap();
    for t in &texts {
        writeln!(f, "{}", t.replace('\n', "\\n")).unwrap();
    }
    let stop = dir.join("stop.txt");
    std::fs::write(&stop, Language::Da.stop_words().join("\n")).unwrap();
    drop(texts);

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sklearn_themes.py");
    let (ours_labels, theirs_labels) = (dir.join("ours.txt"), dir.join("theirs.txt"));
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..repeat {
        ours.push(child(&[
            "--phase",
            "themes",
            &n.to_string(),
            ours_labels.to_str().unwrap(),
        ]));
        let out = Command::new("python3")
            .arg(&script)
            .args([&docs, &stop])
            .args([K.to_string(), SEED.to_string()])
            .arg(&theirs_labels)
            .output()
            .expect("python3 with scikit-learn");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        theirs.push(serde_json::from_slice::<Value>(out.stdout.trim_ascii()).unwrap());
    }
    let f = |v: &[Value], k: &str| median(v.iter().map(|x| x[k].as_f64().unwrap()).collect());
    let (tok, words, themes) = (
        f(&ours, "tokenize_seconds"),
        f(&ours, "words_seconds"),
        f(&ours, "themes_seconds"),
    );
    let ours_total = tok + themes;
    let sk = f(&theirs, "seconds");
    let ours_rss = f(&ours, "peak_rss_kb");
    let sk_rss = f(&theirs, "peak_rss_kb");
    let (a, b) = (read_labels(&ours_labels), read_labels(&theirs_labels));
    let agreement = analysis::adjusted_rand_index(&a, &b);
    let truth_ours = analysis::adjusted_rand_index(&topics, &a);
    let truth_sk = analysis::adjusted_rand_index(&topics, &b);
    let line = format!(
        "| {n} | {tok:.3} | {words:.3} | {themes:.3} | {ours_total:.3} | {sk:.3} | {:.2}x | {:.0} | {:.0} | {agreement:.3} | {truth_ours:.4} / {truth_sk:.4} |",
        sk / ours_total,
        ours_rss / 1024.0,
        sk_rss / 1024.0,
    );
    println!("{line}");
    writeln!(report, "{line}").unwrap();
}

fn build_export_db(db: &Path, rows: usize) {
    let settings_db = stafet::db::DbOptions {
        synchronous: "OFF".into(),
        busy_timeout_ms: 5000,
        pool_size: 1,
        lanes: 1,
        bulk_pool_size: 1,
    };
    drop(
        stafet::db::Db::open(&stafet::db::Target::Sqlite(db.to_path_buf()), &settings_db).unwrap(),
    );
    let mut conn = stafet::db::DbConn::Sqlite(
        diesel::SqliteConnection::establish(db.to_str().unwrap()).unwrap(),
    );
    // The writer thread of the `Db` just dropped may still be closing its connection.
    conn.batch_execute("PRAGMA busy_timeout = 10000;").unwrap();
    let now = chrono::Utc::now();
    let input: stafet::ops::relays::CreateRelay = serde_json::from_value(json!({
        "title": "Eksport", "topic": "Benchmark", "purpose": "", "language": "da",
        "timezone": "Europe/Copenhagen", "starts_at": now,
    }))
    .unwrap();
    stafet::ops::relays::create(&mut conn, input, None, now).unwrap();
    let people: Vec<stafet::ops::participants::ImportRow> = (0..100)
        .map(|i| {
            serde_json::from_value(json!({
                "name": format!("Deltager {i}"), "email": format!("d{i}@kommune.dk"),
                "group": if i % 2 == 0 { "Kommune" } else { "Stat" },
                "title": "Direktør", "organisation": format!("Organisation {i}"),
            }))
            .unwrap()
        })
        .collect();
    stafet::ops::participants::import(&mut conn, 1, people, now).unwrap();
    stafet::ops::relays::open_now(&mut conn, 1, now).unwrap();
    conn.batch_execute(&format!(
        "PRAGMA synchronous = OFF; BEGIN;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
         INSERT INTO questions (relay_id, round_id, asker_id, recipient_id, text, status, asked_at, delivered_at, is_starred)
         SELECT 1, (SELECT MIN(id) FROM rounds), (SELECT MIN(id) FROM participants) + i % 100,
                (SELECT MIN(id) FROM participants) + (i + 1) % 100,
                'Spørgsmål nummer ' || i || ': hvordan skaber vi ledelse, der gør en forskel for borgerne, når styringen, \"bureaukratiet\" og økonomien, presser?',
                CASE WHEN i % 2 = 0 THEN 'answered' ELSE 'pending' END,
                datetime('2026-12-07 08:00:00', '+' || (i % 86400) || ' seconds'),
                datetime('2026-12-07 08:00:00', '+' || (i % 86400) || ' seconds'), i % 97 = 0
         FROM n;
         INSERT INTO answers (question_id, author_id, text, created_at)
         SELECT id, recipient_id, 'Vi starter hvert ledermøde med en konkret borgersag, og vi måler på den oplevede kvalitet.', asked_at
         FROM questions WHERE status = 'answered';
         COMMIT;"
    ))
    .unwrap();
}

fn export_run(dir: &Path, rows: usize, repeat: usize, report: &mut String) {
    let db = dir.join("export.sqlite");
    let t = Instant::now();
    build_export_db(&db, rows);
    println!(
        "built {rows}-row database in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let sql = stafet::db::corpus::CORPUS_SQL
        .replacen('?', "1", 1)
        .replacen('?', "0", 1)
        .replacen('?', "-1", 1);
    let (ours_out, theirs_out) = (dir.join("ours.csv"), dir.join("theirs.csv"));
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for _ in 0..repeat {
        ours.push(child(&[
            "--phase",
            "export",
            db.to_str().unwrap(),
            ours_out.to_str().unwrap(),
        ]));
        let t = Instant::now();
        let status = Command::new("sqlite3")
            .args(["-csv", "-header"])
            .arg(&db)
            .arg(&sql)
            .stdout(std::fs::File::create(&theirs_out).unwrap())
            .status()
            .expect("the sqlite3 command");
        assert!(status.success());
        theirs.push(t.elapsed().as_secs_f64());
    }
    let s = median(
        ours.iter()
            .map(|v| v["seconds"].as_f64().unwrap())
            .collect(),
    );
    let rss = median(
        ours.iter()
            .map(|v| v["peak_rss_kb"].as_f64().unwrap())
            .collect(),
    );
    let base = median(theirs);
    let size = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.len() as f64 / 1e6)
            .unwrap_or(0.0)
    };
    let line = format!(
        "| {rows} | {s:.2} | {base:.2} | {:.2}x | {:.0} | {:.0} MB / {:.0} MB |",
        s / base,
        rss / 1024.0,
        size(&ours_out),
        size(&theirs_out),
    );
    println!("{line}");
    writeln!(report, "{line}").unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--phase") {
        match args[1].as_str() {
            "themes" => phase_themes(args[2].parse().unwrap(), Path::new(&args[3])),
            "export" => phase_export(Path::new(&args[2]), Path::new(&args[3])),
            other => panic!("unknown phase {other}"),
        }
        return;
    }
    let mut sizes = Vec::new();
    let mut export_rows = 1_000_000;
    let mut repeat = 3;
    let mut themes = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--export-rows" => export_rows = it.next().unwrap().parse().unwrap(),
            "--repeat" => repeat = it.next().unwrap().parse().unwrap(),
            "--only-export" => themes = false,
            n => sizes.push(n.parse::<usize>().unwrap()),
        }
    }
    if sizes.is_empty() && themes {
        sizes = vec![10_000, 100_000, 1_000_000];
    }
    let dir: PathBuf = tempfile::tempdir().unwrap().keep();
    println!(
        "machine: {} cores; k = {K}; medians of {repeat} runs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut report = String::new();
    if !sizes.is_empty() {
        println!(
            "| questions | tokenise s | word counts s | themes s | ours total s | scikit-learn s | speed-up | ours peak MB | scikit-learn peak MB | ARI ours vs scikit-learn | ARI vs generated topics (ours / scikit-learn) |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        for n in sizes {
            themes_run(&dir, n, repeat, &mut report);
        }
    }
    if export_rows > 0 {
        println!(
            "| rows | stafet export s | sqlite3 -csv s | ratio | stafet peak MB | output size (ours / sqlite3) |"
        );
        println!("|---|---|---|---|---|---|");
        export_run(&dir, export_rows, repeat, &mut report);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
