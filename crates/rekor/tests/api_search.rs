//! `POST /api/v1/index/retrieve` against the Rekor 1.5.3 captures in `search/`. Rekor's log
//! held entries of earlier capture runs too, so the expected answer is Rekor's restricted to
//! the entries our log holds; for public keys we may find more (Rekor files dsse/intoto key
//! hashes under a `sha256:` prefix its own key search never finds; we file both).
#![allow(clippy::unwrap_used)]

mod api_support;

use std::collections::BTreeSet;

use api_support::*;

/// The entry ID of `create/rekord-ssh-ed25519`.
const REKORD_SSH_ID: &str =
    "5edef3d8901df3b807e03ae27c3c7a82eab8a345c140b434e5674c716c652c8335cb7d13edcd0b47";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_searches() {
    let server = start().await;
    let p = populate(&server).await;
    for (name, record) in golden_cases("search") {
        let resp = replay(&server, &record).await;
        let status = record["response"]["status"].as_u64().unwrap() as u16;
        assert_eq!(resp.status, status, "{name}: {}", resp.text());
        if status != 200 {
            assert_eq!(
                resp.text(),
                record["response"]["body_text"].as_str().unwrap(),
                "{name}: Rekor's schema error"
            );
            continue;
        }
        assert!(resp.body.ends_with(b"]\n"), "{name}");
        let ours: Vec<String> = resp
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        let mut sorted = ours.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ours, sorted, "{name}: sorted, no repeats");
        let ours: BTreeSet<String> = ours.into_iter().collect();
        assert!(ours.iter().all(|id| p.ids.contains(id)), "{name}");
        let theirs: BTreeSet<String> = record["response"]["body_json"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .filter(|id| p.ids.contains(id))
            .collect();
        if name.starts_with("publicKey-") {
            assert!(
                ours.is_superset(&theirs),
                "{name}: ours {ours:?} theirs {theirs:?}"
            );
        } else if name.starts_with("email") || name == "operator-or.json" {
            // Known difference, owned by the entry kinds: they index the e-mail-like comment
            // of a rekord ssh key (`golden@example.com`); Rekor 1.5.3 did not find that entry.
            let extra: BTreeSet<String> = ours.difference(&theirs).cloned().collect();
            assert!(
                ours.is_superset(&theirs),
                "{name}: ours {ours:?} theirs {theirs:?}"
            );
            assert!(
                extra.iter().all(|id| id == REKORD_SSH_ID),
                "{name}: extra {extra:?}"
            );
        } else {
            assert_eq!(ours, theirs, "{name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_edge_cases() {
    let server = start().await;
    let artifact = b"search me";
    let body = fresh_hashedrekord(artifact);
    let created = server.post_json("/api/v1/log/entries", &body).await;
    assert_eq!(created.status, 201);
    let id = created.header("etag").unwrap().to_owned();
    let digest = sha256_hex(artifact);
    let want = format!("[\"{id}\"]\n");
    for q in [
        format!("{{\"hash\":\"{digest}\"}}"),
        format!("{{\"hash\":\"sha256:{}\"}}", digest.to_uppercase()),
        format!("{{\"hash\":\"sha256:{digest}\",\"operator\":\"and\"}}"),
        format!("{{\"hash\":\"sha256:{digest}\",\"email\":\"nobody@example.com\"}}"),
    ] {
        let resp = server
            .post_json("/api/v1/index/retrieve", q.as_bytes())
            .await;
        assert_eq!(resp.text(), want, "{q}");
    }
    let q = format!(
        "{{\"hash\":\"sha256:{digest}\",\"email\":\"nobody@example.com\",\"operator\":\"and\"}}"
    );
    let resp = server
        .post_json("/api/v1/index/retrieve", q.as_bytes())
        .await;
    assert_eq!(resp.text(), "[]\n");
    let sha512_short = format!("{{\"hash\":\"sha512:{}\"}}", "a".repeat(64));
    let cases: [(&str, u16); 13] = [
        ("", 422),
        ("{", 400),
        ("[]", 400),
        ("{\"hash\":5}", 422),
        ("{\"hash\":\"sha384:abcd\"}", 422),
        (&sha512_short, 422),
        ("{\"publicKey\":{\"format\":\"x509\"}}", 400),
        (
            "{\"publicKey\":{\"format\":\"x509\",\"content\":\"!!\"}}",
            400,
        ),
        (
            "{\"publicKey\":{\"format\":\"pgp\",\"content\":\"AAAA\"}}",
            400,
        ),
        (
            "{\"publicKey\":{\"format\":\"x509\",\"url\":\"http://127.0.0.1:1/k\"}}",
            400,
        ),
        ("{\"publicKey\":\"x\"}", 422),
        ("{\"operator\":\"AND\"}", 422),
        ("{\"email\":7}", 422),
    ];
    for (q, status) in cases {
        let resp = server
            .post_json("/api/v1/index/retrieve", q.as_bytes())
            .await;
        assert_eq!(resp.status, status, "{q}: {}", resp.text());
        let v = resp.json();
        assert!(v["message"].is_string(), "{q}");
    }
}
