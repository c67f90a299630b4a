//! The storage contract (`sigstack_ledger::store`), tested once and run against both engines.
//!
//! Every case is a function generic over the engine's [`Harness`] and gets a fresh database.
//! PostgreSQL cases need a running server (see `common/harness.rs`; CI starts one) and fail
//! loudly without it. Run one engine with
//! `cargo test -p sigstack-ledger --test store_suite sqlite::` (or `postgres::`).
#![cfg(all(feature = "sqlite", feature = "postgres"))]
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::harness::{setup, Harness, PgHarness, SqliteHarness};
use common::model::{checkpoint_text, ModelLog};
use sigstack_ledger::store::{Store, StoreError, TreeState, WriterLease};
use sigstack_merkle::{leaf_hash, TileId, EMPTY_ROOT};

const SHARD: i64 = 1;

/// A fresh database holds nothing.
async fn empty_state<H: Harness>() {
    let (_h, store) = setup::<H>().await;
    assert_eq!(store.tree_state(SHARD).await.unwrap(), None);
    assert!(store.read_entries(SHARD, 0, 100).await.unwrap().is_empty());
    let ids = [
        TileId::new(0, 0, 1).unwrap(),
        TileId::new(1, 0, 256).unwrap(),
    ];
    assert!(store.read_tiles(SHARD, &ids).await.unwrap().is_empty());
    assert!(store.read_tiles(SHARD, &[]).await.unwrap().is_empty());
    assert_eq!(
        store.find_leaf(SHARD, &leaf_hash(b"x")).await.unwrap(),
        None
    );
    assert!(store
        .search(SHARD, "sha256:0", 10)
        .await
        .unwrap()
        .is_empty());
    ModelLog::new(SHARD).verify(&store).await;
}

/// Batches of awkward sizes (crossing tile and level boundaries) read back exactly: state,
/// entries, dedup rows, search keys, and every tile at every width it was written.
async fn integrate_and_read_back<H: Harness>() {
    let (_h, store) = setup::<H>().await;
    let mut log = ModelLog::new(SHARD);
    for n in [1, 255, 1, 300, 700, 3, 1024] {
        log.grow(&store, n).await;
        log.verify(&store).await;
    }
    assert_eq!(log.size(), 2284);
    // Ranges are half-open and clipped to what exists.
    let some = store.read_entries(SHARD, 10, 13).await.unwrap();
    assert_eq!(
        some.iter().map(|e| e.index).collect::<Vec<_>>(),
        [10, 11, 12]
    );
    assert!(store.read_entries(SHARD, 13, 13).await.unwrap().is_empty());
    assert!(store.read_entries(SHARD, 20, 10).await.unwrap().is_empty());
    assert!(store
        .read_entries(SHARD, u64::MAX - 1, u64::MAX)
        .await
        .unwrap()
        .is_empty());
    let tail = store.read_entries(SHARD, 2280, u64::MAX).await.unwrap();
    assert_eq!(tail.len(), 4);
}

/// Point reads of scattered indexes: each existing entry once whatever the order or repeats
/// asked, nothing for indexes past the end or past `i64::MAX`, nothing from another shard,
/// and batches larger than one statement's parameter budget.
async fn point_reads_by_index<H: Harness>() {
    let (_h, store) = setup::<H>().await;
    let mut log = ModelLog::new(SHARD);
    log.grow(&store, 700).await;
    let all = store.read_entries(SHARD, 0, 700).await.unwrap();
    assert_eq!(all.len(), 700);

    let mut got = store
        .read_entries_at(SHARD, &[5, 700, 3, 5, u64::MAX, 699, 0, i64::MAX as u64])
        .await
        .unwrap();
    got.sort_by_key(|e| e.index);
    let want: Vec<_> = [0, 3, 5, 699].iter().map(|i| all[*i].clone()).collect();
    assert_eq!(got, want);

    assert!(store.read_entries_at(SHARD, &[]).await.unwrap().is_empty());
    assert!(store
        .read_entries_at(SHARD + 1, &[0, 1])
        .await
        .unwrap()
        .is_empty());

    let backwards: Vec<u64> = (0..700).rev().collect();
    let mut got = store.read_entries_at(SHARD, &backwards).await.unwrap();
    got.sort_by_key(|e| e.index);
    assert_eq!(got, all);
}

