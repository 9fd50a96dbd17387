//! A websocket client for the tests: connects to `/ws` on the real port and reads events and
//! the close frame.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// An open socket.
pub struct Live {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    /// How and when the server closed the socket, once it has.
    pub closed: Option<Closed>,
}

/// The server's close frame.
#[derive(Debug, Clone)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
    pub at: Instant,
}

/// Opens `/ws?{query}` on `base` (`http://host:port`) with extra request headers.
pub fn connect_with(base: &str, query: &str, headers: &[(&str, &str)]) -> Live {
    let url = format!("{}/ws?{query}", base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    for (k, v) in headers {
        req.headers_mut().insert(
            tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    let (ws, resp) = tungstenite::connect(req).expect("websocket handshake");
    assert_eq!(resp.status(), 101);
    if let MaybeTlsStream::Plain(s) = ws.get_ref() {
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    }
    Live { ws, closed: None }
}

/// The status of a websocket handshake for `path` (`/ws?…`) on `base` with `token` as a bearer
/// token (101: connected, and closed again).
pub fn handshake_status(base: &str, path: &str, token: Option<&str>) -> u16 {
    let url = format!("{}{path}", base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    if let Some(t) = token {
        req.headers_mut()
            .insert("Authorization", format!("Bearer {t}").parse().unwrap());
    }
    match tungstenite::connect(req) {
        Ok((mut ws, _)) => {
            let _ = ws.close(None);
            101
        }
        Err(tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("websocket handshake: {e}"),
    }
}

/// Opens `/ws?{query}` on `base`.
pub fn connect(base: &str, query: &str) -> Live {
    connect_with(base, query, &[])
}

impl Live {
    /// Sends `{"since": id}`.
    pub fn send_since(&mut self, id: i64) {
        self.ws
            .send(Message::text(json!({ "since": id }).to_string()))
            .unwrap();
    }

    /// Reads events until `done` says so, the server closes the socket, or `within` passes.
    pub fn read_until(
        &mut self,
        within: Duration,
        mut done: impl FnMut(&Value) -> bool,
    ) -> Vec<Value> {
        let deadline = Instant::now() + within;
        let mut got = Vec::new();
        while self.closed.is_none() && Instant::now() < deadline {
            match self.ws.read() {
                Ok(Message::Text(t)) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    let stop = done(&v);
                    got.push(v);
                    if stop {
                        break;
                    }
                }
                Ok(Message::Close(frame)) => {
                    self.closed = Some(Closed {
                        code: frame.as_ref().map_or(1005, |f| u16::from(f.code)),
                        reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                        at: Instant::now(),
                    });
                }
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    self.closed.get_or_insert(Closed {
                        code: 1006,
                        reason: String::new(),
                        at: Instant::now(),
                    });
                }
                Err(e) => panic!("websocket error: {e}"),
            }
        }
        got
    }

    /// Reads for `within` (or until the server closes the socket).
    pub fn read_for(&mut self, within: Duration) -> Vec<Value> {
        self.read_until(within, |_| false)
    }

    /// Closes from our side.
    pub fn close(mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
    }
}

/// The close code a policy violation (an ended credential) gets.
pub const POLICY: u16 = 1008;

/// The ids of `events`.
pub fn ids(events: &[Value]) -> Vec<i64> {
    events.iter().map(|e| e["id"].as_i64().unwrap()).collect()
}
