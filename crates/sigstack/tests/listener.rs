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
