//! `hashedrekord` 0.0.1: a signature over a digest the client computed.
//!
//! Canonical spec: `{"data":{"hash":{"algorithm","value"}},"signature":{"content":<sig>,
//! "publicKey":{"content":<b64 canonical PEM>}}}`. The signature bytes are kept as sent; the
//! key, certificate or chain is re-encoded as canonical PEM.

use serde_json::{json, Map, Value};

use super::{finish, is_lower_hex, CanonicalEntry, Kind, Mode, Options, SearchKeys};
use crate::b64;
use crate::budget::WorkBudget;
use crate::error::{Error, Result};
use crate::json::{bytes, object, required, string};
use crate::pubkey::X509Material;
use crate::verify::{self, HashAlgorithm};

pub(super) fn canonicalize(
    spec: &Map<String, Value>,
    options: &Options,
    budget: &WorkBudget,
) -> Result<CanonicalEntry> {
    // Decoding (base64 first, as Rekor's DecodeEntry does), then schema validation.
    let signature = object(spec, "signature", "spec.signature")?;
    let (sig, key_content) = match signature {
        None => (None, None),
        Some(s) => {
            let sig = bytes(s, "content", "spec.signature.content", "signature content")?;
            let key = match object(s, "publicKey", "spec.signature.publicKey")? {
                None => None,
                Some(pk) => Some(
                    bytes(
                        pk,
                        "content",
                        "spec.signature.publicKey.content",
                        "public key content",
                    )?
                    .unwrap_or_default(),
                ),
            };
            (sig, key)
        }
    };
    let data = object(spec, "data", "spec.data")?;
    let hash = match data {
        None => None,
        Some(d) => object(d, "hash", "spec.data.hash")?,
    };
    if signature.is_none() {
        return Err(required("spec.signature", "signature"));
    }
    if data.is_none() {
        return Err(required("spec.data", "data"));
    }
    let (algorithm, value) = match hash {
        None => return Err(Error::malformed("spec.data.hash", "missing hash")),
        Some(h) => {
            let algorithm = string(h, "algorithm", "spec.data.hash.algorithm")?
                .ok_or_else(|| required("spec.data.hash.algorithm", "data.hash.algorithm"))?;
            let value = string(h, "value", "spec.data.hash.value")?
                .ok_or_else(|| required("spec.data.hash.value", "data.hash.value"))?;
            (algorithm, value)
        }
    };
    let alg = HashAlgorithm::from_name(algorithm).ok_or_else(|| {
        Error::malformed(
            "spec.data.hash.algorithm",
            "validation failure list:\ndata.data.hash.data.hash.algorithm in body should be one of [sha256 sha384 sha512]",
        )
    })?;

    // Cross-field validation (Rekor's validate()).
    let sig = sig.unwrap_or_default();
    let key_content = key_content
        .ok_or_else(|| Error::malformed("spec.signature.publicKey", "missing public key"))?;
    let material = X509Material::parse(&key_content, "spec.signature.publicKey.content")?;
    if !is_lower_hex(value, alg.size() * 2) {
        return Err(Error::malformed(
            "spec.data.hash.value",
            "invalid value for hash",
        ));
    }
    let digest = hex::decode(value).map_err(|e| {
        Error::malformed(
            "spec.data.hash.value",
            format!("invalid value for hash: {e}"),
        )
    })?;
    verify_entry(&material, alg, &digest, &sig, budget)?;

    if options.mode == Mode::Insert {
        if let Some(key) = material.verifying_key() {
            options.algorithms.check(key, alg)?;
        }
    }

    let canonical_pem = material.canonical_pem();
    let mut keys = SearchKeys::default();
    keys.x509(&material, false);
    keys.digest(format!("{}:{}", alg.name(), value));
    let spec = json!({
        "data": { "hash": { "algorithm": alg.name(), "value": value } },
        "signature": {
            "content": b64::encode(&sig),
            "publicKey": { "content": b64::encode(canonical_pem.as_bytes()) }
        }
    });
    finish(Kind::HashedRekord, "0.0.1", spec, keys)
}

fn verify_entry(
    material: &X509Material,
    alg: HashAlgorithm,
    digest: &[u8],
    sig: &[u8],
    budget: &WorkBudget,
) -> Result<()> {
    let fail = |why: String| Error::InvalidSignature(format!("verifying signature: {why}"));
    if sig.is_empty() {
        return Err(fail("X509 signature has not been initialized".into()));
    }
    material.verify_chain(budget).map_err(fail)?;
    let key = material
        .verifying_key()
        .ok_or_else(|| fail("no public key found".into()))?;
    verify::verify_digest(key, alg, digest, sig).map_err(fail)
}
