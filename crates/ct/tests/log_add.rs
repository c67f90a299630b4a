//! The CT log's write and read paths over HTTP on the in-memory ledger store, checked the way
//! a CA, a client and a monitor check them: SCTs verify with the log key over the entry (and
//! embedded, from the final certificate), every entry is in the tree the signed tree head
//! signs, `get-entries` gives back leaves that hash to the tree's leaves and the chains, and
//! tree heads are consistent with each other.
#![allow(clippy::unwrap_used)]

mod log_support;

use base64::Engine as _;
use log_support::*;
use sigstack_ct::log::CtConfig;
use sigstack_ct::{
    certificate_chain, precert_chain_entry, verify_embedded_scts, EcdsaP256LogSigner,
    MerkleTreeLeaf, PrecertEntry, SignedCertificateTimestamp, SignedEntry, SignedTreeHead,
};
use sigstack_ledger::store::Store;
use sigstack_ledger::MemoryStore;
use sigstack_merkle::{leaf_hash, verify_consistency, verify_inclusion, Hash};
use std::sync::Arc;

/// Asserts `get-proof-by-hash` places `leaf` at `index` in the tree `sth` signs.
async fn assert_included<S: Store>(t: &TestLog<S>, leaf: &Hash, index: u64, sth: &SignedTreeHead) {
    let q = format!(
        "get-proof-by-hash?hash={}&tree_size={}",
        query_escape(&b64().encode(leaf)),
        sth.tree_size
    );
    let resp = t.get(&q).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let v = resp.json();
    assert_eq!(v["leaf_index"].as_u64(), Some(index));
    let path = decode_path(&v["audit_path"]);
    verify_inclusion(leaf, index, sth.tree_size, &path, &sth.root_hash).unwrap();
}

fn precert_entry(t: &TestLog, precert: &[u8]) -> SignedEntry {
    SignedEntry::Precert(
        PrecertEntry::from_precertificate(precert, &t.pki.intermediate.der).unwrap(),
    )
}

