//! Proof of possession: the real requests captured from Fulcio 1.6.5 (accepted and refused,
//! with Fulcio's client messages), keys of every supported type, and CSR fixtures made with
//! OpenSSL (`tests/fixtures/`, throw-away keys).
#![allow(clippy::unwrap_used)]

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::{fixture, golden};
use serde_json::Value;
use sigstack_fulcio::pop::{self, KeyKind};
use sigstack_fulcio::server::request_status;
use sigstack_fulcio::Error;
use sigstack_test_oidc::{KeyKind as TestKind, TestKey};

/// What the captured request asks the CA to check.
enum Request {
    Challenge { key: Vec<u8>, sig: Vec<u8> },
    Csr(Vec<u8>),
}

fn load(rel: &str) -> (Value, Request) {
    let rec: Value = serde_json::from_slice(&std::fs::read(golden(rel)).unwrap()).unwrap();
    let body: Value = serde_json::from_str(rec["request"]["body_text"].as_str().unwrap()).unwrap();
    let b64 = |v: &Value| STANDARD.decode(v.as_str().unwrap()).unwrap();
    let req = if let Some(pkr) = body
        .get("publicKeyRequest")
        .or(body.get("public_key_request"))
    {
        let pk = pkr.get("publicKey").or(pkr.get("public_key")).unwrap();
        let pop = pkr
            .get("proofOfPossession")
            .or(pkr.get("proof_of_possession"))
            .unwrap();
        Request::Challenge {
            key: pk["content"].as_str().unwrap().as_bytes().to_vec(),
            sig: b64(pop),
        }
    } else if let Some(csr) = body
        .get("certificateSigningRequest")
        .filter(|c| !c.is_null())
    {
        Request::Csr(b64(csr))
    } else {
        // v1: publicKey.content is base64 of the PEM.
        Request::Challenge {
            key: b64(&body["publicKey"]["content"]),
            sig: b64(&body["signedEmailAddress"]),
        }
    };
    (rec, req)
}

fn check(req: &Request) -> sigstack_fulcio::Result<pop::RequestKey> {
    match req {
        Request::Challenge { key, sig } => {
            pop::verify_signed_challenge(key, sig, "alice@example.com")
        }
        Request::Csr(csr) => pop::verify_csr(csr),
    }
}

#[test]
fn golden_accepted_requests_verify() {
    let cases = [
        (
            "ok/POST-api-v1-signingCert-ecdsa-p256-cosign-shape.json",
            KeyKind::EcdsaP256,
        ),
        ("ok/POST-api-v1-signingCert-csr.json", KeyKind::EcdsaP256),
        (
            "ok/POST-api-v2-signingCert-csr-ecdsa-p256.json",
            KeyKind::EcdsaP256,
        ),
        (
            "ok/POST-api-v2-signingCert-ecdsa-p256-token-header.json",
            KeyKind::EcdsaP256,
        ),
        (
            "ok/POST-api-v2-signingCert-ecdsa-p256-token-in-body.json",
            KeyKind::EcdsaP256,
        ),
        // Fulcio 1.6.5 hashed every PoP with SHA-256, also for P-384.
        (
            "ok/POST-api-v2-signingCert-ecdsa-p384-pop-sha256.json",
            KeyKind::EcdsaP384,
        ),
        ("ok/POST-api-v2-signingCert-ed25519.json", KeyKind::Ed25519),
        (
            "ok/POST-api-v2-signingCert-rsa2048-alg-RSA-unknown-enum.json",
            KeyKind::Rsa { bits: 2048 },
        ),
        (
            "ok/POST-api-v2-signingCert-snake-case-fields.json",
            KeyKind::EcdsaP256,
        ),
        ("errors/e21-unknown-field.json", KeyKind::EcdsaP256),
        // Newer Fulcio hashes by curve (P-384 → SHA-384): 1.6.5 refused this one, we accept
        // both generations of clients.
        ("errors/e28-ecdsa-p384-pop-sha384.json", KeyKind::EcdsaP384),
    ];
    for (rel, kind) in cases {
        let (_, req) = load(rel);
        let key = check(&req).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(key.kind, kind, "{rel}");
    }
}

