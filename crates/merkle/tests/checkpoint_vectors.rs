//! Checkpoint vectors: transparency-dev/formats body cases and the real production/staging
//! Rekor v1 (ECDSA) and v2 (Ed25519, with witness cosignatures) checkpoints from
//! `tests/vectors/`.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;
use sigstack_merkle::checkpoint::{
    rekor_v1_origin, split_rekor_v1_origin, Checkpoint, CheckpointError, SignedCheckpoint,
};
use sigstack_merkle::note::{NamedVerifier, NoteError, NoteVerifier};
use sigstack_merkle::signature::{Ed25519Verifier, PublicKey};

fn vectors(rel: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(rel);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The DER inside a PEM `PUBLIC KEY` block.
fn pem_to_der(pem: &str) -> Vec<u8> {
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    STANDARD.decode(b64).unwrap()
}

/// SHA-256 of `data`, 32 bytes, to stand in for the vectors' non-32-byte "hashes".
fn stand_in_hash(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    d.as_ref().try_into().unwrap()
}

/// The formats vectors use short fake hashes ("bananas"); sigstack checkpoints carry SHA-256
/// roots only. Replace a third line that is valid base64 of the wrong length by a 32-byte
/// stand-in so every *other* property of the case is still tested.
fn with_32_byte_root(input: &str) -> (String, Option<[u8; 32]>) {
    let mut lines: Vec<String> = input.split('\n').map(str::to_owned).collect();
    if lines.len() >= 3 {
        if let Ok(raw) = STANDARD.decode(&lines[2]) {
            if raw.len() != 32 {
                let root = stand_in_hash(&raw);
                lines[2] = STANDARD.encode(root);
                return (lines.join("\n"), Some(root));
            }
        }
    }
    (input.to_owned(), None)
}

#[test]
fn formats_marshal_cases() {
    let v = vectors("signed-note/formats-checkpoints-and-vkeys.json");
    for case in v["marshal_cases"].as_array().unwrap() {
        let hash_ascii = case["hash_ascii"].as_str().unwrap();
        let root = stand_in_hash(hash_ascii.as_bytes());
        let cp = Checkpoint::new(
            case["origin"].as_str().unwrap(),
            case["size"].as_u64().unwrap(),
            root,
        );
        let want = case["want"]
            .as_str()
            .unwrap()
            .replace(&STANDARD.encode(hash_ascii), &STANDARD.encode(root));
        assert_eq!(cp.to_text(), want);
        assert_eq!(Checkpoint::parse(&want).unwrap(), cp);
    }
}

#[test]
fn formats_unmarshal_cases() {
    let v = vectors("signed-note/formats-checkpoints-and-vkeys.json");
    let cases = v["unmarshal_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 11);
    for case in cases {
        let input = case["in"].as_str().unwrap();
        let (adapted, stand_in) = with_32_byte_root(input);
        let got = Checkpoint::parse(&adapted);
        if case["want_err"].as_bool().unwrap() {
            assert!(got.is_err(), "must fail: {input:?}");
            continue;
        }
        let rest = case["want_rest"].as_str().unwrap_or("");
        if rest.split_terminator('\n').any(str::is_empty) {
            // Deliberate deviation: formats' body parser returns empty trailing lines as
            // "rest", but C2SP tlog-checkpoint says extension lines MUST be non-empty.
            assert_eq!(
                got.unwrap_err(),
                CheckpointError::Malformed("empty extension line"),
                "{input:?}"
            );
            continue;
        }
        let cp = got.unwrap_or_else(|e| panic!("{input:?}: {e}"));
        if let Some(origin) = case["want_origin"].as_str() {
            assert_eq!(cp.origin, origin);
        }
        if let Some(size) = case["want_size"].as_u64() {
            assert_eq!(cp.size, size);
        }
        if let Some(root) = stand_in {
            assert_eq!(cp.root_hash, root);
        }
        let want_ext: Vec<&str> = rest.split_terminator('\n').collect();
        assert_eq!(cp.extension_lines, want_ext, "{input:?}");
        assert_eq!(cp.to_text(), adapted);
        // The unadapted short hashes are refused for their length, nothing else.
        if stand_in.is_some() {
            assert!(matches!(
                Checkpoint::parse(input),
                Err(CheckpointError::RootHashLength(n)) if n != 32
            ));
        }
    }
}

/// The v1 entries that carry a checkpoint, with the exact served note text.
fn rekor_v1_checkpoints() -> Vec<(Value, String, String)> {
    let v = vectors("rekor-v1/derived/real-entries.json");
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["checkpoint"].is_null())
        .map(|e| {
            let response = e["as_rekor_v1_api_response"].as_object().unwrap();
            let (_, entry) = response.iter().next().unwrap();
            let served = entry["verification"]["inclusionProof"]["checkpoint"]
                .as_str()
                .unwrap()
                .to_owned();
            let pem = e["log_public_key_pem"].as_str().unwrap().to_owned();
            (e["checkpoint"].clone(), served, pem)
        })
        .collect()
}

#[test]
fn rekor_v1_real_checkpoints_parse_and_verify() {
    let entries = rekor_v1_checkpoints();
    assert_eq!(entries.len(), 4);
    let all = vectors("rekor-v1/derived/real-entries.json");
    for (want, served, pem) in &entries {
        let signed = SignedCheckpoint::parse(served.as_bytes()).unwrap();
        assert_eq!(signed.encode(), *served, "re-encoding must be byte-exact");
        assert_eq!(
            signed.note().text(),
            want["note_text_signed"].as_str().unwrap()
        );

        let cp = signed.checkpoint();
        assert_eq!(cp.origin, want["origin"].as_str().unwrap());
        assert_eq!(cp.size, want["tree_size"].as_u64().unwrap());
        assert_eq!(
            hex::encode(cp.root_hash),
            want["root_hash_hex"].as_str().unwrap()
        );
        let ext: Vec<&str> = want["extension_lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert_eq!(cp.extension_lines, ext);

        let hostname = want["rekor_v1_hostname"].as_str().unwrap();
        let tree_id = want["tree_id_decimal"].as_u64().unwrap();
        assert_eq!(split_rekor_v1_origin(&cp.origin), Some((hostname, tree_id)));
        assert_eq!(rekor_v1_origin(hostname, tree_id), cp.origin);

        let line = &want["signature_lines"][0];
        let sigs = signed.note().signatures();
        assert_eq!(sigs.len(), 1);
        assert_eq!(sigs[0].name, line["name"].as_str().unwrap());
        assert_eq!(sigs[0].name, hostname, "v1 key name is the hostname");
        assert_eq!(
            sigs[0].key_id.to_string(),
            line["key_hint_hex"].as_str().unwrap()
        );
        assert_eq!(
            STANDARD.encode(&sigs[0].signature),
            line["sig_b64"].as_str().unwrap()
        );
        assert_eq!(sigs[0].signature[0], 0x30, "DER ECDSA signature");

        let key = PublicKey::from_spki_der(&pem_to_der(pem)).unwrap();
        let verifier = NamedVerifier::new(hostname, key).unwrap();
        let verification = signed.verify(&[&verifier]).unwrap();
        assert!(verification.is_verified_by(hostname, verifier.key_id()));
        assert!(verification.unverified.is_empty());

        // The key hint is the start of the log ID, and the full key ID is the log ID.
        let log_id = all["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["checkpoint"] == *want)
            .unwrap()["log_id_hex"]
            .as_str()
            .unwrap();
        assert_eq!(hex::encode(verifier.full_key_id()), log_id);
        assert!(log_id.starts_with(&sigs[0].key_id.to_string()));
    }
}

#[test]
fn rekor_v1_legacy_timestamp_extension_round_trips() {
    let entries = rekor_v1_checkpoints();
    let (_, served, _) = entries
        .iter()
        .find(|(want, _, _)| !want["extension_lines"].as_array().unwrap().is_empty())
        .unwrap();
    let signed = SignedCheckpoint::parse(served.as_bytes()).unwrap();
    let cp = signed.checkpoint();
    assert_eq!(cp.extension_lines, ["Timestamp: 1682468469199678948"]);
    assert_eq!(cp.rekor_v1_timestamp_nanos(), Some(1682468469199678948));
    assert_eq!(cp.to_text(), signed.note().text());
    assert_eq!(Checkpoint::parse(&cp.to_text()).unwrap(), *cp);
}

#[test]
fn rekor_v1_checkpoint_does_not_verify_under_another_log_key() {
    let entries = rekor_v1_checkpoints();
    let staging = &entries[0];
    let production = &entries[2];
    assert_ne!(staging.2, production.2);
    let signed = SignedCheckpoint::parse(staging.1.as_bytes()).unwrap();
    let hostname = staging.0["rekor_v1_hostname"].as_str().unwrap();
    let wrong_key = PublicKey::from_spki_der(&pem_to_der(&production.2)).unwrap();
    let verifier = NamedVerifier::new(hostname, wrong_key).unwrap();
    assert_eq!(
        signed.verify(&[&verifier]).unwrap_err(),
        CheckpointError::Note(NoteError::UnverifiedNote)
    );
}

#[test]
fn rekor_v1_checkpoint_with_tampered_size_fails() {
    let (want, served, pem) = &rekor_v1_checkpoints()[0];
    let size = want["tree_size"].as_u64().unwrap();
    let tampered = served.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1);
    assert_ne!(&tampered, served);
    let signed = SignedCheckpoint::parse(tampered.as_bytes()).unwrap();
    let hostname = want["rekor_v1_hostname"].as_str().unwrap();
    let key = PublicKey::from_spki_der(&pem_to_der(pem)).unwrap();
    let verifier = NamedVerifier::new(hostname, key).unwrap();
    assert!(matches!(
        signed.verify(&[&verifier]),
        Err(CheckpointError::Note(NoteError::InvalidSignature { .. }))
    ));
}

fn rekor_v2_entries() -> Vec<Value> {
    vectors("rekor-v2/derived/real-entries.json")["entries"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn rekor_v2_real_checkpoints_verify_and_key_id_is_the_log_id() {
    let entries = rekor_v2_entries();
    assert_eq!(entries.len(), 2);
    for e in &entries {
        let want = &e["checkpoint"];
        let envelope = e["tle_as_in_bundle"]["inclusionProof"]["checkpoint"]["envelope"]
            .as_str()
            .unwrap();
        let signed = SignedCheckpoint::parse(envelope.as_bytes()).unwrap();
        assert_eq!(signed.encode(), envelope, "re-encoding must be byte-exact");
        assert_eq!(
            signed.note().text(),
            want["note_text_signed"].as_str().unwrap()
        );
        let cp = signed.checkpoint();
        let origin = e["checkpoint_origin"].as_str().unwrap();
        assert_eq!(cp.origin, origin);
        assert_eq!(cp.size, want["tree_size"].as_u64().unwrap());
        assert_eq!(
            hex::encode(cp.root_hash),
            want["root_hash_hex"].as_str().unwrap()
        );
        assert!(cp.extension_lines.is_empty());
        assert_eq!(
            split_rekor_v1_origin(origin),
            None,
            "v2 origins lack the v1 shape"
        );

        let raw = STANDARD
            .decode(e["log_public_key_ed25519_raw_b64"].as_str().unwrap())
            .unwrap();
        let from_raw = PublicKey::Ed25519(Ed25519Verifier::from_raw(&raw).unwrap());
        let from_pem =
            PublicKey::from_spki_der(&pem_to_der(e["log_public_key_pem"].as_str().unwrap()))
                .unwrap();
        assert_eq!(from_raw, from_pem);

        let verifier = NamedVerifier::new(origin, from_pem).unwrap();
        let full = hex::encode(verifier.full_key_id());
        assert_eq!(full, e["checkpoint_key_id_full_hex"].as_str().unwrap());
        assert_eq!(full, e["tle_log_id_hex"].as_str().unwrap());

        let (_, verification) = SignedCheckpoint::open(envelope.as_bytes(), &[&verifier]).unwrap();
        assert!(verification.is_verified_by(origin, verifier.key_id()));

        let lines = want["signature_lines"].as_array().unwrap();
        let sigs = signed.note().signatures();
        assert_eq!(sigs.len(), lines.len());
        for (sig, line) in sigs.iter().zip(lines) {
            assert_eq!(sig.name, line["name"].as_str().unwrap());
            assert_eq!(
                sig.key_id.to_string(),
                line["key_hint_hex"].as_str().unwrap()
            );
            assert_eq!(
                sig.signature.len() as u64,
                line["sig_len"].as_u64().unwrap()
            );
            assert_eq!(
                STANDARD.encode(&sig.signature),
                line["sig_b64"].as_str().unwrap()
            );
        }
        // Witness cosignatures have no known key here: reported, not fatal.
        let unverified: Vec<&str> = verification
            .unverified
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        let witnesses: Vec<&str> = lines[1..]
            .iter()
            .map(|l| l["name"].as_str().unwrap())
            .collect();
        assert_eq!(unverified, witnesses);
    }
}

#[test]
fn rekor_v2_checkpoint_is_rejected_under_the_other_logs_key_and_name() {
    let entries = rekor_v2_entries();
    let envelope = entries[1]["tle_as_in_bundle"]["inclusionProof"]["checkpoint"]["envelope"]
        .as_str()
        .unwrap();
    let other_key = PublicKey::from_spki_der(&pem_to_der(
        entries[0]["log_public_key_pem"].as_str().unwrap(),
    ))
    .unwrap();
    let right_name = entries[1]["checkpoint_origin"].as_str().unwrap();
    let wrong_key = NamedVerifier::new(right_name, other_key.clone()).unwrap();
    assert!(SignedCheckpoint::open(envelope.as_bytes(), &[&wrong_key]).is_err());

    let right_key = PublicKey::from_spki_der(&pem_to_der(
        entries[1]["log_public_key_pem"].as_str().unwrap(),
    ))
    .unwrap();
    let wrong_name = NamedVerifier::new("log2025-alpha9.rekor.sigstage.dev", right_key).unwrap();
    assert_eq!(
        SignedCheckpoint::open(envelope.as_bytes(), &[&wrong_name]).unwrap_err(),
        CheckpointError::Note(NoteError::UnverifiedNote)
    );
}
