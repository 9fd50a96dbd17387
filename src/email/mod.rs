//! Outgoing email: templates (`render`), the outbox worker (`worker`), and the formatting of
//! times for people in the relay's time zone and language.

pub mod render;
pub mod worker;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::db::from_db;
use crate::db::rounds::RoundRow;

/// `t` as a reader of the relay sees it: local time, in Danish or English words.
pub fn format_time(t: DateTime<Utc>, timezone: &str, language: &str) -> String {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::Europe::Copenhagen);
    let local = t.with_timezone(&tz);
    if language == "da" {
        local
            .format_localized("%A %-d. %B %Y kl. %H.%M", chrono::Locale::da_DK)
            .to_string()
    } else {
        local
            .format_localized("%A %-d %B %Y at %H:%M", chrono::Locale::en_GB)
            .to_string()
    }
}

/// Rounds as the invitation lists them.
pub fn rounds_for_email(rounds: &[RoundRow], timezone: &str, language: &str) -> Value {
    Value::Array(
        rounds
            .iter()
            .map(|r| {
                json!({
                    "name": r.name,
                    "starts_at": format_time(from_db(r.starts_at), timezone, language),
                    "ends_at": format_time(from_db(r.ends_at), timezone, language),
                    "prompt": r.prompt,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_read_in_the_relays_zone_and_language() {
        let t = Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap();
        assert_eq!(
            format_time(t, "Europe/Copenhagen", "da"),
            "mandag 7. december 2026 kl. 09.00"
        );
        assert_eq!(
            format_time(t, "Europe/Copenhagen", "en"),
            "Monday 7 December 2026 at 09:00"
        );
    }
}
