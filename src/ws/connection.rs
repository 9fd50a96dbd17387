//! One websocket connection: the events of its feed from the log and live, each id at most
//! once (see [`Cursor`] for what `since` means), heartbeats, and an end with a reason when its
//! credential stops granting access (see [`revocation`](super::revocation)).
//!
//! The connection subscribes to the hub before it reads the log, so an event committed while
//! it reads is either in what it read or queued live; the cursor drops whichever copy comes
//! second.

use std::time::{Duration, Instant};

use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use tokio::sync::oneshot;

use super::cursor::{Backfill, Cursor};
use super::hub::{Feed, Hub, Outgoing, Subscription, event_json};
use super::messages::{ClientMsg, error_frame};
use super::revocation::{Checker, may_end_access};
use crate::auth::access::Denied;
use crate::db::backend::RelayOf;
use crate::db::events::{self, EventRow};
use crate::error::AppError;

/// How often the server pings.
pub const PING_EVERY: Duration = Duration::from_secs(5);
/// Silence after which a client counts as gone.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// Who is connected: their feed, the credential they presented, and how to check it.
pub struct Peer {
    /// Whose events the connection gets.
    pub feed: Feed,
    /// The credential's id.
    pub credential: i64,
    /// Re-checks the credential.
    pub checker: Checker,
}

/// How a connection ends early.
enum Stop {
    /// The client is gone or the socket failed: nothing more to say.
    Gone,
    /// Close with this reason.
    Close(CloseReason),
}

impl From<Denied> for Stop {
    fn from(why: Denied) -> Self {
        Stop::Close(CloseReason {
            code: CloseCode::Policy,
            description: Some(why.reason().into()),
        })
    }
}

/// Sends `text` (event `id`) unless the cursor has covered it; first re-checks the credential
/// when the event may end access.
async fn send(
    session: &mut Session,
    peer: &Peer,
    cursor: &mut Cursor,
    out: &Outgoing,
) -> Result<(), Stop> {
    if out.id <= cursor.last() {
        return Ok(());
    }
    if out.recheck {
        peer.checker.check(peer.credential).await?;
    }
    cursor.admit(out.id);
    session.text(&*out.text).await.map_err(|_| Stop::Gone)
}

/// Sends the feed's events in `(after, upto]` from the log, in order, paging through it.
async fn backfill(
    session: &mut Session,
    peer: &Peer,
    ended: &mut oneshot::Receiver<Denied>,
    b: Backfill,
) -> Result<(), Stop> {
    let (feed, mut from) = (peer.feed, b.after);
    while from < b.upto {
        let page = peer
            .checker
            .db()
            .read(move |conn| {
                Ok(match feed {
                    Feed::Participant(p) => EventRow::for_participant(conn, p, from)?,
                    Feed::Staff(r) => EventRow::for_staff(conn, r, from)?,
                })
            })
            .await
            .map_err(|_| Stop::Gone)?;
        for e in page.iter().take_while(|e| e.id <= b.upto) {
            if may_end_access(e) {
                peer.checker.check(peer.credential).await?;
            }
            session.text(event_json(e)).await.map_err(|_| Stop::Gone)?;
        }
        if let Ok(why) = ended.try_recv() {
            return Err(why.into());
        }
        match page.last() {
            Some(last) if (page.len() as i64) == events::PAGE => from = last.id,
            _ => break,
        }
    }
    Ok(())
}

/// A connection's place in the live feed, taken before the handshake is answered: its
/// subscription, and the end of its relay's events then. Every event committed after the
/// client sees the socket open is above that end and in the subscription's queue (taken after
/// the handshake, an event committed in between went to nobody, or lay below the end).
pub struct Start {
    subscription: Subscription,
    end: i64,
}

impl Start {
    /// The subscription's listener id, for [`Hub::unsubscribe`].
    pub fn id(&self) -> u64 {
        self.subscription.id
    }
}

/// Subscribes `peer` to `hub` and reads where its live feed starts.
pub async fn start(hub: &Hub, peer: &Peer) -> Result<Start, AppError> {
    let subscription = hub.subscribe(peer.feed, peer.credential);
    let feed = peer.feed;
    let end = peer
        .checker
        .db()
        .read(move |conn| {
            let relay = match feed {
                Feed::Staff(relay) => RelayOf::Relay(relay),
                Feed::Participant(p) => RelayOf::Participant(p),
            };
            Ok(EventRow::max_id_in_relay(conn, relay)?)
        })
        .await;
    match end {
        Ok(end) => Ok(Start { subscription, end }),
        Err(e) => {
            hub.unsubscribe(feed, subscription.id);
            Err(e)
        }
    }
}

