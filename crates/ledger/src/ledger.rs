//! The ledger facade: what the Rekor and CT services call.
//!
//! A [`Ledger`] is a handle on one shard. Writes go through the sequencer task (see
//! [`crate::sequencer`]); reads go straight to the store and the in-memory tile cache and
//! never wait for the sequencer. Exactly one process per shard is the writer (it holds the
//! store's writer lease); any other process opened on the same shard is a *standby* that
//! serves reads, refuses [`Ledger::submit`] with [`LedgerError::NotWriter`] and retries the
//! lease every [`LedgerConfig::lease_retry`] to take over when the writer goes away.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use sigstack_merkle::{inclusion_proof, leaf_hash, verify_inclusion, Hash, Tile, TileId};
use tokio::sync::{mpsc, oneshot};

use crate::cache::TileCache;
use crate::clock::Clock;
use crate::error::LedgerError;
use crate::metrics::{Metrics, MetricsSnapshot};
use crate::point_reads::{PointReadLimits, PointReads};
use crate::recent::RecentEntries;
use crate::sequencer::{Command, Committed, Job, Sequencer};
use crate::store::{ShardId, Store, StoredEntry, TreeState};

/// How a ledger batches, queues and caches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerConfig {
    /// The tree this ledger extends.
    pub shard: ShardId,
    /// Most entries integrated in one batch (one store transaction).
    pub max_batch: usize,
    /// How long the sequencer waits, after the first submission of a batch, for more to
    /// arrive before it integrates what it has.
    pub max_delay: Duration,
    /// Submissions that may wait for the sequencer; beyond it `submit` fails at once with
    /// [`LedgerError::Overloaded`] instead of queueing without bound.
    pub queue_capacity: usize,
    /// How often a standby tries to take the writer lease over.
    pub lease_retry: Duration,
    /// Full tiles kept in memory (about 16 KiB each, expanded). 8192 covers every level-0
    /// tile of a two-million-entry log in about 130 MiB; a log with more level-0 tiles than
    /// this misses the cache on a share of uniform reads and pays a store query for each.
    pub tile_cache_tiles: usize,
    /// Bytes of the newest committed entries the writer keeps in memory, so reads of fresh
    /// entries (the common case) skip the store. 0 disables it.
    pub recent_entries_bytes: usize,
    /// Store queries that single-entry reads may have in flight at once; reads arriving
    /// while all are busy share the next query (see `point_reads`). Keep it at or below the
    /// engine's read connections.
    pub point_read_slots: usize,
    /// Most single-entry reads one store query answers.
    pub point_read_batch: usize,
    /// Whether opening starts a background task that loads full tiles into the cache (see
    /// `warm`), so a restarted server does not pay a store query per cold tile.
    pub warm_tile_cache: bool,
}

impl LedgerConfig {
    /// The defaults for `shard`: batches of up to 1024 entries or 2 ms, 16384 queued
    /// submissions, lease retried every second, 8192 cached tiles, single-entry reads
    /// coalesced over 2 query slots in batches of up to 128, tile cache warmed in the
    /// background.
    pub fn new(shard: ShardId) -> Self {
        Self {
            shard,
            max_batch: 1024,
            max_delay: Duration::from_millis(2),
            queue_capacity: 16384,
            lease_retry: Duration::from_secs(1),
            tile_cache_tiles: 8192,
            recent_entries_bytes: 32 << 20,
            point_read_slots: 2,
            point_read_batch: 128,
            warm_tile_cache: true,
        }
    }
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self::new(0)
    }
}

/// Computes per-entry receipt bytes (Rekor SET) at sequencing time, stored with the entry.
/// Called by the sequencer once per new entry whose [`Submission::receipt`] is `None`, with
/// `index`, `leaf_hash`, `body`, `kind` and `integrated_time` final and `receipt` empty. An
/// error rejects that entry alone.
pub trait Stamper: Send + Sync + 'static {
    /// The receipt for `entry`.
    fn stamp(&self, entry: &StoredEntry) -> Result<Vec<u8>, String>;
}

