//! `/tuf/…`: the repository as any TUF mirror serves it, and the re-signer that keeps it
//! valid while `serve` runs.
//!
//! Re-signing policy: every `lifetime(timestamp) / 8` (at least 1 s, at most 5 min) the task
//! runs [`repo::publish`], which signs what has less than half its life left or whose
//! targets changed. A failure is logged and retried at the next tick; the repository keeps
//! serving its last good files, which stay valid for at least half a timestamp lifetime. If
//! the server stops, clients see `timestamp.json` expire: that is the signal TUF wants.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tracing::{info, warn};

use super::repo::{self, Action};
use super::{Layout, Lifetimes};
use crate::config::Config;

/// The repository's routes, under `/tuf/`.
pub fn router(layout: &Layout) -> Router {
    let dir = Arc::new(layout.repository.clone());
    Router::new()
        .route("/tuf/{*path}", get(file))
        .with_state(dir)
}

/// Starts the re-signer for the data directory `dir` (if it has a repository) and returns
/// the routes, or `None` when there is no repository.
pub fn start(dir: &Path, config: &Config) -> anyhow::Result<Option<Router>> {
    let layout = Layout::new(dir);
    if !layout.exists() {
        return Ok(None);
    }
    let lifetimes = Lifetimes::from_config(config)?;
    let period = Duration::from_secs((lifetimes.timestamp / 8).clamp(1, 300));
    let (dir, config, task_layout) = (dir.to_owned(), config.clone(), layout.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let wanted = match repo::current_targets(&dir, &config) {
                Ok(w) => w,
                Err(e) => {
                    warn!(
                        error = format!("{e:#}"),
                        "TUF: cannot read the trust material"
                    );
                    continue;
                }
            };
            let layout = task_layout.clone();
            // The publish lock and file writes block: keep them off the request threads.
            let done = tokio::task::spawn_blocking(move || {
                tokio::runtime::Handle::current().block_on(repo::publish(
                    &layout,
                    &wanted,
                    &lifetimes,
                    super::now(),
                ))
            })
            .await;
            match done {
                Ok(Ok(Action::Nothing)) => {}
                Ok(Ok(action)) => info!(?action, "TUF: re-signed the repository"),
                Ok(Err(e)) => warn!(error = format!("{e:#}"), "TUF: re-signing failed"),
                Err(e) => warn!(error = %e, "TUF: the re-signing task failed"),
            }
        }
    });
    info!(repository = %layout.repository.display(), "TUF repository served at /tuf/");
    Ok(Some(router(&layout)))
}

/// One file of the repository. Names are checked before touching the disk: one plain file
/// name, or `targets/` and one plain file name (no dot first, no `..`, no other directory).
async fn file(State(dir): State<Arc<PathBuf>>, UrlPath(path): UrlPath<String>) -> Response {
    let Some(relative) = safe_path(&path) else {
        return not_found();
    };
    match tokio::fs::read(dir.join(relative)).await {
        Ok(bytes) => {
            let kind = if path.ends_with(".json") {
                "application/json"
            } else {
                "application/octet-stream"
            };
            // Versioned names never change; timestamp.json and root.json do.
            let cache = if path == "timestamp.json" || path == "root.json" {
                "no-cache"
            } else {
                "public, max-age=300"
            };
            (
                [(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, cache)],
                bytes,
            )
                .into_response()
        }
        Err(_) => not_found(),
    }
}

fn safe_path(path: &str) -> Option<PathBuf> {
    let plain = |name: &str| {
        !name.is_empty()
            && !name.starts_with('.')
            && !name.ends_with(".tmp")
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    };
    match path.split('/').collect::<Vec<_>>().as_slice() {
        [name] if plain(name) => Some(PathBuf::from(name)),
        ["targets", name] if plain(name) => Some(Path::new("targets").join(name)),
        _ => None,
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain")],
        "not found\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_repository_file_names_are_served() {
        assert_eq!(safe_path("1.root.json"), Some(PathBuf::from("1.root.json")));
        assert_eq!(
            safe_path("targets/ab12.trusted_root.json"),
            Some(PathBuf::from("targets/ab12.trusted_root.json"))
        );
        for bad in [
            "",
            "..",
            "../keys/root-1.pem",
            "targets/../../keys/root-1.pem",
            ".lock",
            "targets/.x",
            "a/b",
            "timestamp.json.tmp",
            "targets/",
            "x%2F..",
        ] {
            assert_eq!(safe_path(bad), None, "{bad}");
        }
    }
}
