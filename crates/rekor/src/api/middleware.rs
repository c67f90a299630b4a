//! What Rekor does around every handler: CORS open to any origin and no-cache headers on GET
//! responses of the API, around the shared request timeout and route-template carrying of
//! [`sigstack_http::route`].

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{
    HeaderName, HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD,
    CACHE_CONTROL, EXPIRES, ORIGIN, PRAGMA, VARY,
};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Rekor's no-cache header set on GET responses (clients ignore it; caches must not keep
/// answers whose proofs go stale).
const NO_CACHE: [(HeaderName, &str); 3] = [
    (
        CACHE_CONTROL,
        "no-cache, no-store, no-transform, must-revalidate, private, max-age=0",
    ),
    (EXPIRES, "Thu, 01 Jan 1970 00:00:00 GMT"),
    (PRAGMA, "no-cache"),
];

/// Rekor's answer to a request that ran out of time: 503 with `Retry-After`.
pub(crate) fn timed_out() -> Response {
    ApiError::Timeout.into_response()
}

/// Answers CORS preflights, bounds the handler's time, and adds Rekor's response headers.
pub(crate) async fn around(
    State(bound): State<sigstack_http::Bound>,
    request: Request,
    next: Next,
) -> Response {
    let has_origin = request.headers().contains_key(ORIGIN);
    if request.method() == Method::OPTIONS && has_origin {
        return preflight(&request);
    }
    // Rekor sends no-cache headers on every GET answer of its API routes, errors included,
    // but not on `/ping` or on unknown paths.
    let no_cache = request.method() == Method::GET
        && request.extensions().get::<MatchedPath>().is_some()
        && request.uri().path().starts_with("/api/");
    let mut response = sigstack_http::route::run_bounded(bound, request, next).await;
    let headers = response.headers_mut();
    headers.insert(VARY, HeaderValue::from_static("Origin"));
    if has_origin {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    }
    if no_cache {
        let headers = response.headers_mut();
        for (name, value) in NO_CACHE {
            headers.insert(name, HeaderValue::from_static(value));
        }
        headers.insert(
            HeaderName::from_static("x-accel-expires"),
            HeaderValue::from_static("0"),
        );
    }
    response
}

/// A CORS preflight: any origin, the method and headers asked for.
fn preflight(request: &Request) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    let asked = request.headers();
    if let Some(m) = asked.get(ACCESS_CONTROL_REQUEST_METHOD) {
        headers.insert(ACCESS_CONTROL_ALLOW_METHODS, m.clone());
    }
    if let Some(h) = asked.get(ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, h.clone());
    }
    response
}
