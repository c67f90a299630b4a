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
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use sigstack_http::request_id::{self, REQUEST_ID};
use sigstack_http::route::{method_label, route_label};
use tracing::Instrument as _;

use super::text::{HistogramData, Scrape};

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
    let id = request_id::of(request.headers());
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
    let route = route_label(outer_route.as_ref(), &response);
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

#[cfg(test)]
mod tests {
    use super::*;

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
