//! Query-string and path parameters, validated with go-openapi's rules and wording so that
//! clients print the same 422 messages Rekor gives.

use super::error::{ApiError, SchemaCode};

/// The pattern Rekor's OpenAPI document gives entry UUIDs and entry IDs.
pub(crate) const ENTRY_ID_PATTERN: &str = "^([0-9a-fA-F]{64}|[0-9a-fA-F]{80})$";

/// A parsed query string: `name=value` pairs, percent- and `+`-decoded, in order.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (without the `?`); malformed escapes are kept verbatim.
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        Self { pairs }
    }

    /// The first value of `name`, if present and non-empty (go-openapi treats an empty
    /// value as absent).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// An `int64` parameter with a minimum; `None` when absent and not required.
    pub(crate) fn int64(
        &self,
        name: &str,
        required: bool,
        minimum: i64,
    ) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.get(name) else {
            return if required {
                Err(ApiError::schema(
                    SchemaCode::Required,
                    format!("{name} in query is required"),
                ))
            } else {
                Ok(None)
            };
        };
        let value: i64 = raw.parse().map_err(|_| {
            ApiError::schema(
                SchemaCode::WrongType,
                format!("{name} in query must be of type int64: {raw:?}"),
            )
        })?;
        if value < minimum {
            return Err(ApiError::schema(
                SchemaCode::Minimum,
                format!("{name} in query should be greater than or equal to {minimum}"),
            ));
        }
        Ok(Some(value))
    }

    /// The optional `treeID` parameter (`^[0-9]+$`). A number too large for a tree ID
    /// yields `Some(None)`: well-formed, but no tree of ours.
    pub(crate) fn tree_id(&self) -> Result<Option<Option<i64>>, ApiError> {
        let Some(raw) = self.get("treeID") else {
            return Ok(None);
        };
        if !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::schema(
                SchemaCode::Pattern,
                "treeID in query should match '^[0-9]+$'",
            ));
        }
        Ok(Some(raw.parse().ok()))
    }
}

/// `application/x-www-form-urlencoded` decoding as Go's `url.ParseQuery` does it, except that
/// an invalid escape is kept as is instead of failing the whole query.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                });
                if let Some(v) = hex {
                    out.push(v);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_go() {
        let q = Query::parse(Some("a=1%2B2&b=x+y&c=%zz&a=second&empty="));
        assert_eq!(q.get("a"), Some("1+2"));
        assert_eq!(q.get("b"), Some("x y"));
        assert_eq!(q.get("c"), Some("%zz"));
        assert_eq!(q.get("empty"), None);
    }

    #[test]
    fn int64_rules() {
        let q = Query::parse(Some("n=-1&m=abc&big=99999999999999999999&ok=7"));
        assert!(q.int64("n", true, 0).is_err());
        assert!(q.int64("m", true, 0).is_err());
        assert!(q.int64("big", true, 0).is_err());
        assert!(q.int64("missing", true, 0).is_err());
        assert!(matches!(q.int64("missing", false, 0), Ok(None)));
        assert!(matches!(q.int64("ok", true, 0), Ok(Some(7))));
    }
}
