//! Reading a timestamp request (DER `TimeStampReq`, or the JSON form sigstore-js sends) and
//! checking it the way timestamp-authority does.

use der::asn1::Int;
use der::oid::db::rfc5912::{ID_SHA_1, ID_SHA_256, ID_SHA_384, ID_SHA_512};
use der::oid::ObjectIdentifier;
use der::Decode as _;
use x509_tsp::TimeStampReq;

use crate::TsaError;

/// Largest DER request read (timestamp-authority's `--max-request-body-size` default, 1 MiB).
/// Real queries are under 200 bytes; the cap bounds the work a client can ask for.
pub const MAX_DER_REQUEST: usize = 1 << 20;

/// Largest JSON request (timestamp-authority refuses bigger ones).
pub const MAX_JSON_REQUEST: usize = 1024;

/// An imprint hash the TSA accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImprintHash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl ImprintHash {
    /// The hash's OID.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha256 => ID_SHA_256,
            Self::Sha384 => ID_SHA_384,
            Self::Sha512 => ID_SHA_512,
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    fn from_oid(oid: ObjectIdentifier) -> Result<Self, TsaError> {
        match oid {
            ID_SHA_256 => Ok(Self::Sha256),
            ID_SHA_384 => Ok(Self::Sha384),
            ID_SHA_512 => Ok(Self::Sha512),
            ID_SHA_1 => Err(TsaError::WeakHash),
            other => Err(TsaError::BadRequest(format!("unsupported hash {other}"))),
        }
    }

    fn from_name(name: &str) -> Result<Self, TsaError> {
        match name.to_ascii_lowercase().as_str() {
            "sha256" => Ok(Self::Sha256),
            "sha384" => Ok(Self::Sha384),
            "sha512" => Ok(Self::Sha512),
            "sha1" => Err(TsaError::WeakHash),
            other => Err(TsaError::BadRequest(format!("unsupported hash {other:?}"))),
        }
    }
}

/// A checked request: what the response needs from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The imprint's hash algorithm.
    pub hash: ImprintHash,
    /// The digest to timestamp (length checked against `hash`).
    pub digest: Vec<u8>,
    /// The nonce to echo, if any.
    pub nonce: Option<Int>,
    /// The requested policy, if any (checked against the accepted list by the caller).
    pub policy: Option<ObjectIdentifier>,
    /// Whether the signing certificate goes into the token.
    pub cert_req: bool,
}

impl Request {
    /// Parses and checks a DER `TimeStampReq` (strict DER, nothing trailing).
    pub fn from_der(body: &[u8]) -> Result<Self, TsaError> {
        if body.len() > MAX_DER_REQUEST {
            return Err(TsaError::TooLarge);
        }
        let req = TimeStampReq::from_der(body)
            .map_err(|e| TsaError::BadRequest(format!("not a DER TimeStampReq: {e}")))?;
        if req.extensions.is_some() {
            return Err(TsaError::Extension);
        }
        let hash = ImprintHash::from_oid(req.message_imprint.hash_algorithm.oid)?;
        let digest = req.message_imprint.hashed_message.as_bytes().to_vec();
        Self::checked(hash, digest, req.nonce, req.req_policy, req.cert_req)
    }

    /// Parses and checks timestamp-authority's JSON request form:
    /// `{"artifactHash": b64(digest), "hashAlgorithm": "sha256", "certificates": bool,
    /// "nonce": number, "tsaPolicyOID": "1.2.3"}`; keys case-insensitive, unknown keys ignored.
    pub fn from_json(body: &[u8]) -> Result<Self, TsaError> {
        use base64::Engine as _;
        if body.len() > MAX_JSON_REQUEST {
            return Err(TsaError::TooLarge);
        }
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| TsaError::BadRequest(format!("not JSON: {e}")))?;
        let serde_json::Value::Object(fields) = value else {
            return Err(TsaError::BadRequest("not a JSON object".into()));
        };
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        let text = |name: &str| -> Result<Option<&str>, TsaError> {
            match field(name) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(TsaError::BadRequest(format!("{name} is not a string"))),
            }
        };
        let hash = ImprintHash::from_name(text("hashAlgorithm")?.unwrap_or_default())?;
        let digest = base64::engine::general_purpose::STANDARD
            .decode(text("artifactHash")?.unwrap_or_default())
            .map_err(|e| TsaError::BadRequest(format!("artifactHash: {e}")))?;
        let cert_req = match field("certificates") {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::Bool(b)) => *b,
            Some(_) => return Err(TsaError::BadRequest("certificates is not a boolean".into())),
        };
        let nonce = match field("nonce") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Number(n)) => Some(json_nonce(&n.to_string())?),
            Some(_) => return Err(TsaError::BadRequest("nonce is not a number".into())),
        };
        let policy = text("tsaPolicyOID")?
            .map(|s| {
                ObjectIdentifier::new(s)
                    .map_err(|e| TsaError::BadRequest(format!("tsaPolicyOID: {e}")))
            })
            .transpose()?;
        Self::checked(hash, digest, nonce, policy, cert_req)
    }

    fn checked(
        hash: ImprintHash,
        digest: Vec<u8>,
        nonce: Option<Int>,
        policy: Option<ObjectIdentifier>,
        cert_req: bool,
    ) -> Result<Self, TsaError> {
        if digest.len() != hash.digest_len() {
            return Err(TsaError::DigestLength);
        }
        Ok(Self {
            hash,
            digest,
            nonce,
            policy,
            cert_req,
        })
    }
}

/// A non-negative decimal JSON number (serde_json keeps integers up to u64; bigger or
/// fractional numbers are refused) as a DER INTEGER.
fn json_nonce(text: &str) -> Result<Int, TsaError> {
    let n: u64 = text
        .parse()
        .map_err(|_| TsaError::BadRequest("nonce is not a non-negative integer".into()))?;
    let bytes = n.to_be_bytes();
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut minimal = Vec::with_capacity(9);
    if bytes.get(start).is_some_and(|b| b & 0x80 != 0) {
        minimal.push(0);
    }
    minimal.extend_from_slice(bytes.get(start..).unwrap_or_default());
    Int::new(&minimal).map_err(|e| TsaError::BadRequest(format!("nonce: {e}")))
}
