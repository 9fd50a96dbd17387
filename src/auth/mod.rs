//! Who is asking: secrets and their hashes, passwords, the request extractors, CSRF and rate
//! limits.

pub mod access;
pub mod cookies;
pub mod csrf;
pub mod extractors;
pub mod password;
pub mod rate_limit;
pub mod tokens;

pub use cookies::SessionKind;
pub use extractors::{Facilitator, ParticipantAuth, Principal, Staff};
