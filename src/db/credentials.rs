//! Stored credentials: only hashes of secrets, with what they grant. A token names its row by
//! id and proves itself with the secret (see `auth::tokens`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use subtle::ConstantTimeEq as _;

use super::schema::credentials;
use super::{DbConn, last_insert_id};
use crate::auth::access::{Holder, Standing};
use crate::auth::tokens;
use crate::relay::{RelayState, named_enum};

named_enum! {
    /// What a credential is.
    pub enum CredentialKind {
        /// Browser session of a staff user (cookie).
        StaffSession = "staff_session",
        /// Long-lived staff API token (bearer).
        ApiToken = "api_token",
        /// A participant's magic link, also usable as a bearer token.
        ParticipantLink = "participant_link",
        /// A participant's browser session after redeeming a link (cookie).
        ParticipantSession = "participant_session",
    }
}

/// A credential found by its hash.
#[derive(Debug, Clone)]
pub struct Credential {
    /// Row id.
    pub id: i64,
    /// What it is.
    pub kind: CredentialKind,
    /// The staff user it belongs to.
    pub staff_user_id: Option<i64>,
    /// The participant it belongs to.
    pub participant_id: Option<i64>,
    /// When it stops working, if ever.
    pub expires_at: Option<NaiveDateTime>,
}

/// A credential just stored, and the token that presents it.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Row id.
    pub id: i64,
    /// The token to hand out: shown once, never stored.
    pub token: String,
}

impl Credential {
    /// The staff user credential `id` belongs to, if it exists and is a staff credential.
    pub fn staff_user_of(conn: &mut DbConn, id: i64) -> QueryResult<Option<i64>> {
        credentials::table
            .find(id)
            .select(credentials::staff_user_id)
            .first::<Option<i64>>(conn)
            .optional()
            .map(Option::flatten)
    }

    /// Stores a new credential with a fresh secret, of which only a hash is kept.
    pub fn issue(
        conn: &mut DbConn,
        kind: CredentialKind,
        staff_user_id: Option<i64>,
        participant_id: Option<i64>,
        now: NaiveDateTime,
        expires_at: Option<NaiveDateTime>,
    ) -> QueryResult<Issued> {
        let secret = tokens::generate();
        diesel::insert_into(credentials::table)
            .values((
                credentials::token_hash.eq(tokens::hash(&secret)),
                credentials::kind.eq(kind),
                credentials::staff_user_id.eq(staff_user_id),
                credentials::participant_id.eq(participant_id),
                credentials::created_at.eq(now),
                credentials::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        let id = last_insert_id(conn)?;
        Ok(Issued {
            id,
            token: tokens::compose(id, &secret),
        })
    }

    /// The credential `token` presents, if it was issued and is still stored.
    pub fn find(conn: &mut DbConn, token: &str) -> QueryResult<Option<Credential>> {
        type Row = (
            String,
            CredentialKind,
            Option<i64>,
            Option<i64>,
            Option<NaiveDateTime>,
        );
        let Some((id, secret)) = tokens::split(token) else {
            return Ok(None);
        };
        let row: Option<Row> = credentials::table
            .find(id)
            .select((
                credentials::token_hash,
                credentials::kind,
                credentials::staff_user_id,
                credentials::participant_id,
                credentials::expires_at,
            ))
            .first(conn)
            .optional()?;
        // Constant time, so a guess learns nothing from how long the refusal took.
        let matches = |hash: &String| -> bool {
            hash.as_bytes()
                .ct_eq(tokens::hash(secret).as_bytes())
                .into()
        };
        Ok(row.filter(|(hash, ..)| matches(hash)).map(
            |(_, kind, staff_user_id, participant_id, expires_at)| Credential {
                id,
                kind,
                staff_user_id,
                participant_id,
                expires_at,
            },
        ))
    }

    /// Deletes credential `id` (logout, or a link whose email turned out to be a repeat).
    pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
        diesel::delete(credentials::table.find(id)).execute(conn)
    }

    /// The [`Standing`] of each credential in `ids` that is still stored, by id, in one query: an
    /// open websocket's credential is re-checked this way while the socket stays open. A missing
    /// id was deleted (logout, revocation) or its holder was.
    pub fn standings(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, Standing)>> {
        use super::schema::{participants, relays, staff_users};
        type Row = (
            i64,
            Option<NaiveDateTime>,
            Option<bool>,
            Option<bool>,
            Option<RelayState>,
            Option<NaiveDateTime>,
        );
        let mut out = Vec::with_capacity(ids.len());
        // Well under SQLite's limit on bound parameters.
        for chunk in ids.chunks(500) {
            let rows: Vec<Row> = credentials::table
                .left_join(
                    staff_users::table
                        .on(credentials::staff_user_id.eq(staff_users::id.nullable())),
                )
                .left_join(
                    participants::table
                        .on(credentials::participant_id.eq(participants::id.nullable())),
                )
                .left_join(
                    relays::table.on(relays::id.nullable().eq(participants::relay_id.nullable())),
                )
                .filter(credentials::id.eq_any(chunk))
                .select((
                    credentials::id,
                    credentials::expires_at,
                    staff_users::is_suspended.nullable(),
                    participants::is_suspended.nullable(),
                    relays::state.nullable(),
                    relays::closed_at.nullable(),
                ))
                .load(conn)?;
            out.extend(rows.into_iter().filter_map(
                |(id, expires_at, staff, participant, relay_state, closed_at)| {
                    let holder = match (staff, participant, relay_state) {
                        (Some(suspended), _, _) => Holder::Staff { suspended },
                        (None, Some(suspended), Some(state)) => Holder::Participant {
                            suspended,
                            relay_state: state,
                            closed_at,
                        },
                        _ => return None,
                    };
                    Some((id, Standing { expires_at, holder }))
                },
            ));
        }
        Ok(out)
    }
}
