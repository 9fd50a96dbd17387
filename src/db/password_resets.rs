//! Password reset links: single use, for an hour. Only a hash of the secret is kept; the token
//! names its row by id and proves itself with the secret, as credentials do (`auth::tokens`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use subtle::ConstantTimeEq as _;

use super::DbConn;
use super::schema::password_resets;
use crate::auth::tokens;

/// A password reset link.
pub struct PasswordReset;

impl PasswordReset {
    /// Stores a reset link for `staff_user_id` that works until `expires_at`; returns the
    /// token for the email (never stored).
    pub fn issue(
        conn: &mut DbConn,
        staff_user_id: i64,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> QueryResult<(i64, String)> {
        let secret = tokens::generate();
        let id = super::backend::insert_id!(
            conn,
            password_resets,
            (
                password_resets::staff_user_id.eq(staff_user_id),
                password_resets::token_hash.eq(tokens::hash(&secret)),
                password_resets::created_at.eq(now),
                password_resets::expires_at.eq(expires_at),
            )
        )?;
        Ok((id, tokens::compose(id, &secret)))
    }

    /// Uses up the link `token` presents: the staff user it resets, when it was issued, has
    /// not been used, and works at `now`. A second use finds nothing.
    pub fn redeem(conn: &mut DbConn, token: &str, now: NaiveDateTime) -> QueryResult<Option<i64>> {
        let Some((id, secret)) = tokens::split(token) else {
            return Ok(None);
        };
        let row: Option<(i64, String)> = password_resets::table
            .find(id)
            .filter(password_resets::used_at.is_null())
            .filter(password_resets::expires_at.gt(now))
            .select((password_resets::staff_user_id, password_resets::token_hash))
            .first(conn)
            .optional()?;
        let Some((user, hash)) = row else {
            return Ok(None);
        };
        // Constant time, so a guess learns nothing from how long the refusal took.
        if !bool::from(hash.as_bytes().ct_eq(tokens::hash(secret).as_bytes())) {
            return Ok(None);
        }
        let used = diesel::update(
            password_resets::table
                .find(id)
                .filter(password_resets::used_at.is_null()),
        )
        .set(password_resets::used_at.eq(now))
        .execute(conn)?;
        Ok((used == 1).then_some(user))
    }
}
