//! The ledger over the real embedded engine: concurrent submitters, reopen, a second
//! "process" on the same file as standby and its takeover, fsck after every step.
#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod ledger_support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use ledger_support::{
    check_accepted, config, eventually, parse_checkpoint, submission, FakeClock, TestSigner,
    TestStamper, SHARD, START_TIME,
};
use sigstack_ledger::fsck::fsck_since;
use sigstack_ledger::sqlite::SqliteStore;
use sigstack_ledger::{Ledger, LedgerConfig, LedgerError};
use sigstack_merkle::{verify_consistency, verify_inclusion, Hash};

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sigstack_ledger_sqlite_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join("ledger.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn open_on(path: &PathBuf, cfg: LedgerConfig) -> (Arc<SqliteStore>, Ledger<SqliteStore>) {
    let store = Arc::new(SqliteStore::open(path).await.unwrap());
    let ledger = Ledger::open(
        Arc::clone(&store),
        cfg,
        Arc::new(TestSigner),
        Arc::new(TestStamper),
        Arc::new(FakeClock(AtomicI64::new(START_TIME))),
    )
    .await
    .unwrap();
    (store, ledger)
}

async fn fsck_clean(store: &SqliteStore, previous: Option<(u64, Hash)>) -> (u64, Hash) {
    let report = fsck_since(store, SHARD, &parse_checkpoint, previous)
        .await
        .unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    (report.size, report.root)
}

async fn submit_many(ledger: &Ledger<SqliteStore>, from: usize, to: usize) {
    let tasks: Vec<_> = (from..to)
        .map(|i| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let body = format!("sqlite-{i}");
                let accepted = ledger.submit(submission(body.clone())).await.unwrap();
                check_accepted(&accepted, body.as_bytes());
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_over_sqlite_survives_reopen_and_hands_over() {
    let dir = TempDir::new();
    SqliteStore::migrate(dir.db()).await.unwrap();
    let mut cfg = config();
    cfg.max_batch = 256;

    let (store, writer) = open_on(&dir.db(), cfg.clone()).await;
    submit_many(&writer, 0, 700).await;
    let before = writer.state().await.unwrap();
    assert_eq!(before.size, 700);
    let prev = fsck_clean(&store, None).await;

    // A second process on the same file is a standby that reads what the writer wrote.
    let (_standby_store, standby) = open_on(&dir.db(), cfg.clone()).await;
    assert!(!standby.is_writer());
    assert_eq!(standby.state().await.unwrap(), before);
    assert!(matches!(
        standby.submit(submission("s")).await,
        Err(LedgerError::NotWriter)
    ));
    let entry = standby.entry(300).await.unwrap().unwrap();
    let proof = standby.inclusion_proof(300, before.size).await.unwrap();
    verify_inclusion(&entry.leaf_hash, 300, before.size, &proof, &before.root).unwrap();

    writer.close().await;
    eventually("the standby takes over", || standby.is_writer()).await;
    submit_many(&standby, 700, 1000).await;
    let after = standby.state().await.unwrap();
    assert_eq!(after.size, 1000);
    let consistency = standby.consistency_proof(700, 1000).await.unwrap();
    verify_consistency(700, 1000, &consistency, &before.root, &after.root).unwrap();
    assert!(matches!(
        standby.submit(submission("sqlite-5")).await,
        Err(LedgerError::Duplicate { .. })
    ));
    fsck_clean(&store, Some(prev)).await;
}
