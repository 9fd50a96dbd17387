//! Relays: the row, its settings as the pure core sees them, and its queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use super::backend::RelayOf;
use super::schema::relays;
use super::{DbConn, backend};
use crate::relay::{RecipientChoice, RelaySettings, RelayState, Retention};

/// A relay row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, AsChangeset)]
#[diesel(table_name = relays, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct RelayRow {
    pub id: i64,
    pub title: String,
    pub topic: String,
    pub purpose: String,
    pub language: String,
    pub timezone: String,
    pub state: RelayState,
    pub recipient_choice: RecipientChoice,
    pub cross_group: bool,
    pub max_inbox: i32,
    pub batons_per_round: i32,
    pub max_batons: i32,
    pub asker_anonymous: bool,
    pub show_asker_group: bool,
    pub reminder_after_hours: i32,
    pub reroute_after_hours: i32,
    pub share_output: bool,
    pub seed: i64,
    pub rounds_started: i32,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub scheduled_at: Option<NaiveDateTime>,
    pub opened_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    /// Data controller named in the privacy notice.
    pub controller: String,
    /// Where participants turn about their data.
    pub privacy_contact: String,
    /// The privacy notice participants read before they write.
    pub privacy_text: String,
    pub retention_days: i32,
    pub retention: Retention,
    /// When retention erased the relay's personal data.
    pub erased_at: Option<NaiveDateTime>,
    /// The expected keywords, one per line.
    pub keywords: String,
    /// Its organisation (never null for a relay made since organisations exist, or migrated).
    pub org_id: Option<i64>,
}

/// A new relay.
#[derive(Debug, Insertable)]
#[diesel(table_name = relays)]
pub struct NewRelay {
    pub title: String,
    pub topic: String,
    pub purpose: String,
    pub language: String,
    pub timezone: String,
    pub state: RelayState,
    pub recipient_choice: RecipientChoice,
    pub cross_group: bool,
    pub max_inbox: i32,
    pub batons_per_round: i32,
    pub max_batons: i32,
    pub asker_anonymous: bool,
    pub show_asker_group: bool,
    pub reminder_after_hours: i32,
    pub reroute_after_hours: i32,
    pub share_output: bool,
    pub seed: i64,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub controller: String,
    pub privacy_contact: String,
    pub privacy_text: String,
    pub keywords: String,
    pub org_id: Option<i64>,
}

impl RelayRow {
    /// The rules as the pure core sees them.
    pub fn settings(&self) -> RelaySettings {
        RelaySettings {
            recipient_choice: self.recipient_choice,
            cross_group: self.cross_group,
            max_inbox: self.max_inbox.max(0) as u32,
            batons_per_round: self.batons_per_round.max(0) as u32,
            max_batons: self.max_batons.max(0) as u32,
            asker_anonymous: self.asker_anonymous,
            show_asker_group: self.show_asker_group,
            reminder_after_hours: self.reminder_after_hours.max(0) as u32,
            reroute_after_hours: self.reroute_after_hours.max(0) as u32,
            share_output: self.share_output,
            seed: self.seed as u64,
            retention_days: self.retention_days.max(0) as u32,
            retention: self.retention,
            keywords: self.keywords.lines().map(str::to_owned).collect(),
        }
    }

    /// Writes `s` into the row's settings columns.
    pub fn set_settings(&mut self, s: &RelaySettings) {
        self.recipient_choice = s.recipient_choice;
        self.cross_group = s.cross_group;
        self.max_inbox = s.max_inbox as i32;
        self.batons_per_round = s.batons_per_round as i32;
        self.max_batons = s.max_batons as i32;
        self.asker_anonymous = s.asker_anonymous;
        self.show_asker_group = s.show_asker_group;
        self.reminder_after_hours = s.reminder_after_hours as i32;
        self.reroute_after_hours = s.reroute_after_hours as i32;
        self.share_output = s.share_output;
        self.seed = s.seed as i64;
        self.keywords = s.keywords.join("\n");
        self.retention_days = s.retention_days as i32;
        self.retention = s.retention;
    }

    /// When retention will erase (or erased) the relay's personal data: `retention_days`
    /// after closing; none while the relay has not closed.
    pub fn erase_at(&self) -> Option<NaiveDateTime> {
        let closed = super::from_db(self.closed_at?);
        Some(super::to_db(crate::relay::retention::erase_at(
            closed,
            self.retention_days.max(0) as u32,
        )))
    }

    /// Closed relays whose personal data retention has not erased yet.
    pub fn awaiting_erasure(conn: &mut DbConn) -> QueryResult<Vec<RelayRow>> {
        relays::table
            .filter(relays::state.eq(RelayState::Closed))
            .filter(relays::erased_at.is_null())
            .select(RelayRow::as_select())
            .load(conn)
    }

    /// Deletes the relay row (its rounds, groups and the rest cascade or go first).
    pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
        diesel::delete(relays::table.find(id)).execute(conn)
    }

    /// Locks the row of the relay `of` names for the rest of the write: every write that
    /// belongs to a relay starts here (see `backend::lock_relay`).
    pub fn lock(conn: &mut DbConn, of: RelayOf) -> QueryResult<()> {
        backend::lock_relay(conn, of)
    }

    /// Locks the relay `of` names for the rest of the write, as [`RelayRow::lock`] does, and
    /// loads it in the same statement.
    pub fn lock_and_load(conn: &mut DbConn, of: RelayOf) -> QueryResult<RelayRow> {
        backend::lock_and_load_relay(conn, of)
    }

    /// Locks several relays' rows for the rest of the write, in ascending id order.
    pub fn lock_all(conn: &mut DbConn, ids: impl IntoIterator<Item = i64>) -> QueryResult<()> {
        backend::lock_relays(conn, ids)
    }

    /// Loads a relay.
    pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<RelayRow> {
        relays::table
            .find(id)
            .select(RelayRow::as_select())
            .first(conn)
    }

    /// All relays, newest first.
    pub fn list(conn: &mut DbConn) -> QueryResult<Vec<RelayRow>> {
        relays::table
            .order(relays::id.desc())
            .select(RelayRow::as_select())
            .load(conn)
    }

    /// The relays of `orgs`, and those of `granted`, newest first.
    pub fn visible(conn: &mut DbConn, orgs: &[i64], granted: &[i64]) -> QueryResult<Vec<RelayRow>> {
        relays::table
            .filter(
                relays::org_id
                    .eq_any(orgs.to_vec())
                    .or(relays::id.eq_any(granted.to_vec())),
            )
            .order(relays::id.desc())
            .select(RelayRow::as_select())
            .load(conn)
    }

    /// Relays the clock acts on.
    pub fn live(conn: &mut DbConn) -> QueryResult<Vec<RelayRow>> {
        relays::table
            .filter(relays::state.eq_any([RelayState::Scheduled, RelayState::Open]))
            .select(RelayRow::as_select())
            .load(conn)
    }

    /// Inserts a relay.
    pub fn insert(conn: &mut DbConn, new: NewRelay) -> QueryResult<RelayRow> {
        let id = super::backend::insert_id!(conn, relays, new)?;
        // Read back instead of `RETURNING`, which diesel cannot build for a connection that
        // may be either backend when the row type is selected by name.
        relays::table
            .find(id)
            .select(RelayRow::as_select())
            .get_result(conn)
    }

    /// Saves every column of the row.
    pub fn save(&self, conn: &mut DbConn) -> QueryResult<()> {
        diesel::update(relays::table.find(self.id))
            .set(self)
            .execute(conn)
            .map(|_| ())
    }
}
