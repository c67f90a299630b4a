//! The CT log service's one error type, and the one place ledger failures are translated.

use sigstack_ledger::store::StoreError;
use sigstack_ledger::LedgerError;

/// Every way a CT log call can fail. The HTTP layer maps each variant to one status in
/// `http::error`; in-process callers (the CA) branch on [`CtError::is_retryable`].
#[derive(Debug, thiserror::Error)]
pub enum CtError {
    /// Malformed request: bad JSON, bad base64, a missing or non-numeric parameter (400).
    #[error("{0}")]
    BadRequest(String),
    /// The client sent more than its rate limit allows (429 with `Retry-After`).
    #[error("rate limit exceeded, retry later")]
    RateLimited {
        /// How long until the client may submit again.
        retry_after: std::time::Duration,
    },
    /// The request body is larger than the configured limit (413).
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// `add-chain` / `add-pre-chain` without certificates (400).
    #[error("the chain is empty")]
    EmptyChain,
    /// More certificates than a chain to one of our roots can need (400).
    #[error("the chain has {len} certificates, at most {max} are accepted")]
    ChainTooLong {
        /// Certificates submitted.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// A certificate of the chain is unusable (not DER, an unsupported key or signature
    /// algorithm, an issuer that is not a CA) (400).
    #[error("certificate {index} of the chain: {reason}")]
    Certificate {
        /// Position in the submitted chain, leaf = 0.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Certificate `index` is not signed by the certificate after it (400).
    #[error("certificate {index} of the chain is not signed by its issuer: {reason}")]
    BadSignature {
        /// Position of the certificate whose signature fails, leaf = 0.
        index: usize,
        /// Why (name mismatch, signature does not verify).
        reason: String,
    },
    /// The chain does not end at, or is not issued by, one of the accepted roots (400).
    #[error("the chain does not end at an accepted root")]
    UnknownRoot,
    /// `add-pre-chain` with a leaf that is not a precertificate as RFC 6962 §3.1 defines it
    /// (poison missing, not critical, not `NULL`, repeated), or issued through a
    /// precertificate signing certificate, which this log does not support (400).
    #[error("not an acceptable precertificate: {0}")]
    Precertificate(String),
    /// `add-chain` with a precertificate: final certificates carry no poison (400).
    #[error(
        "add-chain takes final certificates, this one carries the precertificate poison extension"
    )]
    PoisonInFinalCertificate,
    /// A parameter names a size or range the tree does not have (400).
    #[error("{0}")]
    OutOfRange(String),
    /// No entry with that leaf hash in the tree asked about (404).
    #[error("{0}")]
    NotFound(String),
    /// A route exists but not for this method (405 with `Allow`).
    #[error("method not allowed, use {allowed}")]
    MethodNotAllowed {
        /// The method the route serves.
        allowed: &'static str,
    },
    /// The log cannot take the request now: queue full, standby, shutting down, a failed
    /// batch, a slow request (503 with `Retry-After`). Retrying is safe: a resubmitted chain
    /// gets the SCT of the entry already logged, if any.
    #[error("{0}")]
    Unavailable(&'static str),
    /// The log cannot be opened as configured: an unusable key or root, a path prefix that
    /// is not a path, or a shard holding a tree this key did not sign.
    #[error("CT log configuration: {0}")]
    Config(String),
    /// A bug, corrupt data or a storage failure. The detail is logged, never sent (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl CtError {
    /// Whether the same call may succeed later unchanged (Go's CT client retries exactly
    /// these, as 503s, until its context ends).
    pub fn is_retryable(&self) -> bool {
        matches!(self, CtError::Unavailable(_))
    }

    pub(crate) fn certificate(index: usize, reason: impl std::fmt::Display) -> Self {
        CtError::Certificate {
            index,
            reason: reason.to_string(),
        }
    }
}

impl From<crate::Error> for CtError {
    /// Format failures on the log's own data (encoding a leaf, signing) are internal: input
    /// errors are mapped where the input is checked.
    fn from(e: crate::Error) -> Self {
        CtError::Internal(e.to_string())
    }
}

impl From<LedgerError> for CtError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Overloaded => CtError::Unavailable("the log is overloaded, retry later"),
            LedgerError::NotWriter => {
                CtError::Unavailable("this server is a standby and cannot take writes now")
            }
            LedgerError::NotInitialized => {
                CtError::Unavailable("the log has not been initialised yet")
            }
            LedgerError::Closed => CtError::Unavailable("the log is shutting down"),
            LedgerError::BatchFailed(detail) => {
                tracing::warn!(%detail, "a CT batch failed to integrate; its submitters get 503");
                CtError::Unavailable("the entry was not acknowledged, retry later")
            }
            // Callers check sizes against the tree first; this is a race with a client that
            // asked about the very edge of the tree.
            LedgerError::OutOfRange(why) => CtError::OutOfRange(why),
            // A reader whose replica lags and whose primary is away: retry later.
            LedgerError::Store(StoreError::NotReplicated(_)) => {
                CtError::Unavailable("not replicated to this server yet, retry later")
            }
            // `add_*` handles `Duplicate` itself (it answers with the logged entry's SCT).
            other @ (LedgerError::Duplicate { .. }
            | LedgerError::Store(_)
            | LedgerError::Internal(_)) => CtError::Internal(other.to_string()),
        }
    }
}
