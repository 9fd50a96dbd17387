//! The relay's rules as pure functions: lifecycle, batons, recipient pairing and deadlines.
//!
//! Nothing here does I/O or knows about HTTP or the database; callers load a snapshot, ask these
//! functions what is allowed or due, and store the outcome. That keeps every rule unit-testable and
//! lets the scheduler replay a four-day relay in milliseconds.

#[cfg(test)]
mod arb;
pub mod batons;
pub mod deadlines;
pub mod lifecycle;
pub mod pairing;
pub mod retention;
pub mod rounds;
pub mod text;
pub mod types;

pub use types::*;
