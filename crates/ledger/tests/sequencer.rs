//! The sequencer against the fault-injecting in-memory store: batching, deduplication,
//! failures before and after commit, overload, standby and takeover. fsck runs after every
//! step, against the previous run's size and root.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod ledger_support;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use ledger_support::*;
use sigstack_ledger::store::{Batch, NewStoredEntry, Store, StoredEntry, StoredTile, TreeState};
use sigstack_ledger::{CheckpointSigner, IntegrateFault, LedgerConfig, LedgerError, MemoryStore};
use sigstack_merkle::{leaf_hash, verify_inclusion, RightEdge, TileId, TileWrite};

fn body(i: usize) -> Vec<u8> {
    format!("entry-{i}").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submitters_get_distinct_verified_indexes() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, config()).await;
    let prev = fsck_clean(&store, None).await;
    assert_eq!(prev.0, 0);

    let n = 600;
    let mut tasks = Vec::new();
    for i in 0..n {
        let ledger = ledger.clone();
        tasks.push(tokio::spawn(async move {
            (i, ledger.submit(submission(body(i))).await)
        }));
    }
    let mut indexes = HashSet::new();
    let mut by_index = HashMap::new();
    for task in tasks {
        let (i, result) = task.await.unwrap();
        let accepted = result.expect("accepted");
        check_accepted(&accepted, &body(i));
        assert!(
            indexes.insert(accepted.entry.index),
            "index handed out twice"
        );
        by_index.insert(accepted.entry.index, i);
    }
    assert_eq!(indexes, (0..n as u64).collect::<HashSet<_>>());

    let state = ledger.state().await.unwrap();
    assert_eq!(state.size, n as u64);
    for (index, i) in &by_index {
        let entry = ledger.entry(*index).await.unwrap().unwrap();
        assert_eq!(entry.body, body(*i));
        let found = ledger.entry_by_leaf(&leaf_hash(&body(*i))).await.unwrap();
        assert_eq!(found.map(|e| e.index), Some(*index));
        let key = format!("key:entry-{i}");
        assert_eq!(ledger.search(&key, 10).await.unwrap(), vec![*index]);
    }

    let metrics = ledger.metrics();
    assert_eq!(metrics.entries_committed, n as u64);
    assert_eq!(metrics.proof_check_failures, 0);
    assert!(
        metrics.batches_committed > 1 + (n as u64) / 64,
        "batches too big"
    );
    assert!(
        metrics.batches_committed < 1 + n as u64,
        "nothing was batched"
    );
    assert_eq!(metrics.batch_sizes.sum, n as u64);
    assert_eq!(metrics.tree_size, Some(n as u64));

    check_history(&ledger, &store.history(SHARD)).await;
    fsck_clean(&store, Some(prev)).await;
}

