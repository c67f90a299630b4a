//! What the CT log refuses, over HTTP: each gets its status and a message that says what is
//! wrong, and nothing is logged.
#![allow(clippy::unwrap_used)]

mod log_support;

use base64::Engine as _;
use log_support::*;
use sigstack_ct::log::CtError;
use x509_cert::spki::ObjectIdentifier;

const POISON: ObjectIdentifier = sigstack_ct::CT_POISON_OID;

/// POSTs `body` to `endpoint` and asserts `status`, a message containing `needle`, and an
/// unchanged (empty) tree.
async fn refused(t: &TestLog, endpoint: &str, body: &[u8], status: u16, needle: &str) {
    let resp = t.post(endpoint, body).await;
    assert_eq!(resp.status, status, "{endpoint}: {}", resp.text());
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let message = resp.message();
    assert!(
        message.contains(needle),
        "{endpoint}: message {message:?} lacks {needle:?}"
    );
    assert_eq!(t.tree_size().await, 0, "{endpoint}: something was logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chains_not_ending_at_an_accepted_root() {
    let t = start().await;
    let stranger = Pki::new("stranger");
    for endpoint in ["add-pre-chain", "add-chain"] {
        let leaf = if endpoint == "add-pre-chain" {
            stranger.precert()
        } else {
            stranger.final_cert()
        };
        let full = stranger.chain(leaf.clone());
        refused(&t, endpoint, &chain_json(&full), 400, "accepted root").await;
        // Without its root, the chain reaches no root of ours either.
        refused(&t, endpoint, &chain_json(&full[..2]), 400, "accepted root").await;
        // Our root appended to a foreign chain does not sign the foreign intermediate.
        let mut grafted = full[..2].to_vec();
        grafted.push(t.pki.root.der.clone());
        refused(&t, endpoint, &chain_json(&grafted), 400, "certificate 1").await;
    }
    // A leaf alone whose issuer is not a root is refused too.
    refused(
        &t,
        "add-pre-chain",
        &chain_json(&[t.pki.precert()]),
        400,
        "accepted root",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_signatures_anywhere_in_the_chain() {
    let t = start().await;
    let mut chain = t.pki.chain(t.pki.precert());
    chain[0] = break_signature(&chain[0]);
    refused(
        &t,
        "add-pre-chain",
        &chain_json(&chain),
        400,
        "certificate 0",
    )
    .await;
    let mut chain = t.pki.chain(t.pki.final_cert());
    chain[1] = break_signature(&chain[1]);
    refused(&t, "add-chain", &chain_json(&chain), 400, "certificate 1").await;
    // A leaf presented with the wrong issuer (the root instead of the intermediate).
    let chain = vec![t.pki.precert(), t.pki.root.der.clone()];
    refused(&t, "add-pre-chain", &chain_json(&chain), 400, "issuer").await;
    // The in-process entry point says which certificate.
    let mut chain = t.pki.chain(t.pki.precert());
    chain[0] = break_signature(&chain[0]);
    let err = t.log.add_pre_chain(chain).await.unwrap_err();
    assert!(
        matches!(err, CtError::BadSignature { index: 0, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_pre_chain_needs_exactly_one_critical_null_poison() {
    let t = start().await;
    let no_poison = t.pki.final_cert();
    refused(
        &t,
        "add-pre-chain",
        &chain_json(&t.pki.chain(no_poison)),
        400,
        "poison",
    )
    .await;
    let cases = [
        (
            "non-critical",
            vec![raw_extension(POISON, false, vec![0x05, 0x00])],
        ),
        (
            "not NULL",
            vec![raw_extension(POISON, true, vec![0x04, 0x00])],
        ),
        (
            "twice",
            vec![
                raw_extension(POISON, true, vec![0x05, 0x00]),
                raw_extension(POISON, true, vec![0x05, 0x00]),
            ],
        ),
    ];
    for (name, extensions) in cases {
        let leaf = t.pki.leaf_with(extensions);
        let resp = t
            .post("add-pre-chain", &chain_json(&t.pki.chain(leaf)))
            .await;
        assert_eq!(resp.status, 400, "{name}: {}", resp.text());
        assert!(
            resp.message().contains("poison"),
            "{name}: {}",
            resp.message()
        );
    }
    assert_eq!(t.tree_size().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_chain_refuses_precertificates() {
    let t = start().await;
    let chain = t.pki.chain(t.pki.precert());
    refused(&t, "add-chain", &chain_json(&chain), 400, "poison").await;
    let err = t.log.add_chain(chain).await.unwrap_err();
    assert!(matches!(err, CtError::PoisonInFinalCertificate), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests() {
    let t = start().await;
    for endpoint in ["add-pre-chain", "add-chain"] {
        refused(&t, endpoint, br#"{"chain":[]}"#, 400, "empty").await;
        refused(
            &t,
            endpoint,
            br#"{"chain":["not base64!"]}"#,
            400,
            "chain[0]",
        )
        .await;
        refused(&t, endpoint, br#"{"chain":"#, 400, "JSON").await;
        refused(&t, endpoint, br#"{"certs":[]}"#, 400, "chain").await;
        refused(&t, endpoint, b"", 400, "JSON").await;
        let junk = format!(r#"{{"chain":["{}"]}}"#, b64().encode(b"not a certificate"));
        refused(&t, endpoint, junk.as_bytes(), 400, "certificate 0").await;
        let long = vec![t.pki.root.der.clone(); 11];
        refused(&t, endpoint, &chain_json(&long), 400, "at most 10").await;
        // An accepted root is not an entry of its own.
        refused(
            &t,
            endpoint,
            &chain_json(std::slice::from_ref(&t.pki.root.der)),
            400,
            "root",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413_before_being_read() {
    let t = start().await;
    let limit = t.log.config().max_body_bytes;
    let big = format!(r#"{{"chain":["{}"]}}"#, "A".repeat(limit));
    refused(&t, "add-pre-chain", big.as_bytes(), 413, "limit").await;
    // A body larger than its Content-Length claims is cut off at the limit too.
    let head = format!(
        "POST /ct/v1/add-chain HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n{:x}\r\n",
        limit + 1
    );
    let mut bytes = head.into_bytes();
    bytes.extend(std::iter::repeat_n(b'A', limit + 1));
    bytes.extend_from_slice(b"\r\n0\r\n\r\n");
    let resp = raw(t.addr, &bytes).await;
    assert_eq!(resp.status, 413, "{}", resp.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_methods_get_405_with_allow() {
    let t = start().await;
    let resp = t.get("add-pre-chain").await;
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("allow"), Some("POST"));
    let resp = t.post("get-sth", b"").await;
    assert_eq!(resp.status, 405);
    assert_eq!(resp.header("allow"), Some("GET"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_read_parameters() {
    let t = start().await;
    let sct = t.add("add-pre-chain", &t.pki.chain(t.pki.precert())).await;
    t.add("add-pre-chain", &t.pki.chain(t.pki.precert())).await;
    let cases = [
        ("get-entries", 400, "start"),
        ("get-entries?start=1", 400, "end"),
        ("get-entries?start=-1&end=2", 400, "non-negative"),
        ("get-entries?start=x&end=2", 400, "non-negative"),
        ("get-entries?start=2&end=1", 400, "greater"),
        ("get-entries?start=2&end=5", 400, "beyond"),
        ("get-sth-consistency?first=1", 400, "second"),
        ("get-sth-consistency?first=2&second=1", 400, "greater"),
        ("get-sth-consistency?first=1&second=3", 400, "beyond"),
        ("get-proof-by-hash?tree_size=1", 400, "hash"),
        ("get-proof-by-hash?hash=AAAA&tree_size=1", 400, "32 bytes"),
        ("get-proof-by-hash?hash=%%%&tree_size=1", 400, "base64"),
        ("get-entry-and-proof?leaf_index=2&tree_size=2", 400, "below"),
        (
            "get-entry-and-proof?leaf_index=0&tree_size=3",
            400,
            "beyond",
        ),
        (
            "get-entry-and-proof?leaf_index=0&tree_size=0",
            400,
            "at least 1",
        ),
    ];
    for (query, status, needle) in cases {
        let resp = t.get(query).await;
        assert_eq!(resp.status, status, "{query}: {}", resp.text());
        let message = resp.message();
        assert!(
            message.contains(needle),
            "{query}: {message:?} lacks {needle:?}"
        );
    }
    // An unknown leaf hash is 404; a known one beyond the asked tree size too.
    let unknown = query_escape(&b64().encode([7u8; 32]));
    let resp = t
        .get(&format!("get-proof-by-hash?hash={unknown}&tree_size=2"))
        .await;
    assert_eq!(resp.status, 404, "{}", resp.text());
    let entries = t.log.entries(1, 1).await.unwrap();
    let second = sigstack_merkle::leaf_hash(&entries[0].leaf_input);
    let q = format!(
        "get-proof-by-hash?hash={}&tree_size=1",
        query_escape(&b64().encode(second))
    );
    let resp = t.get(&q).await;
    assert_eq!(resp.status, 404, "{}", resp.text());
    // A hash sent without escaping its base64 (as curl users do) still finds the leaf.
    let entries = t.log.entries(0, 0).await.unwrap();
    let first = sigstack_merkle::leaf_hash(&entries[0].leaf_input);
    let q = format!("get-proof-by-hash?hash={}&tree_size=2", b64().encode(first));
    let resp = t.get(&q).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(sct.timestamp > 0);
}
