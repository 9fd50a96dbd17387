//! The integration suite: black-box tests against the real server on a random port, one test
//! binary (one link step) with a folder per resource (`relays`, `auth`, `orgs`, `ws`, …) and
//! modules by concern inside it. What holds across every resource has its own module:
//! `anonymity`, `privacy`, `security` (headers, logs), `system` (tests that run the `stafet`
//! binary as a child process: crashes, a full disk, the CLI, backups, several instances),
//! `postgres` (what only PostgreSQL has), `fuzz` (the parsers' fuzz targets). `helpers` holds
//! what they share.
//!
//! A new test file is a module in its resource's folder: `tests/api/RESOURCE/NAME.rs` with
//! `mod NAME;` in `RESOURCE/mod.rs`. Only a test that measures its own process
//! (`tests/idle.rs`, its CPU time) is a binary of its own. The PostgreSQL pass of
//! `scripts/test.sh` leaves out the modules and tests that `tests/sqlite_only.txt` lists.

mod helpers;

mod analysis;
mod anonymity;
mod auth;
mod doc_citations;
mod email;
mod exports;
mod fuzz;
mod orgs;
mod pages;
mod participants;
mod postgres;
mod privacy;
mod questions;
mod relays;
mod requests;
mod security;
mod system;
mod ws;
