//! What every handler shares.

use crate::auth::rate_limit::RateLimits;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Db;

/// Shared application state, held in `web::Data`.
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The clock all rules read.
    pub clock: Clock,
    /// Settings.
    pub settings: Settings,
    /// Login and link rate limits.
    pub limits: RateLimits,
}
