//! The API over the embedded SQLite engine (the default of `sigstack serve`), not only the
//! in-memory store: golden creates, reads, retrieve, search and a restart on the same file
//! that keeps entries, proofs and the tree.
#![allow(clippy::unwrap_used)]

mod api_support;

use std::sync::Arc;

use api_support::*;
use sigstack_ledger::sqlite::SqliteStore;
use sigstack_ledger::LedgerConfig;
use sigstack_merkle::signature::EcdsaP256Signer;
use sigstack_rekor::api::RekorConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_flow_on_sqlite_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("sigstack-api-sqlite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("log.db");
    let config = || RekorConfig::new(HOSTNAME, GOLDEN_TREE_ID);

    let key = EcdsaP256Signer::generate_pkcs8_der().unwrap();
    let store = Arc::new(SqliteStore::open_and_migrate(&db).await.unwrap());
    let server = start_keyed(Arc::clone(&store), config(), LedgerConfig::new(0), &key).await;
    let p = populate(&server).await;
    let size = p.roots.len() as u64 - 1;
    assert!(size > 10);
    for (name, record) in golden_cases("duplicate") {
        assert_eq!(replay(&server, &record).await.status, 409, "{name}");
    }
    let record = golden("read/POST-retrieve-entryUUIDs-64-and-80.json");
    let resp = replay(&server, &record).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json().as_array().unwrap().len(), 2);
    let resp = replay(&server, &golden("search/hash-sha256-prefixed.json")).await;
    assert_eq!(resp.json().as_array().unwrap().len(), 1);
    server.assert_fsck_clean().await;
    server.service.ledger().close().await;
    store.close().await;
    drop(server);

    // A new process on the same file: same tree, entries still served with valid proofs.
    let store = Arc::new(SqliteStore::open(&db).await.unwrap());
    let server = start_keyed(store, config(), LedgerConfig::new(0), &key).await;
    assert_eq!(server.tree_size().await, size);
    let resp = replay(&server, &golden("read/GET-entries-by-uuid-64hex.json")).await;
    assert_eq!(resp.status, 200);
    verify_entry_map(&server, &resp.json());
    let body = fresh_hashedrekord(b"after the restart");
    let resp = server.post_json("/api/v1/log/entries", &body).await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    verify_entry_map(&server, &resp.json());
    assert_eq!(server.tree_size().await, size + 1);
    let _ = std::fs::remove_dir_all(&dir);
}
