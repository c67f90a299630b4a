//! What the CT log counts: submissions by entry type and outcome (the CA's in-process
//! `add_pre_chain` included, since it goes through the same method as the HTTP API), and
//! read-path proofs that failed their self-check. Plain atomics behind
//! [`super::CtLog::metrics`]; the embedding binary exports them.

use std::sync::atomic::{AtomicU64, Ordering};

use sigstack_ledger::{EntryOutcome, OutcomeCounters};

use super::chain::LeafKind;

/// Counters of one CT log.
#[derive(Debug, Default)]
pub struct CtMetrics {
    x509: OutcomeCounters,
    precert: OutcomeCounters,
    proof_check_failures: AtomicU64,
}

impl CtMetrics {
    pub(crate) fn record_entry(&self, kind: LeafKind, outcome: EntryOutcome) {
        match kind {
            LeafKind::Final => self.x509.record(outcome),
            LeafKind::Precertificate => self.precert.record(outcome),
        }
    }

    pub(crate) fn record_proof_check_failure(&self) {
        self.proof_check_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// `(entry type, outcome, count)`; entry types are RFC 6962's `x509_entry` and
    /// `precert_entry`.
    pub fn entries(&self) -> Vec<(&'static str, EntryOutcome, u64)> {
        [("x509_entry", &self.x509), ("precert_entry", &self.precert)]
            .into_iter()
            .flat_map(|(name, c)| EntryOutcome::ALL.map(|o| (name, o, c.get(o))))
            .collect()
    }

    /// Inclusion proofs the read path refused to hand out because they did not verify (the
    /// ledger counts its write-path failures itself). Must stay 0.
    pub fn proof_check_failures(&self) -> u64 {
        self.proof_check_failures.load(Ordering::Relaxed)
    }
}
