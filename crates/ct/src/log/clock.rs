//! The log's clock, in milliseconds: SCT and tree head timestamps are milliseconds (RFC 6962),
//! the ledger's integrated times seconds. One injected clock drives both, so tests control
//! every timestamp the log writes.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The source of "now" for SCTs and tree heads.
pub trait MillisClock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> u64;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemMillisClock;

impl MillisClock for SystemMillisClock {
    // The one read of the system clock in the CT log.
    #[allow(clippy::disallowed_methods)]
    fn now_millis(&self) -> u64 {
        // A clock before 1970 is a misconfigured host; 0 keeps timestamps ordered.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// The same clock in the ledger's seconds, for entries' `integrated_time`.
pub(crate) struct LedgerClock(pub(crate) Arc<dyn MillisClock>);

impl sigstack_ledger::Clock for LedgerClock {
    fn now_unix(&self) -> i64 {
        i64::try_from(self.0.now_millis() / 1000).unwrap_or(i64::MAX)
    }
}
