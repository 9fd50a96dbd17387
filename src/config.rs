//! Layered settings: `config/default.toml` (embedded, so the binary runs anywhere), then the
//! file named by `STAFET_CONFIG` if set, then `STAFET__SECTION__KEY` environment variables; the
//! CLI applies its flags last.

use std::path::PathBuf;

use serde::Deserialize;

use crate::auth::client_addr::TrustedProxies;
use crate::db::target::{Target, TargetError};

const DEFAULTS: &str = include_str!("../config/default.toml");

/// All settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// The database.
    pub database: DatabaseSettings,
    /// Outgoing email.
    pub email: EmailSettings,
    /// The clock-driven jobs.
    pub scheduler: SchedulerSettings,
    /// Login and link rate limits.
    pub rate_limit: RateLimitSettings,
    /// Participant links.
    pub links: LinkSettings,
    /// Scheduled backups.
    pub backup: BackupSettings,
    /// Defaults of each relay's privacy notice and retention.
    pub privacy: PrivacySettings,
    /// The audit log.
    pub audit: AuditSettings,
}

/// `[audit]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Days an audit row is kept; older rows are deleted by the scheduler.
    pub keep_days: u32,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on.
    pub bind: String,
    /// Base URL of links in emails.
    pub public_url: String,
    /// Largest request body.
    pub body_limit_bytes: usize,
    /// A staff session ends this long after its last use.
    pub session_idle_minutes: i64,
    /// A staff session ends this long after sign-in.
    pub session_absolute_hours: i64,
    /// The old name of `session_absolute_hours`, still read: [`Settings::load`] takes it when
    /// `session_absolute_hours` is left at its default.
    #[serde(default)]
    session_hours: Option<i64>,
    /// Link lifetime after closing.
    pub link_valid_days_after_close: i64,
    /// Secure cookies even when `public_url` is http (they always are when it is https).
    pub cookie_secure: bool,
    /// Proxies whose `X-Forwarded-For` names the client (none: the peer is the client).
    #[serde(default)]
    pub trusted_proxies: TrustedProxies,
}

/// `[links]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSettings {
    /// A participant's older links stop working this many hours after a newer one is emailed.
    pub grace_hours: i64,
}

/// `[database]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// A SQLite file path or a `postgres://` URL, as [`Target::parse`] reads it.
    pub url: String,
    /// The old name of `url`, still read: [`Settings::load`] takes it for `url` when `url` is
    /// left at its default.
    #[serde(default)]
    path: Option<PathBuf>,
    /// `PRAGMA synchronous`.
    pub synchronous: String,
    /// `PRAGMA busy_timeout`.
    pub busy_timeout_ms: u32,
    /// Read connections for interactive requests (on PostgreSQL also the writes of staff and
    /// jobs).
    pub pool_size: u32,
    /// On PostgreSQL, how many write lanes commit participants' moves in groups (`db::lanes`),
    /// each with a connection of its own.
    pub lanes: u32,
    /// Read connections for exports, analyses and reports (also how many run at once).
    pub bulk_pool_size: u32,
}

impl DatabaseSettings {
    /// The database `url` names.
    pub fn target(&self) -> Result<Target, TargetError> {
        Target::parse(&self.url)
    }

    /// The SQLite file `url` names, for what works on a file only; a PostgreSQL URL is an error.
    pub fn sqlite_path(&self) -> Result<PathBuf, TargetError> {
        Ok(self.target()?.sqlite_path()?.to_path_buf())
    }

    /// Puts the old `path` key in `url`. Both set is an error rather than a guess, unless
    /// `url` is still `default_url` (the defaults always set it).
    fn fold_old_path(&mut self, default_url: &str) -> anyhow::Result<()> {
        let Some(path) = self.path.take() else {
            return Ok(());
        };
        anyhow::ensure!(
            self.url == default_url,
            "database.path is the old name of database.url: set only database.url"
        );
        tracing::warn!("database.path is the old name of database.url; it still works");
        self.url = path.to_string_lossy().into_owned();
        Ok(())
    }
}

/// `[email]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// From header.
    pub from: String,
    /// Folder of the `.eml` transport.
    pub mail_dir: PathBuf,
    /// SMTP relay; used when `host` is set.
    pub smtp: SmtpSettings,
}

/// `[email.smtp]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// Server name; SMTP is off while unset or empty.
    #[serde(default)]
    pub host: Option<String>,
    /// Port.
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub tls: String,
    /// Login, if the server wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// Password for `username`.
    #[serde(default)]
    pub password: Option<String>,
    /// Connect and command timeout.
    pub timeout_secs: u64,
}

