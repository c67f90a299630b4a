//! Bounded work per request: entries built to multiply the server's work (a certificate
//! chain whose search backtracks, envelopes with many or empty signatures, keys ×
//! signatures) cost a small multiple of a normal request of the same shape; verification
//! runs off the async workers, so cheap routes stay fast while it runs; and a full
//! verification pool answers 503 with `Retry-After`.
//!
//! Costs are compared as ratios of medians measured in the same test (never absolute
//! times). Fixtures: `tests/data/budget/` (see its `regenerate.sh`).
#![allow(clippy::unwrap_used)]

mod api_support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use api_support::*;
use base64::Engine as _;
use serde_json::{json, Value};
use sigstack_ledger::LedgerConfig;
use sigstack_merkle::signature::{EcdsaP256Signer, Signer as _};
use sigstack_rekor::api::RekorConfig;

/// How much more than a normal request an amplifying request may cost.
const MAX_RATIO: f64 = 10.0;

fn data(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// A hashedrekord over `tests/data/artifact.txt` signed by the budget leaf, whose
/// "public key" is the concatenation of the fixture certificates named.
fn chain_entry(certs: &[&str]) -> Vec<u8> {
    let pem: Vec<u8> = certs
        .iter()
        .flat_map(|c| data(&format!("budget/{c}")))
        .collect();
    serde_json::to_vec(&json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": sha256_hex(&data("artifact.txt"))}},
            "signature": {
                "content": b64().encode(data("budget/leaf.sig")),
                "publicKey": {"content": b64().encode(pem)}
            }
        }
    }))
    .unwrap()
}

/// The leaf, eight copies of its self-issued CA and an unrelated root (ten certificates,
/// Rekor's limit): before the fix the chain search tried every ordering of the copies.
fn identical_duplicates() -> Vec<u8> {
    let mut certs = vec!["leaf.pem"];
    certs.extend(["dup-ca.pem"; 8]);
    certs.push("other-root.pem");
    chain_entry(&certs)
}

/// Like [`identical_duplicates`] with eight *distinct* certificates of the same CA (same
/// subject and key, other serial numbers): deduplication alone does not stop this one.
fn same_key_variants() -> Vec<u8> {
    chain_entry(&[
        "leaf.pem",
        "dup-ca.pem",
        "dup-ca-2.pem",
        "dup-ca-3.pem",
        "dup-ca-4.pem",
        "dup-ca-5.pem",
        "dup-ca-6.pem",
        "dup-ca-7.pem",
        "dup-ca-8.pem",
        "other-root.pem",
    ])
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Median time of `runs` posts of `body` to `path`, each checked by `check`. A single post
/// slower than `give_up` fails the test at once (the amplified requests of the old code
/// took seconds to minutes each).
async fn median_cost(
    server: &Server,
    path: &str,
    body: &[u8],
    runs: usize,
    give_up: Duration,
    check: impl Fn(&Resp),
) -> Duration {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let resp = tokio::time::timeout(give_up, server.post_json(path, body))
            .await
            .unwrap_or_else(|_| panic!("one request to {path} took longer than {give_up:?}"));
        times.push(start.elapsed());
        check(&resp);
    }
    median(times)
}

fn created_or_duplicate(r: &Resp) {
    assert!(
        r.status == 201 || r.status == 409,
        "{} {}",
        r.status,
        r.text()
    );
}

fn refused_with(needle: &'static str) -> impl Fn(&Resp) {
    move |r: &Resp| {
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.text().contains(needle), "{}", r.text());
    }
}

/// The normal request's median, after a warm-up; and the time after which one attack
/// request is hopeless.
async fn baseline(server: &Server, path: &str, body: &[u8], check: impl Fn(&Resp)) -> Duration {
    median_cost(server, path, body, 3, Duration::from_secs(30), &check).await;
    median_cost(server, path, body, 7, Duration::from_secs(30), &check).await
}

fn assert_ratio(what: &str, attack: Duration, normal: Duration, max: f64) {
    let ratio = attack.as_secs_f64() / normal.as_secs_f64();
    eprintln!("{what}: attack {attack:?}, normal {normal:?}, ratio {ratio:.2}");
    assert!(
        ratio < max,
        "{what}: the attack costs {ratio:.1}x a normal request (limit {max}x): {attack:?} vs {normal:?}"
    );
}

