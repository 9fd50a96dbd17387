//! Layered settings: `config/default.toml` (embedded, so the binary runs anywhere), then the
//! file named by `STAFET_CONFIG` if set, then `STAFET__SECTION__KEY` environment variables; the
//! CLI applies its flags last.

use std::path::PathBuf;

use serde::Deserialize;

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
    /// Staff session lifetime.
    pub session_hours: i64,
    /// Link lifetime after closing.
    pub link_valid_days_after_close: i64,
    /// Secure cookies even when `public_url` is http (they always are when it is https).
    pub cookie_secure: bool,
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
    /// Read connections for interactive requests.
    pub pool_size: u32,
    /// Read connections for exports, analyses and reports (also how many run at once).
    pub bulk_pool_size: u32,
}

impl DatabaseSettings {
    /// The database `url` names.
    pub fn target(&self) -> Result<Target, TargetError> {
        Target::parse(&self.url)
    }

    /// The SQLite file to open, or why this build cannot open the database `url` names.
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
}

impl Settings {
    /// Loads the layered settings.
    pub fn load() -> anyhow::Result<Self> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Ok(path) = std::env::var("STAFET_CONFIG") {
            builder = builder.add_source(config::File::with_name(&path));
        }
        let cfg = builder
            .add_source(
                config::Environment::with_prefix("STAFET")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()?;
        let mut settings: Settings = cfg.try_deserialize()?;
        settings.database.fold_old_path(&default_url()?)?;
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
        self.database.target()?;
        Ok(())
    }

    /// The database options for [`crate::db::Db::open`].
    pub fn db_options(&self) -> crate::db::DbOptions {
        crate::db::DbOptions {
            synchronous: self.database.synchronous.clone(),
            busy_timeout_ms: self.database.busy_timeout_ms,
            pool_size: self.database.pool_size,
            bulk_pool_size: self.database.bulk_pool_size,
        }
    }

    /// `public_url` without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.server.public_url.trim_end_matches('/')
    }
}

/// `database.url` in the embedded defaults.
fn default_url() -> anyhow::Result<String> {
    Ok(config::Config::builder()
        .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
        .build()?
        .get_string("database.url")?)
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
        assert_eq!(
            s.database.target(),
            Ok(Target::Sqlite("data/stafet.sqlite".into()))
        );
    }

    fn database(url: &str, path: Option<&str>) -> DatabaseSettings {
        DatabaseSettings {
            url: url.into(),
            path: path.map(PathBuf::from),
            synchronous: "FULL".into(),
            busy_timeout_ms: 1,
            pool_size: 1,
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
