//! The accept loop of every sigstack listener, in place of `axum::serve`, which sets no timer
//! and no cap: a client that sends one header byte every few seconds, or opens connections
//! and says nothing, would hold them forever.
//!
//! Policy, per connection (HTTP/1.1 over hyper):
//! - **Header-read timeout.** A request's head (request line and headers) must arrive within
//!   [`ConnectionLimits::header_read_timeout`] of its first byte; a new connection's first
//!   head within that time of the accept. Past it the connection is dropped, whatever was
//!   received.
//! - **Idle timeout.** A kept-alive connection with no request in progress and no bytes moving
//!   for [`ConnectionLimits::idle_timeout`] is closed. A request in progress is bounded by
//!   the services' own request timeout, not by this.
//! - **Connection cap.** At most [`ConnectionLimits::max_connections`] are open; past it the
//!   loop stops accepting (clients wait in the kernel's backlog) until one closes.
//! - **Requests per connection.** The answer to the last allowed request says
//!   `Connection: close`, so long-lived clients are spread again across replicas.
//! - **Graceful shutdown.** When the shutdown future completes, accepting stops, idle
//!   connections close, requests in progress finish and their connections close; only then
//!   does [`serve`] return, so the caller may close what the handlers write to.
//!
//! The timers are one `select!` per connection over the connection, a deadline computed from
//! its [`Activity`] and the shutdown signal; reads, writes and requests only update atomics.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::header::{HeaderValue, CONNECTION};
use axum::http::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt as _;

/// Limits on every connection; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Longest a request's head may take to arrive, from its first byte.
    pub header_read_timeout: Duration,
    /// Longest a connection may sit with no request in progress.
    pub idle_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// Requests one connection may carry; 0 for no limit.
    pub max_requests_per_connection: u64,
}

impl Default for ConnectionLimits {
    /// Generous to every real client (cosign and the SDKs send a request head in one
    /// packet and reuse a connection for a handful of calls), tight on slow-header clients.
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            max_requests_per_connection: 1000,
        }
    }
}

/// What the loop counted, for the binary's `/metrics`.
#[derive(Debug, Default)]
pub struct ServeStats {
    /// Connections accepted.
    pub accepted: AtomicU64,
    /// Connections open now.
    pub open: AtomicU64,
    /// Connections dropped because a request head did not arrive in time.
    pub header_timeouts: AtomicU64,
    /// Connections closed for idling.
    pub idle_closed: AtomicU64,
    /// Times the loop stopped accepting because [`ConnectionLimits::max_connections`] were
    /// open.
    pub at_capacity: AtomicU64,
}

/// Serves `router` on `listener` under `limits` until `shutdown` completes and every
/// connection has finished (see the module documentation). Each request carries its peer's
/// address as `ConnectInfo<SocketAddr>`. Fails only if the listener cannot accept at all.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    stats: Arc<ServeStats>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let permits = Arc::new(Semaphore::new(max));
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        if permits.available_permits() == 0 {
            stats.at_capacity.fetch_add(1, Ordering::Relaxed);
        }
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        stats.accepted.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(connection(
            stream,
            peer,
            router.clone(),
            limits,
            Arc::clone(&stats),
            stopping.clone(),
            permit,
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it ends: having them all back means every
    // request in progress has been answered.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = permits.acquire_many(all).await;
    Ok(())
}

/// One connection, from accept to close.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    stats: Arc<ServeStats>,
    mut stopping: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
) {
    stats.open.fetch_add(1, Ordering::Relaxed);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        io: stream,
        activity: Arc::clone(&activity),
    });
    let service = {
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let guard = activity.start();
            let last = limits.max_requests_per_connection != 0
                && guard.number >= limits.max_requests_per_connection;
            let router = router.clone();
            async move {
                let result = router.oneshot(request).await;
                drop(guard);
                result.map(|mut response| {
                    if last {
                        response
                            .headers_mut()
                            .insert(CONNECTION, HeaderValue::from_static("close"));
                    }
                    response
                })
            }
        })
    };
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::pin!(conn);
    let mut draining = *stopping.borrow();
    if draining {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        let deadline = activity.deadline(&limits);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                break;
            }
            () = activity.wake.notified() => {}
            () = sleep_until(deadline) => match activity.expired(&limits) {
                Some(Expired::Head) => {
                    stats.header_timeouts.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(%peer, "request head not received in time: closing");
                    break;
                }
                Some(Expired::Idle) => {
                    stats.idle_closed.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                None => {}
            },
            changed = stopping.changed(), if !draining => {
                draining = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
    stats.open.fetch_sub(1, Ordering::Relaxed);
    drop(permit);
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Which limit a connection ran out of.
enum Expired {
    Head,
    Idle,
}

/// No head in progress (a `head_started` value).
const NONE: u64 = u64::MAX;

/// What a connection is doing, as its watcher sees it: times in milliseconds since it opened.
struct Activity {
    opened: Instant,
    /// Requests handed to the router and not yet answered.
    in_flight: AtomicUsize,
    /// Requests handed to the router so far.
    requests: AtomicU64,
    /// When the first byte of the next request head arrived ([`NONE`] if none yet; a new
    /// connection counts from its accept).
    head_started: AtomicU64,
    /// Last time bytes moved or a request ended.
    last_active: AtomicU64,
    /// Wakes the watcher when its deadline may have moved earlier or appeared.
    wake: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            head_started: AtomicU64::new(0),
            last_active: AtomicU64::new(0),
            wake: Notify::new(),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    fn at(&self, millis: u64) -> Instant {
        self.opened + Duration::from_millis(millis)
    }

    /// Bytes were read: if no request is in progress they begin the next request's head.
    fn read(&self) {
        let now = self.now();
        self.last_active.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Acquire) == 0
            && self
                .head_started
                .compare_exchange(NONE, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            self.wake.notify_one();
        }
    }

    fn wrote(&self) {
        self.last_active.store(self.now(), Ordering::Relaxed);
    }

    /// A request's head is complete and the router has it.
    fn start(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(NONE, Ordering::Release);
        let number = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        InFlight {
            activity: Arc::clone(self),
            number,
        }
    }

    /// When the watcher must next look: `None` while a request is in progress.
    fn deadline(&self, limits: &ConnectionLimits) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let head = self.head_started.load(Ordering::Acquire);
        Some(if head != NONE {
            self.at(head) + limits.header_read_timeout
        } else {
            self.at(self.last_active.load(Ordering::Relaxed)) + limits.idle_timeout
        })
    }

    /// Which limit has run out, if any, now.
    fn expired(&self, limits: &ConnectionLimits) -> Option<Expired> {
        let deadline = self.deadline(limits)?;
        if Instant::now() < deadline {
            return None;
        }
        if self.head_started.load(Ordering::Acquire) != NONE {
            Some(Expired::Head)
        } else {
            Some(Expired::Idle)
        }
    }
}

/// A request in progress; ends (even if its future is dropped) when this drops.
struct InFlight {
    activity: Arc<Activity>,
    /// Its number on the connection, from 1.
    number: u64,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.activity;
        a.last_active.store(a.now(), Ordering::Relaxed);
        a.in_flight.fetch_sub(1, Ordering::AcqRel);
        a.wake.notify_one();
    }
}

/// The socket, reporting bytes that move to its connection's [`Activity`].
struct Tracked<IO> {
    io: IO,
    activity: Arc<Activity>,
}

impl<IO: AsyncRead + Unpin> AsyncRead for Tracked<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        polled
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Tracked<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
