//! The genesis entry: a new log's writer takes index 0 with a valid hashedrekord of its own
//! (sigstore-go refuses bundles whose entry has index 0), once, and never on a log that
//! already has entries or on a standby.
#![allow(clippy::unwrap_used)]

mod api_support;

use std::sync::Arc;

use api_support::*;
use base64::Engine as _;
use serde_json::Value;
use sigstack_ledger::{LedgerConfig, MemoryStore};
use sigstack_rekor::api::RekorConfig;

const NOW: i64 = 1_800_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_log_takes_index_zero_once() {
    let store = Arc::new(MemoryStore::new());
    let config = RekorConfig::new(HOSTNAME, GOLDEN_TREE_ID);
    let writer = start_on(Arc::clone(&store), config.clone(), LedgerConfig::new(0)).await;
    let standby = start_on(Arc::clone(&store), config, LedgerConfig::new(0)).await;

    assert!(!standby.service.write_genesis(NOW).await.unwrap());
    assert!(writer.service.write_genesis(NOW).await.unwrap());
    assert!(
        !writer.service.write_genesis(NOW).await.unwrap(),
        "only once"
    );
    assert_eq!(writer.service.ledger().state().await.unwrap().size, 1);

    // Index 0 is an ordinary hashedrekord entry, served with its SET and proof.
    let entry = writer.get("/api/v1/log/entries?logIndex=0").await;
    assert_eq!(entry.status, 200, "{}", entry.text());
    let json: Value = serde_json::from_slice(&entry.body).unwrap();
    let (id, value) = json.as_object().unwrap().iter().next().unwrap();
    // Its SET and inclusion proof check out like any other entry's.
    verify_entry(&writer, id, value);
    let body = base64::engine::general_purpose::STANDARD
        .decode(value["body"].as_str().unwrap())
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["kind"], "hashedrekord");
    assert_eq!(body["apiVersion"], "0.0.1");

    // The next entry a client sends lands at index 1.
    let created = writer
        .post_json("/api/v1/log/entries", &fresh_hashedrekord(b"after genesis"))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let json: Value = serde_json::from_slice(&created.body).unwrap();
    let (_, value) = json.as_object().unwrap().iter().next().unwrap();
    assert_eq!(value["logIndex"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_with_entries_gets_no_genesis_entry() {
    let server = start().await;
    let created = server
        .post_json("/api/v1/log/entries", &fresh_hashedrekord(b"first"))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert!(!server.service.write_genesis(NOW).await.unwrap());
    assert_eq!(server.service.ledger().state().await.unwrap().size, 1);
}
