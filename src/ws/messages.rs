//! What a client may send over the websocket.

use serde::Deserialize;

/// A client message: `{"since": ID}` asks for every event after ID.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientMsg {
    /// Last event id the client saw.
    pub since: i64,
}

/// The JSON of an error frame.
pub fn error_frame(code: &str, message: &str) -> String {
    serde_json::json!({ "type": "error", "data": { "code": code, "message": message } }).to_string()
}
