//! A participant who lost their link asks for a fresh one by email (SPEC §4, `/p/recover`).

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::db::DbConn;
use crate::db::events::Audience;
use crate::db::participants::ParticipantRow;
use crate::error::AppError;
use crate::ops::{notify, participants};
use crate::relay::EventKind;

/// Emails a fresh link to `email` for each open or scheduled relay it takes part in (not
/// suspended): their latest email again, with a new link that supersedes the older ones. Each
/// relay's facilitator sees a `link_recovered` event. Returns how many links went out, which
/// the caller must not tell the asker (the answer is the same whether or not the address is
/// known).
pub fn send_fresh_links(
    conn: &mut DbConn,
    email: &str,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let email = email.trim().to_lowercase();
    let mut sent = 0;
    for (p, relay) in ParticipantRow::live_by_email(conn, &email)? {
        match participants::resend_latest(conn, relay.id, p.id, now) {
            Ok(_) => {}
            // Nothing sent to them yet: they have no link to lose.
            Err(e) if e.code() == "no_email" => continue,
            Err(e) => return Err(e),
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