/// Submits `bodies` at once into a ledger whose batches hold exactly `bodies.len()`.
async fn submit_one_batch(
    ledger: &sigstack_ledger::Ledger<MemoryStore>,
    bodies: &[Vec<u8>],
) -> Vec<Result<sigstack_ledger::Accepted, LedgerError>> {
    let tasks: Vec<_> = bodies
        .iter()
        .map(|b| {
            let ledger = ledger.clone();
            let s = submission(b.clone());
            tokio::spawn(async move { ledger.submit(s).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Batches that close only when full, so a group of concurrent submissions is one batch.
fn one_batch_config(size: usize) -> sigstack_ledger::LedgerConfig {
    let mut config = config();
    config.max_batch = size;
    config.max_delay = Duration::from_secs(5);
    config
}

#[tokio::test]
async fn failure_before_commit_acknowledges_and_stores_nothing() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, one_batch_config(10)).await;
    let bodies: Vec<_> = (0..10).map(body).collect();
    let first = submit_one_batch(&ledger, &bodies).await;
    let prev = fsck_clean(&store, None).await;
    assert_eq!(prev.0, 10);

    store.fail_next_integrate(IntegrateFault::BeforeCommit);
    let more: Vec<_> = (10..20).map(body).collect();
    for result in submit_one_batch(&ledger, &more).await {
        assert!(
            matches!(result, Err(LedgerError::BatchFailed(_))),
            "{result:?}"
        );
    }
    assert_eq!(store.entry_count(SHARD), 10);
    assert_eq!(ledger.state().await.unwrap().size, 10);
    let prev = fsck_clean(&store, Some(prev)).await;

    // The next batch works and continues the same tree.
    for (result, b) in submit_one_batch(&ledger, &more).await.iter().zip(&more) {
        let accepted = result.as_ref().expect("accepted after the failed batch");
        check_accepted(accepted, b);
        assert!(accepted.entry.index >= 10);
    }
    for result in &first {
        let accepted = result.as_ref().unwrap();
        let stored = ledger.entry(accepted.entry.index).await.unwrap().unwrap();
        assert_eq!(stored, accepted.entry);
    }
    assert_eq!(ledger.metrics().batches_failed, 1);
    check_history(&ledger, &store.history(SHARD)).await;
    fsck_clean(&store, Some(prev)).await;
}

#[tokio::test]
async fn failure_after_commit_acknowledges_nothing_and_does_not_fork() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, one_batch_config(10)).await;
    let prev = fsck_clean(&store, None).await;

    store.fail_next_integrate(IntegrateFault::AfterCommit);
    let bodies: Vec<_> = (0..10).map(body).collect();
    for result in submit_one_batch(&ledger, &bodies).await {
        assert!(
            matches!(result, Err(LedgerError::BatchFailed(_))),
            "{result:?}"
        );
    }
    // The batch is durable even though nobody was told, and the ledger knows it.
    assert_eq!(store.entry_count(SHARD), 10);
    assert_eq!(ledger.state().await.unwrap().size, 10);
    assert!(ledger.metrics().resyncs >= 1);
    let prev = fsck_clean(&store, Some(prev)).await;

    // Resubmitting gets the stored index; new bodies continue the tree.
    let mut again = bodies.clone();
    again.truncate(5);
    again.extend((10..15).map(body));
    for (result, b) in submit_one_batch(&ledger, &again).await.iter().zip(&again) {
        match result {
            Err(LedgerError::Duplicate { index }) => {
                let stored = ledger.entry(*index).await.unwrap().unwrap();
                assert_eq!(&stored.body, b);
                assert!(*index < 10);
            }
            Ok(accepted) => {
                check_accepted(accepted, b);
                assert!(accepted.entry.index >= 10);
                assert!(!bodies.contains(b), "stored body accepted twice");
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(store.entry_count(SHARD), 15);
    check_history(&ledger, &store.history(SHARD)).await;
    let prev = fsck_clean(&store, Some(prev)).await;

    // A new process on the same store sees the same tree.
    ledger.close().await;
    let reopened = open(&store, one_batch_config(1)).await;
    assert_eq!(reopened.state().await.unwrap().size, 15);
    fsck_clean(&store, Some(prev)).await;
}

#[tokio::test]
async fn unreadable_store_after_an_unknown_outcome_is_resynced_before_the_next_batch() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, one_batch_config(4)).await;
    let prev = fsck_clean(&store, None).await;

    store.fail_next_integrate(IntegrateFault::AfterCommitStoreDown);
    let bodies: Vec<_> = (0..4).map(body).collect();
    for result in submit_one_batch(&ledger, &bodies).await {
        assert!(
            matches!(result, Err(LedgerError::BatchFailed(_))),
            "{result:?}"
        );
    }
    // Still down: the sequencer cannot learn the outcome, so it refuses to write.
    let later: Vec<_> = (4..8).map(body).collect();
    for result in submit_one_batch(&ledger, &later).await {
        assert!(
            matches!(result, Err(LedgerError::BatchFailed(_))),
            "{result:?}"
        );
    }
    assert_eq!(store.entry_count(SHARD), 4);

    store.set_fail_reads(false);
    let mut mixed = bodies[..2].to_vec();
    mixed.extend_from_slice(&later[..2]);
    for (result, b) in submit_one_batch(&ledger, &mixed).await.iter().zip(&mixed) {
        match result {
            Err(LedgerError::Duplicate { index }) => assert!(bodies.contains(b) && *index < 4),
            Ok(accepted) => {
                check_accepted(accepted, b);
                assert!(later.contains(b) && accepted.entry.index >= 4);
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    check_history(&ledger, &store.history(SHARD)).await;
    fsck_clean(&store, Some(prev)).await;
}

#[tokio::test]
async fn no_acknowledged_entry_is_lost_across_reopen() {
    let store = Arc::new(MemoryStore::new());
    let mut acknowledged = Vec::new();
    let mut prev = None;
    for round in 0..3 {
        let ledger = open(&store, config()).await;
        assert!(ledger.is_writer());
        let bodies: Vec<_> = (round * 40..(round + 1) * 40).map(body).collect();
        let tasks: Vec<_> = bodies
            .iter()
            .map(|b| {
                let ledger = ledger.clone();
                let s = submission(b.clone());
                tokio::spawn(async move { ledger.submit(s).await })
            })
            .collect();
        for t in tasks {
            acknowledged.push(t.await.unwrap().unwrap().entry);
        }
        ledger.close().await;
        assert!(matches!(
            ledger.submit(submission("after close")).await,
            Err(LedgerError::Closed)
        ));
        prev = Some(fsck_clean(&store, prev).await);
    }
    let ledger = open(&store, config()).await;
    let state = ledger.state().await.unwrap();
    assert_eq!(state.size, acknowledged.len() as u64);
    for entry in &acknowledged {
        assert_eq!(
            ledger.entry(entry.index).await.unwrap().as_ref(),
            Some(entry)
        );
        let proof = ledger
            .inclusion_proof(entry.index, state.size)
            .await
            .unwrap();
        verify_inclusion(
            &entry.leaf_hash,
            entry.index,
            state.size,
            &proof,
            &state.root,
        )
        .unwrap();
    }
    check_history(&ledger, &store.history(SHARD)).await;
}

#[tokio::test]
async fn start_up_reads_state_and_partial_tiles_only() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, config()).await;
    for i in 0..300 {
        ledger.submit(submission(body(i))).await.unwrap();
    }
    ledger.close().await;
    let before = store.read_entries_calls();
    let reopened = open(&store, config()).await;
    assert_eq!(
        store.read_entries_calls(),
        before,
        "opening scanned entries"
    );
    let accepted = reopened.submit(submission(body(300))).await.unwrap();
    check_accepted(&accepted, &body(300));
    assert_eq!(accepted.entry.index, 300);
    fsck_clean(&store, None).await;
}

#[tokio::test]
async fn duplicates_within_and_across_batches_get_the_first_index() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, one_batch_config(8)).await;
    let names = ["a", "b", "a", "c", "b", "a", "d", "e"];
    let bodies: Vec<Vec<u8>> = names.iter().map(|n| n.as_bytes().to_vec()).collect();
    let results = submit_one_batch(&ledger, &bodies).await;
    assert_eq!(
        ledger.metrics().batches_committed,
        2,
        "not one batch (init + 1)"
    );
    let mut index_of = HashMap::new();
    for (result, name) in results.iter().zip(names) {
        if let Ok(accepted) = result {
            check_accepted(accepted, name.as_bytes());
            assert!(index_of.insert(name, accepted.entry.index).is_none());
        }
    }
    assert_eq!(index_of.len(), 5, "one acceptance per distinct body");
    for (result, name) in results.iter().zip(names) {
        match result {
            Ok(_) => {}
            Err(LedgerError::Duplicate { index }) => assert_eq!(Some(index), index_of.get(name)),
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(ledger.metrics().duplicates, 3);
    assert_eq!(store.entry_count(SHARD), 5);

    // Across batches: the stored index.
    let names2 = ["a", "f", "c", "g", "g", "e", "h", "i"];
    let bodies2: Vec<Vec<u8>> = names2.iter().map(|n| n.as_bytes().to_vec()).collect();
    let results2 = submit_one_batch(&ledger, &bodies2).await;
    for (result, name) in results2.iter().zip(names2) {
        match (result, index_of.get(name)) {
            (Err(LedgerError::Duplicate { index }), Some(first)) => assert_eq!(index, first),
            (Ok(accepted), None) => {
                check_accepted(accepted, name.as_bytes());
                index_of.insert(name, accepted.entry.index);
            }
            (Err(LedgerError::Duplicate { index }), None) => panic!("{name}: dup of {index}?"),
            (other, _) => panic!("{name}: unexpected {other:?}"),
        }
    }
    assert_eq!(store.entry_count(SHARD), 9);
    fsck_clean(&store, None).await;
}

#[tokio::test]
async fn a_refused_stamp_rejects_only_that_entry() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, one_batch_config(3)).await;
    let bodies = vec![b"x".to_vec(), b"bad-stamp".to_vec(), b"y".to_vec()];
    let results = submit_one_batch(&ledger, &bodies).await;
    assert!(matches!(results[1], Err(LedgerError::Internal(_))));
    check_accepted(results[0].as_ref().unwrap(), b"x");
    check_accepted(results[2].as_ref().unwrap(), b"y");
    assert_eq!(store.entry_count(SHARD), 2);
    fsck_clean(&store, None).await;
}

#[tokio::test]
async fn a_receipt_given_with_the_submission_bypasses_the_stamper() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, config()).await;
    // The test stamper would refuse this body: a given receipt must not reach it.
    let mut given = submission("bad-stamp but carries its own receipt");
    given.receipt = Some(b"service receipt".to_vec());
    let accepted = ledger.submit(given).await.unwrap();
    assert_eq!(accepted.entry.receipt, b"service receipt");
    let stored = ledger.entry(accepted.entry.index).await.unwrap().unwrap();
    assert_eq!(stored.receipt, b"service receipt");
    fsck_clean(&store, None).await;
}

