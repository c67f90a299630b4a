//! Derived vectors (`tests/vectors/rekor-v1/derived/`) and the byte layout of `LogEntry`
//! responses captured from real Rekor.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use sigstack_rekor::{
    canonicalize, entries_to_json, parse_entry_ref, parse_stored, EntryRef, InclusionProof,
    LogEntry, Options, SetPayload, Uuid, Verification,
};

#[test]
fn proposed_to_canonical() {
    let doc = read_json(&vectors().join("rekor-v1/derived/proposed-to-canonical.json"));
    for case in doc["cases"].as_array().unwrap() {
        let file = case["proposed_file"].as_str().unwrap();
        let proposed = read(&vectors().join(file));
        let entry =
            canonicalize(&proposed, &Options::default()).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            std::str::from_utf8(entry.body()).unwrap(),
            case["expected_canonical_body_utf8"].as_str().unwrap(),
            "{file}"
        );
        assert_eq!(
            entry.uuid().to_string(),
            case["expected_leaf_hash_hex"].as_str().unwrap()
        );
    }
}

#[test]
fn real_entries_bodies_uuids_and_set_payloads() {
    let doc = read_json(&vectors().join("rekor-v1/derived/real-entries.json"));
    let entries = doc["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 6);
    let mut responses = 0;
    for e in entries {
        let name = e["bundle_file"].as_str().unwrap();
        let body = e["canonical_body_utf8"].as_str().unwrap().as_bytes();
        let stored = parse_stored(body).unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(stored.body(), body, "{name}");
        assert_eq!(stored.kind().as_str(), e["kind"].as_str().unwrap());
        assert_eq!(stored.api_version(), e["api_version"].as_str().unwrap());
        let uuid = e["leaf_hash_hex_aka_uuid"].as_str().unwrap();
        assert_eq!(stored.uuid().to_string(), uuid, "{name}");
        assert_eq!(Uuid::of_body(body).to_string(), uuid);

        let set = SetPayload {
            body,
            integrated_time: e["integrated_time"].as_i64().unwrap(),
            log_id: e["log_id_hex"].as_str().unwrap(),
            log_index: e["global_log_index"].as_i64().unwrap(),
        };
        assert_eq!(
            String::from_utf8(set.to_bytes().unwrap()).unwrap(),
            e["set_signed_payload_utf8"].as_str().unwrap(),
            "{name}"
        );
        let signed = set
            .sign(&|msg| msg.iter().rev().copied().collect())
            .unwrap();
        assert_eq!(signed.len(), set.to_bytes().unwrap().len());

        // The API response re-encoded from its parts is the same JSON.
        let response = &e["as_rekor_v1_api_response"];
        if response.as_object().unwrap().keys().next().unwrap().len() != 80 {
            continue; // re-expressed from a bundle without the tree ID: not a server response
        }
        let entry = log_entry_from_json(response);
        if let Some(id) = e["entry_id_80hex"].as_str() {
            assert_eq!(entry.entry_id.to_string(), id);
        }
        let ours: Value = serde_json::from_str(&entry.to_json()).unwrap();
        assert_eq!(&ours, response, "{name}");
        assert_eq!(
            entry.set_payload().to_bytes().unwrap(),
            set.to_bytes().unwrap()
        );
        responses += 1;
    }
    assert_eq!(responses, 4);
}

/// Rebuilds a [`LogEntry`] from a parsed `{"<id>": {...}}` response.
fn log_entry_from_json(v: &Value) -> LogEntry {
    let (id, e) = v.as_object().unwrap().iter().next().unwrap();
    let EntryRef::EntryId(entry_id) = parse_entry_ref(id).unwrap() else {
        panic!("not an 80-hex entry ID: {id}");
    };
    let verification = e.get("verification").map(|v| Verification {
        inclusion_proof: v.get("inclusionProof").map(|p| InclusionProof {
            checkpoint: p["checkpoint"].as_str().unwrap().to_owned(),
            hashes: p["hashes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    hex::decode(h.as_str().unwrap())
                        .unwrap()
                        .try_into()
                        .unwrap()
                })
                .collect(),
            log_index: p["logIndex"].as_i64().unwrap(),
            root_hash: hex::decode(p["rootHash"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap(),
            tree_size: p["treeSize"].as_i64().unwrap(),
        }),
        signed_entry_timestamp: b64(v["signedEntryTimestamp"].as_str().unwrap()),
    });
    LogEntry {
        entry_id,
        body: b64(e["body"].as_str().unwrap()),
        integrated_time: e["integratedTime"].as_i64().unwrap(),
        log_id: e["logID"].as_str().unwrap().to_owned(),
        log_index: e["logIndex"].as_i64().unwrap(),
        verification,
        attestation: e
            .get("attestation")
            .map(|a| b64(a["data"].as_str().unwrap_or(""))),
    }
}

#[test]
fn log_entry_json_is_byte_identical_to_rekor() {
    let mut checked = 0;
    for dir in golden_rekor_dirs() {
        for path in records(&dir.join("read")) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let record = read_json(&path);
            if record["response"]["status"] != 200 {
                continue;
            }
            let text = record["response"]["body_text"].as_str().unwrap_or("");
            if name.starts_with("GET-entries") {
                let entry = log_entry_from_json(&serde_json::from_str(text).unwrap());
                assert_eq!(format!("{}\n", entry.to_json()), text, "{name}");
                checked += 1;
            } else if name.starts_with("POST-retrieve") {
                let list: Value = serde_json::from_str(text).unwrap();
                let entries: Vec<LogEntry> = list
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(log_entry_from_json)
                    .collect();
                assert_eq!(format!("{}\n", entries_to_json(&entries)), text, "{name}");
                checked += 1;
            }
        }
        // The 201 of a create is the same shape.
        let record = read_json(&dir.join("create/hashedrekord-ecdsa-p256-pubkey.json"));
        let text = record["response"]["body_text"].as_str().unwrap();
        let entry = log_entry_from_json(&serde_json::from_str(text).unwrap());
        assert_eq!(format!("{}\n", entry.to_json()), text);
    }
    assert!(checked >= 20, "only {checked} read cases");
}

#[test]
fn empty_retrieve_result_is_an_empty_array() {
    assert_eq!(entries_to_json(&[]), "[]");
}
