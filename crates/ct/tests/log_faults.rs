//! The CT log's durability promise under failure, on the fault-injecting in-memory store: an
//! SCT is handed out only for an entry whose batch committed; a failed batch answers 503
//! (retryable) and no SCT; a standby or a full queue answers 503 with `Retry-After`.
#![allow(clippy::unwrap_used)]

mod log_support;

use std::sync::Arc;
use std::time::Duration;

use log_support::*;
use sigstack_ct::log::{CtConfig, CtError, CtLog};
use sigstack_ct::{EcdsaP256LogSigner, MerkleTreeLeaf};
use sigstack_ledger::{IntegrateFault, MemoryStore};

async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_before_commit_returns_no_sct_and_stores_nothing() {
    let t = start().await;
    let chain = t.pki.chain(t.pki.precert());
    t.store.fail_next_integrate(IntegrateFault::BeforeCommit);
    let err = t.log.add_pre_chain(chain.clone()).await.unwrap_err();
    assert!(matches!(err, CtError::Unavailable(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(t.store.entry_count(SHARD), 0);
    assert_eq!(t.tree_size().await, 0);

    // Over HTTP: 503 with Retry-After, which Go's CT client retries.
    t.store.fail_next_integrate(IntegrateFault::BeforeCommit);
    let resp = t.post("add-pre-chain", &chain_json(&chain)).await;
    assert_eq!(resp.status, 503, "{}", resp.text());
    assert_eq!(resp.header("retry-after"), Some("1"));
    assert_eq!(t.store.entry_count(SHARD), 0);

    // The retry succeeds, and what it returns is durable.
    let sct = t.add("add-pre-chain", &chain).await;
    assert_eq!(t.store.entry_count(SHARD), 1);
    let sth = t.sth().await;
    assert_eq!(sth.tree_size, 1);
    assert!(sth.timestamp >= sct.timestamp);
    t.assert_fsck_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_unknown_commit_outcome_the_retry_gets_the_logged_entry_sct() {
    let t = start().await;
    let chain = t.pki.chain(t.pki.precert());
    t.store.fail_next_integrate(IntegrateFault::AfterCommit);
    let err = t.log.add_pre_chain(chain.clone()).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    // Written, but nobody was told: no SCT exists for it yet.
    assert_eq!(t.store.entry_count(SHARD), 1);
    let sct = t.log.add_pre_chain(chain.clone()).await.unwrap();
    assert_eq!(
        t.tree_size().await,
        1,
        "the retry must not log a second entry"
    );
    let stored = t.log.entries(0, 0).await.unwrap();
    let leaf = MerkleTreeLeaf::from_bytes(&stored[0].leaf_input).unwrap();
    assert_eq!(sct.timestamp, leaf.entry.timestamp);
    sct.verify(&leaf.entry.entry, &t.key).unwrap();
    t.assert_fsck_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_store_fails_reads_and_writes_cleanly() {
    let t = start().await;
    t.add("add-pre-chain", &t.pki.chain(t.pki.precert())).await;
    t.store.set_fail_reads(true);
    let resp = t
        .post("add-pre-chain", &chain_json(&t.pki.chain(t.pki.precert())))
        .await;
    assert!(resp.status >= 500, "{}", resp.text());
    assert_eq!(t.store.entry_count(SHARD), 1);
    let resp = t.get("get-entries?start=0&end=0").await;
    assert_eq!(resp.status, 500, "{}", resp.text());
    // Internal details stay in the server's log.
    assert_eq!(resp.message(), "internal error");
    t.store.set_fail_reads(false);
    t.add("add-pre-chain", &t.pki.chain(t.pki.precert())).await;
    assert_eq!(t.tree_size().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_serves_reads_and_answers_writes_503() {
    let t = start().await;
    t.add("add-pre-chain", &t.pki.chain(t.pki.precert())).await;
    let standby = start_on(
        Arc::clone(&t.store),
        Pki::new("unused"),
        CtConfig::new(SHARD, vec![t.pki.root.der.clone()]),
        t.pkcs8.clone(),
    )
    .await;
    assert!(!standby.log.ledger().is_writer());
    let resp = standby
        .post("add-pre-chain", &chain_json(&t.pki.chain(t.pki.precert())))
        .await;
    assert_eq!(resp.status, 503, "{}", resp.text());
    assert_eq!(resp.header("retry-after"), Some("1"));
    assert_eq!(standby.sth().await, t.sth().await);
    assert_eq!(t.store.entry_count(SHARD), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_at_once() {
    let pki = Pki::new("busy");
    let store = Arc::new(MemoryStore::new());
    let (signer, _) = EcdsaP256LogSigner::generate().unwrap();
    let mut ledger = ledger_config();
    ledger.queue_capacity = 1;
    ledger.max_batch = 1;
    ledger.max_delay = Duration::ZERO;
    let log = Arc::new(
        CtLog::open(
            Arc::clone(&store),
            CtConfig::new(SHARD, vec![pki.root.der.clone()]),
            Arc::new(signer),
            ledger,
            StepClock::new(),
        )
        .await
        .unwrap(),
    );
    let calls = store.integrate_calls();
    store.pause_integrate();
    let held = {
        let (log, chain) = (Arc::clone(&log), pki.chain(pki.precert()));
        tokio::spawn(async move { log.add_pre_chain(chain).await })
    };
    eventually("the first batch is inside integrate", || {
        store.integrate_calls() == calls + 1
    })
    .await;
    let queued = {
        let (log, chain) = (Arc::clone(&log), pki.chain(pki.precert()));
        tokio::spawn(async move { log.add_pre_chain(chain).await })
    };
    eventually("one submission waits", || {
        log.ledger().metrics().queue_depth == 1
    })
    .await;
    let err = log
        .add_pre_chain(pki.chain(pki.precert()))
        .await
        .unwrap_err();
    assert!(matches!(err, CtError::Unavailable(_)), "{err:?}");
    store.resume_integrate();
    held.await.unwrap().unwrap();
    queued.await.unwrap().unwrap();
    assert_eq!(store.entry_count(SHARD), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_signed_by_another_key_is_refused_at_open() {
    let t = start().await;
    t.add("add-pre-chain", &t.pki.chain(t.pki.precert())).await;
    let (other, _) = EcdsaP256LogSigner::generate().unwrap();
    let err = CtLog::open(
        Arc::clone(&t.store),
        CtConfig::new(SHARD, vec![t.pki.root.der.clone()]),
        Arc::new(other),
        ledger_config(),
        StepClock::new(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, CtError::Config(_)), "{err:?}");
}
