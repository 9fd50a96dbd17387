//! Input generators: arbitrary bytes, and structure-aware inputs built from a valid example
//! (JSON with wrong types, extreme numbers, huge or odd strings, bodies spoiled byte by byte,
//! CSV with quotes, BOMs, CRLF, NULs and extra columns, query strings, websocket frames).

use std::fmt;

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Bytes that print as text with escapes (`b"a\\xff"`), so a failing case reads as what was
/// sent rather than as a list of numbers.
#[derive(Clone, PartialEq, Eq)]
pub struct Raw(pub Vec<u8>);

impl fmt::Debug for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

impl std::ops::Deref for Raw {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

fn raw(bytes: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Raw> {
    bytes.prop_map(Raw)
}

/// Characters that have broken text handling somewhere: multi-byte letters, emoji, combining
/// marks, invisible and direction-changing characters, controls, NUL.
const ODD_CHARS: &[char] = &[
    'a',
    'æ',
    'Ø',
    'å',
    '€',
    '😀',
    '\u{301}',
    '\u{200B}',
    '\u{200D}',
    '\u{202E}',
    '\u{FEFF}',
    '\u{2028}',
    '\u{0}',
    '\n',
    '\r',
    '\t',
    ' ',
    '"',
    '\\',
    '<',
    '>',
    '&',
    '\'',
    '=',
    '%',
    '{',
    '\u{10FFFF}',
    '\u{FFFD}',
    'ß',
    'İ',
];

/// Lengths at and around the limits the API enforces (10, 120, 200, 2,000, 5,000, 20,000
/// characters; the 1 MiB body limit).
const LENGTHS: &[usize] = &[
    0, 1, 2, 9, 10, 11, 119, 120, 121, 199, 200, 201, 1_999, 2_000, 2_001, 4_999, 5_000, 5_001,
    20_000, 20_001, 100_000,
];

/// A string chosen to break validators: a run of one odd character at a limit's length, a
/// short random mix, padding around real text, or (rarely) one larger than the body limit.
pub fn odd_string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (prop::sample::select(LENGTHS), prop::sample::select(ODD_CHARS))
            .prop_map(|(n, c)| std::iter::repeat_n(c, n).collect()),
        4 => vec(prop::sample::select(ODD_CHARS), 0..40).prop_map(|cs| cs.into_iter().collect()),
        3 => any::<String>(),
        2 => ("[ \t\n\u{200B}]{0,30}", "[a-zæøå ?]{0,30}", "[ \t\n\u{FEFF}]{0,30}")
            .prop_map(|(a, b, c)| format!("{a}{b}{c}")),
        1 => Just("x".repeat(1_100_000)),
    ]
}

/// A JSON number at an edge: zero and signs, i64/u64 limits and beyond, fractions, floats
/// that an integer field cannot hold.
pub fn odd_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(1)),
        Just(json!(2)),
        Just(json!(50)),
        Just(json!(51)),
        Just(json!(1440)),
        Just(json!(1441)),
        Just(json!(i32::MAX)),
        Just(json!(i32::MIN)),
        Just(json!(u32::MAX)),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        Just(json!(0.5)),
        Just(json!(-0.0)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(f64::MIN_POSITIVE)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
    ]
}

/// The years times are drawn from: chrono's whole range. A relay starting in the last days of
/// it once made the server answer 500 (the default rounds overflowed as they were laid out;
/// docs/FUZZING.md, "Found"); dates outside 2000–2100 are now a 422.
const EARLIEST_YEAR: i64 = -262_143;
const LATEST_YEAR: i64 = 262_142;

/// An RFC 3339 time at an edge: the representable extremes, leap seconds, odd offsets, and
/// strings that only look like times.
pub fn odd_time() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("2026-12-07T08:00:00Z")),
        Just(json!("2026-12-07T08:00:00+14:00")),
        Just(json!("2026-12-07T08:00:60Z")),
        Just(json!("0000-01-01T00:00:00Z")),
        Just(json!(format!("{EARLIEST_YEAR:05}-01-01T00:00:00Z"))),
        Just(json!(format!("+{LATEST_YEAR}-12-31T23:59:59Z"))),
        Just(json!("9999-12-31T23:59:59.999999999Z")),
        Just(json!("1970-01-01T00:00:00Z")),
        Just(json!("2026-02-30T00:00:00Z")),
        Just(json!("2026-12-07")),
        Just(json!("2026-12-07T08:00:00")),
        Just(json!("now")),
        (EARLIEST_YEAR..=LATEST_YEAR, 1u32..13, 1u32..29).prop_map(|(y, m, d)| {
            let year = match y {
                ..0 => format!("-{:06}", -y),
                10_000.. => format!("+{y:06}"),
                _ => format!("{y:04}"),
            };
            json!(format!("{year}-{m:02}-{d:02}T12:00:00Z"))
        }),
    ]
}

