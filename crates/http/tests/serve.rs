//! The serve loop against raw TCP clients on loopback: a slow-header client is dropped, an
//! idle kept-alive connection is closed, a busy one is not, the connection cap holds, the
//! last request of a connection is told `Connection: close`, and shutdown lets a request in
//! progress finish. Timeouts are configured short (hundreds of milliseconds); assertions
//! only bound how long we wait, generously, never how fast the server is.
#![allow(clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::Router;
use sigstack_http::{ConnectionLimits, ServeStats};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

struct Running {
    addr: SocketAddr,
    stats: Arc<ServeStats>,
    stop: oneshot::Sender<()>,
    done: JoinHandle<std::io::Result<()>>,
}

async fn start(limits: ConnectionLimits) -> Running {
    let router = Router::new()
        .route("/", get(|| async { "ok" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                "slow"
            }),
        )
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(ServeStats::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let done = tokio::spawn(sigstack_http::serve(
        listener,
        router,
        limits,
        Arc::clone(&stats),
        async move {
            let _ = stopped.await;
        },
    ));
    Running {
        addr,
        stats,
        stop,
        done,
    }
}

fn limits() -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
        max_connections: 64,
        max_requests_per_connection: 0,
    }
}

/// Reads one response (head and `Content-Length` body); `None` if the connection closes or
/// nothing arrives within `wait`.
async fn response(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut raw = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let text = String::from_utf8_lossy(&raw).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            if body.len() >= len {
                return Some(text);
            }
        }
        let mut buf = [0u8; 1024];
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
            Ok(Ok(n)) => raw.extend_from_slice(&buf[..n]),
        }
    }
}

/// Whether the server closes `stream` within `wait` (reads EOF or a reset).
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 256];
    matches!(
        tokio::time::timeout(wait, stream.read(&mut buf)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

async fn get_on(stream: &mut TcpStream, path: &str) -> Option<String> {
    let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    response(stream, Duration::from_secs(10)).await
}

#[tokio::test]
async fn slow_header_client_is_disconnected() {
    let server = start(ConnectionLimits {
        header_read_timeout: Duration::from_millis(800),
        ..limits()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    // One byte every 300 ms: the whole head would take about 12 s.
    let head = b"GET / HTTP/1.1\r\nHost: slow.example\r\nX-A: b\r\n\r\n";
    let mut cut_off_after = None;
    for (i, byte) in head.iter().enumerate() {
        if stream.write_all(&[*byte]).await.is_err() {
            cut_off_after = Some(i);
            break;
        }
        let mut buf = [0u8; 256];
        match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await {
            Err(_) => continue,
            Ok(Ok(0)) | Ok(Err(_)) => {
                cut_off_after = Some(i + 1);
                break;
            }
            Ok(Ok(n)) => panic!(
                "the server answered a head it should have timed out: {}",
                String::from_utf8_lossy(&buf[..n])
            ),
        }
    }
    let sent = cut_off_after.expect("the server never closed the slow-header connection");
    assert!(
        sent < head.len(),
        "the whole head was accepted ({sent} bytes)"
    );
    assert_eq!(server.stats.header_timeouts.load(Ordering::Relaxed), 1);
    // A prompt client on a fresh connection is still served.
    let mut fresh = TcpStream::connect(server.addr).await.unwrap();
    let answer = get_on(&mut fresh, "/").await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_silent_connection_is_dropped_after_the_header_timeout() {
    let server = start(ConnectionLimits {
        header_read_timeout: Duration::from_millis(500),
        ..limits()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    assert!(closed_within(&mut stream, Duration::from_secs(10)).await);
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_and_a_busy_one_is_not() {
    let server = start(ConnectionLimits {
        idle_timeout: Duration::from_millis(600),
        ..limits()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    // A request that takes longer than the idle timeout is answered on the same connection.
    let slow = get_on(&mut stream, "/slow").await.unwrap();
    assert!(
        slow.starts_with("HTTP/1.1 200") && slow.ends_with("slow"),
        "{slow}"
    );
    let ok = get_on(&mut stream, "/").await.unwrap();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    // Then nothing: the server closes the kept-alive connection.
    assert!(
        closed_within(&mut stream, Duration::from_secs(10)).await,
        "the idle connection was kept open"
    );
    assert_eq!(server.stats.idle_closed.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn connection_cap_holds_and_frees() {
    let server = start(ConnectionLimits {
        max_connections: 2,
        ..limits()
    })
    .await;
    let mut first = TcpStream::connect(server.addr).await.unwrap();
    let mut second = TcpStream::connect(server.addr).await.unwrap();
    assert!(get_on(&mut first, "/").await.is_some());
    assert!(get_on(&mut second, "/").await.is_some());
    // The third connects (the kernel's backlog) but is not served while two are open.
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    third
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    assert!(
        response(&mut third, Duration::from_millis(700))
            .await
            .is_none(),
        "a third connection was served past the cap of two"
    );
    assert_eq!(server.stats.open.load(Ordering::Relaxed), 2);
    // One closes: the waiting one is accepted and answered.
    drop(first);
    let answer = response(&mut third, Duration::from_secs(10)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(server.stats.at_capacity.load(Ordering::Relaxed) >= 1);
}

#[tokio::test]
async fn the_last_request_of_a_connection_closes_it() {
    let server = start(ConnectionLimits {
        max_requests_per_connection: 2,
        ..limits()
    })
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let one = get_on(&mut stream, "/").await.unwrap();
    assert!(
        !one.to_ascii_lowercase().contains("connection: close"),
        "{one}"
    );
    let two = get_on(&mut stream, "/").await.unwrap();
    assert!(
        two.to_ascii_lowercase().contains("connection: close"),
        "{two}"
    );
    assert!(closed_within(&mut stream, Duration::from_secs(10)).await);
}

#[tokio::test]
async fn requests_carry_the_peer_address() {
    let server = start(limits()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let local = stream.local_addr().unwrap();
    let answer = get_on(&mut stream, "/peer").await.unwrap();
    assert!(answer.ends_with(&local.to_string()), "{answer}");
}

#[tokio::test]
async fn shutdown_lets_the_request_in_progress_finish() {
    let server = start(limits()).await;
    let mut busy = TcpStream::connect(server.addr).await.unwrap();
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    assert!(get_on(&mut idle, "/").await.is_some());
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.stop.send(()).unwrap();
    // The idle connection closes at once; the slow request is still answered.
    assert!(closed_within(&mut idle, Duration::from_secs(1)).await);
    let answer = response(&mut busy, Duration::from_secs(10)).await.unwrap();
    assert!(answer.ends_with("slow"), "{answer}");
    tokio::time::timeout(Duration::from_secs(10), server.done)
        .await
        .expect("serve returned after its connections ended")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(server.addr).await.is_err());
}
