//! The Prometheus text exposition format, version 0.0.4: our own small encoder, so the
//! binary needs no metrics framework for a format this simple.
//!
//! One scrape is built in a [`Scrape`]: samples are grouped into families by metric name
//! (each family gets one `# HELP` and one `# TYPE` line, wherever its samples came from), a
//! counter sample added twice with the same labels is summed (two sources may count the same
//! thing, e.g. the ledger's and the API's proof self-check failures), and families are
//! written in the order they first appeared.

use std::fmt::Write as _;

/// The content type of [`Scrape::finish`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metric family's type, as `# TYPE` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (until the process restarts).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Cumulative buckets, sum and count.
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Histogram data with *per-bucket* (not cumulative) counts: `counts[i]` observations fell
/// in `(bounds[i-1], bounds[i]]`, and one more count at the end is above every bound. The
/// encoder makes the buckets cumulative, as the format requires. The count is the total of
/// `counts`, so `+Inf` and `_count` always agree even if the counts were read while
/// observations were landing.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramData {
    /// Bucket upper bounds, ascending.
    pub bounds: Vec<f64>,
    /// `bounds.len() + 1` counts.
    pub counts: Vec<u64>,
    /// Sum of the observed values.
    pub sum: f64,
}

struct Family {
    name: String,
    help: String,
    kind: Kind,
    /// (rendered label set, value) for counters and gauges.
    samples: Vec<(String, f64)>,
    /// Rendered lines of histograms, already complete.
    lines: String,
}

/// The metrics of one scrape, being gathered.
#[derive(Default)]
pub struct Scrape {
    families: Vec<Family>,
}

impl Scrape {
    /// An empty scrape.
    pub fn new() -> Self {
        Self::default()
    }

    fn family(&mut self, name: &str, help: &str, kind: Kind) -> &mut Family {
        let at = match self.families.iter().position(|f| f.name == name) {
            Some(at) => at,
            None => {
                self.families.push(Family {
                    name: name.to_owned(),
                    help: help.to_owned(),
                    kind,
                    samples: Vec::new(),
                    lines: String::new(),
                });
                self.families.len() - 1
            }
        };
        &mut self.families[at]
    }

    /// Adds `value` to the counter `name{labels}` (summing with an earlier sample of the
    /// same labels).
    pub fn counter(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: u64) {
        let rendered = render_labels(labels, None);
        let family = self.family(name, help, Kind::Counter);
        match family.samples.iter_mut().find(|(l, _)| *l == rendered) {
            Some((_, v)) => *v += value as f64,
            None => family.samples.push((rendered, value as f64)),
        }
    }

    /// Sets the gauge `name{labels}` (a later sample of the same labels replaces it).
    pub fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        let rendered = render_labels(labels, None);
        let family = self.family(name, help, Kind::Gauge);
        match family.samples.iter_mut().find(|(l, _)| *l == rendered) {
            Some((_, v)) => *v = value,
            None => family.samples.push((rendered, value)),
        }
    }

    /// Adds the histogram `name{labels}`: `name_bucket{…,le=…}` for each bound and `+Inf`,
    /// then `name_sum` and `name_count`.
    pub fn histogram(
        &mut self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        h: &HistogramData,
    ) {
        let family = self.family(name, help, Kind::Histogram);
        let mut cumulative = 0u64;
        for (i, bound) in h.bounds.iter().enumerate() {
            cumulative += h.counts.get(i).copied().unwrap_or(0);
            let le = format_value(*bound);
            let _ = writeln!(
                family.lines,
                "{name}_bucket{} {cumulative}",
                render_labels(labels, Some(&le))
            );
        }
        let total: u64 = h.counts.iter().sum();
        let _ = writeln!(
            family.lines,
            "{name}_bucket{} {total}",
            render_labels(labels, Some("+Inf")),
        );
        let plain = render_labels(labels, None);
        let _ = writeln!(family.lines, "{name}_sum{plain} {}", format_value(h.sum));
        let _ = writeln!(family.lines, "{name}_count{plain} {total}");
    }

    /// The exposition text.
    pub fn finish(self) -> String {
        let mut out = String::new();
        for f in self.families {
            let _ = writeln!(out, "# HELP {} {}", f.name, escape_help(&f.help));
            let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind.as_str());
            for (labels, value) in &f.samples {
                let _ = writeln!(out, "{}{labels} {}", f.name, format_value(*value));
            }
            out.push_str(&f.lines);
        }
        out
    }
}

/// `{a="x",b="y"}` (with `le` last if given), or nothing for no labels.
fn render_labels(labels: &[(&str, &str)], le: Option<&str>) -> String {
    if labels.is_empty() && le.is_none() {
        return String::new();
    }
    let mut out = String::from("{");
    let all = labels.iter().copied().chain(le.map(|le| ("le", le)));
    for (i, (name, value)) in all.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        out.push_str(&escape_label_value(value));
        out.push('"');
    }
    out.push('}');
    out
}

/// Label values escape backslash, double quote and line feed.
fn escape_label_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// `# HELP` text escapes backslash and line feed (not quotes).
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Integers without a fraction, everything else as Rust's shortest round-trip form; the
/// special values as the format spells them.
fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_gauges_with_escaped_labels() {
        let mut s = Scrape::new();
        s.counter("a_total", "Things.\nMore", &[("x", "q\"\\\n")], 2);
        s.gauge("g", "A gauge", &[], 1.5);
        s.counter("a_total", "ignored", &[("x", "q\"\\\n")], 3);
        s.counter("a_total", "ignored", &[("x", "other")], 0);
        assert_eq!(
            s.finish(),
            "# HELP a_total Things.\\nMore\n\
             # TYPE a_total counter\n\
             a_total{x=\"q\\\"\\\\\\n\"} 5\n\
             a_total{x=\"other\"} 0\n\
             # HELP g A gauge\n\
             # TYPE g gauge\n\
             g 1.5\n"
        );
    }

    #[test]
    fn histograms_are_cumulative_with_inf_sum_and_count() {
        let mut s = Scrape::new();
        let h = HistogramData {
            bounds: vec![0.005, 1.0, 2.5],
            counts: vec![1, 2, 0, 4],
            sum: 12.25,
        };
        s.histogram("lat_seconds", "Latency", &[("route", "/x")], &h);
        assert_eq!(
            s.finish(),
            "# HELP lat_seconds Latency\n\
             # TYPE lat_seconds histogram\n\
             lat_seconds_bucket{route=\"/x\",le=\"0.005\"} 1\n\
             lat_seconds_bucket{route=\"/x\",le=\"1\"} 3\n\
             lat_seconds_bucket{route=\"/x\",le=\"2.5\"} 3\n\
             lat_seconds_bucket{route=\"/x\",le=\"+Inf\"} 7\n\
             lat_seconds_sum{route=\"/x\"} 12.25\n\
             lat_seconds_count{route=\"/x\"} 7\n"
        );
    }

    #[test]
    fn special_values() {
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(3.0), "3");
        assert_eq!(format_value(0.0001), "0.0001");
        assert_eq!(render_labels(&[], None), "");
    }
}
