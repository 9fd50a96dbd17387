//! Relays and their rounds.

use diesel::prelude::*;

use super::models::{NewRelay, NewRound, RelayRow, RoundRow};
use super::schema::{relays, rounds};
use super::{DbConn, from_db, to_db};
use crate::relay::{RecipientChoice, RelaySettings, RelayState, Round};

impl RelayRow {
    /// The lifecycle state.
    pub fn state(&self) -> RelayState {
        // unwrap_or: the column only ever holds names written by `RelayState::as_str`.
        RelayState::parse(&self.state).unwrap_or(RelayState::Draft)
    }

    /// The rules as the pure core sees them.
    pub fn settings(&self) -> RelaySettings {
        RelaySettings {
            recipient_choice: RecipientChoice::parse(&self.recipient_choice).unwrap_or_default(),
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
        }
    }

    /// Writes `s` into the row's settings columns.
    pub fn set_settings(&mut self, s: &RelaySettings) {
        self.recipient_choice = s.recipient_choice.as_str().into();
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

    /// Relays the clock acts on.
    pub fn live(conn: &mut DbConn) -> QueryResult<Vec<RelayRow>> {
        relays::table
            .filter(relays::state.eq_any(["scheduled", "open"]))
            .select(RelayRow::as_select())
            .load(conn)
    }

    /// Inserts a relay.
    pub fn insert(conn: &mut DbConn, new: NewRelay) -> QueryResult<RelayRow> {
        diesel::insert_into(relays::table)
            .values(new)
            .returning(RelayRow::as_returning())
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

impl RoundRow {
    /// The round as the pure core sees it.
    pub fn to_round(&self) -> Round {
        Round {
            name: self.name.clone(),
            starts_at: from_db(self.starts_at),
            ends_at: from_db(self.ends_at),
            prompt: self.prompt.clone(),
        }
    }

    /// A relay's rounds in order.
    pub fn for_relay(conn: &mut DbConn, relay_id: i64) -> QueryResult<Vec<RoundRow>> {
        rounds::table
            .filter(rounds::relay_id.eq(relay_id))
            .order(rounds::position.asc())
            .select(RoundRow::as_select())
            .load(conn)
    }

    /// Replaces a relay's rounds (only before any question refers to them).
    pub fn replace(conn: &mut DbConn, relay_id: i64, new: &[Round]) -> QueryResult<Vec<RoundRow>> {
        diesel::delete(rounds::table.filter(rounds::relay_id.eq(relay_id))).execute(conn)?;
        let rows: Vec<NewRound> = new
            .iter()
            .enumerate()
            .map(|(i, r)| NewRound {
                relay_id,
                position: i as i32,
                name: r.name.trim().to_string(),
                starts_at: to_db(r.starts_at),
                ends_at: to_db(r.ends_at),
                prompt: r.prompt.clone().filter(|p| !p.trim().is_empty()),
            })
            .collect();
        diesel::insert_into(rounds::table)
            .values(rows)
            .execute(conn)?;
        Self::for_relay(conn, relay_id)
    }

    /// Updates the times of existing rounds in place (when an early opening shifts them).
    pub fn retime(conn: &mut DbConn, rows: &[RoundRow], new: &[Round]) -> QueryResult<()> {
        for (row, r) in rows.iter().zip(new) {
            diesel::update(rounds::table.find(row.id))
                .set((
                    rounds::starts_at.eq(to_db(r.starts_at)),
                    rounds::ends_at.eq(to_db(r.ends_at)),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Updates the prompt of a round.
    pub fn set_prompt(conn: &mut DbConn, id: i64, prompt: Option<&str>) -> QueryResult<()> {
        diesel::update(rounds::table.find(id))
            .set(rounds::prompt.eq(prompt))
            .execute(conn)
            .map(|_| ())
    }
}
