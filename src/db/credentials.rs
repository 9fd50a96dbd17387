//! Stored credentials: only hashes of secrets, with what they grant. A token names its row by
//! id and proves itself with the secret (see `auth::tokens`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use subtle::ConstantTimeEq as _;

use super::DbConn;
use super::participants::ParticipantRow;
use super::relays::RelayRow;
use super::schema::{credentials, participants, relays};
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
    /// When it was issued.
    pub created_at: NaiveDateTime,
    /// When a use of it was last written down (at most once a minute; staff credentials only).
    pub last_used_at: Option<NaiveDateTime>,
    /// When a newer link was first issued to the same participant (participant links only).
    pub superseded_at: Option<NaiveDateTime>,
}

impl Credential {
    /// When this credential started idling: staff sessions end after a while without use,
    /// every other kind only at its expiry.
    pub fn idle_since(&self) -> Option<NaiveDateTime> {
        idle_since(self.kind, self.created_at, self.last_used_at)
    }
}

fn idle_since(
    kind: CredentialKind,
    created_at: NaiveDateTime,
    last_used_at: Option<NaiveDateTime>,
) -> Option<NaiveDateTime> {
    (kind == CredentialKind::StaffSession).then(|| last_used_at.unwrap_or(created_at))
}

/// A staff user's session or API token as its owner sees it in a listing (never the secret).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = credentials, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct OwnCredential {
    /// Row id.
    pub id: i64,
    /// The token's name (API tokens).
    pub name: Option<String>,
    /// When it was issued.
    pub created_at: NaiveDateTime,
    /// When it stops working.
    pub expires_at: Option<NaiveDateTime>,
    /// When a use was last written down.
    pub last_used_at: Option<NaiveDateTime>,
    /// The browser's `User-Agent` at sign-in (sessions).
    pub user_agent: Option<String>,
}

