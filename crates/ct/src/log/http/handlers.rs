//! The RFC 6962 §4 endpoints. Each parses its input, calls the [`CtLog`] method of the same
//! name and renders the JSON of the RFC; binary fields are standard base64.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::header::{HeaderValue, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Serialize;
use sigstack_ledger::store::Store;

use super::params::{chain_from_json, Query};
use crate::log::{CtError, CtLog};
use crate::SignedCertificateTimestamp;
use sigstack_http::read_limited;

type Log<S> = State<Arc<CtLog<S>>>;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn json<T: Serialize>(value: &T) -> Result<Response, CtError> {
    let body = serde_json::to_vec(value)
        .map_err(|e| CtError::Internal(format!("encoding a response: {e}")))?;
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// RFC 6962 §4.1 `AddChainResponse`, field names and order as Go's CT client reads them.
#[derive(Serialize)]
struct AddChainResponse {
    sct_version: u8,
    id: String,
    timestamp: u64,
    extensions: String,
    /// The TLS `DigitallySigned`.
    signature: String,
}

fn sct_response(sct: &SignedCertificateTimestamp) -> Result<Response, CtError> {
    json(&AddChainResponse {
        sct_version: 0,
        id: b64(&sct.log_id.0),
        timestamp: sct.timestamp,
        extensions: b64(&sct.extensions),
        signature: b64(&sct.signature.to_bytes()?),
    })
}

/// `POST add-chain`.
pub(crate) async fn add_chain<S: Store>(
    State(log): Log<S>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, CtError> {
    let body = read_limited(&headers, body, log.config().max_body_bytes).await?;
    let sct = log.add_chain(chain_from_json(&body)?).await?;
    sct_response(&sct)
}

/// `POST add-pre-chain`.
pub(crate) async fn add_pre_chain<S: Store>(
    State(log): Log<S>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, CtError> {
    let body = read_limited(&headers, body, log.config().max_body_bytes).await?;
    let sct = log.add_pre_chain(chain_from_json(&body)?).await?;
    sct_response(&sct)
}

#[derive(Serialize)]
struct SthResponse {
    tree_size: u64,
    timestamp: u64,
    sha256_root_hash: String,
    /// The TLS `DigitallySigned` over the `TreeHeadSignature`.
    tree_head_signature: String,
}

/// `GET get-sth`.
pub(crate) async fn get_sth<S: Store>(State(log): Log<S>) -> Result<Response, CtError> {
    let sth = log.signed_tree_head().await?;
    json(&SthResponse {
        tree_size: sth.tree_size,
        timestamp: sth.timestamp,
        sha256_root_hash: b64(&sth.root_hash),
        tree_head_signature: b64(&sth.signature.to_bytes()?),
    })
}

#[derive(Serialize)]
struct ConsistencyResponse {
    consistency: Vec<String>,
}

/// `GET get-sth-consistency?first=&second=`.
pub(crate) async fn get_sth_consistency<S: Store>(
    State(log): Log<S>,
    RawQuery(raw): RawQuery,
) -> Result<Response, CtError> {
    let query = Query::parse(raw.as_deref());
    let (first, second) = (query.u64("first")?, query.u64("second")?);
    let proof = log.consistency_proof(first, second).await?;
    json(&ConsistencyResponse {
        consistency: proof.iter().map(|h| b64(h)).collect(),
    })
}

#[derive(Serialize)]
struct ProofResponse {
    leaf_index: u64,
    audit_path: Vec<String>,
}

/// `GET get-proof-by-hash?hash=&tree_size=`.
pub(crate) async fn get_proof_by_hash<S: Store>(
    State(log): Log<S>,
    RawQuery(raw): RawQuery,
) -> Result<Response, CtError> {
    let query = Query::parse(raw.as_deref());
    let (hash, tree_size) = (query.hash("hash")?, query.u64("tree_size")?);
    let (leaf_index, proof) = log.proof_by_hash(&hash, tree_size).await?;
    json(&ProofResponse {
        leaf_index,
        audit_path: proof.iter().map(|h| b64(h)).collect(),
    })
}

#[derive(Serialize)]
struct Entry {
    leaf_input: String,
    extra_data: String,
}

#[derive(Serialize)]
struct EntriesResponse {
    entries: Vec<Entry>,
}

/// `GET get-entries?start=&end=` (inclusive; the answer may be shorter than asked).
pub(crate) async fn get_entries<S: Store>(
    State(log): Log<S>,
    RawQuery(raw): RawQuery,
) -> Result<Response, CtError> {
    let query = Query::parse(raw.as_deref());
    let (start, end) = (query.u64("start")?, query.u64("end")?);
    let entries = log.entries(start, end).await?;
    json(&EntriesResponse {
        entries: entries
            .iter()
            .map(|e| Entry {
                leaf_input: b64(&e.leaf_input),
                extra_data: b64(&e.extra_data),
            })
            .collect(),
    })
}

#[derive(Serialize)]
struct EntryAndProofResponse {
    leaf_input: String,
    extra_data: String,
    audit_path: Vec<String>,
}

/// `GET get-entry-and-proof?leaf_index=&tree_size=`.
pub(crate) async fn get_entry_and_proof<S: Store>(
    State(log): Log<S>,
    RawQuery(raw): RawQuery,
) -> Result<Response, CtError> {
    let query = Query::parse(raw.as_deref());
    let (index, tree_size) = (query.u64("leaf_index")?, query.u64("tree_size")?);
    let (entry, proof) = log.entry_and_proof(index, tree_size).await?;
    json(&EntryAndProofResponse {
        leaf_input: b64(&entry.leaf_input),
        extra_data: b64(&entry.extra_data),
        audit_path: proof.iter().map(|h| b64(h)).collect(),
    })
}

#[derive(Serialize)]
struct RootsResponse {
    certificates: Vec<String>,
}

/// `GET get-roots`.
pub(crate) async fn get_roots<S: Store>(State(log): Log<S>) -> Result<Response, CtError> {
    json(&RootsResponse {
        certificates: log.roots().map(b64).collect(),
    })
}
