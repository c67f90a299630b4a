//! Inputs built to be refused (or to probe an edge), each with the outcome Rekor has.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::*;
use serde_json::{json, Value};
use sigstack_rekor::{
    canonicalize, canonicalize_value, parse_entry_ref, parse_stored, AlgorithmPolicy, EntryId,
    EntryRef, Error, Mode, Options, Uuid,
};

fn golden(name: &str) -> Value {
    let record = read_json(&vectors().join(format!("golden/rekor-v1.5.3/create/{name}.json")));
    serde_json::from_str(&request_body(&record)).unwrap()
}

fn golden_key(name: &str) -> Vec<u8> {
    read(&vectors().join(format!("golden/rekor-v1.5.3/keys/{name}")))
}

fn data(name: &str) -> Vec<u8> {
    read(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
}

fn insert(v: &Value) -> Result<sigstack_rekor::CanonicalEntry, Error> {
    canonicalize(&serde_json::to_vec(v).unwrap(), &Options::default())
}

fn any_policy() -> Options {
    Options {
        mode: Mode::Insert,
        algorithms: AlgorithmPolicy::AnyVerified,
    }
}

#[test]
fn tampered_signature_is_refused() {
    let mut v = golden("hashedrekord-ecdsa-p256-pubkey");
    insert(&v).unwrap();
    let mut sig = b64(v["spec"]["signature"]["content"].as_str().unwrap());
    let last = sig.len() - 1;
    sig[last] ^= 0x01;
    v["spec"]["signature"]["content"] = json!(b64e(&sig));
    assert!(matches!(insert(&v), Err(Error::InvalidSignature(_))));
    // Truncated DER.
    sig.truncate(10);
    v["spec"]["signature"]["content"] = json!(b64e(&sig));
    assert!(matches!(insert(&v), Err(Error::InvalidSignature(_))));
    // Empty signature.
    v["spec"]["signature"]["content"] = json!("");
    assert!(matches!(insert(&v), Err(Error::InvalidSignature(_))));
}

#[test]
fn wrong_digest_is_refused() {
    let mut v = golden("hashedrekord-rsa2048-pkcs1v15-sha256");
    insert(&v).unwrap();
    let digest = v["spec"]["data"]["hash"]["value"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut flipped = digest.into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    let flipped = String::from_utf8(flipped).unwrap();
    v["spec"]["data"]["hash"]["value"] = json!(flipped);
    assert_eq!(
        insert(&v).unwrap_err().to_string(),
        "verifying signature: crypto/rsa: verification error"
    );
    // Right digest, wrong declared algorithm (and so wrong length).
    let mut v = golden("hashedrekord-ecdsa-p384-sha384");
    v["spec"]["data"]["hash"]["algorithm"] = json!("sha512");
    assert_eq!(
        insert(&v).unwrap_err().to_string(),
        "invalid value for hash"
    );
}

#[test]
fn key_and_signature_type_mismatch() {
    // An RSA signature presented with the ECDSA key.
    let mut v = golden("hashedrekord-rsa2048-pkcs1v15-sha256");
    v["spec"]["signature"]["publicKey"]["content"] = json!(b64e(&golden_key("ecdsa-p256.pub.pem")));
    assert_eq!(
        insert(&v).unwrap_err().to_string(),
        "verifying signature: invalid signature when validating ASN.1 encoded signature"
    );
    // An ECDSA P-256 signature presented with the P-384 key.
    let mut v = golden("hashedrekord-ecdsa-p256-pubkey");
    v["spec"]["signature"]["publicKey"]["content"] = json!(b64e(&golden_key("ecdsa-p384.pub.pem")));
    assert!(matches!(insert(&v), Err(Error::InvalidSignature(_))));
}

#[test]
fn truncated_json_never_panics_and_never_passes() {
    for name in [
        "hashedrekord-x509-fulcio-chain",
        "dsse-0.0.1-two-signatures",
        "intoto-0.0.2",
        "rekord-ssh-ed25519",
    ] {
        let body = serde_json::to_vec(&golden(name)).unwrap();
        for cut in (0..body.len()).step_by(7) {
            assert!(
                canonicalize(&body[..cut], &Options::default()).is_err(),
                "{name} cut at {cut}"
            );
        }
        assert!(canonicalize(&body, &Options::default()).is_ok(), "{name}");
    }
}

#[test]
fn unknown_kind_and_version() {
    let mut v = golden("hashedrekord-ecdsa-p256-pubkey");
    v["kind"] = json!("rpm");
    assert_eq!(insert(&v).unwrap_err(), Error::UnknownKind("rpm".into()));
    v["kind"] = json!(7);
    assert!(matches!(insert(&v), Err(Error::UnknownKind(_))));
    let mut v = golden("hashedrekord-ecdsa-p256-pubkey");
    v["apiVersion"] = json!("0.0.2");
    assert!(matches!(insert(&v), Err(Error::UnsupportedVersion { .. })));
    let mut v = golden("dsse-0.0.1");
    v["apiVersion"] = json!("0.0.2");
    assert!(matches!(insert(&v), Err(Error::UnsupportedVersion { .. })));
    let mut v = golden("hashedrekord-ecdsa-p256-pubkey");
    v.as_object_mut().unwrap().remove("apiVersion");
    assert_eq!(
        insert(&v).unwrap_err(),
        Error::MissingField {
            field: "apiVersion"
        }
    );
    v["apiVersion"] = json!("0.0.1");
    v["spec"] = json!("not an object");
    assert!(matches!(
        insert(&v),
        Err(Error::Malformed { field: "spec", .. })
    ));
}

#[test]
fn garbage_and_oversized_base64() {
    let mut v = golden("hashedrekord-ecdsa-p256-pubkey");
    v["spec"]["signature"]["publicKey"]["content"] = json!("AAAA====");
    assert!(matches!(insert(&v), Err(Error::Malformed { .. })));
    v["spec"]["signature"]["publicKey"]["content"] = json!("LS0tLS1CRUdJTiBQVUJMSUMgS0VZ"); // unpadded
    assert!(matches!(insert(&v), Err(Error::Malformed { .. })));
    // 1 MiB of PEM-looking garbage: refused, no panic.
    let garbage = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        "QUFB".repeat(1 << 18)
    );
    v["spec"]["signature"]["publicKey"]["content"] = json!(b64e(garbage.as_bytes()));
    assert!(matches!(insert(&v), Err(Error::Malformed { .. })));
    // A PEM block of another type.
    let other = "-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n";
    v["spec"]["signature"]["publicKey"]["content"] = json!(b64e(other.as_bytes()));
    assert_eq!(
        insert(&v).unwrap_err().to_string(),
        "invalid public key: cannot handle type RSA PUBLIC KEY"
    );
    // Base64 with embedded newlines is accepted, as by Go.
    let mut v = golden("hashedrekord-ecdsa-p256-pubkey");
    let sig = v["spec"]["signature"]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    v["spec"]["signature"]["content"] = json!(format!("{}\r\n{}", &sig[..20], &sig[20..]));
    assert_eq!(
        insert(&v).unwrap().body(),
        insert(&golden("hashedrekord-ecdsa-p256-pubkey"))
            .unwrap()
            .body()
    );
}

#[test]
fn certificate_without_san_is_accepted_with_no_identities() {
    let artifact = data("artifact.txt");
    let body = hashedrekord(
        &data("nosan.cert.pem"),
        &data("nosan.sig"),
        "sha256",
        &sha_hex("sha256", &artifact),
    );
    let entry = canonicalize(&body, &Options::default()).unwrap();
    assert!(entry.search_keys().identities.is_empty());
    assert_eq!(entry.search_keys().public_keys.len(), 1);
    assert_eq!(
        entry.search_keys().rekor_index_keys().len(),
        2,
        "key hash + digest"
    );
}

#[test]
fn p521_and_the_allow_list() {
    let artifact = data("artifact.txt");
    let key = data("p521.pub.pem");
    let ok = hashedrekord(
        &key,
        &data("p521-sha512.sig"),
        "sha512",
        &sha_hex("sha512", &artifact),
    );
    canonicalize(&ok, &Options::default()).unwrap();
    // P-521 with SHA-256 verifies but is off Rekor's default list.
    let sha256 = hashedrekord(
        &key,
        &data("p521-sha256.sig"),
        "sha256",
        &sha_hex("sha256", &artifact),
    );
    assert_eq!(
        canonicalize(&sha256, &Options::default()).unwrap_err(),
        Error::AlgorithmNotAllowed
    );
    canonicalize(&sha256, &any_policy()).unwrap();
    // And the signature does not verify over another digest.
    let wrong = hashedrekord(
        &key,
        &data("p521-sha512.sig"),
        "sha512",
        &sha_hex("sha512", b"other"),
    );
    assert!(matches!(
        canonicalize(&wrong, &Options::default()),
        Err(Error::InvalidSignature(_))
    ));
}

#[test]
fn rsa_pss_entry_signatures_are_not_pkcs1() {
    let artifact = data("artifact.txt");
    let digest = sha_hex("sha256", &artifact);
    let key = data("rsa.pub.pem");
    canonicalize(
        &hashedrekord(&key, &data("rsa-pkcs1.sig"), "sha256", &digest),
        &Options::default(),
    )
    .unwrap();
    // Rekor verifies RSA entry signatures as PKCS #1 v1.5 only.
    assert!(matches!(
        canonicalize(
            &hashedrekord(&key, &data("rsa-pss.sig"), "sha256", &digest),
            &Options::default()
        ),
        Err(Error::InvalidSignature(_))
    ));
}

#[test]
fn chains_are_verified_to_their_last_certificate() {
    let artifact = data("artifact.txt");
    let digest = sha_hex("sha256", &artifact);
    // Leaf signed by an RSA CA with RSA-PSS.
    let entry = canonicalize(
        &hashedrekord(&data("chain.pem"), &data("leaf.sig"), "sha256", &digest),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        entry.search_keys().identities,
        vec!["mixed.case@example.com", "https://example.com/workflow"],
        "emails before URIs, lowercased"
    );
    // The same leaf alone verifies too (no chain check for a single certificate).
    canonicalize(
        &hashedrekord(&data("leaf.cert.pem"), &data("leaf.sig"), "sha256", &digest),
        &Options::default(),
    )
    .unwrap();
    // Leaf + an unrelated "root": refused.
    let mut bad_chain = data("leaf.cert.pem");
    bad_chain.extend_from_slice(&golden_key("selfsigned-ecdsa-p256-b.cert.pem"));
    let err = canonicalize(
        &hashedrekord(&bad_chain, &data("leaf.sig"), "sha256", &digest),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "verifying signature: x509: certificate signed by unknown authority"
    );
    // A chain whose second block is a public key, not a certificate.
    let mut mixed = data("leaf.cert.pem");
    mixed.extend_from_slice(&data("rsa.pub.pem"));
    assert!(matches!(
        canonicalize(
            &hashedrekord(&mixed, &data("leaf.sig"), "sha256", &digest),
            &Options::default()
        ),
        Err(Error::Malformed { .. })
    ));
    // Eleven certificates: over Rekor's limit of ten.
    let long: Vec<u8> = std::iter::repeat_n(data("ca.cert.pem"), 11)
        .flatten()
        .collect();
    let err = canonicalize(
        &hashedrekord(&long, &data("leaf.sig"), "sha256", &digest),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "too many certificates specified in PEM block"
    );
}

#[test]
fn ssh_signatures() {
    let artifact = data("artifact.txt");
    let key = golden_key("rekord-ssh-ed25519.pub");
    let entry = canonicalize(
        &rekord("ssh", &key, &data("ssh-sha512.sig"), &artifact),
        &Options::default(),
    )
    .unwrap();
    let spec: Value = serde_json::from_slice(entry.body()).unwrap();
    assert_eq!(
        String::from_utf8(b64(spec["spec"]["signature"]["publicKey"]["content"]
            .as_str()
            .unwrap()))
        .unwrap(),
        format!(
            "{}\n",
            String::from_utf8(key.clone())
                .unwrap()
                .rsplit_once(' ')
                .unwrap()
                .0
        )
    );
    // Rekor re-armors every SSHSIG as sha512 and verifies that, so SHA-256 ones fail.
    assert!(matches!(
        canonicalize(
            &rekord("ssh", &key, &data("ssh-sha256.sig"), &artifact),
            &Options::default()
        ),
        Err(Error::InvalidSignature(_))
    ));
    // Another artifact.
    assert!(matches!(
        canonicalize(
            &rekord("ssh", &key, &data("ssh-sha512.sig"), b"other"),
            &Options::default()
        ),
        Err(Error::InvalidSignature(_))
    ));
    // Not an SSH signature.
    assert!(matches!(
        canonicalize(
            &rekord("ssh", &key, b"hello", &artifact),
            &Options::default()
        ),
        Err(Error::Malformed { .. })
    ));
    // An SSH key and signature are no minisign material.
    assert!(matches!(
        canonicalize(
            &rekord("minisign", &key, b"hello", &artifact),
            &Options::default()
        ),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn rekord_x509_with_ecdsa_p384_uses_sha256() {
    // rekord verifies ECDSA with SHA-256 whatever the curve; a P-384/SHA-384 signature fails.
    let v = golden("hashedrekord-ecdsa-p384-sha384");
    let sig = b64(v["spec"]["signature"]["content"].as_str().unwrap());
    let artifact = read(
        &vectors().join("golden/rekor-v1.5.3/create/hashedrekord-ecdsa-p384-sha384.artifact.txt"),
    );
    let body = rekord("x509", &golden_key("ecdsa-p384.pub.pem"), &sig, &artifact);
    assert!(matches!(
        canonicalize(&body, &Options::default()),
        Err(Error::InvalidSignature(_))
    ));
}

#[test]
fn dsse_verifier_rules() {
    let base = golden("dsse-0.0.1-two-signatures");
    let expected = insert(&base).unwrap();
    // Verifier order does not matter when each verifier verifies a signature…
    let mut swapped = base.clone();
    let verifiers = swapped["spec"]["proposedContent"]["verifiers"]
        .as_array_mut()
        .unwrap();
    verifiers.reverse();
    assert_eq!(insert(&swapped).unwrap().body(), expected.body());
    // …but a verifier that verifies nothing before all signatures are done is an error
    // (Rekor quirk), while one after they are done is ignored.
    let unrelated = json!(b64e(&golden_key("ecdsa-p384.pub.pem")));
    let mut first = base.clone();
    first["spec"]["proposedContent"]["verifiers"]
        .as_array_mut()
        .unwrap()
        .insert(0, unrelated.clone());
    assert_eq!(
        insert(&first).unwrap_err().to_string(),
        "could not verify envelope: accepted signatures do not match threshold, Found: 0, Expected 1"
    );
    let mut last = base.clone();
    last["spec"]["proposedContent"]["verifiers"]
        .as_array_mut()
        .unwrap()
        .push(unrelated);
    assert_eq!(insert(&last).unwrap().body(), expected.body());
    // One verifier for two signatures: the second stays unverified.
    let mut one = base.clone();
    one["spec"]["proposedContent"]["verifiers"]
        .as_array_mut()
        .unwrap()
        .truncate(1);
    assert_eq!(
        insert(&one).unwrap_err().to_string(),
        "all signatures must have a key that verifies it"
    );
    // No signatures at all.
    let mut none = base.clone();
    let env: Value = serde_json::from_str(
        base["spec"]["proposedContent"]["envelope"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let mut env_none = env.clone();
    env_none["signatures"] = json!([]);
    none["spec"]["proposedContent"]["envelope"] = json!(env_none.to_string());
    assert_eq!(
        insert(&none).unwrap_err().to_string(),
        "DSSE envelope must contain 1 or more signatures"
    );
    // A changed payload breaks both signatures.
    let mut tampered_env = env.clone();
    tampered_env["payload"] = json!(b64e(b"{}"));
    let mut tampered = base.clone();
    tampered["spec"]["proposedContent"]["envelope"] = json!(tampered_env.to_string());
    assert!(matches!(insert(&tampered), Err(Error::InvalidSignature(_))));
    // The envelope must be JSON.
    let mut junk = base.clone();
    junk["spec"]["proposedContent"]["envelope"] = json!("{not json");
    assert!(matches!(insert(&junk), Err(Error::Malformed { .. })));
}

#[test]
fn canonical_forms_are_lookups_not_inserts() {
    for name in ["dsse-0.0.1", "intoto-0.0.1", "intoto-0.0.2"] {
        let body = read(&vectors().join(format!(
            "golden/rekor-v1.5.3/create/{name}.canonical-body.json"
        )));
        assert!(
            matches!(
                canonicalize(&body, &Options::default()),
                Err(Error::NotInsertable(_))
            ),
            "{name}"
        );
        assert_eq!(
            canonicalize(&body, &Options::lookup()).unwrap().body(),
            body.as_slice()
        );
    }
    // A non-canonical (pretty-printed) copy of a stored body is refused by parse_stored…
    let body = read(
        &vectors().join("golden/rekor-v1.5.3/create/rekord-x509-ecdsa-p256.canonical-body.json"),
    );
    let pretty =
        serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&body).unwrap()).unwrap();
    assert!(matches!(
        parse_stored(&pretty),
        Err(Error::Malformed { field: "body", .. })
    ));
    parse_stored(&body).unwrap();
    // …and a rekord body without the artifact cannot be inserted or looked up.
    assert!(matches!(
        canonicalize(&body, &Options::lookup()),
        Err(Error::Malformed { .. })
    ));
}

#[test]
fn intoto_v002_every_signature_needs_its_key() {
    let base = golden("intoto-0.0.2");
    insert(&base).unwrap();
    let mut wrong_key = base.clone();
    wrong_key["spec"]["content"]["envelope"]["signatures"][0]["publicKey"] =
        json!(b64e(&golden_key("ecdsa-p256-b.pub.pem")));
    assert_eq!(
        insert(&wrong_key).unwrap_err().to_string(),
        "could not verify envelope: accepted signatures do not match threshold, Found: 0, Expected 1"
    );
    let mut no_hash = base.clone();
    no_hash["spec"]["content"]
        .as_object_mut()
        .unwrap()
        .remove("hash");
    assert_eq!(
        insert(&no_hash).unwrap_err().to_string(),
        "missing envelope digest"
    );
    // A keyid is kept in the canonical body when present.
    let mut with_keyid = base.clone();
    with_keyid["spec"]["content"]["envelope"]["signatures"][0]["keyid"] = json!("my-key");
    let entry = insert(&with_keyid).unwrap();
    assert!(std::str::from_utf8(entry.body())
        .unwrap()
        .contains("\"keyid\":\"my-key\""));
}

#[test]
fn retrieve_entries_must_be_objects() {
    for v in [json!("abc"), json!([1]), json!(3)] {
        assert!(matches!(
            canonicalize_value(&v, &Options::lookup()),
            Err(Error::InvalidJson(_))
        ));
    }
    assert_eq!(
        canonicalize_value(&Value::Null, &Options::lookup()).unwrap_err(),
        Error::MissingField { field: "kind" }
    );
}

#[test]
fn entry_ids() {
    let uuid = "350e7ac4f817f41a1fac947c75eb212c6aff31960d22719aeec5599ddafe5fd1";
    let EntryRef::Uuid(u) = parse_entry_ref(uuid).unwrap() else {
        panic!()
    };
    assert_eq!(u.to_string(), uuid);
    assert_eq!(
        parse_entry_ref(&uuid.to_uppercase()).unwrap(),
        EntryRef::Uuid(u)
    );
    let id = format!("5edef3d8901df3b8{uuid}");
    let parsed = parse_entry_ref(&id).unwrap();
    assert_eq!(parsed.tree_id(), Some(6836169395851359160));
    assert_eq!(parsed.uuid(), u);
    assert_eq!(EntryId::new(6836169395851359160, u).to_string(), id);
    assert_eq!(
        EntryId::new(1, u).to_string(),
        format!("0000000000000001{uuid}")
    );
    assert_eq!(
        parse_entry_ref(&format!("0000000000000000{uuid}"))
            .unwrap()
            .tree_id(),
        Some(0)
    );
    for bad in [
        &uuid[..63],
        &format!("{uuid}0"),
        &format!("g{}", &uuid[1..]),
        "",
        &format!("ffffffffffffffff{uuid}"),
    ] {
        assert!(
            matches!(parse_entry_ref(bad), Err(Error::InvalidEntryId(_))),
            "{bad}"
        );
    }
    assert_eq!(
        Uuid::of_body(b"").to_string(),
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    );
}
