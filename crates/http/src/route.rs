//! What runs around every handler of every service: a request timeout answered in the
//! service's own words, and the matched route template copied into the response's
//! extensions, so the embedding server labels its metrics by route (never by raw path, which
//! is unbounded) even when the service's router sits behind a path dispatcher.

use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// Route label of requests no router matched (unknown paths: their raw paths would be
/// unbounded).
pub const UNMATCHED: &str = "unmatched";

/// The state of [`bounded`]: how long a handler may take, and the service's answer when it
/// takes longer (each service has its own error shape; all answer 503 with `Retry-After`).
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    /// Longest a handler may run.
    pub timeout: Duration,
    /// The response when it runs longer.
    pub on_timeout: fn() -> Response,
}

/// Middleware (`axum::middleware::from_fn_with_state(bound, bounded)`): runs the handler
/// under [`Bound::timeout`] and carries the matched route out. A cancelled handler's work
/// may still have happened (an entry logged); the client's retry then finds it.
pub async fn bounded(State(bound): State<Bound>, request: Request, next: Next) -> Response {
    run_bounded(bound, request, next).await
}

/// [`bounded`] for a service's own middleware that does more around it (CORS, cache headers).
pub async fn run_bounded(bound: Bound, request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let mut response = match tokio::time::timeout(bound.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (bound.on_timeout)(),
    };
    if let Some(matched) = matched {
        response.extensions_mut().insert(matched);
    }
    response
}

/// The route label of a response: the template a router matched (the outer one first, then
/// one a service carried out), without a trailing slash, else [`UNMATCHED`].
pub fn route_label(outer: Option<&MatchedPath>, response: &Response) -> String {
    outer
        .or_else(|| response.extensions().get::<MatchedPath>())
        .map_or_else(|| UNMATCHED.to_owned(), |m| trim_template(m.as_str()))
}

/// Rekor registers every route with and without a trailing slash; both are one route.
fn trim_template(template: &str) -> String {
    match template.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed.to_owned(),
        _ => template.to_owned(),
    }
}

/// The methods we serve get their own label; anything else is `other` (bounded labels).
pub fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(trim_template("/api/v1/log/entries/"), "/api/v1/log/entries");
        assert_eq!(trim_template("/"), "/");
        assert_eq!(
            method_label(&Method::from_bytes(b"BREW").unwrap_or(Method::GET)),
            "other"
        );
        let response = Response::new(axum::body::Body::empty());
        assert_eq!(route_label(None, &response), UNMATCHED);
    }
}
