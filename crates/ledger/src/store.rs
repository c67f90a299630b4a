//! The storage contract every engine implements (SQLite embedded, PostgreSQL production, and
//! the in-memory fault-injecting store of the tests).
//!
//! # Contract
//! - **Durable on return.** When [`Store::integrate`] returns `Ok`, the batch's entries, tiles,
//!   tree state and checkpoint are committed and survive a crash. When it returns `Err`, either
//!   nothing of the batch was written, or (commit outcome unknown, e.g. the connection dropped
//!   during COMMIT) the batch was written completely: the sequencer tells the two apart by
//!   re-reading the tree state, never by retrying blindly. A half-written batch never exists.
//! - **One consistent row.** The tree state of a shard (size, root, latest checkpoint) is the
//!   only strongly consistent datum. `integrate` is a compare-and-swap on it: it fails with
//!   [`StoreError::Conflict`] if the stored size is not the batch's `old_size`, which is how a
//!   second writer that slipped past the lease is stopped from forking the tree.
//! - **Immutable rows.** Entries and full tiles are written once and never change; partial
//!   tiles are replaced by wider ones. Readers may cache full tiles and entries forever.
//! - **Reads never block the writer.** Every read method may run concurrently with an
//!   `integrate` and sees either the state before or after it, never a mix for one call.
//! - **Who retries.** Stores do not retry. The sequencer decides (it re-reads state).
//! - **Writer lease.** [`Store::acquire_writer`] gives at most one live writer per shard across
//!   processes (PostgreSQL advisory lock held by a dedicated connection; SQLite file lock).
//! - **Replicas.** A store may read from a hot-standby replica of another (see
//!   [`crate::replica`]): then rows it answers may come from the replica, which has every
//!   row up to its own tree state and lags behind the primary. What it lacks and cannot get
//!   from the primary is [`StoreError::NotReplicated`], never an absent row the primary has
//!   (except where a method says so) and never a narrower tile than asked.
//! - **Fencing.** A lease can die while its holder still runs (the lease session is cut, the
//!   database restarts), and another process may then take it. So the lease is not trusted
//!   alone: taking it increments the shard's *lease epoch*, stored in the tree-state row, and
//!   [`Store::integrate`] compares the batch's [`Batch::epoch`] with the stored one under the
//!   same row lock as the size compare-and-swap. A batch from an older epoch fails with
//!   [`StoreError::Fenced`] and writes nothing, so once a lease has been taken over, nothing
//!   of its previous holder can commit, whatever that holder believes. A shard whose lease was
//!   never taken has epoch 0, the epoch of batches written without a lease (tests, tools).
//! - **Loss is reported.** [`WriterLease::watch`] tells the holder when its lease is known to
//!   be gone (the PostgreSQL lease session failed its periodic check), so it steps down at
//!   once instead of at its next batch.

use std::future::Future;

use sigstack_merkle::{Hash, TileId};
use tokio::sync::watch;

/// Identifies one tree (a Rekor shard, or the CT log's tree) within a database.
pub type ShardId = i64;

/// Errors every store reports. `Clone`, so one failed query can answer every read it served.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The tree state was not at the size the batch was built on: another writer moved it.
    #[error("tree state moved: expected size {expected}, found {found}")]
    Conflict {
        /// The size the batch assumed.
        expected: u64,
        /// The size actually stored.
        found: u64,
    },
    /// Another process holds the writer lease for this shard.
    #[error("another process is the writer for shard {0}")]
    LeaseHeld(ShardId),
    /// The batch was built under a lease that has since been taken over: its epoch is not
    /// the shard's current lease epoch. Nothing was written; the sender is no longer the
    /// writer.
    #[error("fenced: batch of lease epoch {batch} but the shard is at lease epoch {current}")]
    Fenced {
        /// The epoch the batch carried.
        batch: u64,
        /// The shard's current lease epoch.
        current: u64,
    },
    /// The database schema is not the version this build expects.
    #[error(
        "database schema version {found}, this build needs {expected}: run `sigstack migrate`"
    )]
    SchemaVersion {
        /// The version this build needs.
        expected: i64,
        /// The version found.
        found: i64,
    },
    /// Stored data violates an invariant (corruption, or a bug).
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// The engine failed (connection, I/O, SQL).
    #[error("storage engine: {0}")]
    Engine(String),
    /// A read replica does not have the row yet and the primary cannot be reached: the row
    /// may well exist. A retry later can succeed (HTTP: 404 with `Retry-After`).
    #[error("not replicated yet: {0}")]
    NotReplicated(String),
}

