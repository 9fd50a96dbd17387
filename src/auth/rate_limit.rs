//! Per-client-address rate limits on login and magic links (governor's GCRA, in memory).

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

/// The limiters of one server process.
pub struct RateLimits {
    login: DefaultKeyedRateLimiter<IpAddr>,
    link: DefaultKeyedRateLimiter<IpAddr>,
}

impl RateLimits {
    /// Limits allowing `login_per_minute` login attempts and `link_per_minute` link redemptions
    /// or failed token lookups per client address.
    pub fn new(login_per_minute: u32, link_per_minute: u32) -> Self {
        let quota =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            login: RateLimiter::keyed(quota(login_per_minute)),
            link: RateLimiter::keyed(quota(link_per_minute)),
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
}

fn too_many() -> AppError {
    AppError::new(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many attempts; wait a minute and try again",
    )
}
