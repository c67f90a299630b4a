//! The HTTP plumbing every sigstack service shares, so that each service keeps only what is
//! its own (routes, handlers, and the one place that maps its errors to responses).
//!
//! - [`body`]: a request body read under a size limit (413 before anything is buffered);
//! - [`route`]: the request timeout and the matched route template carried out to the
//!   embedding server's metrics, plus bounded route and method labels;
//! - [`request_id`]: `X-Request-Id`, kept from the client when sane, generated otherwise;
//! - [`ratelimit`]: keyed token buckets (pure logic, time passed in) and the per-address
//!   check a server applies before a request reaches its service (429 with `Retry-After`,
//!   in the service's words);
//! - [`serve`]: the accept loop that replaces `axum::serve`, with a header-read timeout, an
//!   idle timeout, a connection cap, a request cap per connection and graceful shutdown.
//!
//! This crate knows no service and no error type of theirs: where a service's answer is
//! needed (a timed-out or rate-limited request), the service passes it in. It keeps no metrics registry
//! either; its counters are plain atomics the binary's exporter reads.

pub mod body;
pub mod ratelimit;
pub mod request_id;
pub mod route;
pub mod serve;

pub use body::{read_limited, BodyError};
pub use route::{bounded, Bound};
pub use serve::{serve, ConnectionLimits, ServeStats};
