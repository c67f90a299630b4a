//! The Fulcio-compatible REST API over a [`CaService`], served with axum.
//!
//! The bar: cosign 2.5 (`/api/v1/signingCert`), sigstore-go, sigstore-python and sigstore-js
//! (`/api/v2/signingCert`) get certificates from [`router`] exactly as from Fulcio, so
//! statuses, content types and body shapes follow the Fulcio 1.6.5 captures in
//! `tests/vectors/golden/fulcio-1.6.5/` — except that certificates always carry an embedded
//! SCT (`signedCertificateEmbeddedSct`), the only mode every verifier accepts.
//!
//! Layout: `request` decodes bodies with protojson's leniency, `handlers` answers, `error`
//! is the one place failures become responses, `middleware` adds CORS and path cleaning
//! around the shared request timeout of `sigstack-http` (which also reads bodies under the limit).
//! The API serves at the URL root: sigstore-python drops any path prefix of the CA URL.
//!
//! Wiring, in a binary:
//! `let svc = Arc::new(CaService::new(verifier, ca, sct_source, Arc::new(SystemTime::now)));`
//! then `axum::serve(listener, router(svc))` — or merge the router with the log's, since the
//! paths don't overlap.

mod error;
mod handlers;
mod middleware;
mod request;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::routing::{get, post, MethodRouter};
use axum::Router;

pub use error::{request_status, ApiError};
use sigstack_http::ratelimit::KeyedLimiter;

/// The CA's answer to a client over a rate limit (429 with `Retry-After`, Fulcio's error
/// shape), for a server that applies per-address limits in front of [`router`].
pub fn rate_limited(retry_after: Duration) -> axum::response::Response {
    axum::response::IntoResponse::into_response(ApiError::Issue(
        crate::issuer::IssueError::Throttled { retry_after },
    ))
}

use crate::issuer::CaService;

/// Largest request body accepted by default. A `signingCert` request is a key or CSR plus a
/// token, a few kilobytes; Fulcio allows 4 MiB, no client comes near 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

/// Longest a request may take by default before it is answered 503 (sigstore-go's client
/// gives up after 30 s).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// HTTP-level limits of the API.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Larger bodies get 413 before anything is parsed.
    pub max_body_bytes: usize,
    /// Slower requests get 503 with `Retry-After`.
    pub request_timeout: Duration,
    /// Certificate requests per OIDC identity (issuer and subject of the verified token),
    /// checked after the token and before anything is signed; over it, 429 with
    /// `Retry-After`. `None`: no limit.
    pub identity_limit: Option<Arc<KeyedLimiter<String>>>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            identity_limit: None,
        }
    }
}

/// What the handlers share.
pub(crate) struct AppState {
    service: Arc<CaService>,
    options: HttpOptions,
}

type Methods = MethodRouter<Arc<AppState>>;

/// The Fulcio API over `service` with the default [`HttpOptions`].
pub fn router(service: Arc<CaService>) -> Router {
    router_with(service, HttpOptions::default())
}

/// The Fulcio API over `service`:
/// `POST /api/v1/signingCert` (201, PEM chain), `POST /api/v2/signingCert` (200, JSON),
/// `GET /api/v2/trustBundle`, `GET /api/v2/configuration`, `GET /api/v1/rootCert`,
/// `GET /healthz`. Unknown paths get 404, wrong methods 405 with `Allow`, both in Fulcio's
/// JSON error shape.
pub fn router_with(service: Arc<CaService>, options: HttpOptions) -> Router {
    let request_timeout = options.request_timeout;
    let state = Arc::new(AppState { service, options });
    let routes: [(&str, &'static str, Methods); 6] = [
        (
            "/api/v1/signingCert",
            "POST",
            post(handlers::signing_cert_v1),
        ),
        (
            "/api/v2/signingCert",
            "POST",
            post(handlers::signing_cert_v2),
        ),
        ("/api/v2/trustBundle", "GET", get(handlers::trust_bundle)),
        ("/api/v2/configuration", "GET", get(handlers::configuration)),
        ("/api/v1/rootCert", "GET", get(handlers::root_cert)),
        ("/healthz", "GET", get(handlers::healthz)),
    ];
    let mut inner = Router::new();
    for (path, allowed, methods) in routes {
        inner = inner.route(
            path,
            methods.fallback(move || async move { ApiError::MethodNotAllowed { allowed } }),
        );
    }
    let inner = inner
        .fallback(|| async { ApiError::NotFound })
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            sigstack_http::Bound {
                timeout: request_timeout,
                on_timeout: middleware::timed_out,
            },
            middleware::around,
        ));
    // Path cleaning must happen before routing, so it wraps the whole inner router.
    Router::new().fallback_service(tower::ServiceExt::map_request(
        inner,
        middleware::clean_path as fn(Request) -> Request,
    ))
}
