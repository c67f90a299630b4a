//! `POST /api/v1/log/entries` replayed from the Rekor 1.5.3 captures: every golden create
//! gets 201 with the same entry ID, ETag and Location Rekor gave and stores the same
//! canonical body; every golden duplicate gets 409 with the existing entry's Location; each
//! returned entry's SET, inclusion proof and checkpoint verify with the log key.
#![allow(clippy::unwrap_used)]

mod api_support;

use api_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_creates_then_duplicates() {
    let server = start().await;
    let mut failures = Vec::new();
    let mut created = 0u64;
    for (name, record) in golden_cases("create") {
        let resp = replay(&server, &record).await;
        if resp.status != 201 {
            failures.push(format!("{name}: {} {}", resp.status, resp.text()));
            continue;
        }
        created += 1;
        let want_etag = golden_header(&record, "Etag").unwrap();
        assert_eq!(
            resp.header("etag"),
            Some(want_etag),
            "{name}: ETag is the bare entry ID"
        );
        assert_eq!(
            resp.header("location"),
            golden_header(&record, "Location"),
            "{name}: relative Location"
        );
        assert_eq!(
            resp.header("content-type"),
            Some("application/json"),
            "{name}"
        );
        assert!(resp.body.ends_with(b"}\n"), "{name}: handler newline");
        let (id, body) = verify_entry_map(&server, &resp.json());
        assert_eq!(id, want_etag, "{name}: map key = ETag");
        let canonical_path = golden_dir()
            .join("create")
            .join(name.replace(".json", ".canonical-body.json"));
        let want_body = std::fs::read(&canonical_path).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&want_body),
            "{name}: canonical body byte for byte"
        );
        // The 201's proof is against the checkpoint of the batch that integrated it.
        let e = resp.json()[&id].clone();
        assert_eq!(
            e["verification"]["inclusionProof"]["treeSize"].as_u64(),
            Some(e["logIndex"].as_u64().unwrap() + 1)
        );
    }
    assert_eq!(server.tree_size().await, created);

    for (name, record) in golden_cases("duplicate") {
        let resp = replay(&server, &record).await;
        assert_eq!(resp.status, 409, "{name}: {}", resp.text());
        assert_eq!(
            resp.header("location"),
            golden_header(&record, "Location"),
            "{name}"
        );
        assert_eq!(resp.header("etag"), None, "{name}: no ETag on 409");
        assert_eq!(
            resp.text(),
            record["response"]["body_text"].as_str().unwrap(),
            "{name}: Rekor's 409 body"
        );
    }
    assert_eq!(
        server.tree_size().await,
        created,
        "duplicates write nothing"
    );
    server.assert_fsck_clean().await;
    assert!(
        failures.is_empty(),
        "golden creates refused:\n{}",
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_are_batched_and_all_verify() {
    let server = std::sync::Arc::new(start().await);
    let mut tasks = Vec::new();
    for i in 0..40u32 {
        let server = std::sync::Arc::clone(&server);
        tasks.push(tokio::spawn(async move {
            let body = fresh_hashedrekord(format!("artifact {i}").as_bytes());
            let resp = server.post_json("/api/v1/log/entries", &body).await;
            assert_eq!(resp.status, 201, "{}", resp.text());
            let (id, _) = verify_entry_map(&server, &resp.json());
            id
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40);
    assert_eq!(server.tree_size().await, 40);
    server.assert_fsck_clean().await;
}
