//! Random secrets for links, sessions and API tokens, stored only as hashes.
//!
//! The secrets carry 256 random bits, so a fast SHA-256 is the right hash: it cannot be brute
//! forced (argon2 is for the low-entropy staff passwords, see `password.rs`).
//!
//! A token handed out is the credential's row id followed by its secret (a "split token"). The
//! id finds the row by primary key and the secret is checked against the row's hash. Finding
//! rows by the hash itself needed an index keyed by random values, and every new credential
//! then landed on a random index page: a quarter of all pages a busy relay wrote at commit.
//! The id is no secret. It tells roughly how many credentials the server has issued, and
//! nothing about whom: an asker gets no credential when asking.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// A new URL-safe secret with 256 random bits.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a secret.
pub fn hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// Length of a secret from [`generate`].
pub const SECRET_LEN: usize = 43;

/// Length of the id part of a token: a big-endian `u64` in URL-safe base64.
pub const ID_LEN: usize = 11;

/// Length of a token: id and secret.
pub const TOKEN_LEN: usize = ID_LEN + SECRET_LEN;

/// The token for credential `id` whose secret is `secret`.
pub fn compose(id: i64, secret: &str) -> String {
    let mut token = URL_SAFE_NO_PAD.encode(id.to_be_bytes());
    token.push_str(secret);
    token
}

/// The credential id and secret a token presents, or `None` when it cannot be one of ours
/// (a cheap check before touching the database).
pub fn split(token: &str) -> Option<(i64, &str)> {
    let url_safe = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if token.len() != TOKEN_LEN || !token.bytes().all(url_safe) {
        return None;
    }
    let (id, secret) = token.split_at(ID_LEN);
    let bytes: [u8; 8] = URL_SAFE_NO_PAD.decode(id).ok()?.try_into().ok()?;
    let id = i64::from_be_bytes(bytes);
    (id > 0).then_some((id, secret))
}

/// Whether `token` looks like a token we issued.
pub fn well_formed(token: &str) -> bool {
    split(token).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_hash_stably() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert_eq!(a.len(), SECRET_LEN);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), a);
    }

    #[test]
    fn a_token_splits_back_into_its_id_and_secret() {
        let secret = generate();
        for id in [1, 2, 255, 1 << 40, i64::MAX] {
            let token = compose(id, &secret);
            assert_eq!(token.len(), TOKEN_LEN);
            assert_eq!(split(&token), Some((id, secret.as_str())), "{token}");
            assert!(well_formed(&token));
        }
    }

    #[test]
    fn malformed_tokens_are_refused_before_any_lookup() {
        let token = compose(7, &generate());
        let bad = [
            String::new(),
            "short".into(),
            generate(),
            format!("{}!", &token[..TOKEN_LEN - 1]),
            format!("{token}x"),
            " ".repeat(TOKEN_LEN),
            compose(0, &generate()),
            compose(-5, &generate()),
            // The id's last character carries two unused bits; only zeros decode.
            format!("{}B{}", &token[..ID_LEN - 1], &token[ID_LEN..]),
        ];
        for t in &bad {
            assert_eq!(split(t), None, "{t:?}");
        }
    }
}
