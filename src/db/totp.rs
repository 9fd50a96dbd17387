//! Staff TOTP secrets, the step of the last code accepted, and recovery codes (as hashes).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{memberships, orgs, staff_totp, totp_recovery_codes};

/// A staff member's TOTP secret: pending until `enabled_at` is set.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staff_totp, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct TotpRow {
    pub staff_user_id: i64,
    /// The shared secret, base32 (RFC 4648, no padding) as authenticator apps take it.
    pub secret: String,
    pub enabled_at: Option<NaiveDateTime>,
    /// The 30-second step of the last code accepted: no code of that step or before signs in.
    pub last_step: Option<i64>,
    pub created_at: NaiveDateTime,
}

impl TotpRow {
    /// `user_id`'s secret, pending or on.
    pub fn find(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<TotpRow>> {
        staff_totp::table
            .find(user_id)
            .select(TotpRow::as_select())
            .first(conn)
            .optional()
    }

    /// Whether `user_id` has TOTP on (a pending secret does not count).
    pub fn is_on(conn: &mut DbConn, user_id: i64) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            staff_totp::table
                .find(user_id)
                .filter(staff_totp::enabled_at.is_not_null()),
        ))
        .get_result(conn)
    }

    /// Replaces `user_id`'s secret with a new pending one.
    pub fn start(
        conn: &mut DbConn,
        user_id: i64,
        secret: &str,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        Self::remove(conn, user_id)?;
        diesel::insert_into(staff_totp::table)
            .values((
                staff_totp::staff_user_id.eq(user_id),
                staff_totp::secret.eq(secret),
                staff_totp::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Turns `user_id`'s pending secret on, `step` being the confirming code's step.
    pub fn enable(
        conn: &mut DbConn,
        user_id: i64,
        step: i64,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::update(staff_totp::table.find(user_id))
            .set((
                staff_totp::enabled_at.eq(now),
                staff_totp::last_step.eq(step),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Records `step` as used if it is later than the last one accepted; false when it is not
    /// (a replayed code). One conditional update, so two requests cannot both use a step.
    pub fn accept_step(conn: &mut DbConn, user_id: i64, step: i64) -> QueryResult<bool> {
        let n = diesel::update(
            staff_totp::table.find(user_id).filter(
                staff_totp::last_step
                    .is_null()
                    .or(staff_totp::last_step.lt(step)),
            ),
        )
        .set(staff_totp::last_step.eq(step))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Removes `user_id`'s secret and recovery codes.
    pub fn remove(conn: &mut DbConn, user_id: i64) -> QueryResult<()> {
        diesel::delete(staff_totp::table.find(user_id)).execute(conn)?;
        diesel::delete(
            totp_recovery_codes::table.filter(totp_recovery_codes::staff_user_id.eq(user_id)),
        )
        .execute(conn)?;
        Ok(())
    }

    /// Whether one of `user_id`'s organisations requires TOTP.
    pub fn required(conn: &mut DbConn, user_id: i64) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            memberships::table
                .inner_join(orgs::table)
                .filter(memberships::user_id.eq(user_id))
                .filter(orgs::require_totp.eq(true)),
        ))
        .get_result(conn)
    }
}

/// Recovery codes, stored as hashes.
pub struct RecoveryCodes;

impl RecoveryCodes {
    /// Replaces `user_id`'s recovery codes with these hashes.
    pub fn replace(conn: &mut DbConn, user_id: i64, hashes: &[String]) -> QueryResult<()> {
        diesel::delete(
            totp_recovery_codes::table.filter(totp_recovery_codes::staff_user_id.eq(user_id)),
        )
        .execute(conn)?;
        // One row at a time: a multi-row insert is not built for a connection of either backend.
        for h in hashes {
            diesel::insert_into(totp_recovery_codes::table)
                .values((
                    totp_recovery_codes::staff_user_id.eq(user_id),
                    totp_recovery_codes::code_hash.eq(h),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Uses `user_id`'s unused code with hash `hash`; false when there is none.
    pub fn use_code(
        conn: &mut DbConn,
        user_id: i64,
        hash: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            totp_recovery_codes::table
                .filter(totp_recovery_codes::staff_user_id.eq(user_id))
                .filter(totp_recovery_codes::code_hash.eq(hash))
                .filter(totp_recovery_codes::used_at.is_null()),
        )
        .set(totp_recovery_codes::used_at.eq(now))
        .execute(conn)?;
        Ok(n > 0)
    }

    /// How many of `user_id`'s codes are left.
    pub fn unused(conn: &mut DbConn, user_id: i64) -> QueryResult<i64> {
        totp_recovery_codes::table
            .filter(totp_recovery_codes::staff_user_id.eq(user_id))
            .filter(totp_recovery_codes::used_at.is_null())
            .count()
            .get_result(conn)
    }
}
