//! The transparency-dev proof vectors (copied into `tests/vectors/merkle/`): every happy path
//! verifies and every mutation of it is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use base64::{engine::general_purpose::STANDARD, Engine};
use serde::Deserialize;
use sigstack_merkle::{
    leaf_hash, node_hash, verify_consistency, verify_inclusion, Hash, EMPTY_ROOT,
};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/merkle")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(json_files(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Decodes a base64 hash; `None` when it is not 32 bytes (some vectors use junk on purpose).
fn hash(b64: &str) -> Option<Hash> {
    STANDARD.decode(b64).ok()?.try_into().ok()
}

/// Roots of any length: the suite uses junk roots ("don't care") where only their equality
/// matters, so a non-32-byte root is mapped to its SHA-256, which preserves equality and can
/// never equal a real root.
fn root(b64: &str) -> Option<Hash> {
    let raw = STANDARD.decode(b64).ok()?;
    Some(raw.clone().try_into().unwrap_or_else(|_| {
        ring::digest::digest(&ring::digest::SHA256, &raw)
            .as_ref()
            .try_into()
            .unwrap()
    }))
}

fn proof(list: &Option<Vec<String>>) -> Option<Vec<Hash>> {
    list.iter().flatten().map(|h| hash(h)).collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InclusionCase {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConsistencyCase {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

fn inclusion_ok(case: &InclusionCase) -> bool {
    let (index, size) = (case.leaf_idx, case.tree_size);
    let (Some(root), Some(leaf), Some(proof)) =
        (root(&case.root), hash(&case.leaf_hash), proof(&case.proof))
    else {
        return false;
    };
    verify_inclusion(&leaf, index, size, &proof, &root).is_ok()
}

fn consistency_ok(case: &ConsistencyCase) -> bool {
    let (old, new) = (case.size1, case.size2);
    let (Some(r1), Some(r2), Some(proof)) =
        (root(&case.root1), root(&case.root2), proof(&case.proof))
    else {
        return false;
    };
    verify_consistency(old, new, &proof, &r1, &r2).is_ok()
}

#[test]
fn inclusion_vectors() {
    let files = json_files(&vectors().join("inclusion"));
    assert!(
        files.len() > 50,
        "expected the inclusion suite, found {}",
        files.len()
    );
    let (mut pass, mut fail) = (0, 0);
    for file in files {
        let case: InclusionCase = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let ok = inclusion_ok(&case);
        assert_eq!(ok, !case.want_err, "{}: {}", file.display(), case.desc);
        if ok {
            pass += 1
        } else {
            fail += 1
        }
    }
    assert!(pass >= 5 && fail >= 50, "pass {pass} fail {fail}");
}

#[test]
fn consistency_vectors() {
    let files = json_files(&vectors().join("consistency"));
    assert!(
        files.len() > 50,
        "expected the consistency suite, found {}",
        files.len()
    );
    let (mut pass, mut fail) = (0, 0);
    for file in files {
        let case: ConsistencyCase = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let ok = consistency_ok(&case);
        assert_eq!(ok, !case.want_err, "{}: {}", file.display(), case.desc);
        if ok {
            pass += 1
        } else {
            fail += 1
        }
    }
    assert!(pass >= 5 && fail >= 50, "pass {pass} fail {fail}");
}

#[derive(Deserialize)]
struct ReferenceTree {
    hasher_cases: Vec<serde_json::Value>,
    leaf_inputs_hex: Vec<String>,
    node_hashes_by_level: Vec<Vec<String>>,
    root_hash_by_tree_size: std::collections::BTreeMap<u64, String>,
}

#[test]
fn rfc6962_reference_tree() {
    let tree: ReferenceTree = serde_json::from_slice(
        &std::fs::read(vectors().join("rfc6962-reference-tree.json")).unwrap(),
    )
    .unwrap();
    for case in &tree.hasher_cases {
        if let Some(root) = case.get("empty_root") {
            assert_eq!(hex::encode(EMPTY_ROOT), root.as_str().unwrap());
        } else if let Some(leaf) = case.get("leaf_hash") {
            let input = hex::decode(case["leaf_input_hex"].as_str().unwrap()).unwrap();
            assert_eq!(hex::encode(leaf_hash(&input)), leaf.as_str().unwrap());
        } else {
            let l = hex::decode(case["left_hex"].as_str().unwrap()).unwrap();
            let r = hex::decode(case["right_hex"].as_str().unwrap()).unwrap();
            // Node hashing of raw (non-32-byte) children: SHA-256(0x01 ‖ left ‖ right).
            let mut input = vec![0x01];
            input.extend(&l);
            input.extend(&r);
            let want = ring::digest::digest(&ring::digest::SHA256, &input);
            assert_eq!(
                hex::encode(want.as_ref()),
                case["node_hash"].as_str().unwrap()
            );
        }
    }
    let leaves: Vec<Hash> = tree
        .leaf_inputs_hex
        .iter()
        .map(|h| leaf_hash(&hex::decode(h).unwrap()))
        .collect();
    assert_eq!(
        leaves.iter().map(hex::encode).collect::<Vec<_>>(),
        tree.node_hashes_by_level[0]
    );
    let mut edge = sigstack_merkle::RightEdge::empty();
    assert_eq!(hex::encode(edge.root()), tree.root_hash_by_tree_size[&0]);
    for (size, leaf) in leaves.iter().enumerate() {
        let outcome = edge.append(&[*leaf]).unwrap();
        assert_eq!(
            hex::encode(outcome.root),
            tree.root_hash_by_tree_size[&(size as u64 + 1)]
        );
    }
    let level1: Vec<String> = leaves
        .chunks(2)
        .map(|p| hex::encode(node_hash(&p[0], &p[1])))
        .collect();
    assert_eq!(level1, tree.node_hashes_by_level[1]);
}
