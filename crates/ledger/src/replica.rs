//! Reads from a hot-standby replica: a [`Store`] over a primary and, optionally, a
//! streaming replica of it (PostgreSQL physical replication, as CloudNativePG or Patroni
//! run it), so that processes which are not the writer take their read load off the
//! primary.
//!
//! # Contract (in addition to [`Store`]'s)
//! - **The primary is the truth.** Writes, the writer lease and the dedup look-up go to the
//!   primary only. While this process holds a shard's writer lease, *every* call for that
//!   shard goes to the primary: the writer never reads its own writes from a replica.
//! - **The replica answers what it has.** A standby reads entries, tiles, leaf look-ups and
//!   search results from the replica first. Stored rows never change once written (full
//!   tiles, entries) or only grow (partial tiles, which the engines cut to the width
//!   asked), so a row the replica has is byte for byte the primary's row. What the replica
//!   does not have yet (a lagging replay) is read from the primary. No proof is ever built
//!   from a tile narrower than the tree head it is for.
//! - **The head is the primary's while it answers.** A standby's [`Store::tree_state`]
//!   reads the primary's one tree-state row (one small query per request), so a reader
//!   serves the same heads as the writer. When the primary does not answer within
//!   [`ReplicaReads::primary_timeout`], the replica's own tree-state row is the head: every
//!   entry, tile and proof up to it is on the replica, and nothing beyond it is served. A
//!   read the replica cannot answer and the primary does not either fails with
//!   [`StoreError::NotReplicated`] (HTTP: 404 with `Retry-After`), never with a partial or
//!   wrong answer.
//! - **A dead primary costs one timeout per second.** After the primary fails a standby
//!   read, the standby answers from the replica alone for [`PRIMARY_BACKOFF`] before it
//!   asks the primary again, so an outage does not add the timeout to every request.
//! - **A dead replica costs nothing but load.** A replica read that fails is retried on
//!   the primary.
//!
//! Without a replica every call goes straight to the primary.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sigstack_merkle::{Hash, TileId};

use crate::store::{
    Batch, LeaseWatch, ShardId, Store, StoreError, StoredEntry, StoredTile, TreeState, WriterLease,
};

/// How long a standby leaves the primary alone after it failed to answer.
pub const PRIMARY_BACKOFF: Duration = Duration::from_secs(1);

/// A primary store and an optional read replica of it (see the module docs).
pub struct ReplicaReads<S> {
    primary: Arc<S>,
    replica: Option<Arc<S>>,
    primary_timeout: Duration,
    /// Shards this process holds the writer lease of (a count per shard: leases are
    /// exclusive, but a dropped lease and a new one may overlap for a moment).
    writing: Arc<Mutex<HashMap<ShardId, usize>>>,
    /// Until when standby reads skip the primary (it just failed to answer).
    primary_down_until: Mutex<Option<Instant>>,
    counts: Arc<ReplicaCounts>,
}

/// How reads were answered (for metrics and tests).
#[derive(Debug, Default)]
pub struct ReplicaCounts {
    /// Reads the replica answered completely.
    pub replica: AtomicU64,
    /// Reads (or parts of reads) the replica could not answer and the primary did.
    pub primary: AtomicU64,
    /// Times the primary did not answer a standby and the replica's head was served.
    pub primary_unreachable: AtomicU64,
}

impl<S: Store> ReplicaReads<S> {
    /// All reads and writes on `primary`.
    pub fn primary_only(primary: Arc<S>) -> Self {
        Self::new(primary, None, Duration::from_secs(1))
    }

    /// Standby reads from `replica` first (when given); the primary is given up on for a
    /// call after `primary_timeout`.
    pub fn new(primary: Arc<S>, replica: Option<Arc<S>>, primary_timeout: Duration) -> Self {
        Self {
            primary,
            replica,
            primary_timeout,
            writing: Arc::default(),
            primary_down_until: Mutex::new(None),
            counts: Arc::default(),
        }
    }

