//! The email outbox: rows written with the change that causes them, sent by a worker.

use std::collections::HashMap;

use super::MultiBackend;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::credentials::{Credential, CredentialKind};
use super::deferred;
use super::fixed::{self, Param};
use super::schema::email_outbox;
use crate::auth::tokens;
use crate::relay::named_enum;

named_enum! {
    /// Where an email is on its way out.
    pub enum OutboxStatus {
        /// Waiting for (another) attempt.
        Queued = "queued",
        /// Handed to the mail server.
        Sent = "sent",
        /// Given up on: refused for good, or out of attempts.
        Failed = "failed",
    }
}

/// An outbox row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = email_outbox, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct OutboxRow {
    pub id: i64,
    pub idempotency_key: String,
    /// The relay (none for a staff email such as an invitation).
    pub relay_id: Option<i64>,
    /// The participant (none for a staff email).
    pub participant_id: Option<i64>,
    pub kind: String,
    pub to_address: String,
    pub params: String,
    pub link_token: Option<String>,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// An email to queue.
#[derive(Debug, Clone)]
pub struct NewEmail<'a> {
    /// Unique key: the same key is never queued (and so never sent) twice.
    pub idempotency_key: String,
    /// The relay (none for a staff email such as an invitation).
    pub relay_id: Option<i64>,
    /// The recipient (none for a staff email).
    pub participant_id: Option<i64>,
    /// Template name (`EmailKind::as_str`).
    pub kind: &'a str,
    /// Recipient address.
    pub to_address: &'a str,
    /// Template context.
    pub params: serde_json::Value,
    /// Magic-link secret to put in the email, kept only until it is sent.
    pub link_token: Option<String>,
}

impl OutboxRow {
    /// Queues `email` unless its key is already queued; returns whether it was new.
    pub fn enqueue(
        conn: &mut DbConn,
        email: NewEmail<'_>,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        // ON CONFLICT … DO NOTHING is the same SQL on both backends; diesel's builder for it
        // does not compile for a connection that may be either.
        let n = fixed::execute(
            conn,
            "INSERT INTO email_outbox (idempotency_key, relay_id, participant_id, kind, \
             to_address, params, link_token, status, next_attempt_at, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
            &[
                &columns(&email, &email.params.to_string())[..],
                &[
                    Param::MaybeText(email.link_token.as_deref()),
                    Param::Text(OutboxStatus::Queued.as_str()),
                    Param::Time(Some(now)),
                    Param::Time(Some(now)),
                ],
            ]
            .concat(),
        )?;
        Ok(n == 1)
    }

    /// Queues `email` with a personal link for participant `participant_id` in it (a fresh
    /// credential), unless its key is already queued; returns whether it was new. A repeat
    /// leaves no link behind.
    ///
    /// On PostgreSQL the credential and the email are one statement, where they would be two
    /// round trips under the relay's lock on every ask and answer. The link is composed there
    /// from the credential's new id as [`tokens::compose`] does: the id's eight big-endian bytes
    /// in unpadded URL-safe base64, then the secret. In a lane's group of moves the email waits
    /// for the group's end, where all its emails are queued at once (`db::deferred`), and is
    /// reported new: a repeat is still queued once and leaves no link.
    pub fn enqueue_with_link(
        conn: &mut DbConn,
        email: NewEmail<'_>,
        participant_id: i64,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        if matches!(conn, DbConn::Sqlite(_)) {
            let link = Credential::issue(
                conn,
                CredentialKind::ParticipantLink,
                None,
                Some(participant_id),
                now,
                None,
            )?;
            let queued = Self::enqueue(
                conn,
                NewEmail {
                    link_token: Some(link.token),
                    ..email
                },
                now,
            )?;
            if !queued {
                Credential::delete(conn, link.id)?;
            }
            return Ok(queued);
        }
        let secret = tokens::generate();
        if deferred::collecting() {
            // Queued at the end of the lane's group, with the group's other emails.
            deferred::defer_email(deferred::LinkedEmail {
                idempotency_key: email.idempotency_key,
                relay_id: email.relay_id,
                participant_id: email.participant_id,
                kind: email.kind.to_owned(),
                to_address: email.to_address.to_owned(),
                params: email.params.to_string(),
                link_for: participant_id,
                secret_hash: tokens::hash(&secret),
                secret,
                created_at: now,
            });
            return Ok(true);
        }
        let rows: Vec<Linked> = fixed::load(
            conn,
            "WITH c AS (INSERT INTO credentials (token_hash, kind, participant_id, created_at) \
                 VALUES (?, ?, ?, ?) RETURNING id), \
             o AS (INSERT INTO email_outbox (idempotency_key, relay_id, participant_id, kind, \
                 to_address, params, link_token, status, next_attempt_at, created_at) \
                 SELECT ?, ?, ?, ?, ?, ?, \
                     rtrim(translate(encode(int8send(c.id), 'base64'), '+/', '-_'), '=') || ?, \
                     ?, ?, ? \
                 FROM c ON CONFLICT (idempotency_key) DO NOTHING RETURNING id) \
             SELECT c.id, (SELECT COUNT(*) FROM o) AS queued FROM c",
            &[
                &[
                    Param::Text(&tokens::hash(&secret)),
                    Param::Text(CredentialKind::ParticipantLink.as_str()),
                    Param::Int(participant_id),
                    Param::Time(Some(now)),
                ][..],
                &columns(&email, &email.params.to_string()),
                &[
                    Param::Text(&secret),
                    Param::Text(OutboxStatus::Queued.as_str()),
                    Param::Time(Some(now)),
                    Param::Time(Some(now)),
                ],
            ]
            .concat(),
        )?;
        let Some(row) = rows.first() else {
            return Err(diesel::result::Error::NotFound);
        };
        if row.queued == 0 {
            Credential::delete(conn, row.id)?;
        }
        Ok(row.queued > 0)
    }