/// Produces the signed checkpoint (signed-note bytes) for a new tree head; checkpoint text
/// and origin are the service's business. An error fails the whole batch (nothing written).
pub trait CheckpointSigner: Send + Sync + 'static {
    /// The signed checkpoint for the tree of `size` leaves with `root`, made at `now_unix`.
    fn sign(&self, size: u64, root: &Hash, now_unix: i64) -> Result<Vec<u8>, String>;
}

/// One entry offered to the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The canonical entry bytes; the leaf hash is computed over exactly these.
    pub body: Vec<u8>,
    /// Opaque kind label stored with the entry.
    pub kind: String,
    /// Keys under which [`Ledger::search`] finds the entry.
    pub search_keys: Vec<String>,
    /// Receipt bytes the service computed itself, for data that must be stored with the
    /// entry but is not hashed into its leaf (CT: the `extra_data` chain). When `Some`, it
    /// is stored as given and the ledger's [`Stamper`] is not called for this entry; when
    /// `None`, the stamper computes the receipt at sequencing time (Rekor: the SET).
    pub receipt: Option<Vec<u8>>,
}

/// A durably integrated entry, with the proof that it is in the tree the checkpoint signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The entry as stored (index, integrated time, receipt).
    pub entry: StoredEntry,
    /// Size of the tree the proof and checkpoint are for.
    pub tree_size: u64,
    /// Root of that tree.
    pub root: Hash,
    /// The signed checkpoint of that tree.
    pub checkpoint: Vec<u8>,
    /// Inclusion proof of the entry in that tree, leaf to root, verified before returning.
    pub inclusion_proof: Vec<Hash>,
}

/// The writer's latest committed tree: its state and its partial tiles, expanded.
#[derive(Debug)]
pub(crate) struct View {
    pub(crate) state: TreeState,
    pub(crate) partial: Vec<Arc<Tile>>,
}

impl View {
    /// The partial tile at `(level, index)` if it has at least `width` hashes.
    pub(crate) fn partial_covering(&self, id: TileId) -> Option<Arc<Tile>> {
        self.partial
            .iter()
            .find(|t| {
                let have = t.id();
                have.level == id.level && have.index == id.index && have.width >= id.width
            })
            .cloned()
    }
}

/// What the sequencer task and every handle share.
pub(crate) struct Shared<S: Store> {
    pub(crate) store: Arc<S>,
    pub(crate) config: LedgerConfig,
    pub(crate) signer: Arc<dyn CheckpointSigner>,
    pub(crate) stamper: Arc<dyn Stamper>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) cache: TileCache,
    pub(crate) recent: RecentEntries,
    /// `Some` exactly while this process is the writer.
    view: RwLock<Option<Arc<View>>>,
    pub(crate) closed: AtomicBool,
    pub(crate) metrics: Metrics,
    /// Why the writer cannot write right now (its last write failed, or it halted); `None`
    /// when it can, or when this process is not the writer.
    write_problem: RwLock<Option<String>>,
    /// Why this process last stopped being the writer, for the standby's readiness answer.
    pub(crate) last_step_down: RwLock<Option<String>>,
}

impl<S: Store> Shared<S> {
    pub(crate) fn view(&self) -> Option<Arc<View>> {
        self.view
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn publish(&self, view: Option<Arc<View>>) {
        *self.view.write().unwrap_or_else(PoisonError::into_inner) = view;
    }

    pub(crate) fn shard(&self) -> ShardId {
        self.config.shard
    }

    pub(crate) fn set_write_problem(&self, problem: Option<String>) {
        *self
            .write_problem
            .write()
            .unwrap_or_else(PoisonError::into_inner) = problem;
    }

    /// See [`Ledger::write_health`].
    pub(crate) fn write_problem(&self) -> Option<String> {
        self.write_problem
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A handle on one shard's log. Cheap to clone; every clone talks to the same sequencer.
/// The sequencer (and with it the writer lease) stops when the last handle is dropped or
/// [`Ledger::close`] is called.
pub struct Ledger<S: Store> {
    pub(crate) shared: Arc<Shared<S>>,
    tx: mpsc::Sender<Command>,
    reads: PointReads,
}

impl<S: Store> Clone for Ledger<S> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            tx: self.tx.clone(),
            reads: self.reads.clone(),
        }
    }
}

