//! `intoto` 0.0.2, what `rekor-cli upload --type intoto` sends: the envelope as a JSON
//! object whose `payload` and `signatures[].sig` are base64 of the (already base64) DSSE
//! strings, each signature with its own `publicKey`, and a client-computed `hash` of the
//! envelope file (which the server cannot check and stores as given).
//!
//! Canonical spec: `{"content":{"envelope":{"payloadType","signatures":[{"keyid"?,
//! "publicKey","sig"}]},"hash","payloadHash"}}`: the payload is dropped, signatures and keys
//! are kept as sent (in the client's order), `payloadHash` is computed by the server.

use serde_json::{json, Map, Value};

use super::{finish, CanonicalEntry, Kind, Mode, Options, SearchKeys};
use crate::budget::WorkBudget;
use crate::dsse::{self, Envelope, EnvelopeSignature};
use crate::error::{Error, Result};
use crate::json::{bytes, get_field, object, required, string};
use crate::pubkey::X509Material;
use crate::{b64, verify::sha256_hex};

const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

struct Signature {
    keyid: String,
    sig: Vec<u8>,
    public_key: Vec<u8>,
}

pub(super) fn canonicalize(
    spec: &Map<String, Value>,
    options: &Options,
    budget: &WorkBudget,
) -> Result<CanonicalEntry> {
    let Some(content) = object(spec, "content", "spec.content")? else {
        return Err(required("spec.content", "content"));
    };
    let Some(envelope) = object(content, "envelope", "spec.content.envelope")? else {
        return Err(Error::malformed(
            "spec.content.envelope",
            "missing envelope property",
        ));
    };
    let payload = bytes(
        envelope,
        "payload",
        "spec.content.envelope.payload",
        "envelope payload",
    )?
    .unwrap_or_default();
    let payload_type = string(envelope, "payloadType", "spec.content.envelope.payloadType")?
        .ok_or_else(|| {
            required(
                "spec.content.envelope.payloadType",
                "content.envelope.payloadType",
            )
        })?;
    let signatures = parse_signatures(envelope)?;
    let hash = given_hash(content, "hash", "spec.content.hash")?;
    let mut payload_hash = given_hash(content, "payloadHash", "spec.content.payloadHash")?;

    let mut keys = SearchKeys::default();
    let mut statement_digests = Vec::new();
    if payload.is_empty() {
        if options.mode == Mode::Insert {
            return Err(Error::NotInsertable("missing envelope content".into()));
        }
    } else {
        let payload_text = String::from_utf8_lossy(&payload).into_owned();
        let env = Envelope {
            payload_type: payload_type.to_owned(),
            payload: payload_text.clone(),
            signatures: signatures
                .iter()
                .map(|s| EnvelopeSignature {
                    sig: String::from_utf8_lossy(&s.sig).into_owned(),
                })
                .collect(),
        };
        verify_envelope(&env, &signatures, budget)?;
        let decoded = b64::decode_std(&payload_text).map_err(|e| {
            Error::malformed(
                "spec.content.envelope.payload",
                format!("could not decode envelope payload: {e}"),
            )
        })?;
        payload_hash = Some(sha256_hex(&decoded));
        if payload_type == IN_TOTO_PAYLOAD_TYPE {
            statement_digests = dsse::statement_digests(&decoded);
        }
    }
    if options.mode == Mode::Insert {
        insertable(payload_type, &signatures)?;
    }
    let hash =
        hash.ok_or_else(|| Error::malformed("spec.content.hash", "missing envelope digest"))?;
    let payload_hash = payload_hash
        .ok_or_else(|| Error::malformed("spec.content.payloadHash", "missing payload digest"))?;

    for s in &signatures {
        if let Ok(material) =
            X509Material::parse(&s.public_key, "spec.content.envelope.signatures.publicKey")
        {
            keys.x509(&material, true);
        }
    }
    keys.digest(format!("sha256:{payload_hash}"));
    for d in statement_digests {
        keys.digest(d);
    }

    let sigs: Vec<Value> = signatures
        .iter()
        .map(|s| {
            let mut o = json!({
                "publicKey": b64::encode(&s.public_key),
                "sig": b64::encode(&s.sig),
            });
            if let (false, Some(map)) = (s.keyid.is_empty(), o.as_object_mut()) {
                map.insert("keyid".into(), Value::String(s.keyid.clone()));
            }
            o
        })
        .collect();
    let spec = json!({
        "content": {
            "envelope": { "payloadType": payload_type, "signatures": sigs },
            "hash": { "algorithm": "sha256", "value": hash },
            "payloadHash": { "algorithm": "sha256", "value": payload_hash },
        }
    });
    finish(Kind::Intoto, "0.0.2", spec, keys)
}

