//! The outbox worker: renders queued emails and hands them to the transport, with retries.
//!
//! The embedded default transport writes each email as `<outbox id>.eml` into the mail folder.
//! The file is named after the outbox row, written to a temporary name and renamed into place,
//! so a crash between writing and marking the row sent leads, on retry, to the same file being
//! written again: never a second email for one idempotency key. (lettre's own file transport
//! names files by a fresh UUID on each call, which would duplicate in that case; lettre still
//! builds and formats every message.)

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use anyhow::Context as _;
use base64::Engine as _;
use chrono::Duration;
use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use sha2::{Digest as _, Sha256};

use super::render::{self, EmailKind};
use crate::clock::Clock;
use crate::db::models::OutboxRow;
use crate::db::{Db, outbox, to_db};

/// Where and how emails go.
#[derive(Clone, Debug)]
pub struct Mailer {
    from: Mailbox,
    mail_dir: PathBuf,
    base_url: String,
}

/// Most attempts before an email is marked failed.
pub const MAX_ATTEMPTS: i32 = 8;

impl Mailer {
    /// A mailer writing `.eml` files into `mail_dir`, with links under `base_url`.
    pub fn new(from: &str, mail_dir: &Path, base_url: &str) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .with_context(|| format!("email.from {from:?} is not an address"))?;
        std::fs::create_dir_all(mail_dir)
            .with_context(|| format!("creating the mail folder {}", mail_dir.display()))?;
        Ok(Self {
            from,
            mail_dir: mail_dir.to_path_buf(),
            base_url: base_url.trim_end_matches('/').to_string(),
        })
    }

    /// Builds the message of an outbox row.
    pub fn build(&self, row: &OutboxRow) -> anyhow::Result<Message> {
        let kind = EmailKind::parse(&row.kind)
            .with_context(|| format!("unknown email kind {}", row.kind))?;
        let mut params: serde_json::Value = serde_json::from_str(&row.params)?;
        let link = match &row.link_token {
            Some(secret) => format!("{}/p/{secret}", self.base_url),
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
        let domain = self.from.email.domain().to_string();
        let message_id = format!(
            "<{}.{}@{}>",
            row.id,
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..12]),
            domain
        );
        let msg = Message::builder()
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
        let mut msg = msg;
        msg.headers_mut().insert_raw(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ));
        Ok(msg)
    }

    /// Writes the message of `row` as `<id>.eml`, atomically.
    pub fn deliver(&self, row: &OutboxRow) -> anyhow::Result<()> {
        let msg = self.build(row)?;
        let final_path = self.mail_dir.join(format!("{:08}.eml", row.id));
        let tmp = self.mail_dir.join(format!(".{:08}.eml.tmp", row.id));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&msg.formatted())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &final_path)?;
        Ok(())
    }
}

/// Delay before attempt `attempts + 1`: exponential from 30 s, capped at an hour, with jitter so
/// many failed emails do not all retry in the same second.
pub fn backoff(attempts: i32) -> Duration {
    let base = 30i64 << attempts.clamp(0, 7);
    let capped = base.min(3600);
    let jitter = rand::random::<u64>() % (capped as u64 / 4 + 1);
    Duration::seconds(capped + jitter as i64)
}

/// Sends every due email once; returns how many were delivered.
pub async fn deliver_due(db: &Db, clock: &Clock, mailer: &Mailer) -> anyhow::Result<usize> {
    let now = clock.now();
    let due = db
        .read(move |conn| Ok(outbox::due(conn, to_db(now), 100)?))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut sent = 0;
    for row in due {
        let m = mailer.clone();
        let r = row.clone();
        let result = tokio::task::spawn_blocking(move || m.deliver(&r)).await?;
        let now = clock.now();
        let id = row.id;
        match result {
            Ok(()) => {
                db.write(move |conn| Ok(outbox::mark_sent(conn, id, to_db(now))?))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                sent += 1;
            }
            Err(e) => {
                let message = format!("{e:#}");
                tracing::warn!(outbox_id = id, error = %message, "email delivery failed");
                let retry =
                    (row.attempts + 1 < MAX_ATTEMPTS).then(|| to_db(now + backoff(row.attempts)));
                db.write(move |conn| Ok(outbox::mark_attempt_failed(conn, id, &message, retry)?))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
        }
    }
    Ok(sent)
}

/// Runs the worker until the process ends: wakes on every commit and at least once a second.
pub async fn run(db: Db, clock: Clock, mailer: Mailer) {
    let mut commits = db.commits();
    loop {
        if let Err(e) = deliver_due(&db, &clock, &mailer).await {
            tracing::error!(error = format!("{e:#}"), "outbox worker");
        }
        tokio::select! {
            changed = commits.changed() => if changed.is_err() { return },
            _ = tokio::time::sleep(StdDuration::from_secs(1)) => {}
        }
    }
}
