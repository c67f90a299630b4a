//! The writer's window of most recently committed entries.
//!
//! Most reads of a transparency log are of entries that were just written: a client logs an
//! entry and verifies it, a monitor follows the tail. Entries never change once committed, so
//! the writer keeps the newest ones (bounded by bytes) and answers those reads without a store
//! round trip. The window is contiguous: a batch that does not continue it (after a resync or
//! a takeover) starts it afresh, so a hit is always the entry at that index.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use crate::store::StoredEntry;

/// A contiguous run of the newest committed entries, at most `max_bytes` of bodies and receipts.
pub(crate) struct RecentEntries {
    max_bytes: usize,
    inner: Mutex<Window>,
}

#[derive(Default)]
struct Window {
    /// Index of `entries[0]`.
    first: u64,
    entries: VecDeque<StoredEntry>,
    bytes: usize,
}

fn cost(entry: &StoredEntry) -> usize {
    entry.body.len() + entry.receipt.len() + entry.kind.len() + 64
}

impl RecentEntries {
    /// An empty window holding up to `max_bytes` (0 disables it).
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            inner: Mutex::new(Window::default()),
        }
    }

    /// Records a committed batch (entries in index order).
    pub(crate) fn extend(&self, batch: &[StoredEntry]) {
        let Some(first_new) = batch.first().map(|e| e.index) else {
            return;
        };
        if self.max_bytes == 0 {
            return;
        }
        let mut w = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let next = w.first + w.entries.len() as u64;
        if w.entries.is_empty() || first_new != next {
            *w = Window {
                first: first_new,
                ..Window::default()
            };
        }
        for entry in batch {
            w.bytes += cost(entry);
            w.entries.push_back(entry.clone());
        }
        while w.bytes > self.max_bytes {
            let Some(old) = w.entries.pop_front() else {
                break;
            };
            w.bytes -= cost(&old);
            w.first += 1;
        }
    }

    /// The entry at `index`, if it is in the window.
    pub(crate) fn get(&self, index: u64) -> Option<StoredEntry> {
        let w = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let offset = usize::try_from(index.checked_sub(w.first)?).ok()?;
        w.entries.get(offset).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: u64, size: usize) -> StoredEntry {
        StoredEntry {
            index,
            leaf_hash: [0; 32],
            body: vec![index as u8; size],
            integrated_time: 0,
            kind: String::new(),
            receipt: Vec::new(),
        }
    }

    #[test]
    fn keeps_the_newest_within_the_bound() {
        let recent = RecentEntries::new(3 * (100 + 64));
        recent.extend(&[entry(0, 100), entry(1, 100)]);
        recent.extend(&[entry(2, 100), entry(3, 100)]);
        assert!(recent.get(0).is_none());
        for i in 1..=3 {
            assert_eq!(recent.get(i).map(|e| e.index), Some(i));
        }
        assert!(recent.get(4).is_none());
    }

    #[test]
    fn a_gap_restarts_the_window() {
        let recent = RecentEntries::new(1 << 20);
        recent.extend(&[entry(0, 10), entry(1, 10)]);
        recent.extend(&[entry(5, 10)]);
        assert!(recent.get(1).is_none());
        assert_eq!(recent.get(5).map(|e| e.index), Some(5));
    }

    #[test]
    fn zero_disables() {
        let recent = RecentEntries::new(0);
        recent.extend(&[entry(0, 10)]);
        assert!(recent.get(0).is_none());
    }
}
