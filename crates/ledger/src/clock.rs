//! Wall-clock time, injected so tests (and replays) control `integrated_time` and checkpoint
//! timestamps.

use std::time::{SystemTime, UNIX_EPOCH};

/// The source of "now" for sequencing: entries' `integrated_time` and checkpoint signing.
///
/// The ledger reads it once per batch, so every entry of a batch carries the same time.
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> i64;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one sanctioned read of the system clock in the core crates.
    #[allow(clippy::disallowed_methods)]
    fn now_unix(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            // A clock set before 1970 is a misconfigured host; report the (negative) truth.
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }
}