impl SmtpSettings {
    /// The host when SMTP is configured.
    pub fn active_host(&self) -> Option<&str> {
        self.host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
    }
}

/// `[scheduler]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSettings {
    /// Tick interval.
    pub tick_ms: u64,
}

/// `[rate_limit]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Login attempts per minute per address.
    pub login_per_minute: u32,
    /// Link redemptions per minute per address.
    pub link_per_minute: u32,
    /// Password reset and lost-link requests per hour for one email address.
    pub recover_per_hour_per_email: u32,
    /// Password reset and lost-link requests per hour from one client address.
    pub recover_per_hour_per_client: u32,
}

/// `[backup]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSettings {
    /// Hours between two scheduled backups; 0 turns them off.
    pub every_hours: u64,
    /// Seconds between two scheduled backups, used instead of `every_hours` when not 0.
    #[serde(default)]
    pub every_seconds: u64,
    /// Folder of the scheduled backups.
    pub dir: PathBuf,
    /// Scheduled backups kept; the oldest beyond this are deleted.
    pub keep: usize,
}

/// `[privacy]`: what a new relay's privacy notice and retention start as.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// Days after closing before retention erases personal data.
    pub retention_days: u32,
    /// `pseudonymise` or `delete`.
    pub retention: crate::relay::Retention,
    /// The data controller named in the notice.
    pub controller: String,
    /// Where participants turn about their data.
    pub contact: String,
    /// The notice of Danish relays.
    pub text_da: String,
    /// The notice of English relays.
    pub text_en: String,
}

impl PrivacySettings {
    /// The default notice in `language` (`da` or `en`).
    pub fn text(&self, language: &str) -> &str {
        if language == "en" {
            &self.text_en
        } else {
            &self.text_da
        }
    }
}

impl BackupSettings {
    /// The schedule, when scheduled backups are on.
    pub fn schedule(&self) -> Option<crate::backup::schedule::Schedule> {
        let every = match (self.every_seconds, self.every_hours) {
            (0, 0) => return None,
            (0, hours) => std::time::Duration::from_secs(hours.saturating_mul(3600)),
            (seconds, _) => std::time::Duration::from_secs(seconds),
        };
        Some(crate::backup::schedule::Schedule {
            dir: self.dir.clone(),
            every,
            keep: self.keep,
        })
    }
}

/// The `STAFET__SECTION__KEY` variables. A list in one variable is comma-separated
/// (`STAFET__SERVER__TRUSTED_PROXIES=10.0.0.0/8,192.168.1.5`).
fn environment() -> config::Environment {
    config::Environment::with_prefix("STAFET")
        .prefix_separator("__")
        .separator("__")
        .try_parsing(true)
        .list_separator(",")
        .with_list_parse_key("server.trusted_proxies")
}

impl Settings {
    /// Loads the layered settings.
    pub fn load() -> anyhow::Result<Self> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Ok(path) = std::env::var("STAFET_CONFIG") {
            builder = builder.add_source(config::File::with_name(&path));
        }
        let cfg = builder.add_source(environment()).build()?;
        let mut settings: Settings = cfg.try_deserialize()?;
        settings.database.fold_old_path(&default_url()?)?;
        settings
            .server
            .fold_old_session_hours(default_absolute_hours()?)?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.server.public_url.starts_with("http://")
                || self.server.public_url.starts_with("https://"),
            "server.public_url must start with http:// or https://"
        );
        anyhow::ensure!(
            self.scheduler.tick_ms > 0,
            "scheduler.tick_ms must be positive"
        );
        // Bounded so the times computed from them (a session's end, a link's end) cannot
        // overflow, and because a larger value is a typo.
        anyhow::ensure!(
            (1..=24 * 365).contains(&self.server.session_absolute_hours),
            "server.session_absolute_hours must be between 1 and 8760 (a year)"
        );
        anyhow::ensure!(
            (1..=60 * 24 * 365).contains(&self.server.session_idle_minutes),
            "server.session_idle_minutes must be between 1 and 525600 (a year)"
        );
        anyhow::ensure!(
            (0..=24 * 365).contains(&self.links.grace_hours),
            "links.grace_hours must be between 0 and 8760 (a year)"
        );
        anyhow::ensure!(
            (0..=3650).contains(&self.server.link_valid_days_after_close),
            "server.link_valid_days_after_close must be between 0 and 3650 (ten years)"
        );
        // The pool opens all its connections before the server starts.
        anyhow::ensure!(
            self.database.pool_size <= 64,
            "database.pool_size must be at most 64"
        );
        anyhow::ensure!(
            (1..=64).contains(&self.database.lanes),
            "database.lanes must be between 1 and 64"
        );
        anyhow::ensure!(
            self.privacy.retention_days <= crate::relay::retention::MAX_DAYS,
            "privacy.retention_days must be at most 3650 (ten years)"
        );
        anyhow::ensure!(
            self.backup.schedule().is_none() || self.backup.keep > 0,
            "backup.keep must be at least 1 when scheduled backups are on"
        );
        anyhow::ensure!(
            self.backup.every_hours <= 24 * 366 && self.backup.every_seconds <= 86_400 * 366,
            "backup.every_hours must be at most a year"
        );
        self.database.target()?;
        Ok(())
    }

    /// The database options for [`crate::db::Db::open`].
    pub fn db_options(&self) -> crate::db::DbOptions {
        crate::db::DbOptions {
            synchronous: self.database.synchronous.clone(),
            busy_timeout_ms: self.database.busy_timeout_ms,
            pool_size: self.database.pool_size,
            lanes: self.database.lanes,
            bulk_pool_size: self.database.bulk_pool_size,
        }
    }

    /// `public_url` without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.server.public_url.trim_end_matches('/')
    }
}

