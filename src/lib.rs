//! Stafet: a relay-style digital Q&A platform. The binary in `main.rs` only parses the command
//! line and calls into this library, so tests build exactly the same application.

pub mod analysis;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod email;
pub mod error;
pub mod export;
pub mod http;
pub mod jobs;
pub mod ops;
pub mod relay;
pub mod report;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod ws;
