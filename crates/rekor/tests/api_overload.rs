//! Back-pressure and failure paths: a full sequencer queue, a slow commit, a standby and a
//! failed batch answer 503 with `Retry-After: 1` (safe to retry: the log deduplicates), a
//! broken store answers a generic 500, and nothing unacknowledged is ever half-written.
#![allow(clippy::unwrap_used)]

mod api_support;

use std::sync::Arc;
use std::time::Duration;

use api_support::*;
use sigstack_ledger::{IntegrateFault, LedgerConfig};
use sigstack_rekor::api::RekorConfig;

fn assert_503(resp: &Resp) {
    assert_eq!(resp.status, 503, "{}", resp.text());
    assert_eq!(resp.header("retry-after"), Some("1"));
    let v = resp.json();
    assert_eq!(v["code"], 503);
    assert!(v["message"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_queue_is_503_with_retry_after() {
    let mut ledger = LedgerConfig::new(0);
    ledger.queue_capacity = 1;
    ledger.max_batch = 1;
    let server = Arc::new(start_with(RekorConfig::new(HOSTNAME, GOLDEN_TREE_ID), ledger).await);
    server.store.pause_integrate();
    let mut tasks = Vec::new();
    for i in 0..6u32 {
        let server = Arc::clone(&server);
        tasks.push(tokio::spawn(async move {
            let body = fresh_hashedrekord(format!("queued {i}").as_bytes());
            server.post_json("/api/v1/log/entries", &body).await
        }));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.store.resume_integrate();
    let mut created = 0;
    let mut refused = 0;
    for t in tasks {
        let resp = t.await.unwrap();
        if resp.status == 201 {
            verify_entry_map(&server, &resp.json());
            created += 1;
        } else {
            assert_503(&resp);
            refused += 1;
        }
    }
    assert!(refused >= 1, "the queue of one must overflow");
    assert!(created >= 1);
    assert_eq!(server.tree_size().await, created);
    server.assert_fsck_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_commit_times_out_and_retry_is_deduplicated() {
    let mut config = RekorConfig::new(HOSTNAME, GOLDEN_TREE_ID);
    config.request_timeout = Duration::from_millis(300);
    let server = start_with(config, LedgerConfig::new(0)).await;
    server.store.pause_integrate();
    let body = fresh_hashedrekord(b"slow");
    let resp = server.post_json("/api/v1/log/entries", &body).await;
    assert_503(&resp);
    server.store.resume_integrate();
    // The queued entry may land after the timeout; a retry then finds it.
    let mut status = 0;
    for _ in 0..50 {
        status = server.post_json("/api/v1/log/entries", &body).await.status;
        if status == 409 || status == 201 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(status == 409 || status == 201, "retry answered {status}");
    assert_eq!(server.tree_size().await, 1);
    server.assert_fsck_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standby_serves_reads_and_refuses_writes() {
    let writer = start().await;
    let body = fresh_hashedrekord(b"written by the writer");
    let created = writer.post_json("/api/v1/log/entries", &body).await;
    assert_eq!(created.status, 201);
    let id = created.header("etag").unwrap().to_owned();

    let standby = start_on(
        Arc::clone(&writer.store),
        RekorConfig::new(HOSTNAME, GOLDEN_TREE_ID),
        LedgerConfig::new(0),
    )
    .await;
    let resp = standby
        .post_json(
            "/api/v1/log/entries",
            &fresh_hashedrekord(b"to the standby"),
        )
        .await;
    assert_503(&resp);
    assert_503(&standby.get("/readyz").await);
    assert_eq!(standby.get("/healthz").await.status, 200);
    // Reads work on the standby (its key differs in this test, so only the proof is checked).
    let resp = standby.get(&format!("/api/v1/log/entries/{id}")).await;
    assert_eq!(resp.status, 200);
    assert_eq!(writer.tree_size().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_batches_and_broken_reads() {
    // No recent-entries window, so the entry reads below reach the (broken) store.
    let server = start_with(
        RekorConfig::new(HOSTNAME, GOLDEN_TREE_ID),
        LedgerConfig {
            recent_entries_bytes: 0,
            ..LedgerConfig::new(0)
        },
    )
    .await;
    server
        .store
        .fail_next_integrate(IntegrateFault::BeforeCommit);
    let body = fresh_hashedrekord(b"unlucky");
    assert_503(&server.post_json("/api/v1/log/entries", &body).await);
    assert_eq!(server.tree_size().await, 0, "a failed batch writes nothing");
    let resp = server.post_json("/api/v1/log/entries", &body).await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    verify_entry_map(&server, &resp.json());

    server
        .store
        .fail_next_integrate(IntegrateFault::AfterCommit);
    let body = fresh_hashedrekord(b"committed but unacknowledged");
    assert_503(&server.post_json("/api/v1/log/entries", &body).await);
    let resp = server.post_json("/api/v1/log/entries", &body).await;
    assert!(resp.status == 409 || resp.status == 201, "{}", resp.text());
    assert_eq!(server.tree_size().await, 2);
    server.assert_fsck_clean().await;

    server.store.set_fail_reads(true);
    let resp = server.get("/api/v1/log/entries?logIndex=0").await;
    assert_eq!(resp.status, 500);
    assert_eq!(
        resp.text(),
        "{\"code\":500,\"message\":\"unexpected error communicating with transparency log\"}\n"
    );
    server.store.set_fail_reads(false);
    assert_eq!(
        server.get("/api/v1/log/entries?logIndex=0").await.status,
        200
    );
}
