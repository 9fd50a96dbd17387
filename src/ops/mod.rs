//! The platform's operations: each is one transaction that reads the relay, asks the pure rules
//! in `relay::` what is allowed, and stores the outcome together with its events and emails.
//! They are synchronous functions on a connection, called from [`crate::db::Db::write`] by the
//! HTTP handlers, the scheduler, the CLI and the demo alike. Analyst work ([`analysis`],
//! [`themes`]) also has async runs on a [`crate::db::Db`]: they read on a bulk connection,
//! compute in a bulk slot and store through the writer, and answer with typed views.

pub mod account;
pub mod analysis;
pub mod audit;
pub mod copy;
pub mod corpus;
pub mod erasure;
pub mod import;
pub mod invitations;
pub mod me;
pub mod notify;
pub mod orgs;
pub mod participants;
pub mod pending;
pub mod questions;
pub mod recover;
pub mod relays;
pub mod scheduler;
pub mod sign_in;
pub mod staff;
pub mod stats;
pub mod themes;
pub mod totp;
pub mod views;
