//! Scheduled backups: every so often the server writes `stafet-YYYYMMDD-HHMMSS.sqlite` (UTC)
//! into the backup folder and deletes the oldest of those beyond the number to keep. Only
//! files named that way are ever deleted; anything else in the folder is left alone.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::snapshot::{self, Written};
use crate::db::Db;

/// Where and how often, from `[backup]`.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The backup folder.
    pub dir: PathBuf,
    /// Time between two backups.
    pub every: Duration,
    /// Backups kept; older ones are deleted.
    pub keep: usize,
}

/// How a backup's name holds its time (UTC).
const NAME_FORMAT: &str = "stafet-%Y%m%d-%H%M%S.sqlite";

/// The file name of a backup taken at `at`.
pub fn file_name(at: DateTime<Utc>) -> String {
    at.format(NAME_FORMAT).to_string()
}

/// Whether `name` is one of ours: exactly the shape [`file_name`] makes.
fn is_backup_name(name: &str) -> bool {
    let Some(stamp) = name
        .strip_prefix("stafet-")
        .and_then(|n| n.strip_suffix(".sqlite"))
    else {
        return false;
    };
    stamp.len() == 15
        && stamp
            .char_indices()
            .all(|(i, c)| if i == 8 { c == '-' } else { c.is_ascii_digit() })
}

/// Of the file names in a backup folder, ours that fall beyond the newest `keep`, oldest first.
/// The names sort by time, as they hold it with fixed widths.
pub fn beyond_keep(names: &[String], keep: usize) -> Vec<String> {
    let mut ours: Vec<&String> = names.iter().filter(|n| is_backup_name(n)).collect();
    ours.sort();
    let extra = ours.len().saturating_sub(keep);
    ours.into_iter().take(extra).cloned().collect()
}

/// Writes one backup into the folder, named after `now`, then deletes the oldest beyond `keep`.
pub async fn once(db: &Db, schedule: &Schedule, now: DateTime<Utc>) -> anyhow::Result<Written> {
    create_private_dir(&schedule.dir)?;
    let written = snapshot::write(db, &schedule.dir.join(file_name(now))).await?;
    let dir = schedule.dir.clone();
    let keep = schedule.keep;
    tokio::task::spawn_blocking(move || prune(&dir, keep)).await??;
    Ok(written)
}

/// How long after a start the first backup is due: one interval after the newest backup in the
/// folder (at once if that is past), or one interval after the start when there is none. A
/// server restarted more often than the interval still backs up on time.
pub fn first_delay(names: &[String], now: DateTime<Utc>, every: Duration) -> Duration {
    let newest = names
        .iter()
        .filter(|n| is_backup_name(n))
        .max()
        .and_then(|n| chrono::NaiveDateTime::parse_from_str(n, NAME_FORMAT).ok());
    let Some(newest) = newest else {
        return every;
    };
    let since = (now - newest.and_utc()).to_std().unwrap_or(Duration::ZERO);
    every.saturating_sub(since)
}

/// Backs up every `schedule.every` until the process ends, the first one as [`first_delay`]
/// says. A failed backup is logged and the next one comes on time.
pub async fn run(db: Db, schedule: Schedule) {
    let names = list(&schedule.dir).unwrap_or_default();
    let delay = first_delay(&names, Utc::now(), schedule.every);
    let start = tokio::time::Instant::now() + delay;
    let mut ticks = tokio::time::interval_at(start, schedule.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match once(&db, &schedule, Utc::now()).await {
            Ok(w) => tracing::info!(
                file = %w.path.display(),
                bytes = w.bytes,
                ms = w.took.as_millis() as u64,
                "backup written"
            ),
            Err(e) => tracing::error!(error = %format!("{e:#}"), "scheduled backup failed"),
        }
    }
}

/// The file names in a folder.
fn list(dir: &Path) -> anyhow::Result<Vec<String>> {
    Ok(std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect())
}

fn prune(dir: &Path, keep: usize) -> anyhow::Result<()> {
    for name in beyond_keep(&list(dir)?, keep) {
        let path = dir.join(&name);
        std::fs::remove_file(&path).with_context(|| format!("deleting {}", path.display()))?;
        tracing::info!(file = %path.display(), "old backup deleted");
    }
    Ok(())
}

/// The backup folder, created readable by its owner only when it is new.
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating the backup folder {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_backup_is_named_after_its_utc_time() {
        let at = Utc.with_ymd_and_hms(2026, 3, 9, 7, 5, 4).unwrap();
        assert_eq!(file_name(at), "stafet-20260309-070504.sqlite");
        assert!(is_backup_name(&file_name(at)));
    }

    #[test]
    fn the_oldest_of_ours_beyond_keep_go_and_nothing_else() {
        let folder = names(&[
            "stafet-20260310-000000.sqlite",
            "notes.txt",
            "stafet-20260308-120000.sqlite",
            "stafet-20260309-000000.sqlite",
            "stafet-manual.sqlite",
            "stafet-20260308-120000.sqlite.bak",
            ".stafet-backup-abc.tmp",
            "stafet-2026030-0000000.sqlite",
        ]);
        assert_eq!(
            beyond_keep(&folder, 1),
            names(&[
                "stafet-20260308-120000.sqlite",
                "stafet-20260309-000000.sqlite"
            ])
        );
        assert_eq!(
            beyond_keep(&folder, 2),
            names(&["stafet-20260308-120000.sqlite"])
        );
        assert!(beyond_keep(&folder, 3).is_empty());
        assert!(beyond_keep(&folder, 10).is_empty());
    }

    #[test]
    fn the_first_backup_after_a_start_is_due_an_interval_after_the_newest() {
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap();
        let six = Duration::from_secs(6 * 3600);
        let folder = names(&[
            "stafet-20260310-080000.sqlite",
            "stafet-20260310-020000.sqlite",
            "stafet-20991231-235959.sqlite.bak",
        ]);
        assert_eq!(
            first_delay(&folder, now, six),
            Duration::from_secs(2 * 3600)
        );
        let old = names(&["stafet-20260309-080000.sqlite"]);
        assert_eq!(first_delay(&old, now, six), Duration::ZERO, "overdue");
        assert_eq!(first_delay(&names(&["notes.txt"]), now, six), six);
        let ahead = names(&["stafet-20260310-130000.sqlite"]);
        assert_eq!(
            first_delay(&ahead, now, six),
            six,
            "a clock set back waits one interval, not more"
        );
    }
}
