//! Which database `--db` / `database.url` names: a SQLite file or a PostgreSQL server. One parser
//! for both, so a URL is never mistaken for a file name (a `postgres://…` value used to create a
//! SQLite file called `postgres:`).

use std::fmt;
use std::path::{Path, PathBuf};

/// The forms `--db` / `database.url` accept, for error messages.
const ACCEPTED: &str = "--db / database.url takes a SQLite file path (e.g. data/stafet.sqlite) \
                        or a PostgreSQL URL (postgres://… or postgresql://…)";

/// A database to open, parsed from `--db` or `database.url` by [`Target::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite file, created when missing.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL as libpq takes it, its scheme in lower case.
    Postgres(String),
}

/// Why a `--db` / `database.url` value cannot be opened. The messages never repeat the value:
/// a URL may carry a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Nothing but white space.
    #[error("no database given: {ACCEPTED}")]
    Empty,
    /// A `scheme://` other than PostgreSQL's.
    #[error("`{0}://` is not a database Stafet can open: {ACCEPTED}")]
    UnknownScheme(String),
    /// A PostgreSQL URL given to what works on a SQLite file only (backups, restores).
    #[error(
        "this works on a SQLite file only, and --db / database.url names a PostgreSQL \
         database: back PostgreSQL up with its own tools (pg_dump, pg_restore)"
    )]
    SqliteOnly,
}

impl Target {
    /// Parses a `--db` / `database.url` value. `postgres://` and `postgresql://` (in any case)
    /// name PostgreSQL; any other `scheme://` is refused; anything else is a SQLite file path.
    /// Surrounding white space is dropped: it is a quoting slip far more often than part of a
    /// file name.
    pub fn parse(value: &str) -> Result<Self, TargetError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(TargetError::Empty);
        }
        match value.split_once("://") {
            Some((scheme, rest)) if is_scheme(scheme) => {
                let scheme = scheme.to_ascii_lowercase();
                match scheme.as_str() {
                    "postgres" | "postgresql" => Ok(Self::Postgres(format!("{scheme}://{rest}"))),
                    _ => Err(TargetError::UnknownScheme(scheme)),
                }
            }
            _ => Ok(Self::Sqlite(PathBuf::from(value))),
        }
    }

    /// The SQLite file, for what works on a file only (backups, restores, the one-server
    /// lock); a PostgreSQL URL is refused here instead of being taken for a file.
    pub fn sqlite_path(&self) -> Result<&Path, TargetError> {
        match self {
            Self::Sqlite(path) => Ok(path),
            Self::Postgres(_) => Err(TargetError::SqliteOnly),
        }
    }
}

/// Shows the file, or the URL without its password or query (which may hold one), for logs.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(url) => f.write_str(&redacted(url)),
        }
    }
}

/// An RFC 3986 scheme: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `url` with the password in its user info replaced by `***` and its query left out.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    format!("{scheme}://{authority}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts that each `(value, target)` parses to `target`.
    fn parses(cases: &[(&str, Target)]) {
        for (value, target) in cases {
            assert_eq!(Target::parse(value).as_ref(), Ok(target), "{value:?}");
        }
    }

    #[test]
    fn paths_are_sqlite_files() {
        let sqlite = |p: &str| Target::Sqlite(PathBuf::from(p));
        parses(&[
            ("data/stafet.sqlite", sqlite("data/stafet.sqlite")),
            ("/var/lib/stafet.db", sqlite("/var/lib/stafet.db")),
            ("stafet", sqlite("stafet")),
            (":memory:", sqlite(":memory:")),
            ("  a b.sqlite\n", sqlite("a b.sqlite")),
            // A `://` after something that cannot be a scheme is part of a path.
            ("data/x://y", sqlite("data/x://y")),
            ("./mysql://x", sqlite("./mysql://x")),
            ("1db://x", sqlite("1db://x")),
            ("://x", sqlite("://x")),
        ]);
    }

    #[test]
    fn both_postgresql_schemes_in_any_case_are_postgresql() {
        let pg = |s: &str| Target::Postgres(s.to_string());
        let full = "postgres://u:p@db:5432/stafet?sslmode=require";
        parses(&[
            (full, pg(full)),
            ("postgresql://db/stafet", pg("postgresql://db/stafet")),
            ("PostgreSQL://db/Stafet", pg("postgresql://db/Stafet")),
            (" postgres://x ", pg("postgres://x")),
            ("postgres://", pg("postgres://")),
        ]);
    }

    #[test]
    fn other_schemes_are_refused_naming_the_accepted_forms() {
        for (value, scheme) in [
            ("mysql://x", "mysql"),
            ("sqlite://data/stafet.sqlite", "sqlite"),
            ("file:///var/lib/stafet.sqlite", "file"),
            ("MariaDB://root:secret@db/x", "mariadb"),
            ("pg+ssl.v2://x", "pg+ssl.v2"),
        ] {
            let err = Target::parse(value).unwrap_err();
            assert_eq!(err, TargetError::UnknownScheme(scheme.into()), "{value}");
            let message = err.to_string();
            assert!(message.contains("SQLite file path"), "{message}");
            assert!(message.contains("postgres://"), "{message}");
            assert!(message.contains("postgresql://"), "{message}");
            assert!(!message.contains("secret"), "{message}");
        }
    }

    #[test]
    fn nothing_is_refused() {
        assert_eq!(Target::parse(""), Err(TargetError::Empty));
        assert_eq!(Target::parse(" \t\n"), Err(TargetError::Empty));
        assert!(TargetError::Empty.to_string().contains("SQLite file path"));
    }

    #[test]
    fn only_a_sqlite_target_has_a_file() {
        let file = Target::parse("data/stafet.sqlite").unwrap();
        assert_eq!(file.sqlite_path(), Ok(Path::new("data/stafet.sqlite")));
        let pg = Target::parse("postgres://x").unwrap();
        assert_eq!(pg.sqlite_path(), Err(TargetError::SqliteOnly));
        assert!(TargetError::SqliteOnly.to_string().contains("pg_dump"));
    }

    #[test]
    fn display_hides_passwords() {
        let shown = |s: &str| Target::parse(s).unwrap().to_string();
        assert_eq!(shown("data/stafet.sqlite"), "data/stafet.sqlite");
        assert_eq!(
            shown("postgres://stafet:s3cr@t@db:5432/stafet?password=x&sslmode=require"),
            "postgres://stafet:***@db:5432/stafet"
        );
        assert_eq!(
            shown("postgres://stafet@db/stafet"),
            "postgres://stafet@db/stafet"
        );
        assert_eq!(shown("postgresql://db"), "postgresql://db");
        assert_eq!(shown("postgres://u:pw@db#frag"), "postgres://u:***@db");
    }
}