/// The embedded defaults alone.
fn defaults() -> anyhow::Result<config::Config> {
    Ok(config::Config::builder()
        .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
        .build()?)
}

/// `database.url` in the embedded defaults.
fn default_url() -> anyhow::Result<String> {
    Ok(defaults()?.get_string("database.url")?)
}

/// `server.session_absolute_hours` in the embedded defaults.
fn default_absolute_hours() -> anyhow::Result<i64> {
    Ok(defaults()?.get_int("server.session_absolute_hours")?)
}

impl ServerSettings {
    /// Puts the old `session_hours` key in `session_absolute_hours`; both set is an error
    /// rather than a guess, unless the new key is still `default_hours`.
    fn fold_old_session_hours(&mut self, default_hours: i64) -> anyhow::Result<()> {
        let Some(hours) = self.session_hours.take() else {
            return Ok(());
        };
        anyhow::ensure!(
            self.session_absolute_hours == default_hours,
            "server.session_hours is the old name of server.session_absolute_hours: set only \
             server.session_absolute_hours"
        );
        tracing::warn!("server.session_hours is the old name of session_absolute_hours");
        self.session_absolute_hours = hours;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_defaults_load() {
        let s = Settings::load().unwrap();
        assert_eq!(s.database.synchronous, "FULL");
        assert!(s.server.body_limit_bytes > 0);
        assert!(s.email.smtp.active_host().is_none(), "no SMTP by default");
        assert!(s.validate().is_ok());
        assert!(
            s.backup.schedule().is_none(),
            "no scheduled backups by default"
        );
        assert_eq!(
            s.database.target(),
            Ok(Target::Sqlite("data/stafet.sqlite".into()))
        );
    }

    #[test]
    fn trusted_proxies_come_from_a_comma_separated_variable_and_bad_ones_are_refused() {
        let from_env = |value: &str| {
            let vars = [(
                "STAFET__SERVER__TRUSTED_PROXIES".to_string(),
                value.to_string(),
            )];
            config::Config::builder()
                .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
                .add_source(environment().source(Some(vars.into_iter().collect())))
                .build()
                .unwrap()
                .try_deserialize::<Settings>()
        };
        let s = from_env("10.0.0.0/8,192.168.1.5").unwrap();
        let from_proxy = s
            .server
            .trusted_proxies
            .client("192.168.1.5".parse().unwrap(), &["198.51.100.4"]);
        assert_eq!(
            from_proxy,
            "198.51.100.4".parse::<std::net::IpAddr>().unwrap()
        );
        assert!(
            s.server
                .trusted_proxies
                .trusts("10.200.0.1".parse().unwrap())
        );
        let err = from_env("10.0.0.0/8,lb.local").unwrap_err().to_string();
        assert!(err.contains("lb.local"), "{err}");
        assert!(Settings::load().unwrap().server.trusted_proxies == Default::default());
    }

    #[test]
    fn scheduled_backups_need_a_kept_count_and_a_sane_interval() {
        let mut s = Settings::load().unwrap();
        s.backup.every_hours = 6;
        s.backup.keep = 0;
        assert!(s.validate().is_err(), "keep 0 would delete every backup");
        s.backup.keep = 28;
        assert!(s.validate().is_ok());
        assert_eq!(
            s.backup.schedule().unwrap().every,
            std::time::Duration::from_secs(6 * 3600)
        );
        s.backup.every_seconds = 2;
        assert_eq!(
            s.backup.schedule().unwrap().every,
            std::time::Duration::from_secs(2)
        );
        s.backup.every_seconds = 0;
        s.backup.every_hours = u64::MAX;
        assert!(s.validate().is_err(), "would overflow the timer");
    }

    /// The defaults with one change, validated.
    fn validated(change: impl FnOnce(&mut Settings)) -> anyhow::Result<()> {
        let mut s = Settings::load().unwrap();
        change(&mut s);
        s.validate()
    }

    #[test]
    fn session_hours_beyond_a_year_are_refused_at_startup() {
        // Found by the fuzzer: a login then overflowed computing the session's end (a 500).
        assert!(validated(|s| s.server.session_absolute_hours = i64::MAX).is_err());
        assert!(validated(|s| s.server.session_absolute_hours = 0).is_err());
        assert!(validated(|s| s.server.session_absolute_hours = 24 * 366).is_err());
        assert!(validated(|s| s.server.session_absolute_hours = 24 * 365).is_ok());
        assert!(validated(|s| s.server.session_idle_minutes = i64::MAX).is_err());
        assert!(validated(|s| s.server.session_idle_minutes = 0).is_err());
        assert!(validated(|s| s.links.grace_hours = -1).is_err());
        assert!(validated(|s| s.links.grace_hours = i64::MAX).is_err());
    }

    #[test]
    fn the_old_session_hours_key_stands_in_for_a_default_absolute_lifetime() {
        let mut s = Settings::load().unwrap();
        s.server.session_hours = Some(5);
        s.server.fold_old_session_hours(12).unwrap();
        assert_eq!(s.server.session_absolute_hours, 5);
        s.server.session_hours = Some(7);
        s.server.session_absolute_hours = 3;
        assert!(s.server.fold_old_session_hours(12).is_err());
    }

    #[test]
    fn link_days_after_close_beyond_ten_years_are_refused_at_startup() {
        // A participant of a closed relay then overflowed the link's end (a 500).
        assert!(validated(|s| s.server.link_valid_days_after_close = i64::MAX).is_err());
        assert!(validated(|s| s.server.link_valid_days_after_close = -1).is_err());
        assert!(validated(|s| s.server.link_valid_days_after_close = 3651).is_err());
        assert!(validated(|s| s.server.link_valid_days_after_close = 0).is_ok());
    }

    #[test]
    fn a_pool_of_more_than_sixty_four_readers_is_refused_at_startup() {
        // Found by the fuzzer: the pool opens every connection before serving, so a pool of
        // billions never started and kept taking memory.
        assert!(validated(|s| s.database.pool_size = u32::MAX).is_err());
        assert!(validated(|s| s.database.pool_size = 65).is_err());
        assert!(validated(|s| s.database.pool_size = 64).is_ok());
        assert!(validated(|s| s.database.lanes = 0).is_err());
        assert!(validated(|s| s.database.lanes = 65).is_err());
        assert!(validated(|s| s.database.lanes = 64).is_ok());
    }

    fn database(url: &str, path: Option<&str>) -> DatabaseSettings {
        DatabaseSettings {
            url: url.into(),
            path: path.map(PathBuf::from),
            synchronous: "FULL".into(),
            busy_timeout_ms: 1,
            pool_size: 1,
            lanes: 1,
            bulk_pool_size: 1,
        }
    }

    #[test]
    fn the_old_path_key_stands_in_for_a_default_url() {
        let mut db = database("data/stafet.sqlite", Some("/srv/stafet.sqlite"));
        db.fold_old_path("data/stafet.sqlite").unwrap();
        assert_eq!(db.url, "/srv/stafet.sqlite");
        assert_eq!(db.path, None);

        let mut db = database("postgres://db/stafet", None);
        db.fold_old_path("data/stafet.sqlite").unwrap();
        assert_eq!(db.url, "postgres://db/stafet");
    }

    #[test]
    fn the_old_path_key_beside_a_url_is_refused() {
        let mut db = database("postgres://db/stafet", Some("/srv/stafet.sqlite"));
        let err = db.fold_old_path("data/stafet.sqlite").unwrap_err();
        assert!(err.to_string().contains("database.path"), "{err}");
        assert!(err.to_string().contains("database.url"), "{err}");
    }

    #[test]
    fn an_old_path_key_holding_a_url_is_read_as_a_url() {
        let mut db = database("data/stafet.sqlite", Some("mysql://db/stafet"));
        db.fold_old_path("data/stafet.sqlite").unwrap();
        assert_eq!(db.target(), Err(TargetError::UnknownScheme("mysql".into())));
    }
}
