//! Step 1: split a compact JWS and read its header and claims *without* trusting them.
//!
//! The size limit and the two-dot shape are checked before any decoding, so an oversized or
//! garbage token costs nothing. Nothing decoded here may be used for a decision other than
//! picking the issuer and the key; the signature is checked later over `signing_input`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Default token size limit: real ID tokens are 1–4 KiB; 64 KiB leaves room for large
/// claim sets and keeps hostile inputs cheap.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 64 * 1024;

/// A decoded but unverified token.
#[derive(Clone, Debug)]
pub struct UnverifiedToken<'a> {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
    /// `base64url(header) "." base64url(payload)`: the bytes the signature covers.
    pub signing_input: &'a str,
    /// The decoded signature.
    pub signature: Vec<u8>,
}

impl<'a> UnverifiedToken<'a> {
    /// Splits and decodes `token`.
    pub fn parse(token: &'a str, max_len: usize) -> Result<Self> {
        if token.len() > max_len {
            return Err(Error::TokenTooLarge {
                len: token.len(),
                max: max_len,
            });
        }
        if token.is_empty() {
            return Err(Error::Malformed("empty token".into()));
        }
        if token.bytes().filter(|b| *b == b'.').count() != 2 {
            return Err(Error::Malformed(
                "not a compact JWS (expected exactly two dots)".into(),
            ));
        }
        let last_dot = token.rfind('.').unwrap_or_default();
        let signing_input = &token[..last_dot];
        let (h, p) = signing_input.split_once('.').unwrap_or_default();
        let header = decode_object(h, "header")?;
        let claims = decode_object(p, "payload")?;
        let signature = URL_SAFE_NO_PAD
            .decode(&token[last_dot + 1..])
            .map_err(|_| Error::Malformed("signature is not base64url".into()))?;
        Ok(Self {
            header,
            claims,
            signing_input,
            signature,
        })
    }

    /// The unverified `iss`.
    pub fn issuer(&self) -> Result<&str> {
        match self.claims.get("iss") {
            Some(Value::String(s)) if !s.is_empty() => Ok(s),
            Some(_) => Err(Error::InvalidClaim {
                claim: "iss".into(),
                reason: "must be a non-empty string".into(),
            }),
            None => Err(Error::MissingClaim("iss".into())),
        }
    }

    /// The header's `alg`.
    pub fn alg(&self) -> Result<&str> {
        self.header
            .get("alg")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Malformed("header has no alg".into()))
    }

    /// The header's `kid`, if any.
    pub fn kid(&self) -> Result<Option<&str>> {
        match self.header.get("kid") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::Malformed("kid is not a string".into())),
        }
    }
}

fn decode_object(part: &str, what: &str) -> Result<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Error::Malformed(format!("{what} is not base64url")))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Error::Malformed(format!("{what} is not a JSON object"))),
        Err(_) => Err(Error::Malformed(format!("{what} is not JSON"))),
    }
}
