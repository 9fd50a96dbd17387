//! What any request gets when it is not well formed, whichever route it goes to (`bad_input`).

mod bad_input;