#[tokio::test]
async fn a_full_queue_answers_overloaded_at_once() {
    let store = Arc::new(MemoryStore::new());
    let mut config = config();
    config.queue_capacity = 4;
    config.max_batch = 1;
    config.max_delay = Duration::ZERO;
    let ledger = open(&store, config).await;
    let calls = store.integrate_calls();
    store.pause_integrate();
    let mut waiting = Vec::new();
    let first = ledger.clone();
    waiting.push(tokio::spawn(
        async move { first.submit(submission("q0")).await },
    ));
    eventually("the sequencer is inside integrate", || {
        store.integrate_calls() == calls + 1
    })
    .await;
    for i in 1..=4 {
        let ledger = ledger.clone();
        waiting.push(tokio::spawn(async move {
            ledger.submit(submission(format!("q{i}"))).await
        }));
    }
    eventually("four submissions wait behind the held batch", || {
        ledger.metrics().queue_depth == 4
    })
    .await;
    let refused = ledger.submit(submission("one too many")).await;
    assert!(
        matches!(refused, Err(LedgerError::Overloaded)),
        "{refused:?}"
    );
    assert_eq!(ledger.metrics().overloaded, 1);

    store.resume_integrate();
    for (i, task) in waiting.into_iter().enumerate() {
        let accepted = task.await.unwrap().expect("queued submissions complete");
        check_accepted(&accepted, format!("q{i}").as_bytes());
    }
    assert_eq!(store.entry_count(SHARD), 5);
    fsck_clean(&store, None).await;
}

