//! A participant's moves (asking, answering) on PostgreSQL, authenticated in their lane.
//!
//! Every request reads its credential before its handler runs ([`resolve`]). For a move on
//! PostgreSQL that read is a statement of its own on the request pool, one per move, beside the
//! move's lane, which commits the moves of its relays in groups ([`Db::write_in`]). But what a
//! participant credential names never changes: its id is in the token, its holder and the
//! holder's relay are fixed when it is issued, and PostgreSQL never hands out an id twice. So an
//! instance remembers, for each participant credential it has resolved, its secret's hash, its
//! holder and their relay ([`Known`]). A later move that presents the same secret goes straight
//! to its relay's lane, and the lane checks the credential's standing (not deleted, not expired,
//! not superseded, holder not suspended, relay's link not ended) for all its group's moves in
//! one statement, in the move's own transaction, after the relay's lock
//! ([`Credential::standing_in_move`]). A refusal there is the refusal [`resolve`] gives, with
//! the same rate limit on a 401, and the instance forgets the credential.
//!
//! On SQLite the one writer is the bottleneck and reads are in-process, so moves authenticate
//! as every request does.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest};
use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq as _;

use super::access::{Denied, Lifetimes, check};
use super::cookies::SessionKind;
use super::extractors::{Fut, Principal, checked_secret, client_ip, resolve};
use super::tokens;
use crate::db::DbConn;
use crate::db::credentials::Credential;
use crate::error::AppError;
use crate::state::AppState;

/// Most credentials an instance remembers. Past it, it forgets them all and learns again: each
/// costs one read per credential, as before, and a bound keeps a flood of sign-ins from
/// growing the process.
const MOST_KNOWN: usize = 1 << 16;

/// What one participant credential names: never changes while the credential exists.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Named {
    hash: String,
    participant_id: i64,
    relay_id: i64,
}

/// Participant credentials this instance has resolved, by id ([`Named`]).
#[derive(Debug, Default)]
pub struct Known(Mutex<HashMap<i64, Named>>);

impl Known {
    /// Remembers that `token` (just resolved) is participant `participant_id`'s in relay
    /// `relay_id`.
    pub fn remember(&self, token: &str, participant_id: i64, relay_id: i64) {
        let Some((id, secret)) = tokens::split(token) else {
            return;
        };
        let named = Named {
            hash: tokens::hash(secret),
            participant_id,
            relay_id,
        };
        let mut known = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if known.len() >= MOST_KNOWN && !known.contains_key(&id) {
            known.clear();
        }
        known.insert(id, named);
    }

    /// The credential id, participant and relay of `token`, when it presents a credential this
    /// instance has resolved, with the same secret.
    fn recall(&self, token: &str) -> Option<(i64, i64, i64)> {
        let (id, secret) = tokens::split(token)?;
        let hash = tokens::hash(secret);
        let known = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let named = known.get(&id)?;
        // Constant time, as the database's check is: a guess learns nothing from the timing.
        bool::from(named.hash.as_bytes().ct_eq(hash.as_bytes())).then_some((
            id,
            named.participant_id,
            named.relay_id,
        ))
    }

    /// Forgets credential `id`: its next use is resolved again.
    fn forget(&self, id: i64) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }
}

/// A participant about to make a move in their relay.
#[derive(Debug, Clone)]
pub struct ParticipantMove {
    /// The participant.
    pub participant_id: i64,
    /// Their relay.
    pub relay_id: i64,
    /// The credential the lane must still check ([`Known`]), and the secret that presented
    /// it; `None` when it was resolved for this request.
    unchecked: Option<(i64, String)>,
    /// Where the request came from, for the rate limit on a refusal.
    ip: IpAddr,
}

impl FromRequest for ParticipantMove {
    type Error = AppError;
    type Future = Fut<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (state, secret) = checked_secret(&req, SessionKind::Participant)?;
            let ip = client_ip(&req);
            if state.db.is_postgres()
                && let Some((id, participant_id, relay_id)) = state.known.recall(&secret)
            {
                return Ok(Self {
                    participant_id,
                    relay_id,
                    unchecked: Some((id, secret)),
                    ip,
                });
            }
            match resolve(&state, secret).await {
                Ok(Principal::Participant {
                    participant, relay, ..
                }) => Ok(Self {
                    participant_id: participant.id,
                    relay_id: relay.id,
                    unchecked: None,
                    ip,
                }),
                Ok(Principal::Staff { .. }) => Err(AppError::forbidden("participants only")),
                Err(e) if e.status() == StatusCode::UNAUTHORIZED => {
                    // Guessing secrets costs the guesser the same budget as redeeming links.
                    state.limits.link(ip)?;
                    Err(e)
                }
                Err(e) => Err(e),
            }
        })
    }
}