/// The one strongly consistent row per shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeState {
    /// Number of entries in the tree.
    pub size: u64,
    /// Root hash at that size.
    pub root: Hash,
    /// The signed checkpoint (signed-note text) for that size and root.
    pub checkpoint: Vec<u8>,
}

/// A tile row as stored: coordinates and concatenated hashes (`id.width * 32` bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTile {
    /// The tile's coordinates; partial tiles carry their width.
    pub id: TileId,
    /// The tile's hashes, concatenated.
    pub hashes: Vec<u8>,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Position in the shard's tree.
    pub index: u64,
    /// RFC 6962 leaf hash of `body`.
    pub leaf_hash: Hash,
    /// The canonical entry bytes (opaque to the ledger).
    pub body: Vec<u8>,
    /// Seconds since the Unix epoch at which the entry was sequenced.
    pub integrated_time: i64,
    /// What kind of entry this is (opaque label, e.g. `hashedrekord:0.0.1`).
    pub kind: String,
    /// Bytes stored with the entry but not hashed into its leaf: what the service's stamper
    /// produced at sequencing time (a Rekor SET), or what came with the submission (CT's
    /// `extra_data` chain).
    pub receipt: Vec<u8>,
}

/// One entry of a batch to integrate, with the search keys that index it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStoredEntry {
    /// The entry itself; `entry.index` is its final position.
    pub entry: StoredEntry,
    /// Keys under which search finds the entry (opaque strings, e.g. `sha256:…`).
    pub search_keys: Vec<String>,
}

/// Everything one sequencer batch writes, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The shard being extended.
    pub shard: ShardId,
    /// The lease epoch the batch was built under ([`WriterLease::epoch`]; 0 without a
    /// lease): the fencing token, compared with the stored epoch in the same transaction.
    pub epoch: u64,
    /// The tree size the batch extends (compare-and-swap guard).
    pub old_size: u64,
    /// New entries, indexes `old_size..old_size + entries.len()` in order.
    pub entries: Vec<NewStoredEntry>,
    /// New full tiles and the new partial tiles (replacing narrower partial tiles).
    pub tiles: Vec<StoredTile>,
    /// The new tree state.
    pub new_state: TreeState,
}

/// A held writer lease; dropping it releases the lease.
pub trait WriterLease: Send + Sync {
    /// The shard's lease epoch this lease was granted at (at least 1): the fencing token the
    /// holder puts in every [`Batch`].
    fn epoch(&self) -> u64;

    /// A handle that learns when the lease is known to be lost.
    fn watch(&self) -> LeaseWatch;
}

/// Tells a lease holder that its lease is gone (see [`WriterLease::watch`]). Cheap to clone
/// and to ask: [`LeaseWatch::is_lost`] does no I/O, so the sequencer asks before every batch.
#[derive(Debug, Clone)]
pub struct LeaseWatch(watch::Receiver<Option<String>>);

/// The sending side of a [`LeaseWatch`], kept by whatever checks the lease.
#[derive(Debug)]
pub struct LeaseAlarm(watch::Sender<Option<String>>);

impl LeaseAlarm {
    /// A new alarm and the watch it rings.
    pub fn new() -> (Self, LeaseWatch) {
        let (tx, rx) = watch::channel(None);
        (Self(tx), LeaseWatch(rx))
    }

