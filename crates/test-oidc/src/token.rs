//! Token minting: a builder over header and claims, with the ways a token can be signed
//! honestly or maliciously.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::{TestIssuer, TestKey};

/// How the builder produces the signature part.
enum Signature {
    /// Sign with the key (header `alg` defaults to the key's default algorithm).
    Key { alg: Option<String> },
    /// `alg: none` and an empty signature part.
    None,
    /// HS256 with the given secret (the classic key-confusion attack keys it with public bytes).
    Hs256(Vec<u8>),
}

/// Builds one compact JWS. Every setter overrides what [`TestIssuer::token`] put in.
pub struct TokenBuilder<'a> {
    key: &'a TestKey,
    header: Map<String, Value>,
    claims: Map<String, Value>,
    signature: Signature,
    tamper: bool,
    raw_payload: Option<Vec<u8>>,
}

impl<'a> TokenBuilder<'a> {
    pub(crate) fn new(issuer: &'a TestIssuer, key: &'a TestKey, now: i64) -> Self {
        let claims = json!({
            "iss": issuer.issuer(),
            "aud": "sigstore",
            "sub": "test-subject",
            "iat": now,
            "nbf": now,
            "exp": now + 600,
        });
        let mut b = Self {
            key,
            header: Map::new(),
            claims: claims.as_object().cloned().unwrap_or_default(),
            signature: Signature::Key { alg: None },
            tamper: false,
            raw_payload: None,
        };
        b.header.insert("typ".into(), "JWT".into());
        b.header.insert("kid".into(), key.kid().into());
        b
    }

    /// Sets (or replaces) a claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    /// Adds every claim of `claims` (e.g. a [`crate::presets`] set).
    pub fn claims(mut self, claims: Map<String, Value>) -> Self {
        self.claims.extend(claims);
        self
    }

    /// Removes a claim.
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets (or replaces) a header parameter.
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a header parameter (e.g. `kid`).
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Signs with `key` instead (its `kid` goes into the header).
    pub fn signed_by(mut self, key: &'a TestKey) -> Self {
        self.key = key;
        self.header.insert("kid".into(), key.kid().into());
        self
    }

    /// Signs with the current key but claims another `kid` in the header.
    pub fn kid(self, kid: &str) -> Self {
        self.header("kid", kid)
    }

    /// Signs with JWS algorithm `alg` (must suit the key).
    pub fn alg(mut self, alg: &str) -> Self {
        self.signature = Signature::Key {
            alg: Some(alg.to_owned()),
        };
        self
    }

    /// Header `alg` says `claimed`, but the signature is made with `actual` (must suit the key).
    pub fn alg_claiming(self, claimed: &str, actual: &str) -> Self {
        self.alg(actual).header("alg_override", claimed)
    }

    /// An unsigned token: `alg: none`, empty signature part.
    pub fn unsigned(mut self) -> Self {
        self.signature = Signature::None;
        self
    }

    /// HS256 keyed with `secret`.
    pub fn hs256(mut self, secret: &[u8]) -> Self {
        self.signature = Signature::Hs256(secret.to_vec());
        self
    }

    /// HS256 keyed with the signing key's own SPKI PEM text — the algorithm-confusion attack
    /// against verifiers that feed "the key bytes" to whatever `alg` the header names.
    pub fn hs256_with_public_key(self) -> Self {
        let secret = self.key.public_key_pem().into_bytes();
        self.hs256(&secret)
    }

    /// Flips one bit of the signature after signing.
    pub fn tampered(mut self) -> Self {
        self.tamper = true;
        self
    }

    /// Uses these exact bytes as the payload (claims are ignored), e.g. non-JSON.
    pub fn raw_payload(mut self, payload: &[u8]) -> Self {
        self.raw_payload = Some(payload.to_vec());
        self
    }

    /// The compact serialization `header.payload.signature`.
    pub fn build(self) -> String {
        let mut header = self.header;
        let alg = match &self.signature {
            Signature::Key { alg } => alg
                .clone()
                .unwrap_or_else(|| self.key.kind().default_alg().to_owned()),
            Signature::None => "none".to_owned(),
            Signature::Hs256(_) => "HS256".to_owned(),
        };
        let claimed = header
            .remove("alg_override")
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| alg.clone());
        header.insert("alg".into(), claimed.into());
        let payload = self
            .raw_payload
            .unwrap_or_else(|| Value::Object(self.claims).to_string().into_bytes());
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(Value::Object(header).to_string()),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let mut sig = match &self.signature {
            Signature::Key { .. } => self.key.sign_jws(&alg, signing_input.as_bytes()),
            Signature::None => Vec::new(),
            Signature::Hs256(secret) => {
                let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
                ring::hmac::sign(&key, signing_input.as_bytes())
                    .as_ref()
                    .to_vec()
            }
        };
        if self.tamper {
            if let Some(last) = sig.last_mut() {
                *last ^= 0x01;
            }
        }
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}
