//! Losing the writer lease, against the fault-injecting in-memory store: every interleaving
//! of a lease that dies under a live writer ends with exactly one process committing, the
//! other one stepping down (not writer, writes refused, reads from the store), and nothing
//! acknowledged that is not in the store. Also: a writer whose store refuses writes says so,
//! and says it no longer once the store takes writes again, without waiting for traffic.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod ledger_support;

use std::sync::Arc;

use ledger_support::*;
use sigstack_ledger::store::Store;
use sigstack_ledger::{IntegrateFault, Ledger, LedgerError, MemoryStore};

/// Two ledgers on one store: `a` opened first (the writer), `b` a standby.
async fn pair(store: &Arc<MemoryStore>) -> (Ledger<MemoryStore>, Ledger<MemoryStore>) {
    let a = open(store, config()).await;
    let b = open(store, config()).await;
    assert!(a.is_writer());
    assert!(!b.is_writer());
    (a, b)
}

/// The lease is taken from the writer and it is told (its session dropped): it steps down
/// at once, without a submission to notice it on, and the standby takes over from the
/// store's state.
#[tokio::test]
async fn a_writer_told_of_a_lost_lease_steps_down_at_once() {
    let store = Arc::new(MemoryStore::new());
    let (a, b) = pair(&store).await;
    for i in 0..5 {
        a.submit(submission(format!("a-{i}"))).await.unwrap();
    }
    assert!(a.write_health().is_ok());
    store.revoke_lease(SHARD);
    eventually("the old writer steps down", || !a.is_writer()).await;
    assert!(a.write_health().is_err());
    eventually("the standby takes over", || b.is_writer()).await;
    assert!(!a.is_writer(), "only one writer");
    assert_eq!(a.metrics().step_downs, 1);

    let accepted = b.submit(submission("b-0")).await.unwrap();
    check_accepted(&accepted, b"b-0");
    assert_eq!(
        accepted.entry.index, 5,
        "the new writer continues the stored tree"
    );
    // The old writer reads the store's tree, not its own stale head.
    assert_eq!(a.state().await.unwrap().size, 6);
    assert_eq!(a.entry(5).await.unwrap().unwrap().body, b"b-0");
    let refused = a.submit(submission("a-late")).await;
    assert!(
        matches!(refused, Err(LedgerError::NotWriter)),
        "{refused:?}"
    );
    assert_eq!(store.entry_count(SHARD), 6);
    check_history(&b, &store.history(SHARD)).await;
    fsck_clean(&store, None).await;
}

/// The lease is taken from the writer without it noticing (a session it has not yet found
/// dead), and the standby takes over. The old writer's next batch is built on the right
/// size, yet fenced: never acknowledged, never stored, and the old writer steps down.
#[tokio::test]
async fn a_writer_that_missed_losing_its_lease_is_fenced() {
    let store = Arc::new(MemoryStore::new());
    let (a, b) = pair(&store).await;
    a.submit(submission("a-0")).await.unwrap();
    store.revoke_lease_silently(SHARD);
    eventually("the standby takes over", || b.is_writer()).await;
    let epoch = store.lease_epoch(SHARD);
    assert_eq!(epoch, 2);

    // The store has not moved since the take-over: only the epoch tells them apart.
    let refused = a.submit(submission("a-1")).await;
    assert!(
        matches!(refused, Err(LedgerError::NotWriter)),
        "{refused:?}"
    );
    assert_eq!(store.entry_count(SHARD), 1);
    assert!(!a.is_writer());
    assert!(b.is_writer());

    let accepted = b.submit(submission("a-1")).await.unwrap();
    assert_eq!(accepted.entry.index, 1);
    assert_eq!(a.entry(1).await.unwrap().unwrap().body, b"a-1");
    assert_eq!(
        store.lease_epoch(SHARD),
        epoch,
        "the fenced writer did not retake it"
    );
    fsck_clean(&store, None).await;
}

