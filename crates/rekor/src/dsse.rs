//! DSSE envelopes as Rekor's `dsse` and `intoto` types read and verify them
//! (go-securesystemslib's `EnvelopeVerifier` with one key and threshold 1).

use serde_json::Value;

use crate::b64;
use crate::budget::{Spent, WorkBudget, DEFAULT_MAX_MESSAGE_PASSES};
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

/// Most signatures one envelope may carry. Real clients send one; DSSE's multi-signer use
/// (thresholds of a few signers) stays far below. Rekor itself has no cap; without one,
/// the body limit alone let one request ask for tens of thousands of checks.
pub(crate) const MAX_SIGNATURES: usize = 8;

/// Most `keys × signatures` pairs one entry may ask to be tried: every key is tried
/// against the envelope's signatures, so the work grows with the product.
pub(crate) const MAX_KEY_SIGNATURE_PAIRS: usize = 64;

/// Refuses, before anything is decoded or hashed, an envelope whose verification could
/// only fail or would cost more than the caps allow: an empty (`""` or `null`) signature
/// can never verify, and Rekor would only say so after trying every key over the whole
/// payload. `keys` is how many keys the entry names.
pub(crate) fn check_workload(signatures: &[&[u8]], keys: usize) -> Result<(), String> {
    if let Some(i) = signatures.iter().position(|s| s.is_empty()) {
        return Err(format!(
            "DSSE envelope signature {i} is empty (null or \"\"); every signature must be present"
        ));
    }
    if signatures.len() > MAX_SIGNATURES {
        return Err(format!(
            "DSSE envelope has {} signatures; this log accepts at most {MAX_SIGNATURES}",
            signatures.len()
        ));
    }
    let pairs = signatures.len().saturating_mul(keys);
    if pairs > MAX_KEY_SIGNATURE_PAIRS {
        return Err(format!(
            "{} signatures and {keys} keys make {pairs} key-signature pairs to try; this log accepts at most {MAX_KEY_SIGNATURE_PAIRS}",
            signatures.len()
        ));
    }
    Ok(())
}

/// An envelope decoded once for verification against any number of keys: the payload and
/// every signature base64-decoded, the PAE built, its digest computed on first need.
pub(crate) struct Prepared {
    pae: Vec<u8>,
    sigs: Vec<Vec<u8>>,
}

const UNDECODABLE: &str = "unable to base64 decode payload (is payload in the right format?)";

impl Prepared {
    /// Decodes `env` as go-securesystemslib does before trying any key: no signatures is an
    /// error, and so is a payload or any signature that does not decode.
    pub(crate) fn new(env: &Envelope) -> Result<Self, String> {
        if env.signatures.is_empty() {
            return Err("no signature found".into());
        }
        let body = b64::decode_dsse(&env.payload).ok_or(UNDECODABLE)?;
        let sigs = env
            .signatures
            .iter()
            .map(|s| b64::decode_dsse(&s.sig).ok_or(UNDECODABLE))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            pae: pae(&env.payload_type, &body),
            sigs,
        })
    }

    /// A view that verifies with one message digest for all keys.
    pub(crate) fn verifier(&self) -> Verifier<'_> {
        Verifier {
            message: verify::Message::new(&self.pae),
            sigs: &self.sigs,
        }
    }
}

/// [`Prepared`] with its message ready to be checked against several keys.
pub(crate) struct Verifier<'a> {
    message: verify::Message<'a>,
    sigs: &'a [Vec<u8>],
}

impl Verifier<'_> {
    /// Runs go-securesystemslib's verifier with the single `key`: the first signature that
    /// verifies is accepted (a provider is used at most once), none verifying is an error.
    /// Returns the index of the accepted signature. Each check is charged to `budget`.
    pub(crate) fn verify_with_key(
        &self,
        key: &VerifyingKey,
        budget: &WorkBudget,
    ) -> Result<usize, String> {
        let rehashes = matches!(key, VerifyingKey::Ed25519(_));
        for (i, sig) in self.sigs.iter().enumerate() {
            budget
                .charge_units(key.check_cost())
                .and_then(|()| match rehashes {
                    true => budget.charge_pass(self.message.len()),
                    false => Ok(()),
                })
                .map_err(|spent| match spent {
                    Spent::Checks => format!(
                        "the entry needs more than {} signature checks",
                        budget.max_signature_checks()
                    ),
                    Spent::Passes => format!(
                        "the entry needs more than {DEFAULT_MAX_MESSAGE_PASSES} Ed25519 checks over its {} byte payload",
                        self.message.len()
                    ),
                    Spent::Cancelled => "verification was abandoned".to_owned(),
                })?;
            if verify::verify_prepared(key, &self.message, sig).is_ok() {
                return Ok(i);
            }
        }
        Err("accepted signatures do not match threshold, Found: 0, Expected 1".into())
    }
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