/// A JSON value of the wrong kind or at an edge, for any field.
pub fn odd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => odd_string().prop_map(Value::String),
        3 => odd_number(),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => odd_time(),
        1 => Just(json!([])),
        1 => Just(json!({})),
        1 => vec(odd_number(), 0..4).prop_map(Value::Array),
        1 => arbitrary_json(),
    ]
}

/// Any JSON document, nested a few levels.
pub fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec(("[a-z_]{0,12}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One edit of a JSON document, applied at the `at`-th place of it (modulo their number).
#[derive(Debug, Clone)]
pub enum Edit {
    /// Leave the field out.
    Remove(usize),
    /// Put a value of any kind in its place.
    Replace(usize, Value),
    /// Put a near miss of the same kind in its place (see [`Near`]).
    Near(usize, Near),
    /// Repeat an array's first element this many times.
    Grow(usize, usize),
    /// Add a field nobody asked for.
    Add(usize, String, Value),
}

/// Candidates for a near miss; the one of the original value's kind is used: a time for a
/// time, a number for a number, a string for other strings, the flipped value for a bool.
#[derive(Debug, Clone)]
pub struct Near {
    time: Value,
    number: Value,
    string: String,
}

impl Near {
    fn of(&self, original: &Value) -> Value {
        match original {
            Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {
                self.time.clone()
            }
            Value::String(_) => Value::String(self.string.clone()),
            Value::Number(_) => self.number.clone(),
            Value::Bool(b) => Value::Bool(!b),
            _ => Value::Null,
        }
    }
}

fn edit() -> impl Strategy<Value = Edit> {
    let near = (odd_time(), odd_number(), odd_string()).prop_map(|(time, number, string)| Near {
        time,
        number,
        string,
    });
    prop_oneof![
        1 => any::<usize>().prop_map(Edit::Remove),
        2 => (any::<usize>(), odd_value()).prop_map(|(i, v)| Edit::Replace(i, v)),
        4 => (any::<usize>(), near).prop_map(|(i, n)| Edit::Near(i, n)),
        1 => (any::<usize>(), prop::sample::select(vec![0usize, 2, 3, 99, 100, 101, 1000, 20_000]))
            .prop_map(|(i, n)| Edit::Grow(i, n)),
        1 => (any::<usize>(), "[a-z_]{1,12}", odd_value()).prop_map(|(i, k, v)| Edit::Add(i, k, v)),
    ]
}

/// Every place in `v` (the paths of all nested fields and elements), the root first.
fn places(v: &Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(path.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                path.push(Step::Key(k.clone()));
                places(child, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                path.push(Step::Index(i));
                places(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(v, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// `doc` with `edits` applied in turn.
pub fn apply(mut doc: Value, edits: &[Edit]) -> Value {
    for e in edits {
        let mut all = Vec::new();
        places(&doc, &mut Vec::new(), &mut all);
        let pick = |i: usize| all[i % all.len()].clone();
        match e {
            Edit::Remove(i) => {
                let path = pick(*i);
                if let Some((last, parent)) = path.split_last() {
                    match (at(&mut doc, parent), last) {
                        (Value::Object(m), Step::Key(k)) => {
                            m.remove(k);
                        }
                        (Value::Array(a), Step::Index(i)) => {
                            a.remove(*i);
                        }
                        _ => {}
                    }
                }
            }
            Edit::Replace(i, v) => *at(&mut doc, &pick(*i)) = v.clone(),
            Edit::Near(i, n) => {
                let place = at(&mut doc, &pick(*i));
                *place = n.of(place);
            }
            Edit::Grow(i, n) => {
                if let Value::Array(a) = at(&mut doc, &pick(*i))
                    && let Some(first) = a.first().cloned()
                {
                    *a = vec![first; *n];
                }
            }
            Edit::Add(i, k, v) => {
                if let Value::Object(m) = at(&mut doc, &pick(*i)) {
                    m.insert(k.clone(), v.clone());
                }
            }
        }
    }
    doc
}

/// Raw pieces of JSON text that a serializer never writes: numbers out of range, leading
/// zeros, lone surrogates, escaped NULs, duplicate keys, BOMs, comments, cut-off tokens.
const RAW_TOKENS: &[&str] = &[
    "1e999",
    "-1e999",
    "-0",
    "00",
    "01",
    "1.",
    ".5",
    "+1",
    "NaN",
    "Infinity",
    "0x10",
    "\"\\ud800\"",
    "\"\\udfff\\ud800\"",
    "\"\\u0000\"",
    "\"\\x41\"",
    "\"a",
    "\\",
    "\u{FEFF}",
    "/* c */",
    "// c\n",
    ",",
    ",,",
    ":",
    "}",
    "]",
    "{",
    "[",
    "\"title\":\"x\",",
    "null",
    "true",
    "\"\"",
    "\u{0}",
    "\r\n",
    "99999999999999999999999999999",
];

/// A byte-level change to a serialized body, at a position taken modulo its length.
#[derive(Debug, Clone)]
pub enum Splice {
    /// Insert a raw token.
    Insert(usize, &'static str),
    /// Insert arbitrary bytes.
    Bytes(usize, Raw),
    /// Remove a run of bytes.
    Delete(usize, usize),
    /// Cut the body off.
    Truncate(usize),
    /// Flip bits of one byte.
    Flip(usize, u8),
}

fn splice() -> impl Strategy<Value = Splice> {
    prop_oneof![
        3 => (any::<usize>(), prop::sample::select(RAW_TOKENS)).prop_map(|(i, t)| Splice::Insert(i, t)),
        2 => (any::<usize>(), raw(vec(any::<u8>(), 1..8))).prop_map(|(i, b)| Splice::Bytes(i, b)),
        2 => (any::<usize>(), 1usize..16).prop_map(|(i, n)| Splice::Delete(i, n)),
        1 => any::<usize>().prop_map(Splice::Truncate),
        2 => (any::<usize>(), 1u8..=255).prop_map(|(i, m)| Splice::Flip(i, m)),
    ]
}

fn apply_splices(mut bytes: Vec<u8>, splices: &[Splice]) -> Vec<u8> {
    for s in splices {
        let len = bytes.len();
        let pos = |i: usize| if len == 0 { 0 } else { i % (len + 1) };
        match s {
            Splice::Insert(i, t) => {
                let p = pos(*i);
                bytes.splice(p..p, t.bytes());
            }
            Splice::Bytes(i, b) => {
                let p = pos(*i);
                bytes.splice(p..p, b.0.iter().copied());
            }
            Splice::Delete(i, n) => {
                let p = pos(*i).min(len);
                bytes.drain(p..(p + n).min(len));
            }
            Splice::Truncate(i) => bytes.truncate(pos(*i)),
            Splice::Flip(i, m) if len > 0 => bytes[i % len] ^= m,
            Splice::Flip(..) => {}
        }
    }
    bytes
}

/// How a request body is made from a valid example of it: the example itself, the example
/// with a few fields spoiled, any JSON, arbitrary bytes, or the example's text spoiled byte by
/// byte. Kept apart from the example so a target can build its example from the ids that exist
/// when the case runs.
#[derive(Debug, Clone)]
pub enum Recipe {
    /// The example as it is.
    Valid,
    /// The example with these edits.
    Edited(Vec<Edit>),
    /// Some other JSON document.
    Any(Value),
    /// Bytes.
    Bytes(Raw),
    /// The example's text with these splices.
    Spliced(Vec<Splice>),
}

impl Recipe {
    /// The body for `example`.
    pub fn bake(&self, example: &Value) -> Vec<u8> {
        match self {
            Self::Valid => example.to_string().into_bytes(),
            Self::Edited(e) => apply(example.clone(), e).to_string().into_bytes(),
            Self::Any(v) => v.to_string().into_bytes(),
            Self::Bytes(b) => b.0.clone(),
            Self::Spliced(s) => apply_splices(example.to_string().into_bytes(), s),
        }
    }
}

/// A [`Recipe`], spoiling fields most often.
pub fn recipe() -> impl Strategy<Value = Recipe> {
    prop_oneof![
        1 => Just(Recipe::Valid),
        6 => vec(edit(), 1..4).prop_map(Recipe::Edited),
        2 => arbitrary_json().prop_map(Recipe::Any),
        1 => raw(vec(any::<u8>(), 0..300)).prop_map(Recipe::Bytes),
        3 => vec(splice(), 1..4).prop_map(Recipe::Spliced),
    ]
}

/// A `Content-Type` header value: mostly JSON, sometimes something else or odd.
pub fn json_content_type() -> impl Strategy<Value = Raw> {
    raw(prop_oneof![
        40 => Just(b"application/json".to_vec()),
        1 => Just(b"application/json; charset=utf-8".to_vec()),
        1 => Just(b"APPLICATION/JSON".to_vec()),
        1 => Just(b"application/merge-patch+json".to_vec()),
        1 => Just(b"text/plain".to_vec()),
        1 => Just(b"text/csv".to_vec()),
        1 => Just(b"multipart/form-data; boundary=x".to_vec()),
        1 => Just(b"application/x-www-form-urlencoded".to_vec()),
        1 => Just(b"application/json; charset=\xff".to_vec()),
        1 => Just(b";;;".to_vec()),
        1 => Just(Vec::new()),
    ])
}

/// One field of a CSV row.
fn csv_field() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => "[A-Za-zÆØÅæøå .-]{1,24}".prop_map(String::into_bytes),
        4 => (0u8..60).prop_map(|i| format!("p{i}@fuzz.dk").into_bytes()),
        3 => prop::sample::select(vec!["Kommune", "Stat", "Region", " Stat ", "", "kommune"])
            .prop_map(|s| s.as_bytes().to_vec()),
        1 => Just(b"\"Hansen, Anne\"".to_vec()),
        1 => Just(b"\"say \"\"hi\"\"\"".to_vec()),
        1 => Just(b"\"unterminated".to_vec()),
        1 => Just(b"\"two\nlines\"".to_vec()),
        1 => Just(b"=HYPERLINK(\"http://x\")".to_vec()),
        1 => Just(b"not-an-email".to_vec()),
        1 => Just(b"\0".to_vec()),
        1 => Just(b"\xff\xfe".to_vec()),
        1 => Just(b"a\"b".to_vec()),
        1 => odd_string().prop_map(String::into_bytes),
    ]
}

/// A CSV import: a header (known columns in any order, unknown ones, odd spelling, a BOM),
/// rows with too few or too many fields and hostile contents, mixed line endings; then
/// perhaps spoiled byte by byte.
pub fn csv_body() -> impl Strategy<Value = Raw> {
    let column = prop_oneof![
        8 => prop::sample::select(vec!["name", "email", "group", "title", "organisation"])
            .prop_map(str::to_string),
        1 => Just(" Name ".to_string()),
        1 => Just("EMAIL".to_string()),
        1 => "[a-z]{1,8}",
        1 => Just("\"group\"".to_string()),
    ];
    let header = prop_oneof![
        3 => Just(vec!["name", "email", "group", "title", "organisation"]
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()),
        3 => vec(column, 0..8),
    ];
    let eol = prop::sample::select(vec!["\n", "\r\n", "\r", "\n\n"]);
    (
        any::<bool>(),
        header,
        vec(vec(csv_field(), 0..8), 0..16),
        vec(eol, 1..4),
        prop::option::weighted(0.25, vec(splice(), 1..4)),
    )
        .prop_map(|(bom, header, rows, eols, splices)| {
            let mut out = Vec::new();
            if bom {
                out.extend_from_slice(b"\xEF\xBB\xBF");
            }
            out.extend_from_slice(header.join(",").as_bytes());
            for (i, row) in rows.iter().enumerate() {
                out.extend_from_slice(eols[i % eols.len()].as_bytes());
                out.extend_from_slice(&row.join(&b","[..]));
            }
            Raw(match splices {
                Some(s) => apply_splices(out, &s),
                None => out,
            })
        })
}

/// A `Content-Type` for a CSV import.
pub fn csv_content_type() -> impl Strategy<Value = Raw> {
    raw(prop_oneof![
        8 => Just(b"text/csv".to_vec()),
        1 => Just(b"text/csv; charset=utf-8".to_vec()),
        1 => Just(b"TEXT/CSV".to_vec()),
        1 => Just(b"text/csvx".to_vec()),
        1 => Just(b"application/json".to_vec()),
    ])
}

/// A query-string value: numbers at the edges of i64/usize, words the routes know, and
/// strings with odd characters (percent-encoded), invalid percent escapes included. `$P`,
/// `$S` and `$R` stand for a real participant token, staff token and relay id.
fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "0", "1", "-1", "20", "500", "501", "9223372036854775807", "9223372036854775808",
            "-9223372036854775808", "-9223372036854775809", "18446744073709551616", "1e3", "0x10",
            "+5", "1.5", "", "NaN", "00000000000000000000001", "json", "csv", "xlsx", "XLSX",
            "pdf", "questions", "answers", "both", "Kommune", "Stat", "1:Kommune", "1:", ":",
            "1:2:3", "a:b", "%", "%2", "%zz", "%00", "%FF%FE", "%C3%A6", "%E2%80%AE", "+", "%20",
            "a%26b%3Dc", "$P", "$S", "$R", "$R:Kommune", "$R:Stat",
        ])
        .prop_map(str::to_string),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        2 => vec(any::<u8>(), 0..24).prop_map(|b| b.iter().map(|x| format!("%{x:02X}")).collect()),
        1 => "[a-zA-Z0-9!$'()*+,;=:@/?~._-]{0,40}",
        // Letters outside ASCII arrive percent-encoded: a raw one in a request line is not
        // HTTP, and actix-http refuses it before any route runs (docs/FUZZING.md).
        1 => "[æøå€😀\u{202E}]{0,8}".prop_map(|s: String| s.bytes().map(|x| format!("%{x:02X}")).collect()),
    ]
}

/// A query string for a route that knows `keys`: known and unknown keys, repeated keys, keys
/// without values, odd separators.
pub fn query(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    let key = prop_oneof![
        6 => prop::sample::select(keys).prop_map(str::to_string),
        1 => "[a-z]{0,6}",
        1 => Just("%73ince".to_string()),
    ];
    let pair = prop_oneof![
        8 => (key.clone(), query_value()).prop_map(|(k, v)| format!("{k}={v}")),
        1 => key.prop_map(|k| k.to_string()),
        1 => Just("=".to_string()),
    ];
    (
        vec(pair, 0..5),
        prop::sample::select(vec!["&", "&", "&", ";", "&&"]),
    )
        .prop_map(|(pairs, sep)| pairs.join(sep))
}

/// A path segment: ids at the edges, words, encoded odd bytes, dot segments.
pub fn path_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => query_value(),
        1 => prop::sample::select(vec!["..", ".", "%2e%2e", "..%2f..%2fetc%2fpasswd", "%2F", "a/b", "//"])
            .prop_map(str::to_string),
        1 => "[A-Za-z0-9_-]{40,60}",
    ]
}

