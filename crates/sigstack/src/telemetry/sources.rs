//! Adapters from each service's own metrics to scrape samples. Label values are the fixed
//! sets the services count by (entry kinds, outcomes, rejection reasons) or configured names
//! (issuers), never anything a client chose.

use std::sync::Arc;

use sigstack_ct::log::CtLog;
use sigstack_fulcio::CaService;
use sigstack_ledger::metrics::HistogramSnapshot;
use sigstack_ledger::store::Store;
use sigstack_ledger::Ledger;
use sigstack_rekor::api::RekorService;

use super::text::{HistogramData, Scrape};
use super::Source;

const LOG_ENTRIES: &str = "sigstack_log_entries_total";
const LOG_ENTRIES_HELP: &str =
    "Log submissions by entry kind and result (created, duplicate, rejected, unavailable).";
const PROOF_FAILURES: &str = "sigstack_proof_self_check_failures_total";
const PROOF_FAILURES_HELP: &str =
    "Inclusion proofs that failed verification against the checkpoint they were served with (never handed out). Must stay 0.";

/// One ledger (a tree), labelled `log="rekor"` or `log="ct"`.
pub struct LedgerSource<S: Store> {
    /// The label.
    pub log: &'static str,
    /// The ledger.
    pub ledger: Ledger<S>,
}

impl<S: Store> Source for LedgerSource<S> {
    fn collect(&self, scrape: &mut Scrape) {
        let m = self.ledger.metrics();
        let log = [("log", self.log)];
        // Only the writer knows its size without a database read; a standby's is absent.
        if let Some(size) = m.tree_size {
            scrape.gauge(
                "sigstack_tree_size",
                "Entries in the log's tree as last committed by this process (writer only).",
                &log,
                size as f64,
            );
        }
        scrape.gauge(
            "sigstack_ledger_is_writer",
            "1 when this process holds the log's writer lease, 0 on a standby.",
            &log,
            if m.is_writer { 1.0 } else { 0.0 },
        );
        scrape.gauge(
            "sigstack_sequencer_queue_depth",
            "Submissions waiting for the sequencer.",
            &log,
            m.queue_depth as f64,
        );
        for (result, n) in [
            ("committed", m.batches_committed),
            ("failed", m.batches_failed),
        ] {
            scrape.counter(
                "sigstack_sequencer_batches_total",
                "Sequencer batches by result; a failed batch acknowledged nobody.",
                &[("log", self.log), ("result", result)],
                n,
            );
        }
        scrape.counter(
            PROOF_FAILURES,
            PROOF_FAILURES_HELP,
            &log,
            m.proof_check_failures,
        );
        scrape.histogram(
            "sigstack_sequencer_batch_size",
            "Entries per committed sequencer batch.",
            &log,
            &histogram(&m.batch_sizes, 1.0),
        );
        scrape.counter(
            "sigstack_ledger_tiles_warmed_total",
            "Full hash tiles loaded into the tile cache by the start-up warming.",
            &log,
            m.tiles_warmed,
        );
        scrape.histogram(
            "sigstack_ledger_point_read_batch_size",
            "Single-entry reads answered by each database query (concurrent reads share one).",
            &log,
            &histogram(&m.point_read_batches, 1.0),
        );
        scrape.histogram(
            "sigstack_sequencer_integration_duration_seconds",
            "Duration of each batch's store transaction (entries, tiles, tree state, checkpoint).",
            &log,
            &histogram(&m.integrate_micros, 1e6),
        );
    }
}

/// The ledger's histogram in Prometheus units (`per_unit` 1e6 turns microseconds into
/// seconds; dividing, not multiplying by 1e-6, keeps `0.05` from printing as
/// `0.049999999999999996`). The ledger's buckets have the same shape (per bucket, overflow
/// last), so this is exact.
fn histogram(h: &HistogramSnapshot, per_unit: f64) -> HistogramData {
    HistogramData {
        bounds: h.bounds.iter().map(|b| *b as f64 / per_unit).collect(),
        counts: h.counts.clone(),
        sum: h.sum as f64 / per_unit,
    }
}

/// The Rekor API's entry and proof counters.
pub struct RekorSource<S: Store>(pub Arc<RekorService<S>>);

impl<S: Store> Source for RekorSource<S> {
    fn collect(&self, scrape: &mut Scrape) {
        let m = self.0.metrics();
        for (kind, outcome, n) in m.entries() {
            scrape.counter(
                LOG_ENTRIES,
                LOG_ENTRIES_HELP,
                &[("kind", kind), ("result", outcome.as_str())],
                n,
            );
        }
        scrape.counter(
            PROOF_FAILURES,
            PROOF_FAILURES_HELP,
            &[("log", "rekor")],
            m.proof_check_failures(),
        );
        let v = m.verification();
        for (result, n) in [
            ("admitted", v.admitted()),
            ("rejected", v.rejected()),
            ("abandoned", v.abandoned()),
        ] {
            scrape.counter(
                "sigstack_rekor_verifications_total",
                "Rekor verification pool jobs: admitted, rejected (pool full, 503) and abandoned (client gone or deadline passed; admitted too).",
                &[("result", result)],
                n,
            );
        }
    }
}

