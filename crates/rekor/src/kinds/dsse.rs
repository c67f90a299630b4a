//! `dsse` 0.0.1, cosign 2.5's default for attestations and what sigstore-go/-python log:
//! `proposedContent` holds the envelope as a JSON *string* and a list of verifiers.
//!
//! Canonical spec: `{"envelopeHash","payloadHash","signatures":[{"signature","verifier"}]}`
//! with the signatures sorted by signature string and each verifier the canonical PEM of the
//! key (or certificate chain) that verified it. In [`Mode::Lookup`] the canonical form is
//! accepted as input too (it is re-sorted and re-encoded, not re-verified), as in Rekor.

use serde_json::{json, Map, Value};

use super::{finish, is_lower_hex, CanonicalEntry, Kind, Mode, Options, SearchKeys};
use crate::budget::WorkBudget;
use crate::dsse::{self, parse_envelope};
use crate::error::{Error, Result};
use crate::json::{get_field, object, string};
use crate::pubkey::X509Material;
use crate::{b64, verify::sha256_hex};

const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

pub(super) fn canonicalize(
    spec: &Map<String, Value>,
    options: &Options,
    budget: &WorkBudget,
) -> Result<CanonicalEntry> {
    let proposed = object(spec, "proposedContent", "spec.proposedContent")?;
    let envelope_hash = given_hash(spec, "envelopeHash")?;
    let payload_hash = given_hash(spec, "payloadHash")?;
    let given_sigs = given_signatures(spec)?;
    match proposed {
        None => {
            let (Some(envelope_hash), Some(payload_hash), false) =
                (envelope_hash, payload_hash, given_sigs.is_empty())
            else {
                return Err(Error::malformed(
                    "spec",
                    "either proposedContent or envelopeHash, payloadHash, and signatures must be present",
                ));
            };
            if options.mode == Mode::Insert {
                return Err(Error::NotInsertable("missing proposed content".into()));
            }
            let mut keys = SearchKeys::default();
            let mut sigs = Vec::new();
            for (sig, verifier) in given_sigs {
                let material = X509Material::parse(&verifier, "spec.signatures.verifier")?;
                keys.x509(&material, true);
                sigs.push((sig, material.canonical_pem()));
            }
            keys.digest(format!("sha256:{payload_hash}"));
            keys.digest(format!("sha256:{envelope_hash}"));
            build(envelope_hash, payload_hash, sigs, keys)
        }
        Some(proposed) => {
            if envelope_hash.is_some() || payload_hash.is_some() || !given_sigs.is_empty() {
                return Err(Error::malformed(
                    "spec",
                    "either proposedContent or envelopeHash, payloadHash, and signatures must be present but not both",
                ));
            }
            from_proposed(proposed, options, budget)
        }
    }
}

fn from_proposed(
    proposed: &Map<String, Value>,
    options: &Options,
    budget: &WorkBudget,
) -> Result<CanonicalEntry> {
    let envelope_text = string(proposed, "envelope", "spec.proposedContent.envelope")?;
    let verifiers = verifiers(proposed)?;
    let Some(envelope_text) = envelope_text else {
        return Err(Error::malformed(
            "spec.proposedContent.envelope",
            "validation failure list:\nproposedContent.envelope in body is required",
        ));
    };
    let env = parse_envelope(envelope_text)
        .map_err(|e| Error::malformed("spec.proposedContent.envelope", e))?;
    if env.signatures.is_empty() {
        return Err(Error::malformed(
            "spec.proposedContent.envelope",
            "DSSE envelope must contain 1 or more signatures",
        ));
    }

    let sigs: Vec<&[u8]> = env.signatures.iter().map(|s| s.sig.as_bytes()).collect();
    dsse::check_workload(&sigs, verifiers.len())
        .map_err(|e| Error::malformed("spec.proposedContent.envelope", e))?;
    let prepared = dsse::Prepared::new(&env);
    let checker = prepared.as_ref().map(dsse::Prepared::verifier);
    let not_verified =
        |e: &String| Error::InvalidSignature(format!("could not verify envelope: {e}"));

    // Rekor's verifyEnvelope: keys are tried in order until every signature is verified;
    // each key tried must verify at least one signature.
    let mut unverified: Vec<&str> = env.signatures.iter().map(|s| s.sig.as_str()).collect();
    unverified.sort_unstable();
    unverified.dedup();
    let mut verified: Vec<(String, X509Material)> = Vec::new();
    for raw in &verifiers {
        if unverified.is_empty() {
            break;
        }
        let material = X509Material::parse(raw, "spec.proposedContent.verifiers").map_err(|e| {
            Error::malformed(
                "spec.proposedContent.verifiers",
                format!("could not parse public key as x509: {e}"),
            )
        })?;
        let key = material.verifying_key().ok_or_else(|| {
            Error::malformed("spec.proposedContent.verifiers", "no public key found")
        })?;
        let accepted = checker
            .as_ref()
            .map_err(|e| not_verified(e))?
            .verify_with_key(key, budget)
            .map_err(|e| not_verified(&e))?;
        if let Some(sig) = env.signatures.get(accepted) {
            unverified.retain(|u| *u != sig.sig);
            verified.retain(|(s, _)| *s != sig.sig);
            verified.push((sig.sig.clone(), material));
        }
    }
    if !unverified.is_empty() {
        return Err(Error::InvalidSignature(
            "all signatures must have a key that verifies it".into(),
        ));
    }
    if options.mode == Mode::Insert && envelope_text.is_empty() {
        return Err(Error::NotInsertable(
            "missing proposed DSSE envelope".into(),
        ));
    }

    let payload = b64::decode_dsse(&env.payload).ok_or_else(|| {
        Error::malformed(
            "spec.proposedContent.envelope",
            "unable to base64 decode payload (is payload in the right format?)",
        )
    })?;
    let payload_hash = sha256_hex(&payload);
    let envelope_hash = sha256_hex(envelope_text.as_bytes());

    let mut keys = SearchKeys::default();
    verified.sort_by(|a, b| a.0.cmp(&b.0));
    let mut sigs = Vec::with_capacity(verified.len());
    for (sig, material) in &verified {
        keys.x509(material, true);
        sigs.push((sig.clone(), material.canonical_pem()));
    }
    keys.digest(format!("sha256:{payload_hash}"));
    keys.digest(format!("sha256:{envelope_hash}"));
    if env.payload_type == IN_TOTO_PAYLOAD_TYPE {
        for d in dsse::statement_digests(&payload) {
            keys.digest(d);
        }
    }
    build(envelope_hash, payload_hash, sigs, keys)
}

