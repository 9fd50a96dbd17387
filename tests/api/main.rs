//! The integration suite: black-box tests against the real server on a random port, one test
//! binary (one link step) with a module per resource or concern. `helpers` holds what they
//! share; `system` the tests that run the `stafet` binary as a child process (crashes, a full
//! disk, the CLI, backups, several instances); `fuzz` the parsers' fuzz targets.
//!
//! A new test file is a module: `tests/api/NAME.rs` with `mod NAME;` here (or under
//! `system/` with `mod NAME;` in `system/mod.rs`). Only a test that measures its own process
//! (`tests/idle.rs`, its CPU time) is a binary of its own. The PostgreSQL pass of
//! `scripts/test.sh` leaves out the modules and tests that `tests/sqlite_only.txt` lists.

mod helpers;

mod analysis;
mod analysis_depth;
mod anonymity;
mod bad_input;
mod credentials;
mod doc_citations;
mod email_smtp;
mod export;
mod fuzz;
mod https;
mod live_across;
mod orgs;
mod pages;
mod postgres;
mod privacy;
mod relay_flow;
mod revocation;
mod scheduler;
mod security;
mod slow_clients;
mod system;
mod totp;
mod ws;
