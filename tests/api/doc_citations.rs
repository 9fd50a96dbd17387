//! The docs cite tests as the proof of what they promise (`tests/api/ws/delivery.rs::name`, `…::name`
//! for another test of the same file): each cited test must still exist where cited, so a
//! moved or renamed test fails here instead of leaving a promise without its proof.

use std::path::Path;

/// The docs whose citations are checked besides every `docs/*.md`.
const DOCS: &[&str] = &["migrations/README.md", "README.md"];

/// Every doc whose citations are checked, relative to the crate's root.
fn docs(root: &Path) -> Vec<String> {
    let mut all: Vec<String> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    all.sort();
    all.extend(DOCS.iter().map(|d| d.to_string()));
    all
}

/// A citation in backticks: a file of the crate (`tests/…`, `src/…`), with or without a
/// test's name, or `…::name` naming another test of the file cited last.
#[derive(Debug, PartialEq)]
struct Citation {
    file: String,
    test: Option<String>,
}

/// The citations of one document, in order.
fn citations(doc: &str) -> Vec<Citation> {
    let mut found = Vec::new();
    let mut last_file: Option<String> = None;
    // Every other piece between backticks is code.
    for code in doc.split('`').skip(1).step_by(2) {
        let (path, test) = match code.split_once("::") {
            Some((path, test)) => (path, Some(test.to_string())),
            None => (code, None),
        };
        let file = if path == "…" {
            last_file.clone()
        } else if (path.starts_with("tests/") || path.starts_with("src/"))
            && path.ends_with(".rs")
            && !path.contains(['*', ' ', '<'])
        {
            Some(path.to_string())
        } else {
            None
        };
        if let Some(file) = file {
            last_file = Some(file.clone());
            found.push(Citation { file, test });
        }
    }
    found
}

/// Why a citation does not hold, if it does not.
fn broken(root: &Path, citation: &Citation) -> Option<String> {
    let Ok(source) = std::fs::read_to_string(root.join(&citation.file)) else {
        return Some(format!("{} does not exist", citation.file));
    };
    let test = citation.test.as_deref()?;
    let defined = source.contains(&format!("fn {test}("));
    (!defined).then(|| format!("{}::{test} is not a function there", citation.file))
}

#[test]
fn citations_are_read_with_their_file_carried_over() {
    let doc =
        "proof: `tests/api/ws.rs::one`, `…::two`; `src/db/mod.rs`, `cargo test`, `auth::scope`";
    let file = |f: &str, t: Option<&str>| Citation {
        file: f.into(),
        test: t.map(Into::into),
    };
    assert_eq!(
        citations(doc),
        [
            file("tests/api/ws.rs", Some("one")),
            file("tests/api/ws.rs", Some("two")),
            file("src/db/mod.rs", None),
        ]
    );
}

#[test]
fn every_test_the_docs_cite_exists_where_they_cite_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cited = 0;
    let mut broken_ones = Vec::new();
    for doc in docs(root) {
        let text = std::fs::read_to_string(root.join(&doc)).unwrap();
        for citation in citations(&text) {
            cited += 1;
            broken_ones.extend(broken(root, &citation).map(|why| format!("{doc}: {why}")));
        }
    }
    assert!(
        cited > 100,
        "only {cited} citations found: is the format still read?"
    );
    assert!(broken_ones.is_empty(), "{}", broken_ones.join("\n"));
}