#[test]
fn golden_refused_requests_fail_with_fulcios_message() {
    let cases = [
        "errors/e06-pop-by-other-key.json",
        "errors/e07-pop-over-wrong-message.json",
        "errors/e08-malformed-public-key.json",
        "errors/e09-public-key-not-pem.json",
        "errors/e12-csr-bad-signature.json",
        "errors/e13-weak-rsa-1024.json",
        "errors/e20-csr-raw-der-not-pem.json",
        "errors/e22-v1-bad-pop.json",
        "errors/e27-ed25519-pop-prehashed-wrong.json",
    ];
    for rel in cases {
        let (rec, req) = load(rel);
        let err = check(&req)
            .err()
            .unwrap_or_else(|| panic!("{rel} must fail"));
        let expected = rec["response"]["body_json"]["message"].as_str().unwrap();
        assert_eq!(err.client_message(), expected, "{rel}: {err}");
        assert_eq!(request_status(&err).as_u16(), 400);
    }
}

#[test]
fn the_captured_key_must_match_the_certified_key() {
    // The SPKI we certify is the requester's key, canonically re-encoded.
    let (_, req) = load("ok/POST-api-v2-signingCert-ecdsa-p256-token-header.json");
    let key = check(&req).unwrap();
    let tk = TestKey::from_pkcs8_pem(
        "k",
        TestKind::EcP256,
        &std::fs::read_to_string(golden("keys/ecdsa-p256.key.pem")).unwrap(),
    );
    assert_eq!(key.spki_der, tk.public_key_der());
}

#[test]
fn every_key_type_signs_the_challenge() {
    let keys = [
        (TestKey::es256("a"), KeyKind::EcdsaP256),
        (TestKey::es384("b"), KeyKind::EcdsaP384),
        (TestKey::ed25519("c"), KeyKind::Ed25519),
        (TestKey::rsa("d"), KeyKind::Rsa { bits: 2048 }),
    ];
    let other = TestKey::es256("z");
    for (k, kind) in &keys {
        let pem = k.public_key_pem();
        let sig = k.sign_raw(b"repo:octo/repo:ref:refs/heads/main");
        let got = pop::verify_signed_challenge(
            pem.as_bytes(),
            &sig,
            "repo:octo/repo:ref:refs/heads/main",
        )
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(got.kind, *kind);
        // DER SPKI works as well as PEM.
        pop::verify_signed_challenge(
            &k.public_key_der(),
            &sig,
            "repo:octo/repo:ref:refs/heads/main",
        )
        .unwrap();
        // Wrong message.
        let e = pop::verify_signed_challenge(
            pem.as_bytes(),
            &sig,
            "repo:octo/repo:ref:refs/heads/evil",
        )
        .unwrap_err();
        assert!(matches!(e, Error::PopFailed(_)), "{kind:?}: {e}");
        // Signed by another key.
        let forged = other.sign_raw(b"repo:octo/repo:ref:refs/heads/main");
        let e = pop::verify_signed_challenge(
            pem.as_bytes(),
            &forged,
            "repo:octo/repo:ref:refs/heads/main",
        )
        .unwrap_err();
        assert!(matches!(e, Error::PopFailed(_)), "{kind:?}: {e}");
        // Empty signature.
        let e = pop::verify_signed_challenge(pem.as_bytes(), &[], "x").unwrap_err();
        assert!(matches!(e, Error::PopFailed(_)));
    }
}

#[test]
fn p521_challenge() {
    let pem = fixture("p521.pub.pem");
    let sig = fixture("p521-pop-alice-sha512.sig");
    let k = pop::verify_signed_challenge(&pem, &sig, "alice@example.com").unwrap();
    assert_eq!(k.kind, KeyKind::EcdsaP521);
    assert!(matches!(
        pop::verify_signed_challenge(&pem, &sig, "bob@example.com"),
        Err(Error::PopFailed(_))
    ));
}

#[test]
fn weak_and_unsupported_keys() {
    // RSA-1024 (golden key), RSA with e = 3, secp256k1.
    for f in ["rsa1024.pub.pem", "rsa2048-e3.pub.pem", "k256.pub.pem"] {
        let e = pop::parse_public_key(&fixture(f)).unwrap_err();
        assert!(matches!(e, Error::WeakKey(_)), "{f}: {e}");
        assert_eq!(
            e.client_message(),
            "The public key supplied in the request is insecure"
        );
    }
    for junk in [
        &b""[..],
        b"hello",
        b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ] {
        let e = pop::parse_public_key(junk).unwrap_err();
        assert!(matches!(e, Error::PublicKeyUnparsable(_)), "{e}");
    }
    // A compressed P-256 point is not accepted (Go's parser refuses it too).
    let k = TestKey::es256("c");
    let mut der = k.public_key_der();
    let n = der.len();
    let x: Vec<u8> = der[n - 64..n - 32].to_vec();
    der.truncate(n - 65);
    let len_pos = der.len() - 2; // BIT STRING length
    der[len_pos] = 34;
    der.push(0x02);
    der.extend_from_slice(&x);
    der[1] -= 32;
    assert!(pop::parse_public_key(&der).is_err());
}

