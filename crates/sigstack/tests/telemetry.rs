//! Telemetry of the whole stack, from the binary (loopback, temp directory, SQLite): after a
//! logged entry, a duplicate, a refused entry, an issued certificate and two refused tokens,
//! `/metrics` shows each under its labels, with tree sizes, sequencer histograms and HTTP
//! latencies by matched route; `X-Request-Id` is echoed (or generated).
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use support::*;

use std::fs;
use std::path::PathBuf;

/// The value of the sample `series` (the whole `name{labels}` text) in `metrics`.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {series} in\n{metrics}"))
        .parse()
        .unwrap()
}

#[test]
fn metrics_count_what_the_stack_did() {
    let tmp = TempDir::new("metrics");
    let data = init_dev(&tmp, "data", "telemetry.test");
    let other = init_dev(&tmp, "other", "telemetry.test");
    let config = fs::read_to_string(PathBuf::from(&data).join("sigstack.toml")).unwrap();
    let issuer = config
        .lines()
        .find_map(|l| l.strip_prefix("issuer_url = "))
        .unwrap()
        .trim_matches('"')
        .to_owned();
    let (_server, port) = serve(&["--data-dir", &data, "--dev-oidc"]);
    assert_eq!(get(port, "/readyz").status, 200);

    // The transparency log: one created, one duplicate, one refused.
    let json = "Content-Type: application/json\r\n";
    let entry = hashedrekord(b"telemetry artifact");
    let created = request(port, "POST", "/api/v1/log/entries", json, &entry);
    assert_eq!(created.status, 201, "{}", created.body);
    let uuid = created.header("etag").unwrap();
    assert_eq!(
        request(port, "POST", "/api/v1/log/entries", json, &entry).status,
        409
    );
    let refused = r#"{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{}}"#;
    let status = request(port, "POST", "/api/v1/log/entries", json, refused).status;
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(
        get(port, &format!("/api/v1/log/entries/{uuid}")).status,
        200
    );
    assert_eq!(get(port, "/no/such/path").status, 404);

    // The CA: one certificate, a malformed token, a token signed by another key.
    let email = "tess@stack.test";
    let issued = signing_cert_v1(port, &dev_token(&data, email), email);
    assert_eq!(issued.status, 201, "{}", issued.body);
    assert_eq!(signing_cert_v1(port, "not-a-token", email).status, 400);
    assert_eq!(
        signing_cert_v1(port, &dev_token(&other, email), email).status,
        400
    );

    // The request ID: the client's is echoed, otherwise one is made.
    let scrape = request(
        port,
        "GET",
        "/metrics",
        "X-Request-Id: scrape-1.a_b\r\n",
        "",
    );
    assert_eq!(scrape.status, 200);
    assert_eq!(
        scrape.header("x-request-id").as_deref(),
        Some("scrape-1.a_b")
    );
    assert_eq!(
        scrape.header("content-type").as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let made = request(port, "GET", "/healthz", "X-Request-Id: bad id\"\r\n", "");
    let id = made.header("x-request-id").unwrap();
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");

    let m = get(port, "/metrics").body;
    let entries = |kind: &str, result: &str| {
        sample(
            &m,
            &format!("sigstack_log_entries_total{{kind=\"{kind}\",result=\"{result}\"}}"),
        )
    };
    assert_eq!(entries("hashedrekord", "created"), 1.0);
    assert_eq!(entries("hashedrekord", "duplicate"), 1.0);
    assert_eq!(entries("hashedrekord", "rejected"), 1.0);
    assert_eq!(entries("hashedrekord", "unavailable"), 0.0);
    assert_eq!(entries("dsse", "created"), 0.0);
    assert_eq!(entries("precert_entry", "created"), 1.0);
    assert_eq!(entries("x509_entry", "created"), 0.0);

    let certs = |issuer: &str, result: &str| {
        sample(
            &m,
            &format!("sigstack_ca_certificates_total{{issuer=\"{issuer}\",result=\"{result}\"}}"),
        )
    };
    assert_eq!(certs(&issuer, "issued"), 1.0);
    assert_eq!(certs(&issuer, "rejected"), 1.0);
    assert_eq!(certs("unknown", "rejected"), 1.0);
    let rejections = |reason: &str| {
        sample(
            &m,
            &format!("sigstack_ca_token_rejections_total{{reason=\"{reason}\"}}"),
        )
    };
    assert_eq!(rejections("malformed"), 1.0);
    // Another key of the same issuer: its `kid` is not among the issuer's keys.
    assert_eq!(rejections("key_not_found"), 1.0);
    assert_eq!(rejections("expired"), 0.0);

    // The three hashedrekord posts were verified in the verification pool, none refused.
    let verifications = |result: &str| {
        sample(
            &m,
            &format!("sigstack_rekor_verifications_total{{result=\"{result}\"}}"),
        )
    };
    assert_eq!(verifications("admitted"), 3.0);
    assert_eq!(verifications("rejected"), 0.0);

    // The genesis entry and the one created above.
    assert_eq!(sample(&m, "sigstack_tree_size{log=\"rekor\"}"), 2.0);
    assert_eq!(sample(&m, "sigstack_tree_size{log=\"ct\"}"), 1.0);
    assert_eq!(
        sample(
            &m,
            "sigstack_proof_self_check_failures_total{log=\"rekor\"}"
        ),
        0.0
    );
    assert_eq!(
        sample(&m, "sigstack_proof_self_check_failures_total{log=\"ct\"}"),
        0.0
    );
    assert!(
        m.contains("# TYPE sigstack_sequencer_batch_size histogram\n"),
        "{m}"
    );
    assert!(
        m.contains("# TYPE sigstack_ledger_point_read_batch_size histogram\n"),
        "{m}"
    );
    // One batch per created entry.
    assert!(sample(&m, "sigstack_sequencer_batch_size_count{log=\"rekor\"}") >= 1.0);
    assert!(
        sample(
            &m,
            "sigstack_sequencer_batch_size_bucket{log=\"rekor\",le=\"1\"}"
        ) >= 1.0
    );
    assert!(
        sample(
            &m,
            "sigstack_sequencer_integration_duration_seconds_count{log=\"ct\"}"
        ) >= 1.0
    );

    let http = |route: &str, method: &str, status: u16| {
        sample(
            &m,
            &format!(
                "sigstack_http_request_duration_seconds_count{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(http("/api/v1/log/entries", "POST", 201), 1.0);
    assert_eq!(http("/api/v1/log/entries", "POST", 409), 1.0);
    assert_eq!(http("/api/v1/log/entries/{entryUUID}", "GET", 200), 1.0);
    assert_eq!(http("/api/v1/signingCert", "POST", 201), 1.0);
    assert_eq!(http("/api/v1/signingCert", "POST", 400), 2.0);
    assert_eq!(http("/metrics", "GET", 200), 1.0);
    assert_eq!(http("unmatched", "GET", 404), 1.0);
    assert!(http("/healthz", "GET", 200) >= 2.0);
    assert!(
        !m.contains(&uuid) && !m.contains("/no/such/path"),
        "raw paths must not become labels"
    );
    assert!(m.contains(
        "sigstack_http_request_duration_seconds_bucket{route=\"/api/v1/signingCert\",method=\"POST\",status=\"201\",le=\"+Inf\"} 1\n"
    ));
}
