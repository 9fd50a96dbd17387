//! JSON shapes of the API's responses, built from rows.

use serde_json::{Value, json};

use crate::db::events::EventRow;
use crate::db::from_db;
use crate::db::outbox::OutboxRow;
use crate::db::participants::ParticipantRow;
use crate::db::relays::RelayRow;
use crate::db::rounds::RoundRow;
use crate::relay::rounds;

/// A round.
pub fn round(r: &RoundRow) -> Value {
    json!({
        "id": r.id,
        "position": r.position + 1,
        "name": r.name,
        "starts_at": from_db(r.starts_at),
        "ends_at": from_db(r.ends_at),
        "prompt": r.prompt,
    })
}

/// The 1-based number of the round running at `now`, if any.
pub fn current_round(round_rows: &[RoundRow], now: chrono::DateTime<chrono::Utc>) -> Option<i32> {
    let list: Vec<_> = round_rows.iter().map(RoundRow::to_round).collect();
    rounds::current(&list, now).map(|i| i as i32 + 1)
}

/// A relay as staff see it.
pub fn relay(r: &RelayRow, round_rows: &[RoundRow], now: chrono::DateTime<chrono::Utc>) -> Value {
    json!({
        "id": r.id,
        "org_id": r.org_id,
        "title": r.title,
        "topic": r.topic,
        "purpose": r.purpose,
        "language": r.language,
        "timezone": r.timezone,
        "state": r.state,
        "starts_at": round_rows.first().map(|x| from_db(x.starts_at)),
        "ends_at": round_rows.last().map(|x| from_db(x.ends_at)),
        "rounds": round_rows.iter().map(round).collect::<Vec<_>>(),
        "current_round": current_round(round_rows, now),
        "settings": r.settings(),
        "created_at": from_db(r.created_at),
        "updated_at": from_db(r.updated_at),
        "scheduled_at": r.scheduled_at.map(from_db),
        "opened_at": r.opened_at.map(from_db),
        "closed_at": r.closed_at.map(from_db),
        "controller": r.controller,
        "privacy_contact": r.privacy_contact,
        "privacy_text": r.privacy_text,
        "erase_at": r.erase_at().map(from_db),
        "erased_at": r.erased_at.map(from_db),
    })
}

/// A relay's privacy notice, as participants read it.
pub fn privacy(r: &RelayRow) -> Value {
    json!({
        "controller": r.controller,
        "privacy_contact": r.privacy_contact,
        "privacy_text": r.privacy_text,
        "retention_days": r.retention_days,
        "retention": r.retention,
        "erase_at": r.erase_at().map(from_db),
    })
}

/// The latest email of a participant, as the facilitator sees it.
pub fn email_status(o: &OutboxRow) -> Value {
    json!({
        "kind": o.kind,
        "status": o.status,
        "error": o.last_error,
        "attempts": o.attempts,
        "queued_at": from_db(o.created_at),
        "sent_at": o.sent_at.map(from_db),
    })
}

/// A participant as the facilitator sees it.
pub fn participant(
    p: &ParticipantRow,
    group: &str,
    counts: (i64, i64, i64, i64),
    email: Option<&OutboxRow>,
) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        // An erased participant's address is a placeholder that is no address.
        "email": if p.erased_at.is_some() { None } else { Some(&p.email) },
        "group": group,
        "title": p.title,
        "organisation": p.organisation,
        "pseudonym": p.pseudonym,
        "status": if p.is_suspended { "suspended" } else { "active" },
        "batons": p.batons,
        "asked": counts.0,
        "received": counts.1,
        "answered": counts.2,
        "pending": counts.3,
        "latest_email": email.map(email_status),
        "erased_at": p.erased_at.map(from_db),
    })
}

/// An event as the feeds send it, over HTTP and websockets alike: `{id, type, created_at, data}`.
pub fn event(e: &EventRow) -> Value {
    json!({
        "id": e.id,
        "type": e.kind,
        "created_at": from_db(e.created_at),
        "data": serde_json::from_str::<Value>(&e.data).unwrap_or_default(),
    })
}
