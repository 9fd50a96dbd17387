//! Views that several routes and the websocket share: a relay and its rounds as staff see them,
//! a participant as the facilitator sees them, an event as the feeds send it, and an
//! organisation in a member's list. Each shape is built here and nowhere else.
//!
//! Fields are declared in alphabetical order, the order the responses always had.

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::db::events::EventRow;
use crate::db::from_db;
use crate::db::orgs::OrgRow;
use crate::db::outbox::{OutboxRow, OutboxStatus};
use crate::db::participants::ParticipantRow;
use crate::db::relays::RelayRow;
use crate::db::rounds::RoundRow;
use crate::relay::{EventKind, RelaySettings, RelayState, StaffRole, rounds};

/// A round, numbered from 1.
#[derive(Debug, Clone, Serialize)]
pub struct RoundView {
    pub ends_at: DateTime<Utc>,
    pub id: i64,
    pub name: String,
    pub position: i32,
    pub prompt: Option<String>,
    pub starts_at: DateTime<Utc>,
}

/// `r` as clients see it.
pub fn round(r: &RoundRow) -> RoundView {
    RoundView {
        ends_at: from_db(r.ends_at),
        id: r.id,
        name: r.name.clone(),
        position: r.position + 1,
        prompt: r.prompt.clone(),
        starts_at: from_db(r.starts_at),
    }
}

/// The 1-based number of the round running at `now`, if any.
pub fn current_round(round_rows: &[RoundRow], now: DateTime<Utc>) -> Option<i32> {
    let list: Vec<_> = round_rows.iter().map(RoundRow::to_round).collect();
    rounds::current(&list, now).map(|i| i as i32 + 1)
}

/// A relay as staff see it: its texts, schedule, settings and privacy notice.
#[derive(Debug, Clone, Serialize)]
pub struct RelayView {
    pub closed_at: Option<DateTime<Utc>>,
    pub controller: String,
    pub created_at: DateTime<Utc>,
    pub current_round: Option<i32>,
    pub ends_at: Option<DateTime<Utc>>,
    pub erase_at: Option<DateTime<Utc>>,
    pub erased_at: Option<DateTime<Utc>>,
    pub id: i64,
    pub language: String,
    pub opened_at: Option<DateTime<Utc>>,
    pub org_id: Option<i64>,
    pub privacy_contact: String,
    pub privacy_text: String,
    pub purpose: String,
    pub rounds: Vec<RoundView>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub settings: RelaySettings,
    pub starts_at: Option<DateTime<Utc>>,
    pub state: RelayState,
    pub timezone: String,
    pub title: String,
    pub topic: String,
    pub updated_at: DateTime<Utc>,
}

/// Relay `r` with its rounds, as staff see it at `now`.
pub fn relay(r: &RelayRow, round_rows: &[RoundRow], now: DateTime<Utc>) -> RelayView {
    RelayView {
        closed_at: r.closed_at.map(from_db),
        controller: r.controller.clone(),
        created_at: from_db(r.created_at),
        current_round: current_round(round_rows, now),
        ends_at: round_rows.last().map(|x| from_db(x.ends_at)),
        erase_at: r.erase_at().map(from_db),
        erased_at: r.erased_at.map(from_db),
        id: r.id,
        language: r.language.clone(),
        opened_at: r.opened_at.map(from_db),
        org_id: r.org_id,
        privacy_contact: r.privacy_contact.clone(),
        privacy_text: r.privacy_text.clone(),
        purpose: r.purpose.clone(),
        rounds: round_rows.iter().map(round).collect(),
        scheduled_at: r.scheduled_at.map(from_db),
        settings: r.settings(),
        starts_at: round_rows.first().map(|x| from_db(x.starts_at)),
        state: r.state,
        timezone: r.timezone.clone(),
        title: r.title.clone(),
        topic: r.topic.clone(),
        updated_at: from_db(r.updated_at),
    }
}

/// The latest email of a participant, as the facilitator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct EmailStatusView {
    pub attempts: i32,
    pub error: Option<String>,
    pub kind: String,
    pub queued_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub status: OutboxStatus,
}

/// Email `o`'s delivery as the facilitator sees it.
pub fn email_status(o: &OutboxRow) -> EmailStatusView {
    EmailStatusView {
        attempts: o.attempts,
        error: o.last_error.clone(),
        kind: o.kind.clone(),
        queued_at: from_db(o.created_at),
        sent_at: o.sent_at.map(from_db),
        status: o.status,
    }
}

