//! Events and emails, written in the caller's transaction so they exist exactly when the change
//! that causes them does.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::db::credentials::{Credential, CredentialKind};
use crate::db::events::{Audience, EventRow};
use crate::db::outbox::{NewEmail, OutboxRow};
use crate::db::participants::ParticipantRow;
use crate::db::relays::RelayRow;
use crate::db::{DbConn, to_db};
use crate::email::render::EmailKind;
use crate::error::AppError;

/// Appends an event for `audience`.
pub fn event(
    conn: &mut DbConn,
    relay_id: i64,
    audience: Audience,
    kind: &str,
    data: Value,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    Ok(EventRow::append(
        conn,
        relay_id,
        audience,
        kind,
        &data,
        to_db(now),
    )?)
}

/// Queues an email of `kind` to `p` under `key`, with a fresh personal link in it. Suspended
/// participants get no email. A key already queued is ignored, so callers may repeat themselves.
pub fn email(
    conn: &mut DbConn,
    relay: &RelayRow,
    p: &ParticipantRow,
    kind: EmailKind,
    key: String,
    mut params: Value,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if p.is_suspended {
        return Ok(());
    }
    if let Value::Object(map) = &mut params {
        map.insert("relay_title".into(), json!(relay.title));
        map.insert("relay_topic".into(), json!(relay.topic));
        map.insert("participant_name".into(), json!(p.name));
        map.insert("language".into(), json!(relay.language));
    }
    // Each email carries its own link, so no secret ever has to be kept in the clear for
    // longer than it takes to send one email.
    let link = Credential::issue(
        conn,
        CredentialKind::ParticipantLink,
        None,
        Some(p.id),
        to_db(now),
        None,
    )?;
    let queued = OutboxRow::enqueue(
        conn,
        NewEmail {
            idempotency_key: key,
            relay_id: relay.id,
            participant_id: p.id,
            kind: kind.as_str(),
            to_address: &p.email,
            params,
            link_token: Some(link.token),
        },
        to_db(now),
    )?;
    if !queued {
        Credential::delete(conn, link.id)?;
    }
    Ok(())
}
