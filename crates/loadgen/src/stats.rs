//! Latency percentiles over recorded samples.

use std::time::Duration;

/// Latencies of successful requests plus counts of the others.
#[derive(Default)]
pub struct Samples {
    /// Latency of each successful request, in microseconds.
    pub latencies_us: Vec<u64>,
    /// Responses with an unexpected status.
    pub errors: u64,
    /// Requests that failed at the transport level.
    pub transport_errors: u64,
}

impl Samples {
    /// Merges another task's samples into these.
    pub fn merge(&mut self, other: Samples) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        self.transport_errors += other.transport_errors;
    }

    /// The `q`-quantile latency (0.0–1.0) of the successful requests; sorts in place.
    pub fn quantile(&mut self, q: f64) -> Duration {
        if self.latencies_us.is_empty() {
            return Duration::ZERO;
        }
        self.latencies_us.sort_unstable();
        let rank = ((self.latencies_us.len() as f64 - 1.0) * q).round() as usize;
        Duration::from_micros(self.latencies_us[rank])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_known_samples() {
        let mut s = Samples {
            latencies_us: (1..=100).rev().collect(),
            ..Samples::default()
        };
        assert_eq!(s.quantile(0.0), Duration::from_micros(1));
        assert_eq!(s.quantile(0.5), Duration::from_micros(51));
        assert_eq!(s.quantile(0.99), Duration::from_micros(99));
        assert_eq!(s.quantile(1.0), Duration::from_micros(100));
        assert_eq!(Samples::default().quantile(0.5), Duration::ZERO);
    }
}