/// A participant as the facilitator sees them, with their question counts.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantView {
    pub answered: i64,
    pub asked: i64,
    pub batons: i32,
    /// None once erased: an erased participant's address is a placeholder that is no address.
    pub email: Option<String>,
    pub erased_at: Option<DateTime<Utc>>,
    pub group: String,
    pub id: i64,
    pub latest_email: Option<EmailStatusView>,
    pub name: String,
    pub organisation: Option<String>,
    pub pending: i64,
    pub pseudonym: String,
    pub received: i64,
    /// `active` or `suspended`.
    pub status: &'static str,
    pub title: Option<String>,
}

/// Participant `p` of group `group`, with `counts` (asked, received, answered, pending) and their
/// latest email.
pub fn participant(
    p: &ParticipantRow,
    group: &str,
    counts: (i64, i64, i64, i64),
    email: Option<&OutboxRow>,
) -> ParticipantView {
    let (asked, received, answered, pending) = counts;
    ParticipantView {
        answered,
        asked,
        batons: p.batons,
        email: p.erased_at.is_none().then(|| p.email.clone()),
        erased_at: p.erased_at.map(from_db),
        group: group.to_owned(),
        id: p.id,
        latest_email: email.map(email_status),
        name: p.name.clone(),
        organisation: p.organisation.clone(),
        pending,
        pseudonym: p.pseudonym.clone(),
        received,
        status: if p.is_suspended {
            "suspended"
        } else {
            "active"
        },
        title: p.title.clone(),
    }
}

/// An event as the feeds send it, over HTTP and websockets alike: `{created_at, data, id,
/// type}`. It borrows its row: the websocket hub serialises one per event and listener batch.
#[derive(Debug, Clone, Serialize)]
pub struct EventView<'a> {
    pub created_at: DateTime<Utc>,
    /// The stored data as it is: it was written compact from a JSON value, so it needs no
    /// re-encoding.
    pub data: &'a RawValue,
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: EventKind,
}

/// Event `e` as the feeds send it.
pub fn event(e: &EventRow) -> EventView<'_> {
    EventView {
        created_at: from_db(e.created_at),
        // Data that is not JSON (never written by this program) is sent as null, as it always was.
        data: serde_json::from_str(&e.data).unwrap_or(RawValue::NULL),
        id: e.id,
        kind: e.kind,
    }
}

/// A feed's events, serialised as a list of [`EventView`]s straight from their rows.
pub struct EventList(pub Vec<EventRow>);

impl Serialize for EventList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(event))
    }
}

/// An organisation as its member sees it in a list, with their role in it.
#[derive(Debug, Clone, Serialize)]
pub struct OrgView {
    pub id: i64,
    pub name: String,
    pub require_totp: bool,
    pub role: StaffRole,
}

/// Organisation `o`, where the caller has `role`.
pub fn org(o: &OrgRow, role: StaffRole) -> OrgView {
    OrgView {
        id: o.id,
        name: o.name.clone(),
        require_totp: o.require_totp,
        role,
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde_json::json;

    use super::*;

    fn event_row(data: &str) -> EventRow {
        EventRow {
            id: 7,
            relay_id: 1,
            participant_id: None,
            kind: EventKind::RoundStarted,
            data: data.to_owned(),
            created_at: NaiveDate::from_ymd_opt(2026, 11, 30)
                .unwrap()
                .and_hms_opt(5, 6, 7)
                .unwrap(),
        }
    }

    #[test]
    fn an_event_is_sent_as_the_feeds_always_sent_it() {
        // The text the feeds sent when the event went through a `serde_json::Value`: keys
        // sorted, the stored data as it was written (compact, from a value).
        let data = json!({ "round": 2, "name": "Anden runde", "ends_at": null }).to_string();
        let text = serde_json::to_string(&event(&event_row(&data))).unwrap();
        let through_value = json!({
            "id": 7,
            "type": "round_started",
            "created_at": "2026-11-30T05:06:07Z",
            "data": serde_json::from_str::<serde_json::Value>(&data).unwrap(),
        });
        assert_eq!(text, through_value.to_string());
    }

    #[test]
    fn an_event_whose_data_is_not_json_is_sent_with_null_data() {
        let text = serde_json::to_string(&event(&event_row("{not json"))).unwrap();
        assert_eq!(
            text,
            r#"{"created_at":"2026-11-30T05:06:07Z","data":null,"id":7,"type":"round_started"}"#
        );
        let list = serde_json::to_string(&EventList(vec![event_row("[1]")])).unwrap();
        assert_eq!(
            list,
            r#"[{"created_at":"2026-11-30T05:06:07Z","data":[1],"id":7,"type":"round_started"}]"#
        );
    }
}