/// One frame a websocket client may send.
#[derive(Debug, Clone)]
pub enum Frame {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Raw),
    /// A ping with a payload.
    Ping(Raw),
}

/// Frames: `{"since": N}` spoiled in the ways a JSON body is, any text, binary, pings, and
/// frames above the 16 KiB limit.
pub fn ws_frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        6 => recipe().prop_map(|r| {
            Frame::Text(String::from_utf8_lossy(&r.bake(&json!({ "since": 0 }))).into_owned())
        }),
        2 => odd_number().prop_map(|n| Frame::Text(json!({ "since": n }).to_string())),
        2 => any::<String>().prop_map(Frame::Text),
        1 => (16_300usize..16_500).prop_map(|n| Frame::Text(format!("{{\"since\": {}}}", "1".repeat(n)))),
        1 => raw(vec(any::<u8>(), 0..64)).prop_map(Frame::Binary),
        1 => raw(vec(any::<u8>(), 0..125)).prop_map(Frame::Ping),
    ]
}

/// The settings `config/default.toml` holds, with a port-0 bind so no case takes a real port.
fn config_example() -> Value {
    json!({
        "server": {
            "bind": "127.0.0.1:0", "public_url": "http://127.0.0.1:8080",
            "body_limit_bytes": 1_048_576, "session_hours": 12,
            "link_valid_days_after_close": 30, "cookie_secure": false,
        },
        "database": {
            "path": "data/stafet.sqlite", "synchronous": "FULL",
            "busy_timeout_ms": 5000, "pool_size": 4,
        },
        "email": {
            "from": "Stafet <stafet@localhost>", "mail_dir": "data/outbox",
            "smtp": { "port": 587, "tls": "starttls", "timeout_secs": 20 },
        },
        "scheduler": { "tick_ms": 1000 },
        "rate_limit": { "login_per_minute": 10, "link_per_minute": 30 },
    })
}