    /// Queued emails whose next attempt is due, longest due first.
    fn due(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<OutboxRow>> {
        due_query(now, limit)
            .select(OutboxRow::as_select())
            .load(conn)
    }

    /// Takes up to `limit` due emails for sending: each is leased until `lease_until`, so no
    /// other worker (or a second pass of this one) sends it meanwhile. A worker that dies while
    /// sending loses its lease and the email is tried again later, with the same Message-ID.
    ///
    /// On PostgreSQL several instances' workers claim at once: `FOR UPDATE SKIP LOCKED` hands
    /// each the due rows no other claim is taking, without waiting for it. On SQLite the one
    /// writer runs each claim alone, and each row's update is checked instead.
    pub fn claim_due(
        conn: &mut DbConn,
        now: NaiveDateTime,
        lease_until: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<OutboxRow>> {
        let claimed = match conn {
            DbConn::Pg(c) => email_outbox::table
                .filter(email_outbox::status.eq(OutboxStatus::Queued))
                .filter(email_outbox::next_attempt_at.le(now))
                .order((email_outbox::next_attempt_at.asc(), email_outbox::id.asc()))
                .limit(limit)
                .select(OutboxRow::as_select())
                .for_update()
                .skip_locked()
                .load(c)?,
            DbConn::Sqlite(_) => Self::due(conn, now, limit)?,
        };
        let ids: Vec<i64> = claimed.iter().map(|row| row.id).collect();
        let n = diesel::update(
            email_outbox::table
                .filter(email_outbox::id.eq_any(&ids))
                .filter(email_outbox::status.eq(OutboxStatus::Queued))
                .filter(email_outbox::next_attempt_at.le(now)),
        )
        .set(email_outbox::next_attempt_at.eq(lease_until))
        .execute(conn)?;
        // Rows read and leased in one transaction (locked on PostgreSQL, by the one writer on
        // SQLite): none can have moved in between.
        debug_assert_eq!(n, ids.len());
        Ok(claimed)
    }

    /// The earliest future attempt among queued emails, so the worker knows how long to sleep.
    pub fn next_attempt(conn: &mut DbConn) -> QueryResult<Option<NaiveDateTime>> {
        email_outbox::table
            .filter(email_outbox::status.eq(OutboxStatus::Queued))
            .select(diesel::dsl::min(email_outbox::next_attempt_at))
            .first(conn)
    }

    /// Marks emails sent and forgets their link secrets and their bodies (the templates'
    /// context: names, question texts). What the email status shows stays: kind, status, times.
    /// One statement for a whole pass of the worker.
    pub fn mark_sent(conn: &mut DbConn, ids: &[i64], now: NaiveDateTime) -> QueryResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        diesel::update(email_outbox::table.filter(email_outbox::id.eq_any(ids)))
            .set((
                email_outbox::status.eq(OutboxStatus::Sent),
                email_outbox::sent_at.eq(Some(now)),
                email_outbox::link_token.eq(None::<String>),
                email_outbox::params.eq("{}"),
                email_outbox::attempts.eq(email_outbox::attempts + 1),
                email_outbox::last_error.eq(None::<String>),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Records a failed attempt: retried at `retry_at`, or failed for good when `None`.
    pub fn mark_attempt_failed(
        conn: &mut DbConn,
        id: i64,
        error: &str,
        retry_at: Option<NaiveDateTime>,
    ) -> QueryResult<()> {
        let attempts = email_outbox::attempts + 1;
        match retry_at {
            Some(at) => diesel::update(email_outbox::table.find(id))
                .set((
                    email_outbox::attempts.eq(attempts),
                    email_outbox::last_error.eq(error),
                    email_outbox::next_attempt_at.eq(at),
                ))
                .execute(conn),
            None => diesel::update(email_outbox::table.find(id))
                .set((
                    email_outbox::attempts.eq(attempts),
                    email_outbox::last_error.eq(error),
                    email_outbox::status.eq(OutboxStatus::Failed),
                    email_outbox::link_token.eq(None::<String>),
                ))
                .execute(conn),
        }
        .map(|_| ())
    }

    /// The latest email of each participant of a relay.
    pub fn latest_per_participant(
        conn: &mut DbConn,
        relay_id: i64,
    ) -> QueryResult<HashMap<i64, OutboxRow>> {
        let rows: Vec<OutboxRow> = email_outbox::table
            .filter(email_outbox::relay_id.eq(relay_id))
            .order(email_outbox::id.asc())
            .select(OutboxRow::as_select())
            .load(conn)?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.participant_id.map(|p| (p, r)))
            .collect())
    }

    /// The latest email to one participant of `relay_id`.
    pub fn latest_for(
        conn: &mut DbConn,
        relay_id: i64,
        participant_id: i64,
    ) -> QueryResult<Option<OutboxRow>> {
        email_outbox::table
            .filter(email_outbox::relay_id.eq(relay_id))
            .filter(email_outbox::participant_id.eq(participant_id))
            .order(email_outbox::id.desc())
            .select(OutboxRow::as_select())
            .first(conn)
            .optional()
    }

    /// Every email to one participant, oldest first.
    pub fn for_participant(conn: &mut DbConn, participant_id: i64) -> QueryResult<Vec<OutboxRow>> {
        email_outbox::table
            .filter(email_outbox::participant_id.eq(participant_id))
            .order(email_outbox::id.asc())
            .select(OutboxRow::as_select())
            .load(conn)
    }

    /// Deletes every email of these participants; returns how many.
    pub fn delete_for_participants(conn: &mut DbConn, ids: &[i64]) -> QueryResult<usize> {
        diesel::delete(email_outbox::table.filter(email_outbox::participant_id.eq_any(ids)))
            .execute(conn)
    }

    /// Whether the body of this email was dropped when it was sent.
    pub fn body_dropped(&self) -> bool {
        self.params.trim() == "{}"
    }

    /// The latest email of one of `kinds` to one participant of `relay_id`.
    pub fn latest_of_kinds(
        conn: &mut DbConn,
        relay_id: i64,
        participant_id: i64,
        kinds: &[&str],
    ) -> QueryResult<Option<OutboxRow>> {
        email_outbox::table
            .filter(email_outbox::relay_id.eq(relay_id))
            .filter(email_outbox::participant_id.eq(participant_id))
            .filter(email_outbox::kind.eq_any(kinds))
            .order(email_outbox::id.desc())
            .select(OutboxRow::as_select())
            .first(conn)
            .optional()
    }

    /// Emails of a relay counted by status.
    pub fn counts(conn: &mut DbConn, relay_id: i64) -> QueryResult<Vec<(OutboxStatus, i64)>> {
        email_outbox::table
            .filter(email_outbox::relay_id.eq(relay_id))
            .group_by(email_outbox::status)
            .select((email_outbox::status, diesel::dsl::count_star()))
            .load(conn)
    }
}

/// In the due index's own order, so a pass reads `limit` rows of it: ordered by id, SQLite
/// read and sorted every due row, and a backlog made each pass slower than the last.
fn due_query(now: NaiveDateTime, limit: i64) -> email_outbox::BoxedQuery<'static, MultiBackend> {
    email_outbox::table
        .filter(email_outbox::status.eq(OutboxStatus::Queued))
        .filter(email_outbox::next_attempt_at.le(now))
        .order((email_outbox::next_attempt_at.asc(), email_outbox::id.asc()))
        .limit(limit)
        .into_boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tests::{migrated, plan};

    #[test]
    fn a_pass_reads_only_the_rows_it_sends() {
        let (_dir, mut conn) = migrated();
        let now = chrono::DateTime::UNIX_EPOCH.naive_utc();
        let plan = plan(&mut conn, &due_query(now, 100));
        assert!(plan.contains("USING INDEX email_outbox_due"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}

/// The parameters of an email's own columns, in the order both inserts name them:
/// idempotency key, relay, participant, kind, address, template context (`params`, as JSON).
fn columns<'a>(email: &'a NewEmail<'_>, params: &'a str) -> [Param<'a>; 6] {
    [
        Param::Text(&email.idempotency_key),
        Param::MaybeInt(email.relay_id),
        Param::MaybeInt(email.participant_id),
        Param::Text(email.kind),
        Param::Text(email.to_address),
        Param::Text(params),
    ]
}

/// A link's credential and whether its email was queued, as [`OutboxRow::enqueue_with_link`]
/// reads them.
#[derive(QueryableByName)]
struct Linked {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    queued: i64,
}
