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
    /// When a staff session was last used (or began): it ends after [`Lifetimes::idle_minutes`]
    /// without use. `None` for credentials that do not end for idleness.
    pub idle_since: Option<NaiveDateTime>,
    /// When a newer link was first sent to the same participant (participant links only): it
    /// ends this one [`Lifetimes::grace_hours`] later.
    pub superseded_at: Option<NaiveDateTime>,
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
    /// A participant's link, long enough after a newer one was sent.
    Superseded,
}

/// The configured lifetimes the rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// A participant's link and sessions work this many days after their relay closes (to
    /// read the output).
    pub link_days: i64,
    /// A staff session ends this many minutes after its last use.
    pub idle_minutes: i64,
    /// A participant's link ends this many hours after a newer one was sent.
    pub grace_hours: i64,
}

impl Lifetimes {
    /// The lifetimes `settings` configure.
    pub fn of(settings: &crate::config::Settings) -> Self {
        Self {
            link_days: settings.server.link_valid_days_after_close,
            idle_minutes: settings.server.session_idle_minutes,
            grace_hours: settings.links.grace_hours,
        }
    }
}

/// How often a credential's last use is written down: a request within this long of the last
/// write writes nothing, so a busy console does not write on every request.
pub const TOUCH_EVERY: Duration = Duration::minutes(1);

/// Whether a use at `now` should record itself, the last recorded use being `last_used`.
pub fn needs_touch(last_used: Option<NaiveDateTime>, now: DateTime<Utc>) -> bool {
    last_used.is_none_or(|t| now - from_db(t) >= TOUCH_EVERY)
}

/// Whether `standing` grants access at `now`.
pub fn check(standing: &Standing, now: DateTime<Utc>, lifetimes: Lifetimes) -> Result<(), Denied> {
    if standing.expires_at.is_some_and(|e| from_db(e) <= now) {
        return Err(Denied::Expired);
    }
    if standing
        .idle_since
        .is_some_and(|t| from_db(t) + Duration::minutes(lifetimes.idle_minutes) <= now)
    {
        return Err(Denied::Expired);
    }
    if standing
        .superseded_at
        .is_some_and(|t| from_db(t) + Duration::hours(lifetimes.grace_hours) <= now)
    {
        return Err(Denied::Superseded);
    }
    let link_days = lifetimes.link_days;
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
            Self::Superseded => AppError::new(
                StatusCode::UNAUTHORIZED,
                "link_superseded",
                "a newer link has been sent; use the latest link in your email",
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
            Self::Superseded => "superseded: a newer link has been sent",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L30: Lifetimes = Lifetimes {
        link_days: 30,
        idle_minutes: 120,
        grace_hours: 24,
    };

    fn at(days: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::days(days)
    }

    fn participant(suspended: bool, relay_state: RelayState, closed: Option<i64>) -> Standing {
        Standing {
            expires_at: None,
            idle_since: None,
            superseded_at: None,
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
            idle_since: None,
            superseded_at: None,
            holder: Holder::Staff { suspended },
        };
        assert_eq!(check(&staff(false), at(9), L30), Ok(()));
        assert_eq!(check(&staff(false), at(10), L30), Err(Denied::Expired));
        assert_eq!(
            check(&staff(true), at(9), L30),
            Err(Denied::AccountSuspended)
        );
        let open = participant(false, RelayState::Open, None);
        assert_eq!(check(&open, at(100), L30), Ok(()));
        let suspended = participant(true, RelayState::Open, None);
        assert_eq!(check(&suspended, at(0), L30), Err(Denied::Suspended));
    }

    #[test]
    fn a_link_outlives_its_relay_by_the_configured_days() {
        let closed = participant(false, RelayState::Closed, Some(5));
        assert_eq!(check(&closed, at(34), L30), Ok(()));
        assert_eq!(check(&closed, at(35), L30), Err(Denied::LinkExpired));
    }

    #[test]
    fn a_staff_session_ends_after_the_idle_minutes_without_use() {
        let session = Standing {
            expires_at: Some(at(10).naive_utc()),
            idle_since: Some(at(1).naive_utc()),
            superseded_at: None,
            holder: Holder::Staff { suspended: false },
        };
        let after = |m| at(1) + Duration::minutes(m);
        assert_eq!(check(&session, after(119), L30), Ok(()));
        assert_eq!(check(&session, after(120), L30), Err(Denied::Expired));
    }

    #[test]
    fn a_link_ends_the_grace_hours_after_a_newer_one_was_sent() {
        let link = Standing {
            superseded_at: Some(at(3).naive_utc()),
            ..participant(false, RelayState::Open, None)
        };
        assert_eq!(check(&link, at(3) + Duration::hours(23), L30), Ok(()));
        assert_eq!(check(&link, at(4), L30), Err(Denied::Superseded));
    }

    #[test]
    fn a_use_is_written_down_at_most_once_a_minute() {
        let last = at(1).naive_utc();
        assert!(needs_touch(None, at(1)));
        assert!(!needs_touch(Some(last), at(1) + Duration::seconds(59)));
        assert!(needs_touch(Some(last), at(1) + Duration::seconds(60)));
    }

    #[test]
    fn close_reasons_fit_a_close_frame() {
        for d in [
            Denied::Revoked,
            Denied::Expired,
            Denied::AccountSuspended,
            Denied::Suspended,
            Denied::LinkExpired,
            Denied::Superseded,
        ] {
            assert!(d.reason().len() <= 123, "{d:?}");
            assert!(d.error().status().is_client_error());
        }
    }
}
