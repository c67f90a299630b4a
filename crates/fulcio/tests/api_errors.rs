//! Refusals over HTTP: every golden `errors/` request of Fulcio 1.6.5 replayed (tokens
//! re-minted by our issuer) with the status and message Fulcio gave, adversarial tokens and
//! proofs, malformed bodies and limits, and the CT log failing. No refusal may reach the CT
//! log: a precertificate is only signed after the token and the proof of possession pass.
#![allow(clippy::unwrap_used)]

mod api_support;

use std::time::Duration;

use api_support::*;
use base64::Engine as _;
use serde_json::json;
use sigstack_fulcio::server::HttpOptions;
use sigstack_test_oidc::TestKey;

const TOKEN_ERROR: &str = "There was an error processing the identity token";
const KEY_UNPARSABLE: &str = "The public key supplied in the request could not be parsed";
const KEY_INSECURE: &str = "The public key supplied in the request is insecure";
const CSR_UNPARSABLE: &str = "The certificate signing request could not be parsed";
const BAD_SIGNATURE: &str = "The signature supplied in the request could not be verified";

fn v2_body(key: &TestKey, name: &str) -> Vec<u8> {
    json!({
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": key.public_key_pem()},
            "proofOfPossession": b64().encode(key.sign_raw(name.as_bytes())),
        }
    })
    .to_string()
    .into_bytes()
}

