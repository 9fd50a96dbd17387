//! CSRF defence for cookie-authenticated writes.
//!
//! Cookies are `SameSite=Strict` already; on top of that every unsafe request that authenticates
//! by cookie must send `X-CSRF-Token` with a value derived from its session secret. A page on
//! another origin can make the browser send the cookie but can neither read it nor compute the
//! value. Bearer-token requests carry no ambient authority and need no token.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// The request header that carries the token.
pub const HEADER: &str = "x-csrf-token";

/// The CSRF token that goes with a session secret.
pub fn token_for(session_secret: &str) -> String {
    let digest = Sha256::digest(format!("stafet-csrf:{session_secret}").as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// Compares in constant time, so the comparison leaks nothing through timing.
pub fn matches(session_secret: &str, presented: &str) -> bool {
    token_for(session_secret)
        .as_bytes()
        .ct_eq(presented.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_only_its_own_session() {
        let t = token_for("secret-a");
        assert!(matches("secret-a", &t));
        assert!(!matches("secret-b", &t));
        assert!(!matches("secret-a", ""));
    }
}