    /// The primary store.
    pub fn primary(&self) -> &S {
        &self.primary
    }

    /// The replica store, if any.
    pub fn replica(&self) -> Option<&S> {
        self.replica.as_deref()
    }

    /// How long a standby waits for the primary before it answers from the replica alone.
    pub fn primary_timeout(&self) -> Duration {
        self.primary_timeout
    }

    /// How reads have been answered so far.
    pub fn counts(&self) -> &ReplicaCounts {
        &self.counts
    }

    /// The replica, when `shard` is read from it (a replica exists and we do not write it).
    fn replica_for(&self, shard: ShardId) -> Option<&S> {
        let replica = self.replica.as_deref()?;
        let writing = self
            .writing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&shard)
            .is_some_and(|n| *n > 0);
        (!writing).then_some(replica)
    }

    /// Runs a primary read, bounded by the timeout; `None` if it failed, took too long, or
    /// the primary failed recently (see [`PRIMARY_BACKOFF`]).
    async fn ask_primary<T>(&self, read: impl Future<Output = Result<T, StoreError>>) -> Option<T> {
        if self.primary_backing_off() {
            bump(&self.counts.primary_unreachable);
            return None;
        }
        match tokio::time::timeout(self.primary_timeout, read).await {
            Ok(Ok(value)) => {
                bump(&self.counts.primary);
                Some(value)
            }
            _ => {
                bump(&self.counts.primary_unreachable);
                *self
                    .primary_down_until
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) =
                    Some(Instant::now() + PRIMARY_BACKOFF);
                None
            }
        }
    }
}

