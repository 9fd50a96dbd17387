//! The outbox worker: renders queued emails and hands them to the transport, with retries.
//!
//! Transports: SMTP (lettre's async transport, with a connection pool) when `email.smtp.host`
//! is set; otherwise the embedded default writes each email as `<outbox id>.eml` into the mail
//! folder. That file is named after the outbox row and written under a temporary name, then
//! renamed into place, so a crash between writing and marking the row sent leads, on retry, to
//! the same file again, never a second one. (lettre's own file transport names each file by a
//! fresh UUID, which would duplicate in that case.) Over SMTP the same crash resends the email
//! with the same Message-ID, which receiving systems use to drop the duplicate.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use anyhow::Context as _;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use tokio::sync::watch;

use super::render::{self, EmailKind};
use crate::clock::Clock;
use crate::config::EmailSettings;
use crate::db::events::{Audience, EventRow};
use crate::db::outbox::OutboxRow;
use crate::db::relays::RelayRow;
use crate::db::{Db, from_db, to_db};
use crate::relay::EventKind;

/// How emails leave.
#[derive(Clone)]
enum Transport {
    /// `.eml` files in a folder.
    Files(PathBuf),
    /// An SMTP relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Renders and sends outbox rows.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    base_url: String,
    transport: Transport,
}

/// Why a delivery failed.
#[derive(Debug)]
pub enum DeliveryError {
    /// Will not work on retry (a 5xx reply, a bad address): the email is marked failed.
    Permanent(String),
    /// May work later (connection refused, timeout, 4xx): retried with backoff.
    Transient(String),
}

/// Most attempts before an email is marked failed.
pub const MAX_ATTEMPTS: i32 = 8;

/// How long a claimed email is reserved for the worker sending it.
pub const LEASE_SECONDS: i64 = 300;

impl Mailer {
    /// A mailer writing `.eml` files into `mail_dir`, with links under `base_url`.
    pub fn new(from: &str, mail_dir: &Path, base_url: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(mail_dir)
            .with_context(|| format!("creating the mail folder {}", mail_dir.display()))?;
        Self::with_transport(from, base_url, Transport::Files(mail_dir.to_path_buf()))
    }

