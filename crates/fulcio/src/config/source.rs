//! From file bytes to a JSON value with normalized field names.
//!
//! Fulcio tries JSON first, then YAML; its JSON names are `OIDCIssuers`/`IssuerURL` (matched
//! case-insensitively by Go's decoder), its YAML names `oidc-issuers`/`issuer-url`. Lower-casing
//! and dropping `-`/`_` maps both spellings to one key, so one extractor serves both formats.
//! Only *field* names are normalized — issuer URLs, provider names and template-default keys
//! are map keys and stay exactly as written.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Parses JSON, else YAML (anchors and `<<` merge keys resolved).
pub(super) fn parse(bytes: &[u8]) -> Result<Value> {
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        return Ok(v);
    }
    let mut yaml: serde_norway::Value =
        serde_norway::from_slice(bytes).map_err(|e| Error::ConfigSyntax(e.to_string()))?;
    yaml.apply_merge()
        .map_err(|e| Error::ConfigSyntax(e.to_string()))?;
    yaml_to_json(yaml)
}

fn yaml_to_json(v: serde_norway::Value) -> Result<Value> {
    use serde_norway::Value as Y;
    Ok(match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(seq) => Value::Array(seq.into_iter().map(yaml_to_json).collect::<Result<_>>()?),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.to_string(),
                    other => {
                        return Err(Error::ConfigSyntax(format!(
                            "unsupported YAML mapping key {other:?}"
                        )))
                    }
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value)?,
    })
}

/// The normalized form of a field name: lower case, without `-` and `_`.
pub(super) fn norm(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}
