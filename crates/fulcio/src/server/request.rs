//! Decoding `signingCert` request bodies as Fulcio's grpc-gateway does (protobuf JSON
//! mapping, spec §2.7): lowerCamel or snake_case field names, unknown fields ignored, `null`
//! = unset (cosign 2.5 sends `"certificateSigningRequest":null`), an empty body = an empty
//! message, `bytes` fields in standard or URL-safe base64 with or without padding, and the
//! `algorithm` field ignored whatever it holds (sigstore-go sends the non-enum `"RSA"`).
//!
//! The token is taken from the body (`credentials.oidcIdentityToken`, v2 only) if non-empty,
//! else from `Authorization`, where Fulcio strips the literal, case-sensitive `Bearer `
//! prefix: `bearer <jwt>` therefore fails as a malformed token, as it does in Fulcio
//! (golden e24); no client sends it.

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::error::ApiError;
use crate::issuer::KeyProof;

/// A decoded request: the token (possibly empty: then the token check fails) and the proof.
#[derive(Debug)]
pub(crate) struct SigningRequest {
    pub token: String,
    pub proof: KeyProof,
}

/// `POST /api/v2/signingCert` (`dev.sigstore.fulcio.v2.CreateSigningCertificateRequest`).
pub(crate) fn v2(headers: &HeaderMap, body: &[u8]) -> Result<SigningRequest, ApiError> {
    let root = object_body(body)?;
    let body_token = match object(&root, "credentials", "credentials")? {
        Some(c) => string(c, "oidcIdentityToken", "oidc_identity_token")?,
        None => None,
    };
    let pk_request = object(&root, "publicKeyRequest", "public_key_request")?;
    let csr = bytes(
        &root,
        "certificateSigningRequest",
        "certificate_signing_request",
    )?;
    let proof = match (pk_request, csr) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "publicKeyRequest and certificateSigningRequest are mutually exclusive".into(),
            ))
        }
        (None, Some(csr)) => KeyProof::Csr(csr),
        (Some(pkr), None) => {
            let content = match object(pkr, "publicKey", "public_key")? {
                Some(pk) => string(pk, "content", "content")?.unwrap_or_default(),
                None => String::new(),
            };
            KeyProof::SignedChallenge {
                public_key: content.into_bytes(),
                signature: bytes(pkr, "proofOfPossession", "proof_of_possession")?
                    .unwrap_or_default(),
            }
        }
        (None, None) => KeyProof::Missing,
    };
    let token = match body_token.filter(|t| !t.is_empty()) {
        Some(t) => t,
        None => header_token(headers),
    };
    Ok(SigningRequest { token, proof })
}

/// `POST /api/v1/signingCert` (`dev.sigstore.fulcio.v1beta.CertificateRequest`): a
/// non-empty CSR wins over `publicKey`, whose `content` is base64 of PEM or DER.
pub(crate) fn v1(headers: &HeaderMap, body: &[u8]) -> Result<SigningRequest, ApiError> {
    let root = object_body(body)?;
    let csr = bytes(
        &root,
        "certificateSigningRequest",
        "certificate_signing_request",
    )?
    .filter(|c| !c.is_empty());
    let proof = match (csr, object(&root, "publicKey", "public_key")?) {
        (Some(csr), _) => KeyProof::Csr(csr),
        (None, Some(pk)) => KeyProof::SignedChallenge {
            public_key: bytes(pk, "content", "content")?.unwrap_or_default(),
            signature: bytes(&root, "signedEmailAddress", "signed_email_address")?
                .unwrap_or_default(),
        },
        (None, None) => KeyProof::Missing,
    };
    Ok(SigningRequest {
        token: header_token(headers),
        proof,
    })
}

/// The `Authorization` header minus Fulcio's literal `Bearer ` prefix.
fn header_token(headers: &HeaderMap) -> String {
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    value.strip_prefix("Bearer ").unwrap_or(value).to_owned()
}

/// The body as a JSON object; empty (or all-whitespace) is the empty message.
fn object_body(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::BadRequest(
            "the request body must be a JSON object".into(),
        )),
        Err(e) if e.is_eof() => Err(ApiError::BadRequest(
            "the request body is truncated JSON".into(),
        )),
        Err(_) => Err(ApiError::BadRequest(
            "the request body is not valid JSON".into(),
        )),
    }
}

/// A field by either of its names; `null` is unset; both names at once is an error, as in
/// protojson.
fn field<'a>(
    obj: &'a Map<String, Value>,
    camel: &str,
    snake: &str,
) -> Result<Option<&'a Value>, ApiError> {
    let a = obj.get(camel).filter(|v| !v.is_null());
    let b = if camel == snake {
        None
    } else {
        obj.get(snake).filter(|v| !v.is_null())
    };
    match (a, b) {
        (Some(_), Some(_)) => Err(ApiError::BadRequest(format!("field {camel} is set twice"))),
        (a, b) => Ok(a.or(b)),
    }
}

fn object<'a>(
    obj: &'a Map<String, Value>,
    camel: &str,
    snake: &str,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match field(obj, camel, snake)? {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(ApiError::BadRequest(format!(
            "field {camel} must be an object"
        ))),
    }
}

fn string(obj: &Map<String, Value>, camel: &str, snake: &str) -> Result<Option<String>, ApiError> {
    match field(obj, camel, snake)? {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::BadRequest(format!(
            "field {camel} must be a string"
        ))),
    }
}

fn bytes(obj: &Map<String, Value>, camel: &str, snake: &str) -> Result<Option<Vec<u8>>, ApiError> {
    match string(obj, camel, snake)? {
        None => Ok(None),
        Some(s) => decode_base64(&s)
            .map(Some)
            .ok_or_else(|| ApiError::BadRequest(format!("field {camel} is not valid base64"))),
    }
}

/// protojson's `bytes`: standard or URL-safe alphabet, padding optional; line breaks (which
/// Go's decoder skips) ignored.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if cleaned.contains(['-', '_']) {
        &alphabet::URL_SAFE
    } else {
        &alphabet::STANDARD
    };
    GeneralPurpose::new(alphabet, config).decode(cleaned).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_variants() {
        for text in ["+/8=", "+/8", "-_8=", "-_8"] {
            assert_eq!(decode_base64(text), Some(vec![0xfb, 0xff]), "{text}");
        }
        assert_eq!(decode_base64("!!"), None);
    }

    #[test]
    fn names_and_nulls() {
        let h = HeaderMap::new();
        let r = v1(
            &h,
            br#"{"publicKey":null,"certificateSigningRequest":null}"#,
        );
        assert!(matches!(r.map(|r| r.proof), Ok(KeyProof::Missing)));
        let r = v2(&h, br#"{"credentials":{"oidc_identity_token":"t"}}"#);
        assert_eq!(r.map(|r| r.token).ok().as_deref(), Some("t"));
        assert!(v2(&h, br#"{"publicKeyRequest":{},"public_key_request":{}}"#).is_err());
        assert!(v2(&h, b"[1]").is_err());
        assert!(matches!(
            v2(&h, b"  ").map(|r| r.proof),
            Ok(KeyProof::Missing)
        ));
    }
}