#[tokio::test]
async fn a_second_process_is_a_standby_until_the_writer_goes() {
    let store = Arc::new(MemoryStore::new());
    let writer = open(&store, config()).await;
    let first = writer.submit(submission("w0")).await.unwrap();
    let standby = open(&store, config()).await;
    assert!(writer.is_writer());
    assert!(!standby.is_writer());
    assert!(matches!(
        standby.submit(submission("s0")).await,
        Err(LedgerError::NotWriter)
    ));

    // The standby serves reads from the store.
    let second = writer.submit(submission("w1")).await.unwrap();
    let state = standby.state().await.unwrap();
    assert_eq!(state, writer.state().await.unwrap());
    assert_eq!(standby.entry(0).await.unwrap(), Some(first.entry.clone()));
    let proof = standby.inclusion_proof(0, state.size).await.unwrap();
    verify_inclusion(&first.entry.leaf_hash, 0, state.size, &proof, &state.root).unwrap();
    assert_eq!(proof, writer.inclusion_proof(0, state.size).await.unwrap());

    // Still held: the standby's retries fail and it stays a standby.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!standby.is_writer());
    let prev = fsck_clean(&store, None).await;

    writer.close().await;
    eventually("the standby takes over", || standby.is_writer()).await;
    assert_eq!(standby.metrics().takeovers, 1);
    let third = standby.submit(submission("s0")).await.unwrap();
    check_accepted(&third, b"s0");
    assert_eq!(third.entry.index, second.entry.index + 1);
    assert!(matches!(
        standby.submit(submission("w0")).await,
        Err(LedgerError::Duplicate { index: 0 })
    ));
    check_history(&standby, &store.history(SHARD)).await;
    fsck_clean(&store, Some(prev)).await;
}

/// Extends the stored tree behind the ledger's back, as a writer that slipped past the lease
/// would.
async fn foreign_append(store: &MemoryStore, body: &[u8]) {
    let state = store.tree_state(SHARD).await.unwrap().unwrap();
    let rows = store
        .read_tiles(SHARD, &TileId::partial_tiles(state.size))
        .await
        .unwrap();
    let tiles = rows
        .into_iter()
        .map(|r| TileWrite {
            id: r.id,
            hashes: r.id.split_contents(&r.hashes).unwrap(),
        })
        .collect();
    let mut edge = RightEdge::from_partial_tiles(state.size, tiles).unwrap();
    let entry = StoredEntry {
        index: state.size,
        leaf_hash: leaf_hash(body),
        body: body.to_vec(),
        integrated_time: START_TIME,
        kind: "test:0.0.1".into(),
        receipt: Vec::new(),
    };
    let mut entry = entry;
    entry.receipt = expected_receipt(&entry);
    let outcome = edge.append(&[entry.leaf_hash]).unwrap();
    let checkpoint = TestSigner
        .sign(outcome.size, &outcome.root, START_TIME)
        .unwrap();
    let batch = Batch {
        shard: SHARD,
        // The current epoch: a writer the fence does not stop (only the size CAS does).
        epoch: store.lease_epoch(SHARD),
        old_size: state.size,
        entries: vec![NewStoredEntry {
            entry,
            search_keys: Vec::new(),
        }],
        tiles: outcome
            .tiles
            .into_iter()
            .map(|t| StoredTile {
                id: t.id,
                hashes: t.hashes.concat(),
            })
            .collect(),
        new_state: TreeState {
            size: outcome.size,
            root: outcome.root,
            checkpoint,
        },
    };
    store.integrate(batch).await.unwrap();
}