/// Runs a connection until the client leaves, times out, falls too far behind, or loses
/// access. `since` is the URL's.
pub async fn run(
    mut session: Session,
    mut stream: AggregatedMessageStream,
    hub: Hub,
    peer: Peer,
    since: Option<i64>,
    start: Start,
) {
    let Start {
        subscription:
            Subscription {
                id: sub,
                events: mut live,
                mut ended,
            },
        end,
    } = start;
    // Without `since` the connection starts at "now" in its relay: what is already in the log
    // is for the page's first load, not for the live feed.
    let stop = serve(
        &mut session,
        &mut stream,
        &peer,
        &mut live,
        &mut ended,
        end,
        since,
    )
    .await;
    hub.unsubscribe(peer.feed, sub);
    let reason = match stop {
        Stop::Gone => None,
        Stop::Close(reason) => Some(reason),
    };
    let _ = session.close(reason).await;
}

/// The connection's loop, from the end of the log at `start`.
async fn serve(
    session: &mut Session,
    stream: &mut AggregatedMessageStream,
    peer: &Peer,
    live: &mut tokio::sync::mpsc::Receiver<Outgoing>,
    ended: &mut oneshot::Receiver<Denied>,
    start: i64,
    since: Option<i64>,
) -> Stop {
    let mut cursor = Cursor::at(start);
    if let Some(b) = since.and_then(|s| cursor.since(s))
        && let Err(stop) = backfill(session, peer, ended, b).await
    {
        return stop;
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut last_heard = Instant::now();
    let mut may_end = true;
    loop {
        // Biased: an ended credential wins over anything still queued.
        let step = tokio::select! {
            biased;
            why = &mut *ended, if may_end => match why {
                Ok(why) => Err(why.into()),
                // The hub dropped the listener without a reason: it fell too far behind, and
                // the connection ends once it has sent what was queued.
                Err(_) => {
                    may_end = false;
                    Ok(())
                }
            },
            next = live.recv() => match next {
                Some(out) => send(session, peer, &mut cursor, &out).await,
                None => Err(behind()),
            },
            msg = stream.recv() => {
                last_heard = Instant::now();
                match msg {
                    Some(Ok(m)) => on_message(session, peer, ended, &mut cursor, m).await,
                    Some(Err(_)) => Err(Stop::Close(CloseReason { code: CloseCode::Protocol, description: None })),
                    None => Err(Stop::Gone),
                }
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > IDLE_TIMEOUT {
                    Err(Stop::Close(CloseReason { code: CloseCode::Away, description: Some("idle".into()) }))
                } else {
                    session.ping(b"").await.map_err(|_| Stop::Gone)
                }
            }
        };
        if let Err(stop) = step {
            return stop;
        }
    }
}

fn behind() -> Stop {
    Stop::Close(CloseReason {
        code: CloseCode::Again,
        description: Some("too far behind; reconnect with since".into()),
    })
}

/// Answers one client frame.
async fn on_message(
    session: &mut Session,
    peer: &Peer,
    ended: &mut oneshot::Receiver<Denied>,
    cursor: &mut Cursor,
    m: AggregatedMessage,
) -> Result<(), Stop> {
    match m {
        AggregatedMessage::Text(text) => match serde_json::from_str::<ClientMsg>(&text) {
            Ok(ClientMsg { since }) => match cursor.since(since) {
                Some(b) => backfill(session, peer, ended, b).await,
                None => Ok(()),
            },
            Err(e) => {
                let frame = error_frame("bad_message", &format!("expected {{\"since\": ID}}: {e}"));
                session.text(frame).await.map_err(|_| Stop::Gone)
            }
        },
        AggregatedMessage::Ping(bytes) => session.pong(&bytes).await.map_err(|_| Stop::Gone),
        AggregatedMessage::Close(_) => Err(Stop::Gone),
        AggregatedMessage::Pong(_) | AggregatedMessage::Binary(_) => Ok(()),
    }
}
