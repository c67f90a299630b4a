//! The ledger's one error type: a variant wherever a caller (the HTTP layer) must branch.

use crate::store::StoreError;

/// What can go wrong in the ledger facade.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The same body is already in the log (or earlier in the same batch) at `index`.
    #[error("entry already exists at index {index}")]
    Duplicate {
        /// Index of the existing entry.
        index: u64,
    },
    /// The submission queue is full; the caller should retry later (HTTP 503 + Retry-After).
    #[error("the log is overloaded, retry later")]
    Overloaded,
    /// This process is a standby: another process holds the shard's writer lease.
    #[error("this process is not the log's writer")]
    NotWriter,
    /// An index or tree size outside the current tree, or sizes no proof exists for.
    #[error("out of range: {0}")]
    OutOfRange(String),
    /// The log has no tree state yet (a standby before the writer initialised it).
    #[error("the log has not been initialised yet")]
    NotInitialized,
    /// The batch carrying this submission failed to integrate. Nothing was acknowledged; the
    /// entry may or may not have been stored, and a resubmission is deduplicated.
    #[error("entry was not acknowledged: {0}")]
    BatchFailed(String),
    /// The ledger was closed.
    #[error("the ledger is closed")]
    Closed,
    /// A read from the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bug or corrupt data: a failed proof self-check, a stamper or signer failure.
    #[error("internal error: {0}")]
    Internal(String),
}
