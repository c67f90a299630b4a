//! `POST /api/v1/index/retrieve`: entry IDs by artifact hash, public key and e-mail.
//!
//! Each criterion becomes one search key, with the same spelling the entry kinds file
//! entries under: `<alg>:<hex>` for hashes (a bare hex digest gets its prefix from its
//! length), `hex(SHA-256(canonical key))` for keys, the lower-cased address for e-mail.
//! `operator` `or` (the default) unites the per-criterion results, `and` intersects them.
//! The answer is a sorted, de-duplicated array of 80-hex entry IDs, `[]` when empty.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};
use sigstack_ledger::store::Store;

use super::canonical;
use super::entries::json_response;
use super::error::{ApiError, SchemaCode};
use super::{body, RekorService};

/// Most entries one criterion yields; a key with more matches is answered with the first
/// (oldest) ones.
pub(crate) const MAX_SEARCH_RESULTS: usize = 10_000;

/// The hash pattern of Rekor's OpenAPI document (sha384 is not in it).
const HASH_PATTERN: &str =
    "^(sha512:)?[0-9a-fA-F]{128}$|^(sha256:)?[0-9a-fA-F]{64}$|^(sha1:)?[0-9a-fA-F]{40}$";

/// Key formats the schema admits, in its order (for the enum error message).
const KEY_FORMATS: [&str; 5] = ["pgp", "x509", "minisign", "ssh", "tuf"];

/// The search key of a `hash` criterion, or the schema error Rekor gives.
fn hash_key(raw: &str) -> Result<String, ApiError> {
    let (alg, hex) = match raw.split_once(':') {
        Some((alg, hex)) => (Some(alg), hex),
        None => (None, raw),
    };
    let by_len = match hex.len() {
        40 => Some("sha1"),
        64 => Some("sha256"),
        128 => Some("sha512"),
        _ => None,
    };
    let ok = hex.bytes().all(|b| b.is_ascii_hexdigit())
        && by_len.is_some()
        && alg.is_none_or(|a| Some(a) == by_len);
    match (ok, by_len) {
        (true, Some(alg)) => Ok(format!("{alg}:{}", hex.to_ascii_lowercase())),
        _ => Err(ApiError::schema(
            SchemaCode::Pattern,
            format!("hash in body should match '{HASH_PATTERN}'"),
        )),
    }
}

/// The search key of a `publicKey` criterion.
fn public_key_key(pk: &Value) -> Result<String, ApiError> {
    let Some(pk) = pk.as_object() else {
        return Err(ApiError::schema(
            SchemaCode::WrongType,
            "publicKey in body must be of type object",
        ));
    };
    let format = match pk.get("format") {
        None | Some(Value::Null) => {
            return Err(ApiError::schema(
                SchemaCode::Required,
                "publicKey.publicKey.format in body is required",
            ))
        }
        Some(Value::String(f)) if KEY_FORMATS.contains(&f.as_str()) => f.as_str(),
        Some(_) => {
            return Err(ApiError::schema(
                SchemaCode::Enum,
                format!(
                    "publicKey.publicKey.format in body should be one of [{}]",
                    KEY_FORMATS.join(" ")
                ),
            ))
        }
    };
    let content = match (pk.get("content"), pk.get("url")) {
        (Some(Value::String(c)), _) => c,
        (_, Some(Value::String(_))) => {
            return Err(ApiError::BadRequest(
                "fetching public keys by URL is not supported; send the key as content".into(),
            ))
        }
        _ => {
            return Err(ApiError::BadRequest(
                "publicKey needs content (the base64 key)".into(),
            ))
        }
    };
    canonical::public_key_search_key(format, content).map_err(ApiError::BadRequest)
}

/// The search keys of a query, one per criterion given, and whether to intersect.
fn search_keys(query: &Map<String, Value>) -> Result<(Vec<String>, bool), ApiError> {
    let intersect = match query.get("operator") {
        None | Some(Value::Null) => false,
        Some(Value::String(op)) if op == "or" => false,
        Some(Value::String(op)) if op == "and" => true,
        Some(_) => {
            return Err(ApiError::schema(
                SchemaCode::Enum,
                "operator in body should be one of [and or]",
            ))
        }
    };
    let mut keys = Vec::new();
    match query.get("hash") {
        None | Some(Value::Null) => {}
        Some(Value::String(h)) => keys.push(hash_key(h)?),
        Some(_) => {
            return Err(ApiError::schema(
                SchemaCode::WrongType,
                "hash in body must be of type string",
            ))
        }
    }
    match query.get("publicKey") {
        None | Some(Value::Null) => {}
        Some(pk) => keys.push(public_key_key(pk)?),
    }
    for field in ["email", "subject"] {
        match query.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::String(v)) if !v.is_empty() => keys.push(v.to_lowercase()),
            Some(_) => {
                return Err(ApiError::schema(
                    SchemaCode::WrongType,
                    format!("{field} in body must be a non-empty string"),
                ))
            }
        }
    }
    Ok((keys, intersect))
}

/// `POST /api/v1/index/retrieve`.
pub(crate) async fn retrieve<S: Store>(
    State(svc): State<Arc<RekorService<S>>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = body::json_body(&headers, body, svc.config().max_body_bytes, "query").await?;
    let query: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("the request body is not valid JSON: {e}")))?;
    let Some(map) = query.as_object() else {
        return Err(ApiError::BadRequest(
            "the request body must be a JSON object".to_owned(),
        ));
    };
    // Reading a PGP key ring checks its self-signatures: that is verification work, done in
    // the verification pool like every other.
    let pgp = map
        .get("publicKey")
        .and_then(|pk| pk.get("format"))
        .and_then(Value::as_str)
        == Some("pgp");
    let (keys, intersect) = if pgp {
        svc.verify_pool()
            .run(move |_| match query.as_object() {
                Some(map) => search_keys(map),
                None => Err(ApiError::Internal(
                    "the query stopped being an object".into(),
                )),
            })
            .await??
    } else {
        search_keys(map)?
    };

    let mut result: Option<BTreeSet<u64>> = None;
    for key in &keys {
        let hits: BTreeSet<u64> = svc
            .ledger()
            .search(key, MAX_SEARCH_RESULTS)
            .await?
            .into_iter()
            .collect();
        result = Some(match result {
            None => hits,
            Some(acc) if intersect => acc.intersection(&hits).copied().collect(),
            Some(mut acc) => {
                acc.extend(hits);
                acc
            }
        });
    }
    let mut ids = BTreeSet::new();
    for index in result.unwrap_or_default() {
        if let Some(entry) = svc.ledger().entry(index).await? {
            ids.insert(svc.entry_id(&entry.leaf_hash));
        }
    }
    Ok(json_response(StatusCode::OK, &ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_keys() {
        let h64 = "924156DE4462B978CA821CBA495521EDE90D1B1E8F51A51601F3F6A497553AB1";
        assert_eq!(
            hash_key(h64).ok().as_deref(),
            Some(format!("sha256:{}", h64.to_ascii_lowercase()).as_str())
        );
        assert!(hash_key(&format!("sha256:{h64}")).is_ok());
        assert!(hash_key(&format!("sha512:{h64}")).is_err());
        assert!(hash_key("sha256:xyz").is_err());
        assert!(hash_key(&"ab".repeat(20)).is_ok_and(|k| k.starts_with("sha1:")));
        assert!(hash_key(&format!("sha384:{}", "ab".repeat(48))).is_err());
    }
}
