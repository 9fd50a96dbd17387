//! Relays: a whole relay's life over HTTP (`flow`), the scheduler that opens, reminds and
//! closes them (`scheduler`), and what a relay refuses and keeps (`bad_input`).

mod bad_input;
mod flow;
mod scheduler;