fn parse_signatures(envelope: &Map<String, Value>) -> Result<Vec<Signature>> {
    const PATH: &str = "spec.content.envelope.signatures";
    let items = match get_field(envelope, "signatures") {
        None => return Err(required(PATH, "content.envelope.signatures")),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(Error::malformed(
                PATH,
                "content.envelope.signatures in body must be of type array",
            ))
        }
    };
    if items.is_empty() {
        return Err(Error::malformed(
            PATH,
            "validation failure list:\ncontent.envelope.signatures in body should have at least 1 items",
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(s) = item else {
            return Err(Error::malformed(
                PATH,
                "each signature must be a JSON object",
            ));
        };
        out.push(Signature {
            keyid: string(s, "keyid", PATH)?.unwrap_or("").to_owned(),
            sig: bytes(s, "sig", PATH, "signature")?.unwrap_or_default(),
            public_key: bytes(s, "publicKey", PATH, "public key")?.unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Rekor's `verifyEnvelope` for 0.0.2: every key listed must verify one signature, and every
/// signature must be verified by some key.
fn verify_envelope(env: &Envelope, signatures: &[Signature], budget: &WorkBudget) -> Result<()> {
    let sigs: Vec<&[u8]> = signatures.iter().map(|s| s.sig.as_slice()).collect();
    dsse::check_workload(&sigs, signatures.len())
        .map_err(|e| Error::malformed("spec.content.envelope.signatures", e))?;
    let prepared = dsse::Prepared::new(env);
    let checker = prepared.as_ref().map(dsse::Prepared::verifier);
    let not_verified =
        |e: &String| Error::InvalidSignature(format!("could not verify envelope: {e}"));
    let mut unverified: Vec<&str> = env.signatures.iter().map(|s| s.sig.as_str()).collect();
    for s in signatures {
        let material =
            X509Material::parse(&s.public_key, "spec.content.envelope.signatures.publicKey")
                .map_err(|e| {
                    Error::malformed(
                        "spec.content.envelope.signatures.publicKey",
                        format!("could not parse public key as x509: {e}"),
                    )
                })?;
        let key = material.verifying_key().ok_or_else(|| {
            Error::malformed(
                "spec.content.envelope.signatures.publicKey",
                "no public key found",
            )
        })?;
        let accepted = checker
            .as_ref()
            .map_err(|e| not_verified(e))?
            .verify_with_key(key, budget)
            .map_err(|e| not_verified(&e))?;
        if let Some(sig) = env.signatures.get(accepted) {
            unverified.retain(|u| *u != sig.sig);
        }
    }
    if unverified.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidSignature(
            "all signatures must have a key that verifies it".into(),
        ))
    }
}

fn insertable(payload_type: &str, signatures: &[Signature]) -> Result<()> {
    if payload_type.is_empty() {
        return Err(Error::NotInsertable("missing payloadType content".into()));
    }
    for s in signatures {
        if s.sig.is_empty() {
            return Err(Error::NotInsertable("missing signature content".into()));
        }
        if s.public_key.is_empty() {
            return Err(Error::NotInsertable("missing publicKey content".into()));
        }
    }
    Ok(())
}

/// A `{"algorithm":"sha256","value":…}` object; the value is stored as given.
fn given_hash(obj: &Map<String, Value>, name: &str, path: &'static str) -> Result<Option<String>> {
    let Some(h) = object(obj, name, path)? else {
        return Ok(None);
    };
    let alg = string(h, "algorithm", path)?;
    let value = string(h, "value", path)?;
    match (alg, value) {
        (Some("sha256"), Some(v)) => Ok(Some(v.to_owned())),
        (Some(_), _) => Err(Error::malformed(
            path,
            format!("validation failure list:\ncontent.{name}.algorithm in body should be one of [sha256]"),
        )),
        _ => Err(Error::malformed(path, format!("validation failure list:\ncontent.{name}.algorithm and value in body are required"))),
    }
}
