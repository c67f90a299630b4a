//! Every bad input of the Rekor 1.5.3 captures (`errors/e01`–`e51`) gets a 4xx with Rekor's
//! error shape, and nothing is written. Where Rekor answers 500 to a client mistake we
//! answer the precise 4xx (the golden README's "do better" list), and where Rekor 1.5.3
//! accepts an upper-case hex digest (letting one signature be logged twice) we refuse it.
#![allow(clippy::unwrap_used)]

mod api_support;

use api_support::*;
use serde_json::Value;

/// Our status where it deliberately differs from Rekor 1.5.3's.
fn our_status(name: &str, golden: u16) -> u16 {
    match name {
        // Malformed JSON and a JSON array: Rekor says 500.
        n if n.starts_with("e01-") || n.starts_with("e15-") => 400,
        // Upper-case hex digest: Rekor 1.5.3 logs it (201); 1.3.9 and we refuse it.
        n if n.starts_with("e06-") => 400,
        // 33 MiB body: Rekor says 500 "http: request body too large".
        n if n.starts_with("e26-") => 413,
        _ => golden,
    }
}

/// Cases whose message is produced by the API layer (not the entry kinds) and must match
/// Rekor's text exactly.
const EXACT_MESSAGE: &[&str] = &[
    "e02", "e09", "e10", "e14", "e16", "e17", "e29", "e30", "e31", "e33", "e34", "e35", "e37",
    "e38", "e40", "e41", "e42", "e43", "e44", "e45", "e48", "e49", "e50",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_errors_get_4xx_and_write_nothing() {
    let server = start().await;
    // Some entries first, so lookups have a log to miss in.
    for name in ["hashedrekord-ecdsa-p256-pubkey", "dsse-0.0.1"] {
        let resp = replay(&server, &golden(&format!("create/{name}.json"))).await;
        assert_eq!(resp.status, 201, "{name}: {}", resp.text());
    }
    let size = server.tree_size().await;
    let mut mismatched_text = Vec::new();
    for (name, record) in golden_cases("errors") {
        let golden_status = record["response"]["status"].as_u64().unwrap() as u16;
        let want = our_status(&name, golden_status);
        let resp = if name.starts_with("e26-") {
            let mut body =
                br#"{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{"pad":""#.to_vec();
            body.resize(33 * 1024 * 1024, b'A');
            body.extend_from_slice(b"\"}}");
            server.post_json("/api/v1/log/entries", &body).await
        } else {
            replay(&server, &record).await
        };
        assert_eq!(
            resp.status,
            want,
            "{name}: {}",
            String::from_utf8_lossy(&resp.body)
        );
        assert!((400..500).contains(&resp.status), "{name}: a client error");
        let golden_body = record["response"]["body_text"].as_str().unwrap_or("");
        if golden_body.is_empty() {
            assert!(resp.body.is_empty(), "{name}: empty body like Rekor");
            assert_eq!(resp.header("content-type"), None, "{name}: no content type");
        } else {
            assert_eq!(
                resp.header("content-type"),
                Some("application/json"),
                "{name}"
            );
            let v: Value = resp.json();
            let obj = v.as_object().unwrap();
            assert_eq!(obj.len(), 2, "{name}: exactly code and message");
            let code = v["code"].as_u64().unwrap();
            if want == golden_status {
                let golden_code = record["response"]["body_json"]["code"].as_u64().unwrap();
                assert_eq!(code, golden_code, "{name}: code");
            } else {
                assert_eq!(code, u64::from(want), "{name}: code = status");
            }
            assert!(!v["message"].as_str().unwrap().is_empty());
            let short = &name[..3];
            if EXACT_MESSAGE.contains(&short) {
                assert_eq!(resp.text(), golden_body, "{name}: Rekor's exact body");
            } else if want == golden_status && resp.text() != golden_body {
                mismatched_text.push(format!(
                    "{name}:\n  rekor: {golden_body}  ours:  {}",
                    resp.text()
                ));
            }
        }
        assert_eq!(
            resp.header("cache-control").is_some(),
            golden_header(&record, "Cache-Control").is_some(),
            "{name}: no-cache headers where Rekor sends them"
        );
        if name.starts_with("e42-") {
            assert_eq!(resp.header("allow"), Some("GET"));
        }
        assert_eq!(server.tree_size().await, size, "{name}: nothing written");
    }
    // Entry-kind messages are that layer's business; list differences for the record.
    if !mismatched_text.is_empty() {
        eprintln!(
            "entry-kind messages that differ from Rekor's:\n{}",
            mismatched_text.join("\n")
        );
    }
    server.assert_fsck_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_truncated_bodies() {
    let mut config = sigstack_rekor::api::RekorConfig::new(HOSTNAME, GOLDEN_TREE_ID);
    config.max_body_bytes = 1024;
    let server = start_with(config, sigstack_ledger::LedgerConfig::new(0)).await;
    let big = vec![b' '; 2048];

    // Declared too large: refused before reading.
    let resp = server.post_json("/api/v1/log/entries", &big).await;
    assert_eq!(resp.status, 413);
    assert_eq!(
        resp.text(),
        "{\"code\":413,\"message\":\"request body is larger than the limit of 1024 bytes\"}\n"
    );

    // Chunked without a length: refused while reading.
    let mut raw = format!(
        "POST /api/v1/log/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n",
        big.len()
    )
    .into_bytes();
    raw.extend_from_slice(&big);
    raw.extend_from_slice(b"\r\n0\r\n\r\n");
    let resp = server.raw(&raw, false).await;
    assert_eq!(resp.status, 413, "{}", resp.text());

    // Truncated: the client promises 500 bytes, sends 10 and stops.
    let raw = b"POST /api/v1/log/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                Content-Length: 500\r\nConnection: close\r\n\r\n{\"kind\":\"h";
    let resp = server.raw(raw, true).await;
    assert_eq!(resp.status, 400, "{}", resp.text());

    // A body cut inside the JSON but with an honest length.
    let full = fresh_hashedrekord(b"cut");
    let resp = server
        .post_json("/api/v1/log/entries", &full[..full.len() / 2])
        .await;
    assert_eq!(resp.status, 400, "{}", resp.text());
    assert!(resp.text().starts_with("{\"code\":400,\"message\":\""));
    assert_eq!(server.tree_size().await, 0, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_ids_indexes_and_sizes() {
    let server = start().await;
    let body = fresh_hashedrekord(b"one");
    let created = server.post_json("/api/v1/log/entries", &body).await;
    assert_eq!(created.status, 201);
    let id = created.header("etag").unwrap().to_owned();
    let uuid = &id[16..];

    let cases: Vec<(String, u16)> = vec![
        (format!("/api/v1/log/entries/{}", &uuid[1..]), 422),
        (format!("/api/v1/log/entries/{uuid}0"), 422),
        (format!("/api/v1/log/entries/{}", "g".repeat(64)), 422),
        (format!("/api/v1/log/entries/{}", "0".repeat(200)), 422),
        (format!("/api/v1/log/entries/ffffffffffffffff{uuid}"), 422),
        (format!("/api/v1/log/entries/0000000000000000{uuid}"), 404),
        (format!("/api/v1/log/entries/0000000000000001{uuid}"), 404),
        (format!("/api/v1/log/entries/{}", "ab".repeat(32)), 404),
        (format!("/api/v1/log/entries/{uuid}"), 200),
        (format!("/api/v1/log/entries/{uuid}/"), 200),
        (format!("/api/v1/log/entries/{}", uuid.to_uppercase()), 200),
        (format!("/api/v1/log/entries/{id}"), 200),
        ("/api/v1/log/entries?logIndex=0".into(), 200),
        ("/api/v1/log/entries?logIndex=1".into(), 404),
        ("/api/v1/log/entries?logIndex=-1".into(), 422),
        (
            "/api/v1/log/entries?logIndex=9223372036854775807".into(),
            404,
        ),
        (
            "/api/v1/log/entries?logIndex=9223372036854775808".into(),
            422,
        ),
        (
            "/api/v1/log/entries?logIndex=99999999999999999999999".into(),
            422,
        ),
        ("/api/v1/log/entries?logIndex=1e3".into(), 422),
        ("/api/v1/log/entries?logIndex=".into(), 422),
        ("/api/v1/log/proof?lastSize=1".into(), 200),
        ("/api/v1/log/proof?firstSize=1&lastSize=2".into(), 400),
        (
            "/api/v1/log/proof?firstSize=1&lastSize=18446744073709551615".into(),
            422,
        ),
        (
            "/api/v1/log/proof?firstSize=1&lastSize=9223372036854775807".into(),
            400,
        ),
        ("/api/v1/log/proof?firstSize=2&lastSize=1".into(), 400),
        ("/api/v1/log/proof?firstSize=-5&lastSize=1".into(), 422),
        (
            "/api/v1/log/proof?firstSize=1&lastSize=1&treeID=1".into(),
            400,
        ),
        (
            "/api/v1/log/proof?firstSize=1&lastSize=1&treeID=x1".into(),
            422,
        ),
        (
            format!("/api/v1/log/proof?firstSize=1&lastSize=1&treeID={GOLDEN_TREE_ID}"),
            200,
        ),
        (
            "/api/v1/log/publicKey?treeID=99999999999999999999999".into(),
            400,
        ),
        ("/api/v1/log/publicKey?treeID=-1".into(), 422),
    ];
    for (path, want) in cases {
        let resp = server.get(&path).await;
        assert_eq!(resp.status, want, "{path}: {}", resp.text());
        if want == 200 && path.contains("/entries") {
            verify_entry_map(&server, &resp.json());
        }
        if want == 404 && path.contains("/entries") {
            assert!(resp.body.is_empty(), "{path}: empty 404");
        }
    }
    assert_eq!(server.tree_size().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_types_methods_and_paths() {
    let server = start().await;
    let body = fresh_hashedrekord(b"ct");
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
    ] {
        let resp = server
            .request(
                "POST",
                "/api/v1/log/entries",
                &[("Content-Type", ct)],
                &body,
            )
            .await;
        assert_eq!(resp.status, 415, "{ct}");
        assert_eq!(
            resp.text(),
            format!("{{\"code\":415,\"message\":\"unsupported media type \\\"{ct}\\\", only [application/json] are allowed\"}}")
        );
    }
    for ct in ["application/json; charset=utf-8", "Application/JSON"] {
        let resp = server
            .request(
                "POST",
                "/api/v1/log/entries",
                &[("Content-Type", ct)],
                &body,
            )
            .await;
        assert!(
            resp.status == 201 || resp.status == 409,
            "{ct}: {}",
            resp.status
        );
    }
    let resp = server.request("PUT", "/api/v1/log/entries", &[], b"").await;
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("allow"), Some("GET, POST"));
    let resp = server
        .request("GET", "/api/v1/index/retrieve", &[], b"")
        .await;
    assert_eq!(resp.status, 405);
    let resp = server.get("/api/v1/nope/deeper").await;
    assert_eq!(resp.status, 404);
    assert_eq!(
        resp.text(),
        "{\"code\":404,\"message\":\"path /api/v1/nope/deeper was not found\"}"
    );
    let resp = server.get("/api/v1/version").await;
    assert_eq!(resp.status, 404, "removed from Rekor in 2022");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_under_the_limit_are_read_whole() {
    // axum's own 2 MB default must not apply: Rekor takes up to 32 MiB.
    let server = start().await;
    let mut body = br#"{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{"pad":""#.to_vec();
    body.resize(3 * 1024 * 1024, b'A');
    body.extend_from_slice(b"\"}}");
    let resp = server.post_json("/api/v1/log/entries", &body).await;
    assert_eq!(resp.status, 400, "{}", resp.text());
    assert!(
        resp.text().contains("error processing entry"),
        "{}",
        resp.text()
    );
}
