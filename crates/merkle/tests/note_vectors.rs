//! Signed-note vectors from Go's x/mod, the C2SP spec texts and transparency-dev/formats
//! (`tests/vectors/signed-note/*.json`). Every positive case must reproduce byte for byte and
//! every negative case must fail.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;
use sigstack_merkle::checkpoint::SignedCheckpoint;
use sigstack_merkle::note::{
    self, NamedSigner, NamedVerifier, Note, NoteError, NoteVerifier, SignatureType, VerifierKey,
};

fn vectors(rel: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/signed-note")
        .join(rel);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn xmod() -> Value {
    vectors("x-mod-sumdb-note.json")
}

fn xmod_verifiers(v: &Value) -> BTreeMap<String, NamedVerifier> {
    v["keys"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, key)| {
            let verifier = NamedVerifier::from_vkey(key["vkey"].as_str().unwrap()).unwrap();
            (name.clone(), verifier)
        })
        .collect()
}

#[test]
fn xmod_keys_parse_with_their_stated_ids_and_reencode() {
    let v = xmod();
    for (name, key) in v["keys"].as_object().unwrap() {
        let vkey = key["vkey"].as_str().unwrap();
        let verifier = NamedVerifier::from_vkey(vkey).unwrap();
        assert_eq!(verifier.name(), name);
        assert_eq!(
            verifier.key_id().to_string(),
            key["key_id_hex"].as_str().unwrap()
        );
        assert_eq!(verifier.to_vkey(), vkey);
        let computed = note::key_id(name, verifier.public_key());
        assert_eq!(computed, verifier.key_id());
    }
}

#[test]
fn xmod_sign_case_is_reproduced_byte_for_byte() {
    let v = xmod();
    let case = &v["sign_case"];
    let signer_name = case["signer"].as_str().unwrap();
    let key = &v["keys"][signer_name];
    let signer = NamedSigner::from_skey(key["skey"].as_str().unwrap()).unwrap();
    assert_eq!(signer.verifier().to_vkey(), key["vkey"].as_str().unwrap());

    let note = Note::sign(case["text"].as_str().unwrap(), &[&signer]).unwrap();
    assert_eq!(note.encode(), case["signed_note"].as_str().unwrap());
    assert_eq!(note.to_string(), note.encode());
}

#[test]
fn xmod_skey_with_wrong_hash_or_prefix_is_rejected() {
    let v = xmod();
    let skey = v["keys"]["PeterNeumann"]["skey"].as_str().unwrap();
    let wrong_hash = skey.replace("c74f20a3", "c74f20a4");
    assert!(matches!(
        NamedSigner::from_skey(&wrong_hash),
        Err(NoteError::KeyIdMismatch { .. })
    ));
    let wrong_name = skey.replace("PeterNeumann", "PeterNeuman");
    assert!(matches!(
        NamedSigner::from_skey(&wrong_name),
        Err(NoteError::KeyIdMismatch { .. })
    ));
    let no_prefix = skey.trim_start_matches("PRIVATE+KEY+");
    assert!(NamedSigner::from_skey(no_prefix).is_err());
    // The vkey is not a signer key.
    let vkey = v["keys"]["PeterNeumann"]["vkey"].as_str().unwrap();
    assert!(NamedSigner::from_skey(&format!("PRIVATE+KEY+{vkey}")).is_err());
}