    /// Reports the lease lost, with the reason; later calls keep the first reason.
    pub fn ring(&self, reason: impl Into<String>) {
        let reason = reason.into();
        self.0.send_if_modified(|lost| {
            if lost.is_some() {
                return false;
            }
            *lost = Some(reason);
            true
        });
    }

    /// Whether the lease was reported lost.
    pub fn rung(&self) -> bool {
        self.0.borrow().is_some()
    }
}

impl LeaseWatch {
    /// Whether the lease is known to be lost (no I/O).
    pub fn is_lost(&self) -> bool {
        self.0.borrow().is_some()
    }

    /// Waits until the lease is known to be lost and returns why. Never resolves for a lease
    /// whose alarm was dropped without ringing (an engine that cannot lose a lease it holds,
    /// like SQLite's file lock, or a lease released on purpose).
    pub async fn lost(&mut self) -> String {
        let reason = match self.0.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone(),
            Err(_) => None,
        };
        match reason {
            Some(reason) => reason,
            None => std::future::pending().await,
        }
    }
}

/// The storage engine interface. See the module docs for the contract.
pub trait Store: Send + Sync + 'static {
    /// The lease type this engine hands out.
    type Lease: WriterLease + 'static;

    /// Becomes the only writer of `shard`, or fails with [`StoreError::LeaseHeld`] at once.
    fn acquire_writer(
        &self,
        shard: ShardId,
    ) -> impl Future<Output = Result<Self::Lease, StoreError>> + Send;

    /// The shard's tree state, `None` if nothing was ever integrated.
    fn tree_state(
        &self,
        shard: ShardId,
    ) -> impl Future<Output = Result<Option<TreeState>, StoreError>> + Send;

    /// Writes a batch atomically (see the contract).
    ///
    /// A batch built on another size fails with [`StoreError::Conflict`]. A batch no correct
    /// sequencer builds (sizes or indexes that do not add up, a leaf hash repeated within the
    /// batch or already stored in the shard, a tile whose bytes are not `width * 32`, a tile
    /// that would make a stored tile narrower or change its hashes) fails
    /// with [`StoreError::Corrupt`]. Either way nothing of it is written. A batch with no
    /// entries is valid: it replaces the checkpoint (e.g. a periodic re-signing).
    fn integrate(&self, batch: Batch) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The widest stored version of each tile asked for (`id.width` is the width wanted; a
    /// wider stored row is cut to it). Missing tiles are simply absent from the result.
    fn read_tiles(
        &self,
        shard: ShardId,
        ids: &[TileId],
    ) -> impl Future<Output = Result<Vec<StoredTile>, StoreError>> + Send;

    /// Entries with indexes in `start..end` that exist, in index order.
    fn read_entries(
        &self,
        shard: ShardId,
        start: u64,
        end: u64,
    ) -> impl Future<Output = Result<Vec<StoredEntry>, StoreError>> + Send;

    /// The entries at those of `indexes` that exist, each once, in no particular order: the
    /// point reads of many concurrent requests answered in one round trip (see
    /// `point_reads`). Indexes past `i64::MAX` simply do not exist.
    fn read_entries_at(
        &self,
        shard: ShardId,
        indexes: &[u64],
    ) -> impl Future<Output = Result<Vec<StoredEntry>, StoreError>> + Send;

    /// The index of the entry with this leaf hash in `shard`, if any (the dedup index).
    fn find_leaf(
        &self,
        shard: ShardId,
        leaf_hash: &Hash,
    ) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;

    /// The stored indexes of those of `leaf_hashes` present in `shard`, in no particular
    /// order: the dedup look-up for a whole batch in one round trip.
    fn find_leaves(
        &self,
        shard: ShardId,
        leaf_hashes: &[Hash],
    ) -> impl Future<Output = Result<Vec<(Hash, u64)>, StoreError>> + Send;

    /// Indexes of entries filed under `key` in `shard`, ascending, at most `limit`.
    fn search(
        &self,
        shard: ShardId,
        key: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<u64>, StoreError>> + Send;
}