#[test]
fn csr_fixtures() {
    let ok = [
        ("csr-p384-sha384.pem", KeyKind::EcdsaP384),
        ("csr-p256-email-subject.pem", KeyKind::EcdsaP256),
        ("csr-ed25519.pem", KeyKind::Ed25519),
        ("csr-rsa2048-sha256.pem", KeyKind::Rsa { bits: 2048 }),
        ("csr-p521-sha512.pem", KeyKind::EcdsaP521),
    ];
    for (f, kind) in ok {
        let k = pop::verify_csr(&fixture(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(k.kind, kind, "{f}");
    }
    for f in ["csr-p384-sha256.pem", "csr-p256-sha512.pem"] {
        let e = pop::verify_csr(&fixture(f)).unwrap_err();
        assert!(
            matches!(e, Error::SigningAlgorithmNotPermitted { .. }),
            "{f}: {e}"
        );
        assert!(e
            .client_message()
            .starts_with("signing algorithm not permitted: "));
    }
    for f in ["csr-rsa1024.pem", "csr-secp256k1.pem"] {
        let e = pop::verify_csr(&fixture(f)).unwrap_err();
        assert!(matches!(e, Error::WeakKey(_)), "{f}: {e}");
    }
}

#[test]
fn malformed_and_tampered_csrs() {
    let good = String::from_utf8(fixture("csr-p384-sha384.pem")).unwrap();
    let body: String = good.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(&body).unwrap();
    let pem = |der: &[u8]| {
        format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
            STANDARD.encode(der)
        )
    };
    // Truncated DER, garbage, wrong PEM label, raw DER (Fulcio wants PEM), empty.
    let truncated = pem(&der[..der.len() / 2]);
    let wrong_label = good.replace("CERTIFICATE REQUEST", "PUBLIC KEY");
    for bad in [
        truncated.as_bytes(),
        b"garbage",
        wrong_label.as_bytes(),
        &der,
        b"",
    ] {
        let e = pop::verify_csr(bad).unwrap_err();
        assert!(matches!(e, Error::CsrUnparsable(_)), "{e}");
        assert_eq!(
            e.client_message(),
            "The certificate signing request could not be parsed"
        );
    }
    // Change the public key inside the signed info: the self-signature must fail.
    let mut tampered = der.clone();
    let pos = tampered
        .windows(4)
        .position(|w| w == [0x03, 0x62, 0x00, 0x04])
        .unwrap();
    tampered[pos + 10] ^= 0x01;
    let e = pop::verify_csr(pem(&tampered).as_bytes()).unwrap_err();
    assert!(matches!(e, Error::PopFailed(_)), "{e}");
    // Flip the last signature byte.
    let mut sig_flip = der.clone();
    let last = sig_flip.len() - 1;
    sig_flip[last] ^= 1;
    let e = pop::verify_csr(pem(&sig_flip).as_bytes()).unwrap_err();
    assert!(matches!(e, Error::PopFailed(_)), "{e}");
    // Text around the PEM block and CRLF line ends are tolerated.
    let lenient = format!("junk before\r\n{}trailing", good.replace('\n', "\r\n"));
    pop::verify_csr(lenient.as_bytes()).unwrap();
}

/// A DER key is binary: a last byte that happens to be ASCII whitespace (0x09, 0x0a, 0x0c,
/// 0x0d, 0x20 — about one key in fifty) must not be trimmed away as if it were PEM text.
#[test]
fn der_keys_ending_in_a_whitespace_byte_parse() {
    let key = (0..5000)
        .map(|i| TestKey::es256(&format!("ws{i}")))
        .find(|k| {
            k.public_key_der()
                .last()
                .is_some_and(|b| b.is_ascii_whitespace())
        })
        .expect("one key in ~50 ends in a whitespace byte");
    let message = "alice@example.com";
    let sig = key.sign_raw(message.as_bytes());
    let got = pop::verify_signed_challenge(&key.public_key_der(), &sig, message).unwrap();
    assert_eq!(got.kind, KeyKind::EcdsaP256);
    assert_eq!(got.spki_der, key.public_key_der());
}