fn give_up(normal: Duration) -> Duration {
    normal
        .mul_f64(MAX_RATIO * 5.0)
        .max(Duration::from_millis(500))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_ca_chains_cost_a_normal_request() {
    let server = start().await;
    let normal = chain_entry(&["leaf.pem", "dup-ca.pem"]);
    let path = "/api/v1/log/entries";
    let t_normal = baseline(&server, path, &normal, created_or_duplicate).await;
    for (what, body) in [
        ("identical duplicates", identical_duplicates()),
        ("same-key variants", same_key_variants()),
    ] {
        let t = median_cost(
            &server,
            path,
            &body,
            5,
            give_up(t_normal),
            refused_with("certificate signed by unknown authority"),
        )
        .await;
        assert_ratio(what, t, t_normal, MAX_RATIO);
    }
    assert_eq!(server.tree_size().await, 1, "the normal entry only");
}

/// A DSSE entry over `payload` whose envelope carries `sigs` (JSON values: strings or
/// `null`), verified by `verifiers` copies of `key`'s PEM.
fn dsse_entry(
    payload: &[u8],
    sigs: Vec<Value>,
    key: &EcdsaP256Signer,
    verifiers: usize,
) -> Vec<u8> {
    let envelope = json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": b64().encode(payload),
        "signatures": sigs,
    });
    let pem = b64().encode(pem("PUBLIC KEY", key.public_key_spki_der()));
    serde_json::to_vec(&json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {
            "envelope": envelope.to_string(),
            "verifiers": vec![pem; verifiers],
        }}
    }))
    .unwrap()
}

fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

fn new_key() -> EcdsaP256Signer {
    EcdsaP256Signer::from_pkcs8_der(&EcdsaP256Signer::generate_pkcs8_der().unwrap()).unwrap()
}

/// A 1 MiB in-toto statement-ish payload.
fn big_payload(tag: &str) -> Vec<u8> {
    let mut p = format!("{{\"_type\":\"{tag}\",\"pad\":\"").into_bytes();
    p.resize((1 << 20) - 2, b'x');
    p.extend_from_slice(b"\"}");
    p
}

fn valid_sig(key: &EcdsaP256Signer, payload: &[u8]) -> Value {
    let sig = key
        .sign(&pae("application/vnd.in-toto+json", payload))
        .unwrap();
    json!({"keyid": "", "sig": b64().encode(sig)})
}

