//! The read endpoints against the Rekor 1.5.3 captures in `read/`: the same entries (by
//! index, UUID, entry ID, retrieve) come back under the same keys, in the same order, with
//! a SET, proof and checkpoint that verify; log info, public key, consistency proofs and the
//! odds and ends (`/ping`, CORS, no-cache headers) look like Rekor's.
#![allow(clippy::unwrap_used)]

mod api_support;

use api_support::*;
use serde_json::Value;
use sigstack_merkle::{verify_consistency, Hash};

/// Rewrites `logIndex=N` in a golden path to our index of the same entry.
fn map_index_in_path(path: &str, p: &Populated) -> String {
    let (base, n) = path.split_once("logIndex=").unwrap();
    let theirs: u64 = n.parse().unwrap();
    format!("{base}logIndex={}", p.index_of_golden[&theirs])
}

/// The entry IDs of a golden retrieve answer that our log holds, in order.
fn golden_ids(record: &Value, p: &Populated) -> Vec<String> {
    record["response"]["body_json"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_object().unwrap().keys().next().unwrap().clone())
        .filter(|id| p.ids.contains(id))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_entry_reads() {
    let server = start().await;
    let p = populate(&server).await;
    for (name, record) in golden_cases("read") {
        let path = record["request"]["path"].as_str().unwrap();
        let golden_status = record["response"]["status"].as_u64().unwrap() as u16;
        let golden_body = &record["response"]["body_json"];
        if name.starts_with("GET-entries-") {
            let path = if path.contains("logIndex=") {
                map_index_in_path(path, &p)
            } else {
                path.to_owned()
            };
            let resp = server.get(&path).await;
            let want = if name.contains("zero-tree") {
                404
            } else {
                golden_status
            };
            assert_eq!(resp.status, want, "{name}");
            if want == 404 {
                assert!(resp.body.is_empty(), "{name}");
                continue;
            }
            assert_eq!(resp.header("content-type"), Some("application/json"));
            assert_eq!(
                resp.header("cache-control"),
                Some("no-cache, no-store, no-transform, must-revalidate, private, max-age=0")
            );
            let v = resp.json();
            let (id, _) = verify_entry_map(&server, &v);
            let golden_id = golden_body.as_object().unwrap().keys().next().unwrap();
            assert_eq!(&id, golden_id, "{name}: same entry ID");
            assert_eq!(
                v[&id]["body"], golden_body[golden_id]["body"],
                "{name}: same body"
            );
            assert_eq!(shape(&v), shape(golden_body), "{name}: same JSON shape");
        } else if name.starts_with("POST-retrieve-") {
            let mut query: Value = serde_json::from_slice(&request_body(&record)).unwrap();
            if let Some(indexes) = query.get_mut("logIndexes") {
                for i in indexes.as_array_mut().unwrap() {
                    *i = p.index_of_golden[&i.as_u64().unwrap()].into();
                }
            }
            let resp = server
                .post_json(path, &serde_json::to_vec(&query).unwrap())
                .await;
            assert_eq!(resp.status, 200, "{name}: {}", resp.text());
            assert!(resp.body.ends_with(b"]\n"), "{name}");
            let v = resp.json();
            let ours: Vec<String> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|m| verify_entry_map(&server, m).0)
                .collect();
            assert_eq!(
                ours,
                golden_ids(&record, &p),
                "{name}: same results, same order"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_info_public_key_and_odds() {
    let server = start().await;
    // The empty log already has a signed checkpoint.
    let resp = server.get("/api/v1/log").await;
    assert_eq!(resp.status, 200);
    let v = resp.json();
    assert_eq!(v["treeSize"], 0);
    assert_eq!(
        v["rootHash"],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let p = populate(&server).await;
    let size = p.roots.len() as u64 - 1;

    for (name, record) in golden_cases("read") {
        if !name.starts_with("GET-log-") || name.contains("proof") {
            continue;
        }
        let resp = replay(&server, &record).await;
        assert_eq!(resp.status, 200, "{name}");
        let golden_ct = golden_header(&record, "Content-Type");
        assert_eq!(resp.header("content-type"), golden_ct, "{name}");
        if name.contains("publicKey") {
            assert_eq!(resp.text(), server.service.key().public_key_pem());
            let text = resp.text();
            let golden_text = record["response"]["body_text"].as_str().unwrap();
            assert_eq!(
                text.lines().count(),
                golden_text.lines().count(),
                "PEM layout"
            );
            assert!(
                text.starts_with("-----BEGIN PUBLIC KEY-----\n")
                    && text.ends_with("-----END PUBLIC KEY-----\n")
            );
            continue;
        }
        let text = resp.text();
        assert!(
            text.starts_with("{\"inactiveShards\":null,\"rootHash\":\""),
            "{name}: Rekor's key order: {text}"
        );
        assert!(
            text.ends_with(&format!(",\"treeSize\":{size}}}\n")),
            "{name}: {text}"
        );
        let v = resp.json();
        assert_eq!(shape(&v), shape(&record["response"]["body_json"]), "{name}");
        assert_eq!(v["treeID"], GOLDEN_TREE_ID.to_string());
        assert_eq!(v["rootHash"], hex::encode(p.roots[size as usize]));
        let verifier = server.service.key().note_verifier();
        let (cp, _) = sigstack_merkle::checkpoint::SignedCheckpoint::open(
            v["signedTreeHead"].as_str().unwrap().as_bytes(),
            &[&verifier],
        )
        .unwrap();
        assert_eq!(cp.checkpoint().size, size);
        if golden_header(&record, "Access-Control-Allow-Origin").is_some() {
            assert_eq!(
                resp.header("access-control-allow-origin"),
                Some("*"),
                "{name}"
            );
        }
    }

    let resp = server.get("/ping").await;
    assert_eq!((resp.status, resp.text().as_str()), (200, "."));
    let resp = replay(&server, &golden("read/OPTIONS-entries-cors-preflight.json")).await;
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
    assert_eq!(resp.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(
        resp.header("access-control-allow-headers"),
        Some("content-type")
    );
    let resp = server.get("/healthz").await;
    assert_eq!(resp.status, 200);
    let resp = server.get("/readyz").await;
    assert_eq!(resp.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consistency_proofs_verify() {
    let server = start().await;
    let p = populate(&server).await;
    let n = p.roots.len() as u64 - 1;
    assert!(n > 10);
    let current = hex::encode(p.roots[n as usize]);
    for (first, last) in [
        (1, n),
        (n / 2, n - 1),
        (n, n),
        (1, 1),
        (1, 2),
        (3, 7),
        (n - 1, n),
    ] {
        let resp = server
            .get(&format!(
                "/api/v1/log/proof?firstSize={first}&lastSize={last}"
            ))
            .await;
        assert_eq!(resp.status, 200, "{first}->{last}: {}", resp.text());
        assert!(resp.text().starts_with("{\"hashes\":["));
        let v = resp.json();
        assert_eq!(
            v["rootHash"], current,
            "Rekor fills rootHash with the current root"
        );
        let hashes: Vec<Hash> = v["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                hex::decode(h.as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap()
            })
            .collect();
        verify_consistency(
            first,
            last,
            &hashes,
            &p.roots[first as usize],
            &p.roots[last as usize],
        )
        .unwrap_or_else(|e| panic!("{first}->{last}: {e}"));
    }
    // firstSize defaults to 1.
    let a = server.get(&format!("/api/v1/log/proof?lastSize={n}")).await;
    let b = server
        .get(&format!("/api/v1/log/proof?firstSize=1&lastSize={n}"))
        .await;
    assert_eq!(a.body, b.body);
    assert_eq!(
        server
            .get("/api/v1/log/proof?firstSize=3&lastSize=3")
            .await
            .text(),
        format!("{{\"hashes\":[],\"rootHash\":\"{current}\"}}\n")
    );
}
