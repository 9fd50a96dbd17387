//! Questions and answers: what is refused, and the baton and status it leaves as they were
//! (`bad_input`).

mod bad_input;