/// The lease is lost while a batch is in flight (taken over between the batch's start and
/// its tree-state row lock): nobody in the batch is acknowledged, nothing is stored, and
/// the ledger steps down; with nobody else to take the lease, it takes it back, from the
/// stored state, and writes again.
#[tokio::test]
async fn a_lease_lost_mid_batch_acknowledges_nothing() {
    let store = Arc::new(MemoryStore::new());
    let a = open(&store, config()).await;
    a.submit(submission("x-0")).await.unwrap();
    store.fail_next_integrate(IntegrateFault::LeaseLostMidBatch);
    let refused = a.submit(submission("x-1")).await;
    assert!(
        matches!(refused, Err(LedgerError::NotWriter)),
        "{refused:?}"
    );
    assert_eq!(store.entry_count(SHARD), 1);
    assert!(a.metrics().step_downs >= 1);
    eventually("the ledger takes the lease back", || a.is_writer()).await;
    assert!(store.lease_epoch(SHARD) >= 3);
    let accepted = a.submit(submission("x-1")).await.unwrap();
    check_accepted(&accepted, b"x-1");
    assert_eq!(accepted.entry.index, 1);
    fsck_clean(&store, None).await;
}

/// Both ledgers submit without pause while the lease changes hands silently, twice: every
/// acknowledged entry is stored at the index it was acknowledged with, no index is
/// acknowledged twice, and the tree is one tree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submitting_through_both_while_the_lease_moves_never_forks() {
    let store = Arc::new(MemoryStore::new());
    let (a, b) = pair(&store).await;
    let mut tasks = Vec::new();
    for (name, ledger) in [("a", a.clone()), ("b", b.clone())] {
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..400 {
                let body = format!("{name}-{i}");
                match ledger.submit(submission(body.clone())).await {
                    Ok(accepted) => acked.push((accepted.entry.index, body)),
                    Err(LedgerError::NotWriter | LedgerError::BatchFailed(_)) => {}
                    Err(e) => panic!("{e:?}"),
                }
                tokio::task::yield_now().await;
            }
            acked
        }));
    }
    for _ in 0..2 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        store.revoke_lease_silently(SHARD);
    }
    let mut acked = Vec::new();
    for task in tasks {
        acked.extend(task.await.unwrap());
    }
    acked.sort();
    let mut indexes: Vec<u64> = acked.iter().map(|(i, _)| *i).collect();
    indexes.dedup();
    assert_eq!(indexes.len(), acked.len(), "an index acknowledged twice");
    for (index, body) in &acked {
        let stored = store.read_entries(SHARD, *index, index + 1).await.unwrap();
        assert_eq!(stored[0].body, body.as_bytes(), "entry {index}");
    }
    // A writer fenced out learns it at its next batch; after one each, one writer is left.
    let _ = a.submit(submission("a-last")).await;
    let _ = b.submit(submission("b-last")).await;
    eventually("exactly one writer", || a.is_writer() != b.is_writer()).await;
    fsck_clean(&store, None).await;
}

/// A writer whose store refuses a write reports it (readiness asks `write_health`), keeps
/// the lease, and reports healthy again once a probe commits, with no submission at all.
#[tokio::test]
async fn a_writer_whose_store_refused_a_write_says_so_until_one_commits() {
    let store = Arc::new(MemoryStore::new());
    let a = open(&store, config()).await;
    a.submit(submission("y-0")).await.unwrap();
    store.fail_next_integrate(IntegrateFault::BeforeCommit);
    store.fail_next_integrate(IntegrateFault::BeforeCommit);
    let refused = a.submit(submission("y-1")).await;
    assert!(
        matches!(refused, Err(LedgerError::BatchFailed(_))),
        "{refused:?}"
    );
    let why = a.write_health().unwrap_err();
    assert!(why.contains("failed"), "{why}");
    assert!(a.is_writer());
    let calls = store.integrate_calls();
    // The first probe meets the second injected failure; a later one commits.
    eventually("a probe commits", || a.write_health().is_ok()).await;
    assert!(store.integrate_calls() >= calls + 2);
    assert_eq!(store.entry_count(SHARD), 1);
    assert_eq!(store.history(SHARD).len(), 2, "probes add no state");
    let accepted = a.submit(submission("y-1")).await.unwrap();
    assert_eq!(accepted.entry.index, 1);
    fsck_clean(&store, None).await;
}
