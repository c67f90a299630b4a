//! Single-entry reads that arrive together share store queries: each caller still gets
//! exactly its own entry (or `None`), a failed query fails every read it served and nothing
//! else, and a caller that goes away strands nobody.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod ledger_support;

use std::sync::Arc;
use std::time::Duration;

use ledger_support::*;
use sigstack_ledger::store::StoredEntry;
use sigstack_ledger::{Ledger, LedgerConfig, LedgerError, MemoryStore};
use tokio::task::JoinHandle;

const ENTRIES: u64 = 100;

/// A ledger whose every entry read reaches the store (no recent-entries window), with one
/// query slot so that reads pile up behind one in flight.
async fn ledger_with(store: &Arc<MemoryStore>, batch: usize) -> Ledger<MemoryStore> {
    let ledger = open(
        store,
        LedgerConfig {
            recent_entries_bytes: 0,
            point_read_slots: 1,
            point_read_batch: batch,
            ..config()
        },
    )
    .await;
    for i in 0..ENTRIES {
        ledger.submit(submission(format!("p{i}"))).await.unwrap();
    }
    ledger
}

/// Polls `ready` until it holds, failing the test after five seconds.
async fn wait_until(what: &str, ready: impl Fn() -> bool) {
    for _ in 0..5000 {
        if ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("timed out waiting until {what}");
}

type Read = JoinHandle<Result<Option<StoredEntry>, LedgerError>>;

fn read(ledger: &Ledger<MemoryStore>, index: u64) -> Read {
    let ledger = ledger.clone();
    tokio::spawn(async move { ledger.entry(index).await })
}

/// Holds the store, starts one read (which takes the only slot) and then `indexes`, and
/// waits until all of those are queued behind it. The batching task has taken the first of
/// them off the queue to wait for the slot, so one fewer shows as queued.
async fn pile_up(
    store: &MemoryStore,
    ledger: &Ledger<MemoryStore>,
    indexes: &[u64],
) -> (Read, Vec<Read>) {
    store.pause_point_reads();
    let calls = store.read_entries_at_calls();
    let first = read(ledger, 1);
    wait_until("the first read is in the store", || {
        store.read_entries_at_calls() == calls + 1
    })
    .await;
    let rest: Vec<Read> = indexes.iter().map(|i| read(ledger, *i)).collect();
    wait_until("the other reads are queued", || {
        ledger.queued_point_reads() == indexes.len() - 1
    })
    .await;
    (first, rest)
}

fn expect_entry(got: Option<StoredEntry>, index: u64) {
    if index >= ENTRIES {
        assert_eq!(got, None, "index {index} is past the end");
        return;
    }
    let entry = got.unwrap_or_else(|| panic!("entry {index} missing"));
    assert_eq!(entry.index, index);
    assert_eq!(entry.body, format!("p{index}").into_bytes());
    assert_eq!(entry.receipt, expected_receipt(&entry));
}

/// Scattered indexes, repeats and indexes past the end, read concurrently.
fn scattered(n: u64) -> Vec<u64> {
    (0..n)
        .map(|i| match i % 10 {
            0 => 42,                 // the same entry, many times
            1 => ENTRIES + i,        // past the end
            _ => (i * 37) % ENTRIES, // everywhere else
        })
        .collect()
}

/// Piles 60 scattered reads up behind one in flight on a ledger batching at most `batch`
/// reads per query, checks every answer and returns the store queries made.
async fn queries_for_sixty_reads(batch: usize) -> u64 {
    let store = Arc::new(MemoryStore::new());
    let ledger = ledger_with(&store, batch).await;
    let indexes = scattered(60);
    let before = store.read_entries_at_calls();
    let observed = ledger.metrics().point_read_batches;
    let (first, rest) = pile_up(&store, &ledger, &indexes).await;
    store.resume_point_reads();

    expect_entry(first.await.unwrap().unwrap(), 1);
    for (read, index) in rest.into_iter().zip(&indexes) {
        expect_entry(read.await.unwrap().unwrap(), *index);
    }
    let queries = store.read_entries_at_calls() - before;
    // The metric counts the same queries and every read they answered.
    let now = ledger.metrics().point_read_batches;
    assert_eq!(now.count - observed.count, queries);
    assert_eq!(now.sum - observed.sum, 61);
    queries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_that_queue_together_share_one_query() {
    // The first read alone, then all sixty in one query.
    assert_eq!(queries_for_sixty_reads(128).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_capped() {
    // The first read, then 60 reads in batches of at most 16: 16 + 16 + 16 + 12.
    assert_eq!(queries_for_sixty_reads(16).await, 1 + 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_query_fails_the_reads_it_served_and_no_others() {
    let store = Arc::new(MemoryStore::new());
    let ledger = ledger_with(&store, 128).await;
    let indexes = scattered(20);
    let (first, rest) = pile_up(&store, &ledger, &indexes).await;
    store.set_fail_reads(true);
    store.resume_point_reads();

    for read in std::iter::once(first).chain(rest) {
        let err = read.await.unwrap().unwrap_err();
        assert!(matches!(err, LedgerError::Store(_)), "{err:?}");
    }
    store.set_fail_reads(false);
    for index in [0, 42, ENTRIES - 1, ENTRIES] {
        expect_entry(ledger.entry(index).await.unwrap(), index);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_goes_away_strands_nobody() {
    let store = Arc::new(MemoryStore::new());
    let ledger = ledger_with(&store, 128).await;
    let indexes = scattered(30);
    let (first, mut rest) = pile_up(&store, &ledger, &indexes).await;
    // Callers in the middle of the queue hang up (a client disconnecting).
    for read in rest.iter().skip(5).step_by(3) {
        read.abort();
    }
    first.abort();
    store.resume_point_reads();

    for (n, (read, index)) in rest.drain(..).zip(&indexes).enumerate() {
        match read.await {
            Ok(result) => expect_entry(result.unwrap(), *index),
            Err(e) => assert!(e.is_cancelled() && n >= 5 && (n - 5) % 3 == 0, "{e:?}"),
        }
    }
    expect_entry(ledger.entry(7).await.unwrap(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clone_keeps_the_read_path_alive() {
    let store = Arc::new(MemoryStore::new());
    let ledger = ledger_with(&store, 128).await;
    let clone = ledger.clone();
    drop(ledger);
    // Another handle keeps the read path alive.
    expect_entry(clone.entry(3).await.unwrap(), 3);
    expect_entry(clone.entry(ENTRIES + 5).await.unwrap(), ENTRIES + 5);
}
