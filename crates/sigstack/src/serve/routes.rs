//! One listener for every service: requests are dispatched by path to the Rekor API, the CT
//! log, the CA or the development issuer, and `/healthz`, `/readyz` and `/metrics` answer for
//! the stack. One middleware ([`crate::telemetry::http::track`]) wraps all of it.
//!
//! Why a dispatcher rather than `Router::merge`: each service's router owns its unknown
//! paths (Rekor and Fulcio answer 404 each in their own JSON shape, which clients parse) and
//! each has its own `/healthz`. Dispatching on the path prefix keeps every service's answers
//! byte-identical to what it serves alone. The prefixes never overlap: the CA has
//! `/api/v1/signingCert`, `/api/v1/rootCert` and `/api/v2/…`; the CT log `/ct/v1/…`; Rekor
//! everything else under `/api/v1/` and `/ping`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;
use tower::ServiceExt as _;

use crate::cli::Component;
use crate::telemetry::{self, Telemetry};

/// Longest one readiness check may take: a database that does not answer a one-row read in
/// this time is not ready, and a probe must not hang the load balancer's health check. The
/// checks run side by side, so `/readyz` answers within this (plus scheduling), under the
/// one-second timeout probes commonly use, however many services the process runs.
const READY_TIMEOUT: Duration = Duration::from_millis(800);

/// A future of a readiness check.
pub type ReadyFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Something `/readyz` asks: can it be read, and can this process write it?
pub trait Ready: Send + Sync {
    /// `Ok` when ready; the reason otherwise (shown in the `/readyz` body).
    fn ready(&self) -> ReadyFuture<'_>;
}

/// What `/readyz` checks, by name.
type Checks = Arc<Vec<(&'static str, Arc<dyn Ready>)>>;

/// The services this process runs, each as its own router.
#[derive(Default)]
pub struct Services {
    /// The Rekor API.
    pub log: Option<Router>,
    /// The CT log API.
    pub ct: Option<Router>,
    /// The CA API.
    pub ca: Option<Router>,
    /// The development issuer's documents, and the path prefix they live under.
    pub dev_oidc: Option<(String, Router)>,
    /// What `/readyz` checks, by name.
    pub ready: Vec<(&'static str, Arc<dyn Ready>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Service(Component),
    DevOidc,
}

/// Which service a path belongs to. Duplicate slashes are ignored, as the CA's own router
/// ignores them (some clients join URLs with `//`).
fn target(path: &str, dev_prefix: Option<&str>) -> Target {
    let mut clean = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && clean.ends_with('/')) {
            clean.push(c);
        }
    }
    let p = clean.as_str();
    if let Some(prefix) = dev_prefix {
        let dev = if prefix.is_empty() {
            // An issuer URL without a path: only its two documents, at the root.
            p == "/jwks" || p == "/.well-known/openid-configuration"
        } else {
            p == prefix || p.starts_with(&format!("{prefix}/"))
        };
        if dev {
            return Target::DevOidc;
        }
    }
    if p.starts_with("/ct/v1/") {
        Target::Service(Component::Ct)
    } else if p.starts_with("/api/v2/")
        || matches!(
            p.trim_end_matches('/'),
            "/api/v1/signingCert" | "/api/v1/rootCert" | "/api/v2"
        )
    {
        Target::Service(Component::Ca)
    } else {
        Target::Service(Component::Log)
    }
}

/// The one router of the process, counting every request into `telemetry`.
pub fn router(services: Services, telemetry: Arc<Telemetry>) -> Router {
    let ready = Arc::new(services.ready);
    let dev_prefix = services.dev_oidc.as_ref().map(|(p, _)| p.clone());
    let dev = services.dev_oidc.map(|(_, r)| r);
    let (log, ct, ca) = (services.log, services.ct, services.ca);
    let dispatch = tower::service_fn(move |request: Request| {
        let chosen = match target(request.uri().path(), dev_prefix.as_deref()) {
            Target::Service(Component::Log) => log.clone().ok_or(Component::Log),
            Target::Service(Component::Ct) => ct.clone().ok_or(Component::Ct),
            Target::Service(Component::Ca) => ca.clone().ok_or(Component::Ca),
            Target::DevOidc => dev.clone().ok_or(Component::Ca),
        };
        async move {
            match chosen {
                Ok(service) => service.oneshot(request).await,
                Err(missing) => Ok::<_, Infallible>(not_served(missing)),
            }
        }
    });
    let http = Arc::clone(&telemetry.http);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz).with_state(ready))
        .route("/metrics", get(telemetry::metrics).with_state(telemetry))
        .fallback_service(dispatch)
        .layer(axum::middleware::from_fn_with_state(
            http,
            telemetry::http::track,
        ))
}

/// 404 for a path of a service this process was not started with (`serve log` asked for a
/// certificate, say), naming what is missing so the operator finds the routing mistake.
fn not_served(missing: Component) -> Response {
    let name = match missing {
        Component::Log => "the transparency log",
        Component::Ct => "the CT log",
        Component::Ca => "the certificate authority",
    };
    let body = json!({
        "code": 404,
        "message": format!("this sigstack process does not serve {name}"),
    });
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{body}\n"),
    )
        .into_response()
}