/// The partial tile of a level is replaced by wider ones; reads get the widest row cut to
/// the width asked for, nothing for a width not yet stored, and full tiles never change.
async fn partial_tiles_widen_and_cut<H: Harness>() {
    let (_h, store) = setup::<H>().await;
    let mut log = ModelLog::new(SHARD);
    log.grow(&store, 10).await;
    let ten = TileId::new(0, 0, 10).unwrap();
    let first = store.read_tiles(SHARD, &[ten]).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].hashes.len(), 10 * 32);

    log.grow(&store, 20).await;
    let thirty = TileId::new(0, 0, 30).unwrap();
    let read = store
        .read_tiles(SHARD, &[ten, thirty, TileId::new(0, 0, 31).unwrap()])
        .await
        .unwrap();
    assert_eq!(read.len(), 2, "width 31 is not stored yet");
    assert_eq!(
        read[0], first[0],
        "the narrow read is a prefix of the wider row"
    );
    assert_eq!(read[1].id, thirty);
    assert_eq!(&read[1].hashes[..10 * 32], first[0].hashes.as_slice());

    log.grow(&store, 300).await;
    let full = TileId::new(0, 0, 256).unwrap();
    let full_before = store.read_tiles(SHARD, &[full]).await.unwrap();
    assert_eq!(full_before.len(), 1);
    log.grow(&store, 600).await;
    assert_eq!(store.read_tiles(SHARD, &[full]).await.unwrap(), full_before);
    // Asked in any order, answered in the order asked; unknown coordinates are absent.
    let ids = [
        TileId::new(0, 3, 1).unwrap(),
        TileId::new(0, 1, 256).unwrap(),
        TileId::new(0, 99, 1).unwrap(),
        TileId::new(1, 0, 3).unwrap(),
        TileId::new(5, 0, 1).unwrap(),
    ];
    let got: Vec<TileId> = store
        .read_tiles(SHARD, &ids)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(got, [ids[0], ids[1], ids[3]]);
    log.verify(&store).await;
}

/// Search keys find their entries in index order under the limit; the dedup index finds
/// leaves; shards are separate namespaces for both.
async fn search_and_dedup<H: Harness>() {
    let (_h, store) = setup::<H>().await;
    let mut log = ModelLog::new(SHARD);
    log.grow(&store, 40).await;
    log.grow(&store, 2).await;
    let all = store.search(SHARD, "sha256:2", 100).await.unwrap();
    let expected: Vec<u64> = (0..42).filter(|i| i % 5 == 2).collect();
    assert_eq!(all, expected);
    assert_eq!(
        store.search(SHARD, "sha256:2", 3).await.unwrap(),
        expected[..3]
    );
    assert!(store.search(SHARD, "sha256:2", 0).await.unwrap().is_empty());
    assert!(store
        .search(SHARD, "sha256:9", 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .search(SHARD + 1, "sha256:2", 10)
        .await
        .unwrap()
        .is_empty());

    let leaf = log.entries[7].entry.leaf_hash;
    assert_eq!(store.find_leaf(SHARD, &leaf).await.unwrap(), Some(7));
    assert_eq!(store.find_leaf(SHARD + 1, &leaf).await.unwrap(), None);
    assert_eq!(
        store.find_leaf(SHARD, &leaf_hash(b"never")).await.unwrap(),
        None
    );

    let never = leaf_hash(b"never");
    assert_eq!(
        store.find_leaves(SHARD, &[never, leaf]).await.unwrap(),
        vec![(leaf, 7)]
    );
    assert!(store
        .find_leaves(SHARD + 1, &[leaf])
        .await
        .unwrap()
        .is_empty());
    assert!(store.find_leaves(SHARD, &[]).await.unwrap().is_empty());

    // The same leaf may exist once per shard.
    let mut other = ModelLog::new(SHARD + 1);
    let pending = other.build_with(vec![log.entries[7].entry.body.clone()]);
    store.integrate(pending.batch.clone()).await.unwrap();
    other.accept(pending);
    assert_eq!(store.find_leaf(SHARD + 1, &leaf).await.unwrap(), Some(0));
    other.verify(&store).await;
    log.verify(&store).await;
}

/// A batch built on a size that is not the stored one fails with `Conflict` and writes
/// nothing; the next correct batch goes through.
async fn cas_conflict_changes_nothing<H: Harness>() {
    let (_h, store) = setup::<H>().await;
    let mut log = ModelLog::new(SHARD);

    // On an empty shard, a batch claiming a non-zero old size.
    let mut ahead = log.clone();
    ahead.grow_model_only(5);
    let early = ahead.build(3);
    let err = store.integrate(early.batch).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                expected: 5,
                found: 0
            }
        ),
        "{err:?}"
    );
    log.verify(&store).await;

    // A stale batch: built at size 0 by a writer that missed ours.
    let stale = log.build_with((0..50).map(|i| ModelLog::body(SHARD, i, 1000)).collect());
    log.grow(&store, 10).await;
    let stale_leaves: Vec<_> = stale
        .batch
        .entries
        .iter()
        .map(|e| e.entry.leaf_hash)
        .collect();
    let err = store.integrate(stale.batch).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                expected: 0,
                found: 10
            }
        ),
        "{err:?}"
    );
    for leaf in &stale_leaves {
        assert_eq!(store.find_leaf(SHARD, leaf).await.unwrap(), None);
    }
    log.verify(&store).await;

    // A batch from the future.
    let mut ahead = log.clone();
    ahead.grow_model_only(1);
    let err = store.integrate(ahead.build(1).batch).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                expected: 11,
                found: 10
            }
        ),
        "{err:?}"
    );
    log.verify(&store).await;

    log.grow(&store, 7).await;
    log.verify(&store).await;
}

