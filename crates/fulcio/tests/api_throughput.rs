//! A rough throughput figure for issuance over HTTP (fake in-memory CT log, one TCP
//! connection per request). Ignored by default; meaningful only in release builds:
//! `cargo test --release -p sigstack-fulcio --test api_throughput -- --ignored --nocapture`.
#![allow(clippy::unwrap_used)]

mod api_support;

use std::sync::Arc;
use std::time::Instant;

use api_support::*;
use base64::Engine as _;
use serde_json::json;
use sigstack_test_oidc::TestKey;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark; run in release with --ignored --nocapture"]
async fn issuance_throughput() {
    const REQUESTS: usize = 2000;
    const CONCURRENCY: usize = 32;
    let s = Arc::new(start().await);
    let key = TestKey::es256("k");
    let token = s.issuers.email_token(ALICE);
    let body = Arc::new(
        json!({
            "publicKeyRequest": {
                "publicKey": {"algorithm": "ECDSA", "content": key.public_key_pem()},
                "proofOfPossession": b64().encode(key.sign_raw(ALICE.as_bytes())),
            }
        })
        .to_string(),
    );
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (s, token, body) = (Arc::clone(&s), token.clone(), Arc::clone(&body));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for _ in 0..REQUESTS / CONCURRENCY {
                let t = Instant::now();
                let r = s
                    .post("/api/v2/signingCert", Some(&token), body.as_bytes())
                    .await;
                assert_eq!(r.status, 200);
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100];
    eprintln!(
        "{} certificates in {:.2?}: {:.0}/s, p99 {:.2?} at concurrency {CONCURRENCY}",
        latencies.len(),
        elapsed,
        latencies.len() as f64 / elapsed.as_secs_f64(),
        p99
    );
}