/// A TOML value: strings escaped as basic strings, numbers as they are (floats that TOML
/// spells differently as `nan`/`inf`), arrays and inline tables; `null` has no TOML form.
fn toml_value(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.is_nan() => "nan".into(),
            Some(f) if n.is_f64() && f.is_infinite() => if f > 0.0 { "inf" } else { "-inf" }.into(),
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.1}"),
            _ => n.to_string(),
        },
        Value::String(s) => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                        out.push_str(&format!("\\u{:04X}", c as u32))
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter()
                .filter_map(toml_value)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .filter_map(|(k, v)| Some(format!("{} = {}", toml_key(k), toml_value(v)?)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        k.to_string()
    } else {
        toml_value(&Value::String(k.to_string())).unwrap_or_default()
    }
}

/// A TOML document of `doc`: one `[table]` per object under the root, nested ones dotted.
fn toml_document(doc: &Value) -> String {
    fn table(out: &mut String, name: &str, v: &Value) {
        let Value::Object(m) = v else {
            return;
        };
        if !name.is_empty() {
            out.push_str(&format!("[{name}]\n"));
        }
        for (k, child) in m {
            if !child.is_object()
                && let Some(v) = toml_value(child)
            {
                out.push_str(&format!("{} = {v}\n", toml_key(k)));
            }
        }
        for (k, child) in m.iter().filter(|(_, c)| c.is_object()) {
            let sub = if name.is_empty() {
                toml_key(k)
            } else {
                format!("{name}.{}", toml_key(k))
            };
            table(out, &sub, child);
        }
    }
    let mut out = String::new();
    match doc {
        Value::Object(_) => table(&mut out, "", doc),
        other => out.push_str(&format!(
            "value = {}\n",
            toml_value(other).unwrap_or_default()
        )),
    }
    out
}