impl<S> ReplicaReads<S> {
    /// Whether the primary failed less than [`PRIMARY_BACKOFF`] ago.
    fn primary_backing_off(&self) -> bool {
        let mut down = self
            .primary_down_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if down.is_some_and(|until| Instant::now() < until) {
            return true;
        }
        *down = None;
        false
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

fn not_replicated(what: &str) -> StoreError {
    StoreError::NotReplicated(format!(
        "{what} is not on the replica yet and the primary did not answer"
    ))
}

/// A writer lease taken through [`ReplicaReads`]: while it lives, its shard is read from
/// the primary only.
pub struct ReplicaLease<L> {
    inner: L,
    shard: ShardId,
    writing: Arc<Mutex<HashMap<ShardId, usize>>>,
}

impl<L> Drop for ReplicaLease<L> {
    fn drop(&mut self) {
        let mut writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = writing.get_mut(&self.shard) {
            *n = n.saturating_sub(1);
        }
    }
}

impl<L: WriterLease> WriterLease for ReplicaLease<L> {
    fn epoch(&self) -> u64 {
        self.inner.epoch()
    }

    fn watch(&self) -> LeaseWatch {
        self.inner.watch()
    }
}

impl<S: Store> Store for ReplicaReads<S> {
    type Lease = ReplicaLease<S::Lease>;

    async fn acquire_writer(&self, shard: ShardId) -> Result<Self::Lease, StoreError> {
        let inner = self.primary.acquire_writer(shard).await?;
        *self
            .writing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(shard)
            .or_default() += 1;
        Ok(ReplicaLease {
            inner,
            shard,
            writing: Arc::clone(&self.writing),
        })
    }

    async fn tree_state(&self, shard: ShardId) -> Result<Option<TreeState>, StoreError> {
        let Some(replica) = self.replica_for(shard) else {
            return self.primary.tree_state(shard).await;
        };
        match self.ask_primary(self.primary.tree_state(shard)).await {
            Some(state) => Ok(state),
            None => replica.tree_state(shard).await,
        }
    }

    async fn integrate(&self, batch: Batch) -> Result<(), StoreError> {
        self.primary.integrate(batch).await
    }

    async fn read_tiles(
        &self,
        shard: ShardId,
        ids: &[TileId],
    ) -> Result<Vec<StoredTile>, StoreError> {
        let Some(replica) = self.replica_for(shard) else {
            return self.primary.read_tiles(shard, ids).await;
        };
        let mut rows = replica.read_tiles(shard, ids).await.unwrap_or_default();
        let have: HashSet<(u8, u64)> = rows.iter().map(|r| (r.id.level, r.id.index)).collect();
        let missing: Vec<TileId> = ids
            .iter()
            .filter(|id| !have.contains(&(id.level, id.index)))
            .copied()
            .collect();
        if missing.is_empty() {
            bump(&self.counts.replica);
            return Ok(rows);
        }
        let more = self
            .ask_primary(self.primary.read_tiles(shard, &missing))
            .await
            .ok_or_else(|| not_replicated("a tile"))?;
        rows.extend(more);
        Ok(rows)
    }

    async fn read_entries(
        &self,
        shard: ShardId,
        start: u64,
        end: u64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let Some(replica) = self.replica_for(shard) else {
            return self.primary.read_entries(shard, start, end).await;
        };
        if let Ok(rows) = replica.read_entries(shard, start, end).await {
            if rows.len() as u64 == end.saturating_sub(start) {
                bump(&self.counts.replica);
                return Ok(rows);
            }
        }
        self.ask_primary(self.primary.read_entries(shard, start, end))
            .await
            .ok_or_else(|| not_replicated("an entry of the range"))
    }

    async fn read_entries_at(
        &self,
        shard: ShardId,
        indexes: &[u64],
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let Some(replica) = self.replica_for(shard) else {
            return self.primary.read_entries_at(shard, indexes).await;
        };
        let mut rows = replica
            .read_entries_at(shard, indexes)
            .await
            .unwrap_or_default();
        let have: HashSet<u64> = rows.iter().map(|e| e.index).collect();
        let mut missing: Vec<u64> = indexes
            .iter()
            .filter(|i| !have.contains(i))
            .copied()
            .collect();
        missing.sort_unstable();
        missing.dedup();
        if missing.is_empty() {
            bump(&self.counts.replica);
            return Ok(rows);
        }
        // One batch serves many callers: an unreachable primary must not fail the reads
        // the replica did answer. The rest read as absent; callers bound indexes by the
        // head, which is the replica's own while the primary is away.
        if let Some(more) = self
            .ask_primary(self.primary.read_entries_at(shard, &missing))
            .await
        {
            rows.extend(more);
        }
        Ok(rows)
    }

    async fn find_leaf(&self, shard: ShardId, leaf_hash: &Hash) -> Result<Option<u64>, StoreError> {
        let Some(replica) = self.replica_for(shard) else {
            return self.primary.find_leaf(shard, leaf_hash).await;
        };
        if let Ok(Some(index)) = replica.find_leaf(shard, leaf_hash).await {
            bump(&self.counts.replica);
            return Ok(Some(index));
        }
        self.ask_primary(self.primary.find_leaf(shard, leaf_hash))
            .await
            .ok_or_else(|| not_replicated("the entry"))
    }

    async fn find_leaves(
        &self,
        shard: ShardId,
        leaf_hashes: &[Hash],
    ) -> Result<Vec<(Hash, u64)>, StoreError> {
        // The writer's dedup look-up: only the primary is complete.
        self.primary.find_leaves(shard, leaf_hashes).await
    }

    async fn search(
        &self,
        shard: ShardId,
        key: &str,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        let Some(replica) = self.replica_for(shard) else {
            return self.primary.search(shard, key, limit).await;
        };
        let found = replica.search(shard, key, limit).await;
        // Indexes only grow, so the replica's first `limit` matches are the primary's.
        if let Ok(found) = &found {
            if found.len() >= limit {
                bump(&self.counts.replica);
                return Ok(found.clone());
            }
        }
        match self
            .ask_primary(self.primary.search(shard, key, limit))
            .await
        {
            Some(all) => Ok(all),
            // What the replica has, as of its own head (the one served while the primary
            // is away).
            None => found,
        }
    }
}
