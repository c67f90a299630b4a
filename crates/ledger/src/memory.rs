//! A complete in-memory [`Store`] with fault injection, for the sequencer tests here and for
//! the services' tests.
//!
//! It keeps the contract the real engines keep (compare-and-swap on the tree size, atomic
//! batches, one lease per shard, wider partial tiles replacing narrower ones) and checks
//! each batch harder than they do (entry indexes, unique leaves, tile widths), so a
//! sequencer bug shows up as an error here. On request it fails the next `integrate`
//! *before* writing anything, or *after* writing everything (the unknown-outcome case of a
//! connection lost during COMMIT); fails reads; or holds `integrate` until released. Leases
//! carry epochs and are fenced as in the real engines, and a test can take a lease away from
//! its holder, with or without the holder being told (a lease session that dropped, or one
//! the holder has not yet noticed is gone).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sigstack_merkle::{Hash, TileId, HASH_SIZE};
use tokio::sync::watch;

use crate::store::{
    Batch, LeaseAlarm, LeaseWatch, ShardId, Store, StoreError, StoredEntry, StoredTile, TreeState,
    WriterLease,
};

/// How the next `integrate` call should fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrateFault {
    /// Return an engine error and write nothing.
    BeforeCommit,
    /// Write the whole batch, then return an engine error.
    AfterCommit,
    /// Write the whole batch, then lose the store: every read fails (as with
    /// [`MemoryStore::set_fail_reads`]) until reads are turned back on, and the call errs.
    AfterCommitStoreDown,
    /// The lease is lost while the batch is in flight: it is taken over (the epoch moves on,
    /// as when another process takes the lease) before the batch reaches the tree-state
    /// row, and its holder's watch fires. The batch is then fenced.
    LeaseLostMidBatch,
}

#[derive(Debug, Default, Clone)]
struct Shard {
    state: Option<TreeState>,
    /// `entries[i].index == i`.
    entries: Vec<StoredEntry>,
    leaves: HashMap<Hash, u64>,
    /// Widest version of each tile, by `(level, index)`.
    tiles: HashMap<(u8, u64), Vec<u8>>,
    search: HashMap<String, Vec<u64>>,
    /// Every state ever committed, oldest first.
    history: Vec<TreeState>,
    /// The lease epoch: incremented each time the lease is taken.
    epoch: u64,
}

/// The current holder of a shard's lease.
#[derive(Debug)]
struct Holder {
    epoch: u64,
    alarm: LeaseAlarm,
}

type Leases = Arc<Mutex<HashMap<ShardId, Holder>>>;

#[derive(Debug, Default)]
struct Faults {
    integrate: VecDeque<IntegrateFault>,
    fail_reads: bool,
    corrupt_tile_reads: bool,
}

/// The in-memory store. Share it between ledgers with an `Arc` to play several processes.
#[derive(Debug)]
pub struct MemoryStore {
    shards: Mutex<HashMap<ShardId, Shard>>,
    leases: Leases,
    faults: Mutex<Faults>,
    /// `true` while `integrate` is held.
    paused: watch::Sender<bool>,
    integrate_calls: AtomicU64,
    read_entries_calls: AtomicU64,
    read_entries_at_calls: AtomicU64,
    read_tiles_calls: AtomicU64,
    /// `true` while `read_entries_at` is held.
    reads_paused: watch::Sender<bool>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

/// The writer lease of a [`MemoryStore`]; dropping it frees the shard (unless the lease was
/// taken away and given to someone else meanwhile).
#[derive(Debug)]
pub struct MemoryLease {
    shard: ShardId,
    epoch: u64,
    watch: LeaseWatch,
    leases: Leases,
}

impl WriterLease for MemoryLease {
    fn epoch(&self) -> u64 {
        self.epoch
    }