/// A batch repeating a leaf hash is a caller bug: refused, nothing written.
async fn duplicate_leaf_in_batch_rejected<H: Harness>() {
    let (_h, store) = setup::<H>().await;
    let mut log = ModelLog::new(SHARD);
    log.grow(&store, 3).await;
    let mut bodies: Vec<Vec<u8>> = (3..300).map(|i| ModelLog::body(SHARD, i, 77)).collect();
    bodies[250] = bodies[1].clone();
    let pending = log.build_with(bodies);
    let first_new = pending.batch.entries[0].entry.leaf_hash;
    let err = store.integrate(pending.batch).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert_eq!(store.find_leaf(SHARD, &first_new).await.unwrap(), None);
    log.verify(&store).await;
    log.grow(&store, 5).await;
    log.verify(&store).await;
}

/// A batch whose last entry repeats a leaf already stored fails on the database's dedup
/// index after the rest of the batch was inserted: the whole transaction rolls back.
async fn duplicate_of_stored_leaf_rolls_back<H: Harness>() {
    let (_h, store) = setup::<H>().await;
    let mut log = ModelLog::new(SHARD);
    log.grow(&store, 20).await;
    let mut bodies: Vec<Vec<u8>> = (20..320).map(|i| ModelLog::body(SHARD, i, 99)).collect();
    let last = bodies.len() - 1;
    bodies[last] = log.entries[4].entry.body.clone();
    let pending = log.build_with(bodies);
    let written_first: Vec<_> = pending.batch.entries[..last]
        .iter()
        .map(|e| e.entry.leaf_hash)
        .collect();
    let err = store.integrate(pending.batch).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    for leaf in &written_first {
        assert_eq!(
            store.find_leaf(SHARD, leaf).await.unwrap(),
            None,
            "rolled back"
        );
    }
    assert!(store.read_entries(SHARD, 20, 400).await.unwrap().is_empty());
    assert!(store
        .search(SHARD, "entry:21", 10)
        .await
        .unwrap()
        .is_empty());
    let widest = TileId::new(0, 1, 1).unwrap();
    assert!(store.read_tiles(SHARD, &[widest]).await.unwrap().is_empty());
    log.verify(&store).await;
    // The writer is usable again and the size unchanged.
    log.grow(&store, 300).await;
    log.verify(&store).await;
}