impl ParticipantMove {
    /// The request's body, or why it was refused. A body that cannot be read or parsed, sent
    /// with a credential the lane has not checked yet, is refused as the credential would be
    /// if it has ended since its last use: a request with an ended credential learns nothing
    /// else, whatever its body.
    pub async fn body<B>(
        &self,
        state: &AppState,
        body: Result<B, AppError>,
    ) -> Result<B, AppError> {
        let e = match body {
            Ok(body) => return Ok(body),
            Err(e) => e,
        };
        let Some((id, secret)) = &self.unchecked else {
            return Err(e);
        };
        match resolve(state, secret.clone()).await {
            Ok(_) => Err(e),
            Err(refused) => Err(self.refused(state, *id, refused)),
        }
    }

    /// `e`, the refusal of credential `id`, which this instance then forgets; a 401 costs the
    /// link budget, as it does for every request (`extractors::authenticate`).
    fn refused(&self, state: &AppState, id: i64, e: AppError) -> AppError {
        state.known.forget(id);
        if e.status() == StatusCode::UNAUTHORIZED
            && let Err(limited) = state.limits.link(self.ip)
        {
            return limited;
        }
        e
    }

    /// Runs `edit` as this participant's move in their relay's lane
    /// ([`AppState::move_with_now`]), checking their credential there first when this request
    /// did not.
    pub async fn run<T, F>(&self, state: &AppState, mut edit: F) -> Result<T, AppError>
    where
        F: FnMut(&mut DbConn, DateTime<Utc>) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let Some((id, _)) = self.unchecked else {
            return state.move_with_now(self.relay_id, edit).await;
        };
        let lifetimes = Lifetimes::of(&state.settings);
        // Set when the credential is refused, to tell that refusal from the move's own errors.
        let refused = Arc::new(AtomicBool::new(false));
        let refusal = refused.clone();
        let outcome = state
            .move_checking(self.relay_id, id, move |conn, now| {
                // A move may run twice: only its last run's refusal counts.
                refusal.store(false, Ordering::Relaxed);
                let standing = Credential::standing_in_move(conn, id)?;
                let denied = standing.map_or(Err(Denied::Revoked), |s| check(&s, now, lifetimes));
                if let Err(denied) = denied {
                    refusal.store(true, Ordering::Relaxed);
                    return Err(denied.error());
                }
                edit(conn, now)
            })
            .await;
        match outcome {
            Err(e) if refused.load(Ordering::Relaxed) => Err(self.refused(state, id, e)),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(id: i64) -> (String, String) {
        let secret = tokens::generate();
        (tokens::compose(id, &secret), secret)
    }

    #[test]
    fn a_credential_is_recalled_only_with_its_own_secret() {
        let known = Known::default();
        let (good, _) = token(7);
        let (other, _) = token(7);
        assert_eq!(known.recall(&good), None, "nothing is known at first");
        known.remember(&good, 70, 3);
        assert_eq!(known.recall(&good), Some((7, 70, 3)));
        assert_eq!(known.recall(&other), None, "same id, another secret");
        assert_eq!(known.recall("not a token"), None);
        known.forget(7);
        assert_eq!(known.recall(&good), None);
    }

    #[test]
    fn a_full_memory_starts_again_rather_than_grow() {
        let known = Known::default();
        let tokens: Vec<String> = (1..=MOST_KNOWN as i64 + 1).map(|i| token(i).0).collect();
        for (i, t) in tokens.iter().enumerate() {
            known.remember(t, i as i64, 1);
        }
        let held = known.0.lock().unwrap().len();
        assert_eq!(held, 1, "the one past the bound is all that is left");
        assert!(known.recall(tokens.last().unwrap()).is_some());
        assert!(known.recall(&tokens[0]).is_none());
    }
}
