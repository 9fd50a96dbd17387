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
    pub status: u16,
    pub code: &'static str,
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
        status,
        code,
    }
}

/// Sends a row's request.
pub fn send(app: &TestApp, row: &Refused) -> Res {
    let who = row.who.as_deref();
    match (&row.body, row.method) {
        (Body::Empty, "GET") => app.get(&row.path, who),
        (Body::Empty, "DELETE") => app.delete(&row.path, who),
        (Body::Empty, method) => app.send_raw(method, &row.path, who, "", b"", &[]),
        (Body::Json(body), method) => app.send(method, &row.path, who, body),
        (Body::Raw(content_type, bytes), method) => {
            app.send_raw(method, &row.path, who, content_type, bytes, &[])
        }
    }
}

/// Sends every row and asserts the JSON error it gets.
#[track_caller]
pub fn assert_refused(app: &TestApp, rows: &[Refused]) {
    for row in rows {
        let what = format!("{} {} as {:?}", row.method, row.path, row.who);
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
