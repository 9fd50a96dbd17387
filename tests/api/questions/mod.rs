//! Questions and answers: what is refused, and the baton and status it leaves as they were
//! (`bad_input`); the round a question belongs to (`rounds`).

mod bad_input;
mod rounds;
