//! What an operator configures about the Rekor API.

use std::time::Duration;

/// Rekor's default `--max_request_body_size` in the upstream docker-compose setup (32 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// How long one request may take before it is answered 503 (Rekor's own default write
/// timeout is in this range; sigstore-go's client gives up after 30 s).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

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
}

impl RekorConfig {
    /// A configuration with the default body limit and timeout.
    pub fn new(hostname: impl Into<String>, tree_id: i64) -> Self {
        Self {
            hostname: hostname.into(),
            tree_id,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// The 16 lower-case hex digits that prefix this tree's entry IDs.
    pub fn tree_id_hex(&self) -> String {
        format!("{:016x}", self.tree_id)
    }
}
