//! The JSONPath subset of `IssuerClaim`: a root `$` followed by `.name` or `['name']` /
//! `["name"]` steps (e.g. Dex's `$.federated_claims.connector_id`). Filters, wildcards and
//! indices are refused at load time.

use serde_json::Value;

/// A parsed `IssuerClaim` path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimPath {
    source: String,
    steps: Vec<String>,
}

impl ClaimPath {
    /// Parses `$.a.b` / `$['a-b'].c`; `None` if the path is outside the subset.
    pub fn parse(source: &str) -> Option<Self> {
        let mut rest = source.strip_prefix('$')?;
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                let name = &r[..end];
                if name.is_empty() || name.contains(['*', '?', '(', ')', ']', '\'', '"']) {
                    return None;
                }
                steps.push(name.to_owned());
                rest = &r[end..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let quote = r.chars().next().filter(|c| *c == '\'' || *c == '"')?;
                let r = &r[1..];
                let end = r.find(quote)?;
                steps.push(r[..end].to_owned());
                rest = r[end + 1..].strip_prefix(']')?;
            } else {
                return None;
            }
        }
        if steps.is_empty() {
            return None;
        }
        Some(Self {
            source: source.to_owned(),
            steps,
        })
    }

    /// The path as written in the config.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The value at this path in the token claims.
    pub fn lookup<'a>(&self, claims: &'a serde_json::Map<String, Value>) -> Option<&'a Value> {
        let (first, rest) = self.steps.split_first()?;
        let mut v = claims.get(first)?;
        for s in rest {
            v = v.as_object()?.get(s)?;
        }
        Some(v)
    }
}
