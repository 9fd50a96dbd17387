//! What every handler shares.

use chrono::{DateTime, Utc};

use crate::auth::moves::Known;
use crate::auth::rate_limit::RateLimits;
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{Db, DbConn};
use crate::error::AppError;

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
    /// Participant credentials this instance has resolved (PostgreSQL; `auth::moves`).
    pub known: Known,
}

impl AppState {
    /// Runs `edit` in a write with the clock's time as the request reads it, taken once before
    /// the write so a retried write sees the same time.
    pub async fn write_with_now<T, F>(&self, mut edit: F) -> Result<T, AppError>
    where
        F: FnMut(&mut DbConn, DateTime<Utc>) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let now = self.clock.now();
        self.db.write(move |conn| edit(conn, now)).await
    }

    /// [`AppState::write_with_now`] for a participant's move in relay `relay_id`, which locks
    /// that relay first: see [`Db::write_in`].
    pub async fn move_with_now<T, F>(&self, relay_id: i64, mut edit: F) -> Result<T, AppError>
    where
        F: FnMut(&mut DbConn, DateTime<Utc>) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let now = self.clock.now();
        self.db
            .write_in(relay_id, None, move |conn| edit(conn, now))
            .await
    }

    /// [`AppState::move_with_now`] for a move whose credential `credential_id` the move itself
    /// checks: its lane loads that credential's standing with its group's relays.
    pub async fn move_checking<T, F>(
        &self,
        relay_id: i64,
        credential_id: i64,
        mut edit: F,
    ) -> Result<T, AppError>
    where
        F: FnMut(&mut DbConn, DateTime<Utc>) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let now = self.clock.now();
        self.db
            .write_in(relay_id, Some(credential_id), move |conn| edit(conn, now))
            .await
    }
}
