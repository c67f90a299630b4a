//! Reading claims with Fulcio's typing: the built-in types decode claims into Go `string`
//! fields, so a claim must be a JSON string (a number is a decoding error); templates see
//! every claim stringified.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Token claims (the JWT payload object).
pub(crate) type Claims = Map<String, Value>;

/// A claim that must be a non-empty string.
pub(crate) fn required<'a>(claims: &'a Claims, name: &str) -> Result<&'a str> {
    match optional(claims, name)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(Error::MissingClaim(name.to_owned())),
    }
}

/// A claim that, when present and not null, must be a string.
pub(crate) fn optional<'a>(claims: &'a Claims, name: &str) -> Result<Option<&'a str>> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::InvalidClaim {
            claim: name.to_owned(),
            reason: "must be a string".into(),
        }),
    }
}

/// `optional`, with an absent claim read as `""` (Go's zero value).
pub(crate) fn or_empty<'a>(claims: &'a Claims, name: &str) -> Result<&'a str> {
    Ok(optional(claims, name)?.unwrap_or(""))
}

/// The token's `sub`, required non-empty.
pub(crate) fn sub(claims: &Claims) -> Result<&str> {
    required(claims, "sub")
}

/// The template data of §6.3: defaults, then every claim stringified on top (claims win).
pub(crate) fn template_data(
    defaults: &BTreeMap<String, String>,
    claims: &Claims,
) -> BTreeMap<String, String> {
    let mut data = defaults.clone();
    for (k, v) in claims {
        data.insert(k.clone(), stringify(v));
    }
    data
}

/// Fulcio's claim stringification: integers without exponent, other numbers in shortest
/// plain decimal, booleans `true`/`false`, strings as-is, composites in Go's `%v` form.
pub(crate) fn stringify(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "<nil>".into(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                let f = n.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.is_finite() {
                    format!("{f:.0}")
                } else {
                    format!("{f}")
                }
            }
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(stringify).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(o) => format!(
            "map[{}]",
            o.iter()
                .map(|(k, v)| format!("{k}:{}", stringify(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}
