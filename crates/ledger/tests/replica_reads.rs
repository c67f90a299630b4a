//! A standby reading through `ReplicaReads`: a lagging replica answers what it has and the
//! primary the rest, every proof verifies against the head served; with the primary away
//! the replica's own head is served and what lies beyond it is `NotReplicated`; a dead
//! replica only moves reads to the primary; the writer never reads the replica.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod ledger_support;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ledger_support::*;
use sigstack_ledger::store::{Store, StoreError};
use sigstack_ledger::{Ledger, LedgerError, MemoryStore, ReplicaReads};
use sigstack_merkle::{leaf_hash, verify_inclusion};

const ON_REPLICA: u64 = 300;
const ON_PRIMARY: u64 = 700;

/// Writes `r0..r{n}` one at a time, so two stores given the same calls hold the same tree.
async fn write(ledger: &Ledger<MemoryStore>, from: u64, to: u64) {
    for i in from..to {
        ledger.submit(submission(format!("r{i}"))).await.unwrap();
    }
}

async fn open_replica_reader(
    store: &Arc<ReplicaReads<MemoryStore>>,
) -> Ledger<ReplicaReads<MemoryStore>> {
    Ledger::open(
        Arc::clone(store),
        config(),
        Arc::new(TestSigner),
        Arc::new(TestStamper),
        Arc::new(FakeClock(AtomicI64::new(START_TIME))),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_replica_answers_what_it_has_and_the_primary_the_rest() {
    let primary = Arc::new(MemoryStore::new());
    let replica = Arc::new(MemoryStore::new());
    // The replica is the primary as it was at ON_REPLICA entries.
    let copy = open(&replica, config()).await;
    write(&copy, 0, ON_REPLICA).await;
    copy.close().await;
    let writer = open(&primary, config()).await;
    write(&writer, 0, ON_PRIMARY).await;

    let store = Arc::new(ReplicaReads::new(
        Arc::clone(&primary),
        Some(Arc::clone(&replica)),
        Duration::from_millis(200),
    ));
    let reader = open_replica_reader(&store).await;
    assert!(!reader.is_writer());

    // The primary's head, with every entry and proof, wherever its rows came from.
    let head = reader.state().await.unwrap();
    assert_eq!(head, writer.state().await.unwrap());
    let (size, root) = parse_checkpoint(&head.checkpoint).unwrap();
    assert_eq!((size, root), (ON_PRIMARY, head.root));
    for i in (0..ON_PRIMARY)
        .step_by(7)
        .chain([ON_REPLICA - 1, ON_REPLICA])
    {
        let entry = reader.entry(i).await.unwrap().expect("entry");
        assert_eq!(entry.body, format!("r{i}").into_bytes());
        let proof = reader.inclusion_proof(i, size).await.unwrap();
        verify_inclusion(&entry.leaf_hash, i, size, &proof, &root).unwrap();
        let leaf = leaf_hash(format!("r{i}").as_bytes());
        assert_eq!(reader.entry_by_leaf(&leaf).await.unwrap().unwrap().index, i);
    }
    assert_eq!(reader.entries(250, 350).await.unwrap().len(), 100);
    assert_eq!(reader.search("key:r650", 10).await.unwrap(), vec![650]);
    let counts = store.counts();
    assert!(
        counts.replica.load(Ordering::Relaxed) > 0,
        "replica never read"
    );
    assert!(
        counts.primary.load(Ordering::Relaxed) > 0,
        "primary never read"
    );

    // The primary goes away: the replica's own head is served, nothing beyond it.
    primary.set_fail_reads(true);
    let head = reader.state().await.unwrap();
    let (size, root) = parse_checkpoint(&head.checkpoint).unwrap();
    assert_eq!(size, ON_REPLICA);
    for i in (0..ON_REPLICA).step_by(11) {
        let entry = reader
            .entry(i)
            .await
            .unwrap()
            .expect("entry on the replica");
        let proof = reader.inclusion_proof(i, size).await.unwrap();
        verify_inclusion(&entry.leaf_hash, i, size, &proof, &root).unwrap();
    }
    match reader.inclusion_proof(5, ON_PRIMARY).await {
        Err(LedgerError::OutOfRange(_)) => {}
        other => panic!("a proof beyond the replica's head: {other:?}"),
    }
    match reader.entry_by_leaf(&leaf_hash(b"r600")).await {
        Err(LedgerError::Store(StoreError::NotReplicated(_))) => {}
        other => panic!("an entry only the primary has: {other:?}"),
    }
    assert!(store.counts().primary_unreachable.load(Ordering::Relaxed) > 0);

    // The primary is back (after the back-off) and the replica dies: reads go to the primary.
    primary.set_fail_reads(false);
    replica.set_fail_reads(true);
    tokio::time::sleep(sigstack_ledger::replica::PRIMARY_BACKOFF).await;
    assert_eq!(reader.state().await.unwrap().size, ON_PRIMARY);
    let entry = reader.entry(123).await.unwrap().unwrap();
    assert_eq!(entry.body, b"r123");
    let proof = reader.inclusion_proof(600, ON_PRIMARY).await.unwrap();
    let head = reader.state().await.unwrap();
    verify_inclusion(&leaf_hash(b"r600"), 600, ON_PRIMARY, &proof, &head.root).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_never_reads_the_replica() {
    let primary = Arc::new(MemoryStore::new());
    // A replica that fails every read: a writer that touched it would fail.
    let replica = Arc::new(MemoryStore::new());
    replica.set_fail_reads(true);
    let store = Arc::new(ReplicaReads::new(
        Arc::clone(&primary),
        Some(Arc::clone(&replica)),
        Duration::from_millis(200),
    ));
    let writer = open_replica_reader(&store).await;
    assert!(writer.is_writer());
    for i in 0..300u64 {
        let a = writer.submit(submission(format!("w{i}"))).await.unwrap();
        check_accepted(&a, format!("w{i}").as_bytes());
    }
    let state = writer.state().await.unwrap();
    let proof = writer.inclusion_proof(3, state.size).await.unwrap();
    verify_inclusion(&leaf_hash(b"w3"), 3, state.size, &proof, &state.root).unwrap();
    assert!(writer.entry(3).await.unwrap().is_some());
    assert_eq!(store.counts().replica.load(Ordering::Relaxed), 0);
    assert_eq!(
        store.counts().primary_unreachable.load(Ordering::Relaxed),
        0
    );
    // A store of the same shard seen directly: the primary has it all.
    assert_eq!(
        primary.tree_state(SHARD).await.unwrap().unwrap().size,
        state.size
    );
}
