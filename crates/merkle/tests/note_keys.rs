//! Key loading, signing and verification (`signature.rs`): every supported private key
//! encoding, real signatures from Rekor (SETs) and from Rekor's client test data, and the
//! encodings that must be refused.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;
use sigstack_merkle::signature::{
    Algorithm, EcdsaP256Signer, EcdsaP256Verifier, Ed25519Signer, Ed25519Verifier, PublicKey,
    SignatureError, Signer, Verifier,
};

/// An OpenSSL-generated P-256 test key (`openssl ecparam -genkey -noout -outform DER`), as
/// SEC1 `EC PRIVATE KEY` with parameters and public key.
const P256_SEC1: &str = "30770201010420052857114e93a8d4ed4e4ca0bfdcc7d935c986b789ecaccf727c15a2627da33aa00a06082a8648ce3d030107a1440342000426f6f5a5063604a83b020951aa6b5d669ab6d01b9e912469b7736032228780c7de2b76799f639c949fc92779528035af149e024a9b737c6b68636867b2405435";
/// The same key with `-no_public` (no `publicKey` field).
const P256_SEC1_NO_PUBLIC: &str = "30310201010420052857114e93a8d4ed4e4ca0bfdcc7d935c986b789ecaccf727c15a2627da33aa00a06082a8648ce3d030107";
/// The same key as PKCS#8 (`openssl pkcs8 -topk8 -nocrypt`).
const P256_PKCS8: &str = "308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420052857114e93a8d4ed4e4ca0bfdcc7d935c986b789ecaccf727c15a2627da33aa1440342000426f6f5a5063604a83b020951aa6b5d669ab6d01b9e912469b7736032228780c7de2b76799f639c949fc92779528035af149e024a9b737c6b68636867b2405435";
/// Its SubjectPublicKeyInfo (`openssl ec -pubout`).
const P256_SPKI: &str = "3059301306072a8648ce3d020106082a8648ce3d0301070342000426f6f5a5063604a83b020951aa6b5d669ab6d01b9e912469b7736032228780c7de2b76799f639c949fc92779528035af149e024a9b737c6b68636867b2405435";
/// An OpenSSL-generated Ed25519 key, PKCS#8 v1 (no public key inside).
const ED25519_PKCS8_V1: &str =
    "302e020100300506032b657004220420df40a53802d130e326b31770d2fc10d7aa09c76a283cf7fd64a731967e09a021";
/// Its SubjectPublicKeyInfo.
const ED25519_SPKI: &str =
    "302a300506032b6570032100cc7b196e01e794f96b203ef8f0498ba019034fa33bec8156af4ae1d2511774d8";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn vector_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(rel)
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    STANDARD.decode(b64).unwrap()
}

fn client_algos(file: &str) -> Vec<u8> {
    std::fs::read(vector_path("rekor-v1/client-algos").join(file)).unwrap()
}

fn client_algos_key(file: &str) -> Result<PublicKey, SignatureError> {
    let pem = String::from_utf8(client_algos(file)).unwrap();
    PublicKey::from_spki_der(&pem_to_der(&pem))
}

#[test]
fn generated_ecdsa_key_signs_der_signatures_that_verify() {
    let pkcs8 = EcdsaP256Signer::generate_pkcs8_der().unwrap();
    let signer = EcdsaP256Signer::from_pkcs8_der(&pkcs8).unwrap();
    assert_eq!(signer.algorithm(), Algorithm::EcdsaP256Sha256);
    let sig = signer.sign(b"message").unwrap();
    assert_eq!(sig[0], 0x30, "ASN.1 DER SEQUENCE, not raw r||s");
    assert!((8..=72).contains(&sig.len()));

    let verifier = EcdsaP256Verifier::from_spki_der(signer.public_key_spki_der()).unwrap();
    verifier.verify(b"message", &sig).unwrap();
    assert_eq!(
        verifier.verify(b"messagf", &sig),
        Err(SignatureError::InvalidSignature)
    );
    assert_eq!(signer.public_key(), PublicKey::EcdsaP256(verifier));
    signer.public_key().verify(b"message", &sig).unwrap();
}

#[test]
fn sec1_and_pkcs8_encodings_of_one_key_load_to_the_same_key() {
    let from_sec1 = EcdsaP256Signer::from_sec1_der(&h(P256_SEC1)).unwrap();
    let from_pkcs8 = EcdsaP256Signer::from_pkcs8_der(&h(P256_PKCS8)).unwrap();
    assert_eq!(from_sec1.public_key_spki_der(), h(P256_SPKI));
    assert_eq!(from_pkcs8.public_key_spki_der(), h(P256_SPKI));
    let sig = from_sec1.sign(b"cross-check").unwrap();
    from_pkcs8
        .public_key()
        .verify(b"cross-check", &sig)
        .unwrap();
}