    /// The mailer the settings ask for: SMTP when a host is set, else the `.eml` folder.
    pub fn from_settings(email: &EmailSettings, base_url: &str) -> anyhow::Result<Self> {
        let Some(host) = email.smtp.active_host() else {
            return Self::new(&email.from, &email.mail_dir, base_url);
        };
        let smtp = &email.smtp;
        let tls = match smtp.tls.as_str() {
            "none" => Tls::None,
            "starttls" => Tls::Required(TlsParameters::new(host.to_string())?),
            _ => Tls::Wrapper(TlsParameters::new(host.to_string())?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(smtp.port)
            .tls(tls)
            .timeout(Some(StdDuration::from_secs(smtp.timeout_secs)));
        if let (Some(user), Some(pass)) = (&smtp.username, &smtp.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Self::with_transport(&email.from, base_url, Transport::Smtp(builder.build()))
    }

    fn with_transport(from: &str, base_url: &str, transport: Transport) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .with_context(|| format!("email.from {from:?} is not an address"))?;
        Ok(Self {
            from,
            base_url: base_url.trim_end_matches('/').to_string(),
            transport,
        })
    }

    /// Builds the message of an outbox row.
    pub fn build(&self, row: &OutboxRow) -> anyhow::Result<Message> {
        let kind = EmailKind::parse(&row.kind)
            .with_context(|| format!("unknown email kind {}", row.kind))?;
        let mut params: serde_json::Value = serde_json::from_str(&row.params)?;
        let link = match &row.link_token {
            Some(secret) => format!("{}{}{secret}", self.base_url, kind.link_path()),
            None => format!("{}/app", self.base_url),
        };
        params["link"] = serde_json::Value::String(link);
        let language = params["language"].as_str().unwrap_or("da").to_string();
        let rendered = render::render(kind, &language, &params)?;
        let to: Mailbox = row
            .to_address
            .parse()
            .with_context(|| format!("bad recipient {:?}", row.to_address))?;
        // A Message-ID fixed by the outbox row, so a retried email is recognisably the same one.
        let digest = Sha256::digest(row.idempotency_key.as_bytes());
        let message_id = format!(
            "<{}.{}@{}>",
            row.id,
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..12]),
            self.from.email.domain()
        );
        let mut msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(message_id))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(rendered.text),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(rendered.html),
                    ),
            )?;
        msg.headers_mut().insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ));
        Ok(msg)
    }

    /// Most emails one pass of the worker claims: [`PASS`] into files, [`SMTP_PASS`] over SMTP.
    pub fn pass(&self) -> usize {
        match self.transport {
            Transport::Files(_) => PASS,
            Transport::Smtp(_) => SMTP_PASS,
        }
    }

    /// Sends the emails of `rows` once each; the outcomes come in the same order.
    pub async fn deliver_all(&self, rows: &[OutboxRow]) -> Vec<Result<(), DeliveryError>> {
        let mut outcomes = Vec::with_capacity(rows.len());
        match &self.transport {
            Transport::Files(dir) => {
                // Rendering a pass takes milliseconds: off the async thread, which also runs
                // the live fan-out.
                let (mailer, dir, rows) = (self.clone(), dir.clone(), rows.to_vec());
                let count = rows.len();
                let written = tokio::task::spawn_blocking(move || {
                    let mut outcomes = Vec::with_capacity(rows.len());
                    let mut files = Vec::new();
                    for (i, row) in rows.iter().enumerate() {
                        match mailer.build(row) {
                            Ok(msg) => {
                                files.push((i, row.id, msg.formatted()));
                                outcomes.push(Ok(()));
                            }
                            Err(e) => {
                                outcomes.push(Err(DeliveryError::Permanent(format!("{e:#}"))))
                            }
                        }
                    }
                    for (i, result) in write_emls(&dir, files) {
                        if let Err(e) = result {
                            outcomes[i] = Err(DeliveryError::Transient(format!("{e:#}")));
                        }
                    }
                    outcomes
                })
                .await;
                match written {
                    Ok(written) => outcomes = written,
                    Err(e) => outcomes
                        .extend((0..count).map(|_| Err(DeliveryError::Transient(e.to_string())))),
                }
            }
            Transport::Smtp(smtp) => {
                for row in rows {
                    outcomes.push(match self.build(row) {
                        Err(e) => Err(DeliveryError::Permanent(format!("{e:#}"))),
                        Ok(msg) => match smtp.send(msg).await {
                            Ok(_) => Ok(()),
                            Err(e) if e.is_permanent() => {
                                Err(DeliveryError::Permanent(e.to_string()))
                            }
                            Err(e) => Err(DeliveryError::Transient(e.to_string())),
                        },
                    });
                }
            }
        }
        outcomes
    }
}

/// Writes each `(index, outbox id, bytes)` as `<id>.eml` in `dir`, atomically: under a
/// temporary name, made durable, then renamed into place. Returns each file's outcome by index.
///
/// One flush of the file system makes a whole pass durable; a sync per file cost one disk
/// flush per email, and those flushes queued in front of the database's commits.
fn write_emls(dir: &Path, files: Vec<(usize, i64, Vec<u8>)>) -> Vec<(usize, anyhow::Result<()>)> {
    let mut outcomes = Vec::with_capacity(files.len());
    let mut staged = Vec::with_capacity(files.len());
    for (i, id, bytes) in files {
        let tmp = dir.join(format!(".{id:08}.eml.tmp"));
        match std::fs::write(&tmp, &bytes) {
            Ok(()) => staged.push((i, id, tmp)),
            Err(e) => {
                // A full disk keeps what was written: give the space back for the retry.
                let _ = std::fs::remove_file(&tmp);
                outcomes.push((i, Err(anyhow::Error::from(e).context("writing the email"))));
            }
        }
    }
    if let Err(e) = flush(dir, staged.iter().map(|(_, _, tmp)| tmp.as_path())) {
        let reason = format!("{e:#}");
        outcomes.extend(staged.into_iter().map(|(i, _, tmp)| {
            let _ = std::fs::remove_file(&tmp);
            (
                i,
                Err(anyhow::anyhow!("flushing the mail folder: {reason}")),
            )
        }));
        return outcomes;
    }
    for (i, id, tmp) in staged {
        let renamed = std::fs::rename(&tmp, dir.join(format!("{id:08}.eml")));
        outcomes.push((i, renamed.context("moving the email into place")));
    }
    // The renames themselves: a crash before this line only repeats the pass, same names.
    if let Err(e) = std::fs::File::open(dir).and_then(|d| d.sync_all()) {
        tracing::warn!(error = %e, "syncing the mail folder");
    }
    outcomes
}

