//! The RFC 6962 CT log service on the ledger engine: its own tree (shard) in the same database
//! as the Rekor log, an ECDSA P-256 (or RSA) key, and the CA roots it accepts chains to.
//!
//! A write validates the chain (module `chain`), builds the `MerkleTreeLeaf` with a
//! millisecond timestamp, signs the SCT over the same timestamp and entry, and submits the leaf
//! to the ledger with the RFC 6962 `extra_data` as the entry's receipt (stored, not hashed).
//! The SCT is returned only after the ledger answered `Ok`, i.e. after the batch holding the
//! entry committed: an SCT from this log is never a promise about an entry it could lose. The
//! ledger's checkpoint is the signed tree head (module `tree_head`), so `get-sth` is one row
//! read.
//!
//! Resubmitting a chain whose entry is already logged answers with an SCT for the logged
//! entry (same timestamp), as CTFE does. Two *concurrent* submissions of one chain may both be
//! logged, each with its own timestamp; both SCTs are then honest.
//!
//! [`CtLog::add_pre_chain`] is the in-process entry point of a CA running in the same process;
//! the HTTP handlers of [`http`] call the very same methods.

mod chain;
mod clock;
mod error;
pub mod http;
mod metrics;
mod signature;
mod tree_head;

use std::sync::Arc;
use std::time::Duration;

use ring::digest::{digest, SHA256};
use sigstack_ledger::store::{ShardId, Store, StoredEntry};
use sigstack_ledger::{EntryOutcome, Ledger, LedgerConfig, LedgerError, Submission};
use sigstack_merkle::{verify_inclusion, Hash};

use self::chain::{AcceptedRoots, LeafKind};
use self::tree_head::{NoStamper, TreeHeadSigner};
use crate::{
    LogId, LogPublicKey, LogSigner, MerkleTreeLeaf, SignedCertificateTimestamp, SignedEntry,
    SignedTreeHead, TimestampedEntry,
};

pub use self::clock::{MillisClock, SystemMillisClock};
pub use self::error::CtError;
pub use self::http::router;
pub use self::metrics::CtMetrics;

/// Default request body limit: a Fulcio chain is three certificates of about 1 KiB each.
pub const DEFAULT_MAX_BODY_BYTES: usize = 512 * 1024;
/// Default most certificates per submitted chain.
pub const DEFAULT_MAX_CHAIN_LEN: usize = 10;
/// Default most entries one `get-entries` answers (CTFE uses 1000; monitors page).
pub const DEFAULT_MAX_GET_ENTRIES: u64 = 256;
/// Default request timeout: Go's CT client retries a 503 until the CA's request ends.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What an operator configures about one CT log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtConfig {
    /// The ledger shard holding this log's tree; must differ from every Rekor tree ID in the
    /// same database.
    pub shard: ShardId,
    /// DER certificates of the CA roots chains must end at (for Fulcio, its root).
    pub roots: Vec<Vec<u8>>,
    /// Path before `/ct/v1/…`, e.g. `/2022` or `/sigstack-ctlog` (Fulcio deployments name
    /// their log in the URL); empty for none. Leading `/` required, trailing `/` dropped.
    pub path_prefix: String,
    /// Largest request body accepted; larger ones get 413 before anything is parsed.
    pub max_body_bytes: usize,
    /// Most certificates in one submitted chain.
    pub max_chain_len: usize,
    /// Most entries one `get-entries` answers; longer ranges are cut (RFC 6962 allows it).
    pub max_get_entries: u64,
    /// Longest a request may take; slower ones get 503 with `Retry-After`.
    pub request_timeout: Duration,
}

impl CtConfig {
    /// A log on `shard` accepting chains to `roots`, with the defaults: no path prefix,
    /// [`DEFAULT_MAX_BODY_BYTES`], [`DEFAULT_MAX_CHAIN_LEN`], [`DEFAULT_MAX_GET_ENTRIES`],
    /// [`DEFAULT_REQUEST_TIMEOUT`].
    pub fn new(shard: ShardId, roots: Vec<Vec<u8>>) -> Self {
        Self {
            shard,
            roots,
            path_prefix: String::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_chain_len: DEFAULT_MAX_CHAIN_LEN,
            max_get_entries: DEFAULT_MAX_GET_ENTRIES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// One logged entry as `get-entries` serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtEntry {
    /// Position in the tree.
    pub index: u64,
    /// The TLS `MerkleTreeLeaf` (its leaf hash is the tree's leaf).
    pub leaf_input: Vec<u8>,
    /// The chain (RFC 6962 §4.6 `extra_data`).
    pub extra_data: Vec<u8>,
}

impl From<StoredEntry> for CtEntry {
    fn from(e: StoredEntry) -> Self {
        Self {
            index: e.index,
            leaf_input: e.body,
            extra_data: e.receipt,
        }
    }
}

/// Kind labels of the stored entries.
const KIND_X509: &str = "ct:x509_entry";
const KIND_PRECERT: &str = "ct:precert_entry";

/// A CT log: its configuration, key, accepted roots and the ledger shard with its tree.
/// Cheap to share: callers hold it in an `Arc`.
pub struct CtLog<S: Store> {
    config: CtConfig,
    key: Arc<dyn LogSigner>,
    public_key: LogPublicKey,
    roots: AcceptedRoots,
    clock: Arc<dyn MillisClock>,
    tree_heads: Arc<TreeHeadSigner>,
    ledger: Ledger<S>,
    metrics: CtMetrics,
}

impl<S: Store> std::fmt::Debug for CtLog<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CtLog")
            .field("shard", &self.config.shard)
            .field("log_id", &self.public_key.log_id())
            .finish_non_exhaustive()
    }
}