#[tokio::test]
async fn a_conflicting_writer_turns_the_ledger_standby_without_forking() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, config()).await;
    ledger.submit(submission("mine-0")).await.unwrap();
    foreign_append(&store, b"theirs-0").await;

    let refused = ledger.submit(submission("mine-1")).await;
    assert!(
        matches!(refused, Err(LedgerError::NotWriter)),
        "{refused:?}"
    );
    assert_eq!(store.entry_count(SHARD), 2);
    let prev = fsck_clean(&store, None).await;

    // Nobody holds the lease now, so the ledger takes it back and continues the stored tree.
    eventually("the ledger takes the lease back", || ledger.is_writer()).await;
    let accepted = ledger.submit(submission("mine-1")).await.unwrap();
    check_accepted(&accepted, b"mine-1");
    assert_eq!(accepted.entry.index, 2);
    check_history(&ledger, &store.history(SHARD)).await;
    fsck_clean(&store, Some(prev)).await;
}

#[tokio::test]
async fn failed_reads_fail_cleanly_and_write_nothing() {
    let store = Arc::new(MemoryStore::new());
    // No recent-entries window: every read must go to the (failing) store.
    let ledger = open(
        &store,
        LedgerConfig {
            recent_entries_bytes: 0,
            ..config()
        },
    )
    .await;
    ledger.submit(submission("ok-0")).await.unwrap();
    store.set_fail_reads(true);
    assert!(matches!(ledger.entry(0).await, Err(LedgerError::Store(_))));
    // The duplicate check cannot run, so the batch is refused before anything is written.
    let refused = ledger.submit(submission("ok-1")).await;
    assert!(
        matches!(refused, Err(LedgerError::BatchFailed(_))),
        "{refused:?}"
    );
    store.set_fail_reads(false);
    assert_eq!(store.entry_count(SHARD), 1);
    let accepted = ledger.submit(submission("ok-1")).await.unwrap();
    assert_eq!(accepted.entry.index, 1);
    fsck_clean(&store, None).await;
}

#[tokio::test]
async fn a_proof_that_fails_its_self_check_is_an_error_never_a_wrong_answer() {
    let store = Arc::new(MemoryStore::new());
    let mut config = one_batch_config(16);
    // No cache: the proofs of a batch that fills a tile read that tile back from the store.
    config.tile_cache_tiles = 0;
    let ledger = open(&store, config).await;
    let first: Vec<_> = (0..240).map(body).collect();
    for chunk in first.chunks(16) {
        for result in submit_one_batch(&ledger, chunk).await {
            result.unwrap();
        }
    }
    store.set_corrupt_tile_reads(true);
    let filling: Vec<_> = (240..256).map(body).collect();
    for result in submit_one_batch(&ledger, &filling).await {
        assert!(
            matches!(result, Err(LedgerError::Internal(_))),
            "{result:?}"
        );
    }
    assert_eq!(ledger.metrics().proof_check_failures, 16);
    store.set_corrupt_tile_reads(false);
    // The entries were committed all the same; resubmitting finds them.
    for result in submit_one_batch(&ledger, &filling).await {
        assert!(
            matches!(result, Err(LedgerError::Duplicate { .. })),
            "{result:?}"
        );
    }
    fsck_clean(&store, None).await;
}

#[tokio::test]
async fn fresh_entries_are_read_from_the_writers_window() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, config()).await;
    let accepted = ledger.submit(submission("fresh")).await.unwrap();
    // The store cannot be read, yet the entry just committed is served, identical.
    store.set_fail_reads(true);
    let got = ledger.entry(accepted.entry.index).await.unwrap();
    assert_eq!(got.as_ref(), Some(&accepted.entry));
    // An index outside the window still goes to the store (and fails with it).
    assert!(ledger.entry(accepted.entry.index + 1).await.is_err());
    store.set_fail_reads(false);
}