async fn healthz() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        "{\"status\":\"ok\"}\n",
    )
        .into_response()
}

/// 200 when every service can be read and this process holds every writer lease it needs;
/// 503 (a standby, or a database problem) otherwise, so a load balancer sends writes here
/// only when they can succeed.
async fn readyz(State(checks): State<Checks>) -> Response {
    let mut running = tokio::task::JoinSet::new();
    for (position, (_, check)) in checks.iter().enumerate() {
        let check = Arc::clone(check);
        running.spawn(async move {
            let answer = tokio::time::timeout(READY_TIMEOUT, check.ready())
                .await
                .unwrap_or_else(|_| Err("the readiness check timed out".to_owned()));
            (position, answer)
        });
    }
    let mut answers: Vec<Result<(), String>> = checks
        .iter()
        .map(|_| Err("the readiness check failed".to_owned()))
        .collect();
    while let Some(done) = running.join_next().await {
        if let Ok((position, answer)) = done {
            if let Some(slot) = answers.get_mut(position) {
                *slot = answer;
            }
        }
    }
    let mut status = serde_json::Map::new();
    let mut all = true;
    for ((name, _), answer) in checks.iter().zip(answers) {
        match answer {
            Ok(()) => {
                status.insert((*name).to_owned(), "ready".into());
            }
            Err(why) => {
                all = false;
                status.insert((*name).to_owned(), why.into());
            }
        }
    }
    let code = if all {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({ "ready": all, "services": status });
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        format!("{body}\n"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A check that answers after `delay` with `answer`.
    struct Slow(Duration, Result<(), String>);

    impl Ready for Slow {
        fn ready(&self) -> ReadyFuture<'_> {
            Box::pin(async move {
                tokio::time::sleep(self.0).await;
                self.1.clone()
            })
        }
    }

    async fn answer(checks: Vec<(&'static str, Arc<dyn Ready>)>) -> (StatusCode, String, Duration) {
        let started = tokio::time::Instant::now();
        let response = readyz(State(Arc::new(checks))).await;
        let took = started.elapsed();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        (status, String::from_utf8_lossy(&body).into_owned(), took)
    }

    /// Checks run side by side and each is cut at the timeout, so two checks that hang
    /// answer in one timeout, not two, and never in the checks' own time. (Tokio's paused
    /// clock: the durations are exact, not measured.)
    #[tokio::test(start_paused = true)]
    async fn readiness_answers_within_one_timeout_however_many_checks_hang() {
        let hang: Arc<dyn Ready> = Arc::new(Slow(Duration::from_secs(30), Ok(())));
        let (status, body, took) = answer(vec![("log", Arc::clone(&hang)), ("ct", hang)]).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(took <= READY_TIMEOUT + Duration::from_millis(1), "{took:?}");
        assert!(READY_TIMEOUT < Duration::from_secs(1));
        assert_eq!(body.matches("timed out").count(), 2, "{body}");
    }

    #[tokio::test(start_paused = true)]
    async fn readiness_names_each_failing_service() {
        let ok: Arc<dyn Ready> = Arc::new(Slow(Duration::from_millis(300), Ok(())));
        let standby: Arc<dyn Ready> =
            Arc::new(Slow(Duration::from_millis(500), Err("standby".to_owned())));
        let (status, body, took) = answer(vec![("log", Arc::clone(&ok)), ("ct", ok)]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(took < Duration::from_millis(400), "in parallel: {took:?}");
        let ok: Arc<dyn Ready> = Arc::new(Slow(Duration::from_millis(300), Ok(())));
        let (status, body, _) = answer(vec![("log", ok), ("ct", standby)]).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(body["services"]["log"], "ready");
        assert_eq!(body["services"]["ct"], "standby");
        assert_eq!(body["ready"], false);
    }

    #[test]
    fn paths_go_to_their_service() {
        let dev = Some("/dev-oidc");
        let cases = [
            ("/api/v1/signingCert", Target::Service(Component::Ca)),
            ("//api/v2/signingCert", Target::Service(Component::Ca)),
            ("/api/v2/trustBundle", Target::Service(Component::Ca)),
            ("/api/v1/rootCert", Target::Service(Component::Ca)),
            ("/ct/v1/add-pre-chain", Target::Service(Component::Ct)),
            ("/api/v1/log", Target::Service(Component::Log)),
            ("/api/v1/log/entries", Target::Service(Component::Log)),
            ("/api/v1/index/retrieve", Target::Service(Component::Log)),
            ("/ping", Target::Service(Component::Log)),
            ("/nothing", Target::Service(Component::Log)),
            ("/dev-oidc/jwks", Target::DevOidc),
            (
                "/dev-oidc/.well-known/openid-configuration",
                Target::DevOidc,
            ),
            ("/dev-oidcx", Target::Service(Component::Log)),
        ];
        for (path, want) in cases {
            assert_eq!(target(path, dev), want, "{path}");
        }
        assert_eq!(
            target("/dev-oidc/jwks", None),
            Target::Service(Component::Log)
        );
        assert_eq!(target("/jwks", Some("")), Target::DevOidc);
        assert_eq!(
            target("/api/v1/log", Some("")),
            Target::Service(Component::Log)
        );
    }
}
