//! The RFC 6962 §4 HTTP API of a [`CtLog`], served with axum.
//!
//! Routes live under `{path_prefix}/ct/v1/`. The router has no fallback of its own, so the
//! binary can merge it with the Rekor and CA routers on one listener (they own unknown
//! paths); a known path with the wrong method gets 405 with `Allow`. Errors are rendered in
//! `error`, the one place that maps [`crate::log::CtError`] to a response.

mod error;
/// For the fuzz targets in `fuzz/` only.
#[doc(hidden)]
pub mod fuzzing;
mod handlers;
mod params;

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use sigstack_ledger::store::Store;

use super::{CtError, CtLog};

/// The handlers of one path, over the shared log.
type Methods<S> = MethodRouter<Arc<CtLog<S>>>;

/// The CT API over `log`: `add-chain`, `add-pre-chain`, `get-sth`, `get-sth-consistency`,
/// `get-proof-by-hash`, `get-entries`, `get-entry-and-proof`, `get-roots`.
///
/// Serve it with `axum::serve(listener, router(log))`, or merge it into another router.
/// Request bodies are bounded by `max_body_bytes` and every request by `request_timeout`.
pub fn router<S: Store>(log: Arc<CtLog<S>>) -> Router {
    let prefix = format!("{}/ct/v1", log.config().path_prefix);
    let timeout = log.config().request_timeout;
    let routes: [(&str, &'static str, Methods<S>); 8] = [
        ("add-chain", "POST", post(handlers::add_chain::<S>)),
        ("add-pre-chain", "POST", post(handlers::add_pre_chain::<S>)),
        ("get-sth", "GET", get(handlers::get_sth::<S>)),
        (
            "get-sth-consistency",
            "GET",
            get(handlers::get_sth_consistency::<S>),
        ),
        (
            "get-proof-by-hash",
            "GET",
            get(handlers::get_proof_by_hash::<S>),
        ),
        ("get-entries", "GET", get(handlers::get_entries::<S>)),
        (
            "get-entry-and-proof",
            "GET",
            get(handlers::get_entry_and_proof::<S>),
        ),
        ("get-roots", "GET", get(handlers::get_roots::<S>)),
    ];
    let mut router = Router::new();
    for (name, allowed, methods) in routes {
        let methods =
            methods.fallback(move || async move { CtError::MethodNotAllowed { allowed } });
        router = router.route(&format!("{prefix}/{name}"), methods);
    }
    router
        .with_state(log)
        .route_layer(axum::middleware::from_fn_with_state(
            sigstack_http::Bound {
                timeout,
                on_timeout: timed_out,
            },
            sigstack_http::bounded,
        ))
}

/// The CT log's answer to a client over its rate limit (429 with `Retry-After`), for a
/// server that applies limits in front of [`router`].
pub fn rate_limited(retry_after: std::time::Duration) -> Response {
    CtError::RateLimited { retry_after }.into_response()
}

/// The answer when a request takes longer than the configured timeout: 503 with
/// `Retry-After`. A cancelled add may still be logged; the client's retry then gets that
/// entry's SCT.
fn timed_out() -> Response {
    CtError::Unavailable("the request timed out, retry later").into_response()
}
