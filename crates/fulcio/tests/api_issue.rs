//! Issuance over HTTP: v1 (cosign 2.5) and v2 (sigstore-go/-python/-js) for every key type
//! and for CSRs; each issued chain is checked the way clients check it (chain signatures,
//! SAN, issuer extensions, ten-minute validity, one embedded SCT verifying with the CT key).
//! Also the golden `ok/` and `clients/` requests of Fulcio 1.6.5, replayed byte for byte
//! with re-minted tokens.
#![allow(clippy::unwrap_used)]

mod api_support;

use api_support::*;
use base64::Engine as _;
use serde_json::json;
use sigstack_test_oidc::{KeyKind, TestKey};

/// A v2 publicKeyRequest body for `key`, proving possession over `name`.
fn v2_body(key: &TestKey, name: &str, algorithm: &str) -> Vec<u8> {
    json!({
        "publicKeyRequest": {
            "publicKey": {"algorithm": algorithm, "content": key.public_key_pem()},
            "proofOfPossession": b64().encode(key.sign_raw(name.as_bytes())),
        }
    })
    .to_string()
    .into_bytes()
}

/// A v1 (cosign 2.5 shape) body for `key`.
fn v1_body(key: &TestKey, name: &str) -> Vec<u8> {
    json!({
        "publicKey": {"content": b64().encode(key.public_key_pem())},
        "signedEmailAddress": b64().encode(key.sign_raw(name.as_bytes())),
        "certificateSigningRequest": null,
    })
    .to_string()
    .into_bytes()
}

fn keys() -> Vec<(&'static str, TestKey)> {
    vec![
        ("ECDSA", TestKey::es256("p256")),
        ("ECDSA", TestKey::es384("p384")),
        ("ED25519", TestKey::ed25519("ed")),
        ("RSA", TestKey::rsa("rsa")),
    ]
}

