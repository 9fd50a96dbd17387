//! Signing in and the credentials that follow: staff sign-in, sessions, CSRF and rate limits
//! (`sessions`), roles on every route (`roles`), magic links (`links`), bad credentials on the
//! API (`bad_input`), sessions, API tokens, links and their ends (`credentials`), two-factor
//! sign-in (`totp`), cookies behind HTTPS (`https`).

mod bad_input;
mod credentials;
mod https;
mod links;
mod moves;
mod roles;
mod sessions;
mod totp;
