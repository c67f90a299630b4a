//! Telemetry of the whole process: `GET /metrics` in the Prometheus text format, and the
//! request middleware (request IDs in every log line of a request, latency by route).
//!
//! The library crates keep no global registry: each service counts in its own small metrics
//! struct (`RekorService::metrics`, `CtLog::metrics`, `CaService::metrics`, and the
//! ledgers' `Ledger::metrics`), and this module reads them all at scrape time through
//! [`Source`], so the only exporter is here. Metric names and labels are listed in
//! `docs/operations.md` ("Telemetry").

pub mod http;
mod sources;
pub mod text;

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{HeaderValue, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

pub use self::http::HttpMetrics;
pub use self::sources::{
    CaSource, CtSource, LedgerSource, RateLimitSource, RekorSource, ServeSource, TsaSource,
};
use self::text::Scrape;

/// Something whose counters go into a scrape. Reads must be cheap and never block on I/O:
/// a scrape must not queue behind the database.
pub trait Source: Send + Sync {
    /// Adds this source's samples.
    fn collect(&self, scrape: &mut Scrape);
}

/// Everything `/metrics` reads.
#[derive(Default)]
pub struct Telemetry {
    /// Request latencies, filled by [`http::track`].
    pub http: Arc<HttpMetrics>,
    sources: Vec<Box<dyn Source>>,
}

impl Telemetry {
    /// Adds a source to every later scrape.
    pub fn add(&mut self, source: impl Source + 'static) {
        self.sources.push(Box::new(source));
    }

    /// The exposition text of every source, then the HTTP latencies.
    pub fn render(&self) -> String {
        let mut scrape = Scrape::new();
        for source in &self.sources {
            source.collect(&mut scrape);
        }
        self.http.collect(&mut scrape);
        scrape.finish()
    }
}

/// `GET /metrics`.
pub async fn metrics(State(telemetry): State<Arc<Telemetry>>) -> Response {
    let mut response = telemetry.render().into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(text::CONTENT_TYPE));
    response
}
