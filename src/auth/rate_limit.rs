//! Rate limits (governor's GCRA, in memory): login and magic links per client address, and the
//! requests that email a link (password reset, lost participant link) per email address and per
//! client address.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimitSettings;
use crate::error::AppError;

/// The limiters of one server process.
pub struct RateLimits {
    login: DefaultKeyedRateLimiter<IpAddr>,
    link: DefaultKeyedRateLimiter<IpAddr>,
    recover_email: DefaultKeyedRateLimiter<String>,
    recover_client: DefaultKeyedRateLimiter<IpAddr>,
}

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl RateLimits {
    /// The limits `settings` configure.
    pub fn new(settings: &RateLimitSettings) -> Self {
        let per_minute = |n: u32| Quota::per_minute(at_least_one(n));
        let per_hour = |n: u32| Quota::per_hour(at_least_one(n)).allow_burst(at_least_one(n));
        Self {
            login: RateLimiter::keyed(per_minute(settings.login_per_minute)),
            link: RateLimiter::keyed(per_minute(settings.link_per_minute)),
            recover_email: RateLimiter::keyed(per_hour(settings.recover_per_hour_per_email)),
            recover_client: RateLimiter::keyed(per_hour(settings.recover_per_hour_per_client)),
        }
    }

    /// Counts a login attempt.
    pub fn login(&self, ip: IpAddr) -> Result<(), AppError> {
        self.login.check_key(&ip).map_err(|_| too_many())
    }

    /// Counts a link redemption or a failed token lookup.
    pub fn link(&self, ip: IpAddr) -> Result<(), AppError> {
        self.link.check_key(&ip).map_err(|_| too_many())
    }

    /// Counts a request that emails a link to `email` (a password reset, a lost participant
    /// link), from `ip`. Counted whether or not the address is known, so the answer tells
    /// nothing about it.
    pub fn recover(&self, email: &str, ip: IpAddr) -> Result<(), AppError> {
        self.recover_client.check_key(&ip).map_err(|_| too_many())?;
        self.recover_email
            .check_key(&email.trim().to_lowercase())
            .map_err(|_| too_many())
    }
}

fn too_many() -> AppError {
    AppError::new(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many attempts; wait a minute and try again",
    )
}
