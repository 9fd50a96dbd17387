//! Request extractors that authenticate: a handler that names `Staff` in its signature runs
//! only for staff. Which relays they may touch is decided per request by `auth::scope`.
//!
//! Credentials come from `Authorization: Bearer <secret>` or the session cookie of the kind the
//! route is for: staff routes read only the staff cookie, participant routes only the
//! participant cookie. Cookie-authenticated unsafe requests must also pass the CSRF checks.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{Method, StatusCode};
use actix_web::{FromRequest, HttpRequest, web};

use super::access::{self, Denied, Holder, Lifetimes, Standing};
use super::cookies::SessionKind;
use super::csrf;
use super::tokens;
use crate::db::credentials::{Credential, CredentialKind};
use crate::db::participants::ParticipantRow;
use crate::db::relays::RelayRow;
use crate::db::staff::StaffUserRow;
use crate::error::AppError;
use crate::state::AppState;

/// An authenticated caller.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "built once per request and moved, never stored in bulk"
)]
pub enum Principal {
    /// A staff user.
    Staff {
        /// The account.
        user: StaffUserRow,
        /// The secret presented (for logout and CSRF).
        secret: String,
        /// An organisation of theirs requires TOTP and they have not turned it on: only the
        /// routes that let them enrol answer ([`totp_gate`]).
        must_enrol: bool,
    },
    /// A participant.
    Participant {
        /// The participant.
        participant: ParticipantRow,
        /// Their relay.
        relay: RelayRow,
        /// The secret presented.
        secret: String,
    },
}

/// The client address used for rate limits and logs: the peer, or behind a trusted proxy the
/// address it forwards (`[server] trusted_proxies`, see `auth::client_addr`).
pub fn client_ip(req: &HttpRequest) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return peer;
    };
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    state
        .settings
        .server
        .trusted_proxies
        .client(peer, &forwarded)
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("app state missing")))
}

/// The secret a request presents, and whether it came in the cookie of `kind`.
fn presented_secret(req: &HttpRequest, kind: SessionKind) -> Option<(String, bool)> {
    if let Some(h) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let v = h.to_str().ok()?;
        let token = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))?;
        return Some((token.trim().to_string(), false));
    }
    kind.secret_in(req).map(|secret| (secret, true))
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Resolves `secret` to a principal, applying expiry, idleness, suspension and link validity
/// (the rule in [`access::check`], which open websockets re-check too). A staff credential's
/// use is written down, at most once a minute ([`access::needs_touch`]): it keeps a session
/// from idling out and shows the owner when a token was last used.
pub async fn resolve(state: &AppState, secret: String) -> Result<Principal, AppError> {
    let now = state.clock.now();
    let lifetimes = Lifetimes::of(&state.settings);
    let (principal, touch) = state
        .db
        .read_now(move |conn| {
            let Some((cred, person)) = Credential::present(conn, &secret)? else {
                return Err(Denied::Revoked.error());
            };
            let (principal, holder) = match cred.kind {
                CredentialKind::StaffSession | CredentialKind::ApiToken => {
                    let user = StaffUserRow::find(conn, cred.staff_user_id.unwrap_or_default())?;
                    let holder = Holder::Staff {
                        suspended: user.is_suspended,
                    };
                    let must_enrol = crate::ops::totp::must_enrol(conn, user.id)?;
                    let principal = Principal::Staff {
                        user,
                        secret,
                        must_enrol,
                    };
                    (principal, holder)
                }
                CredentialKind::ParticipantLink | CredentialKind::ParticipantSession => {
                    let (participant, relay) = person.ok_or(diesel::result::Error::NotFound)?;
                    let holder = Holder::Participant {
                        suspended: participant.is_suspended,
                        relay_state: relay.state,
                        closed_at: relay.closed_at,
                    };
                    let principal = Principal::Participant {
                        participant,
                        relay,
                        secret,
                    };
                    (principal, holder)
                }
            };
            let standing = Standing {
                expires_at: cred.expires_at,
                idle_since: cred.idle_since(),
                superseded_at: cred.superseded_at,
                holder,
            };
            access::check(&standing, now, lifetimes).map_err(Denied::error)?;
            let touch = (cred.staff_user_id.is_some()
                && access::needs_touch(cred.last_used_at, now))
            .then_some(cred.id);
            Ok((principal, touch))
        })
        .await?;
    // What a participant credential names never changes: a move that presents it again can
    // be routed without this read (`auth::moves`).
    if let Principal::Participant {
        participant,
        relay,
        secret,
    } = &principal
        && state.db.is_postgres()
    {
        state.known.remember(secret, participant.id, relay.id);
    }
    if let Some(id) = touch {
        let at = crate::db::to_db(now);
        // A use that cannot be written down (a full disk) does not refuse the request; the
        // session then idles out from its last recorded use.
        if let Err(e) = state
            .db
            .write(move |conn| Ok(Credential::touch(conn, id, at)?))
            .await
        {
            tracing::warn!(error = %e, "could not record a credential's use");
        }
    }
    Ok(principal)
}

