//! What the Rekor API counts: entry submissions by kind and outcome, proofs that failed
//! their self-check on the read path, and the verification pool's admissions. Plain atomics behind a method, no global registry: the
//! embedding binary reads them and decides how to export them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sigstack_ledger::{EntryOutcome, OutcomeCounters};

use super::verify_pool::VerificationCounters;
use crate::Kind;

/// Label of submissions whose kind could not be read (not JSON, no or an unknown `kind`).
pub const UNKNOWN_KIND: &str = "unknown";

/// The kinds counted, in label order; index 4 of the counters is [`UNKNOWN_KIND`].
const KINDS: [Kind; 4] = [Kind::HashedRekord, Kind::Rekord, Kind::Intoto, Kind::Dsse];

/// Counters of one Rekor API.
#[derive(Debug, Default)]
pub struct RekorMetrics {
    entries: [OutcomeCounters; 5],
    proof_check_failures: AtomicU64,
    verification: Arc<VerificationCounters>,
}

impl RekorMetrics {
    /// Counts one `POST /api/v1/log/entries` of `kind` (`None`: unreadable) ending `outcome`.
    pub(crate) fn record_entry(&self, kind: Option<Kind>, outcome: EntryOutcome) {
        let slot = kind
            .and_then(|k| KINDS.iter().position(|x| *x == k))
            .unwrap_or(KINDS.len());
        if let Some(c) = self.entries.get(slot) {
            c.record(outcome);
        }
    }

    /// Counts an inclusion proof that failed its check against the head it was served with.
    pub(crate) fn record_proof_check_failure(&self) {
        self.proof_check_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// `(kind, outcome, count)` for every kind (including [`UNKNOWN_KIND`]) and outcome.
    pub fn entries(&self) -> Vec<(&'static str, EntryOutcome, u64)> {
        let names = KINDS.iter().map(|k| k.as_str()).chain([UNKNOWN_KIND]);
        names
            .zip(&self.entries)
            .flat_map(|(name, counters)| EntryOutcome::ALL.map(|o| (name, o, counters.get(o))))
            .collect()
    }

    /// The verification pool's admitted, rejected (503) and abandoned jobs.
    pub fn verification(&self) -> &VerificationCounters {
        &self.verification
    }

    /// The counters the verification pool writes to.
    pub(crate) fn verification_counters(&self) -> Arc<VerificationCounters> {
        Arc::clone(&self.verification)
    }

    /// Inclusion proofs the read path refused to hand out because they did not verify (the
    /// ledger counts its write-path failures itself). Must stay 0.
    pub fn proof_check_failures(&self) -> u64 {
        self.proof_check_failures.load(Ordering::Relaxed)
    }
}

/// The kind a proposed entry names, read leniently for labelling a refused submission.
pub(crate) fn peek_kind(body: &[u8]) -> Option<Kind> {
    #[derive(serde::Deserialize)]
    struct KindOnly {
        kind: Option<String>,
    }
    let peeked: KindOnly = serde_json::from_slice(body).ok()?;
    Kind::parse(peeked.kind.as_deref()?)
}

/// The kind of a ledger kind label (`hashedrekord:0.0.1`).
pub(crate) fn kind_of_label(label: &str) -> Option<Kind> {
    Kind::parse(label.split(':').next().unwrap_or(label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_under_their_kind() {
        let m = RekorMetrics::default();
        m.record_entry(Some(Kind::Dsse), EntryOutcome::Created);
        m.record_entry(None, EntryOutcome::Rejected);
        let all = m.entries();
        assert_eq!(all.len(), 20);
        assert!(all.contains(&("dsse", EntryOutcome::Created, 1)));
        assert!(all.contains(&("unknown", EntryOutcome::Rejected, 1)));
        assert!(all.contains(&("hashedrekord", EntryOutcome::Created, 0)));
        assert_eq!(peek_kind(br#"{"kind":"rekord","x":1}"#), Some(Kind::Rekord));
        assert_eq!(peek_kind(b"nope"), None);
        assert_eq!(kind_of_label("intoto:0.0.2"), Some(Kind::Intoto));
    }
}
