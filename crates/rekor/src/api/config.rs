//! What an operator configures about the Rekor API.

use std::time::Duration;

/// Rekor's default `--max_request_body_size` in the upstream docker-compose setup (32 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// How long one request may take before it is answered 503 (Rekor's own default write
/// timeout is in this range; sigstore-go's client gives up after 30 s).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Verification jobs that may wait for a worker of the verification pool before new ones
/// are refused with 503. Each holds its request body; a normal entry's checks take well
/// under a millisecond, so a full queue drains in about a second per core.
pub const DEFAULT_VERIFY_QUEUE: usize = 1024;

/// One verification worker per core: signature checks are pure CPU work.
pub fn default_verify_workers() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// The Rekor v1 API's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RekorConfig {
    /// Rekor's `rekor_server.hostname`: the checkpoint origin is `"<hostname> - <treeID>"`
    /// and the checkpoint signature is named after it. No spaces or `+`.
    pub hostname: String,
    /// The active tree's ID (= the ledger shard). Positive; written in decimal in `treeID`
    /// fields and origins, and as 16 hex digits at the start of every entry ID.
    pub tree_id: i64,
    /// Largest request body accepted; larger ones get 413 before anything is parsed.
    pub max_body_bytes: usize,
    /// Longest a request may take; slower ones get 503 with `Retry-After`.
    pub request_timeout: Duration,
    /// Verifications (create, retrieve by proposed entry, search by PGP key) running at once
    /// on the verification pool's blocking threads.
    pub verify_workers: usize,
    /// Verifications that may wait for a worker; beyond it requests get 503.
    pub verify_queue: usize,
    /// Signature checks one request may make (chain building, envelope signatures).
    pub max_signature_checks: u32,
}

impl RekorConfig {
    /// A configuration with the default body limit, timeout and verification pool.
    pub fn new(hostname: impl Into<String>, tree_id: i64) -> Self {
        Self {
            hostname: hostname.into(),
            tree_id,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            verify_workers: default_verify_workers(),
            verify_queue: DEFAULT_VERIFY_QUEUE,
            max_signature_checks: crate::DEFAULT_MAX_SIGNATURE_CHECKS,
        }
    }

    /// The 16 lower-case hex digits that prefix this tree's entry IDs.
    pub fn tree_id_hex(&self) -> String {
        format!("{:016x}", self.tree_id)
    }
}
