//! Tables of requests that must be refused: each row is a request (method, path, credential,
//! body) and the JSON error `{"error": {"code", "message"}}` it must get; one loop sends them
//! all and names the row that failed.

use serde_json::Value;

use super::{Res, TestApp};

/// A request's body.
#[derive(Debug, Clone)]
pub enum Body {
    /// None at all (GET, DELETE).
    Empty,
    /// JSON.
    Json(Value),
    /// Raw bytes with their content type.
    Raw(&'static str, Vec<u8>),
}

/// One row of a table: a request and the error it must get.
#[derive(Debug, Clone)]
pub struct Refused {
    pub method: &'static str,
    pub path: String,
    /// The bearer token sent, if any.
    pub who: Option<String>,
    pub body: Body,
    /// Headers sent besides the credential and the content type (an `Origin`, say).
    pub headers: Vec<(&'static str, String)>,
    pub status: u16,
    pub code: &'static str,
}

impl Refused {
    /// The same row with one more header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The row as its failure message names it: the request and a short view of its body.
    fn name(&self) -> String {
        let body = match &self.body {
            Body::Empty => String::new(),
            Body::Json(v) => format!(" with {}", short(&v.to_string())),
            Body::Raw(ct, bytes) => {
                format!(" with {ct} {}", short(&String::from_utf8_lossy(bytes)))
            }
        };
        let headers: String = self
            .headers
            .iter()
            .map(|(n, v)| format!(" [{n}: {v}]"))
            .collect();
        format!(
            "{} {} as {:?}{body}{headers}",
            self.method, self.path, self.who
        )
    }
}

/// At most 80 characters of `text`, so a row of a large body still reads in a panic message.
fn short(text: &str) -> String {
    if text.chars().count() <= 80 {
        text.to_string()
    } else {
        format!(
            "{}… ({} characters)",
            text.chars().take(80).collect::<String>(),
            text.chars().count()
        )
    }
}

/// The row "`method path` sent as `who` with `body` gets `status` and `code`".
pub fn refused(
    method: &'static str,
    path: impl Into<String>,
    who: Option<&str>,
    body: Body,
    status: u16,
    code: &'static str,
) -> Refused {
    Refused {
        method,
        path: path.into(),
        who: who.map(str::to_string),
        body,
        headers: Vec::new(),
        status,
        code,
    }
}

/// Sends a row's request.
pub fn send(app: &TestApp, row: &Refused) -> Res {
    let who = row.who.as_deref();
    let headers: Vec<(&str, &str)> = row.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    match (&row.body, row.method) {
        (Body::Empty, "GET") if headers.is_empty() => app.get(&row.path, who),
        (Body::Empty, "GET") => {
            let bearer = who.map(|t| format!("Bearer {t}"));
            let mut headers = headers.clone();
            headers.extend(bearer.as_deref().map(|b| ("Authorization", b)));
            app.get_with(&row.path, &headers)
        }
        (Body::Empty, "DELETE") if headers.is_empty() => app.delete(&row.path, who),
        (Body::Empty, method) => app.send_raw(method, &row.path, who, "", b"", &headers),
        (Body::Json(body), method) => app.send_raw(
            method,
            &row.path,
            who,
            "application/json",
            body.to_string().as_bytes(),
            &headers,
        ),
        (Body::Raw(content_type, bytes), method) => {
            app.send_raw(method, &row.path, who, content_type, bytes, &headers)
        }
    }
}

/// Sends every row and asserts the JSON error it gets.
#[track_caller]
pub fn assert_refused(app: &TestApp, rows: &[Refused]) {
    for (i, row) in rows.iter().enumerate() {
        let what = format!("row {i}: {}", row.name());
        assert_json_error(&what, &send(app, row), row.status, row.code);
    }
}

/// Asserts a JSON error `{"error": {"code", "message"}}` with this status and code; `what`
/// names the case in the failure message.
#[track_caller]
pub fn assert_json_error(what: &str, res: &Res, status: u16, code: &str) {
    assert_eq!(res.status, status, "{what}: status of {}", res.text);
    let ct = res.header("content-type").unwrap_or("");
    assert!(
        ct.starts_with("application/json"),
        "{what}: error is not JSON (content-type {ct:?}): {}",
        res.text
    );
    assert_eq!(res.code(), code, "{what}: error code of {}", res.text);
    let message = res.body["error"]["message"].as_str().unwrap_or("");
    assert!(
        !message.trim().is_empty(),
        "{what}: no message in {}",
        res.text
    );
}
