//! The ledger hooks of the CT log: its checkpoint is an RFC 6962 signed tree head, and it
//! has no stamper (CT submissions carry their own receipt, the `extra_data`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sigstack_ledger::store::StoredEntry;
use sigstack_ledger::{CheckpointSigner, Stamper};
use sigstack_merkle::Hash;

use super::clock::MillisClock;
use crate::{LogSigner, SignedTreeHead};

/// Signs each new tree head as a [`SignedTreeHead`] in its stored encoding.
///
/// The timestamp is the log's millisecond clock, but never earlier than an earlier tree head
/// or than any SCT timestamp handed to [`TreeHeadSigner::saw_timestamp`]: RFC 6962 §3.5 wants
/// a tree head at least as recent as every SCT of the tree, and monitors expect tree head
/// timestamps not to go backwards, even if the clock does. (The ledger's seconds argument
/// is ignored for the same reason.)
pub(crate) struct TreeHeadSigner {
    key: Arc<dyn LogSigner>,
    clock: Arc<dyn MillisClock>,
    /// The latest timestamp signed or promised in an SCT.
    latest: AtomicU64,
}

impl TreeHeadSigner {
    /// `latest` seeds the monotonic floor (the stored tree head's timestamp on reopen).
    pub(crate) fn new(key: Arc<dyn LogSigner>, clock: Arc<dyn MillisClock>, latest: u64) -> Self {
        Self {
            key,
            clock,
            latest: AtomicU64::new(latest),
        }
    }

    /// Records an SCT timestamp the next tree heads must not predate.
    pub(crate) fn saw_timestamp(&self, timestamp: u64) {
        self.latest.fetch_max(timestamp, Ordering::AcqRel);
    }
}

impl CheckpointSigner for TreeHeadSigner {
    fn sign(&self, size: u64, root: &Hash, _now_unix: i64) -> Result<Vec<u8>, String> {
        let now = self.clock.now_millis();
        let timestamp = self.latest.fetch_max(now, Ordering::AcqRel).max(now);
        SignedTreeHead::sign(self.key.as_ref(), timestamp, size, *root)
            .and_then(|sth| sth.to_bytes())
            .map_err(|e| format!("signing the tree head: {e}"))
    }
}

/// The CT log never asks the ledger to stamp: every submission carries its `extra_data` as
/// its receipt. Reaching this is a bug, and the entry is refused rather than stored without
/// its chain.
pub(crate) struct NoStamper;

impl Stamper for NoStamper {
    fn stamp(&self, entry: &StoredEntry) -> Result<Vec<u8>, String> {
        Err(format!(
            "CT entry {} was submitted without its extra_data",
            entry.index
        ))
    }
}
