//! Relay grants: the relays an analyst of the relay's organisation may read.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{relay_analysts, relays};

/// Grant queries.
pub struct RelayAnalyst;

impl RelayAnalyst {
    /// Whether `user_id` was granted `relay_id`.
    pub fn granted(conn: &mut DbConn, relay_id: i64, user_id: i64) -> QueryResult<bool> {
        relay_analysts::table
            .find((relay_id, user_id))
            .count()
            .get_result::<i64>(conn)
            .map(|n| n > 0)
    }

    /// Grants `user_id` the relay (nothing changes when they already have it).
    pub fn grant(
        conn: &mut DbConn,
        relay_id: i64,
        user_id: i64,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        if !Self::granted(conn, relay_id, user_id)? {
            diesel::insert_into(relay_analysts::table)
                .values((
                    relay_analysts::relay_id.eq(relay_id),
                    relay_analysts::user_id.eq(user_id),
                    relay_analysts::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// The relays granted to `user_id`.
    pub fn relays_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<i64>> {
        relay_analysts::table
            .filter(relay_analysts::user_id.eq(user_id))
            .select(relay_analysts::relay_id)
            .load(conn)
    }

    /// Withdraws `user_id`'s grants of the relays of `org_id` (when they leave it).
    pub fn revoke_in_org(conn: &mut DbConn, org_id: i64, user_id: i64) -> QueryResult<usize> {
        let of_org = relays::table
            .filter(relays::org_id.eq(org_id))
            .select(relays::id);
        diesel::delete(
            relay_analysts::table
                .filter(relay_analysts::user_id.eq(user_id))
                .filter(relay_analysts::relay_id.eq_any(of_org)),
        )
        .execute(conn)
    }
}
