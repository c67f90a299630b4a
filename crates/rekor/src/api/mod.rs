//! The Rekor v1 REST API over a [`Ledger`], served with axum.
//!
//! The bar is that unmodified cosign, rekor-cli, sigstore-go and sigstore-python work
//! against [`router`] exactly as against public Rekor v1, so response bytes follow the
//! captures of real Rekor servers in `tests/vectors/golden/` wherever a client can tell
//! (status, content type, `ETag`/`Location`, JSON shape and key order, empty lists as
//! `[]`, empty 404s on entry lookups). On error paths no client depends on, we answer better
//! than Rekor (400 for malformed JSON, 413 for oversized bodies) but keep its error shape.
//!
//! Layout: [`RekorService`] holds the configuration, the log key and the ledger, and renders
//! entries; `entries`, `search` and `log` hold the handlers; `error` is the one place that
//! maps failures to responses; `routes` wires paths and middleware.
//!
//! This layer knows nothing of storage: it validates and canonicalizes through the entry
//! kinds, submits to and reads from the ledger, and signs only through [`LogKey`].
//!
//! Wiring, in a binary: `let svc = Arc::new(RekorService::open(store, RekorConfig::new(host,
//! tree_id), signer, LedgerConfig::new(tree_id), Arc::new(SystemClock)).await?);` then
//! `axum::serve(listener, router(svc)).await`. To open the ledger yourself, build a
//! [`LogKey`] first and pass it (in `Arc`s) as the ledger's stamper and checkpoint signer,
//! then [`RekorService::new`].

mod body;
mod canonical;
mod config;
mod entries;
/// For the fuzz targets in `fuzz/` only: the search handler's key parsing.
#[doc(hidden)]
pub mod fuzzing {
    pub use super::canonical::public_key_search_key;
}
mod error;
mod genesis;
mod json;
mod keys;
mod log;
mod metrics;
mod middleware;
mod model;
mod query;
mod routes;
mod search;
mod verify_pool;

use std::sync::Arc;

use sigstack_ledger::store::{Store, StoredEntry};
use sigstack_ledger::{Clock, Ledger, LedgerConfig, LedgerError};
use sigstack_merkle::signature::EcdsaP256Signer;
use sigstack_merkle::{verify_inclusion, Hash};

pub use config::{
    default_verify_workers, RekorConfig, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_VERIFY_QUEUE,
};
pub use error::ApiError;
pub use keys::{KeyError, LogKey};
pub use metrics::{RekorMetrics, UNKNOWN_KIND};
pub use routes::router;
pub use verify_pool::VerificationCounters;

/// Rekor's answer to a client over its rate limit (429 with `Retry-After`), for a server
/// that applies limits in front of [`router`].
pub fn rate_limited(retry_after: std::time::Duration) -> axum::response::Response {
    axum::response::IntoResponse::into_response(ApiError::RateLimited { retry_after })
}

use crate::{EntryId, InclusionProof, LogEntry, Uuid, Verification};

/// Where the API lives; `Location` headers are built from it.
const ENTRIES_PATH: &str = "/api/v1/log/entries";

/// The relative `Location` of an entry, as Rekor sends it on 201 and 409.
pub(crate) fn entry_location(entry_id: &str) -> String {
    format!("{ENTRIES_PATH}/{entry_id}")
}

/// Why [`RekorService::open`] failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The key cannot serve this configuration.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The ledger could not be opened.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// One Rekor v1 log: its configuration, its key and the ledger shard holding its tree.
///
/// Cheap to share: handlers hold it in an `Arc`.
pub struct RekorService<S: Store> {
    config: RekorConfig,
    key: Arc<LogKey>,
    ledger: Ledger<S>,
    metrics: RekorMetrics,
    verify_pool: verify_pool::VerifyPool,
}

impl<S: Store> RekorService<S> {
    /// Wraps an already opened ledger. `key` must be the one the ledger was opened with as
    /// its stamper and checkpoint signer, and the ledger's shard must be `config.tree_id`;
    /// otherwise SETs and checkpoints will not verify with the key this API serves.
    pub fn new(config: RekorConfig, key: Arc<LogKey>, ledger: Ledger<S>) -> Self {
        let metrics = RekorMetrics::default();
        let verify_pool = verify_pool::VerifyPool::new(
            verify_pool::PoolLimits {
                workers: config.verify_workers,
                queue: config.verify_queue,
                max_signature_checks: config.max_signature_checks,
                deadline: config.request_timeout,
            },
            metrics.verification_counters(),
        );
        Self {
            config,
            key,
            ledger,
            metrics,
            verify_pool,
        }
    }

