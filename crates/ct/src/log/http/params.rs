//! Request parsing: the JSON body of the add endpoints (read under the size limit by
//! `sigstack_http::read_limited`) and the query parameters of the read endpoints, each
//! failure a 400 that names the parameter.

use base64::Engine as _;
use serde::Deserialize;

use crate::log::CtError;

/// RFC 6962 §4.1 `{"chain":[base64 DER, …]}`; unknown members are ignored.
#[derive(Deserialize)]
struct AddChainRequest {
    chain: Vec<String>,
}

/// The DER certificates of an add request body.
pub(crate) fn chain_from_json(body: &[u8]) -> Result<Vec<Vec<u8>>, CtError> {
    let request: AddChainRequest = serde_json::from_slice(body).map_err(|e| {
        CtError::BadRequest(format!(
            "the body must be a JSON object {{\"chain\":[base64 DER, ...]}}: {e}"
        ))
    })?;
    request
        .chain
        .iter()
        .enumerate()
        .map(|(i, b64)| {
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| CtError::BadRequest(format!("chain[{i}] is not standard base64: {e}")))
        })
        .collect()
}

/// A parsed query string: `name=value` pairs, percent-decoded, in order.
///
/// A `+` stays a `+`: the only parameter that could hold a space is never meant to (a base64
/// `hash`), and clients that do not escape the `+` of base64 then still work.
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect();
        Self { pairs }
    }

    fn get(&self, name: &str) -> Result<&str, CtError> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| CtError::BadRequest(format!("parameter {name} is required")))
    }

    /// A required non-negative decimal parameter.
    pub(crate) fn u64(&self, name: &str) -> Result<u64, CtError> {
        let raw = self.get(name)?;
        raw.parse().map_err(|_| {
            CtError::BadRequest(format!(
                "parameter {name} must be a non-negative integer, not {raw:?}"
            ))
        })
    }

    /// A required base64 SHA-256 hash parameter.
    pub(crate) fn hash(&self, name: &str) -> Result<sigstack_merkle::Hash, CtError> {
        let raw = self.get(name)?;
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| {
                CtError::BadRequest(format!(
                    "parameter {name} must be a base64 SHA-256 hash (32 bytes)"
                ))
            })
    }
}

/// Percent-decoding; an invalid escape is kept as is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let value = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = value {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_plus_and_decodes_escapes() {
        let q = Query::parse(Some("hash=a+b%2Bc%3D&n=7&bad=%zz&empty="));
        assert_eq!(q.get("hash").ok(), Some("a+b+c="));
        assert_eq!(q.get("bad").ok(), Some("%zz"));
        assert!(q.get("empty").is_err());
        assert!(matches!(q.u64("n"), Ok(7)));
        assert!(q.u64("hash").is_err());
        assert!(q.u64("missing").is_err());
    }
}