#[test]
fn bad_sec1_keys_are_rejected() {
    assert!(matches!(
        EcdsaP256Signer::from_sec1_der(&h(P256_SEC1_NO_PUBLIC)),
        Err(SignatureError::InvalidPrivateKey(_))
    ));
    let good = h(P256_SEC1);
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(EcdsaP256Signer::from_sec1_der(&trailing).is_err());
    assert!(EcdsaP256Signer::from_sec1_der(&good[..good.len() - 1]).is_err());
    // A public key that is not the private key's.
    let mut wrong_point = good.clone();
    let last = wrong_point.len() - 1;
    wrong_point[last] ^= 1;
    assert!(EcdsaP256Signer::from_sec1_der(&wrong_point).is_err());
    // A different curve OID in the parameters (secp256k1: 1.3.132.0.10).
    let k1 = P256_SEC1.replace("a00a06082a8648ce3d030107", "a00706052b8104000a");
    let k1 = k1.replacen("3077", &format!("30{:02x}", 0x77 - 3), 1);
    assert!(EcdsaP256Signer::from_sec1_der(&h(&k1)).is_err());
    // PKCS#8 is not SEC1 and vice versa; garbage is neither.
    assert!(EcdsaP256Signer::from_sec1_der(&h(P256_PKCS8)).is_err());
    assert!(EcdsaP256Signer::from_pkcs8_der(&good).is_err());
    for junk in [
        &[][..],
        &[0x30],
        &[0x30, 0x81],
        &[0x30, 0x82, 0xff, 0xff],
        &[0xff; 40],
    ] {
        assert!(EcdsaP256Signer::from_sec1_der(junk).is_err());
        assert!(EcdsaP256Signer::from_pkcs8_der(junk).is_err());
    }
}

