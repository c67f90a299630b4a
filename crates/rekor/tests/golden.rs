//! Canonical bodies, UUIDs and refusals checked against captures of real Rekor 1.3.9 and
//! 1.5.3 (`tests/vectors/golden/`).
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use sigstack_rekor::{canonicalize, canonicalize_value, parse_stored, Error, Kind, Options};

#[test]
fn every_create_case_canonicalizes_byte_for_byte() {
    let mut checked = 0;
    for dir in golden_rekor_dirs() {
        for path in records(&dir.join("create")) {
            let record = read_json(&path);
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let expected = read(&path.with_file_name(format!("{name}.canonical-body.json")));
            let entry_id = response_entry_id(&record);
            let result = canonicalize(request_body(&record).as_bytes(), &Options::default());
            let entry = result.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                String::from_utf8_lossy(entry.body()),
                String::from_utf8_lossy(&expected),
                "{}",
                path.display()
            );
            assert_eq!(
                entry.uuid().to_string(),
                entry_id[16..],
                "{}",
                path.display()
            );
            // The stored body re-checks and is a fixed point.
            let stored =
                parse_stored(&expected).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(stored.body(), expected.as_slice());
            checked += 1;
        }
    }
    assert!(checked >= 32, "only {checked} create cases found");
}

#[test]
fn canonical_bodies_canonicalize_to_themselves_in_lookup_mode() {
    for dir in golden_rekor_dirs() {
        for path in records(&dir.join("create")) {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if name.starts_with("rekord") {
                continue; // the artifact is not in the body; Rekor cannot re-canonicalize it either
            }
            let body = read(&path.with_file_name(format!("{name}.canonical-body.json")));
            let again =
                canonicalize(&body, &Options::lookup()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(again.body(), body.as_slice(), "{name}");
        }
    }
}

#[test]
fn duplicates_share_the_canonical_body() {
    let mut checked = 0;
    for dir in golden_rekor_dirs() {
        for path in records(&dir.join("duplicate")) {
            let record = read_json(&path);
            assert_eq!(record["response"]["status"], 409);
            let message = record["response"]["body_json"]["message"].as_str().unwrap();
            let existing = message.rsplit(' ').next().unwrap();
            let entry = canonicalize(request_body(&record).as_bytes(), &Options::default())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(
                entry.uuid().to_string(),
                existing[16..],
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 10);
}

#[test]
fn real_client_requests_canonicalize_to_what_rekor_stored() {
    let dir = vectors().join("golden/rekor-v1.3.9/clients");
    let mut created = 0;
    for path in records(&dir) {
        let record = read_json(&path);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with("POST-api-v1-log-entries.json") && record["response"]["status"] == 201 {
            let entry = canonicalize(request_body(&record).as_bytes(), &Options::default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let stored = response_body(&record);
            assert_eq!(
                String::from_utf8_lossy(entry.body()),
                String::from_utf8_lossy(&stored),
                "{name}"
            );
            assert_eq!(
                entry.uuid().to_string(),
                response_entry_id(&record)[16..],
                "{name}"
            );
            created += 1;
        }
        if name.ends_with("POST-api-v1-log-entries-retrieve.json") {
            let req: Value = serde_json::from_str(&request_body(&record)).unwrap();
            let results: Value =
                serde_json::from_str(record["response"]["body_text"].as_str().unwrap()).unwrap();
            let found: Vec<String> = results
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|e| e.as_object().unwrap().keys().map(|k| k[16..].to_owned()))
                .collect();
            for proposed in req["entries"].as_array().unwrap() {
                let entry = canonicalize_value(proposed, &Options::lookup())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(found.contains(&entry.uuid().to_string()), "{name}");
            }
        }
    }
    assert_eq!(
        created, 8,
        "cosign sign-blob (key, keyless), attest (dsse, intoto) and rekor-cli uploads"
    );
}

#[test]
fn retrieve_by_proposed_entry_matches_rekor() {
    for dir in golden_rekor_dirs() {
        for file in [
            "POST-retrieve-entries.json",
            "POST-retrieve-dsse-proposed.json",
            "POST-retrieve-combined.json",
        ] {
            let record = read_json(&dir.join("read").join(file));
            let req: Value = serde_json::from_str(&request_body(&record)).unwrap();
            let results: Value =
                serde_json::from_str(record["response"]["body_text"].as_str().unwrap()).unwrap();
            let found: Vec<String> = results
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|e| e.as_object().unwrap().keys().map(|k| k[16..].to_owned()))
                .collect();
            for proposed in req["entries"].as_array().unwrap() {
                let entry = canonicalize_value(proposed, &Options::lookup()).unwrap();
                assert!(found.contains(&entry.uuid().to_string()), "{file}");
            }
        }
    }
}

#[test]
fn crosscheck_entries() {
    for dir in golden_rekor_dirs() {
        for path in records(&dir.join("crosscheck")) {
            let record = read_json(&path);
            let entry =
                canonicalize(request_body(&record).as_bytes(), &Options::default()).unwrap();
            assert_eq!(entry.body(), response_body(&record).as_slice());
        }
    }
}

const FROM_RECORD: &str = "<the captured message>";

/// Errors about entry content. `Some(text)` = our message must equal Rekor's (the text
/// after `error processing entry: `); `None` = any refusal.
fn expected_errors() -> Vec<(&'static str, Option<&'static str>)> {
    vec![
        ("e02-unknown-kind", Some("invalid kind value: \"nosuchkind\"")),
        ("e03-unknown-apiVersion", Some("hashedrekord implementation for version '0.0.9' not found: unable to locate entry for version 0.0.9")),
        ("e04-hashedrekord-wrong-signature", Some("verifying signature: invalid signature when validating ASN.1 encoded signature")),
        ("e05-digest-wrong-length", Some("invalid value for hash")),
        // Rekor 1.5.3 accepts upper-case hex; 1.3.9 and we refuse it (it would allow the
        // same signature to be logged twice under two UUIDs).
        ("e06-digest-uppercase-hex", Some("invalid value for hash")),
        ("e07-missing-data", Some("validation failure list:\ndata in body is required")),
        ("e08-missing-signature", Some("validation failure list:\nsignature in body is required")),
        ("e09-missing-spec", Some("spec in body is required")),
        ("e10-missing-kind", Some("kind in body is required")),
        ("e11-key-signature-type-mismatch-rsa-key-ecdsa-sig", Some("verifying signature: crypto/rsa: verification error")),
        ("e12-ed25519-key-with-sha256", Some("verifying signature: unsupported hash algorithm: \"SHA-256\" not in [SHA-512]")),
        ("e13-ed25519-pure-signature", Some("verifying signature: failed to verify signature: ed25519: invalid signature")),
        ("e14-empty-body", Some("proposedEntry in body is required")),
        ("e15-json-array", None),
        ("e16-json-null", Some("kind in body is required")),
        ("e01-malformed-json", None),
        ("e18-hash-algorithm-md5", Some("validation failure list:\ndata.data.hash.data.hash.algorithm in body should be one of [sha256 sha384 sha512]")),
        ("e19-public-key-not-pem", Some("invalid public key: failure decoding PEM")),
        ("e20-signature-not-base64", Some("failed parsing base64 data for signature content: illegal base64 data at input byte 0")),
        // The artifact differs per capture run: compare with that run's message.
        ("e21-rekord-sha-mismatch", Some(FROM_RECORD)),
        ("e22-dsse-proposed-and-canonical-fields", Some("either proposedContent or envelopeHash, payloadHash, and signatures must be present but not both")),
        ("e23-dsse-wrong-verifier", Some("could not verify envelope: accepted signatures do not match threshold, Found: 0, Expected 1")),
        ("e24-intoto-0.0.1-wrong-key", Some("accepted signatures do not match threshold, Found: 0, Expected 1")),
        ("e25-rekord-missing-format", Some("validation failure list:\nsignature.signature.format in body is required")),
        // Rekor reads key and signature concurrently and reports whichever fails first;
        // we read the signature first, which gives the message of this capture.
        ("e51-rekord-pgp-eddsa-key", Some("invalid PGP signature: openpgp: unsupported feature: public key algorithm 22")),
    ]
}

#[test]
fn content_errors_are_refused_with_rekors_message() {
    for dir in golden_rekor_dirs() {
        for (case, expected) in expected_errors() {
            let record = read_json(&dir.join("errors").join(format!("{case}.json")));
            let body = record["request"]["body_text"].as_str().unwrap_or("");
            let err = match canonicalize(body.as_bytes(), &Options::default()) {
                Err(e) => e,
                Ok(entry) => panic!("{case}: accepted as {}", entry.uuid()),
            };
            if let Some(text) = expected {
                let text = if text == FROM_RECORD {
                    let captured = record["response"]["body_json"]["message"].as_str().unwrap();
                    captured
                        .strip_prefix("error processing entry: ")
                        .unwrap_or(captured)
                } else {
                    text
                };
                assert_eq!(err.to_string(), text, "{case} ({})", dir.display());
            }
            // Rekor's status tells which variant family it is.
            let status = record["response"]["status"].as_i64().unwrap();
            let schema_error = matches!(err, Error::MissingField { .. } | Error::UnknownKind(_));
            if status == 422 {
                assert!(schema_error, "{case}: Rekor said 422, we said {err:?}");
            }
        }
    }
}

#[test]
fn retrieve_errors() {
    for dir in golden_rekor_dirs() {
        let record = read_json(&dir.join("errors/e47-retrieve-entry-bad-signature.json"));
        let req: Value = serde_json::from_str(&request_body(&record)).unwrap();
        let err = canonicalize_value(&req["entries"][0], &Options::lookup()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "verifying signature: invalid signature when validating ASN.1 encoded signature"
        );
        let record = read_json(&dir.join("errors/e46-retrieve-entry-not-object.json"));
        let req: Value = serde_json::from_str(&request_body(&record)).unwrap();
        assert!(matches!(
            canonicalize_value(&req["entries"][0], &Options::lookup()),
            Err(Error::InvalidJson(_))
        ));
    }
}

#[test]
fn search_keys_of_golden_entries() {
    let dir = vectors().join("golden/rekor-v1.5.3/create");
    let entry = |name: &str| {
        let record = read_json(&dir.join(format!("{name}.json")));
        canonicalize(request_body(&record).as_bytes(), &Options::default()).unwrap()
    };

    let e = entry("hashedrekord-x509-selfsigned-cert");
    assert_eq!(e.kind(), Kind::HashedRekord);
    let keys = e.search_keys();
    assert_eq!(keys.identities, vec!["golden@example.com"]);
    assert_eq!(
        keys.artifact_digests,
        vec!["sha256:fa27bfcb1b12509afd80a6cb936c4834f78ba24f889548f204eb251ab1309bda"]
    );
    assert_eq!(keys.public_keys.len(), 1);
    let canonical_pem = common::b64(
        serde_json::from_slice::<Value>(e.body()).unwrap()["spec"]["signature"]["publicKey"]
            ["content"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(keys.public_keys[0].canonical, canonical_pem);
    assert_eq!(keys.rekor_index_keys()[0], keys.public_keys[0].sha256_hex());

    let e = entry("hashedrekord-x509-fulcio-leaf");
    assert_eq!(e.search_keys().identities, vec!["alice@example.com"]);

    // The chain's index identity is the leaf's, and the stored key is the whole chain.
    let e = entry("hashedrekord-x509-fulcio-chain");
    assert_eq!(e.search_keys().identities, vec!["alice@example.com"]);
    let pem = String::from_utf8(e.search_keys().public_keys[0].canonical.clone()).unwrap();
    assert_eq!(pem.matches("-----BEGIN CERTIFICATE-----").count(), 2);

    let e = entry("dsse-0.0.1");
    let keys = e.search_keys();
    assert!(
        keys.rekor_index_keys()[0].starts_with("sha256:"),
        "Rekor's dsse key prefix quirk"
    );
    // payloadHash, envelopeHash, then the in-toto subject digest.
    assert_eq!(keys.artifact_digests.len(), 3);
    assert!(keys.artifact_digests[2].starts_with("sha256:"));

    let e = entry("rekord-ssh-ed25519");
    let keys = e.search_keys();
    assert_eq!(
        keys.identities,
        vec!["golden@example.com"],
        "e-mail comment of the ssh key"
    );
    assert!(String::from_utf8_lossy(&keys.public_keys[0].canonical).starts_with("ssh-ed25519 AAAA"));

    // PGP: the key's hash (of the Go-re-serialized armored key, as stored), the user ID
    // e-mail, then the artifact digest, in Rekor's order.
    let e = entry("rekord-pgp-rsa2048-armored");
    let keys = e.search_keys();
    let stored_key = common::b64(
        serde_json::from_slice::<Value>(e.body()).unwrap()["spec"]["signature"]["publicKey"]
            ["content"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(keys.public_keys[0].canonical, stored_key);
    assert_eq!(keys.identities, vec!["golden-pgp@example.com"]);
    assert_eq!(
        keys.rekor_index_keys(),
        [
            keys.public_keys[0].sha256_hex(),
            "golden-pgp@example.com".to_owned(),
            "sha256:5ce3e8a1d7c5150138a3e50dfe0cd185a711ad4f289b628b41ac6e8169ede537".to_owned(),
        ]
    );
}

#[test]
fn golden_pgp_key_file_canonicalizes_to_the_stored_key() {
    // The key file of the capture (gpg's export: old-format packets) becomes, byte for
    // byte, the key Rekor stored (new-format packets, Go's armor).
    let dir = vectors().join("golden/rekor-v1.5.3");
    let key_file = read(&dir.join("keys/rekord-pgp-rsa2048.pub.asc"));
    let record = read_json(&dir.join("create/rekord-pgp-rsa2048-armored.json"));
    let proposed: Value = serde_json::from_str(&request_body(&record)).unwrap();
    assert_eq!(
        common::b64(
            proposed["spec"]["signature"]["publicKey"]["content"]
                .as_str()
                .unwrap()
        ),
        key_file,
        "the capture sent the key file as is"
    );
    let stored: Value = serde_json::from_slice(&read(
        &dir.join("create/rekord-pgp-rsa2048-armored.canonical-body.json"),
    ))
    .unwrap();
    let stored_key = common::b64(
        stored["spec"]["signature"]["publicKey"]["content"]
            .as_str()
            .unwrap(),
    );
    assert!(stored_key.starts_with(b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxsBN"));
    assert!(key_file.starts_with(b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQEN"));
    let e = canonicalize(request_body(&record).as_bytes(), &Options::default()).unwrap();
    assert_eq!(e.search_keys().public_keys[0].canonical, stored_key);
}
