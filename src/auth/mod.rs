//! Who is asking: secrets and their hashes, passwords, the request extractors, CSRF and rate
//! limits.

pub mod access;
pub mod client_addr;
pub mod cookies;
pub mod csrf;
pub mod extractors;
pub mod moves;
pub mod password;
pub mod rate_limit;
pub mod scope;
pub mod scoped;
pub mod tokens;
pub mod totp;

pub use cookies::SessionKind;
pub use extractors::{ParticipantAuth, Principal, Staff};
pub use moves::ParticipantMove;
pub use scope::{Need, Target};
pub use scoped::{OrgAdmin, ReadQuestion, ReadRelay, ReadTheme, RunQuestion, RunRelay, Scoped};