/// The secret a request for `kind`'s routes presents, once it passes the checks that need no
/// database: present, well formed (a malformed one costs the link budget) and, when it came in
/// a cookie on an unsafe request, with the CSRF token that belongs to it.
pub(super) fn checked_secret(
    req: &HttpRequest,
    kind: SessionKind,
) -> Result<(web::Data<AppState>, String), AppError> {
    let state = state(req)?;
    let Some((secret, via_cookie)) = presented_secret(req, kind) else {
        return Err(AppError::unauthorized("log in or use your personal link"));
    };
    if !tokens::well_formed(&secret) {
        state.limits.link(client_ip(req))?;
        return Err(AppError::unauthorized("unknown or revoked credentials"));
    }
    if via_cookie && is_unsafe(req.method()) {
        csrf::refuse_cross_site(req)?;
        let presented = req
            .headers()
            .get(csrf::HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !csrf::matches(&secret, presented) {
            return Err(AppError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "missing or wrong X-CSRF-Token header",
            ));
        }
    }
    Ok((state, secret))
}

async fn authenticate(req: HttpRequest, kind: SessionKind) -> Result<Principal, AppError> {
    let (state, secret) = checked_secret(&req, kind)?;
    match resolve(&state, secret).await {
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => {
            // Guessing secrets costs the guesser the same budget as redeeming links.
            state.limits.link(client_ip(&req))?;
            Err(e)
        }
        other => other,
    }
}

/// The staff routes that answer someone who must still enrol in TOTP: who they are, enrolling,
/// signing out and changing their password.
const ENROL_ROUTES: [&str; 4] = [
    "/api/auth/me",
    "/api/auth/totp",
    "/api/auth/logout",
    "/api/auth/password",
];

/// 403 `totp_required` for a person who must enrol in TOTP (an organisation of theirs requires
/// it), on every staff route but [`ENROL_ROUTES`]: the one place this is decided.
pub fn totp_gate(must_enrol: bool, path: &str) -> Result<(), AppError> {
    if must_enrol && !ENROL_ROUTES.contains(&path.trim_end_matches('/')) {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "totp_required",
            "your organisation requires two-factor sign-in: turn it on on your account page",
        ));
    }
    Ok(())
}

pub(super) type Fut<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

/// Any staff user.
#[derive(Debug, Clone)]
pub struct Staff(pub StaffUserRow, pub String);

impl FromRequest for Staff {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        let path = req.path().to_string();
        Box::pin(async move {
            match authenticate(req, SessionKind::Staff).await? {
                Principal::Staff {
                    user,
                    secret,
                    must_enrol,
                } => {
                    totp_gate(must_enrol, &path)?;
                    Ok(Staff(user, secret))
                }
                Principal::Participant { .. } => Err(AppError::forbidden("staff only")),
            }
        })
    }
}

/// A participant acting in their own relay.
#[derive(Debug, Clone)]
pub struct ParticipantAuth {
    /// The participant.
    pub participant: ParticipantRow,
    /// Their relay.
    pub relay: RelayRow,
    /// The secret presented.
    pub secret: String,
}

impl FromRequest for ParticipantAuth {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match authenticate(req, SessionKind::Participant).await? {
                Principal::Participant {
                    participant,
                    relay,
                    secret,
                } => Ok(ParticipantAuth {
                    participant,
                    relay,
                    secret,
                }),
                Principal::Staff { .. } => Err(AppError::forbidden("participants only")),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::totp_gate;

    #[test]
    fn someone_who_must_enrol_reaches_only_the_enrolment_routes() {
        for open in [
            "/api/auth/me",
            "/api/auth/totp",
            "/api/auth/logout",
            "/api/auth/password",
        ] {
            assert!(totp_gate(true, open).is_ok(), "{open}");
        }
        for closed in [
            "/api/relays",
            "/api/auth/tokens",
            "/api/auth/totpx",
            "/api/orgs/1",
        ] {
            let e = totp_gate(true, closed).unwrap_err();
            assert_eq!(
                (e.status().as_u16(), e.code()),
                (403, "totp_required"),
                "{closed}"
            );
            assert!(totp_gate(false, closed).is_ok(), "{closed}");
        }
    }
}
