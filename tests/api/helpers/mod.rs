//! What the suite's tests share: the server harness and its HTTP client (`app`, re-exported
//! here), the websocket client (`live`), the binary as a child process (`binary`), fresh
//! PostgreSQL databases (`pg`), moves held to run as one group (`groups`), an SMTP server
//! (`smtp`), large corpora (`corpus`), tables of refused requests (`refusals`), the bad-input
//! tests' relays and database fingerprint (`fixtures`), and signing in by cookie, link and CLI
//! (`sessions`).

mod app;
pub mod binary;
pub mod corpus;
pub mod fixtures;
pub mod groups;
pub mod live;
pub mod pg;
pub mod refusals;
pub mod sessions;
pub mod smtp;

pub use app::*;

/// A test server on a PostgreSQL database of its own: the database (dropped when it goes) and
/// the app.
pub fn app_on_fresh_pg() -> (pg::FreshPg, TestApp) {
    let pg = pg::FreshPg::create();
    let url = pg.url();
    let app = spawn_app_with(move |s| s.database.url = url);
    (pg, app)
}