/// Makes the data of `files` in `dir` durable.
#[cfg(target_os = "linux")]
fn flush<'a>(dir: &Path, _files: impl Iterator<Item = &'a Path>) -> anyhow::Result<()> {
    Ok(rustix::fs::syncfs(std::fs::File::open(dir)?)?)
}

/// Makes the data of `files` in `dir` durable.
#[cfg(not(target_os = "linux"))]
fn flush<'a>(_dir: &Path, files: impl Iterator<Item = &'a Path>) -> anyhow::Result<()> {
    for f in files {
        std::fs::File::open(f)?.sync_all()?;
    }
    Ok(())
}

/// Delay before attempt `attempts + 1`: exponential from 30 s, capped at an hour, with jitter so
/// many failed emails do not all retry in the same second.
pub fn backoff(attempts: i32) -> Duration {
    let base = 30i64 << attempts.clamp(0, 7);
    let capped = base.min(3600);
    let jitter = rand::random::<u64>() % (capped as u64 / 4 + 1);
    Duration::seconds(capped + jitter as i64)
}

/// Most emails one pass claims when it writes `.eml` files: one flush and one transaction then
/// record a hundred (a crash before the record rewrites the same files, so nothing is sent twice).
const PASS: usize = 100;

/// Most emails one pass claims over SMTP. What a pass has handed to the SMTP server is recorded
/// only after the pass, so an instance killed mid-pass leaves its whole pass to be sent again
/// (same Message-IDs) once its lease runs out: a small pass bounds those copies, and the delay of
/// what it claimed and never sent, to ten emails, for two small writes per ten emails.
pub const SMTP_PASS: usize = 10;

/// How long the worker lets commits gather after a busy pass (at least [`BUSY`] emails): one
/// pass then sends what a burst of requests queued, instead of one pass (two writes) per
/// commit.
const GATHER: StdDuration = StdDuration::from_millis(100);

/// Emails in a pass that make it busy.
const BUSY: usize = 20;

/// How long the worker waits before trying again after the database failed it.
const RETRY: StdDuration = StdDuration::from_secs(1);