/// What we answer to a golden error case, where it differs from Fulcio 1.6.5.
enum Expected {
    /// Fulcio's status, code and message.
    AsGolden,
    /// Fulcio's status and code, our own message (Fulcio leaks protobuf parser text).
    SameStatusOwnMessage,
    /// A certificate with an embedded SCT (Fulcio: detached, it had no CT log).
    Issued,
    /// Status, code, message.
    Differs(u16, i64, &'static str),
}

fn expected(case: &str) -> Expected {
    match &case[..3] {
        "e17" | "e18" => Expected::SameStatusOwnMessage,
        "e21" | "e30" => Expected::Issued,
        // We accept SHA-384 PoPs for P-384 keys like Fulcio >= 1.7 (1.6.5 wanted SHA-256).
        "e28" => Expected::Issued,
        // 405 + Allow rather than grpc-gateway's 501; same code and message.
        "e25" => Expected::Differs(405, 12, "Method Not Allowed"),
        _ => Expected::AsGolden,
    }
}

#[tokio::test]
async fn golden_error_cases() {
    let s = start().await;
    let cases = golden_cases("errors");
    assert_eq!(cases.len(), 30);
    for (name, record) in cases {
        let calls_before = s.log.calls();
        let foreign = name.starts_with("e05");
        let r = replay(&s, &record, foreign).await;
        let golden = &record["response"];
        let gstatus = golden["status"].as_u64().unwrap() as u16;
        let gjson = &golden["body_json"];
        match expected(&name) {
            Expected::AsGolden => {
                r.assert_error(
                    gstatus,
                    gjson["code"].as_i64().unwrap(),
                    gjson["message"].as_str().unwrap(),
                );
            }
            Expected::SameStatusOwnMessage => {
                assert_eq!(r.status, gstatus, "{name}: {}", r.text());
                let j = r.json();
                assert_eq!(j["code"], gjson["code"], "{name}");
                let m = j["message"].as_str().unwrap();
                assert!(!m.is_empty() && !m.contains("proto:"), "{name}: {m}");
            }
            Expected::Issued => {
                assert_eq!(r.v2_chain().len(), 3, "{name}");
            }
            Expected::Differs(status, code, message) => {
                r.assert_error(status, code, message);
            }
        }
        if !matches!(expected(&name), Expected::Issued) {
            assert_eq!(s.log.calls(), calls_before, "{name} reached the CT log");
        }
    }
}

#[tokio::test]
async fn adversarial_tokens_are_refused_before_anything_is_signed() {
    let s = start().await;
    let i = &s.issuers;
    let alice = sigstack_test_oidc::presets::email(ALICE);
    let base = || i.email.token(NOW).claims(alice.clone());
    let oversized = "x".repeat(200_000);
    let tokens: Vec<(&str, String)> = vec![
        (
            "unknown issuer",
            base().claim("iss", "https://evil.example").build(),
        ),
        (
            "wrong audience",
            base().claim("aud", "not-sigstore").build(),
        ),
        (
            "audience list without sigstore",
            base().claim("aud", json!(["a", "b"])).build(),
        ),
        ("expired", base().claim("exp", NOW - 3600).build()),
        ("not yet valid", base().claim("nbf", NOW + 3600).build()),
        (
            "issued in the future",
            base().claim("iat", NOW + 3600).build(),
        ),
        ("alg none", base().unsigned().build()),
        (
            "HS256 keyed with the public key",
            base().hs256_with_public_key().build(),
        ),
        ("unknown kid", base().kid("no-such-kid").build()),
        ("tampered signature", base().tampered().build()),
        (
            "signed by a stranger",
            base().signed_by(&i.stranger).build(),
        ),
        (
            "ES256 header on the RSA key",
            base().kid("rsa-1").alg_claiming("ES256", "RS256").build(),
        ),
        (
            "email_verified false",
            base().claim("email_verified", false).build(),
        ),
        (
            "email_verified missing",
            base().without_claim("email_verified").build(),
        ),
        ("no email", base().without_claim("email").build()),
        ("payload not JSON", base().raw_payload(b"not json").build()),
        ("oversized", oversized),
        ("empty", String::new()),
        ("two parts", "a.b".into()),
    ];
    let key = TestKey::es256("k");
    for (what, token) in tokens {
        for path in ["/api/v1/signingCert", "/api/v2/signingCert"] {
            let body = if path.contains("v1") {
                json!({
                    "publicKey": {"content": b64().encode(key.public_key_pem())},
                    "signedEmailAddress": b64().encode(key.sign_raw(ALICE.as_bytes())),
                })
                .to_string()
                .into_bytes()
            } else {
                v2_body(&key, ALICE)
            };
            let r = s.post(path, Some(&token), &body).await;
            assert_eq!(r.status, 400, "{what} on {path}: {}", r.text());
            r.assert_error(400, 3, TOKEN_ERROR);
        }
    }
    assert_eq!(s.log.calls(), 0);
}

#[tokio::test]
async fn proofs_of_possession_that_fail() {
    let s = start().await;
    let token = s.issuers.email_token(ALICE);
    let key = TestKey::es256("a");
    let other = TestKey::es256("b");
    let sig_by_other = b64().encode(other.sign_raw(ALICE.as_bytes()));
    let cases: Vec<(&str, &str, serde_json::Value, &str)> = vec![
        (
            "v2 PoP by another key",
            "/api/v2/signingCert",
            json!({"publicKeyRequest": {"publicKey": {"content": key.public_key_pem()},
                   "proofOfPossession": sig_by_other}}),
            BAD_SIGNATURE,
        ),
        (
            "v1 PoP by another key",
            "/api/v1/signingCert",
            json!({"publicKey": {"content": b64().encode(key.public_key_pem())},
                   "signedEmailAddress": sig_by_other}),
            BAD_SIGNATURE,
        ),
        (
            "PoP over another name",
            "/api/v2/signingCert",
            json!({"publicKeyRequest": {"publicKey": {"content": key.public_key_pem()},
                   "proofOfPossession": b64().encode(key.sign_raw(b"bob@example.com"))}}),
            BAD_SIGNATURE,
        ),
        (
            "no PoP",
            "/api/v2/signingCert",
            json!({"publicKeyRequest": {"publicKey": {"content": key.public_key_pem()}}}),
            BAD_SIGNATURE,
        ),
        (
            "v1 without signedEmailAddress",
            "/api/v1/signingCert",
            json!({"publicKey": {"content": b64().encode(key.public_key_pem())}}),
            BAD_SIGNATURE,
        ),
        (
            "garbage CSR",
            "/api/v2/signingCert",
            json!({"certificateSigningRequest": b64().encode(
                "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")}),
            CSR_UNPARSABLE,
        ),
        (
            "CSR that is not PEM",
            "/api/v1/signingCert",
            json!({"certificateSigningRequest": b64().encode("hello")}),
            CSR_UNPARSABLE,
        ),
        (
            "weak RSA-1024 CSR",
            "/api/v2/signingCert",
            json!({"certificateSigningRequest": b64().encode(fixture("csr-rsa1024.pem"))}),
            KEY_INSECURE,
        ),
        (
            "secp256k1 CSR",
            "/api/v2/signingCert",
            json!({"certificateSigningRequest": b64().encode(fixture("csr-secp256k1.pem"))}),
            KEY_INSECURE,
        ),
        (
            "public key missing content",
            "/api/v2/signingCert",
            json!({"publicKeyRequest": {"proofOfPossession": sig_by_other}}),
            KEY_UNPARSABLE,
        ),
        (
            "v1 empty object",
            "/api/v1/signingCert",
            json!({}),
            KEY_UNPARSABLE,
        ),
    ];
    for (what, path, body, message) in cases {
        let r = s
            .post(path, Some(&token), body.to_string().as_bytes())
            .await;
        assert_eq!(r.status, 400, "{what}: {}", r.text());
        r.assert_error(400, 3, message);
    }
    assert_eq!(s.log.calls(), 0);
}

#[tokio::test]
async fn malformed_bodies() {
    let s = start().await;
    let token = s.issuers.email_token(ALICE);
    let key = TestKey::es256("a");
    let good = String::from_utf8(v2_body(&key, ALICE)).unwrap();
    let bodies: Vec<(&str, String)> = vec![
        ("truncated JSON", good[..good.len() / 2].to_owned()),
        ("not JSON", "hello".into()),
        ("array", "[]".into()),
        ("string", "\"x\"".into()),
        (
            "content not a string",
            r#"{"publicKeyRequest":{"publicKey":{"content":5}}}"#.into(),
        ),
        (
            "publicKeyRequest not an object",
            r#"{"publicKeyRequest":"x"}"#.into(),
        ),
        (
            "bad base64 PoP",
            r#"{"publicKeyRequest":{"publicKey":{"content":"x"},"proofOfPossession":"%%%"}}"#
                .into(),
        ),
        (
            "camel and snake together",
            r#"{"publicKeyRequest":{},"public_key_request":{}}"#.into(),
        ),
    ];
    for (what, body) in bodies {
        for path in ["/api/v1/signingCert", "/api/v2/signingCert"] {
            if path.contains("v1") && what.contains("publicKeyRequest") {
                continue; // v1 ignores unknown v2 fields
            }
            let r = s.post(path, Some(&token), body.as_bytes()).await;
            assert_eq!(r.status, 400, "{what} on {path}: {}", r.text());
            assert_eq!(r.json()["code"], 3, "{what}");
        }
    }
    assert_eq!(s.log.calls(), 0);
}

#[tokio::test]
async fn oversized_body_is_413() {
    let options = HttpOptions {
        max_body_bytes: 64 * 1024,
        ..HttpOptions::default()
    };
    let s = start_with(LogMode::Ok, options).await;
    let token = s.issuers.email_token(ALICE);
    let pad = "x".repeat(100 * 1024);
    let body = format!(r#"{{"padding":"{pad}"}}"#);
    let r = s
        .post("/api/v2/signingCert", Some(&token), body.as_bytes())
        .await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.json()["code"], 8);
    // Chunked, without a Content-Length: refused while reading.
    let chunk = format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len());
    let head = format!(
        "POST /api/v1/signingCert HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
         Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    let r = s.raw(format!("{head}{chunk}").as_bytes()).await;
    assert_eq!(r.status, 413);
    assert_eq!(s.log.calls(), 0);
}

#[tokio::test]
async fn failing_ct_log_means_503_and_no_certificate() {
    let s = start_with(LogMode::Fail, HttpOptions::default()).await;
    let key = TestKey::es256("a");
    for path in ["/api/v1/signingCert", "/api/v2/signingCert"] {
        let body = if path.contains("v1") {
            json!({
                "publicKey": {"content": b64().encode(key.public_key_pem())},
                "signedEmailAddress": b64().encode(key.sign_raw(ALICE.as_bytes())),
            })
            .to_string()
            .into_bytes()
        } else {
            v2_body(&key, ALICE)
        };
        let r = s
            .post(path, Some(&s.issuers.email_token(ALICE)), &body)
            .await;
        r.assert_error(503, 14, "Error entering certificate in CTL");
        assert_eq!(r.header("retry-after"), Some("1"));
        assert!(!r.text().contains("CERTIFICATE"));
    }
    assert_eq!(s.log.calls(), 2);
}

#[tokio::test]
async fn sct_that_does_not_verify_means_503() {
    let s = start_with(LogMode::WrongKey, HttpOptions::default()).await;
    let key = TestKey::es256("a");
    let r = s
        .post(
            "/api/v2/signingCert",
            Some(&s.issuers.email_token(ALICE)),
            &v2_body(&key, ALICE),
        )
        .await;
    r.assert_error(503, 14, "Error entering certificate in CTL");
    assert!(!r.text().contains("CERTIFICATE"));
}

#[tokio::test]
async fn unreachable_issuer_keys_mean_503() {
    let s = start().await;
    let keyless = sigstack_test_oidc::TestIssuer::new(KEYLESS_ISSUER);
    let token = keyless
        .token(NOW)
        .claims(sigstack_test_oidc::presets::email(ALICE))
        .build();
    let key = TestKey::es256("a");
    let r = s
        .post("/api/v2/signingCert", Some(&token), &v2_body(&key, ALICE))
        .await;
    r.assert_error(503, 14, TOKEN_ERROR);
    assert_eq!(s.log.calls(), 0);
}

#[tokio::test]
async fn slow_requests_time_out_with_503() {
    let options = HttpOptions {
        request_timeout: Duration::from_millis(200),
        ..HttpOptions::default()
    };
    let s = start_with(LogMode::Hang, options).await;
    let key = TestKey::es256("a");
    let r = s
        .post(
            "/api/v2/signingCert",
            Some(&s.issuers.email_token(ALICE)),
            &v2_body(&key, ALICE),
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.json()["code"], 14);
    assert_eq!(r.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn routing_errors() {
    let s = start().await;
    for (method, path, allow) in [
        ("GET", "/api/v1/signingCert", "POST"),
        ("GET", "/api/v2/signingCert", "POST"),
        ("PUT", "/api/v2/signingCert", "POST"),
        ("POST", "/api/v2/trustBundle", "GET"),
        ("DELETE", "/api/v1/rootCert", "GET"),
    ] {
        let r = s.request(method, path, &[], b"").await;
        assert_eq!(r.status, 405, "{method} {path}");
        r.assert_error(405, 12, "Method Not Allowed");
        assert_eq!(r.header("allow"), Some(allow), "{method} {path}");
    }
    for path in [
        "/api/v2/nope",
        "/",
        "/api/v1/signingCert/extra",
        "/API/v2/signingCert",
    ] {
        let r = s.get(path).await;
        assert_eq!(r.status, 404, "{path}");
        r.assert_error(404, 5, "Not Found");
    }
}