/// Batches no sequencer should build are refused before anything is written.
async fn malformed_batches_rejected<H: Harness>() {
    let (_h, store) = setup::<H>().await;
    let mut log = ModelLog::new(SHARD);
    log.grow(&store, 5).await;

    let mut wrong_size = log.build(4).batch;
    wrong_size.new_state.size += 1;
    let mut gap = log.build(4).batch;
    gap.entries[2].entry.index += 1;
    let mut short_tile = log.build(4).batch;
    short_tile.tiles[0].hashes.pop();
    let mut bad_width = log.build(4).batch;
    bad_width.tiles[0].id.width = 0;
    for batch in [wrong_size, gap, short_tile, bad_width] {
        let err = store.integrate(batch).await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
        log.verify(&store).await;
    }
}

/// Stored tiles are only ever extended: a batch that would narrow a partial tile or change
/// hashes already stored (full or partial) is refused whole.
async fn tile_rewrite_refused<H: Harness>() {
    let (_h, store) = setup::<H>().await;
    let mut log = ModelLog::new(SHARD);
    log.grow(&store, 300).await;

    let mut changed_partial = log.build(5).batch;
    let partial = changed_partial
        .tiles
        .iter_mut()
        .find(|t| t.id.level == 0)
        .unwrap();
    partial.hashes[0] ^= 1;
    let mut changed_full = log.build(5).batch;
    let mut full = changed_full.tiles[0].clone();
    full.id = TileId::new(0, 0, 256).unwrap();
    full.hashes = vec![7; 256 * 32];
    changed_full.tiles.push(full);
    let mut narrowed = log.build(5).batch;
    let mut narrow = log.tile_history[1].clone();
    assert_eq!(
        (narrow.id.level, narrow.id.index),
        (0, 1),
        "the level-0 partial tile"
    );
    narrow.id.width = 1;
    narrow.hashes.truncate(32);
    narrowed.tiles = vec![narrow];
    for batch in [changed_partial, changed_full, narrowed] {
        let err = store.integrate(batch).await.unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
        log.verify(&store).await;
    }

    // Rewriting a tile with exactly the stored bytes is harmless.
    let mut same = log.build(5);
    same.batch.tiles.push(log.tile_history[0].clone());
    store.integrate(same.batch.clone()).await.unwrap();
    same.batch.tiles.pop();
    log.accept(same);
    log.verify(&store).await;
}

/// An empty batch only replaces the checkpoint (e.g. a periodic re-signing).
async fn empty_batch_replaces_checkpoint<H: Harness>() {
    let (_h, store) = setup::<H>().await;
    let mut log = ModelLog::new(SHARD);
    // Even as a shard's first batch.
    let mut pending = log.build(0);
    assert_eq!(pending.batch.new_state.root, EMPTY_ROOT);
    pending.batch.new_state.checkpoint = checkpoint_text(SHARD, 0, &EMPTY_ROOT);
    store.integrate(pending.batch.clone()).await.unwrap();
    log.accept(pending);
    log.verify(&store).await;

    log.grow(&store, 9).await;
    let mut pending = log.build(0);
    pending.batch.new_state.checkpoint = b"re-signed".to_vec();
    store.integrate(pending.batch.clone()).await.unwrap();
    log.accept(pending);
    let state = store.tree_state(SHARD).await.unwrap().unwrap();
    assert_eq!(state.size, 9);
    assert_eq!(state.checkpoint, b"re-signed");
    log.verify(&store).await;
}

