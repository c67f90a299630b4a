//! Loading of the shared test vectors (`tests/vectors/` at the workspace root).
#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

pub fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

pub fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&read(path))
        .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

pub fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

pub fn b64e(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// The golden Rekor v1 capture directories.
pub fn golden_rekor_dirs() -> Vec<PathBuf> {
    ["rekor-v1.5.3", "rekor-v1.3.9"]
        .iter()
        .map(|d| vectors().join("golden").join(d))
        .collect()
}

/// Sorted `*.json` records of a golden sub-directory (skipping bodies and side files).
pub fn records(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.ends_with(".json")
                && !name.ends_with(".canonical-body.json")
                && !name.ends_with(".envelope.json")
                && name != "result.json"
        })
        .collect();
    out.sort();
    out
}

pub fn request_body(record: &Value) -> String {
    record["request"]["body_text"].as_str().unwrap().to_owned()
}

/// The single 80-hex key of a `LogEntry` response body.
pub fn response_entry_id(record: &Value) -> String {
    let body: Value =
        serde_json::from_str(record["response"]["body_text"].as_str().unwrap()).unwrap();
    let map = body.as_object().unwrap();
    assert_eq!(map.len(), 1);
    map.keys().next().unwrap().clone()
}

/// The decoded `body` of the single `LogEntry` of a response.
pub fn response_body(record: &Value) -> Vec<u8> {
    let body: Value =
        serde_json::from_str(record["response"]["body_text"].as_str().unwrap()).unwrap();
    let entry = body.as_object().unwrap().values().next().unwrap();
    b64(entry["body"].as_str().unwrap())
}

/// A hashedrekord 0.0.1 proposed entry.
pub fn hashedrekord(key_pem: &[u8], sig: &[u8], algorithm: &str, digest_hex: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "signature": { "content": b64e(sig), "publicKey": { "content": b64e(key_pem) } },
            "data": { "hash": { "algorithm": algorithm, "value": digest_hex } }
        }
    }))
    .unwrap()
}

/// A rekord 0.0.1 proposed entry.
pub fn rekord(format: &str, key: &[u8], sig: &[u8], artifact: &[u8]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "rekord",
        "spec": {
            "signature": { "format": format, "content": b64e(sig), "publicKey": { "content": b64e(key) } },
            "data": { "content": b64e(artifact) }
        }
    }))
    .unwrap()
}

pub fn sha_hex(alg: &str, data: &[u8]) -> String {
    use sha2::Digest as _;
    match alg {
        "sha256" => hex::encode(sha2::Sha256::digest(data)),
        "sha384" => hex::encode(sha2::Sha384::digest(data)),
        _ => hex::encode(sha2::Sha512::digest(data)),
    }
}
