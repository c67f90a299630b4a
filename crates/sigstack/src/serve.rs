//! `sigstack serve`: the Rekor v1 API over the configured store, until SIGINT or SIGTERM.
//!
//! Shutdown order matters for the durability contract: stop accepting connections and let
//! in-flight requests finish (their entries are either committed and answered, or not
//! acknowledged at all), then close the ledger, which finishes the batch in progress and
//! releases the writer lease, and only then close the store.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use sigstack_ledger::store::Store;
use sigstack_ledger::{LedgerConfig, SystemClock};
use sigstack_merkle::signature::EcdsaP256Signer;
use sigstack_rekor::api::{router, RekorConfig, RekorService};
use tokio::net::TcpListener;
use tracing::{info, warn};

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::keys;
use crate::store::{with_store, Schema, StoreTask};

/// Runs `serve`.
pub async fn run(mut args: ServeArgs) -> Result<()> {
    args.data_dir = crate::config::absolute_data_dir(&args.data_dir)?;
    let config = Config::load(&args.data_dir)?;
    let signer = keys::load_signer(&args.data_dir)?;
    let listen = match args.listen {
        Some(addr) => addr,
        None => config.listen()?,
    };
    let url = config.database_url(&args.data_dir, args.database_url.as_deref())?;
    keys::check_public_key_file(&args.data_dir, &signer);
    info!(database = %url, tree_id = config.log.tree_id, hostname = %config.log.hostname, "opening the log");
    let server = Server {
        rekor: config.rekor_config(),
        ledger: config.ledger_config(),
        signer,
        listen,
    };
    with_store(&url, Schema::MigrateSqlite, server).await
}

/// Everything `serve` needs once a store is open.
struct Server {
    rekor: RekorConfig,
    ledger: LedgerConfig,
    signer: EcdsaP256Signer,
    listen: SocketAddr,
}

impl StoreTask for Server {
    type Output = ();

    async fn run<S: Store>(self, store: Arc<S>) -> Result<()> {
        // Bind before opening the ledger: a taken port should fail fast, before this
        // process takes (and would have to give back) the writer lease.
        let listener = TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("cannot listen on {}", self.listen))?;
        let service = RekorService::open(
            store,
            self.rekor,
            self.signer,
            self.ledger,
            Arc::new(SystemClock),
        )
        .await
        .context("opening the log")?;
        let service = Arc::new(service);
        let ledger = service.ledger().clone();
        let head = ledger.state().await.context("reading the tree state")?;
        let addr = listener.local_addr().unwrap_or(self.listen);
        info!(
            %addr,
            log_id = service.key().log_id_hex(),
            origin = service.key().origin(),
            tree_size = head.size,
            writer = ledger.is_writer(),
            "listening"
        );
        if !ledger.is_writer() {
            warn!("another process holds the writer lease: serving reads only, taking over when it goes away");
        }

        let served = axum::serve(listener, router(service))
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("HTTP server failed");
        info!("stopped accepting requests; closing the log");
        ledger.close().await;
        served
    }
}

/// Resolves on the first SIGINT or SIGTERM (Ctrl-C alone elsewhere).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            warn!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(e) => {
                warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => info!("SIGINT received"),
        () = terminate => info!("SIGTERM received"),
    }
}