/// One writer per shard across processes: a second handle on the same database (a separate
/// pool, as another process would have) cannot take a held lease, can take another shard's,
/// and gets the lease once the first is dropped.
async fn writer_lease_is_exclusive<H: Harness>() {
    let (h, store) = setup::<H>().await;
    let other = h.open().await.unwrap();
    let lease = store.acquire_writer(SHARD).await.unwrap();
    let err = store.acquire_writer(SHARD).await.err().unwrap();
    assert!(matches!(err, StoreError::LeaseHeld(SHARD)), "{err:?}");
    let err = other.acquire_writer(SHARD).await.err().unwrap();
    assert!(matches!(err, StoreError::LeaseHeld(SHARD)), "{err:?}");
    let second_shard = other.acquire_writer(SHARD + 1).await.unwrap();

    drop(lease);
    // The server may take a moment to notice the lease's session is gone.
    let deadline = Instant::now() + Duration::from_secs(10);
    let taken = loop {
        match other.acquire_writer(SHARD).await {
            Ok(lease) => break lease,
            Err(StoreError::LeaseHeld(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(err) => panic!("lease not released after drop: {err:?}"),
        }
    };
    let err = store.acquire_writer(SHARD).await.err().unwrap();
    assert!(matches!(err, StoreError::LeaseHeld(SHARD)), "{err:?}");
    drop(taken);
    drop(second_shard);
}

/// Taking the lease moves the shard's epoch on, and a batch of an older epoch is fenced: it
/// fails with `Fenced` and writes nothing, even when its size is right. The placeholder row
/// the first lease creates does not count as an initialised tree.
async fn lease_epochs_fence_older_batches<H: Harness>() {
    let (h, store) = setup::<H>().await;
    let other = h.open().await.unwrap();
    let first = store.acquire_writer(SHARD).await.unwrap();
    assert!(first.epoch() >= 1);
    assert_eq!(store.tree_state(SHARD).await.unwrap(), None);
    let mut log = ModelLog::new(SHARD);
    log.epoch = first.epoch();
    log.grow(&store, 3).await;

    // The lease changes hands (its session died; another process took it).
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    let second = loop {
        match other.acquire_writer(SHARD).await {
            Ok(lease) => break lease,
            Err(StoreError::LeaseHeld(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(err) => panic!("lease not released after drop: {err:?}"),
        }
    };
    assert!(
        second.epoch() > log.epoch,
        "{} {}",
        second.epoch(),
        log.epoch
    );

    // The old holder's next batch is built on the right size, and still refused.
    let stale = log.build(2);
    let err = store.integrate(stale.batch.clone()).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Fenced { batch, current } if batch == log.epoch && current == second.epoch()),
        "{err:?}"
    );
    log.verify(&store).await;
    assert_eq!(store.tree_state(SHARD).await.unwrap().unwrap().size, 3);

    // The new holder writes under its epoch.
    log.epoch = second.epoch();
    log.grow(&other, 2).await;
    log.verify(&store).await;
    drop(second);
}

/// `open` refuses a database that was never migrated and one from a newer build; migrating
/// is idempotent and refuses to downgrade.
async fn schema_version_checked<H: Harness>() {
    let h = H::new().await;
    h.create_unmigrated().await;
    let err = h.open().await.err().unwrap();
    assert!(
        matches!(
            err,
            StoreError::SchemaVersion {
                expected: 2,
                found: 0
            }
        ),
        "{err:?}"
    );
    assert_eq!(h.migrate().await.unwrap(), 2);
    assert_eq!(h.migrate().await.unwrap(), 2, "migrating twice is harmless");
    let store = h.open().await.unwrap();
    let mut log = ModelLog::new(SHARD);
    log.grow(&store, 3).await;
    drop(store);

    h.set_schema_version(999).await;
    let err = h.open().await.err().unwrap();
    assert!(
        matches!(
            err,
            StoreError::SchemaVersion {
                expected: 2,
                found: 999
            }
        ),
        "{err:?}"
    );
    let err = h.migrate().await.unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaVersion { found: 999, .. }),
        "{err:?}"
    );
}

/// Everything integrated is there after closing and reopening the database.
async fn reopen_keeps_everything<H: Harness>() {
    let (h, store) = setup::<H>().await;
    let mut log = ModelLog::new(SHARD);
    log.grow(&store, 257).await;
    log.grow(&store, 3).await;
    drop(store);
    let store = h.open().await.unwrap();
    log.verify(&store).await;
    log.grow(&store, 1).await;
    log.verify(&store).await;
}

