//! The work one request may make the entry layer do.
//!
//! Parsing and hashing cost at most a few passes over the request body, but signature checks
//! can be multiplied by the entry itself: a certificate chain whose search backtracks, an
//! envelope with many signatures tried against many keys. Every such check is charged to a
//! [`WorkBudget`] first ([`WorkBudget::charge`]), so a request costs its size plus at most
//! `max_signature_checks` checks, whatever it asks for. A check with an RSA key larger than
//! 4096 bits is charged as several, in proportion to its cost (the square of the key size),
//! so the bound holds in CPU time and not only in count. Go's `x509.Verify` stops chain
//! building after 100 checks; [`DEFAULT_MAX_SIGNATURE_CHECKS`] is the same number for a
//! whole request.
//!
//! Pure Ed25519 cannot share a digest between signatures: each check hashes the whole signed
//! message again, so checks over a message larger than 64 KiB also take one of
//! [`DEFAULT_MAX_MESSAGE_PASSES`] passes.
//!
//! The budget also carries a cancellation flag: whoever waits for the result (the HTTP
//! layer's verification pool) raises it when the client is gone or its deadline passed, and
//! the next charge fails, so abandoned work stops between two signature checks. The budget
//! reads no clock itself: deadlines are the caller's, which keeps this crate clock-free.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

/// Signature checks one request may make by default (Go's `maxChainSignatureChecks`).
pub const DEFAULT_MAX_SIGNATURE_CHECKS: u32 = 100;

/// Full passes over a large signed message one request may make (pure Ed25519 hashes the
/// whole message with every signature it checks; RSA and ECDSA share one digest).
pub const DEFAULT_MAX_MESSAGE_PASSES: u32 = 16;

/// Messages up to this size cost about what a signature check does to hash, and are not
/// counted as passes.
pub(crate) const SMALL_MESSAGE: usize = 64 * 1024;

/// Why [`WorkBudget::charge_units`] refused another check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spent {
    /// The request used up its signature checks.
    Checks,
    /// The request used up its passes over a large message.
    Passes,
    /// Nobody waits for the answer any more.
    Cancelled,
}

/// A countdown of signature checks plus a cancellation flag, for one request.
///
/// Shared by reference with the code verifying; `Sync`, so the flag can be raised from
/// another thread while a check runs.
#[derive(Debug)]
pub struct WorkBudget {
    max: u32,
    remaining: AtomicU32,
    passes_left: AtomicU32,
    cancelled: Arc<AtomicBool>,
}

impl Default for WorkBudget {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_SIGNATURE_CHECKS)
    }
}

impl WorkBudget {
    /// A budget of `max_signature_checks` checks, not cancelled.
    pub fn new(max_signature_checks: u32) -> Self {
        Self {
            max: max_signature_checks,
            remaining: AtomicU32::new(max_signature_checks),
            passes_left: AtomicU32::new(DEFAULT_MAX_MESSAGE_PASSES),
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The signature checks this budget started with.
    pub fn max_signature_checks(&self) -> u32 {
        self.max
    }

    /// The signature checks charged so far (in units of a normal check).
    pub fn signature_checks(&self) -> u32 {
        self.max - self.remaining.load(Ordering::Relaxed)
    }

    /// A handle that cancels this budget from elsewhere (another thread, a drop guard).
    pub fn cancel_flag(&self) -> CancelFlag {
        CancelFlag(Arc::clone(&self.cancelled))
    }

    /// Whether the work was cancelled: its result will not be used.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Takes `units` signature checks from the budget; call it before each check. A check
    /// with a key that costs several times a normal one is charged as several (see
    /// `VerifyingKey::check_cost`).
    pub(crate) fn charge_units(&self, units: u32) -> Result<(), Spent> {
        if self.is_cancelled() {
            return Err(Spent::Cancelled);
        }
        self.remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                n.checked_sub(units)
            })
            .map(|_| ())
            .map_err(|_| Spent::Checks)
    }
}

impl WorkBudget {
    /// Takes one full pass over a signed message of `len` bytes, if it is large enough to
    /// count (see [`DEFAULT_MAX_MESSAGE_PASSES`]).
    pub(crate) fn charge_pass(&self, len: usize) -> Result<(), Spent> {
        if len <= SMALL_MESSAGE {
            return Ok(());
        }
        self.passes_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .map(|_| ())
            .map_err(|_| Spent::Passes)
    }
}

/// Raises the cancellation flag of a [`WorkBudget`].
#[derive(Debug, Clone)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// Cancels the budget: its next [`WorkBudget::charge`] fails.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_until_spent_or_cancelled() {
        let b = WorkBudget::new(2);
        assert_eq!(b.charge_units(1), Ok(()));
        assert_eq!(b.charge_units(1), Ok(()));
        assert_eq!(b.charge_units(1), Err(Spent::Checks));
        assert_eq!(b.signature_checks(), 2);
        let b = WorkBudget::new(5);
        b.cancel_flag().cancel();
        assert!(b.is_cancelled());
        assert_eq!(b.charge_units(1), Err(Spent::Cancelled));
    }
}
