//! The listener of `sigstack serve` (loopback, temp directory, SQLite): `/metrics` moves to
//! its own port when one is configured, and the `[server]` connection limits reach the
//! listener (a connection that sends no request head is dropped after
//! `header_read_timeout_secs`).
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use support::*;

use std::fs;
use std::io::Read as _;
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

/// Adds `lines` to the `[server]` section of the data directory's sigstack.toml.
fn server_keys(data: &str, lines: &str) {
    let path = PathBuf::from(data).join("sigstack.toml");
    let text = fs::read_to_string(&path).unwrap();
    let text = text.replacen("[server]\n", &format!("[server]\n{lines}\n"), 1);
    fs::write(&path, text).unwrap();
}

#[test]
fn metrics_leave_the_public_listener_when_metrics_listen_is_set() {
    let tmp = TempDir::new("metrics-listen");
    let data = init_dev(&tmp, "data", "listener.test");
    let metrics_port = free_port();
    server_keys(
        &data,
        &format!("metrics_listen = \"127.0.0.1:{metrics_port}\""),
    );
    let (_server, port) = serve(&["--data-dir", &data]);
    let public = get(port, "/metrics");
    assert_eq!(public.status, 404, "{}", public.body);
    assert!(!public.body.contains("sigstack_"), "{}", public.body);
    let metrics = get(metrics_port, "/metrics");
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .body
            .contains("sigstack_http_connections_accepted_total{listener=\"public\"}"),
        "{}",
        metrics.body
    );
    // Only /metrics lives there.
    assert_eq!(get(metrics_port, "/api/v1/log").status, 404);
    // The public listener still serves everything else.
    assert_eq!(get(port, "/api/v1/log").status, 200);
}

#[test]
fn metrics_stay_on_the_public_listener_by_default() {
    let tmp = TempDir::new("metrics-default");
    let data = init_dev(&tmp, "data", "listener.test");
    let (_server, port) = serve(&["--data-dir", &data]);
    let metrics = get(port, "/metrics");
    assert_eq!(metrics.status, 200);
    assert!(metrics.body.contains("sigstack_http_connections_open"));
}

#[test]
fn a_connection_without_a_request_head_is_dropped() {
    let tmp = TempDir::new("header-timeout");
    let data = init_dev(&tmp, "data", "listener.test");
    server_keys(&data, "header_read_timeout_secs = 1");
    let (_server, port) = serve(&["--data-dir", &data]);
    let mut silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut buf = [0u8; 64];
    let read = silent.read(&mut buf);
    assert!(
        matches!(read, Ok(0))
            || read
                .as_ref()
                .is_err_and(|e| e.kind() != std::io::ErrorKind::WouldBlock
                    && e.kind() != std::io::ErrorKind::TimedOut),
        "the silent connection was kept open: {read:?}"
    );
    let metrics = get(port, "/metrics");
    assert!(
        metrics.body.contains(
            "sigstack_http_connections_closed_total{listener=\"public\",reason=\"header_timeout\"} 1"
        ),
        "{}",
        metrics.body
    );
}

/// Adds `lines` to the `[limits]` section of the data directory's sigstack.toml.
fn limits(data: &str, lines: &str) {
    let path = PathBuf::from(data).join("sigstack.toml");
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("\n[limits]\n"),
        "init writes a [limits] section"
    );
    let text = text.replacen("\n[limits]\n", &format!("\n[limits]\n{lines}\n"), 1);
    fs::write(&path, text).unwrap();
}

fn sample(metrics: &str, series: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {series} in\n{metrics}"))
        .parse()
        .unwrap()
}