fn leaf_of(sct: &SignedCertificateTimestamp, entry: SignedEntry) -> Hash {
    MerkleTreeLeaf {
        entry: sct.timestamped_entry(entry),
    }
    .leaf_hash()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_pre_chain_sct_verifies_embedded_and_the_entry_is_in_the_signed_tree() {
    let t = start().await;
    let precert = t.pki.precert();
    let sct = t.add("add-pre-chain", &t.pki.chain(precert.clone())).await;
    assert_eq!(sct.log_id, t.key.log_id());
    assert_eq!(sct.log_id, log_id_of(&t.pkcs8));
    assert!(sct.extensions.is_empty());
    let entry = precert_entry(&t, &precert);
    sct.verify(&entry, &t.key).unwrap();
    // Not over some other entry.
    let other = precert_entry(&t, &t.pki.precert());
    assert!(sct.verify(&other, &t.key).is_err());

    // What the CA does with it, and what cosign / sigstore-js then check.
    let final_cert = t.pki.embed(&precert, std::slice::from_ref(&sct));
    let verified = verify_embedded_scts(
        &final_cert,
        &t.pki.intermediate.der,
        std::slice::from_ref(&t.key),
    )
    .unwrap();
    assert_eq!(verified, vec![sct.clone()]);

    let sth = t.sth().await;
    assert_eq!(sth.tree_size, 1);
    assert!(sth.timestamp >= sct.timestamp, "tree head predates its SCT");
    assert_included(&t, &leaf_of(&sct, entry), 0, &sth).await;
    t.assert_fsck_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_chain_sct_verifies_over_the_x509_entry_and_is_in_the_tree() {
    let t = start().await;
    let cert = t.pki.final_cert();
    let sct = t.add("add-chain", &t.pki.chain(cert.clone())).await;
    let entry = SignedEntry::X509(cert.clone());
    sct.verify(&entry, &t.key).unwrap();
    let sth = t.sth().await;
    assert_eq!(sth.tree_size, 1);
    assert_included(&t, &leaf_of(&sct, entry), 0, &sth).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_add_pre_chain_is_the_same_log() {
    let t = start().await;
    let precert = t.pki.precert();
    // The CA in the same process calls the log directly.
    let sct = t
        .log
        .add_pre_chain(t.pki.chain(precert.clone()))
        .await
        .unwrap();
    let entry = precert_entry(&t, &precert);
    sct.verify(&entry, &t.key).unwrap();
    let sth = t.sth().await;
    assert_included(&t, &leaf_of(&sct, entry), 0, &sth).await;
    // The SCT's bytes are what gets embedded.
    let bytes = sct.to_bytes().unwrap();
    assert_eq!(SignedCertificateTimestamp::from_bytes(&bytes).unwrap(), sct);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_entries_returns_the_hashed_leaves_and_the_chains() {
    let t = start().await;
    let root = t.pki.root.der.clone();
    let inter = t.pki.intermediate.der.clone();
    let mut expected = Vec::new();
    for i in 0..7 {
        if i % 3 == 2 {
            let cert = t.pki.final_cert();
            let sct = t.add("add-chain", &t.pki.chain(cert.clone())).await;
            let extra = certificate_chain(&[inter.clone(), root.clone()]).unwrap();
            expected.push((sct, SignedEntry::X509(cert), extra));
        } else {
            let precert = t.pki.precert();
            // Every other precert chain leaves the root off: the log adds it.
            let chain = if i % 2 == 0 {
                t.pki.chain(precert.clone())
            } else {
                vec![precert.clone(), inter.clone()]
            };
            let sct = t.add("add-pre-chain", &chain).await;
            let extra = precert_chain_entry(&precert, &[inter.clone(), root.clone()]).unwrap();
            expected.push((sct, precert_entry(&t, &precert), extra));
        }
    }
    let sth = t.sth().await;
    assert_eq!(sth.tree_size, 7);
    let resp = t.get("get-entries?start=0&end=99").await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let entries = resp.json()["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 7);
    for (i, (got, (sct, entry, extra))) in entries.iter().zip(&expected).enumerate() {
        let leaf_input = b64().decode(got["leaf_input"].as_str().unwrap()).unwrap();
        let leaf = MerkleTreeLeaf::from_bytes(&leaf_input).unwrap();
        assert_eq!(leaf.entry.timestamp, sct.timestamp, "entry {i}");
        assert_eq!(&leaf.entry.entry, entry, "entry {i}");
        assert_eq!(
            leaf_hash(&leaf_input),
            leaf_of(sct, entry.clone()),
            "entry {i}"
        );
        let extra_data = b64().decode(got["extra_data"].as_str().unwrap()).unwrap();
        assert_eq!(&extra_data, extra, "entry {i}");
        assert_included(&t, &leaf_hash(&leaf_input), i as u64, &sth).await;
        // get-entry-and-proof agrees.
        let resp = t
            .get(&format!("get-entry-and-proof?leaf_index={i}&tree_size=7"))
            .await;
        assert_eq!(resp.status, 200, "{}", resp.text());
        let v = resp.json();
        assert_eq!(v["leaf_input"], got["leaf_input"]);
        assert_eq!(v["extra_data"], got["extra_data"]);
        let path = decode_path(&v["audit_path"]);
        verify_inclusion(&leaf_hash(&leaf_input), i as u64, 7, &path, &sth.root_hash).unwrap();
    }
    // A sub-range, inclusive of `end`.
    let resp = t.get("get-entries?start=2&end=3").await;
    let sub = resp.json()["entries"].as_array().unwrap().clone();
    assert_eq!(sub, entries[2..=3].to_vec());
    t.assert_fsck_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_entries_is_capped() {
    let pki = Pki::new("capped");
    let mut config = CtConfig::new(SHARD, vec![pki.root.der.clone()]);
    config.max_get_entries = 2;
    let (_, pkcs8) = EcdsaP256LogSigner::generate().unwrap();
    let t = start_on(Arc::new(MemoryStore::new()), pki, config, pkcs8).await;
    for _ in 0..5 {
        t.add("add-pre-chain", &t.pki.chain(t.pki.precert())).await;
    }
    let resp = t.get("get-entries?start=1&end=4").await;
    assert_eq!(resp.status, 200);
    let entries = resp.json()["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 2);
    let all = t.log.entries(0, 4).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].index, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tree_heads_are_consistent() {
    let t = start().await;
    let empty = t.sth().await;
    assert_eq!(empty.tree_size, 0);
    for _ in 0..3 {
        t.add("add-pre-chain", &t.pki.chain(t.pki.precert())).await;
    }
    let first = t.sth().await;
    for _ in 0..6 {
        t.add("add-pre-chain", &t.pki.chain(t.pki.precert())).await;
    }
    let second = t.sth().await;
    assert_eq!((first.tree_size, second.tree_size), (3, 9));
    assert!(empty.timestamp <= first.timestamp && first.timestamp <= second.timestamp);
    let resp = t.get("get-sth-consistency?first=3&second=9").await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let proof = decode_path(&resp.json()["consistency"]);
    assert!(!proof.is_empty());
    verify_consistency(3, 9, &proof, &first.root_hash, &second.root_hash).unwrap();
    // The proof is specific: it does not link the second head to a wrong first root.
    assert!(verify_consistency(3, 9, &proof, &second.root_hash, &second.root_hash).is_err());
    for q in ["first=9&second=9", "first=0&second=9"] {
        let resp = t.get(&format!("get-sth-consistency?{q}")).await;
        assert_eq!(resp.status, 200, "{q}");
        assert_eq!(resp.json()["consistency"], serde_json::json!([]), "{q}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resubmitted_chain_gets_the_sct_of_the_logged_entry() {
    let t = start().await;
    let chain = t.pki.chain(t.pki.precert());
    let first = t.add("add-pre-chain", &chain).await;
    let again = t.add("add-pre-chain", &chain).await;
    assert_eq!(again.timestamp, first.timestamp);
    assert_eq!(again.log_id, first.log_id);
    let entry = precert_entry(&t, &chain[0]);
    again.verify(&entry, &t.key).unwrap();
    // Without the root it is the same entry too.
    let short = t.add("add-pre-chain", &chain[..2]).await;
    assert_eq!(short.timestamp, first.timestamp);
    assert_eq!(t.tree_size().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_roots_lists_the_accepted_roots() {
    let t = start().await;
    let resp = t.get("get-roots").await;
    assert_eq!(resp.status, 200);
    let certs = resp.json()["certificates"].as_array().unwrap().clone();
    assert_eq!(certs.len(), 1);
    assert_eq!(
        b64().decode(certs[0].as_str().unwrap()).unwrap(),
        t.pki.root.der
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_prefix_moves_every_endpoint() {
    let pki = Pki::new("prefixed");
    let mut config = CtConfig::new(SHARD, vec![pki.root.der.clone()]);
    config.path_prefix = "/sigstack-ctlog/".to_owned();
    let (_, pkcs8) = EcdsaP256LogSigner::generate().unwrap();
    let t = start_on(Arc::new(MemoryStore::new()), pki, config, pkcs8).await;
    assert_eq!(t.prefix, "/sigstack-ctlog");
    let sct = t.add("add-pre-chain", &t.pki.chain(t.pki.precert())).await;
    assert_eq!(sct.log_id, t.key.log_id());
    assert_eq!(t.sth().await.tree_size, 1);
    let bare = request(t.addr, "GET", "/ct/v1/get-sth", b"").await;
    assert_eq!(bare.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_adds_are_batched_and_every_sct_is_in_the_tree() {
    let t = Arc::new(start().await);
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let t = Arc::clone(&t);
        tasks.push(tokio::spawn(async move {
            let precert = t.pki.precert();
            let sct = t
                .log
                .add_pre_chain(t.pki.chain(precert.clone()))
                .await
                .unwrap();
            (precert, sct)
        }));
    }
    let mut added = Vec::new();
    for task in tasks {
        added.push(task.await.unwrap());
    }
    let sth = t.sth().await;
    assert_eq!(sth.tree_size, 64);
    let metrics = t.log.ledger().metrics();
    assert!(
        metrics.batches_committed < 64,
        "no batching happened: {metrics:?}"
    );
    let mut indexes = std::collections::HashSet::new();
    for (precert, sct) in added {
        let entry = precert_entry(&t, &precert);
        sct.verify(&entry, &t.key).unwrap();
        assert!(sct.timestamp <= sth.timestamp);
        let leaf = leaf_of(&sct, entry);
        let (index, proof) = t.log.proof_by_hash(&leaf, sth.tree_size).await.unwrap();
        verify_inclusion(&leaf, index, sth.tree_size, &proof, &sth.root_hash).unwrap();
        assert!(indexes.insert(index));
    }
    t.assert_fsck_clean().await;
}
