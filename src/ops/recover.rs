//! A participant who lost their link asks for a fresh one by email (SPEC §4, `/p/recover`).

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::db::DbConn;
use crate::db::events::Audience;
use crate::db::outbox::OutboxRow;
use crate::db::participants::ParticipantRow;
use crate::db::relays::RelayRow;
use crate::email::render::EmailKind;
use crate::error::AppError;
use crate::ops::{notify, participants};
use crate::relay::EventKind;

/// Emails a fresh link to `email` for each open or scheduled relay it takes part in (not
/// suspended): the relay's opening email again (its invitation while it is scheduled), with a
/// new link that supersedes the older ones. Each relay's facilitator sees a `link_recovered`
/// event. Returns how many links went out, which the caller must not tell the asker (the
/// answer is the same whether or not the address is known).
pub fn send_fresh_links(
    conn: &mut DbConn,
    email: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let email = email.trim().to_lowercase();
    let mut sent = 0;
    for (p, relay) in ParticipantRow::live_by_email(conn, &email)? {
        if !send_again(conn, &relay, &p, now)? {
            continue;
        }
        notify::event(
            conn,
            relay.id,
            Audience::Staff,
            EventKind::LinkRecovered,
            json!({ "participant_id": p.id }),
            now,
        )?;
        sent += 1;
    }
    Ok(sent)
}

/// Sends `p` their relay's opening or invitation email again, or else the latest email they
/// had; false when nothing was ever sent to them (no link to lose).
fn send_again(
    conn: &mut DbConn,
    relay: &RelayRow,
    p: &ParticipantRow,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let welcome = [EmailKind::Opening.as_str(), EmailKind::Invitation.as_str()];
    let last = match OutboxRow::latest_of_kinds(conn, relay.id, p.id, &welcome)? {
        Some(row) => Some(row),
        None => OutboxRow::latest_for(conn, relay.id, p.id)?,
    };
    let Some(last) = last else {
        return Ok(false);
    };
    participants::email_again(conn, relay, p, &last, "recover", now)?;
    Ok(true)
}
