//! Stored credentials: only hashes of secrets, with what they grant.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::credentials;

/// What a credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// Browser session of a staff user (cookie).
    StaffSession,
    /// Long-lived staff API token (bearer).
    ApiToken,
    /// A participant's magic link, also usable as a bearer token.
    ParticipantLink,
    /// A participant's browser session after redeeming a link (cookie).
    ParticipantSession,
}

impl CredentialKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StaffSession => "staff_session",
            Self::ApiToken => "api_token",
            Self::ParticipantLink => "participant_link",
            Self::ParticipantSession => "participant_session",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::StaffSession,
            Self::ApiToken,
            Self::ParticipantLink,
            Self::ParticipantSession,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
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

/// Stores a credential's hash.
pub fn insert(
    conn: &mut DbConn,
    token_hash: &str,
    kind: CredentialKind,
    staff_user_id: Option<i64>,
    participant_id: Option<i64>,
    now: NaiveDateTime,
    expires_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::insert_into(credentials::table)
        .values((
            credentials::token_hash.eq(token_hash),
            credentials::kind.eq(kind.as_str()),
            credentials::staff_user_id.eq(staff_user_id),
            credentials::participant_id.eq(participant_id),
            credentials::created_at.eq(now),
            credentials::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The credential with this hash, if any.
pub fn by_hash(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<Credential>> {
    type Row = (i64, String, Option<i64>, Option<i64>, Option<NaiveDateTime>);
    let row: Option<Row> = credentials::table
        .filter(credentials::token_hash.eq(token_hash))
        .select((
            credentials::id,
            credentials::kind,
            credentials::staff_user_id,
            credentials::participant_id,
            credentials::expires_at,
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.and_then(|(id, kind, staff_user_id, participant_id, expires_at)| {
            Some(Credential {
                id,
                kind: CredentialKind::parse(&kind)?,
                staff_user_id,
                participant_id,
                expires_at,
            })
        }),
    )
}

/// Deletes the credential with this hash (logout).
pub fn delete_by_hash(conn: &mut DbConn, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(credentials::table.filter(credentials::token_hash.eq(token_hash))).execute(conn)
}