impl<S: Store> Ledger<S> {
    /// Opens the shard: takes the writer lease if it is free (initialising an empty log
    /// with a signed size-0 checkpoint if the shard has no state), or opens as a standby if
    /// another process holds it. Reads only the tree state and the partial tiles, never the
    /// log itself. Must be called inside a tokio runtime (it spawns the sequencer task).
    pub async fn open(
        store: Arc<S>,
        config: LedgerConfig,
        signer: Arc<dyn CheckpointSigner>,
        stamper: Arc<dyn Stamper>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LedgerError> {
        if config.max_batch == 0 {
            return Err(LedgerError::Internal("max_batch must be at least 1".into()));
        }
        let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
        let shared = Arc::new(Shared {
            store,
            cache: TileCache::new(config.tile_cache_tiles),
            recent: RecentEntries::new(config.recent_entries_bytes),
            config,
            signer,
            stamper,
            clock,
            view: RwLock::new(None),
            closed: AtomicBool::new(false),
            metrics: Metrics::default(),
            write_problem: RwLock::new(None),
            last_step_down: RwLock::new(None),
        });
        let reads = PointReads::start(
            Arc::clone(&shared.store),
            shared.config.shard,
            PointReadLimits {
                slots: shared.config.point_read_slots,
                max_batch: shared.config.point_read_batch,
                queue: shared.config.queue_capacity,
            },
            Arc::clone(&shared.metrics.point_read_batches),
        );
        let sequencer = Sequencer::start(Arc::clone(&shared), rx).await?;
        tokio::spawn(sequencer.run());
        if shared.config.warm_tile_cache {
            tokio::spawn(crate::warm::warm_tile_cache(Arc::clone(&shared)));
        }
        Ok(Self { shared, tx, reads })
    }

    /// Queues `s` for the next batch and waits until it is durably integrated. Fails fast
    /// with `Overloaded` when the queue is full and `NotWriter` on a standby; answers
    /// `Duplicate` when the same body is already in the log. An `Ok` is only ever returned
    /// after the commit, with an inclusion proof that was checked against the checkpoint.
    pub async fn submit(&self, s: Submission) -> Result<Accepted, LedgerError> {
        let started = Instant::now();
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(LedgerError::Closed);
        }
        if self.shared.view().is_none() {
            return Err(LedgerError::NotWriter);
        }
        let leaf = leaf_hash(&s.body);
        let (reply, answer) = oneshot::channel();
        let job = Job {
            submission: s,
            leaf,
            reply,
        };
        self.tx
            .try_send(Command::Submit(job))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => {
                    Metrics::bump(&self.shared.metrics.overloaded);
                    LedgerError::Overloaded
                }
                mpsc::error::TrySendError::Closed(_) => LedgerError::Closed,
            })?;
        let Committed { entry, view, tiles } = answer.await.map_err(|_| LedgerError::Closed)??;
        let state = &view.state;
        let checked = inclusion_proof(entry.index, state.size, tiles.as_ref())
            .map_err(|e| e.to_string())
            .and_then(|proof| {
                verify_inclusion(
                    &entry.leaf_hash,
                    entry.index,
                    state.size,
                    &proof,
                    &state.root,
                )
                .map(|()| proof)
                .map_err(|e| e.to_string())
            });
        let proof = checked.map_err(|e| {
            Metrics::bump(&self.shared.metrics.proof_check_failures);
            LedgerError::Internal(format!(
                "inclusion proof of committed entry {} failed its self-check: {e}",
                entry.index
            ))
        })?;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.shared.metrics.submit_micros.observe(micros);
        Ok(Accepted {
            entry,
            tree_size: state.size,
            root: state.root,
            checkpoint: state.checkpoint.clone(),
            inclusion_proof: proof,
        })
    }

    /// Whether this process is currently the shard's writer (otherwise a standby).
    pub fn is_writer(&self) -> bool {
        self.shared.view().is_some()
    }

    /// Whether this process can take writes now: `Ok` on a writer whose last write (or
    /// probe) committed; otherwise why not: a standby (another process holds the lease, or
    /// this one lost it), a writer whose store refuses writes (a full disk, a database that
    /// stopped answering), a halted sequencer, a closed ledger. What readiness probes ask.
    pub fn write_health(&self) -> Result<(), String> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Err("the ledger is closed".to_owned());
        }
        if self.shared.view().is_none() {
            let why = self
                .shared
                .last_step_down
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            return Err(match why {
                Some(why) => format!("standby (stepped down: {why})"),
                None => "standby: another process holds the writer lease".to_owned(),
            });
        }
        match self.shared.write_problem() {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }

    /// A snapshot of the ledger's metrics.
    pub fn metrics(&self) -> MetricsSnapshot {
        let view = self.shared.view();
        let queued = self.tx.max_capacity().saturating_sub(self.tx.capacity());
        self.shared
            .metrics
            .snapshot(view.is_some(), view.map(|v| v.state.size), queued as u64)
    }

    /// Stops the sequencer after the batch in progress and releases the writer lease;
    /// returns once the lease is released. Queued submissions get `Closed`, and so does
    /// every later call to `submit` on any clone. Reads keep working.
    pub async fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        let (ack, done) = oneshot::channel();
        if self.tx.send(Command::Close(ack)).await.is_ok() {
            // An error means the task already stopped, which is what we wait for.
            let _ = done.await;
        }
    }

    /// The latest tree state: the writer's last commit, or on a standby the store's.
    pub async fn state(&self) -> Result<TreeState, LedgerError> {
        Ok(self.shared.current().await?.0.clone())
    }

    /// The entry at `index`, if the log has one there.
    pub async fn entry(&self, index: u64) -> Result<Option<StoredEntry>, LedgerError> {
        if let Some(entry) = self.shared.recent.get(index) {
            return Ok(Some(entry));
        }
        self.reads.entry(index).await
    }

    /// Single-entry reads waiting for a store query slot right now.
    pub fn queued_point_reads(&self) -> usize {
        self.reads.queued()
    }

    /// The entries with indexes in `start..end`, cut to the current tree size, in index order
    /// (for entry bundles and range reads; the caller bounds the range).
    pub async fn entries(&self, start: u64, end: u64) -> Result<Vec<StoredEntry>, LedgerError> {
        let (state, _) = self.shared.current().await?;
        let end = end.min(state.size);
        if start >= end {
            return Ok(Vec::new());
        }
        Ok(self
            .shared
            .store
            .read_entries(self.shared.shard(), start, end)
            .await?)
    }

    /// The entry whose leaf hash is `leaf`, if any.
    pub async fn entry_by_leaf(&self, leaf: &Hash) -> Result<Option<StoredEntry>, LedgerError> {
        let store = &self.shared.store;
        match store.find_leaf(self.shared.shard(), leaf).await? {
            Some(index) => self.entry(index).await,
            None => Ok(None),
        }
    }

    /// Indexes of entries filed under `key`, ascending, at most `limit`.
    pub async fn search(&self, key: &str, limit: usize) -> Result<Vec<u64>, LedgerError> {
        Ok(self
            .shared
            .store
            .search(self.shared.shard(), key, limit)
            .await?)
    }

    /// The inclusion proof of entry `index` in the tree of `tree_size` leaves, which must
    /// not exceed the current size.
    pub async fn inclusion_proof(
        &self,
        index: u64,
        tree_size: u64,
    ) -> Result<Vec<Hash>, LedgerError> {
        self.shared.inclusion_proof(index, tree_size).await
    }

    /// The consistency proof from the tree of `old` leaves to the tree of `new` leaves
    /// (`1 <= old <= new <= size`; empty when `old == new`).
    pub async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        self.shared.consistency_proof(old, new).await
    }

    /// The contents of a hash tile (concatenated hashes, `id.width * 32` bytes) as the
    /// current tree has it, or `None` if the tree does not have that many hashes there.
    /// A partial width of a tile that has since grown is served as that prefix.
    pub async fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, LedgerError> {
        self.shared.tile(id).await
    }
}