    fn watch(&self) -> LeaseWatch {
        self.watch.clone()
    }
}

impl Drop for MemoryLease {
    fn drop(&mut self) {
        let mut leases = lock(&self.leases);
        if leases
            .get(&self.shard)
            .is_some_and(|h| h.epoch == self.epoch)
        {
            leases.remove(&self.shard);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn corrupt(msg: impl Into<String>) -> StoreError {
    StoreError::Corrupt(msg.into())
}

impl MemoryStore {
    /// An empty store without faults.
    pub fn new() -> Self {
        Self {
            shards: Mutex::new(HashMap::new()),
            leases: Arc::new(Mutex::new(HashMap::new())),
            faults: Mutex::new(Faults::default()),
            paused: watch::channel(false).0,
            integrate_calls: AtomicU64::new(0),
            read_entries_calls: AtomicU64::new(0),
            read_entries_at_calls: AtomicU64::new(0),
            read_tiles_calls: AtomicU64::new(0),
            reads_paused: watch::channel(false).0,
        }
    }

    /// Makes the next `integrate` fail as told (faults queue up, one per call).
    pub fn fail_next_integrate(&self, fault: IntegrateFault) {
        lock(&self.faults).integrate.push_back(fault);
    }

    /// Takes the lease of `shard` away from its holder and tells it (its watch fires), as
    /// when the PostgreSQL lease session is cut. The lease is free for anyone to take.
    pub fn revoke_lease(&self, shard: ShardId) {
        if let Some(holder) = lock(&self.leases).remove(&shard) {
            holder.alarm.ring("lease revoked by the test");
        }
    }

    /// Takes the lease of `shard` away from its holder without telling it: the holder learns
    /// only when its next batch is fenced (a lost session it has not noticed yet).
    pub fn revoke_lease_silently(&self, shard: ShardId) {
        lock(&self.leases).remove(&shard);
    }

    /// The shard's current lease epoch (0 if its lease was never taken).
    pub fn lease_epoch(&self, shard: ShardId) -> u64 {
        lock(&self.shards).get(&shard).map_or(0, |s| s.epoch)
    }

    /// Makes every read (`tree_state`, `read_tiles`, `read_entries`, `find_leaf`, `search`)
    /// fail with an engine error until turned off again.
    pub fn set_fail_reads(&self, fail: bool) {
        lock(&self.faults).fail_reads = fail;
    }

    /// Makes `read_tiles` flip a bit in every tile it returns (what is stored stays intact),
    /// to test that nothing wrong is handed out.
    pub fn set_corrupt_tile_reads(&self, corrupt: bool) {
        lock(&self.faults).corrupt_tile_reads = corrupt;
    }

    /// Holds every `integrate` call (before it writes) until [`Self::resume_integrate`].
    pub fn pause_integrate(&self) {
        self.paused.send_replace(true);
    }

    /// Lets held and later `integrate` calls proceed.
    pub fn resume_integrate(&self) {
        self.paused.send_replace(false);
    }

    /// How many times `integrate` was called (failed calls included).
    pub fn integrate_calls(&self) -> u64 {
        self.integrate_calls.load(Ordering::Relaxed)
    }

    /// How many times `read_entries` was called (a ledger opening must not scan the log).
    pub fn read_entries_calls(&self) -> u64 {
        self.read_entries_calls.load(Ordering::Relaxed)
    }

    /// How many times `read_tiles` was called (tile cache misses, start-up, warming).
    pub fn read_tiles_calls(&self) -> u64 {
        self.read_tiles_calls.load(Ordering::Relaxed)
    }

    /// How many times `read_entries_at` was called (one per coalesced batch of point reads).
    pub fn read_entries_at_calls(&self) -> u64 {
        self.read_entries_at_calls.load(Ordering::Relaxed)
    }

    /// Holds every `read_entries_at` call until [`Self::resume_point_reads`], so tests can
    /// pile up concurrent reads behind one in flight.
    pub fn pause_point_reads(&self) {
        self.reads_paused.send_replace(true);
    }

    /// Lets held and later `read_entries_at` calls proceed.
    pub fn resume_point_reads(&self) {
        self.reads_paused.send_replace(false);
    }

    /// Every tree state committed to `shard`, oldest first.
    pub fn history(&self, shard: ShardId) -> Vec<TreeState> {
        lock(&self.shards)
            .get(&shard)
            .map(|s| s.history.clone())
            .unwrap_or_default()
    }

    /// Number of entries stored in `shard`.
    pub fn entry_count(&self, shard: ShardId) -> u64 {
        lock(&self.shards)
            .get(&shard)
            .map_or(0, |s| s.entries.len() as u64)
    }

    /// Overwrites a stored entry's body (to test that fsck notices).
    pub fn tamper_entry_body(&self, shard: ShardId, index: u64, body: Vec<u8>) {
        let mut shards = lock(&self.shards);
        let entry = shards
            .get_mut(&shard)
            .and_then(|s| s.entries.get_mut(usize::try_from(index).ok()?));
        if let Some(entry) = entry {
            entry.body = body;
        }
    }

    /// Flips one bit of a stored tile (to test that fsck notices).
    pub fn tamper_tile(&self, shard: ShardId, level: u8, index: u64, byte: usize) {
        let mut shards = lock(&self.shards);
        let row = shards
            .get_mut(&shard)
            .and_then(|s| s.tiles.get_mut(&(level, index)));
        if let Some(b) = row.and_then(|r| r.get_mut(byte)) {
            *b ^= 1;
        }
    }

    /// Replaces the tree state row (to play a store that lost or rewrote history).
    pub fn overwrite_state(&self, shard: ShardId, state: TreeState) {
        lock(&self.shards).entry(shard).or_default().state = Some(state);
    }

    fn check_reads(&self) -> Result<(), StoreError> {
        if lock(&self.faults).fail_reads {
            return Err(StoreError::Engine("injected read failure".into()));
        }
        Ok(())
    }

    async fn wait_until_resumed(&self) {
        let mut rx = self.paused.subscribe();
        // An error means the sender is gone, which cannot happen while `self` lives.
        let _ = rx.wait_for(|paused| !*paused).await.is_ok();
    }
}

/// Checks a batch against the shard as the real engines' constraints would, and more.
fn validate(shard: &Shard, batch: &Batch) -> Result<(), StoreError> {
    if batch.epoch != shard.epoch {
        return Err(StoreError::Fenced {
            batch: batch.epoch,
            current: shard.epoch,
        });
    }
    let found = shard.state.as_ref().map_or(0, |s| s.size);
    if found != batch.old_size {
        return Err(StoreError::Conflict {
            expected: batch.old_size,
            found,
        });
    }
    let new_size = batch.old_size + batch.entries.len() as u64;
    if batch.new_state.size != new_size {
        return Err(corrupt(format!(
            "batch of {} entries on size {} claims size {}",
            batch.entries.len(),
            batch.old_size,
            batch.new_state.size
        )));
    }
    let mut leaves = HashSet::new();
    for (i, new) in batch.entries.iter().enumerate() {
        let want = batch.old_size + i as u64;
        if new.entry.index != want {
            return Err(corrupt(format!(
                "entry {i} of the batch has index {}, want {want}",
                new.entry.index
            )));
        }
        let leaf = new.entry.leaf_hash;
        if shard.leaves.contains_key(&leaf) || !leaves.insert(leaf) {
            return Err(corrupt(format!("duplicate leaf at index {want}")));
        }
    }
    for tile in &batch.tiles {
        if tile.hashes.len() != usize::from(tile.id.width) * HASH_SIZE {
            return Err(corrupt(format!(
                "tile {} has the wrong length",
                tile.id.path()
            )));
        }
        let stored = shard.tiles.get(&(tile.id.level, tile.id.index));
        if stored.is_some_and(|s| s.len() > tile.hashes.len()) {
            return Err(corrupt(format!(
                "tile {} would get narrower",
                tile.id.path()
            )));
        }
        if stored.is_some_and(|s| !tile.hashes.starts_with(s)) {
            return Err(corrupt(format!("tile {} would change", tile.id.path())));
        }
    }
    Ok(())
}

fn apply(shard: &mut Shard, batch: Batch) {
    for new in batch.entries {
        let index = new.entry.index;
        for key in new.search_keys {
            shard.search.entry(key).or_default().push(index);
        }
        shard.leaves.insert(new.entry.leaf_hash, index);
        shard.entries.push(new.entry);
    }
    for tile in batch.tiles {
        shard
            .tiles
            .insert((tile.id.level, tile.id.index), tile.hashes);
    }
    // Rewriting the state unchanged (a writer's probe) is no new state.
    if shard.state.as_ref() != Some(&batch.new_state) {
        shard.history.push(batch.new_state.clone());
    }
    shard.state = Some(batch.new_state);
}

impl Store for MemoryStore {
    type Lease = MemoryLease;

    async fn acquire_writer(&self, shard: ShardId) -> Result<MemoryLease, StoreError> {
        let mut leases = lock(&self.leases);
        if leases.contains_key(&shard) {
            return Err(StoreError::LeaseHeld(shard));
        }
        let epoch = {
            let mut shards = lock(&self.shards);
            let data = shards.entry(shard).or_default();
            data.epoch += 1;
            data.epoch
        };
        let (alarm, watch) = LeaseAlarm::new();
        leases.insert(shard, Holder { epoch, alarm });
        Ok(MemoryLease {
            shard,
            epoch,
            watch,
            leases: Arc::clone(&self.leases),
        })
    }

    async fn tree_state(&self, shard: ShardId) -> Result<Option<TreeState>, StoreError> {
        self.check_reads()?;
        Ok(lock(&self.shards).get(&shard).and_then(|s| s.state.clone()))
    }

    async fn integrate(&self, batch: Batch) -> Result<(), StoreError> {
        self.integrate_calls.fetch_add(1, Ordering::Relaxed);
        self.wait_until_resumed().await;
        let fault = lock(&self.faults).integrate.pop_front();
        if fault == Some(IntegrateFault::BeforeCommit) {
            return Err(StoreError::Engine("injected failure before commit".into()));
        }
        if fault == Some(IntegrateFault::LeaseLostMidBatch) {
            self.revoke_lease(batch.shard);
            lock(&self.shards).entry(batch.shard).or_default().epoch += 1;
        }
        {
            let mut shards = lock(&self.shards);
            let shard = shards.entry(batch.shard).or_default();
            validate(shard, &batch)?;
            apply(shard, batch);
        }
        match fault {
            Some(IntegrateFault::AfterCommit) => {
                Err(StoreError::Engine("injected failure after commit".into()))
            }
            Some(IntegrateFault::AfterCommitStoreDown) => {
                self.set_fail_reads(true);
                Err(StoreError::Engine(
                    "injected failure after commit, store down".into(),
                ))
            }
            Some(IntegrateFault::BeforeCommit | IntegrateFault::LeaseLostMidBatch) | None => Ok(()),
        }
    }

    async fn read_tiles(
        &self,
        shard: ShardId,
        ids: &[TileId],
    ) -> Result<Vec<StoredTile>, StoreError> {
        self.read_tiles_calls.fetch_add(1, Ordering::Relaxed);
        self.check_reads()?;
        let corrupt = lock(&self.faults).corrupt_tile_reads;
        let shards = lock(&self.shards);
        let Some(data) = shards.get(&shard) else {
            return Ok(Vec::new());
        };
        Ok(ids
            .iter()
            .filter_map(|id| {
                let row = data.tiles.get(&(id.level, id.index))?;
                let mut hashes = row.get(..usize::from(id.width) * HASH_SIZE)?.to_vec();
                if corrupt {
                    if let Some(b) = hashes.first_mut() {
                        *b ^= 1;
                    }
                }
                Some(StoredTile { id: *id, hashes })
            })
            .collect())
    }

    async fn read_entries(
        &self,
        shard: ShardId,
        start: u64,
        end: u64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        self.read_entries_calls.fetch_add(1, Ordering::Relaxed);
        self.check_reads()?;
        let shards = lock(&self.shards);
        let Some(data) = shards.get(&shard) else {
            return Ok(Vec::new());
        };
        let len = data.entries.len();
        let start = usize::try_from(start).unwrap_or(usize::MAX).min(len);
        let end = usize::try_from(end).unwrap_or(usize::MAX).min(len);
        Ok(data
            .entries
            .get(start..end.max(start))
            .map(<[StoredEntry]>::to_vec)
            .unwrap_or_default())
    }

    async fn read_entries_at(
        &self,
        shard: ShardId,
        indexes: &[u64],
    ) -> Result<Vec<StoredEntry>, StoreError> {
        self.read_entries_at_calls.fetch_add(1, Ordering::Relaxed);
        let mut paused = self.reads_paused.subscribe();
        // An error means the sender is gone with the store, so there is nothing to wait for.
        let _ = paused.wait_for(|p| !*p).await;
        self.check_reads()?;
        let shards = lock(&self.shards);
        let Some(data) = shards.get(&shard) else {
            return Ok(Vec::new());
        };
        let mut wanted = indexes.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        Ok(wanted
            .into_iter()
            .filter_map(|i| data.entries.get(usize::try_from(i).ok()?).cloned())
            .collect())
    }

    async fn find_leaf(&self, shard: ShardId, leaf_hash: &Hash) -> Result<Option<u64>, StoreError> {
        self.check_reads()?;
        Ok(lock(&self.shards)
            .get(&shard)
            .and_then(|s| s.leaves.get(leaf_hash).copied()))
    }

    async fn find_leaves(
        &self,
        shard: ShardId,
        leaf_hashes: &[Hash],
    ) -> Result<Vec<(Hash, u64)>, StoreError> {
        self.check_reads()?;
        let shards = lock(&self.shards);
        let Some(s) = shards.get(&shard) else {
            return Ok(Vec::new());
        };
        Ok(leaf_hashes
            .iter()
            .filter_map(|h| s.leaves.get(h).map(|i| (*h, *i)))
            .collect())
    }

    async fn search(
        &self,
        shard: ShardId,
        key: &str,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        self.check_reads()?;
        Ok(lock(&self.shards)
            .get(&shard)
            .and_then(|s| s.search.get(key))
            .map(|v| v.iter().copied().take(limit).collect())
            .unwrap_or_default())
    }
}
