//! Serving discovery and JWKS over HTTP for tests of the CA's key fetching.
//!
//! The test binds its own listener (so it knows the URL before it builds the issuer), then
//! calls [`serve`]. The issuer is shared behind a lock so a test can rotate keys while the
//! server runs, and [`Hits`] counts requests per document so caching and refresh
//! rate-limiting can be asserted.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::{TestIssuer, DISCOVERY_PATH, JWKS_PATH};

/// The issuer as the server sees it: swap keys through the lock.
pub type SharedIssuer = Arc<RwLock<TestIssuer>>;

/// Request counters.
#[derive(Default, Debug)]
pub struct Hits {
    /// Requests for the discovery document.
    pub discovery: AtomicUsize,
    /// Requests for the JWKS.
    pub jwks: AtomicUsize,
}

impl Hits {
    /// `(discovery, jwks)` counts so far.
    pub fn get(&self) -> (usize, usize) {
        (
            self.discovery.load(Ordering::SeqCst),
            self.jwks.load(Ordering::SeqCst),
        )
    }
}

fn json_response(body: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// A router serving `GET /.well-known/openid-configuration` and `GET /jwks`.
pub fn router(issuer: SharedIssuer, hits: Arc<Hits>) -> Router {
    let (i1, h1) = (issuer.clone(), hits.clone());
    let (i2, h2) = (issuer, hits);
    Router::new()
        .route(
            DISCOVERY_PATH,
            get(move || async move {
                h1.discovery.fetch_add(1, Ordering::SeqCst);
                let body = i1.read().map(|i| i.discovery_document().to_string());
                body.map(json_response)
                    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
            }),
        )
        .route(
            JWKS_PATH,
            get(move || async move {
                h2.jwks.fetch_add(1, Ordering::SeqCst);
                let body = i2.read().map(|i| i.jwks().to_string());
                body.map(json_response)
                    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
            }),
        )
}

/// Serves `issuer` on `listener` in a background task; returns the request counters.
pub fn serve(listener: tokio::net::TcpListener, issuer: SharedIssuer) -> Arc<Hits> {
    let hits = Arc::new(Hits::default());
    let app = router(issuer, hits.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    hits
}
