//! Live delivery over websockets: `GET /ws`, authenticated like the API (cookie, or `?token=`
//! for participants; staff add `?relay=ID` for that relay's staff feed).

pub mod connection;
pub mod cursor;
pub mod gaps;
pub mod hub;
pub mod listen;
pub mod messages;
pub mod relay_cursors;
pub mod revocation;
pub mod scope_sweep;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::extractors::{Principal, client_ip, resolve};
use crate::auth::scope::{self, Need, Target};
use crate::auth::{SessionKind, csrf, tokens};
use crate::error::AppError;
use crate::state::AppState;
pub use hub::{Feed, Hub};

/// Largest frame a client may send.
const MAX_FRAME: usize = 16 * 1024;

/// `GET /ws` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WsQuery {
    /// A participant's link or session secret (for clients that cannot send the cookie).
    #[serde(default)]
    token: Option<String>,
    /// The relay whose staff feed a staff connection wants.
    #[serde(default)]
    relay: Option<i64>,
    /// Replay every event after this id first.
    #[serde(default)]
    since: Option<i64>,
}

/// `GET /ws`
pub async fn ws_route(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    hub: web::Data<Hub>,
    query: web::Query<WsQuery>,
) -> Result<HttpResponse, AppError> {
    // Cross-site websocket hijacking: a page of another site must not open a socket with the
    // user's cookie. Browsers send `Origin` and `Sec-Fetch-Site` on the handshake.
    csrf::refuse_cross_site(&req)?;
    let WsQuery {
        token,
        relay,
        since,
    } = query.into_inner();
    // A staff feed names its relay; every other socket is a participant's.
    let cookie = if relay.is_some() {
        SessionKind::Staff
    } else {
        SessionKind::Participant
    };
    let secret = token
        .or_else(|| cookie.secret_in(&req))
        .or_else(|| {
            req.headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::to_string)
        })
        .ok_or_else(|| AppError::unauthorized("log in or use your personal link"))?;
    if !tokens::well_formed(&secret) {
        state.limits.link(client_ip(&req))?;
        return Err(AppError::unauthorized("unknown or revoked credentials"));
    }
    // map_or: a well-formed token always splits.
    let credential = tokens::split(&secret).map_or(0, |(id, _)| id);
    let principal = match resolve(&state, secret).await {
        Err(e) if e.status() == actix_web::http::StatusCode::UNAUTHORIZED => {
            state.limits.link(client_ip(&req))?;
            return Err(e);
        }
        other => other?,
    };
    let feed = match principal {
        Principal::Participant { participant, .. } => Feed::Participant(participant.id),
        Principal::Staff {
            user, must_enrol, ..
        } => {
            crate::auth::extractors::totp_gate(must_enrol, req.path())?;
            let relay =
                relay.ok_or_else(|| AppError::validation("add ?relay=ID for a staff feed"))?;
            // The staff feed carries names: the relay's facilitators and admins only.
            scope::allow(&state, &user, Target::Relay(relay), Need::Run).await?;
            Feed::Staff(relay)
        }
    };
    let peer = connection::Peer {
        feed,
        credential,
        checker: revocation::Checker::of(&state),
    };
    let hub = hub.get_ref().clone();
    let start = connection::start(&hub, &peer).await?;
    let (response, session, stream) = match actix_ws::handle(&req, body) {
        Ok(handled) => handled,
        Err(e) => {
            hub.unsubscribe(feed, start.id());
            return Err(AppError::bad_request("not_a_websocket", e.to_string()));
        }
    };
    let stream = stream
        .max_frame_size(MAX_FRAME)
        .aggregate_continuations()
        .max_continuation_size(MAX_FRAME);
    actix_web::rt::spawn(connection::run(session, stream, hub, peer, since, start));
    Ok(response)
}