    /// Binds `signer` to `config`, opens the ledger on `store` with that key as stamper and
    /// checkpoint signer and `config.tree_id` as its shard (overriding
    /// `ledger_config.shard`), and wraps it. Must run inside a tokio runtime.
    pub async fn open(
        store: Arc<S>,
        config: RekorConfig,
        signer: EcdsaP256Signer,
        mut ledger_config: LedgerConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, OpenError> {
        let key = Arc::new(LogKey::new(signer, &config)?);
        ledger_config.shard = config.tree_id;
        let ledger = Ledger::open(
            store,
            ledger_config,
            Arc::clone(&key) as Arc<dyn sigstack_ledger::CheckpointSigner>,
            Arc::clone(&key) as Arc<dyn sigstack_ledger::Stamper>,
            clock,
        )
        .await?;
        Ok(Self::new(config, key, ledger))
    }

    /// The configuration served.
    pub fn config(&self) -> &RekorConfig {
        &self.config
    }

    /// The log key (for `sigstack` to print the log ID, for tests to verify SETs).
    pub fn key(&self) -> &LogKey {
        &self.key
    }

    /// The ledger behind the API.
    pub fn ledger(&self) -> &Ledger<S> {
        &self.ledger
    }

    /// What this API counted (entry submissions, proof self-check failures), for export.
    pub fn metrics(&self) -> &RekorMetrics {
        &self.metrics
    }

    /// The bounded pool every signature check of a request runs in.
    pub(crate) fn verify_pool(&self) -> &verify_pool::VerifyPool {
        &self.verify_pool
    }

    /// The 80-hex entry ID of the leaf `leaf` in this tree.
    pub(crate) fn entry_id(&self, leaf: &Hash) -> String {
        format!("{}{}", self.config.tree_id_hex(), hex::encode(leaf))
    }

    /// Renders `entry` with its SET and an inclusion proof against the current tree head
    /// `head` (which must cover it). The proof is re-verified against the head's root before
    /// it is handed out.
    pub(crate) async fn render_current(
        &self,
        entry: StoredEntry,
        head: &Head,
    ) -> Result<LogEntry, ApiError> {
        let proof = self
            .ledger
            .inclusion_proof(entry.index, head.size)
            .await
            .map_err(ApiError::from)?;
        verify_inclusion(&entry.leaf_hash, entry.index, head.size, &proof, &head.root).map_err(
            |e| {
                self.metrics.record_proof_check_failure();
                ApiError::Internal(format!(
                    "inclusion proof of entry {} at size {} failed its self-check: {e}",
                    entry.index, head.size
                ))
            },
        )?;
        self.render(entry, head, proof)
    }

    /// Renders `entry` with the given proof against `head` (already verified by the caller).
    /// With a single shard the global index (top-level `logIndex`, what the SET signs) and the
    /// shard-local one (`inclusionProof.logIndex`) are the same number.
    pub(crate) fn render(
        &self,
        entry: StoredEntry,
        head: &Head,
        proof: Vec<Hash>,
    ) -> Result<LogEntry, ApiError> {
        let too_big = |what: &str| ApiError::Internal(format!("{what} does not fit in an int64"));
        let log_index = i64::try_from(entry.index).map_err(|_| too_big("log index"))?;
        let tree_size = i64::try_from(head.size).map_err(|_| too_big("tree size"))?;
        Ok(LogEntry {
            entry_id: EntryId::new(self.config.tree_id, Uuid::from_bytes(entry.leaf_hash)),
            body: entry.body,
            integrated_time: entry.integrated_time,
            log_id: self.key.log_id_hex().to_owned(),
            log_index,
            verification: Some(Verification {
                inclusion_proof: Some(InclusionProof {
                    checkpoint: head.checkpoint.clone(),
                    hashes: proof,
                    log_index,
                    root_hash: head.root,
                    tree_size,
                }),
                signed_entry_timestamp: entry.receipt,
            }),
            attestation: None,
        })
    }

    /// The current signed tree head.
    pub(crate) async fn head(&self) -> Result<Head, ApiError> {
        let state = self.ledger.state().await?;
        let checkpoint = String::from_utf8(state.checkpoint).map_err(|_| {
            ApiError::Internal("the stored checkpoint is not UTF-8 text".to_owned())
        })?;
        Ok(Head {
            size: state.size,
            root: state.root,
            checkpoint,
        })
    }
}

/// A signed tree head as the API hands it out.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub size: u64,
    pub root: Hash,
    pub checkpoint: String,
}