/// A syntactically valid ECDSA signature (DER `SEQUENCE { 1, 1 }`) that verifies nothing.
fn wrong_sig() -> Value {
    json!({"sig": b64().encode([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01])})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn envelopes_with_many_or_empty_signatures_are_cheap() {
    let server = start().await;
    let key = new_key();
    let payload = big_payload("normal");
    let path = "/api/v1/log/entries";
    let normal = dsse_entry(&payload, vec![valid_sig(&key, &payload)], &key, 1);
    let t_normal = baseline(&server, path, &normal, created_or_duplicate).await;

    // 1,000 `null` signatures, then the valid one: every null used to hash the payload.
    let mut nulls = vec![Value::Null; 1000];
    nulls.push(valid_sig(&key, &payload));
    let nulls = dsse_entry(&payload, nulls, &key, 1);
    let t = median_cost(
        &server,
        path,
        &nulls,
        5,
        give_up(t_normal),
        refused_with("is empty"),
    )
    .await;
    assert_ratio("1,000 null signatures", t, t_normal, MAX_RATIO);

    // 1,000 well-formed wrong signatures, then the valid one.
    let mut wrong = vec![wrong_sig(); 1000];
    wrong.push(valid_sig(&key, &payload));
    let wrong = dsse_entry(&payload, wrong, &key, 1);
    let t = median_cost(
        &server,
        path,
        &wrong,
        5,
        give_up(t_normal),
        refused_with("at most 8"),
    )
    .await;
    assert_ratio("1,000 wrong signatures", t, t_normal, MAX_RATIO);

    // Within the caps: 8 signatures (7 wrong, then the valid one) tried by 8 keys. The PAE
    // is hashed once for all 64 pairs, so this costs about a normal request.
    let mut eight = vec![wrong_sig(); 7];
    eight.push(valid_sig(&key, &payload));
    let eight = dsse_entry(&payload, eight, &key, 8);
    let t = median_cost(
        &server,
        path,
        &eight,
        5,
        give_up(t_normal),
        refused_with("all signatures must have a key that verifies it"),
    )
    .await;
    assert_ratio("8 signatures x 8 keys", t, t_normal, 5.0);
}

/// An intoto 0.0.2 entry: `sigs` (base64 DSSE signature strings) each listed with `key`.
fn intoto_v2_entry(payload: &[u8], sigs: &[Value], key: &EcdsaP256Signer) -> Vec<u8> {
    let pem = pem("PUBLIC KEY", key.public_key_spki_der());
    let signatures: Vec<Value> = sigs
        .iter()
        .map(|s| {
            json!({
                "sig": b64().encode(s["sig"].as_str().unwrap()),
                "publicKey": b64().encode(&pem),
            })
        })
        .collect();
    serde_json::to_vec(&json!({
        "apiVersion": "0.0.2",
        "kind": "intoto",
        "spec": {"content": {
            "envelope": {
                "payloadType": "application/vnd.in-toto+json",
                "payload": b64().encode(b64().encode(payload)),
                "signatures": signatures,
            },
            "hash": {"algorithm": "sha256", "value": sha256_hex(payload)},
        }}
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intoto_keys_times_signatures_is_bounded() {
    let server = start().await;
    let key = new_key();
    let payload = big_payload("intoto");
    let path = "/api/v1/log/entries";
    let normal = intoto_v2_entry(&payload, &[valid_sig(&key, &payload)], &key);
    let t_normal = baseline(&server, path, &normal, created_or_duplicate).await;

    // 40 signatures, each listed with its key: every key used to try every signature.
    let mut sigs = vec![wrong_sig(); 39];
    sigs.push(valid_sig(&key, &payload));
    let quadratic = intoto_v2_entry(&payload, &sigs, &key);
    let t = median_cost(
        &server,
        path,
        &quadratic,
        5,
        give_up(t_normal),
        refused_with("at most 8"),
    )
    .await;
    assert_ratio(
        "intoto 0.0.2, 40 keys x 40 signatures",
        t,
        t_normal,
        MAX_RATIO,
    );
}

/// Median latency of `n` sequential `GET /healthz`.
async fn healthz_latency(server: &Server, n: usize) -> Duration {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let r = server.get("/healthz").await;
        times.push(start.elapsed());
        assert_eq!(r.status, 200);
    }
    median(times)
}

/// A rekord entry over `size` bytes of content, validly signed: legitimate but heavy work
/// (the content is hashed and verified), bounded only by the body size.
fn heavy_rekord(size: usize, tag: u8) -> Value {
    let key = new_key();
    let content = vec![tag; size];
    let sig = key.sign(&content).unwrap();
    json!({
        "apiVersion": "0.0.1",
        "kind": "rekord",
        "spec": {
            "data": {"content": b64().encode(&content)},
            "signature": {
                "format": "x509",
                "content": b64().encode(sig),
                "publicKey": {"content": b64().encode(pem("PUBLIC KEY", key.public_key_spki_der()))}
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expensive_retrieves_do_not_stall_healthz() {
    let mut config = RekorConfig::new(HOSTNAME, GOLDEN_TREE_ID);
    // One verification worker: a core stays free for the async workers whatever the pool
    // does, which is the deployment advice for small machines too.
    config.verify_workers = 1;
    let server = Arc::new(start_with(config, LedgerConfig::new(0)).await);
    healthz_latency(&server, 5).await;
    let normal = healthz_latency(&server, 21).await;

    // Each retrieve: nine 1 MiB rekord entries to verify, then the duplicated-CA chain.
    let attack: Value = serde_json::from_slice(&identical_duplicates()).unwrap();
    let mut entries: Vec<Value> = (0..9).map(|i| heavy_rekord(1 << 20, i)).collect();
    entries.push(attack);
    let body = Arc::new(serde_json::to_vec(&json!({ "entries": entries })).unwrap());
    let mut retrieves = Vec::new();
    for _ in 0..2 {
        let (server, body) = (Arc::clone(&server), Arc::clone(&body));
        retrieves.push(tokio::spawn(async move {
            server
                .post_json("/api/v1/log/entries/retrieve", &body)
                .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let during = tokio::time::timeout(Duration::from_secs(20), healthz_latency(&server, 11))
        .await
        .expect("/healthz did not answer while retrieves ran");
    // Generous: the machine may be shared, and one pool worker competes for the CPU; the
    // old code held /healthz for seconds.
    let bound = normal.mul_f64(50.0).max(Duration::from_millis(100));
    eprintln!("healthz: normal {normal:?}, during expensive retrieves {during:?}, bound {bound:?}");
    assert!(
        during < bound,
        "/healthz took {during:?} (median) while two expensive retrieves ran, normally {normal:?}"
    );
    for r in retrieves {
        let r = r.await.unwrap();
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.text().contains("certificate signed by unknown authority"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_pool_is_503_with_retry_after() {
    let mut config = RekorConfig::new(HOSTNAME, GOLDEN_TREE_ID);
    config.verify_workers = 1;
    config.verify_queue = 0;
    let server = Arc::new(start_with(config, LedgerConfig::new(0)).await);
    let mut tasks = Vec::new();
    for i in 0..6u8 {
        let server = Arc::clone(&server);
        let body = serde_json::to_vec(&heavy_rekord(4 << 20, i)).unwrap();
        tasks.push(tokio::spawn(async move {
            server.post_json("/api/v1/log/entries", &body).await
        }));
    }
    let (mut created, mut refused) = (0, 0);
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            201 => created += 1,
            503 => {
                assert_eq!(r.header("retry-after"), Some("1"));
                let v = r.json();
                assert_eq!(v["code"], 503);
                assert!(v["message"].as_str().unwrap().contains("busy verifying"));
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert!(created >= 1, "the one worker serves someone");
    assert!(
        refused >= 1,
        "a pool of one with no queue must refuse concurrent work"
    );
    let counters = server.service.metrics().verification();
    assert_eq!(counters.rejected(), refused);
    assert!(counters.admitted() >= created);
    assert_eq!(server.tree_size().await, created);
    server.assert_fsck_clean().await;
}

/// Ed25519 key → (signing key, SPKI DER).
fn ed25519_key(seed: u8) -> (ed25519_dalek::SigningKey, Vec<u8>) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let mut spki = hex::decode("302a300506032b6570032100").unwrap();
    spki.extend_from_slice(key.verifying_key().as_bytes());
    (key, spki)
}

/// A DSSE entry whose signatures and verifiers are given as they are.
fn dsse_raw(payload: &[u8], sigs: Vec<Value>, verifier_spkis: &[Vec<u8>]) -> Vec<u8> {
    let envelope = json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": b64().encode(payload),
        "signatures": sigs,
    });
    let verifiers: Vec<String> = verifier_spkis
        .iter()
        .map(|d| b64().encode(pem("PUBLIC KEY", d)))
        .collect();
    serde_json::to_vec(&json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {"envelope": envelope.to_string(), "verifiers": verifiers}}
    }))
    .unwrap()
}

/// The figures of `docs/operations.md` ("Security: bounded work per request"): for each
/// kind, the most expensive request within the caps against a normal request of the same
/// shape, as a ratio of medians. Run with
/// `cargo test --release -p sigstack-rekor --test api_budget -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: prints the figures of docs/operations.md"]
async fn worst_case_per_kind() {
    use ed25519_dalek::Signer as _;
    let server = start().await;
    let path = "/api/v1/log/entries";
    let any = |_: &Resp| {};
    let runs = 9;
    let long = Duration::from_secs(120);
    let mut report = Vec::new();

    // hashedrekord (rekord x509 verifies chains the same way): the ring of cross-signed
    // CAs, every pair of which must be tried.
    let normal = chain_entry(&["leaf.pem", "dup-ca.pem"]);
    let mut ring = vec!["ring-leaf.pem".to_owned()];
    ring.extend((1..=8).map(|i| format!("ring-ca-{i}.pem")));
    ring.push("other-root.pem".to_owned());
    let ring: Vec<&str> = ring.iter().map(String::as_str).collect();
    let worst = chain_entry(&ring);
    let n = baseline(&server, path, &normal, any).await;
    let w = median_cost(&server, path, &worst, runs, long, any).await;
    eprintln!("measured: {w:?} vs {n:?}");
    report.push((
        "hashedrekord: 10-certificate ring of cross-signed CAs",
        w,
        n,
    ));

    // dsse, ECDSA: 8 signatures (7 wrong) x 8 verifiers over 1 MiB.
    let key = new_key();
    let payload = big_payload("figures");
    let normal = dsse_entry(&payload, vec![valid_sig(&key, &payload)], &key, 1);
    let mut eight = vec![wrong_sig(); 7];
    eight.push(valid_sig(&key, &payload));
    let worst = dsse_entry(&payload, eight, &key, 8);
    let n = baseline(&server, path, &normal, any).await;
    let w = median_cost(&server, path, &worst, runs, long, any).await;
    eprintln!("measured: {w:?} vs {n:?}");
    report.push(("dsse, P-256: 8 signatures x 8 keys, 1 MiB payload", w, n));

    // dsse, Ed25519: pure Ed25519 hashes the message on every check.
    let (ed, spki) = ed25519_key(7);
    let pae_bytes = pae("application/vnd.in-toto+json", &payload);
    let good = json!({"sig": b64().encode(ed.sign(&pae_bytes).to_bytes())});
    let bad = json!({"sig": b64().encode([1u8; 64])});
    let normal = dsse_raw(&payload, vec![good.clone()], std::slice::from_ref(&spki));
    let mut eight = vec![bad; 7];
    eight.push(good);
    let worst = dsse_raw(&payload, eight, &vec![spki; 8]);
    let n = baseline(&server, path, &normal, any).await;
    let w = median_cost(&server, path, &worst, runs, long, any).await;
    eprintln!("measured: {w:?} vs {n:?}");
    report.push(("dsse, Ed25519: 8 signatures x 8 keys, 1 MiB payload", w, n));

    // intoto 0.0.2: 8 signatures each listed with its key.
    let normal = intoto_v2_entry(&payload, &[valid_sig(&key, &payload)], &key);
    let mut sigs = vec![wrong_sig(); 7];
    sigs.push(valid_sig(&key, &payload));
    let worst = intoto_v2_entry(&payload, &sigs, &key);
    let n = baseline(&server, path, &normal, any).await;
    let w = median_cost(&server, path, &worst, runs, long, any).await;
    eprintln!("measured: {w:?} vs {n:?}");
    report.push(("intoto 0.0.2: 8 signatures x 8 keys, 1 MiB payload", w, n));

    // Refused early: 1,000 null signatures (the request).
    let mut nulls = vec![Value::Null; 1000];
    nulls.push(valid_sig(&key, &payload));
    let worst = dsse_entry(&payload, nulls, &key, 1);
    let normal = dsse_entry(&payload, vec![valid_sig(&key, &payload)], &key, 1);
    let n = baseline(&server, path, &normal, any).await;
    let w = median_cost(&server, path, &worst, runs, long, any).await;
    eprintln!("measured: {w:?} vs {n:?}");
    report.push(("dsse: 1,000 null signatures, 1 MiB payload", w, n));

    for (what, w, n) in report {
        println!(
            "| {what} | {w:.1?} | {n:.1?} | {:.2} |",
            w.as_secs_f64() / n.as_secs_f64()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_out_verification_is_abandoned_and_frees_its_slot() {
    use ed25519_dalek::Signer as _;
    let mut config = RekorConfig::new(HOSTNAME, GOLDEN_TREE_ID);
    config.verify_workers = 1;
    config.verify_queue = 0;
    config.request_timeout = Duration::from_millis(200);
    let server = start_with(config, LedgerConfig::new(0)).await;
    // 8 signatures x 8 Ed25519 keys over 8 MiB: 36 passes over the payload, far longer than
    // the 200 ms timeout.
    let mut payload = big_payload("abandon");
    payload.resize(8 << 20, b' ');
    let (ed, spki) = ed25519_key(9);
    let pae_bytes = pae("application/vnd.in-toto+json", &payload);
    let good = json!({"sig": b64().encode(ed.sign(&pae_bytes).to_bytes())});
    let mut sigs = vec![json!({"sig": b64().encode([1u8; 64])}); 7];
    sigs.push(good);
    let body = dsse_raw(&payload, sigs, &vec![spki; 8]);
    let resp = server.post_json("/api/v1/log/entries", &body).await;
    assert_eq!(resp.status, 503, "{}", resp.text());
    assert_eq!(resp.header("retry-after"), Some("1"));
    let counters = server.service.metrics().verification();
    let stopped = Instant::now();
    while counters.abandoned() == 0 {
        assert!(
            stopped.elapsed() < Duration::from_secs(20),
            "the timed-out job never stopped"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Its slot is free again: a small entry goes through the pool of one.
    let small = fresh_hashedrekord(b"after the abandoned one");
    let r = server.post_json("/api/v1/log/entries", &small).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(counters.abandoned(), 1);
    assert_eq!(server.tree_size().await, 1);
}
