//! `intoto` 0.0.1, what `cosign attest --rekor-entry-type intoto` sends: the DSSE envelope
//! as a JSON *string* and one public key.
//!
//! Canonical spec: `{"content":{"hash":<sha256 of the envelope string>,"payloadHash":<sha256
//! of the decoded payload>},"publicKey":<b64 canonical PEM>}`; the envelope is not stored.
//! Client-supplied hashes are ignored when an envelope is present (the server recomputes
//! them) and used as they are in the canonical (lookup) form without an envelope.

use serde_json::{json, Map, Value};

use super::{finish, is_lower_hex, CanonicalEntry, Kind, Mode, Options, SearchKeys};
use crate::budget::WorkBudget;
use crate::dsse::{self, parse_envelope};
use crate::error::{Error, Result};
use crate::json::{bytes, object, required, string};
use crate::pubkey::X509Material;
use crate::{b64, verify::sha256_hex};

const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

pub(super) fn canonicalize(
    spec: &Map<String, Value>,
    options: &Options,
    budget: &WorkBudget,
) -> Result<CanonicalEntry> {
    let content = object(spec, "content", "spec.content")?;
    let public_key = bytes(spec, "publicKey", "spec.publicKey", "public key")?;
    let Some(content) = content else {
        return Err(required("spec.content", "content"));
    };
    let Some(public_key) = public_key else {
        return Err(required("spec.publicKey", "publicKey"));
    };
    let material = X509Material::parse(&public_key, "spec.publicKey")?;
    let envelope = string(content, "envelope", "spec.content.envelope")?.unwrap_or("");

    let mut keys = SearchKeys::default();
    let (hash, payload_hash) = if envelope.is_empty() {
        if options.mode == Mode::Insert {
            return Err(Error::NotInsertable("missing envelope content".into()));
        }
        let hash = given_hash(content, "hash", "spec.content.hash")?.ok_or_else(|| {
            Error::malformed("spec.content.hash", "missing hash value for envelope")
        })?;
        let payload_hash = given_hash(content, "payloadHash", "spec.content.payloadHash")?;
        (hash, payload_hash)
    } else {
        let env =
            parse_envelope(envelope).map_err(|e| Error::malformed("spec.content.envelope", e))?;
        let key = material
            .verifying_key()
            .ok_or_else(|| Error::malformed("spec.publicKey", "no public key found"))?;
        let sigs: Vec<&[u8]> = env.signatures.iter().map(|s| s.sig.as_bytes()).collect();
        dsse::check_workload(&sigs, 1).map_err(|e| Error::malformed("spec.content.envelope", e))?;
        dsse::Prepared::new(&env)
            .and_then(|p| p.verifier().verify_with_key(key, budget))
            .map_err(Error::InvalidSignature)?;
        let payload = b64::decode_std(&env.payload)
            .map_err(|e| Error::malformed("spec.content.envelope", e))?;
        if options.mode == Mode::Insert
            && (env.payload.is_empty() || env.payload_type.is_empty() || env.signatures.is_empty())
        {
            return Err(Error::NotInsertable("invalid DSSE envelope".into()));
        }
        let hash = sha256_hex(envelope.as_bytes());
        let payload_hash = sha256_hex(&payload);
        keys.digest(format!("sha256:{hash}"));
        keys.x509(&material, true);
        keys.digest(format!("sha256:{payload_hash}"));
        if env.payload_type == IN_TOTO_PAYLOAD_TYPE {
            for d in dsse::statement_digests(&payload) {
                keys.digest(d);
            }
        }
        (hash, Some(payload_hash))
    };
    if keys.rekor_index_keys().is_empty() {
        keys.digest(format!("sha256:{hash}"));
        keys.x509(&material, true);
        if let Some(p) = &payload_hash {
            keys.digest(format!("sha256:{p}"));
        }
    }

    let mut content = json!({ "hash": { "algorithm": "sha256", "value": hash } });
    if let (Some(p), Some(obj)) = (payload_hash, content.as_object_mut()) {
        obj.insert(
            "payloadHash".into(),
            json!({ "algorithm": "sha256", "value": p }),
        );
    }
    let spec = json!({
        "content": content,
        "publicKey": b64::encode(material.canonical_pem().as_bytes()),
    });
    finish(Kind::Intoto, "0.0.1", spec, keys)
}

/// A client-supplied `{"algorithm":"sha256","value":<64 hex>}` (lookup form only).
fn given_hash(obj: &Map<String, Value>, name: &str, path: &'static str) -> Result<Option<String>> {
    let Some(h) = object(obj, name, path)? else {
        return Ok(None);
    };
    let alg = string(h, "algorithm", path)?;
    let value = string(h, "value", path)?;
    match (alg, value) {
        (Some("sha256"), Some(v)) if is_lower_hex(v, 64) => Ok(Some(v.to_owned())),
        _ => Err(Error::malformed(
            path,
            format!("validation error on {name}: expected algorithm sha256 and a 64-digit lowercase hex value"),
        )),
    }
}
