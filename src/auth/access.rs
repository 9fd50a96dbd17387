//! Whether a credential still grants access: one rule for each request (`resolve`) and for each
//! open websocket, which re-checks it while it stays open (`ws::revocation`).

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use crate::db::from_db;
use crate::error::AppError;
use crate::relay::RelayState;

/// What the rule needs to know about a stored credential and whom it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// When the credential stops working, if ever.
    pub expires_at: Option<NaiveDateTime>,
    /// Its holder.
    pub holder: Holder,
}

/// The holder of a credential, as far as access goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A staff account.
    Staff {
        /// Whether the account is suspended.
        suspended: bool,
    },
    /// A participant.
    Participant {
        /// Whether the participant is suspended.
        suspended: bool,
        /// Their relay's state.
        relay_state: RelayState,
        /// When their relay closed.
        closed_at: Option<NaiveDateTime>,
    },
}

/// Why access is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No such credential (never issued, logged out, deleted), or its holder is gone.
    Revoked,
    /// Past its expiry.
    Expired,
    /// A suspended staff account.
    AccountSuspended,
    /// A suspended participant.
    Suspended,
    /// A participant's link, long enough after their relay closed.
    LinkExpired,
}

/// Whether `standing` grants access at `now`; a participant's link works `link_days` days
/// after their relay closes (to read the output).
pub fn check(standing: &Standing, now: DateTime<Utc>, link_days: i64) -> Result<(), Denied> {
    if standing.expires_at.is_some_and(|e| from_db(e) <= now) {
        return Err(Denied::Expired);
    }
    match standing.holder {
        Holder::Staff { suspended: true } => Err(Denied::AccountSuspended),
        Holder::Participant {
            suspended: true, ..
        } => Err(Denied::Suspended),
        Holder::Participant {
            relay_state: RelayState::Closed,
            closed_at: Some(closed),
            ..
        } if from_db(closed) + Duration::days(link_days) <= now => Err(Denied::LinkExpired),
        _ => Ok(()),
    }
}

impl Denied {
    /// The HTTP answer to a request that presents the credential.
    pub fn error(self) -> AppError {
        use actix_web::http::StatusCode;
        match self {
            Self::Revoked => AppError::unauthorized("unknown or revoked credentials"),
            Self::Expired => AppError::unauthorized("your session has expired; log in again"),
            Self::AccountSuspended => AppError::unauthorized("this account is suspended"),
            Self::Suspended => AppError::new(
                StatusCode::FORBIDDEN,
                "suspended",
                "your participation has been paused by the organiser; contact them to take part again",
            ),
            Self::LinkExpired => AppError::new(
                StatusCode::GONE,
                "link_expired",
                "this relay has ended and its link no longer works",
            ),
        }
    }

    /// The reason in the close frame of a websocket that presented the credential (at most
    /// 123 bytes, the most a close frame carries).
    pub fn reason(self) -> &'static str {
        match self {
            Self::Revoked => "revoked: logged out or the credential was withdrawn",
            Self::Expired => "expired: log in again",
            Self::AccountSuspended => "suspended: this account is suspended",
            Self::Suspended => "suspended: your participation has been paused by the organiser",
            Self::LinkExpired => "link_expired: this relay has ended",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::days(days)
    }

    fn participant(suspended: bool, relay_state: RelayState, closed: Option<i64>) -> Standing {
        Standing {
            expires_at: None,
            holder: Holder::Participant {
                suspended,
                relay_state,
                closed_at: closed.map(|d| at(d).naive_utc()),
            },
        }
    }

    #[test]
    fn each_reason_to_refuse() {
        let staff = |suspended| Standing {
            expires_at: Some(at(10).naive_utc()),
            holder: Holder::Staff { suspended },
        };
        assert_eq!(check(&staff(false), at(9), 30), Ok(()));
        assert_eq!(check(&staff(false), at(10), 30), Err(Denied::Expired));
        assert_eq!(
            check(&staff(true), at(9), 30),
            Err(Denied::AccountSuspended)
        );
        let open = participant(false, RelayState::Open, None);
        assert_eq!(check(&open, at(100), 30), Ok(()));
        let suspended = participant(true, RelayState::Open, None);
        assert_eq!(check(&suspended, at(0), 30), Err(Denied::Suspended));
    }

    #[test]
    fn a_link_outlives_its_relay_by_the_configured_days() {
        let closed = participant(false, RelayState::Closed, Some(5));
        assert_eq!(check(&closed, at(34), 30), Ok(()));
        assert_eq!(check(&closed, at(35), 30), Err(Denied::LinkExpired));
    }

    #[test]
    fn close_reasons_fit_a_close_frame() {
        for d in [
            Denied::Revoked,
            Denied::Expired,
            Denied::AccountSuspended,
            Denied::Suspended,
            Denied::LinkExpired,
        ] {
            assert!(d.reason().len() <= 123, "{d:?}");
            assert!(d.error().status().is_client_error());
        }
    }
}