impl<S: Store> CtLog<S> {
    /// Opens the log's tree on `store` (shard `config.shard`, overriding
    /// `ledger_config.shard`) with `key` as the SCT and tree head key. An existing tree must
    /// carry a tree head signed by `key`: a CT log never changes its key (a new key is a new
    /// log on a new shard). Must run inside a tokio runtime.
    pub async fn open(
        store: Arc<S>,
        mut config: CtConfig,
        key: Arc<dyn LogSigner>,
        mut ledger_config: LedgerConfig,
        clock: Arc<dyn MillisClock>,
    ) -> Result<Self, CtError> {
        config.path_prefix = normalize_prefix(&config.path_prefix)?;
        let public_key = LogPublicKey::from_spki_der(key.public_key_der())
            .map_err(|e| CtError::Config(e.to_string()))?;
        let roots = AcceptedRoots::new(config.roots.clone()).map_err(CtError::Config)?;
        let latest = match store
            .tree_state(config.shard)
            .await
            .map_err(LedgerError::from)?
        {
            None => 0,
            Some(state) => {
                let sth = SignedTreeHead::from_bytes(&state.checkpoint)
                    .and_then(|sth| sth.verify(&public_key).map(|()| sth))
                    .map_err(|e| {
                        CtError::Config(format!(
                            "shard {} holds a tree whose head is not a tree head of this log \
                             key ({e}): wrong shard or wrong key",
                            config.shard
                        ))
                    })?;
                sth.timestamp
            }
        };
        let tree_heads = Arc::new(TreeHeadSigner::new(
            Arc::clone(&key),
            Arc::clone(&clock),
            latest,
        ));
        ledger_config.shard = config.shard;
        let ledger = Ledger::open(
            store,
            ledger_config,
            Arc::clone(&tree_heads) as Arc<dyn sigstack_ledger::CheckpointSigner>,
            Arc::new(NoStamper),
            Arc::new(clock::LedgerClock(Arc::clone(&clock))),
        )
        .await?;
        Ok(Self {
            config,
            key,
            public_key,
            roots,
            clock,
            tree_heads,
            ledger,
            metrics: CtMetrics::default(),
        })
    }

    /// `add-pre-chain`: logs the precertificate `chain[0]` (issued directly by `chain[1]`,
    /// the rest up to an accepted root; the root may be left off) and returns its SCT once
    /// the entry is durable. The SCT's entry is the precert entry a client rebuilds from the
    /// final certificate.
    pub async fn add_pre_chain(
        &self,
        chain: Vec<Vec<u8>>,
    ) -> Result<SignedCertificateTimestamp, CtError> {
        self.add(chain, LeafKind::Precertificate).await
    }

    /// `add-chain`: logs the final certificate `chain[0]` as an x509 entry and returns its
    /// SCT once the entry is durable.
    pub async fn add_chain(
        &self,
        chain: Vec<Vec<u8>>,
    ) -> Result<SignedCertificateTimestamp, CtError> {
        self.add(chain, LeafKind::Final).await
    }

    /// What this log counted (submissions, proof self-check failures), for export.
    pub fn metrics(&self) -> &CtMetrics {
        &self.metrics
    }

    /// Logs `chain` and counts the outcome.
    async fn add(
        &self,
        chain: Vec<Vec<u8>>,
        kind: LeafKind,
    ) -> Result<SignedCertificateTimestamp, CtError> {
        let result = self.add_uncounted(chain, kind).await;
        let outcome = match &result {
            Ok((_, true)) => EntryOutcome::Duplicate,
            Ok((_, false)) => EntryOutcome::Created,
            Err(e) if e.status().is_server_error() => EntryOutcome::Unavailable,
            Err(_) => EntryOutcome::Rejected,
        };
        self.metrics.record_entry(kind, outcome);
        result.map(|(sct, _)| sct)
    }

