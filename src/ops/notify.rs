//! Events and emails, written in the caller's transaction so they exist exactly when the change
//! that causes them does.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::db::events::{Audience, EventRow};
use crate::db::outbox::{NewEmail, OutboxRow};
use crate::db::participants::ParticipantRow;
use crate::db::relays::RelayRow;
use crate::db::{DbConn, to_db};
use crate::email::render::EmailKind;
use crate::error::AppError;
use crate::relay::EventKind;

/// Appends an event for `audience`.
pub fn event(
    conn: &mut DbConn,
    relay_id: i64,
    audience: Audience,
    kind: EventKind,
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

/// The events one write appends to a relay's feeds, kept until [`Events::append`] inserts them
/// all in one statement: a write that tells three people costs one round trip under the relay's
/// lock, not three. Dropped unwritten when the write fails before appending them, as its
/// transaction would have undone them.
#[derive(Debug)]
#[must_use = "events are written only by `append`"]
pub struct Events {
    relay_id: i64,
    now: DateTime<Utc>,
    list: Vec<(Audience, EventKind, String)>,
}

impl Events {
    /// No events yet, for relay `relay_id` at `now`.
    pub fn new(relay_id: i64, now: DateTime<Utc>) -> Self {
        Self {
            relay_id,
            now,
            list: Vec::new(),
        }
    }

    /// Adds an event for `audience`; the ids follow the order of the calls.
    pub fn add(&mut self, audience: Audience, kind: EventKind, data: Value) {
        self.list.push((audience, kind, data.to_string()));
    }

    /// Writes the events in the caller's transaction.
    pub fn append(self, conn: &mut DbConn) -> Result<(), AppError> {
        Ok(EventRow::append_all(
            conn,
            self.relay_id,
            &self.list,
            to_db(self.now),
        )?)
    }
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
    OutboxRow::enqueue_with_link(
        conn,
        NewEmail {
            idempotency_key: key,
            relay_id: Some(relay.id),
            participant_id: Some(p.id),
            kind: kind.as_str(),
            to_address: &p.email,
            params,
            link_token: None,
        },
        p.id,
        to_db(now),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use crate::relay::EventKind;

    /// The arguments of every call to `callee` in `src`, split at top-level commas; mentions in
    /// comments and strings are not calls.
    fn calls<'a>(src: &'a str, callee: &str) -> Vec<Vec<&'a str>> {
        let mut found = Vec::new();
        for (at, _) in src.match_indices(callee) {
            let line = &src[src[..at].rfind('\n').map_or(0, |n| n + 1)..at];
            if line.ends_with('"') || line.contains("//") {
                continue;
            }
            let start = at + callee.len();
            let (mut depth, mut in_str, mut escaped, mut from) = (0, false, false, start);
            let mut args = Vec::new();
            for (i, c) in src[start..].char_indices().map(|(i, c)| (start + i, c)) {
                match c {
                    _ if escaped => escaped = false,
                    '\\' if in_str => escaped = true,
                    '"' => in_str = !in_str,
                    _ if in_str => {}
                    '(' | '[' | '{' => depth += 1,
                    ')' if depth == 0 => {
                        args.push(src[from..i].trim());
                        break;
                    }
                    ')' | ']' | '}' => depth -= 1,
                    ',' if depth == 0 => {
                        args.push(src[from..i].trim());
                        from = i + 1;
                    }
                    _ => {}
                }
            }
            args.retain(|a| !a.is_empty());
            found.push(args);
        }
        found
    }

    /// Every (kind, goes to staff) pair the code appends, read from the calls that append
    /// events (`notify::event` and `EventRow::append`: audience third, kind fourth; an
    /// [`super::Events`] named `events`: `events.add(audience, kind, …)`).
    fn appended() -> BTreeSet<(&'static str, bool)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![root];
        let mut pairs = BTreeSet::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            // (callee, index of the audience argument); the kind follows the audience.
            let callees = [
                ("notify::event(", 2),
                ("EventRow::append(", 2),
                ("events.add(", 0),
            ];
            for (args, at) in callees
                .iter()
                .flat_map(|(callee, at)| calls(&src, callee).into_iter().map(move |a| (a, *at)))
            {
                let site = format!("{}: ({})", path.display(), args.join(", "));
                // `notify::event` hands its caller's kind on to `EventRow::append`.
                if path.ends_with("ops/notify.rs") && args.get(at + 1) == Some(&"kind") {
                    continue;
                }
                let (Some(audience), Some(kind)) = (args.get(at), args.get(at + 1)) else {
                    panic!("cannot read the audience and kind of {site}");
                };
                let Some(kind) = EventKind::ALL
                    .iter()
                    .find(|k| format!("EventKind::{k:?}") == *kind)
                else {
                    panic!("the event kind is not an `EventKind::` variant: {site}");
                };
                let to_staff = match *audience {
                    "Audience::Staff" => true,
                    a if a.starts_with("Audience::Participant(") => false,
                    _ => panic!("cannot tell the audience of {site}"),
                };
                pairs.insert((kind.as_str(), to_staff));
            }
        }
        pairs
    }

    /// The feeds each kind declares (and `docs/EVENTS.md` lists) are exactly the feeds the code
    /// appends it to: the console labels the staff kinds from the declaration.
    #[test]
    fn every_event_kind_goes_to_exactly_the_feeds_it_declares() {
        let declared: BTreeSet<(&str, bool)> = EventKind::ALL
            .iter()
            .flat_map(|k| {
                let staff = k.for_staff().then_some((k.as_str(), true));
                let participants = k.for_participants().then_some((k.as_str(), false));
                staff.into_iter().chain(participants)
            })
            .collect();
        let appended = appended();
        assert_eq!(
            declared.difference(&appended).collect::<Vec<_>>(),
            Vec::<&(&str, bool)>::new(),
            "declared (kind, to staff) but never appended"
        );
        assert_eq!(
            appended.difference(&declared).collect::<Vec<_>>(),
            Vec::<&(&str, bool)>::new(),
            "appended (kind, to staff) but not declared"
        );
    }

    #[test]
    fn the_event_kinds_are_documented_with_their_feeds() {
        let doc =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/EVENTS.md"))
                .unwrap();
        for kind in EventKind::ALL {
            let feeds = match (kind.for_staff(), kind.for_participants()) {
                (true, true) => "staff, participant",
                (true, false) => "staff",
                (false, true) => "participant",
                (false, false) => panic!("{kind} goes to no feed"),
            };
            let heading = format!("### `{kind}` ({feeds})");
            assert!(doc.contains(&heading), "docs/EVENTS.md lacks {heading:?}");
        }
    }
}
