//! The CT log on the embedded SQLite engine (the default of `sigstack serve`), next to a
//! Rekor-style tree in the same database: adds, proofs, entries and consistency, then a
//! restart on the same file that keeps the tree and never lets tree head timestamps go back.
#![allow(clippy::unwrap_used)]

mod log_support;

use std::sync::Arc;

use base64::Engine as _;
use log_support::*;
use sigstack_ct::log::{CtConfig, CtError, CtLog};
use sigstack_ct::{MerkleTreeLeaf, SignedEntry};
use sigstack_ledger::sqlite::SqliteStore;
use sigstack_ledger::store::StoredEntry;
use sigstack_ledger::{CheckpointSigner, Ledger, Stamper, Submission, SystemClock};
use sigstack_merkle::{leaf_hash, verify_consistency, verify_inclusion, Hash};

/// A stand-in for the Rekor tree sharing the database.
struct OtherSigner;

impl CheckpointSigner for OtherSigner {
    fn sign(&self, size: u64, _root: &Hash, _now: i64) -> Result<Vec<u8>, String> {
        Ok(format!("other log\n{size}\n").into_bytes())
    }
}

impl Stamper for OtherSigner {
    fn stamp(&self, _entry: &StoredEntry) -> Result<Vec<u8>, String> {
        Ok(b"set".to_vec())
    }
}

const OTHER_SHARD: i64 = 7;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ct_log_on_sqlite_survives_a_restart_beside_another_tree() {
    let dir = std::env::temp_dir().join(format!("sigstack-ct-sqlite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("log.db");
    let store = Arc::new(SqliteStore::open_and_migrate(&db).await.unwrap());

    let other = Ledger::open(
        Arc::clone(&store),
        sigstack_ledger::LedgerConfig::new(OTHER_SHARD),
        Arc::new(OtherSigner),
        Arc::new(OtherSigner),
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let submission = Submission {
        body: b"a rekor entry".to_vec(),
        kind: "test".to_owned(),
        search_keys: Vec::new(),
        receipt: None,
    };
    other.submit(submission).await.unwrap();

    let pki = Pki::new("sqlite");
    let roots = vec![pki.root.der.clone()];
    let (_, pkcs8) = sigstack_ct::EcdsaP256LogSigner::generate().unwrap();
    let t = start_on(
        Arc::clone(&store),
        pki,
        CtConfig::new(SHARD, roots.clone()),
        pkcs8.clone(),
    )
    .await;
    let mut leaves = Vec::new();
    for i in 0..5 {
        let (endpoint, leaf) = if i == 3 {
            ("add-chain", t.pki.final_cert())
        } else {
            ("add-pre-chain", t.pki.precert())
        };
        let sct = t.add(endpoint, &t.pki.chain(leaf.clone())).await;
        let entry = if i == 3 {
            SignedEntry::X509(leaf)
        } else {
            SignedEntry::Precert(
                sigstack_ct::PrecertEntry::from_precertificate(&leaf, &t.pki.intermediate.der)
                    .unwrap(),
            )
        };
        sct.verify(&entry, &t.key).unwrap();
        leaves.push(
            MerkleTreeLeaf {
                entry: sct.timestamped_entry(entry),
            }
            .leaf_hash()
            .unwrap(),
        );
    }
    let before = t.sth().await;
    assert_eq!(before.tree_size, 5);
    for (i, leaf) in leaves.iter().enumerate() {
        let (index, proof) = t.log.proof_by_hash(leaf, 5).await.unwrap();
        assert_eq!(index, i as u64);
        verify_inclusion(leaf, index, 5, &proof, &before.root_hash).unwrap();
    }
    let resp = t.get("get-entries?start=0&end=4").await;
    let entries = resp.json()["entries"].as_array().unwrap().clone();
    for (got, leaf) in entries.iter().zip(&leaves) {
        let input = b64().decode(got["leaf_input"].as_str().unwrap()).unwrap();
        assert_eq!(&leaf_hash(&input), leaf);
    }
    t.assert_fsck_clean().await;
    // The other tree is untouched by the CT log.
    assert_eq!(other.state().await.unwrap().size, 1);

    // A CT log opened on the other tree's shard refuses it instead of extending it.
    let (wrong, _) = sigstack_ct::EcdsaP256LogSigner::generate().unwrap();
    let err = CtLog::open(
        Arc::clone(&store),
        CtConfig::new(OTHER_SHARD, roots.clone()),
        Arc::new(wrong),
        ledger_config(),
        StepClock::new(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, CtError::Config(_)), "{err:?}");

    t.log.ledger().close().await;
    other.close().await;
    store.close().await;
    drop(t);

    // A new process on the same file, whose clock restarts behind the stored tree head.
    let store = Arc::new(SqliteStore::open(&db).await.unwrap());
    let t = start_on(
        Arc::clone(&store),
        Pki::new("unused"),
        CtConfig::new(SHARD, roots),
        pkcs8,
    )
    .await;
    assert_eq!(t.sth().await, before);
    let chain = vec![
        t.pki.precert(), // a foreign PKI: refused, the tree stays as it was
        t.pki.intermediate.der.clone(),
    ];
    let resp = t.post("add-pre-chain", &chain_json(&chain)).await;
    assert_eq!(resp.status, 400, "{}", resp.text());
    assert_eq!(t.tree_size().await, 5);
    t.log.ledger().close().await;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tree_head_timestamps_never_go_back_across_a_restart() {
    let dir = std::env::temp_dir().join(format!("sigstack-ct-sqlite-ts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("log.db");
    let pki = Pki::new("restart");
    let (_, pkcs8) = sigstack_ct::EcdsaP256LogSigner::generate().unwrap();
    let store = Arc::new(SqliteStore::open_and_migrate(&db).await.unwrap());
    let config = CtConfig::new(SHARD, vec![pki.root.der.clone()]);
    let t = start_on(Arc::clone(&store), pki, config.clone(), pkcs8.clone()).await;
    for _ in 0..20 {
        t.add("add-pre-chain", &t.pki.chain(t.pki.precert())).await;
    }
    let before = t.sth().await;
    assert!(before.timestamp > START_MS);
    t.log.ledger().close().await;
    store.close().await;
    let TestLog { pki, .. } = t;

    let store = Arc::new(SqliteStore::open(&db).await.unwrap());
    // The restarted StepClock begins at START_MS again, behind `before`.
    let t = start_on(Arc::clone(&store), pki, config, pkcs8).await;
    t.add("add-pre-chain", &t.pki.chain(t.pki.precert())).await;
    let after = t.sth().await;
    assert_eq!(after.tree_size, 21);
    assert!(
        after.timestamp >= before.timestamp,
        "tree head went back in time"
    );
    let resp = t.get("get-sth-consistency?first=20&second=21").await;
    let proof = decode_path(&resp.json()["consistency"]);
    verify_consistency(20, 21, &proof, &before.root_hash, &after.root_hash).unwrap();
    t.assert_fsck_clean().await;
    t.log.ledger().close().await;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
