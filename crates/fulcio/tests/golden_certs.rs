//! The principal of each golden request, compared byte for byte with the SAN and Fulcio
//! extensions of the certificate the real Fulcio 1.6.5 issued for it.
#![allow(clippy::unwrap_used)]

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::golden;
use serde_json::Value;
use sigstack_fulcio::identity::{self, ExtensionEncoding};
use sigstack_fulcio::{Config, SubjectAltName};
use x509_cert::der::{Decode, DecodePem};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName as San;
use x509_cert::Certificate;

const CASES: &[(&str, &str)] = &[
    (
        "ok/POST-api-v1-signingCert-ecdsa-p256-cosign-shape.json",
        "certs/leaf-v1-ecdsa-p256.pem",
    ),
    (
        "ok/POST-api-v1-signingCert-csr.json",
        "certs/leaf-v1-csr.pem",
    ),
    (
        "ok/POST-api-v2-signingCert-csr-ecdsa-p256.json",
        "certs/leaf-v2-csr.pem",
    ),
    (
        "ok/POST-api-v2-signingCert-ecdsa-p256-token-header.json",
        "certs/leaf-v2-ecdsa-p256-token-header.pem",
    ),
    (
        "ok/POST-api-v2-signingCert-ecdsa-p256-token-in-body.json",
        "certs/leaf-v2-ecdsa-p256-token-in-body.pem",
    ),
    (
        "ok/POST-api-v2-signingCert-ecdsa-p384-pop-sha256.json",
        "certs/leaf-v2-ecdsa-p384-pop-sha256.pem",
    ),
    (
        "ok/POST-api-v2-signingCert-ed25519.json",
        "certs/leaf-v2-ed25519.pem",
    ),
    (
        "ok/POST-api-v2-signingCert-rsa2048-alg-RSA-unknown-enum.json",
        "certs/leaf-v2-rsa2048-alg-RSA-unknown-enum.pem",
    ),
    (
        "ok/POST-api-v2-signingCert-snake-case-fields.json",
        "certs/leaf-v2-snake.pem",
    ),
];

fn token_of(rec: &Value) -> String {
    let header = rec["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("authorization"))
        .map(|h| {
            h[1].as_str()
                .unwrap()
                .trim_start_matches("Bearer ")
                .to_owned()
        });
    header.unwrap_or_else(|| {
        let body: Value =
            serde_json::from_str(rec["request"]["body_text"].as_str().unwrap()).unwrap();
        body["credentials"]["oidcIdentityToken"]
            .as_str()
            .unwrap()
            .to_owned()
    })
}

#[test]
fn principals_match_fulcio_certificates() {
    let cfg = Config::parse(
        br#"{"OIDCIssuers": {"http://127.0.0.1:8180": {"IssuerURL": "http://127.0.0.1:8180",
            "ClientID": "sigstore", "Type": "email"}}}"#,
    )
    .unwrap();
    let arc = "1.3.6.1.4.1.57264.1.";
    for (rec_path, cert_path) in CASES {
        let rec: Value = serde_json::from_slice(&std::fs::read(golden(rec_path)).unwrap()).unwrap();
        let token = token_of(&rec);
        let payload = URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap();
        let claims: serde_json::Map<String, Value> = serde_json::from_slice(&payload).unwrap();
        let iss = claims["iss"].as_str().unwrap();
        let resolved = cfg.issuer_for(iss).unwrap();
        let p = identity::principal(&resolved, &claims, &cfg).unwrap();
        assert_eq!(p.name, "alice@example.com");

        let pem = std::fs::read(golden(cert_path)).unwrap();
        let cert = Certificate::from_pem(&pem).unwrap();
        let exts = cert.tbs_certificate.extensions.unwrap();

        // SAN: critical, one rfc822Name equal to ours.
        let san_ext = exts
            .iter()
            .find(|e| e.extn_id.to_string() == "2.5.29.17")
            .unwrap();
        assert!(san_ext.critical);
        let san = San::from_der(san_ext.extn_value.as_bytes()).unwrap();
        assert_eq!(san.0.len(), 1);
        match (&san.0[0], &p.san) {
            (GeneralName::Rfc822Name(g), SubjectAltName::Email(ours)) => {
                assert_eq!(g.as_str(), ours, "{cert_path}")
            }
            other => panic!("{cert_path}: {other:?}"),
        }

        // Every Fulcio extension of the golden cert, byte for byte, in order.
        let golden_fulcio: Vec<(u32, Vec<u8>)> = exts
            .iter()
            .filter_map(|e| {
                let oid = e.extn_id.to_string();
                oid.strip_prefix(arc)
                    .map(|n| (n.parse().unwrap(), e.extn_value.as_bytes().to_vec()))
            })
            .collect();
        let ours: Vec<(u32, Vec<u8>)> = p
            .extensions
            .entries()
            .into_iter()
            // .1.24 (token subject) exists since Fulcio 1.8.6, after the captured 1.6.5.
            .filter(|(n, _, _)| *n != 24)
            .map(|(n, enc, v)| {
                let bytes = match enc {
                    ExtensionEncoding::Raw => v.as_bytes().to_vec(),
                    ExtensionEncoding::Utf8String => {
                        let mut b = vec![0x0c, v.len() as u8];
                        b.extend_from_slice(v.as_bytes());
                        b
                    }
                };
                (n, bytes)
            })
            .collect();
        assert_eq!(ours, golden_fulcio, "{cert_path}");
        assert_eq!(p.extensions.subject.as_deref(), claims["sub"].as_str());
    }
}
