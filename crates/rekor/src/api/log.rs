//! The log-level endpoints: tree head, public key, consistency proof, health.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header::{HeaderValue, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sigstack_ledger::store::Store;

use super::entries::json_response;
use super::error::ApiError;
use super::model::{ConsistencyProof, LogInfo};
use super::query::Query;
use super::RekorService;

/// The media type Go clients accept for the log key (`text/plain` breaks rekor-cli).
const PEM_CONTENT_TYPE: &str = "application/x-pem-file";

/// `GET /api/v1/log`: the active tree's size, root and signed checkpoint. `stable=true`
/// (Rekor 1.3.9) is accepted and ignored: every checkpoint we serve is a stored one.
pub(crate) async fn info<S: Store>(
    State(svc): State<Arc<RekorService<S>>>,
) -> Result<Response, ApiError> {
    let head = svc.head().await?;
    let info = LogInfo {
        inactive_shards: None,
        root_hash: hex::encode(head.root),
        signed_tree_head: head.checkpoint,
        tree_id: svc.config().tree_id.to_string(),
        tree_size: head.size,
    };
    Ok(json_response(StatusCode::OK, &info))
}

/// Refuses a `treeID` that is well-formed but not this log's tree.
fn check_tree<S: Store>(svc: &RekorService<S>, query: &Query) -> Result<(), ApiError> {
    match query.tree_id()? {
        None => Ok(()),
        Some(Some(id)) if id == svc.config().tree_id => Ok(()),
        Some(_) => Err(ApiError::BadRequest(format!(
            "unknown treeID: this log serves tree {}",
            svc.config().tree_id
        ))),
    }
}

/// `GET /api/v1/log/publicKey[?treeID=]`: the log key as canonical PEM.
pub(crate) async fn public_key<S: Store>(
    State(svc): State<Arc<RekorService<S>>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    check_tree(&svc, &Query::parse(raw.as_deref()))?;
    let mut response = (StatusCode::OK, svc.key().public_key_pem().to_owned()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(PEM_CONTENT_TYPE));
    Ok(response)
}

/// `GET /api/v1/log/proof?firstSize=&lastSize=[&treeID=]`: the RFC 6962 consistency proof
/// between two sizes. `rootHash` is the current root, as Rekor fills it.
pub(crate) async fn proof<S: Store>(
    State(svc): State<Arc<RekorService<S>>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let query = Query::parse(raw.as_deref());
    let first = query.int64("firstSize", false, 1)?.unwrap_or(1);
    let last = query.int64("lastSize", true, 1)?.unwrap_or(1);
    check_tree(&svc, &query)?;
    if first > last {
        return Err(ApiError::BadRequest(format!(
            "firstSize({first}) must be less than lastSize({last})"
        )));
    }
    let head = svc.head().await?;
    // Both are ≥ 1 after validation.
    let (first, last) = (first.unsigned_abs(), last.unsigned_abs());
    if last > head.size {
        return Err(ApiError::BadRequest(format!(
            "the tree size requested({last}) was greater than what is currently observable({})",
            head.size
        )));
    }
    let hashes = svc.ledger().consistency_proof(first, last).await?;
    let proof = ConsistencyProof {
        hashes: hashes.iter().map(hex::encode).collect(),
        root_hash: hex::encode(head.root),
    };
    Ok(json_response(StatusCode::OK, &proof))
}

/// `GET /ping`: Rekor's liveness probe (body `.`), kept for docker-compose style checks.
pub(crate) async fn ping() -> Response {
    let mut r = (StatusCode::OK, ".").into_response();
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    r
}

/// `GET /healthz`: the process is up and serving HTTP.
pub(crate) async fn healthz() -> Response {
    json_response(StatusCode::OK, &serde_json::json!({"status": "ok"}))
}

/// `GET /readyz`: the log can be read and this process can take writes (a standby answers
/// 503 so a load balancer sends writes elsewhere).
pub(crate) async fn readyz<S: Store>(
    State(svc): State<Arc<RekorService<S>>>,
) -> Result<Response, ApiError> {
    svc.head().await?;
    if !svc.ledger().is_writer() {
        return Err(ApiError::Unavailable(
            "this server is a standby and cannot take writes now",
        ));
    }
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({"status": "ready"}),
    ))
}
