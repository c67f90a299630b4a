//! The one middleware around every request of the listener: a request ID (the client's
//! `X-Request-Id` if it is sane, else a fresh one; echoed in the response) in a tracing span
//! that every log line of the request carries, and the request's latency counted by route
//! template, method and status.
//!
//! The route is the template the serving router matched (`/api/v1/log/entries/{entryUUID}`),
//! never the raw path, so the number of series is bounded by the route table. The services'
//! routers sit behind a path dispatcher, so their match comes back as a `MatchedPath` in the
//! response's extensions (each service's middleware puts it there); this listener's own
//! routes (`/healthz`, `/readyz`, `/metrics`) have it on the request.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use ring::rand::{SecureRandom as _, SystemRandom};
use tracing::Instrument as _;

use super::text::{HistogramData, Scrape};

/// The request ID header, in and out.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied request ID we keep.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Route label of requests no router matched (unknown paths: their raw paths would be
/// unbounded).
pub const UNMATCHED: &str = "unmatched";

/// Upper bounds of the latency buckets, seconds: from a cached read to a slow batch.
const BOUNDS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Debug, Clone, Default)]
struct Series {
    counts: [u64; BOUNDS.len() + 1],
    sum: f64,
}

/// HTTP request latencies by (route, method, status).
#[derive(Debug, Default)]
pub struct HttpMetrics {
    series: Mutex<BTreeMap<(String, &'static str, u16), Series>>,
}

impl HttpMetrics {
    fn observe(&self, route: String, method: &'static str, status: u16, seconds: f64) {
        let mut map = self
            .series
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let series = map.entry((route, method, status)).or_default();
        let bucket = BOUNDS.partition_point(|b| *b < seconds);
        if let Some(c) = series.counts.get_mut(bucket) {
            *c += 1;
        }
        series.sum += seconds;
    }

    /// Adds `sigstack_http_request_duration_seconds` to `scrape`.
    pub fn collect(&self, scrape: &mut Scrape) {
        let map = self
            .series
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for ((route, method, status), series) in map.iter() {
            let status = status.to_string();
            scrape.histogram(
                "sigstack_http_request_duration_seconds",
                "Time from request to response headers, by matched route template, method and status.",
                &[("route", route), ("method", method), ("status", &status)],
                &HistogramData {
                    bounds: BOUNDS.to_vec(),
                    counts: series.counts.to_vec(),
                    sum: series.sum,
                },
            );
        }
    }
}

/// The middleware: see the module documentation.
pub async fn track(
    State(metrics): State<Arc<HttpMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane(v))
        .map_or_else(fresh_id, str::to_owned);
    let method = method_label(request.method());
    let outer_route = request.extensions().get::<MatchedPath>().cloned();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method,
        path = %request.uri().path()
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let route = outer_route
        .or_else(|| response.extensions().get::<MatchedPath>().cloned())
        .map_or_else(|| UNMATCHED.to_owned(), |m| route_label(m.as_str()));
    span.in_scope(|| {
        tracing::debug!(
            status,
            route,
            elapsed_ms = elapsed.as_secs_f64() * 1e3,
            "answered"
        );
    });
    metrics.observe(route, method, status, elapsed.as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// A client's request ID is kept only if it is short and made of token characters, so it
/// cannot forge log fields or response headers.
fn is_sane(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A process-unique ID: 64 random bits drawn once at start-up, then a counter, in hex. IDs
/// only have to tell requests apart (they are not secrets), and a system-RNG call per request
/// was a syscall on every request's path.
fn fresh_id() -> String {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        let mut bytes = [0u8; 8];
        if SystemRandom::new().fill(&mut bytes).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            bytes = (nanos as u64).to_be_bytes();
        }
        u64::from_be_bytes(bytes)
    });
    format!("{prefix:016x}{:016x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The methods we serve get their own label; anything else is `other` (bounded labels).
fn method_label(m: &Method) -> &'static str {
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

/// Rekor registers every route with and without a trailing slash; both are one route.
fn route_label(template: &str) -> String {
    match template.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed.to_owned(),
        _ => template.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_and_labels() {
        assert!(is_sane("abc-123_x.y:z"));
        assert!(!is_sane(""));
        assert!(!is_sane("a b"));
        assert!(!is_sane("a\"b"));
        assert!(!is_sane(&"a".repeat(129)));
        let id = fresh_id();
        assert_eq!(id.len(), 32);
        assert!(is_sane(&id));
        assert_ne!(fresh_id(), id);
        assert_eq!(route_label("/api/v1/log/entries/"), "/api/v1/log/entries");
        assert_eq!(route_label("/"), "/");
        assert_eq!(
            method_label(&Method::from_bytes(b"BREW").unwrap_or(Method::GET)),
            "other"
        );
    }

    #[test]
    fn latencies_fall_in_their_bucket() {
        let m = HttpMetrics::default();
        m.observe("/x".into(), "GET", 200, 0.003);
        m.observe("/x".into(), "GET", 200, 100.0);
        let mut s = Scrape::new();
        m.collect(&mut s);
        let text = s.finish();
        assert!(
            text.contains("route=\"/x\",method=\"GET\",status=\"200\",le=\"0.0025\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("route=\"/x\",method=\"GET\",status=\"200\",le=\"0.005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("route=\"/x\",method=\"GET\",status=\"200\",le=\"30\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("route=\"/x\",method=\"GET\",status=\"200\",le=\"+Inf\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("sigstack_http_request_duration_seconds_count{route=\"/x\",method=\"GET\",status=\"200\"} 2\n"), "{text}");
    }
}
