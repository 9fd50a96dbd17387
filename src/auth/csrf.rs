//! CSRF defence for cookie-authenticated writes, and for the writes that start a session.
//!
//! Cookies are `SameSite=Strict` already; on top of that every unsafe request that authenticates
//! by cookie must send `X-CSRF-Token` with a value derived from its session secret. A page on
//! another origin can make the browser send the cookie but can neither read it nor compute the
//! value. Bearer-token requests carry no ambient authority and need no token.
//!
//! Logging in and redeeming a magic link have no session yet, so no token: there a page on
//! another site could sign the browser into an account of the attacker's choosing (login CSRF).
//! Browsers say where a request comes from (`Sec-Fetch-Site`, and `Origin` on every POST), and
//! [`refuse_cross_site`] turns away what another site sent. Cookie-authenticated writes pass
//! the same check before their token is compared.

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::http::header::ORIGIN;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::AppError;
use crate::state::AppState;

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

/// Whether a request was sent by a page of another site, from what the browser said about it.
/// `Sec-Fetch-Site` decides when sent (every current browser sends it, and a page cannot set
/// it): only `same-origin`, or `none` for what the user did themselves, pass. Older browsers are
/// judged by `Origin`: `null` or a host other than `own_hosts` fails. A request with neither
/// header is not a browser's cross-site request (browsers send `Origin` on every POST), and other
/// clients have no ambient cookies to abuse. This is the rule of Go's `CrossOriginProtection`.
pub fn is_cross_site(origin: Option<&str>, fetch_site: Option<&str>, own_hosts: &[&str]) -> bool {
    if let Some(site) = fetch_site {
        return !matches!(site.trim(), "same-origin" | "none");
    }
    origin.is_some_and(|o| {
        authority(o.trim())
            .is_none_or(|host| !own_hosts.iter().any(|h| h.eq_ignore_ascii_case(host)))
    })
}

/// The `host[:port]` of an absolute URL such as an `Origin` header (`None` for `null`).
fn authority(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let host = rest.split('/').next().unwrap_or(rest);
    (!host.is_empty()).then_some(host)
}

/// Refuses, with 403 `cross_site`, a request that a page of another site made the browser send.
/// Our own hosts are the one the request was sent to and that of the configured public URL
/// (behind a proxy that does not pass the original `Host` on).
pub fn refuse_cross_site(req: &HttpRequest) -> Result<(), AppError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let conn = req.connection_info();
    let public_url = req
        .app_data::<actix_web::web::Data<AppState>>()
        .map(|s| s.settings.server.public_url.clone())
        .unwrap_or_default();
    let own = [Some(conn.host()), authority(&public_url)];
    let own: Vec<&str> = own.into_iter().flatten().collect();
    if is_cross_site(header(ORIGIN.as_str()), header("sec-fetch-site"), &own) {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "cross_site",
            "this request came from another site; open Stafet itself and try again",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &[&str] = &["stafet.example.dk", "127.0.0.1:8080"];

    #[test]
    fn same_origin_requests_and_clients_without_browser_headers_pass() {
        assert!(!is_cross_site(None, None, OWN));
        assert!(!is_cross_site(Some("https://stafet.example.dk"), None, OWN));
        assert!(!is_cross_site(
            Some("https://Stafet.Example.dk/"),
            None,
            OWN
        ));
        assert!(!is_cross_site(
            Some("http://127.0.0.1:8080"),
            Some("same-origin"),
            OWN
        ));
        assert!(!is_cross_site(None, Some("same-origin"), OWN));
        // Typed into the address bar or opened from a bookmark.
        assert!(!is_cross_site(None, Some("none"), OWN));
    }

    #[test]
    fn another_site_a_sibling_site_and_an_opaque_origin_are_refused() {
        assert!(is_cross_site(Some("https://evil.example"), None, OWN));
        assert!(is_cross_site(None, Some("cross-site"), OWN));
        assert!(is_cross_site(None, Some("same-site"), OWN));
        // A sandboxed frame or a redirect from elsewhere.
        assert!(is_cross_site(Some("null"), None, OWN));
        assert!(is_cross_site(Some(""), None, OWN));
        // The right port matters, and a look-alike host is another host.
        assert!(is_cross_site(Some("http://127.0.0.1:9090"), None, OWN));
        assert!(is_cross_site(
            Some("https://stafet.example.dk.evil.example"),
            None,
            OWN
        ));
        // Where the browser says where the request comes from, that decides: a form posted
        // from a page under `Referrer-Policy: no-referrer` carries `Origin: null`.
        assert!(!is_cross_site(Some("null"), Some("same-origin"), OWN));
        assert!(is_cross_site(
            Some("https://stafet.example.dk"),
            Some("cross-site"),
            OWN
        ));
    }

    #[test]
    fn a_token_matches_only_its_own_session() {
        let t = token_for("secret-a");
        assert!(matches("secret-a", &t));
        assert!(!matches("secret-b", &t));
        assert!(!matches("secret-a", ""));
    }
}