/// Reads run while batches are integrated and always see a whole batch or none: whatever
/// size a reader sees, the entries and tiles of that size are all there.
async fn reads_during_integrate<H: Harness>() {
    let (_h, store) = setup::<H>().await;
    let store = Arc::new(store);
    let done = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let store = Arc::clone(&store);
        let done = Arc::clone(&done);
        readers.push(tokio::spawn(async move {
            let mut last = 0u64;
            let mut reads = 0u64;
            while !done.load(Ordering::Acquire) {
                let Some(state) = store.tree_state(SHARD).await.unwrap() else {
                    tokio::task::yield_now().await;
                    continue;
                };
                assert!(
                    state.size >= last,
                    "size went back from {last} to {}",
                    state.size
                );
                last = state.size;
                let from = state.size.saturating_sub(97);
                let entries = store.read_entries(SHARD, from, state.size).await.unwrap();
                assert_eq!(
                    entries.len() as u64,
                    state.size - from,
                    "entries of size {last}"
                );
                let ids = TileId::partial_tiles(state.size);
                let tiles = store.read_tiles(SHARD, &ids).await.unwrap();
                assert_eq!(tiles.len(), ids.len(), "partial tiles of size {last}");
                let newest = &entries.last().unwrap().leaf_hash;
                assert_eq!(
                    store.find_leaf(SHARD, newest).await.unwrap(),
                    Some(state.size - 1)
                );
                reads += 1;
            }
            reads
        }));
    }
    let mut log = ModelLog::new(SHARD);
    for _ in 0..30 {
        log.grow(store.as_ref(), 97).await;
    }
    done.store(true, Ordering::Release);
    for reader in readers {
        let reads = reader.await.unwrap();
        assert!(reads > 0, "a reader never ran");
    }
    log.verify(store.as_ref()).await;
    assert_eq!(
        store
            .tree_state(SHARD)
            .await
            .unwrap()
            .map(|s: TreeState| s.size),
        Some(30 * 97)
    );
}

/// Two writers racing on the same shard (as if the lease were bypassed): exactly one of two
/// batches built on the same size wins, the other sees `Conflict`, and the tree is intact.
async fn racing_writers_do_not_fork<H: Harness>() {
    let (h, store) = setup::<H>().await;
    let other = h.open().await.unwrap();
    let mut log = ModelLog::new(SHARD);
    log.grow(&store, 5).await;
    for _ in 0..5 {
        let a = log.build(40);
        let b = log.build(40);
        let (ra, rb) = tokio::join!(
            store.integrate(a.batch.clone()),
            other.integrate(b.batch.clone())
        );
        match (ra, rb) {
            (Ok(()), Err(StoreError::Conflict { .. })) => log.accept(a),
            (Err(StoreError::Conflict { .. }), Ok(())) => log.accept(b),
            outcome => panic!("expected one winner, got {outcome:?}"),
        }
        log.verify(&store).await;
    }
}

impl ModelLog {
    /// Advances the model as if a batch of `n` had been stored elsewhere.
    fn grow_model_only(&mut self, n: usize) {
        let pending = self.build(n);
        self.accept(pending);
    }
}

macro_rules! suite {
    ($engine:ident, $harness:ty, [$($case:ident),* $(,)?]) => {
        mod $engine {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case::<$harness>().await;
                }
            )*
        }
    };
}

macro_rules! both_engines {
    ($($case:ident),* $(,)?) => {
        suite!(sqlite, super::SqliteHarness, [$($case),*]);
        suite!(postgres, super::PgHarness, [$($case),*]);
    };
}

both_engines!(
    empty_state,
    integrate_and_read_back,
    point_reads_by_index,
    partial_tiles_widen_and_cut,
    search_and_dedup,
    cas_conflict_changes_nothing,
    duplicate_leaf_in_batch_rejected,
    duplicate_of_stored_leaf_rolls_back,
    malformed_batches_rejected,
    tile_rewrite_refused,
    empty_batch_replaces_checkpoint,
    writer_lease_is_exclusive,
    lease_epochs_fence_older_batches,
    schema_version_checked,
    reopen_keeps_everything,
    reads_during_integrate,
    racing_writers_do_not_fork,
);

/// SQLite only: `open` never creates a database, it points at `sigstack migrate`.
#[tokio::test]
async fn sqlite_open_refuses_missing_file() {
    let h = SqliteHarness::new().await;
    let err = sigstack_ledger::sqlite::SqliteStore::open(h.db_path())
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&err, StoreError::Engine(msg) if msg.contains("sigstack migrate")),
        "{err:?}"
    );
    assert!(!h.db_path().exists());
    let store = sigstack_ledger::sqlite::SqliteStore::open_and_migrate(h.db_path())
        .await
        .unwrap();
    assert_eq!(store.tree_state(SHARD).await.unwrap(), None);
}