/// What describes a new credential besides its holder.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    /// An API token's name.
    pub name: Option<String>,
    /// A session's browser.
    pub user_agent: Option<String>,
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
        Self::issue_labelled(
            conn,
            kind,
            staff_user_id,
            participant_id,
            now,
            expires_at,
            Labels::default(),
        )
    }

    /// [`Credential::issue`] with a name or a browser to tell it apart from its siblings.
    pub fn issue_labelled(
        conn: &mut DbConn,
        kind: CredentialKind,
        staff_user_id: Option<i64>,
        participant_id: Option<i64>,
        now: NaiveDateTime,
        expires_at: Option<NaiveDateTime>,
        labels: Labels,
    ) -> QueryResult<Issued> {
        let secret = tokens::generate();
        let id = super::backend::insert_id!(
            conn,
            credentials,
            (
                credentials::token_hash.eq(tokens::hash(&secret)),
                credentials::kind.eq(kind),
                credentials::staff_user_id.eq(staff_user_id),
                credentials::participant_id.eq(participant_id),
                credentials::created_at.eq(now),
                credentials::expires_at.eq(expires_at),
                credentials::name.eq(labels.name),
                credentials::user_agent.eq(labels.user_agent),
            )
        )?;
        Ok(Issued {
            id,
            token: tokens::compose(id, &secret),
        })
    }

    /// The credential `token` presents, if it was issued and is still stored.
    pub fn find(conn: &mut DbConn, token: &str) -> QueryResult<Option<Credential>> {
        Ok(Self::present(conn, token)?.map(|(c, _)| c))
    }

    /// The credential `token` presents, with the participant it belongs to and their relay
    /// (none for a staff credential), if it was issued and is still stored.
    ///
    /// One statement, run on every request: the participant and relay come in by joins, and
    /// the link that supersedes a participant link (the first one issued to the same
    /// participant after it) by a subquery.
    pub fn present(conn: &mut DbConn, token: &str) -> QueryResult<Option<Presented>> {
        let Some((id, secret)) = tokens::split(token) else {
            return Ok(None);
        };
        let row: Option<PresentedRow> = credentials::table
            .left_join(
                participants::table.on(participants::id.nullable().eq(credentials::participant_id)),
            )
            .left_join(relays::table.on(relays::id.eq(participants::relay_id)))
            .filter(credentials::id.eq(id))
            .select((
                StoredCredential::as_select(),
                SupersededAt,
                Option::<ParticipantRow>::as_select(),
                Option::<RelayRow>::as_select(),
            ))
            .first(conn)
            .optional()?;
        // Constant time, so a guess learns nothing from how long the refusal took.
        let matches = |hash: &String| -> bool {
            hash.as_bytes()
                .ct_eq(tokens::hash(secret).as_bytes())
                .into()
        };
        let Some((row, superseded_at, participant, relay)) =
            row.filter(|(r, ..)| matches(&r.token_hash))
        else {
            return Ok(None);
        };
        let superseded_at = match (row.kind, row.participant_id) {
            (CredentialKind::ParticipantLink, Some(_)) => superseded_at,
            _ => None,
        };
        let credential = Credential {
            id,
            kind: row.kind,
            staff_user_id: row.staff_user_id,
            participant_id: row.participant_id,
            expires_at: row.expires_at,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            superseded_at,
        };
        Ok(Some((credential, participant.zip(relay))))
    }

    /// Deletes every credential of these participants (links and sessions); returns how many.
    pub fn delete_for_participants(conn: &mut DbConn, ids: &[i64]) -> QueryResult<usize> {
        diesel::delete(credentials::table.filter(credentials::participant_id.eq_any(ids)))
            .execute(conn)
    }

    /// Deletes credential `id` (logout, or a link whose email turned out to be a repeat).
    pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
        diesel::delete(credentials::table.find(id)).execute(conn)
    }

    /// Writes down a use of credential `id` at `now`.
    pub fn touch(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(credentials::table.find(id))
            .set(credentials::last_used_at.eq(now))
            .execute(conn)
    }

    /// The credentials of `kind` that staff user `user_id` holds and that have not expired by
    /// `now`, newest first.
    pub fn owned(
        conn: &mut DbConn,
        user_id: i64,
        kind: CredentialKind,
        now: NaiveDateTime,
    ) -> QueryResult<Vec<OwnCredential>> {
        credentials::table
            .filter(credentials::staff_user_id.eq(user_id))
            .filter(credentials::kind.eq(kind))
            .filter(
                credentials::expires_at
                    .is_null()
                    .or(credentials::expires_at.gt(now)),
            )
            .order(credentials::id.desc())
            .select(OwnCredential::as_select())
            .load(conn)
    }

    /// Deletes staff user `user_id`'s credential `id` of `kind`; 0 when it is someone else's,
    /// another kind, or gone.
    pub fn delete_owned(
        conn: &mut DbConn,
        user_id: i64,
        kind: CredentialKind,
        id: i64,
    ) -> QueryResult<usize> {
        diesel::delete(
            credentials::table
                .find(id)
                .filter(credentials::staff_user_id.eq(user_id))
                .filter(credentials::kind.eq(kind)),
        )
        .execute(conn)
    }

    /// Ends every browser session of staff user `user_id` but `keep` (a password change keeps
    /// the session it was made in).
    pub fn end_staff_sessions(
        conn: &mut DbConn,
        user_id: i64,
        keep: Option<i64>,
    ) -> QueryResult<usize> {
        diesel::delete(
            credentials::table
                .filter(credentials::staff_user_id.eq(user_id))
                .filter(credentials::kind.eq(CredentialKind::StaffSession))
                .filter(credentials::id.ne(keep.unwrap_or(0))),
        )
        .execute(conn)
    }

    /// The [`Standing`] of credential `id`, if it is still stored, for a move that checks its own
    /// credential (`auth::moves`): as its lane's group loaded it, or read here.
    pub fn standing_in_move(conn: &mut DbConn, id: i64) -> QueryResult<Option<Standing>> {
        if let Some(held) = super::held::credential(id) {
            return Ok(held);
        }
        Ok(Self::standings(conn, &[id])?.pop().map(|(_, s)| s))
    }

    /// The [`Standing`] of each credential in `ids` that is still stored, by id, in one query: an
    /// open websocket's credential is re-checked this way while the socket stays open. A missing
    /// id was deleted (logout, revocation) or its holder was.
    pub fn standings(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, Standing)>> {
        use super::schema::{participants, relays, staff_users};
        type Row = (
            i64,
            CredentialKind,
            Option<i64>,
            NaiveDateTime,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
            Option<bool>,
            Option<bool>,
            Option<RelayState>,
            Option<NaiveDateTime>,
        );
        let mut out = Vec::with_capacity(ids.len());
        // Well under SQLite's limit on bound parameters.
        for chunk in ids.chunks(500) {
            // The newer link of each is found by the database, one index probe per credential:
            // loading every link of these participants instead read dozens of rows per socket
            // (each email carries a link of its own), several times a second.
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
                    credentials::kind,
                    credentials::participant_id,
                    credentials::created_at,
                    credentials::last_used_at,
                    credentials::expires_at,
                    SupersededAt,
                    staff_users::is_suspended.nullable(),
                    participants::is_suspended.nullable(),
                    relays::state.nullable(),
                    relays::closed_at.nullable(),
                ))
                .load(conn)?;
            out.extend(rows.into_iter().filter_map(
                |(
                    id,
                    kind,
                    pid,
                    created_at,
                    last_used_at,
                    expires_at,
                    superseded_at,
                    staff,
                    participant,
                    relay_state,
                    closed_at,
                )| {
                    let holder = match (staff, participant, relay_state) {
                        (Some(suspended), _, _) => Holder::Staff { suspended },
                        (None, Some(suspended), Some(state)) => Holder::Participant {
                            suspended,
                            relay_state: state,
                            closed_at,
                        },
                        _ => return None,
                    };
                    let idle_since = idle_since(kind, created_at, last_used_at);
                    let superseded_at = match (kind, pid) {
                        (CredentialKind::ParticipantLink, Some(_)) => superseded_at,
                        _ => None,
                    };
                    Some((
                        id,
                        Standing {
                            expires_at,
                            idle_since,
                            superseded_at,
                            holder,
                        },
                    ))
                },
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    use diesel_migrations::MigrationHarness as _;

    use super::*;
    use crate::db::migrate::SQLITE;
    use crate::db::tests::{migrated, plan};

    #[test]
    fn checking_a_link_finds_the_newer_link_through_an_index() {
        let (_dir, mut conn) = migrated();
        let query = credentials::table
            .filter(credentials::id.eq_any([1_i64, 2]))
            .select((credentials::id, SupersededAt));
        let plan = plan(&mut conn, &query);
        assert!(plan.contains("credentials_participant_link"), "{plan}");
    }

    #[derive(QueryableByName)]
    struct Expiry {
        #[diesel(sql_type = Nullable<Timestamp>)]
        expires_at: Option<NaiveDateTime>,
        #[diesel(sql_type = Nullable<Text>)]
        name: Option<String>,
    }

    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }

    /// The migration `2026-11-30-020000_credentials` gives the API tokens of a database made by
    /// the previous release, which never expired, 90 days from the upgrade; sessions keep theirs.
    #[test]
    fn api_tokens_from_before_expiry_expire_ninety_days_after_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        let mut conn = DbConn::establish(path.to_str().unwrap()).unwrap();
        // Up to the release before this migration, whatever came after it.
        while !conn.pending_migrations(SQLITE).unwrap()[0]
            .name()
            .to_string()
            .starts_with("2026-11-30-020000")
        {
            conn.run_next_migration(SQLITE).unwrap();
        }
        diesel::sql_query(
            "INSERT INTO staff_users (email, role, password_hash, is_suspended, created_at) \
             VALUES ('a@b.dk', 'facilitator', 'x', 0, '2026-01-01 00:00:00')",
        )
        .execute(&mut conn)
        .unwrap();
        let user = diesel::sql_query("SELECT id FROM staff_users")
            .get_result::<Id>(&mut conn)
            .unwrap()
            .id;
        for (kind, expires) in [
            ("api_token", "NULL"),
            ("staff_session", "'2026-01-02 00:00:00'"),
        ] {
            diesel::sql_query(format!(
                "INSERT INTO credentials (token_hash, kind, staff_user_id, created_at, expires_at) \
                 VALUES ('h', '{kind}', {user}, '2026-01-01 00:00:00', {expires})"
            ))
            .execute(&mut conn)
            .unwrap();
        }

        conn.run_pending_migrations(SQLITE).unwrap();

        let rows: Vec<Expiry> =
            diesel::sql_query("SELECT expires_at, name FROM credentials ORDER BY id")
                .load(&mut conn)
                .unwrap();
        let token = rows[0].expires_at.expect("the token got an expiry");
        let in_days = (crate::db::from_db(token) - chrono::Utc::now()).num_hours();
        assert!((89 * 24..=90 * 24).contains(&in_days), "{in_days} hours");
        assert_eq!(rows[0].name.as_deref(), Some("token"));
        assert_eq!(
            rows[1].expires_at.map(|t| t.to_string()).as_deref(),
            Some("2026-01-02 00:00:00")
        );
    }
}

