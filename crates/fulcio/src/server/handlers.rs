//! The handlers: the two `signingCert` endpoints and the read-only ones.
//!
//! Response shapes follow the Fulcio 1.6.5 captures (`tests/vectors/golden/fulcio-1.6.5/`):
//! v1 answers 201 with the PEM chain joined by `\n` and no trailing newline; v2 answers 200
//! with `signedCertificateEmbeddedSct` whose PEM strings have no trailing newline, while the
//! trust bundle's PEM strings do end with `\n`.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{HeaderValue, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Value};
use sigstack_http::ratelimit::Exempt;
use x509_cert::der::pem::{self, LineEnding};

use super::error::ApiError;
use super::{request, AppState};
use crate::cert::IssuedCertificate;
use crate::identity::Principal;
use crate::issuer::IssueError;
use crate::metrics::{issuer_label, CertResult};

/// The media type of PEM chain responses.
const PEM_CHAIN: &str = "application/pem-certificate-chain";

type Shared = State<Arc<AppState>>;

/// `POST /api/v1/signingCert` (cosign 2.5).
pub(crate) async fn signing_cert_v1(
    State(state): Shared,
    exempt: Option<Extension<Exempt>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = sigstack_http::read_limited(&headers, body, state.options.max_body_bytes).await?;
    let req = request::v1(&headers, &bytes)?;
    let issued = issue_counted(&state, req, exempt.is_some()).await?;
    let chain = leaf_and_chain(&issued)?.join("\n");
    Ok(pem_response(StatusCode::CREATED, chain))
}

/// `POST /api/v2/signingCert` (sigstore-go, -python, -js).
pub(crate) async fn signing_cert_v2(
    State(state): Shared,
    exempt: Option<Extension<Exempt>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let bytes = sigstack_http::read_limited(&headers, body, state.options.max_body_bytes).await?;
    let req = request::v2(&headers, &bytes)?;
    let issued = issue_counted(&state, req, exempt.is_some()).await?;
    let body = json!({
        "signedCertificateEmbeddedSct": {
            "chain": { "certificates": leaf_and_chain(&issued)? }
        }
    });
    Ok(json_response(StatusCode::OK, &body))
}

/// Issues for `req`, counting the request by issuer and result and a refused token by
/// reason. The identity's rate limit applies unless the server marked the client `exempt`. Requests refused before a token is read (bad body, too large) are not counted
/// here; the HTTP metrics of the embedding server see them.
async fn issue_counted(
    state: &AppState,
    req: request::SigningRequest,
    exempt: bool,
) -> Result<IssuedCertificate, ApiError> {
    let metrics = state.service.metrics();
    let issuer = issuer_label(state.service.config(), &req.token);
    let limit = state.options.identity_limit.as_deref().filter(|_| !exempt);
    let result = state
        .service
        .issue_gated(&req.token, req.proof, |principal| match limit {
            Some(limit) => limit
                .check(&identity_key(principal), Instant::now())
                .map_err(|retry_after| IssueError::Throttled { retry_after }),
            None => Ok(()),
        })
        .await;
    if let Err(IssueError::Request(e)) = &result {
        metrics.record_token_error(e);
    }
    let result = result.map_err(ApiError::from);
    let status = match &result {
        Ok(_) => 200,
        Err(e) => e.status().as_u16(),
    };
    metrics.record_certificate(issuer, CertResult::from_status(status));
    result
}

/// The rate-limit key of an identity: the issuer and the name the client proved (the
/// e-mail or subject), which together name one identity across tokens.
fn identity_key(principal: &Principal) -> String {
    format!("{}\n{}", principal.issuer, principal.name)
}

/// `GET /api/v2/trustBundle`: one chain, issuing CA first, root last.
pub(crate) async fn trust_bundle(State(state): Shared) -> Result<Response, ApiError> {
    let certificates = state
        .service
        .ca()
        .chain_der()
        .iter()
        .map(|der| pem_block(der).map(|p| p + "\n"))
        .collect::<Result<Vec<_>, _>>()?;
    let body = json!({ "chains": [ { "certificates": certificates } ] });
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /api/v1/rootCert`: every CA certificate as PEM, joined by `\n`.
pub(crate) async fn root_cert(State(state): Shared) -> Result<Response, ApiError> {
    let blocks = state
        .service
        .ca()
        .chain_der()
        .iter()
        .map(|der| pem_block(der))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(pem_response(StatusCode::OK, blocks.join("\n")))
}

/// `GET /api/v2/configuration`.
pub(crate) async fn configuration(State(state): Shared) -> Response {
    json_response(
        StatusCode::OK,
        &state.service.config().public_configuration(),
    )
}

/// `GET /healthz`: the CA has no dependency worth probing per request (the CT log and key
/// stores fail requests individually with 503), so this says the process serves.
pub(crate) async fn healthz() -> Response {
    let mut r = (StatusCode::OK, "{\"status\":\"SERVING\"}\n").into_response();
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// `[leaf, issuing CA, …, root]` as PEM blocks without trailing newlines.
fn leaf_and_chain(issued: &IssuedCertificate) -> Result<Vec<String>, ApiError> {
    std::iter::once(&issued.der)
        .chain(&issued.chain)
        .map(|der| pem_block(der))
        .collect()
}

/// One `CERTIFICATE` PEM block, 64-column lines, no trailing newline.
fn pem_block(der: &[u8]) -> Result<String, ApiError> {
    pem::encode_string("CERTIFICATE", LineEnding::LF, der)
        .map(|s| s.trim_end().to_owned())
        .map_err(|e| ApiError::Internal(format!("PEM encoding: {e}")))
}

fn pem_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(PEM_CHAIN));
    r
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}