#[test]
fn log_writes_are_limited_per_address_with_429_and_retry_after() {
    let tmp = TempDir::new("rate-log");
    let data = init_dev(&tmp, "data", "listener.test");
    limits(
        &data,
        "exempt_loopback = false\nlog_writes_per_address_per_minute = 1\nlog_writes_per_address_burst = 2",
    );
    let (_server, port) = serve(&["--data-dir", &data]);
    let json = "Content-Type: application/json\r\n";
    for _ in 0..2 {
        let r = request(port, "POST", "/api/v1/log/entries", json, "{}");
        assert_ne!(r.status, 429, "{}", r.body);
    }
    let limited = request(port, "POST", "/api/v1/log/entries", json, "{}");
    assert_eq!(limited.status, 429, "{}", limited.body);
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert!(limited.body.contains("\"code\":429"), "{}", limited.body);
    // Reads are not limited.
    assert_eq!(get(port, "/api/v1/log").status, 200);
    // The CT log's writes have their own bucket, with the same rate.
    for _ in 0..2 {
        let r = request(port, "POST", "/ct/v1/add-chain", json, "{}");
        assert_ne!(r.status, 429, "{}", r.body);
    }
    let ct = request(port, "POST", "/ct/v1/add-chain", json, "{}");
    assert_eq!(ct.status, 429, "{}", ct.body);
    assert!(ct.header("retry-after").is_some());
    let metrics = get(port, "/metrics").body;
    assert_eq!(
        sample(
            &metrics,
            "sigstack_rate_limited_total{scope=\"log_write_address\"}"
        ),
        1
    );
    assert_eq!(
        sample(
            &metrics,
            "sigstack_rate_limited_total{scope=\"ct_write_address\"}"
        ),
        1
    );
}

#[test]
fn loopback_clients_are_exempt_by_default() {
    let tmp = TempDir::new("rate-loopback");
    let data = init_dev(&tmp, "data", "listener.test");
    limits(
        &data,
        "log_writes_per_address_per_minute = 1\nlog_writes_per_address_burst = 1",
    );
    let (_server, port) = serve(&["--data-dir", &data]);
    let json = "Content-Type: application/json\r\n";
    for _ in 0..4 {
        let r = request(port, "POST", "/api/v1/log/entries", json, "{}");
        assert_ne!(r.status, 429, "{}", r.body);
    }
}

#[test]
fn certificate_requests_are_limited_per_identity_and_per_address() {
    let tmp = TempDir::new("rate-ca");
    let data = init_dev(&tmp, "data", "listener.test");
    limits(
        &data,
        "exempt_loopback = false\nca_per_address_per_minute = 1\nca_per_address_burst = 3\n\
         ca_per_identity_per_minute = 1\nca_per_identity_burst = 1",
    );
    let (_server, port) = serve(&["--data-dir", &data, "--dev-oidc"]);
    let alice = dev_token(&data, "alice@example.com");
    let first = signing_cert_v1(port, &alice, "alice@example.com");
    assert_eq!(first.status, 201, "{}", first.body);
    // The same identity again: over its limit (checked after the token is verified).
    let again = signing_cert_v1(port, &alice, "alice@example.com");
    assert_eq!(again.status, 429, "{}", again.body);
    assert!(again.header("retry-after").is_some());
    // Fulcio's error shape: gRPC RESOURCE_EXHAUSTED.
    assert!(again.body.contains("\"code\":8"), "{}", again.body);
    // Another identity from the same address still gets a certificate...
    let bob = dev_token(&data, "bob@example.com");
    let other = signing_cert_v1(port, &bob, "bob@example.com");
    assert_eq!(other.status, 201, "{}", other.body);
    // ...until the address's own burst of three is spent.
    let carol = dev_token(&data, "carol@example.com");
    let address = signing_cert_v1(port, &carol, "carol@example.com");
    assert_eq!(address.status, 429, "{}", address.body);
    let metrics = get(port, "/metrics").body;
    assert_eq!(
        sample(
            &metrics,
            "sigstack_rate_limited_total{scope=\"ca_identity\"}"
        ),
        1
    );
    assert_eq!(
        sample(
            &metrics,
            "sigstack_rate_limited_total{scope=\"ca_address\"}"
        ),
        1
    );
}