/// A credential, with the participant it belongs to and their relay when it is theirs, as
/// [`Credential::present`] finds it.
pub type Presented = (Credential, Option<(ParticipantRow, RelayRow)>);

/// What [`Credential::present`]'s statement reads: the credential, when a newer link superseded
/// it, and its participant and their relay.
type PresentedRow = (
    StoredCredential,
    Option<NaiveDateTime>,
    Option<ParticipantRow>,
    Option<RelayRow>,
);

/// A stored credential as [`Credential::present`] reads it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = credentials, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct StoredCredential {
    token_hash: String,
    kind: CredentialKind,
    staff_user_id: Option<i64>,
    participant_id: Option<i64>,
    expires_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    last_used_at: Option<NaiveDateTime>,
}

/// When the first participant link issued after the credential in the row was issued: a
/// subquery that refers to the row, which diesel's query builder cannot write. Its SQL never
/// changes, so the statement that holds it is prepared once per connection, as diesel's own
/// expressions are (a `sql` literal would make diesel parse the statement on every request).
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
struct SupersededAt;

impl diesel::Expression for SupersededAt {
    type SqlType = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>;
}

impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for SupersededAt {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql(
            "(SELECT n.created_at FROM credentials n \
             WHERE n.participant_id = credentials.participant_id AND n.kind = credentials.kind \
               AND n.id > credentials.id \
             ORDER BY n.id LIMIT 1)",
        );
        Ok(())
    }
}

impl<QS> diesel::AppearsOnTable<QS> for SupersededAt where
    credentials::id: diesel::AppearsOnTable<QS>
{
}

impl<QS> diesel::SelectableExpression<QS> for SupersededAt where
    credentials::id: diesel::SelectableExpression<QS>
{
}

impl diesel::expression::ValidGrouping<()> for SupersededAt {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}
