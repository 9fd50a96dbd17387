//! Participants: imports and actions refused (`bad_input`), and participants kept apart from
//! each other and from other relays (`isolation`).

mod bad_input;
mod isolation;
