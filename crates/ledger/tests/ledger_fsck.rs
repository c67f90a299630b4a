//! fsck notices what it must: a tampered body, a tampered tile, a checkpoint for another
//! tree, a tree that shrank or was rewritten since the previous run.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod ledger_support;

use std::sync::Arc;

use ledger_support::*;
use sigstack_ledger::fsck::{fsck, fsck_since, FsckProblem};
use sigstack_ledger::store::{Store, TreeState};
use sigstack_ledger::MemoryStore;

async fn log_of(n: usize) -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, config()).await;
    for i in 0..n {
        ledger.submit(submission(format!("f{i}"))).await.unwrap();
    }
    ledger.close().await;
    store
}

#[tokio::test]
async fn a_clean_log_is_clean_and_counts_what_it_checked() {
    let store = log_of(300).await;
    let report = fsck(store.as_ref(), SHARD, &parse_checkpoint)
        .await
        .unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(report.size, 300);
    assert_eq!(report.entries_checked, 300);
    assert_eq!(report.full_tiles_checked, 1);
    assert_eq!(report.partial_tiles_checked, 2);
}

#[tokio::test]
async fn a_tampered_body_is_found() {
    let store = log_of(300).await;
    store.tamper_entry_body(SHARD, 17, b"evil".to_vec());
    let report = fsck(store.as_ref(), SHARD, &parse_checkpoint)
        .await
        .unwrap();
    assert!(report
        .problems
        .contains(&FsckProblem::LeafHashMismatch { index: 17 }));
    assert!(report.problems.contains(&FsckProblem::RootMismatch));
    assert!(report.problems.contains(&FsckProblem::TileMismatch {
        tile: "tile/0/000".into()
    }));
}

#[tokio::test]
async fn a_tampered_tile_is_found() {
    let store = log_of(300).await;
    store.tamper_tile(SHARD, 0, 1, 5);
    let report = fsck(store.as_ref(), SHARD, &parse_checkpoint)
        .await
        .unwrap();
    assert_eq!(
        report.problems,
        vec![FsckProblem::TileMismatch {
            tile: "tile/0/001.p/44".into()
        }]
    );
}

#[tokio::test]
async fn a_bad_checkpoint_is_found() {
    let store = log_of(5).await;
    let state = store.tree_state(SHARD).await.unwrap().unwrap();
    let wrong = TestSigner_sign(state.size - 1, &state.root);
    store.overwrite_state(
        SHARD,
        TreeState {
            checkpoint: wrong,
            ..state.clone()
        },
    );
    let report = fsck(store.as_ref(), SHARD, &parse_checkpoint)
        .await
        .unwrap();
    assert_eq!(
        report.problems,
        vec![FsckProblem::CheckpointMismatch {
            checkpoint_size: 4,
            state_size: 5
        }]
    );
    store.overwrite_state(
        SHARD,
        TreeState {
            checkpoint: b"garbage".to_vec(),
            ..state
        },
    );
    let report = fsck(store.as_ref(), SHARD, &parse_checkpoint)
        .await
        .unwrap();
    assert!(matches!(
        report.problems[..],
        [FsckProblem::CheckpointInvalid(_)]
    ));
}

#[allow(non_snake_case)]
fn TestSigner_sign(size: u64, root: &[u8; 32]) -> Vec<u8> {
    use sigstack_ledger::CheckpointSigner;
    TestSigner.sign(size, root, START_TIME).unwrap()
}

#[tokio::test]
async fn sizes_going_back_and_rewritten_history_are_found() {
    let store = log_of(20).await;
    let clean = fsck(store.as_ref(), SHARD, &parse_checkpoint)
        .await
        .unwrap();
    assert!(clean.is_clean());

    // A previous run saw a bigger tree.
    let report = fsck_since(
        store.as_ref(),
        SHARD,
        &parse_checkpoint,
        Some((21, clean.root)),
    )
    .await
    .unwrap();
    assert_eq!(
        report.problems,
        vec![FsckProblem::SizeWentBack {
            previous: 21,
            now: 20
        }]
    );

    // A previous run saw size 10 with another root: the prefix was rewritten.
    let history = store.history(SHARD);
    let at_10 = history.iter().find(|s| s.size == 10).unwrap();
    let ok = fsck_since(
        store.as_ref(),
        SHARD,
        &parse_checkpoint,
        Some((10, at_10.root)),
    )
    .await
    .unwrap();
    assert!(ok.is_clean(), "{:?}", ok.problems);
    let report = fsck_since(
        store.as_ref(),
        SHARD,
        &parse_checkpoint,
        Some((10, clean.root)),
    )
    .await
    .unwrap();
    assert_eq!(
        report.problems,
        vec![FsckProblem::Inconsistent { previous_size: 10 }]
    );
}