/// A configuration file: the defaults with some values spoiled, left out or added, any
/// document, or the text spoiled byte by byte.
pub fn config_file() -> impl Strategy<Value = Raw> {
    raw(prop_oneof![
        1 => Just(toml_document(&config_example()).into_bytes()),
        6 => vec(edit(), 1..4)
            .prop_map(|e| toml_document(&apply(config_example(), &e)).into_bytes()),
        1 => arbitrary_json().prop_map(|v| toml_document(&v).into_bytes()),
        1 => vec(any::<u8>(), 0..200),
        2 => vec(splice(), 1..4)
            .prop_map(|s| apply_splices(toml_document(&config_example()).into_bytes(), &s)),
    ])
}

/// `STAFET__SECTION__KEY` overrides: real keys (and a few that are not) with odd values.
pub fn config_env() -> impl Strategy<Value = Vec<(String, String)>> {
    let key = prop::sample::select(vec![
        "STAFET__SERVER__PUBLIC_URL",
        "STAFET__SERVER__BODY_LIMIT_BYTES",
        "STAFET__SERVER__SESSION_HOURS",
        "STAFET__SERVER__LINK_VALID_DAYS_AFTER_CLOSE",
        "STAFET__SERVER__COOKIE_SECURE",
        "STAFET__DATABASE__SYNCHRONOUS",
        "STAFET__DATABASE__BUSY_TIMEOUT_MS",
        "STAFET__DATABASE__POOL_SIZE",
        "STAFET__EMAIL__FROM",
        "STAFET__EMAIL__SMTP__HOST",
        "STAFET__EMAIL__SMTP__PORT",
        "STAFET__EMAIL__SMTP__TLS",
        "STAFET__EMAIL__SMTP__TIMEOUT_SECS",
        "STAFET__EMAIL__SMTP__USERNAME",
        "STAFET__SCHEDULER__TICK_MS",
        "STAFET__RATE_LIMIT__LOGIN_PER_MINUTE",
        "STAFET__RATE_LIMIT__LINK_PER_MINUTE",
        "STAFET__SERVER",
        "STAFET__NOPE__KEY",
        "STAFET__SERVER__NOPE",
        "STAFET___SERVER__BIND",
        "STAFET__server__session_hours",
    ]);
    let value = prop_oneof![
        2 => odd_number().prop_map(|n| n.to_string()),
        2 => odd_string(),
        1 => prop::sample::select(vec!["", "true", "FALSE", "NORMAL", "off", "none", "tls", "-1", "1e3"])
            .prop_map(str::to_string),
    ];
    // An environment variable cannot hold a NUL byte, and one the size of the body limit
    // would only test the kernel's limit on the environment.
    let value = value.prop_map(|v: String| v.replace('\0', "").chars().take(10_000).collect());
    vec((key.prop_map(str::to_string), value), 0..3)
}