    /// The SCT for `chain`, and whether the entry was already logged.
    async fn add_uncounted(
        &self,
        chain: Vec<Vec<u8>>,
        kind: LeafKind,
    ) -> Result<(SignedCertificateTimestamp, bool), CtError> {
        let validated = chain::validate(chain, kind, &self.roots, self.config.max_chain_len)?;
        let identity = identity_key(&validated.entry)?;
        if let Some(&index) = self.ledger.search(&identity, 1).await?.first() {
            return Ok((self.sct_of(index).await?, true));
        }
        let timestamp = self.clock.now_millis();
        let leaf = MerkleTreeLeaf {
            entry: TimestampedEntry {
                timestamp,
                entry: validated.entry,
                extensions: Vec::new(),
            },
        };
        let sct = SignedCertificateTimestamp::sign(
            self.key.as_ref(),
            timestamp,
            &leaf.entry.entry,
            Vec::new(),
        )?;
        self.tree_heads.saw_timestamp(timestamp);
        let submission = Submission {
            body: leaf.to_bytes()?,
            kind: match kind {
                LeafKind::Precertificate => KIND_PRECERT,
                LeafKind::Final => KIND_X509,
            }
            .to_owned(),
            search_keys: vec![identity],
            receipt: Some(validated.extra_data),
        };
        match self.ledger.submit(submission).await {
            Ok(_) => Ok((sct, false)),
            // The same leaf (same entry, same millisecond) is already durable.
            Err(LedgerError::Duplicate { index }) => Ok((self.sct_of(index).await?, true)),
            Err(e) => Err(e.into()),
        }
    }

    /// A fresh SCT for the logged entry at `index`, with the timestamp it was logged with.
    async fn sct_of(&self, index: u64) -> Result<SignedCertificateTimestamp, CtError> {
        let stored = self
            .ledger
            .entry(index)
            .await?
            .ok_or_else(|| CtError::Internal(format!("indexed entry {index} is missing")))?;
        let leaf = MerkleTreeLeaf::from_bytes(&stored.body)
            .map_err(|e| CtError::Internal(format!("stored entry {index}: {e}")))?;
        let TimestampedEntry {
            timestamp,
            entry,
            extensions,
        } = leaf.entry;
        Ok(SignedCertificateTimestamp::sign(
            self.key.as_ref(),
            timestamp,
            &entry,
            extensions,
        )?)
    }

    /// `get-sth`: the latest signed tree head.
    pub async fn signed_tree_head(&self) -> Result<SignedTreeHead, CtError> {
        let state = self.ledger.state().await?;
        let sth = SignedTreeHead::from_bytes(&state.checkpoint)
            .map_err(|e| CtError::Internal(format!("stored tree head: {e}")))?;
        if sth.tree_size != state.size || sth.root_hash != state.root {
            return Err(CtError::Internal(format!(
                "stored tree head names size {}, the tree state {}",
                sth.tree_size, state.size
            )));
        }
        Ok(sth)
    }

    /// `get-sth-consistency`: the proof that the tree of `first` leaves is a prefix of the
    /// tree of `second` (empty when `first` is 0 or equals `second`).
    pub async fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, CtError> {
        if first > second {
            return Err(CtError::BadRequest(format!(
                "first ({first}) must not be greater than second ({second})"
            )));
        }
        let size = self.ledger.state().await?.size;
        if second > size {
            return Err(CtError::OutOfRange(format!(
                "second ({second}) is beyond the tree size {size}"
            )));
        }
        if first == 0 || first == second {
            return Ok(Vec::new());
        }
        Ok(self.ledger.consistency_proof(first, second).await?)
    }

    /// `get-proof-by-hash`: the index of the leaf `leaf_hash` and its audit path in the tree
    /// of `tree_size` leaves. A proof to the current tree is re-verified before it is returned.
    pub async fn proof_by_hash(
        &self,
        leaf_hash: &Hash,
        tree_size: u64,
    ) -> Result<(u64, Vec<Hash>), CtError> {
        let state = self.ledger.state().await?;
        check_tree_size(tree_size, state.size)?;
        let entry = self
            .ledger
            .entry_by_leaf(leaf_hash)
            .await?
            .ok_or_else(|| CtError::NotFound("no entry with that leaf hash".to_owned()))?;
        if entry.index >= tree_size {
            return Err(CtError::NotFound(format!(
                "the entry with that leaf hash is not in the tree of size {tree_size}"
            )));
        }
        let proof = self.ledger.inclusion_proof(entry.index, tree_size).await?;
        if tree_size == state.size {
            verify_inclusion(leaf_hash, entry.index, tree_size, &proof, &state.root).map_err(
                |e| {
                    self.metrics.record_proof_check_failure();
                    CtError::Internal(format!(
                        "inclusion proof of entry {} failed its self-check: {e}",
                        entry.index
                    ))
                },
            )?;
        }
        Ok((entry.index, proof))
    }

