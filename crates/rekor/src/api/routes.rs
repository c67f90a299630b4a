//! The route table.
//!
//! Rekor cleans paths before routing, so a trailing slash is ignored; sigstore-python relies
//! on that for `POST /api/v1/log/entries/retrieve/`. Every path is therefore registered with
//! and without it. Unknown paths and methods get Rekor's JSON 404 / 405 (with `Allow`).

use std::sync::Arc;

use axum::extract::Request;
use axum::http::Method;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use sigstack_ledger::store::Store;

use super::error::ApiError;
use super::{entries, log, middleware, search, RekorService};

/// The handlers of one path, over the shared service.
type Methods<S> = MethodRouter<Arc<RekorService<S>>>;

/// The Rekor v1 API (plus `/ping`, `/healthz`, `/readyz`) over `service`.
///
/// Serve it with `axum::serve(listener, router(service))`. Request bodies are bounded by
/// `max_body_bytes` and every request by `request_timeout` from the service's configuration.
pub fn router<S: Store>(service: Arc<RekorService<S>>) -> Router {
    let timeout = service.config().request_timeout;
    let routes: [(&str, &'static str, Methods<S>); 9] = [
        (
            "/api/v1/log/entries",
            "GET, POST",
            post(entries::create::<S>).get(entries::get_by_index::<S>),
        ),
        (
            "/api/v1/log/entries/retrieve",
            "POST",
            post(entries::retrieve::<S>),
        ),
        (
            "/api/v1/log/entries/{entryUUID}",
            "GET",
            get(entries::get_by_uuid::<S>),
        ),
        ("/api/v1/log", "GET", get(log::info::<S>)),
        ("/api/v1/log/publicKey", "GET", get(log::public_key::<S>)),
        ("/api/v1/log/proof", "GET", get(log::proof::<S>)),
        (
            "/api/v1/index/retrieve",
            "POST",
            post(search::retrieve::<S>),
        ),
        ("/healthz", "GET", get(log::healthz)),
        ("/readyz", "GET", get(log::readyz::<S>)),
    ];
    let mut router = Router::new().route("/ping", only("GET", get(log::ping)));
    for (path, allowed, method_router) in routes {
        let method_router = only(allowed, method_router);
        router = router
            .route(path, method_router.clone())
            .route(&format!("{path}/"), method_router);
    }
    router
        .fallback(|request: Request| async move {
            ApiError::PathNotFound(request.uri().path().to_owned())
        })
        .with_state(service)
        .layer(axum::middleware::from_fn_with_state(
            sigstack_http::Bound {
                timeout,
                on_timeout: middleware::timed_out,
            },
            middleware::around,
        ))
}

/// Gives `router` Rekor's 405 answer for every method it does not serve.
fn only<T: Clone + Send + Sync + 'static>(
    allowed: &'static str,
    router: MethodRouter<T>,
) -> MethodRouter<T> {
    router.fallback(move |method: Method| async move {
        ApiError::MethodNotAllowed {
            method: method.to_string(),
            allowed: allowed.to_owned(),
        }
    })
}
