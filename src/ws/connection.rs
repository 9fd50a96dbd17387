//! One websocket connection: replay on request, live events after, heartbeats, and no gap or
//! duplicate at the seam between them.
//!
//! The connection subscribes to the hub before it reads the log, so an event committed during
//! a replay is either in the replay or queued live; `last_sent` drops whichever copy comes
//! second.

use std::time::{Duration, Instant};

use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use tokio::sync::mpsc;

use super::hub::{Feed, Hub, Outgoing, event_json, max_event_id};
use super::messages::{ClientMsg, error_frame};
use crate::db::{Db, events};

/// How often the server pings.
pub const PING_EVERY: Duration = Duration::from_secs(5);
/// Silence after which a client counts as gone.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends every event of `feed` after `since` (paging through the log); returns the last id sent.
async fn replay(session: &mut Session, db: &Db, feed: Feed, since: i64) -> Result<i64, ()> {
    let mut from = since;
    loop {
        let page = db
            .read(move |conn| {
                Ok(match feed {
                    Feed::Participant(p) => events::for_participant(conn, p, from)?,
                    Feed::Staff(r) => events::for_staff(conn, r, from)?,
                })
            })
            .await
            .map_err(|_| ())?;
        let Some(last) = page.last().map(|e| e.id) else {
            return Ok(from);
        };
        for e in &page {
            session.text(event_json(e)).await.map_err(|_| ())?;
        }
        from = last;
        if (page.len() as i64) < events::PAGE {
            return Ok(from);
        }
    }
}

/// Runs a connection until the client leaves, times out, or falls too far behind.
pub async fn run(
    mut session: Session,
    mut stream: AggregatedMessageStream,
    hub: Hub,
    db: Db,
    feed: Feed,
    since: Option<i64>,
) {
    let (sub, mut live): (u64, mpsc::Receiver<Outgoing>) = hub.subscribe(feed);
    let start = match since {
        Some(s) => replay(&mut session, &db, feed, s).await,
        // Without `since` the connection starts at "now": what is already in the log is for
        // the page's first load, not for the live feed.
        None => db
            .read(|conn| Ok(max_event_id(conn)?))
            .await
            .map_err(|_| ()),
    };
    let mut last_sent = match start {
        Ok(id) => id,
        Err(()) => {
            hub.unsubscribe(feed, sub);
            let _ = session.close(None).await;
            return;
        }
    };
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut last_heard = Instant::now();
    let reason = loop {
        tokio::select! {
            next = live.recv() => match next {
                Some((id, text)) => {
                    if id > last_sent {
                        if session.text(&*text).await.is_err() {
                            break None;
                        }
                        last_sent = id;
                    }
                }
                None => break Some(CloseReason {
                    code: CloseCode::Again,
                    description: Some("too far behind; reconnect with since".into()),
                }),
            },
            msg = stream.recv() => match msg {
                Some(Ok(m)) => {
                    last_heard = Instant::now();
                    match m {
                        AggregatedMessage::Text(text) => match serde_json::from_str::<ClientMsg>(&text) {
                            Ok(ClientMsg { since }) => match replay(&mut session, &db, feed, since).await {
                                Ok(id) => last_sent = last_sent.max(id),
                                Err(()) => break None,
                            },
                            Err(e) => {
                                let frame = error_frame("bad_message", &format!("expected {{\"since\": ID}}: {e}"));
                                if session.text(frame).await.is_err() {
                                    break None;
                                }
                            }
                        },
                        AggregatedMessage::Ping(bytes) => {
                            if session.pong(&bytes).await.is_err() {
                                break None;
                            }
                        }
                        AggregatedMessage::Close(_) => break None,
                        AggregatedMessage::Pong(_) | AggregatedMessage::Binary(_) => {}
                    }
                }
                Some(Err(_)) => break Some(CloseReason { code: CloseCode::Protocol, description: None }),
                None => break None,
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > IDLE_TIMEOUT {
                    break Some(CloseReason { code: CloseCode::Away, description: Some("idle".into()) });
                }
                if session.ping(b"").await.is_err() {
                    break None;
                }
            }
        }
    };
    hub.unsubscribe(feed, sub);
    let _ = session.close(reason).await;
}