#[test]
fn ed25519_rfc8032_test_1() {
    let seed = h("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    let signer = Ed25519Signer::from_seed(&seed).unwrap();
    assert_eq!(
        hex::encode(signer.public_key_bytes()),
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    );
    let sig = signer.sign(b"").unwrap();
    assert_eq!(
        hex::encode(&sig),
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065\
         224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    );
    let verifier = Ed25519Verifier::from_raw(signer.public_key_bytes()).unwrap();
    verifier.verify(b"", &sig).unwrap();
    assert!(verifier.verify(b"x", &sig).is_err());
}

#[test]
fn ed25519_keys_load_from_every_encoding() {
    let v1 = Ed25519Signer::from_pkcs8_der(&h(ED25519_PKCS8_V1)).unwrap();
    assert_eq!(v1.public_key_spki_der(), h(ED25519_SPKI));
    assert_eq!(v1.algorithm(), Algorithm::Ed25519);

    let v2 = Ed25519Signer::generate_pkcs8_der().unwrap();
    let signer = Ed25519Signer::from_pkcs8_der(&v2).unwrap();
    let sig = signer.sign(b"hello").unwrap();
    assert_eq!(sig.len(), 64);
    let from_spki = Ed25519Verifier::from_spki_der(signer.public_key_spki_der()).unwrap();
    let from_raw = Ed25519Verifier::from_raw(signer.public_key_bytes()).unwrap();
    assert_eq!(from_spki, from_raw);
    from_spki.verify(b"hello", &sig).unwrap();
    assert_eq!(signer.public_key(), PublicKey::Ed25519(from_raw));

    assert!(Ed25519Signer::from_seed(&[0; 31]).is_err());
    assert!(Ed25519Signer::from_seed(&[0; 33]).is_err());
    assert!(Ed25519Signer::from_pkcs8_der(&h(P256_PKCS8)).is_err());
    assert!(Ed25519Verifier::from_raw(&[0; 31]).is_err());
    assert!(Ed25519Verifier::from_spki_der(&h(P256_SPKI)).is_err());
}

#[test]
fn spki_detection_and_rejection() {
    assert!(matches!(
        PublicKey::from_spki_der(&h(P256_SPKI)).unwrap(),
        PublicKey::EcdsaP256(_)
    ));
    assert!(matches!(
        PublicKey::from_spki_der(&h(ED25519_SPKI)).unwrap(),
        PublicKey::Ed25519(_)
    ));
    for bad in [
        format!("{P256_SPKI}00"),
        P256_SPKI[..P256_SPKI.len() - 2].to_owned(),
        format!("{ED25519_SPKI}00"),
        ED25519_SPKI[..ED25519_SPKI.len() - 2].to_owned(),
        // Compressed point (0x02 prefix) in an otherwise P-256 SPKI.
        P256_SPKI.replacen("03420004", "03420002", 1),
        String::new(),
    ] {
        assert!(PublicKey::from_spki_der(&h(&bad)).is_err(), "{bad}");
    }
    // RSA keys are not log keys.
    assert!(matches!(
        client_algos_key("rsa_public.pem"),
        Err(SignatureError::InvalidPublicKey(_))
    ));
}

#[test]
fn rekor_client_test_signatures_verify() {
    let ec = client_algos_key("ec_public.pem").unwrap();
    let (file1, file2) = (client_algos("file1"), client_algos("file2"));
    let (sig1, sig2) = (client_algos("file1.ec.sig"), client_algos("file2.ec.sig"));
    ec.verify(&file1, &sig1).unwrap();
    ec.verify(&file2, &sig2).unwrap();
    assert!(ec.verify(&file2, &sig1).is_err());
    assert!(ec.verify(&file1, &sig2).is_err());

    let ed = client_algos_key("ed25519_public.pem").unwrap();
    ed.verify(&file1, &client_algos("file1.ed25519.sig"))
        .unwrap();
    // Ed25519ph is a different scheme; pure Ed25519 must not accept it.
    assert!(ed
        .verify(&file1, &client_algos("file1.ed25519ph.sig"))
        .is_err());
    // Keys of one kind do not verify the other kind's signatures.
    assert!(ec
        .verify(&file1, &client_algos("file1.ed25519.sig"))
        .is_err());
    assert!(ed.verify(&file1, &sig1).is_err());
}

#[test]
fn real_rekor_signed_entry_timestamps_verify() {
    let path = vector_path("rekor-v1/derived/real-entries.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 6);
    for e in entries {
        let key = EcdsaP256Verifier::from_spki_der(&pem_to_der(
            e["log_public_key_pem"].as_str().unwrap(),
        ))
        .unwrap();
        let (_, entry) = e["as_rekor_v1_api_response"]
            .as_object()
            .unwrap()
            .iter()
            .next()
            .unwrap();
        let set = STANDARD
            .decode(
                entry["verification"]["signedEntryTimestamp"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
        let payload = e["set_signed_payload_utf8"].as_str().unwrap().as_bytes();
        key.verify(payload, &set).unwrap();
        let mut tampered = payload.to_vec();
        let last = tampered.len() - 2;
        tampered[last] ^= 1;
        assert!(key.verify(&tampered, &set).is_err());
    }
}

#[test]
fn malformed_signatures_are_rejected_not_panicking() {
    let ec = EcdsaP256Signer::from_pkcs8_der(&h(P256_PKCS8)).unwrap();
    let ed = Ed25519Signer::from_pkcs8_der(&h(ED25519_PKCS8_V1)).unwrap();
    let ec_sig = ec.sign(b"m").unwrap();
    for key in [ec.public_key(), ed.public_key()] {
        for sig in [
            &[][..],
            &[0x30, 0x00],
            &[0u8; 64],
            &[0xffu8; 72],
            &ec_sig[..ec_sig.len() - 1],
        ] {
            assert_eq!(key.verify(b"m", sig), Err(SignatureError::InvalidSignature));
        }
    }
}

#[test]
fn signers_work_as_trait_objects() {
    let signers: Vec<Box<dyn Signer>> = vec![
        Box::new(EcdsaP256Signer::from_sec1_der(&h(P256_SEC1)).unwrap()),
        Box::new(Ed25519Signer::from_pkcs8_der(&h(ED25519_PKCS8_V1)).unwrap()),
    ];
    for s in &signers {
        let sig = s.sign(b"trait object").unwrap();
        let key = PublicKey::from_spki_der(s.public_key_spki_der()).unwrap();
        assert_eq!(key.algorithm(), s.algorithm());
        key.verify(b"trait object", &sig).unwrap();
    }
    // Debug output never includes private key material.
    let ec_debug = format!(
        "{:?}",
        EcdsaP256Signer::from_sec1_der(&h(P256_SEC1)).unwrap()
    );
    assert!(!ec_debug.contains("052857114e93a8d4"), "{ec_debug}");
}