#[test]
fn xmod_open_cases() {
    let v = xmod();
    let verifiers = xmod_verifiers(&v);
    let cases = v["open_cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let desc = case["desc"].as_str().unwrap();
        let known: Vec<&dyn NoteVerifier> = case["known_verifiers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| &verifiers[n.as_str().unwrap()] as &dyn NoteVerifier)
            .collect();
        let result = note::open(case["note"].as_str().unwrap().as_bytes(), &known);
        if !case["want_ok"].as_bool().unwrap() {
            assert!(result.is_err(), "{desc}: must fail");
            continue;
        }
        let (note, verification) = result.unwrap_or_else(|e| panic!("{desc}: {e}"));
        let names: Vec<&str> = verification
            .verified
            .iter()
            .map(|k| k.name.as_str())
            .collect();
        let want: Vec<&str> = case["want_verified_names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(names, want, "{desc}");
        // Every signature is either verified or reported as unverified.
        assert_eq!(
            verification.verified.len() + verification.unverified.len(),
            note.signatures().len(),
            "{desc}"
        );
        assert_eq!(note.encode(), case["note"].as_str().unwrap(), "{desc}");
    }
}

#[test]
fn xmod_open_case_errors_are_the_right_ones() {
    let v = xmod();
    let verifiers = xmod_verifiers(&v);
    let peter: &dyn NoteVerifier = &verifiers["PeterNeumann"];
    let cases = v["open_cases"].as_array().unwrap();
    assert_eq!(
        note::open(cases[2]["note"].as_str().unwrap().as_bytes(), &[]).unwrap_err(),
        NoteError::UnverifiedNote
    );
    // The corrupted signature still parses (the inserted base64 is valid) but must not verify.
    let corrupted = cases[3]["note"].as_str().unwrap().as_bytes();
    assert!(Note::parse(corrupted).is_ok());
    assert!(matches!(
        note::open(corrupted, &[peter]),
        Err(NoteError::InvalidSignature { .. })
    ));
}

#[test]
fn xmod_malformed_notes_are_rejected() {
    let v = xmod();
    let verifiers = xmod_verifiers(&v);
    let all: Vec<&dyn NoteVerifier> = verifiers.values().map(|v| v as &dyn NoteVerifier).collect();
    let malformed = v["malformed_notes_must_fail"].as_array().unwrap();
    assert_eq!(malformed.len(), 6);
    for m in malformed {
        let bytes = m.as_str().unwrap().as_bytes();
        assert!(
            matches!(Note::parse(bytes), Err(NoteError::Malformed(_))),
            "must be malformed: {m}"
        );
        assert!(note::open(bytes, &all).is_err());
        assert!(SignedCheckpoint::parse(bytes).is_err());
    }
}

#[test]
fn xmod_note_with_invalid_utf8_is_rejected() {
    // The case the JSON cannot hold: the Go test's note starting with byte 0xff.
    let v = xmod();
    let good = v["sign_case"]["signed_note"].as_str().unwrap();
    let mut bytes = vec![0xff];
    bytes.extend_from_slice(good.as_bytes());
    assert_eq!(
        Note::parse(&bytes).unwrap_err(),
        NoteError::Malformed("not UTF-8")
    );
    assert!(Note::parse(good.as_bytes()).is_ok());
}

#[test]
fn c2sp_verifiable_example_opens() {
    let v = vectors("c2sp-spec-examples.json");
    let case = &v["verifiable"];
    let verifier = NamedVerifier::from_vkey(case["vkey"].as_str().unwrap()).unwrap();
    assert_eq!(
        verifier.key_id().to_string(),
        case["key_id_hex"].as_str().unwrap()
    );
    let signed = case["signed_note"].as_str().unwrap();
    let (note, verification) = note::open(signed.as_bytes(), &[&verifier]).unwrap();
    assert_eq!(note.text(), case["note_text_signed"].as_str().unwrap());
    assert!(verification.is_verified_by("example.com/foo", verifier.key_id()));
    assert!(verification.unverified.is_empty());
    assert_eq!(note.encode(), signed);
}

#[test]
fn c2sp_checkpoint_examples_parse() {
    let v = vectors("c2sp-spec-examples.json");
    let cases = v["parse_only"].as_array().unwrap();
    for case in cases {
        let text = case["checkpoint"].as_str().unwrap();
        let signed = SignedCheckpoint::parse(text.as_bytes()).unwrap();
        let cp = signed.checkpoint();
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert_eq!(cp.size, 20852163);
        assert_eq!(
            STANDARD.encode(cp.root_hash),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
        );
        assert!(cp.extension_lines.is_empty());
        assert_eq!(signed.encode(), text);
    }
    // The cosignature example: 4-byte key ID, then 8-byte timestamp ‖ 64-byte Ed25519 sig.
    let cosigned =
        SignedCheckpoint::parse(cases[1]["checkpoint"].as_str().unwrap().as_bytes()).unwrap();
    let sigs = cosigned.note().signatures();
    assert_eq!(sigs.len(), 2);
    assert_eq!(sigs[0].signature.len(), 64);
    assert_eq!(sigs[1].name, "witness.example.com/w1");
    assert_eq!(sigs[1].signature.len(), 72);
    let timestamp = u64::from_be_bytes(sigs[1].signature[..8].try_into().unwrap());
    assert_eq!(timestamp, 1679315147);
    let message = cases[1]["cosigned_message_example"].as_str().unwrap();
    assert_eq!(
        message,
        format!(
            "cosignature/v1\ntime {timestamp}\n{}",
            cosigned.note().text()
        )
    );
}

#[test]
fn formats_vkeys_parse_with_the_right_key_ids() {
    let v = vectors("formats-checkpoints-and-vkeys.json");
    for (desc, case) in v["vkeys"].as_object().unwrap() {
        let vkey = case["vkey"].as_str().unwrap();
        let parsed = VerifierKey::parse(vkey).unwrap_or_else(|e| panic!("{desc}: {e}"));
        assert_eq!(parsed.to_string(), vkey, "{desc}");
        match parsed.signature_type {
            SignatureType::Ed25519 | SignatureType::Ecdsa => {
                let verifier = NamedVerifier::from_vkey(vkey).unwrap();
                assert_eq!(verifier.to_vkey(), vkey, "{desc}");
                assert_eq!(verifier.key_id(), parsed.key_id, "{desc}");
            }
            other => {
                assert_eq!(other, SignatureType::Rfc6962Sth, "{desc}");
                assert_eq!(
                    NamedVerifier::from_vkey(vkey).unwrap_err(),
                    NoteError::UnsupportedKeyType(0x05)
                );
            }
        }
    }
}

#[test]
fn rekor_production_vkey_key_id_is_the_v1_log_id() {
    let v = vectors("formats-checkpoints-and-vkeys.json");
    let vkey = v["vkeys"]["rekor.sigstore.dev (ECDSA P-256, signature type 0x02)"]["vkey"]
        .as_str()
        .unwrap();
    let verifier = NamedVerifier::from_vkey(vkey).unwrap();
    assert_eq!(
        hex::encode(verifier.full_key_id()),
        "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"
    );
    // ECDSA key IDs do not depend on the name.
    let renamed = NamedVerifier::new("another.name", verifier.public_key().clone()).unwrap();
    assert_eq!(renamed.key_id(), verifier.key_id());
}

#[test]
fn formats_invalid_vkeys_are_rejected() {
    let v = vectors("formats-checkpoints-and-vkeys.json");
    let invalid = v["invalid_ecdsa_vkeys"].as_array().unwrap();
    assert_eq!(invalid.len(), 5);
    for vkey in invalid {
        let vkey = vkey.as_str().unwrap();
        assert!(VerifierKey::parse(vkey).is_err(), "{vkey}");
        assert!(NamedVerifier::from_vkey(vkey).is_err(), "{vkey}");
    }
    assert!(matches!(
        VerifierKey::parse(invalid[4].as_str().unwrap()),
        Err(NoteError::KeyIdMismatch { .. })
    ));
    assert_eq!(
        VerifierKey::parse(invalid[2].as_str().unwrap()).unwrap_err(),
        NoteError::UnsupportedKeyType(0x03)
    );
}

#[test]
fn vkey_structural_errors_are_rejected() {
    let good = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    assert!(NamedVerifier::from_vkey(good).is_ok());
    // Upper-case hex is accepted (Go's ParseUint is case-insensitive) and re-encoded lower.
    let upper = good.replace("c74f20a3", "C74F20A3");
    assert_eq!(NamedVerifier::from_vkey(&upper).unwrap().to_vkey(), good);
    for bad in [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a3+",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+0xf20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==",
        "PeterNeumann+c74f20a3+AQ==",
    ] {
        assert!(NamedVerifier::from_vkey(bad).is_err(), "{bad:?}");
    }
}