/// Sends the due emails once (at most [`Mailer::pass`]); returns how many it tried.
pub async fn deliver_due(db: &Db, clock: &Clock, mailer: &Mailer) -> anyhow::Result<usize> {
    let now = clock.now();
    let lease = to_db(now + Duration::seconds(LEASE_SECONDS));
    let most = mailer.pass() as i64;
    let due = db
        .write(move |conn| Ok(OutboxRow::claim_due(conn, to_db(now), lease, most)?))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if due.is_empty() {
        // Nothing to send: no files to flush, nothing to record.
        return Ok(0);
    }
    let tried = due.len();
    let mut relays = BTreeSet::new();
    let mut outcomes = Vec::with_capacity(due.len());
    let results = mailer.deliver_all(&due).await;
    let sent_at = clock.now();
    for (row, result) in due.into_iter().zip(results) {
        relays.extend(row.relay_id);
        outcomes.push(match result {
            Ok(()) => (row.id, None),
            Err(DeliveryError::Permanent(reason)) => (row.id, Some((reason, None))),
            Err(DeliveryError::Transient(reason)) => {
                let retry = (row.attempts + 1 < MAX_ATTEMPTS)
                    .then(|| to_db(sent_at + backoff(row.attempts)));
                (row.id, Some((reason, retry)))
            }
        });
    }
    // One transaction records the whole pass (a crash before it only repeats this pass, with
    // the same file names and Message-IDs).
    if !outcomes.is_empty() {
        let clock_now = clock.now();
        for (id, outcome) in &outcomes {
            if let Some((reason, retry)) = outcome {
                tracing::warn!(outbox_id = id, error = %reason, retry = retry.is_some(), "email delivery failed");
            }
        }
        db.write(move |conn| {
            // The pass writes every touched relay's staff feed: lock them all, in id order.
            RelayRow::lock_all(conn, relays.iter().copied())?;
            let sent: Vec<i64> = outcomes
                .iter()
                .filter(|(_, outcome)| outcome.is_none())
                .map(|(id, _)| *id)
                .collect();
            OutboxRow::mark_sent(conn, &sent, to_db(sent_at))?;
            for (id, outcome) in &outcomes {
                if let Some((reason, retry)) = outcome {
                    OutboxRow::mark_attempt_failed(conn, *id, reason, *retry)?;
                }
            }
            // The staff feed learns the new email counts of every relay this pass touched.
            let now = to_db(clock_now);
            for &relay_id in &relays {
                let counts: serde_json::Map<String, serde_json::Value> =
                    OutboxRow::counts(conn, relay_id)?
                        .into_iter()
                        .map(|(status, n)| (status.as_str().to_string(), json!(n)))
                        .collect();
                EventRow::append(
                    conn,
                    relay_id,
                    Audience::Staff,
                    EventKind::EmailStatus,
                    &json!(counts),
                    now,
                )?;
            }
            Ok(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(tried)
}

/// What wakes the outbox worker, kept in one place: a commit of this instance (it may have
/// queued an email), the clock reaching the earliest next attempt of a queued email (a retry
/// after its backoff, or a lease that ran out), or on PostgreSQL a look every [`POLL`]: there
/// other instances queue emails, and claim and release them, without this one's commits
/// saying so.
struct Wake {
    commits: watch::Receiver<u64>,
    clock: Clock,
    /// How long to wait at most without a look (PostgreSQL); none on SQLite, whose one server
    /// makes every commit.
    poll: Option<StdDuration>,
}

/// How often a worker on PostgreSQL looks at the outbox however quiet its own instance is.
const POLL: StdDuration = StdDuration::from_secs(1);

impl Wake {
    fn new(db: &Db, clock: Clock) -> Self {
        Self {
            commits: db.commits(),
            clock,
            poll: db.is_postgres().then_some(POLL),
        }
    }

    /// Takes note of every commit so far. Called before each look at the outbox: a commit
    /// before it is in what the look reads, and one after it ends the next [`Wake::wait`].
    fn seen(&mut self) {
        self.commits.borrow_and_update();
    }

    /// Waits for a commit since [`Wake::seen`], until `next` (clock time), or for the poll.
    /// False once the database has stopped.
    async fn wait(&mut self, next: Option<DateTime<Utc>>) -> bool {
        let Self {
            commits,
            clock,
            poll,
        } = self;
        let due = async {
            match next {
                Some(at) => clock.sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let poll = async {
            match poll {
                Some(every) => tokio::time::sleep(*every).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            changed = commits.changed() => changed.is_ok(),
            () = due => true,
            () = poll => true,
        }
    }
}

/// Runs the worker until the process ends. Each look at the outbox is one read of the earliest
/// next attempt; only when an email is due does a pass claim, send and record (the writes).
/// With nothing due the worker sleeps until [`Wake`] says otherwise, so an idle server stays
/// idle: a pass of its own no longer wakes it for another.
pub async fn run(db: Db, clock: Clock, mailer: Mailer) {
    let mut wake = Wake::new(&db, clock.clone());
    loop {
        wake.seen();
        let next = match db.read_now(|conn| Ok(OutboxRow::next_attempt(conn)?)).await {
            Ok(next) => next.map(from_db),
            Err(e) => {
                tracing::error!(error = %e, "outbox worker: reading the next attempt");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        if next.is_none_or(|at| at > clock.now()) {
            if !wake.wait(next).await {
                return;
            }
            continue;
        }
        match deliver_due(&db, &clock, &mailer).await {
            // A full pass: more are probably due.
            Ok(n) if n == mailer.pass() => {}
            Ok(n) if n >= BUSY => tokio::time::sleep(GATHER).await,
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "outbox worker");
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}
