//! The HTTP API, answering as timestamp-authority does: `POST /api/v1/timestamp` (DER or
//! JSON query → `application/timestamp-reply`), `GET /api/v1/timestamp/certchain` (PEM chain).
//! Every refusal is a 4xx with a JSON `{"code", "message"}` body, never a 5xx; the one place
//! errors become HTTP is [`error_response`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http_body_util::BodyExt as _;

use crate::{Authority, Request as TsRequest, TsaError, MAX_DER_REQUEST};

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    issued: AtomicU64,
    refused: [AtomicU64; REASONS.len()],
}

const REASONS: [&str; 8] = [
    "weak_hash",
    "digest_length",
    "malformed",
    "policy",
    "extension",
    "too_large",
    "media_type",
    "internal",
];

impl Metrics {
    /// Timestamps issued.
    pub fn issued(&self) -> u64 {
        self.issued.load(Ordering::Relaxed)
    }

    /// Requests refused, by reason (every reason listed, zeros included).
    pub fn refused(&self) -> Vec<(&'static str, u64)> {
        REASONS
            .iter()
            .zip(&self.refused)
            .map(|(r, n)| (*r, n.load(Ordering::Relaxed)))
            .collect()
    }

    fn refuse(&self, reason: &str) {
        if let Some(i) = REASONS.iter().position(|r| *r == reason) {
            if let Some(n) = self.refused.get(i) {
                n.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The TSA as the router's state.
#[derive(Debug)]
pub struct TsaService {
    authority: Authority,
    chain_pem: String,
    metrics: Metrics,
}

impl TsaService {
    /// Wraps `authority`; fails only if its chain cannot be written as PEM.
    pub fn new(authority: Authority) -> Result<Self, TsaError> {
        Ok(Self {
            chain_pem: authority.chain_pem()?,
            authority,
            metrics: Metrics::default(),
        })
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The authority.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }
}

/// The TSA's routes (everything under `/api/v1/timestamp`).
pub fn router(service: Arc<TsaService>) -> Router {
    Router::new()
        .route("/api/v1/timestamp", post(timestamp))
        .route("/api/v1/timestamp/", post(timestamp))
        .route("/api/v1/timestamp/certchain", get(certchain))
        .fallback(not_found)
        .with_state(service)
}

#[derive(Clone, Copy)]
enum Form {
    Der,
    Json,
}

/// The request form from Content-Type: the media type, parameters ignored. Not
/// `application/…` at all is 415; another `application/` type is 400 (as the reference TSA).
fn form(headers: &HeaderMap) -> Result<Form, TsaError> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/timestamp-query" => Ok(Form::Der),
        "application/json" => Ok(Form::Json),
        m if m.starts_with("application/") => Err(TsaError::BadRequest(format!(
            "unsupported content type {m}"
        ))),
        _ => Err(TsaError::MediaType),
    }
}

async fn timestamp(State(service): State<Arc<TsaService>>, request: Request) -> Response {
    match answer(&service, request).await {
        Ok(der) => {
            service.metrics.issued.fetch_add(1, Ordering::Relaxed);
            let mut response = (
                StatusCode::OK,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/timestamp-reply"),
                )],
                der,
            )
                .into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(
                    "no-cache, no-store, no-transform, must-revalidate, private, max-age=0",
                ),
            );
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            headers.insert(
                header::EXPIRES,
                HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 UTC"),
            );
            response
        }
        Err(e) => {
            service.metrics.refuse(e.reason());
            error_response(&e)
        }
    }
}

async fn answer(service: &TsaService, request: Request) -> Result<Vec<u8>, TsaError> {
    let form = form(request.headers())?;
    let limit = match form {
        Form::Der => MAX_DER_REQUEST,
        Form::Json => crate::MAX_JSON_REQUEST,
    };
    let body = read_limited(request.into_body(), limit).await?;
    if body.is_empty() {
        return Err(TsaError::BadRequest("empty request body".into()));
    }
    let checked = match form {
        Form::Der => TsRequest::from_der(&body)?,
        Form::Json => TsRequest::from_json(&body)?,
    };
    service.authority.timestamp(&checked, SystemTime::now())
}

/// The body, refused as too large as soon as it passes `limit` (never buffered beyond it).
async fn read_limited(body: Body, limit: usize) -> Result<Bytes, TsaError> {
    let limited = http_body_util::Limited::new(body, limit);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(TsaError::TooLarge),
        Err(e) => Err(TsaError::BadRequest(format!("reading the body: {e}"))),
    }
}

async fn certchain(State(service): State<Arc<TsaService>>) -> Response {
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pem-certificate-chain"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=86400, immutable"),
            ),
        ],
        service.chain_pem.clone(),
    )
        .into_response()
}

async fn not_found() -> Response {
    json_error(StatusCode::NOT_FOUND, "path not found")
}

/// The one place a [`TsaError`] becomes HTTP. Internal details are logged, not sent.
pub fn error_response(e: &TsaError) -> Response {
    match e {
        TsaError::Internal(detail) | TsaError::Material(detail) => {
            tracing::error!(detail = %detail, "timestamp signing failed");
        }
        TsaError::BadRequest(detail) => tracing::debug!(detail = %detail, "timestamp refused"),
        _ => {}
    }
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    json_error(status, &e.to_string())
}

fn json_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "code": status.as_u16(), "message": message });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{body}\n"),
    )
        .into_response()
}
