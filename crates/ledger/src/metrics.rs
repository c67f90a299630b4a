//! Counters and histograms the sequencer and readers keep, read as one snapshot.
//!
//! Plain atomics: the service decides how to export them (Prometheus text, logs).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Upper bounds of the batch-size buckets (entries per committed batch).
pub const BATCH_SIZE_BOUNDS: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

/// Upper bounds of the latency buckets, in microseconds.
pub const LATENCY_BOUNDS_MICROS: &[u64] = &[
    500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    2_500_000, 10_000_000,
];

/// A cumulative-free histogram: `counts[i]` observations fell at or below `bounds[i]` and
/// above `bounds[i-1]`; the last count is for values above every bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistogramSnapshot {
    /// Bucket upper bounds.
    pub bounds: &'static [u64],
    /// One count per bound, plus the overflow bucket.
    pub counts: Vec<u64>,
    /// Sum of every observed value.
    pub sum: u64,
    /// Number of observations.
    pub count: u64,
}

#[derive(Debug)]
pub(crate) struct Histogram {
    bounds: &'static [u64],
    counts: Vec<AtomicU64>,
    sum: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [u64]) -> Self {
        Self {
            bounds,
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub(crate) fn observe(&self, value: u64) {
        let bucket = self.bounds.partition_point(|b| *b < value);
        if let Some(c) = self.counts.get(bucket) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        self.sum.fetch_add(value, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot {
            bounds: self.bounds,
            counts: self
                .counts
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect(),
            sum: self.sum.load(Ordering::Relaxed),
            count: self.count.load(Ordering::Relaxed),
        }
    }
}

/// The live metrics of one ledger.
#[derive(Debug)]
pub(crate) struct Metrics {
    pub(crate) batches_committed: AtomicU64,
    pub(crate) batches_failed: AtomicU64,
    pub(crate) entries_committed: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) overloaded: AtomicU64,
    pub(crate) proof_check_failures: AtomicU64,
    pub(crate) resyncs: AtomicU64,
    pub(crate) takeovers: AtomicU64,
    pub(crate) step_downs: AtomicU64,
    pub(crate) tiles_warmed: AtomicU64,
    pub(crate) batch_sizes: Histogram,
    pub(crate) integrate_micros: Histogram,
    pub(crate) submit_micros: Histogram,
    pub(crate) point_read_batches: Arc<Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            batches_committed: AtomicU64::new(0),
            batches_failed: AtomicU64::new(0),
            entries_committed: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            overloaded: AtomicU64::new(0),
            proof_check_failures: AtomicU64::new(0),
            resyncs: AtomicU64::new(0),
            takeovers: AtomicU64::new(0),
            step_downs: AtomicU64::new(0),
            tiles_warmed: AtomicU64::new(0),
            batch_sizes: Histogram::new(BATCH_SIZE_BOUNDS),
            integrate_micros: Histogram::new(LATENCY_BOUNDS_MICROS),
            submit_micros: Histogram::new(LATENCY_BOUNDS_MICROS),
            point_read_batches: Arc::new(Histogram::new(BATCH_SIZE_BOUNDS)),
        }
    }
}

impl Metrics {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(
        &self,
        is_writer: bool,
        tree_size: Option<u64>,
        queue_depth: u64,
    ) -> MetricsSnapshot {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        MetricsSnapshot {
            is_writer,
            tree_size,
            queue_depth,
            batches_committed: load(&self.batches_committed),
            batches_failed: load(&self.batches_failed),
            entries_committed: load(&self.entries_committed),
            duplicates: load(&self.duplicates),
            overloaded: load(&self.overloaded),
            proof_check_failures: load(&self.proof_check_failures),
            resyncs: load(&self.resyncs),
            takeovers: load(&self.takeovers),
            step_downs: load(&self.step_downs),
            tiles_warmed: load(&self.tiles_warmed),
            batch_sizes: self.batch_sizes.snapshot(),
            integrate_micros: self.integrate_micros.snapshot(),
            submit_micros: self.submit_micros.snapshot(),
            point_read_batches: self.point_read_batches.snapshot(),
        }
    }
}

/// A point-in-time copy of a ledger's metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Whether this process currently holds the writer lease.
    pub is_writer: bool,
    /// The tree size the writer last committed (`None` on a standby).
    pub tree_size: Option<u64>,
    /// Submissions waiting for the sequencer right now (a gauge; `Overloaded` at capacity).
    pub queue_depth: u64,
    /// Batches committed (the initial empty batch included).
    pub batches_committed: u64,
    /// Batches whose integration failed (nobody in them was acknowledged).
    pub batches_failed: u64,
    /// Entries committed.
    pub entries_committed: u64,
    /// Submissions answered `Duplicate` (found in the store or earlier in their batch).
    pub duplicates: u64,
    /// Submissions refused because the queue was full.
    pub overloaded: u64,
    /// Inclusion proofs that failed their self-check before being returned. Must stay 0.
    pub proof_check_failures: u64,
    /// Times the sequencer rebuilt its right edge from the store after a failed batch.
    pub resyncs: u64,
    /// Times a standby took the writer lease over.
    pub takeovers: u64,
    /// Times the writer stepped down: its lease was lost or another writer fenced it.
    pub step_downs: u64,
    /// Full tiles the start-up warming loaded into the tile cache.
    pub tiles_warmed: u64,
    /// Entries per committed batch.
    pub batch_sizes: HistogramSnapshot,
    /// Duration of each `Store::integrate` call, microseconds.
    pub integrate_micros: HistogramSnapshot,
    /// Time from `submit` to its answer (accepted entries only), microseconds.
    pub submit_micros: HistogramSnapshot,
    /// Single-entry reads answered per store query (see `point_reads`): how much the
    /// coalescing saves under the current read load.
    pub point_read_batches: HistogramSnapshot,
}

/// What became of one submission, as the service in front of the ledger saw it. Services
/// (Rekor, the CT log) count their writes with these; the binary exports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryOutcome {
    /// Integrated, answered with a fresh entry.
    Created,
    /// Already in the log; answered with (or pointed at) the logged entry.
    Duplicate,
    /// Refused for something the client sent (a 4xx).
    Rejected,
    /// Not acknowledged for a server-side reason: overload, standby, failed batch (a 5xx).
    Unavailable,
}

impl EntryOutcome {
    /// Every outcome, in label order.
    pub const ALL: [EntryOutcome; 4] = [
        EntryOutcome::Created,
        EntryOutcome::Duplicate,
        EntryOutcome::Rejected,
        EntryOutcome::Unavailable,
    ];

    /// The metric label value.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryOutcome::Created => "created",
            EntryOutcome::Duplicate => "duplicate",
            EntryOutcome::Rejected => "rejected",
            EntryOutcome::Unavailable => "unavailable",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// One counter per [`EntryOutcome`]: lock-free, so counting never slows a write down.
#[derive(Debug, Default)]
pub struct OutcomeCounters([AtomicU64; 4]);

impl OutcomeCounters {
    /// Counts one submission with `outcome`.
    pub fn record(&self, outcome: EntryOutcome) {
        if let Some(c) = self.0.get(outcome.slot()) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many submissions ended with `outcome` so far.
    pub fn get(&self, outcome: EntryOutcome) -> u64 {
        self.0
            .get(outcome.slot())
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }
}
