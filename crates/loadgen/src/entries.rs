//! Prepared hashedrekord 0.0.1 requests, each with its own fresh ECDSA P-256 key.

use anyhow::{anyhow, Result};
use base64::{engine::general_purpose::STANDARD, Engine};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};

/// The DER prefix that turns a 65-byte uncompressed P-256 point into a SubjectPublicKeyInfo.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// `count` request bodies, each signing a random artifact with a key of its own.
pub fn hashedrekord_bodies(count: usize) -> Result<Vec<Vec<u8>>> {
    let rng = SystemRandom::new();
    (0..count).map(|_| one(&rng)).collect()
}

fn one(rng: &SystemRandom) -> Result<Vec<u8>> {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, rng)
        .map_err(|_| anyhow!("key generation failed"))?;
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), rng)
        .map_err(|_| anyhow!("key parse failed"))?;
    let mut artifact = [0u8; 64];
    rng.fill(&mut artifact).map_err(|_| anyhow!("rng failed"))?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &artifact);
    let signature = key
        .sign(rng, &artifact)
        .map_err(|_| anyhow!("signing failed"))?;
    let mut spki = P256_SPKI_PREFIX.to_vec();
    spki.extend_from_slice(key.public_key().as_ref());
    let pem = pem("PUBLIC KEY", &spki);
    let body = serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest.as_ref())}},
            "signature": {
                "content": STANDARD.encode(signature.as_ref()),
                "publicKey": {"content": STANDARD.encode(pem.as_bytes())}
            }
        }
    });
    Ok(serde_json::to_vec(&body)?)
}

/// `count` v1 `signingCert` bodies: a fresh P-256 key each, with the proof of possession (the
/// identity's e-mail signed with that key) that Fulcio's v1 API takes.
pub fn signing_cert_bodies(count: usize, email: &str) -> Result<Vec<Vec<u8>>> {
    let rng = SystemRandom::new();
    (0..count)
        .map(|_| {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                .map_err(|_| anyhow!("key generation failed"))?;
            let key =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
                    .map_err(|_| anyhow!("key parse failed"))?;
            let proof = key
                .sign(&rng, email.as_bytes())
                .map_err(|_| anyhow!("signing failed"))?;
            let mut spki = P256_SPKI_PREFIX.to_vec();
            spki.extend_from_slice(key.public_key().as_ref());
            let body = serde_json::json!({
                "publicKey": {"content": STANDARD.encode(pem("PUBLIC KEY", &spki).as_bytes())},
                "signedEmailAddress": STANDARD.encode(proof.as_ref()),
            });
            Ok(serde_json::to_vec(&body)?)
        })
        .collect()
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
