//! What runs around every request: duplicate-slash cleaning (sigstore-go concatenates a base
//! URL ending in `/` with `/api/v2/…`) and Fulcio's permissive CORS (`Vary: Origin`, any
//! origin allowed), around the shared request timeout and route-template carrying of
//! [`sigstack_http::route`].

use axum::extract::{Request, State};
use axum::http::header::{
    HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD,
    ORIGIN, VARY,
};
use axum::http::uri::{PathAndQuery, Uri};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The CA's answer to a request that ran out of time: 503 with `Retry-After`.
pub(crate) fn timed_out() -> Response {
    ApiError::Timeout.into_response()
}

/// Collapses runs of `/` in the path, before routing.
pub(crate) fn clean_path(mut request: Request) -> Request {
    let uri = request.uri();
    if !uri.path().contains("//") {
        return request;
    }
    let mut path = String::with_capacity(uri.path().len());
    for c in uri.path().chars() {
        if !(c == '/' && path.ends_with('/')) {
            path.push(c);
        }
    }
    if let Some(q) = uri.query() {
        path.push('?');
        path.push_str(q);
    }
    let mut parts = uri.clone().into_parts();
    if let Ok(pq) = PathAndQuery::try_from(path) {
        parts.path_and_query = Some(pq);
        if let Ok(cleaned) = Uri::from_parts(parts) {
            *request.uri_mut() = cleaned;
        }
    }
    request
}

/// Answers CORS preflights, bounds the handler's time, and adds the CORS response headers.
pub(crate) async fn around(
    State(bound): State<sigstack_http::Bound>,
    request: Request,
    next: Next,
) -> Response {
    let has_origin = request.headers().contains_key(ORIGIN);
    if request.method() == Method::OPTIONS && has_origin {
        return preflight(&request);
    }
    let mut response = sigstack_http::route::run_bounded(bound, request, next).await;
    let headers = response.headers_mut();
    headers.insert(VARY, HeaderValue::from_static("Origin"));
    if has_origin {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    }
    response
}

/// A CORS preflight: any origin, the method and headers asked for.
fn preflight(request: &Request) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(VARY, HeaderValue::from_static("Origin"));
    let asked = request.headers();
    if let Some(m) = asked.get(ACCESS_CONTROL_REQUEST_METHOD) {
        headers.insert(ACCESS_CONTROL_ALLOW_METHODS, m.clone());
    }
    if let Some(h) = asked.get(ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, h.clone());
    }
    response
}