#[tokio::test]
async fn v2_issues_for_every_key_type() {
    let s = start().await;
    for (alg, key) in keys() {
        let token = s.issuers.email_token(ALICE);
        let r = s
            .post(
                "/api/v2/signingCert",
                Some(&token),
                &v2_body(&key, ALICE, alg),
            )
            .await;
        let chain = r.v2_chain();
        assert_eq!(chain.len(), 3, "{:?}", key.kind());
        s.check_chain(
            &chain,
            &Expect {
                san: ALICE,
                issuer: EMAIL_ISSUER,
                spki_der: &key.public_key_der(),
            },
        );
    }
    assert_eq!(s.log.calls(), 4);
    assert_eq!(s.log.entries.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn v1_issues_for_every_key_type() {
    let s = start().await;
    for (_, key) in keys() {
        let token = s.issuers.email_token(ALICE);
        let r = s
            .post("/api/v1/signingCert", Some(&token), &v1_body(&key, ALICE))
            .await;
        assert!(r.header("SCT").is_none(), "embedded mode: no SCT header");
        let chain = r.v1_chain();
        assert_eq!(chain.len(), 3);
        s.check_chain(
            &chain,
            &Expect {
                san: ALICE,
                issuer: EMAIL_ISSUER,
                spki_der: &key.public_key_der(),
            },
        );
    }
}

#[tokio::test]
async fn v1_accepts_der_public_key() {
    let s = start().await;
    let key = TestKey::es256("p256");
    let body = json!({
        "publicKey": {"content": b64().encode(key.public_key_der()), "algorithm": "ecdsa"},
        "signedEmailAddress": b64().encode(key.sign_raw(ALICE.as_bytes())),
    });
    let r = s
        .post(
            "/api/v1/signingCert",
            Some(&s.issuers.email_token(ALICE)),
            body.to_string().as_bytes(),
        )
        .await;
    s.check_chain(
        &r.v1_chain(),
        &Expect {
            san: ALICE,
            issuer: EMAIL_ISSUER,
            spki_der: &key.public_key_der(),
        },
    );
}

/// The fixture CSRs (OpenSSL, `-subj "/"`) with the DER SPKI of their keys.
fn csrs() -> Vec<(&'static str, Vec<u8>)> {
    [
        "csr-p384-sha384.pem",
        "csr-ed25519.pem",
        "csr-rsa2048-sha256.pem",
        "csr-p256-email-subject.pem",
    ]
    .into_iter()
    .map(|n| (n, fixture(n)))
    .collect()
}

fn csr_spki(pem: &[u8]) -> Vec<u8> {
    use x509_cert::der::{DecodePem, Encode};
    let req = x509_cert::request::CertReq::from_pem(pem).unwrap();
    req.info.public_key.to_der().unwrap()
}

#[tokio::test]
async fn csr_issues_on_v1_and_v2() {
    let s = start().await;
    for (name, csr) in csrs() {
        let spki = csr_spki(&csr);
        let expect = Expect {
            san: ALICE,
            issuer: EMAIL_ISSUER,
            spki_der: &spki,
        };
        let token = s.issuers.email_token(ALICE);
        let v2 = json!({"certificateSigningRequest": b64().encode(&csr)}).to_string();
        let r = s
            .post("/api/v2/signingCert", Some(&token), v2.as_bytes())
            .await;
        assert_eq!(r.status, 200, "{name}: {}", r.text());
        s.check_chain(&r.v2_chain(), &expect);
        let v1 =
            json!({"certificateSigningRequest": b64().encode(&csr), "publicKey": null}).to_string();
        let r = s
            .post("/api/v1/signingCert", Some(&token), v1.as_bytes())
            .await;
        assert_eq!(r.status, 201, "{name}: {}", r.text());
        s.check_chain(&r.v1_chain(), &expect);
    }
}

#[tokio::test]
async fn github_workflow_gets_uri_san_and_token_in_body() {
    let s = start().await;
    let key = TestKey::es256("p256");
    let sub = "repo:octo-org/octo-repo:ref:refs/heads/main";
    let mut body: serde_json::Value = serde_json::from_slice(&v2_body(&key, sub, "ECDSA")).unwrap();
    // sigstore-js: token only in the body, snake_case accepted too.
    body["credentials"] = json!({"oidc_identity_token": s.issuers.github_token()});
    let r = s
        .post("/api/v2/signingCert", None, body.to_string().as_bytes())
        .await;
    s.check_chain(
        &r.v2_chain(),
        &Expect {
            san: "https://github.com/octo-org/shared/.github/workflows/build.yml@refs/tags/v1",
            issuer: GITHUB_ISSUER,
            spki_der: &key.public_key_der(),
        },
    );
}

#[tokio::test]
async fn sigstore_python_shape_accept_pem_still_gets_json() {
    let s = start().await;
    let csr = fixture("csr-p256-email-subject.pem");
    let token = format!("Bearer {}", s.issuers.email_token(ALICE));
    let body = json!({"certificateSigningRequest": b64().encode(&csr)}).to_string();
    let r = s
        .request(
            "POST",
            "/api/v2/signingCert",
            &[
                ("Content-Type", "application/json"),
                ("Accept", "application/pem-certificate-chain"),
                ("Authorization", &token),
            ],
            body.as_bytes(),
        )
        .await;
    let chain = r.v2_chain();
    assert!(chain.len() >= 2);
}

#[tokio::test]
async fn duplicate_slashes_are_tolerated() {
    let s = start().await;
    let key = TestKey::es256("p256");
    let r = s
        .post(
            "//api/v2/signingCert",
            Some(&s.issuers.email_token(ALICE)),
            &v2_body(&key, ALICE, "ECDSA"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn golden_ok_requests_are_accepted() {
    let s = start().await;
    for (name, record) in golden_cases("ok") {
        let r = replay(&s, &record, false).await;
        let golden_status = record["response"]["status"].as_u64().unwrap() as u16;
        assert_eq!(r.status, golden_status, "{name}: {}", r.text());
        let chain = if golden_status == 201 {
            r.v1_chain()
        } else {
            r.v2_chain()
        };
        // The key in the request: PEM (v2), base64 PEM (v1) or inside the CSR.
        let golden_leaf =
            std::fs::read(golden_dir().join(format!("certs/leaf-{}.pem", leaf_name(&name))))
                .unwrap();
        let golden_spki = csr_spki_of_cert(&golden_leaf);
        s.check_chain(
            &chain,
            &Expect {
                san: ALICE,
                issuer: EMAIL_ISSUER,
                spki_der: &golden_spki,
            },
        );
    }
}

/// `ok/POST-api-v2-signingCert-ed25519.json` → `leaf-v2-ed25519`.
fn leaf_name(case: &str) -> String {
    let stem = case.trim_end_matches(".json");
    let (v, rest) = if let Some(r) = stem.strip_prefix("POST-api-v1-signingCert-") {
        ("v1", r)
    } else {
        ("v2", stem.strip_prefix("POST-api-v2-signingCert-").unwrap())
    };
    let rest = match rest {
        "ecdsa-p256-cosign-shape" => "ecdsa-p256",
        "csr-ecdsa-p256" => "csr",
        "snake-case-fields" => "snake",
        other => other,
    };
    format!("{v}-{rest}")
}

fn csr_spki_of_cert(pem: &[u8]) -> Vec<u8> {
    use x509_cert::der::Encode;
    let cert = x509_cert::Certificate::load_pem_chain(pem)
        .unwrap()
        .remove(0);
    cert.tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap()
}

#[tokio::test]
async fn cosign_2_5_keyless_request_is_accepted() {
    let s = start().await;
    let record = golden("clients/cosign-2.5-sign-blob-keyless-01-POST-api-v1-signingCert.json");
    let r = replay(&s, &record, false).await;
    let chain = r.v1_chain();
    // The key cosign generated is the one in the request body.
    let content = record["request"]["body_json"]["publicKey"]["content"]
        .as_str()
        .unwrap();
    let pem = String::from_utf8(b64().decode(content).unwrap()).unwrap();
    use x509_cert::der::{DecodePem, Encode};
    let spki = x509_cert::spki::SubjectPublicKeyInfoOwned::from_pem(pem.as_bytes())
        .unwrap()
        .to_der()
        .unwrap();
    s.check_chain(
        &chain,
        &Expect {
            san: ALICE,
            issuer: EMAIL_ISSUER,
            spki_der: &spki,
        },
    );
}

#[tokio::test]
async fn golden_p384_key_with_sha384_pop_is_accepted_too() {
    // Fulcio 1.6.5 hashed every PoP with SHA-256 (golden e28 refused SHA-384); Fulcio ≥ 1.7
    // and current clients use SHA-384 for P-384. We accept both.
    let s = start().await;
    let key = golden_key("ecdsa-p384", KeyKind::EcP384);
    let r = s
        .post(
            "/api/v2/signingCert",
            Some(&s.issuers.email_token(ALICE)),
            &v2_body(&key, ALICE, "ECDSA"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn concurrent_requests_each_get_their_own_certificate() {
    let s = std::sync::Arc::new(start().await);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let s = std::sync::Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            let key = TestKey::es256("k");
            let r = s
                .post(
                    "/api/v2/signingCert",
                    Some(&s.issuers.email_token(ALICE)),
                    &v2_body(&key, ALICE, "ECDSA"),
                )
                .await;
            let chain = r.v2_chain();
            s.check_chain(
                &chain,
                &Expect {
                    san: ALICE,
                    issuer: EMAIL_ISSUER,
                    spki_der: &key.public_key_der(),
                },
            );
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(s.log.entries.lock().unwrap().len(), 16);
}
