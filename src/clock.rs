//! The clock every rule and timestamp reads, injectable so tests can run a four-day relay in
//! milliseconds.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// Wall-clock time, or a manual clock that only moves when told to.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system's UTC time.
    #[default]
    System,
    /// A clock that tests set and advance.
    Manual(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    /// A manual clock starting at `at`.
    pub fn manual(at: DateTime<Utc>) -> Self {
        Self::Manual(Arc::new(Mutex::new(at)))
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            Self::Manual(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Waits until the clock reads `at` or later. The system clock is slept on, and read again
    /// at least once a minute in case the wall clock was set; a manual clock moves only when a
    /// test moves it, so it is read every few milliseconds.
    pub async fn sleep_until(&self, at: DateTime<Utc>) {
        let most = match self {
            Self::System => std::time::Duration::from_secs(60),
            Self::Manual(_) => std::time::Duration::from_millis(10),
        };
        loop {
            // Negative when `at` has passed, which `to_std` refuses.
            let Ok(left) = (at - self.now()).to_std() else {
                return;
            };
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left.min(most)).await;
        }
    }

    /// Moves a manual clock forward (a no-op on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Self::Manual(t) = self {
            *t.lock().unwrap_or_else(|e| e.into_inner()) += by;
        }
    }
}
