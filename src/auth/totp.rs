//! TOTP codes (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step of skew either way)
//! and recovery codes, through `totp-rs`. Pure functions: the caller gives the time.

use rand::RngCore as _;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// The issuer authenticator apps show next to the account.
pub const ISSUER: &str = "Stafet";

/// How many recovery codes a person gets when TOTP is turned on.
pub const RECOVERY_CODES: usize = 10;

/// A new random secret (160 bits, as RFC 4226 recommends), base32 as apps take it.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Secret::from(bytes).to_base32()
}

fn totp(secret: &str, account: &str) -> Option<Totp> {
    let bytes = Secret::try_from_base32(secret).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .with_secret(bytes)
        .with_issuer(Some(ISSUER))
        // An account name holds no colon (the URI's label separator).
        .with_account_name(account.replace(':', ""))
        .build()
        .ok()
}

/// The `otpauth://` URI an authenticator app reads (issuer Stafet, account the email).
pub fn otpauth_uri(secret: &str, account: &str) -> Option<String> {
    totp(secret, account)?.to_url().ok()
}

/// The six digits of a TOTP code as typed (apps show "123 456"), or `None` for anything else.
fn digits(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The step of `code` if it is a current code for `secret` at `unix_secs` (±1 step).
pub fn check(secret: &str, code: &str, unix_secs: i64) -> Option<i64> {
    let code = digits(code)?;
    let time = u64::try_from(unix_secs).ok()?;
    let step = totp(secret, "")?.check(&code, time)?;
    i64::try_from(step).ok()
}

/// Whether `code` has the shape of a TOTP code (six digits) rather than a recovery code.
pub fn looks_like_totp(code: &str) -> bool {
    digits(code).is_some()
}

/// New recovery codes as shown: 16 base32 characters (80 bits) in groups of four.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let plain = Secret::from(bytes).to_base32().to_lowercase();
            let groups: Vec<&str> = (0..4).map(|i| &plain[i * 4..i * 4 + 4]).collect();
            groups.join("-")
        })
        .collect()
}

/// The stored form of a recovery code: as typed, without case, spaces or dashes, hashed.
pub fn recovery_hash(code: &str) -> String {
    let plain: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    super::tokens::hash(&plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA1: the secret "12345678901234567890", 8-digit codes cut to 6.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_the_rfc_vectors_within_one_step() {
        assert_eq!(check(RFC_SECRET, "287082", 59), Some(1));
        assert_eq!(check(RFC_SECRET, " 287 082 ", 59), Some(1));
        assert_eq!(check(RFC_SECRET, "081804", 1_111_111_109), Some(37_037_036));
        assert_eq!(
            check(RFC_SECRET, "081804", 1_111_111_109 + 30),
            Some(37_037_036)
        );
        assert_eq!(check(RFC_SECRET, "081804", 1_111_111_109 + 60), None);
        assert_eq!(check(RFC_SECRET, "081805", 1_111_111_109), None);
        for bad in ["", "28708", "2870822", "28708a", "-87082"] {
            assert_eq!(check(RFC_SECRET, bad, 59), None, "{bad:?}");
        }
        assert_eq!(check("not base32!", "287082", 59), None);
    }

    #[test]
    fn the_uri_names_the_issuer_and_the_account() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        let uri = otpauth_uri(&secret, "ana@example.dk").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Stafet:ana%40example.dk?"),
            "{uri}"
        );
        assert!(uri.contains(&format!("secret={secret}")), "{uri}");
        assert!(uri.contains("issuer=Stafet"), "{uri}");
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_as_typed_in_any_case() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(code.len(), 19);
        assert_eq!(
            recovery_hash(code),
            recovery_hash(&code.to_uppercase().replace('-', " "))
        );
        assert_ne!(recovery_hash(code), recovery_hash(&codes[1]));
        assert!(!looks_like_totp(code));
        assert!(looks_like_totp(" 123456 ") && looks_like_totp("123 456"));
    }
}
