//! What the suite's tests share: the server harness and its HTTP client (`app`, re-exported
//! here), the websocket client (`live`), the binary as a child process (`binary`), fresh
//! PostgreSQL databases (`pg`), an SMTP server (`smtp`), large corpora (`corpus`), tables of
//! refused requests (`refusals`), the bad-input tests' relays and database fingerprint
//! (`fixtures`), and signing in by cookie, link and CLI (`sessions`).

mod app;
pub mod binary;
pub mod corpus;
pub mod fixtures;
pub mod live;
pub mod pg;
pub mod refusals;
pub mod sessions;
pub mod smtp;

pub use app::*;