    /// `get-entries`: the entries `start..=end`, cut to the tree and to
    /// [`CtConfig::max_get_entries`].
    pub async fn entries(&self, start: u64, end: u64) -> Result<Vec<CtEntry>, CtError> {
        if start > end {
            return Err(CtError::BadRequest(format!(
                "start ({start}) must not be greater than end ({end})"
            )));
        }
        let size = self.ledger.state().await?.size;
        if start >= size {
            return Err(CtError::OutOfRange(format!(
                "start ({start}) is beyond the tree size {size}"
            )));
        }
        let cap = self.config.max_get_entries.max(1);
        let stop = end
            .saturating_add(1)
            .min(start.saturating_add(cap))
            .min(size);
        let entries = self.ledger.entries(start, stop).await?;
        if entries.len() as u64 != stop - start {
            return Err(CtError::Internal(format!(
                "entries {start}..{stop} below the tree size came back incomplete"
            )));
        }
        Ok(entries.into_iter().map(CtEntry::from).collect())
    }

    /// `get-entry-and-proof`: the entry at `index` and its audit path in the tree of
    /// `tree_size` leaves.
    pub async fn entry_and_proof(
        &self,
        index: u64,
        tree_size: u64,
    ) -> Result<(CtEntry, Vec<Hash>), CtError> {
        let state = self.ledger.state().await?;
        check_tree_size(tree_size, state.size)?;
        if index >= tree_size {
            return Err(CtError::OutOfRange(format!(
                "leaf_index ({index}) is not below tree_size ({tree_size})"
            )));
        }
        let entry = self
            .ledger
            .entry(index)
            .await?
            .ok_or_else(|| CtError::Internal(format!("entry {index} is missing")))?;
        let proof = self.ledger.inclusion_proof(index, tree_size).await?;
        if tree_size == state.size {
            verify_inclusion(&entry.leaf_hash, index, tree_size, &proof, &state.root).map_err(
                |e| {
                    self.metrics.record_proof_check_failure();
                    CtError::Internal(format!("inclusion proof of entry {index}: {e}"))
                },
            )?;
        }
        Ok((entry.into(), proof))
    }

    /// `get-roots`: the accepted roots' DER.
    pub fn roots(&self) -> impl Iterator<Item = &[u8]> {
        self.roots.ders()
    }

    /// The log's public key (for trusted roots and `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`).
    pub fn public_key(&self) -> &LogPublicKey {
        &self.public_key
    }

    /// The log ID: SHA-256 of the DER public key.
    pub fn log_id(&self) -> LogId {
        self.public_key.log_id()
    }

    /// The configuration served (path prefix normalized).
    pub fn config(&self) -> &CtConfig {
        &self.config
    }

    /// The ledger behind the log (metrics, `close`, fsck with
    /// [`crate::stored_tree_head_verifier`]).
    pub fn ledger(&self) -> &Ledger<S> {
        &self.ledger
    }
}

/// The search key under which an entry is found again on resubmission: SHA-256 of its
/// `MerkleTreeLeaf` at timestamp 0, i.e. of everything but the log's own timestamp.
fn identity_key(entry: &SignedEntry) -> Result<String, CtError> {
    let leaf = MerkleTreeLeaf {
        entry: TimestampedEntry {
            timestamp: 0,
            entry: entry.clone(),
            extensions: Vec::new(),
        },
    };
    let hash = digest(&SHA256, &leaf.to_bytes()?);
    let hex: String = hash.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("ct-entry:sha256:{hex}"))
}

fn check_tree_size(tree_size: u64, size: u64) -> Result<(), CtError> {
    if tree_size == 0 {
        return Err(CtError::BadRequest(
            "tree_size must be at least 1".to_owned(),
        ));
    }
    if tree_size > size {
        return Err(CtError::OutOfRange(format!(
            "tree_size ({tree_size}) is beyond the tree size {size}"
        )));
    }
    Ok(())
}

fn normalize_prefix(prefix: &str) -> Result<String, CtError> {
    let trimmed = prefix.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let valid = trimmed.starts_with('/')
        && !trimmed.contains("//")
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b));
    if !valid {
        return Err(CtError::Config(format!(
            "path prefix {prefix:?} must look like /name or /a/b (letters, digits, -_.~)"
        )));
    }
    Ok(trimmed.to_owned())
}