/// The CT log's entry and proof counters.
pub struct CtSource<S: Store>(pub Arc<CtLog<S>>);

impl<S: Store> Source for CtSource<S> {
    fn collect(&self, scrape: &mut Scrape) {
        let m = self.0.metrics();
        for (kind, outcome, n) in m.entries() {
            scrape.counter(
                LOG_ENTRIES,
                LOG_ENTRIES_HELP,
                &[("kind", kind), ("result", outcome.as_str())],
                n,
            );
        }
        scrape.counter(
            PROOF_FAILURES,
            PROOF_FAILURES_HELP,
            &[("log", "ct")],
            m.proof_check_failures(),
        );
    }
}

/// The CA's certificate and token counters.
pub struct CaSource(pub Arc<CaService>);

impl Source for CaSource {
    fn collect(&self, scrape: &mut Scrape) {
        let m = self.0.metrics();
        for (issuer, result, n) in m.certificates() {
            scrape.counter(
                "sigstack_ca_certificates_total",
                "Certificate requests that reached issuance, by configured issuer (or unknown) and result (issued, rejected, unavailable, error).",
                &[("issuer", &issuer), ("result", result.as_str())],
                n,
            );
        }
        for (reason, n) in m.token_rejections() {
            scrape.counter(
                "sigstack_ca_token_rejections_total",
                "Identity tokens refused, by reason.",
                &[("reason", reason)],
                n,
            );
        }
    }
}

/// One listener's connection counters (`listener="public"` or `"metrics"`).
pub struct ServeSource {
    /// The label.
    pub listener: &'static str,
    /// What its serve loop counts.
    pub stats: Arc<sigstack_http::ServeStats>,
}

impl Source for ServeSource {
    fn collect(&self, scrape: &mut Scrape) {
        use std::sync::atomic::Ordering::Relaxed;
        let s = &self.stats;
        let listener = [("listener", self.listener)];
        scrape.counter(
            "sigstack_http_connections_accepted_total",
            "Connections accepted.",
            &listener,
            s.accepted.load(Relaxed),
        );
        scrape.gauge(
            "sigstack_http_connections_open",
            "Connections open now.",
            &listener,
            s.open.load(Relaxed) as f64,
        );
        for (reason, n) in [
            ("header_timeout", s.header_timeouts.load(Relaxed)),
            ("idle", s.idle_closed.load(Relaxed)),
        ] {
            scrape.counter(
                "sigstack_http_connections_closed_total",
                "Connections the server closed: a request head that did not arrive within server.header_read_timeout_secs, or idle past server.idle_timeout_secs.",
                &[("listener", self.listener), ("reason", reason)],
                n,
            );
        }
        scrape.counter(
            "sigstack_http_accept_paused_total",
            "Times the listener stopped accepting because server.max_connections were open.",
            &listener,
            s.at_capacity.load(Relaxed),
        );
    }
}

/// Requests refused by each rate limit, by scope (`ca_address`, `ca_identity`,
/// `log_write_address`, `ct_write_address`).
#[derive(Default)]
pub struct RateLimitSource {
    scopes: Vec<(&'static str, LimitedCount)>,
}

/// Reads one limit's refusal counter.
type LimitedCount = Box<dyn Fn() -> u64 + Send + Sync>;

impl RateLimitSource {
    /// Counts `scope` by reading `limited`.
    pub fn add(&mut self, scope: &'static str, limited: impl Fn() -> u64 + Send + Sync + 'static) {
        self.scopes.push((scope, Box::new(limited)));
    }
}

impl Source for RateLimitSource {
    fn collect(&self, scrape: &mut Scrape) {
        for (scope, limited) in &self.scopes {
            scrape.counter(
                "sigstack_rate_limited_total",
                "Requests answered 429 by a rate limit ([limits]), by scope.",
                &[("scope", scope)],
                limited(),
            );
        }
    }
}

/// The timestamp authority's counters.
pub struct TsaSource(pub Arc<sigstack_tsa::server::TsaService>);

impl Source for TsaSource {
    fn collect(&self, scrape: &mut Scrape) {
        let m = self.0.metrics();
        scrape.counter(
            "sigstack_tsa_timestamps_issued_total",
            "RFC 3161 timestamps issued.",
            &[],
            m.issued(),
        );
        for (reason, n) in m.refused() {
            scrape.counter(
                "sigstack_tsa_timestamps_refused_total",
                "RFC 3161 timestamp requests refused, by reason.",
                &[("reason", reason)],
                n,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_latencies_become_round_seconds() {
        let snapshot = HistogramSnapshot {
            bounds: sigstack_ledger::metrics::LATENCY_BOUNDS_MICROS,
            counts: vec![0; sigstack_ledger::metrics::LATENCY_BOUNDS_MICROS.len() + 1],
            sum: 1_500_000,
            count: 0,
        };
        let h = histogram(&snapshot, 1e6);
        let mut scrape = Scrape::new();
        scrape.histogram("x", "x", &[], &h);
        let text = scrape.finish();
        for le in ["0.0005", "0.05", "0.1", "2.5", "10"] {
            assert!(
                text.contains(&format!("x_bucket{{le=\"{le}\"}} 0\n")),
                "{text}"
            );
        }
        assert!(text.contains("x_sum 1.5\n"), "{text}");
    }
}
