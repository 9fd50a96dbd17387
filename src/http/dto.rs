//! The JSON shapes of relays, rounds, participants and events, for the routes: the views and
//! their constructors live in [`crate::ops::views`].

pub use crate::ops::views::{current_round, event, participant, relay, round};
