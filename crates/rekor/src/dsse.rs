//! DSSE envelopes as Rekor's `dsse` and `intoto` types read and verify them
//! (go-securesystemslib's `EnvelopeVerifier` with one key and threshold 1).

use serde_json::Value;

use crate::b64;
use crate::json::get_field;
use crate::verify::{self, VerifyingKey};

/// A DSSE envelope (`{"payloadType","payload","signatures":[{"keyid","sig"}]}`) with the
/// payload and signatures still base64 text, as in the JSON.
#[derive(Debug, Clone, Default)]
pub(crate) struct Envelope {
    pub payload_type: String,
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

/// One envelope signature. Its `keyid` is parsed but never used: Rekor's verifiers carry no
/// key ID, so go-securesystemslib never skips a signature for a key-ID mismatch.
#[derive(Debug, Clone, Default)]
pub(crate) struct EnvelopeSignature {
    pub sig: String,
}

/// Go's `json.Unmarshal` into `dsse.Envelope`: unknown fields ignored, `null` fields empty,
/// field names matched case-insensitively, wrong JSON types an error.
pub(crate) fn parse_envelope(text: &str) -> Result<Envelope, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("invalid DSSE envelope JSON: {e}"))?;
    let mut env = Envelope::default();
    let obj = match &value {
        Value::Null => return Ok(env),
        Value::Object(o) => o,
        _ => {
            return Err(
                "json: cannot unmarshal non-object into Go value of type dsse.Envelope".into(),
            )
        }
    };
    env.payload_type = string_field(obj, "payloadType")?;
    env.payload = string_field(obj, "payload")?;
    match get_field(obj, "signatures") {
        None => {}
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::Null => env.signatures.push(EnvelopeSignature::default()),
                    Value::Object(s) => {
                        string_field(s, "keyid")?;
                        env.signatures.push(EnvelopeSignature {
                            sig: string_field(s, "sig")?,
                        });
                    }
                    _ => return Err("json: cannot unmarshal non-object into Go struct field Envelope.signatures of type dsse.Signature".into()),
                }
            }
        }
        Some(_) => {
            return Err(
                "json: cannot unmarshal non-array into Go struct field Envelope.signatures".into(),
            )
        }
    }
    Ok(env)
}

fn string_field(obj: &serde_json::Map<String, Value>, name: &str) -> Result<String, String> {
    match get_field(obj, name) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!(
            "json: cannot unmarshal non-string into Go struct field of type string ({name})"
        )),
    }
}

/// DSSE pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(body)> <body>`.
pub(crate) fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Runs go-securesystemslib's verifier with the single `key`: every signature must decode,
/// the first one that verifies is accepted (a provider is used at most once), and none
/// verifying is an error. Returns the index of the accepted signature.
pub(crate) fn verify_with_key(env: &Envelope, key: &VerifyingKey) -> Result<usize, String> {
    const UNDECODABLE: &str = "unable to base64 decode payload (is payload in the right format?)";
    if env.signatures.is_empty() {
        return Err("no signature found".into());
    }
    let body = b64::decode_dsse(&env.payload).ok_or(UNDECODABLE)?;
    let message = pae(&env.payload_type, &body);
    let mut accepted = None;
    for (i, s) in env.signatures.iter().enumerate() {
        let sig = b64::decode_dsse(&s.sig).ok_or(UNDECODABLE)?;
        if accepted.is_none() && verify::verify_message(key, &message, &sig).is_ok() {
            accepted = Some(i);
        }
    }
    accepted
        .ok_or_else(|| "accepted signatures do not match threshold, Found: 0, Expected 1".into())
}

/// The artifact digests an in-toto statement names, as Rekor indexes them: each subject's
/// `<alg>:<digest>` (algorithms in sorted order; Go iterates a map), then the SLSA v0.2
/// `predicate.materials` digests. Anything that is not such a statement yields nothing.
pub(crate) fn statement_digests(payload: &[u8]) -> Vec<String> {
    let Ok(Value::Object(stmt)) = serde_json::from_slice::<Value>(payload) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut push_digests = |list: Option<&Value>| {
        if let Some(Value::Array(items)) = list {
            for item in items {
                if let Some(Value::Object(digest)) = item.get("digest") {
                    let mut algs: Vec<(&String, &Value)> = digest.iter().collect();
                    algs.sort_by(|a, b| a.0.cmp(b.0));
                    for (alg, value) in algs {
                        if let Value::String(v) = value {
                            out.push(format!("{alg}:{v}"));
                        }
                    }
                }
            }
        }
    };
    push_digests(stmt.get("subject"));
    if let Some(Value::Object(pred)) = stmt.get("predicate") {
        push_digests(pred.get("materials"));
    }
    out
}
