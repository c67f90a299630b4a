//! The read path: proofs at every size from the writer (memory + cache) and from a standby
//! (store only) agree and verify, tiles are served as stored, and out-of-range asks fail
//! with `OutOfRange`. The tree grows past 65,536 leaves so three tile levels and cache
//! eviction are exercised.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod ledger_support;

use std::sync::Arc;

use ledger_support::*;
use sigstack_ledger::store::Store;
use sigstack_ledger::{LedgerError, MemoryStore};
use sigstack_merkle::{leaf_hash, verify_consistency, verify_inclusion, TileId};

/// A small deterministic generator, so the sampled indexes are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) % n
    }
}

/// Submits `r{from}..r{to}`, in waves that fit the queue.
async fn grow(ledger: &sigstack_ledger::Ledger<MemoryStore>, from: usize, to: usize) {
    for start in (from..to).step_by(2000) {
        grow_wave(ledger, start, (start + 2000).min(to)).await;
    }
}

async fn grow_wave(ledger: &sigstack_ledger::Ledger<MemoryStore>, from: usize, to: usize) {
    let tasks: Vec<_> = (from..to)
        .map(|i| {
            let ledger = ledger.clone();
            tokio::spawn(async move { ledger.submit(submission(format!("r{i}"))).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_and_tiles_agree_between_writer_and_standby() {
    let store = Arc::new(MemoryStore::new());
    let mut cfg = config();
    cfg.max_batch = 1024;
    let writer = open(&store, cfg.clone()).await;
    let standby = open(&store, cfg).await;
    assert!(!standby.is_writer());

    let size = 66_000u64;
    grow(&writer, 0, size as usize).await;
    let history = store.history(SHARD);
    let state = writer.state().await.unwrap();
    assert_eq!(state.size, size);
    assert_eq!(standby.state().await.unwrap(), state);

    let mut rng = Lcg(1);
    for _ in 0..300 {
        // A historical state, and an entry in it.
        let old = &history[1 + rng.below(history.len() as u64 - 1) as usize];
        let index = rng.below(old.size);
        let entry = writer.entry(index).await.unwrap().unwrap();
        assert_eq!(entry.leaf_hash, leaf_hash(&entry.body));
        let proof = writer.inclusion_proof(index, old.size).await.unwrap();
        verify_inclusion(&entry.leaf_hash, index, old.size, &proof, &old.root).unwrap();
        assert_eq!(
            standby.inclusion_proof(index, old.size).await.unwrap(),
            proof
        );

        let consistency = writer
            .consistency_proof(old.size, state.size)
            .await
            .unwrap();
        verify_consistency(old.size, state.size, &consistency, &old.root, &state.root).unwrap();
        assert_eq!(
            standby
                .consistency_proof(old.size, state.size)
                .await
                .unwrap(),
            consistency
        );
    }

    // Tiles: every tile of the current tree as stored, from both.
    for id in [
        TileId::new(0, 0, 256).unwrap(),
        TileId::new(0, 256, 256).unwrap(),
        TileId::new(0, 257, 10).unwrap(),
        TileId::partial_tiles(size)[0],
        TileId::new(1, 0, 256).unwrap(),
        TileId::new(1, 1, 1).unwrap(),
        TileId::new(2, 0, 1).unwrap(),
    ] {
        let stored = store.read_tiles(SHARD, &[id]).await.unwrap();
        let want = stored.first().map(|t| t.hashes.clone());
        assert!(want.is_some(), "store lacks {}", id.path());
        assert_eq!(writer.tile(id).await.unwrap(), want, "writer {}", id.path());
        assert_eq!(
            standby.tile(id).await.unwrap(),
            want,
            "standby {}",
            id.path()
        );
    }
    // Beyond the tree.
    for id in [
        TileId::new(0, 258, 1).unwrap(),
        TileId::new(0, 257, 209).unwrap(),
        TileId::new(0, 257, 256).unwrap(),
        TileId::new(2, 0, 2).unwrap(),
        TileId::new(3, 0, 1).unwrap(),
    ] {
        assert_eq!(writer.tile(id).await.unwrap(), None, "{}", id.path());
        assert_eq!(standby.tile(id).await.unwrap(), None, "{}", id.path());
    }
    fsck_clean(&store, None).await;
}

#[tokio::test]
async fn out_of_range_asks_are_refused() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, config()).await;
    grow(&ledger, 0, 10).await;
    let cases = [
        ledger.inclusion_proof(10, 10).await,
        ledger.inclusion_proof(0, 11).await,
        ledger.inclusion_proof(0, 0).await,
        ledger.inclusion_proof(u64::MAX, u64::MAX).await,
        ledger.consistency_proof(0, 5).await,
        ledger.consistency_proof(6, 5).await,
        ledger.consistency_proof(5, 11).await,
    ];
    for (i, case) in cases.into_iter().enumerate() {
        assert!(
            matches!(case, Err(LedgerError::OutOfRange(_))),
            "case {i}: {case:?}"
        );
    }
    assert_eq!(
        ledger.consistency_proof(5, 5).await.unwrap(),
        Vec::<[u8; 32]>::new()
    );
    assert_eq!(ledger.entry(10).await.unwrap(), None);
    assert_eq!(ledger.entry(u64::MAX).await.unwrap(), None);
    assert_eq!(
        ledger.entry_by_leaf(&leaf_hash(b"absent")).await.unwrap(),
        None
    );
    assert!(ledger.search("key:absent", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_standby_on_an_uninitialised_shard_says_so() {
    let store = Arc::new(MemoryStore::new());
    let lease = store.acquire_writer(SHARD).await.unwrap();
    let standby = open(&store, config()).await;
    assert!(matches!(
        standby.state().await,
        Err(LedgerError::NotInitialized)
    ));
    drop(lease);
    eventually("the standby takes over", || standby.is_writer()).await;
    let state = standby.state().await.unwrap();
    assert_eq!(state.size, 0);
    assert_eq!(parse_checkpoint(&state.checkpoint).unwrap().0, 0);
    let accepted = standby.submit(submission("first")).await.unwrap();
    check_accepted(&accepted, b"first");
    fsck_clean(&store, None).await;
}

#[tokio::test]
async fn ranged_entry_reads_stop_at_the_tree_size() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, config()).await;
    grow(&ledger, 0, 10).await;
    let all = ledger.entries(0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.index).collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );
    assert_eq!(ledger.entries(3, 5).await.unwrap(), all[3..5].to_vec());
    assert!(ledger.entries(10, 20).await.unwrap().is_empty());
    assert!(ledger.entries(5, 3).await.unwrap().is_empty());
}

/// A reopened writer warms its tile cache in the background: once warm, proofs of entries
/// in full tiles need no store read; without warming the same proofs do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reopened_ledger_warms_its_tile_cache() {
    let store = Arc::new(MemoryStore::new());
    let first = open(&store, config()).await;
    grow(&first, 0, 3000).await;
    first.close().await;
    let size = 3000u64;
    // Entries in the eleven full level-0 tiles.
    let indexes: Vec<u64> = (0..20).map(|i| i * 140).collect();

    for warm in [false, true] {
        let before = store.read_tiles_calls();
        let mut cfg = config();
        cfg.warm_tile_cache = warm;
        cfg.tile_cache_tiles = 4096;
        let ledger = open(&store, cfg).await;
        assert!(ledger.is_writer());
        // Opening reads the partial tiles (one query); warming one more for the eleven full
        // level-0 tiles.
        let expected = before + if warm { 2 } else { 1 };
        let warmed = if warm { 11 } else { 0 };
        for _ in 0..5000 {
            if ledger.metrics().tiles_warmed >= warmed {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(ledger.metrics().tiles_warmed, warmed, "warm = {warm}");
        assert_eq!(store.read_tiles_calls(), expected, "warm = {warm}");
        for index in &indexes {
            let proof = ledger.inclusion_proof(*index, size).await.unwrap();
            // Submitted concurrently, so entry `index` is not necessarily `r{index}`.
            let leaf = ledger.entry(*index).await.unwrap().unwrap().leaf_hash;
            let root = ledger.state().await.unwrap().root;
            verify_inclusion(&leaf, *index, size, &proof, &root).unwrap();
        }
        let cold_reads = store.read_tiles_calls() - expected;
        if warm {
            assert_eq!(cold_reads, 0, "a warm cache reads no tiles");
        } else {
            assert!(cold_reads > 0, "without warming the proofs read tiles");
        }
        ledger.close().await;
    }
}
