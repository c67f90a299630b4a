//! Test doubles shared by the ledger's integration tests: a deterministic checkpoint
//! "signer" whose output fsck can parse back, a stamper, a fake clock, and helpers that
//! check what the ledger hands out.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sigstack_ledger::fsck::fsck_since;
use sigstack_ledger::store::{StoredEntry, TreeState};
use sigstack_ledger::{
    Accepted, CheckpointSigner, Clock, Ledger, LedgerConfig, MemoryStore, Stamper, Submission,
};
use sigstack_merkle::{leaf_hash, verify_consistency, verify_inclusion, Hash};

pub const SHARD: i64 = 7;
const MAGIC: &[u8] = b"test-checkpoint\0";

/// Checkpoint bytes = magic ‖ size (8 bytes BE) ‖ root ‖ time (8 bytes BE).
pub struct TestSigner;

impl CheckpointSigner for TestSigner {
    fn sign(&self, size: u64, root: &Hash, now_unix: i64) -> Result<Vec<u8>, String> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&size.to_be_bytes());
        out.extend_from_slice(root);
        out.extend_from_slice(&now_unix.to_be_bytes());
        Ok(out)
    }
}

/// Parses [`TestSigner`] output back into `(size, root)`.
pub fn parse_checkpoint(bytes: &[u8]) -> Result<(u64, Hash), String> {
    let rest = bytes.strip_prefix(MAGIC).ok_or("bad magic")?;
    if rest.len() != 8 + 32 + 8 {
        return Err(format!("bad length {}", rest.len()));
    }
    let size = u64::from_be_bytes(rest[..8].try_into().unwrap());
    let root: Hash = rest[8..40].try_into().unwrap();
    Ok((size, root))
}

/// Receipt = "stamp" ‖ index ‖ leaf hash ‖ time; refuses bodies starting with `bad-stamp`.
pub struct TestStamper;

impl Stamper for TestStamper {
    fn stamp(&self, entry: &StoredEntry) -> Result<Vec<u8>, String> {
        if entry.body.starts_with(b"bad-stamp") {
            return Err("refused".into());
        }
        Ok(expected_receipt(entry))
    }
}

pub fn expected_receipt(entry: &StoredEntry) -> Vec<u8> {
    let mut out = b"stamp".to_vec();
    out.extend_from_slice(&entry.index.to_be_bytes());
    out.extend_from_slice(&entry.leaf_hash);
    out.extend_from_slice(&entry.integrated_time.to_be_bytes());
    out
}

pub struct FakeClock(pub AtomicI64);

impl Clock for FakeClock {
    fn now_unix(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

pub const START_TIME: i64 = 1_700_000_000;

pub fn config() -> LedgerConfig {
    LedgerConfig {
        shard: SHARD,
        max_batch: 64,
        max_delay: Duration::from_millis(2),
        queue_capacity: 4096,
        lease_retry: Duration::from_millis(20),
        tile_cache_tiles: 64,
        // Small, so reads exercise both the window and the store.
        recent_entries_bytes: 16 << 10,
        point_read_slots: 2,
        point_read_batch: 16,
        // Tests count and fault store reads; warming would add reads of its own.
        warm_tile_cache: false,
    }
}

pub async fn open(store: &Arc<MemoryStore>, config: LedgerConfig) -> Ledger<MemoryStore> {
    Ledger::open(
        Arc::clone(store),
        config,
        Arc::new(TestSigner),
        Arc::new(TestStamper),
        Arc::new(FakeClock(AtomicI64::new(START_TIME))),
    )
    .await
    .expect("open ledger")
}

pub fn submission(body: impl Into<Vec<u8>>) -> Submission {
    let body = body.into();
    Submission {
        search_keys: vec![format!("key:{}", String::from_utf8_lossy(&body))],
        body,
        kind: "test:0.0.1".into(),
        receipt: None,
    }
}

/// Checks everything an `Accepted` claims, independently of the ledger.
pub fn check_accepted(a: &Accepted, body: &[u8]) {
    assert_eq!(a.entry.body, body);
    assert_eq!(a.entry.leaf_hash, leaf_hash(body));
    assert_eq!(a.entry.receipt, expected_receipt(&a.entry));
    assert_eq!(a.entry.integrated_time, START_TIME);
    assert!(a.entry.index < a.tree_size);
    assert_eq!(
        parse_checkpoint(&a.checkpoint).unwrap(),
        (a.tree_size, a.root)
    );
    verify_inclusion(
        &a.entry.leaf_hash,
        a.entry.index,
        a.tree_size,
        &a.inclusion_proof,
        &a.root,
    )
    .expect("inclusion proof verifies against the checkpoint");
}

/// Runs fsck (against the previous run's result) and insists it is clean.
pub async fn fsck_clean(store: &MemoryStore, previous: Option<(u64, Hash)>) -> (u64, Hash) {
    let report = fsck_since(store, SHARD, &parse_checkpoint, previous)
        .await
        .expect("fsck runs");
    assert!(
        report.is_clean(),
        "fsck found problems: {:?}",
        report.problems
    );
    assert_eq!(report.entries_checked, report.size);
    (report.size, report.root)
}

/// Every committed state extends the one before it, as the ledger's own consistency
/// proofs show.
pub async fn check_history(ledger: &Ledger<MemoryStore>, history: &[TreeState]) {
    for pair in history.windows(2) {
        let (old, new) = (&pair[0], &pair[1]);
        assert!(
            new.size > old.size,
            "size did not grow: {} -> {}",
            old.size,
            new.size
        );
        if old.size == 0 {
            continue;
        }
        let proof = ledger.consistency_proof(old.size, new.size).await.unwrap();
        verify_consistency(old.size, new.size, &proof, &old.root, &new.root)
            .expect("consistency proof between successive states verifies");
    }
}

/// Waits (bounded) until `cond` holds.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}
