//! Real inclusion proofs from production and staging Rekor v1 and Rekor v2 verify with this
//! crate against the roots of the checkpoints they came with, and fail when tampered.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::Value;
use sigstack_merkle::{leaf_hash, verify_inclusion, Hash};

fn load(rel: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(rel);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn hex32(s: &str) -> Hash {
    hex::decode(s).unwrap().try_into().unwrap()
}

fn b64_32(s: &str) -> Hash {
    STANDARD.decode(s).unwrap().try_into().unwrap()
}

fn check(leaf: Hash, index: u64, size: u64, proof: &[Hash], root: Hash) {
    verify_inclusion(&leaf, index, size, proof, &root).unwrap();
    let mut bad = proof.to_vec();
    bad[0][0] ^= 1;
    assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
    assert!(verify_inclusion(&leaf, index + 1, size, proof, &root).is_err());
}

#[test]
fn rekor_v1_production_and_staging_proofs() {
    let v = load("rekor-v1/derived/real-entries.json");
    let mut checked = 0;
    for entry in v["entries"].as_array().unwrap() {
        let Some(proof) = entry["inclusion_proof"].as_object() else {
            continue; // the bundle carried only a SET
        };
        let body = entry["canonical_body_utf8"].as_str().unwrap();
        let leaf = leaf_hash(body.as_bytes());
        assert_eq!(
            hex::encode(leaf),
            entry["leaf_hash_hex_aka_uuid"].as_str().unwrap()
        );
        let hashes: Vec<Hash> = proof["hashes_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hex32(h.as_str().unwrap()))
            .collect();
        let root = hex32(proof["root_hash_hex"].as_str().unwrap());
        let size = proof["tree_size"].as_u64().unwrap();
        check(
            leaf,
            proof["log_index_within_shard"].as_u64().unwrap(),
            size,
            &hashes,
            root,
        );
        if let Some(cp) = entry["checkpoint"].as_object() {
            assert_eq!(cp["tree_size"].as_u64().unwrap(), size);
            assert_eq!(hex32(cp["root_hash_hex"].as_str().unwrap()), root);
        }
        checked += 1;
    }
    assert_eq!(checked, 5);
}

#[test]
fn rekor_v2_staging_proofs() {
    let v = load("rekor-v2/derived/real-entries.json");
    let mut checked = 0;
    for entry in v["entries"].as_array().unwrap() {
        let tle = &entry["tle_as_in_bundle"];
        let body = STANDARD
            .decode(tle["canonicalizedBody"].as_str().unwrap())
            .unwrap();
        let leaf = leaf_hash(&body);
        assert_eq!(hex::encode(leaf), entry["leaf_hash_hex"].as_str().unwrap());
        let p = &tle["inclusionProof"];
        let hashes: Vec<Hash> = p["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| b64_32(h.as_str().unwrap()))
            .collect();
        let index: u64 = p["logIndex"].as_str().unwrap().parse().unwrap();
        let size: u64 = p["treeSize"].as_str().unwrap().parse().unwrap();
        let root = b64_32(p["rootHash"].as_str().unwrap());
        check(leaf, index, size, &hashes, root);
        assert_eq!(
            hex32(entry["checkpoint"]["root_hash_hex"].as_str().unwrap()),
            root
        );
        checked += 1;
    }
    assert_eq!(checked, 2);
}