fn build(
    envelope_hash: String,
    payload_hash: String,
    mut sigs: Vec<(String, String)>,
    keys: SearchKeys,
) -> Result<CanonicalEntry> {
    sigs.sort_by(|a, b| a.0.cmp(&b.0));
    let signatures: Vec<Value> = sigs
        .into_iter()
        .map(|(signature, pem)| json!({ "signature": signature, "verifier": b64::encode(pem.as_bytes()) }))
        .collect();
    let spec = json!({
        "envelopeHash": { "algorithm": "sha256", "value": envelope_hash },
        "payloadHash": { "algorithm": "sha256", "value": payload_hash },
        "signatures": signatures,
    });
    finish(Kind::Dsse, "0.0.1", spec, keys)
}

fn verifiers(proposed: &Map<String, Value>) -> Result<Vec<Vec<u8>>> {
    const PATH: &str = "spec.proposedContent.verifiers";
    let items = match get_field(proposed, "verifiers") {
        None => {
            return Err(Error::malformed(
                PATH,
                "validation failure list:\nproposedContent.verifiers in body is required",
            ))
        }
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(Error::malformed(
                PATH,
                "proposedContent.verifiers in body must be of type array",
            ))
        }
    };
    if items.is_empty() {
        return Err(Error::malformed(
            PATH,
            "validation failure list:\nproposedContent.verifiers in body should have at least 1 items",
        ));
    }
    items
        .iter()
        .map(|v| match v {
            Value::String(s) => b64::decode_std(s).map_err(|e| {
                Error::malformed(
                    PATH,
                    format!("failed parsing base64 data for verifier: {e}"),
                )
            }),
            Value::Null => Err(Error::malformed(
                PATH,
                "an invalid null verifier was provided in ProposedContent",
            )),
            _ => Err(Error::malformed(
                PATH,
                "proposedContent.verifiers items must be strings",
            )),
        })
        .collect()
}

/// `envelopeHash` / `payloadHash` of the canonical form.
fn given_hash(spec: &Map<String, Value>, name: &'static str) -> Result<Option<String>> {
    let Some(h) = object(spec, name, "spec")? else {
        return Ok(None);
    };
    match (string(h, "algorithm", "spec")?, string(h, "value", "spec")?) {
        (Some("sha256"), Some(v)) if is_lower_hex(v, 64) => Ok(Some(v.to_owned())),
        _ => Err(Error::malformed(
            "spec",
            format!("validation failure list:\n{name} must have algorithm sha256 and a 64-digit lowercase hex value"),
        )),
    }
}

/// `signatures` of the canonical form: `(signature string, decoded verifier)` pairs.
fn given_signatures(spec: &Map<String, Value>) -> Result<Vec<(String, Vec<u8>)>> {
    const PATH: &str = "spec.signatures";
    let items = match get_field(spec, "signatures") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(Error::malformed(
                PATH,
                "signatures in body must be of type array",
            ))
        }
    };
    items
        .iter()
        .map(|item| {
            let Value::Object(o) = item else {
                return Err(Error::malformed(
                    PATH,
                    "each signature must be a JSON object",
                ));
            };
            let sig = string(o, "signature", PATH)?.ok_or_else(|| {
                Error::malformed(
                    PATH,
                    "validation failure list:\nsignature in body is required",
                )
            })?;
            let verifier = string(o, "verifier", PATH)?.ok_or_else(|| {
                Error::malformed(
                    PATH,
                    "validation failure list:\nverifier in body is required",
                )
            })?;
            let verifier = b64::decode_std(verifier).map_err(|e| {
                Error::malformed(
                    PATH,
                    format!("failed parsing base64 data for verifier: {e}"),
                )
            })?;
            Ok((sig.to_owned(), verifier))
        })
        .collect()
}
