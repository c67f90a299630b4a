//! `sigstack serve`: the transparency log, the CT log and the CA on one listener (or the
//! components named on the command line), until SIGINT or SIGTERM.
//!
//! Everything that can be wrong with the data directory is found before the database is
//! opened or the port bound: keys, chain and issuer file are loaded and cross-checked first,
//! so a bad configuration fails fast with the file and key named.
//!
//! Shutdown order matters for the durability contract: stop accepting connections and let
//! in-flight requests finish (their entries are either committed and answered, or not
//! acknowledged at all), then close the ledgers, which finish the batch in progress and
//! release the writer leases, and only then close the store.

mod ca;
mod dev_oidc;
mod routes;
mod signal;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use axum::http::HeaderName;
use sigstack_ct::log::{CtConfig, CtLog, SystemMillisClock};
use sigstack_ct::EcdsaP256LogSigner;
use sigstack_fulcio::cert::CertificateAuthority;
use sigstack_fulcio::Config as IssuerConfig;
use sigstack_http::ratelimit::{AddressLimit, KeyedLimiter, Rate};
use sigstack_http::{ConnectionLimits, ServeStats};
use sigstack_ledger::store::Store;
use sigstack_ledger::{Clock as _, LedgerConfig, SystemClock};
use sigstack_merkle::signature::EcdsaP256Signer;
use sigstack_rekor::api::{RekorConfig, RekorService};
use std::time::Duration;
use tokio::net::TcpListener;
use tracing::{info, warn};

use self::routes::{AddressLimits, Ready, ReadyFuture, Services};
use crate::cli::{Component, ServeArgs};
use crate::config::{Config, CtSection};
use crate::keys;
use crate::material;
use crate::material::dev_oidc::DevIssuer;
use crate::store::{with_stores, Schema, StoreTask};
use crate::telemetry::{
    CaSource, CtSource, LedgerSource, RateLimitSource, RekorSource, ServeSource, Telemetry,
};

/// Runs `serve`.
pub async fn run(mut args: ServeArgs) -> Result<()> {
    args.data_dir = crate::config::absolute_data_dir(&args.data_dir)?;
    let dir = args.data_dir.as_path();
    let config = Config::load(dir)?;
    let components = components(&args, &config, dir);
    let listen = match args.listen {
        Some(addr) => addr,
        None => config.listen()?,
    };
    let url = config.database_url(dir, args.database_url.as_deref())?;
    let metrics_listen = match args.metrics_listen {
        Some(addr) => Some(addr),
        None => config.metrics_listen()?,
    };
    let read_url = config.read_database_url(&url, args.read_database_url.as_deref())?;

    let log = if components.contains(&Component::Log) {
        let signer = keys::load_signer(dir)?;
        keys::check_public_key_file(dir, &signer);
        Some(signer)
    } else {
        None
    };
    let needs_ct = components.contains(&Component::Ct) || components.contains(&Component::Ca);
    let ct = if needs_ct {
        Some(ct_plan(dir, &config)?)
    } else {
        None
    };
    let dev = if args.dev_oidc {
        Some(material::dev_oidc::load(
            dir,
            config.dev_oidc_section(dir)?,
        )?)
    } else {
        None
    };
    let ca = if components.contains(&Component::Ca) {
        let section = config.ca_section(dir)?;
        let authority =
            material::ca::load(dir, section, material::ca::password_from_env()?.as_deref())?;
        let dev_section = if args.dev_oidc {
            config.dev_oidc.as_ref()
        } else {
            None
        };
        let (issuers, _) = ca::issuers(dir, &config, args.ca_config.as_deref(), dev_section)?;
        Some((authority, issuers))
    } else {
        if args.dev_oidc {
            warn!("--dev-oidc has no effect without the CA component");
        }
        None
    };
    if let Some(dev) = &dev {
        warn_dev_oidc(dev, listen);
    }
    let tsa = tsa_service(dir, components.contains(&Component::Ca))?;

    info!(
        database = %url,
        read_replica = read_url.is_some(),
        components = ?components,
        tree_id = config.log.tree_id,
        hostname = %config.log.hostname,
        "opening"
    );
    let server = Server {
        rekor: config.rekor_config(),
        ledger: config.ledger_config(),
        log,
        ct,
        ca,
        dev,
        ct_api: components.contains(&Component::Ct),
        listen,
        metrics_listen,
        limits: config.connection_limits(),
        rates: RatePlan::from_config(&config)?,
        tuf: (dir.to_owned(), config.clone()),
        tsa,
    };
    with_stores(&url, read_url.as_deref(), Schema::MigrateSqlite, server).await
}

/// What to run: the components named, else everything the data directory is set up for. A
/// directory from before the CA existed (no `[ca]`/`[ct]`) keeps serving its log after an
/// upgrade, with a warning, rather than refusing to start.
fn components(args: &ServeArgs, config: &Config, dir: &Path) -> BTreeSet<Component> {
    if !args.components.is_empty() {
        return args.components.iter().copied().collect();
    }
    if config.ca.is_some() && config.ct.is_some() {
        return [Component::Log, Component::Ct, Component::Ca].into();
    }
    warn!(
        "{} has no [ca] and [ct] sections: serving the transparency log only. Run `sigstack \
         init --data-dir {}` to add the CA and its CT log (existing keys and settings are kept)",
        dir.join(crate::config::CONFIG_FILE).display(),
        dir.display()
    );
    [Component::Log].into()
}

/// The CT log's key and configuration. Its accepted roots are the CA's root: the log takes
/// chains from this CA (and anything else that chains to its root), nothing else.
fn ct_plan(dir: &Path, config: &Config) -> Result<(EcdsaP256LogSigner, CtConfig)> {
    let section: &CtSection = config.ct_section(dir)?;
    let signer = material::ct::load_signer(dir, section)?;
    // Checks the public file against the key, so clients are never handed the wrong one.
    material::ct::load_public(dir, section)?;
    let ca = config.ca_section(dir)?;
    let root = root_certificate(dir, ca)?;
    let mut ct = CtConfig::new(section.tree_id, vec![root]);
    if let Some(bytes) = config.server.max_request_body_bytes {
        ct.max_body_bytes = bytes;
    }
    if let Some(secs) = config.server.request_timeout_secs {
        ct.request_timeout = std::time::Duration::from_secs(secs);
    }
    Ok((signer, ct))
}

/// The last certificate of `ca.certificates` (the root), in DER.
fn root_certificate(dir: &Path, ca: &crate::config::CaSection) -> Result<Vec<u8>> {
    let chain = crate::trust::read_chain(dir, ca)?;
    chain
        .last()
        .cloned()
        .context("`ca.certificates` names no certificate")
}

fn warn_dev_oidc(dev: &DevIssuer, listen: SocketAddr) {
    warn!(
        issuer = dev.issuer_url(),
        "DEVELOPMENT OIDC ISSUER ENABLED (--dev-oidc): NOT FOR PRODUCTION. Anyone who can run \
         `sigstack dev-token` on this data directory can get a certificate for any e-mail \
         address from this CA"
    );
    let local = if listen.ip().is_unspecified() {
        format!(":{}/", listen.port())
    } else {
        format!("://{listen}/")
    };
    if !dev.issuer_url().contains(&local) {
        warn!(
            issuer = dev.issuer_url(),
            %listen,
            "the development issuer's URL does not point at this listener; tokens still \
             verify (the CA reads its keys from a file), but its discovery document is not \
             reachable at the issuer URL"
        );
    }
}

/// Everything `serve` needs once a store is open.
struct Server {
    rekor: RekorConfig,
    ledger: LedgerConfig,
    log: Option<EcdsaP256Signer>,
    ct: Option<(EcdsaP256LogSigner, CtConfig)>,
    ca: Option<(CertificateAuthority, IssuerConfig)>,
    dev: Option<DevIssuer>,
    /// Whether the CT log's own API is served (component `ct`), not only used by the CA.
    ct_api: bool,
    listen: SocketAddr,
    /// A second listener for `/metrics` only (then absent from `listen`).
    metrics_listen: Option<SocketAddr>,
    /// Timeouts and caps of every connection, on both listeners.
    limits: ConnectionLimits,
    /// Rate limits.
    rates: RatePlan,
    /// The data directory and its configuration, for the TUF repository (served when it exists).
    tuf: (std::path::PathBuf, Config),
    /// The timestamp authority, served with the CA when the data directory has its files.
    tsa: Option<Arc<sigstack_tsa::server::TsaService>>,
}

/// The rate limits `[limits]` asks for (`None`: that limit is off).
struct RatePlan {
    ca_address: Option<Rate>,
    ca_identity: Option<Rate>,
    log_writes: Option<Rate>,
    exempt_loopback: bool,
    client_header: Option<HeaderName>,
    max_keys: usize,
}

impl RatePlan {
    fn from_config(config: &Config) -> Result<Self> {
        use crate::config::limit_defaults as d;
        let l = &config.limits;
        let client_header = l
            .client_address_header
            .as_deref()
            .map(|name| {
                HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
                    .with_context(|| format!("`limits.client_address_header` `{name}`"))
            })
            .transpose()?;
        Ok(Self {
            ca_address: config.rate(
                l.ca_per_address_per_minute,
                l.ca_per_address_burst,
                d::CA_PER_ADDRESS,
            ),
            ca_identity: config.rate(
                l.ca_per_identity_per_minute,
                l.ca_per_identity_burst,
                d::CA_PER_IDENTITY,
            ),
            log_writes: config.rate(
                l.log_writes_per_address_per_minute,
                l.log_writes_per_address_burst,
                d::LOG_WRITES_PER_ADDRESS,
            ),
            exempt_loopback: l.exempt_loopback.unwrap_or(true),
            client_header,
            max_keys: l.max_tracked_clients.unwrap_or(d::MAX_TRACKED_CLIENTS),
        })
    }

    /// A per-address limit at `rate` answering with `on_limited`, counted in `source` as
    /// `scope`.
    fn address(
        &self,
        rate: Option<Rate>,
        on_limited: fn(Duration) -> axum::response::Response,
        scope: &'static str,
        source: &mut RateLimitSource,
    ) -> Option<AddressLimit> {
        let limiter = Arc::new(KeyedLimiter::new(rate?, self.max_keys));
        let counted = Arc::clone(&limiter);
        source.add(scope, move || counted.limited());
        Some(AddressLimit {
            limiter,
            exempt_loopback: self.exempt_loopback,
            client_header: self.client_header.clone(),
            on_limited,
        })
    }
}

/// The TSA, when the CA is served and the data directory has the TSA key and chain; a data
/// directory made before the TSA existed runs without it (`sigstack init` adds it).
fn tsa_service(dir: &Path, with_ca: bool) -> Result<Option<Arc<sigstack_tsa::server::TsaService>>> {
    if !with_ca {
        return Ok(None);
    }
    match material::tsa::load(dir)? {
        Some(authority) => Ok(Some(Arc::new(sigstack_tsa::server::TsaService::new(
            authority,
        )?))),
        None => {
            info!(
                "no timestamp authority: {} has no {} and {}; run `sigstack init` on it to \
                 add them",
                dir.display(),
                material::tsa::TSA_KEY,
                material::tsa::TSA_CHAIN
            );
            Ok(None)
        }
    }
}

impl StoreTask for Server {
    type Output = ();

    async fn run<S: Store>(self, store: Arc<S>) -> Result<()> {
        // Bind before opening the ledgers: a taken port should fail fast, before this
        // process takes (and would have to give back) the writer leases.
        let listener = TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("cannot listen on {}", self.listen))?;
        let metrics_listener = match self.metrics_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} (server.metrics_listen)"))?,
            ),
            None => None,
        };
        let mut services = Services::default();
        let mut telemetry = Telemetry::default();
        let mut rate_source = RateLimitSource::default();
        let rates = &self.rates;
        services.limits = AddressLimits {
            ca: rates.address(
                rates.ca_address,
                sigstack_fulcio::server::rate_limited,
                "ca_address",
                &mut rate_source,
            ),
            log_writes: rates.address(
                rates.log_writes,
                sigstack_rekor::api::rate_limited,
                "log_write_address",
                &mut rate_source,
            ),
            ct_writes: rates.address(
                rates.log_writes,
                sigstack_ct::log::http::rate_limited,
                "ct_write_address",
                &mut rate_source,
            ),
            exempt_loopback: rates.exempt_loopback,
            client_header: rates.client_header.clone(),
        };
        let identity_limit = rates
            .ca_identity
            .map(|rate| Arc::new(KeyedLimiter::new(rate, rates.max_keys)));
        if let Some(limiter) = &identity_limit {
            let counted = Arc::clone(limiter);
            rate_source.add("ca_identity", move || counted.limited());
        }
        let mut rekor_ledger = None;
        let mut ct_ledger = None;

        if let Some(signer) = self.log {
            let service = RekorService::open(
                Arc::clone(&store),
                self.rekor,
                signer,
                self.ledger.clone(),
                Arc::new(SystemClock),
            )
            .await
            .context("opening the transparency log")?;
            // Index 0 goes to the log itself, before any client is served (see the
            // genesis module of sigstack-rekor for why).
            if service
                .write_genesis(SystemClock.now_unix())
                .await
                .context("writing the log's genesis entry")?
            {
                info!("new transparency log: wrote its genesis entry at index 0");
            }
            let service = Arc::new(service);
            let ledger = service.ledger().clone();
            let head = ledger
                .state()
                .await
                .context("reading the log's tree state")?;
            info!(
                log_id = service.key().log_id_hex(),
                origin = service.key().origin(),
                tree_size = head.size,
                writer = ledger.is_writer(),
                "transparency log open"
            );
            if !ledger.is_writer() {
                warn!("another process holds the transparency log's writer lease: serving its reads only, taking over when it goes away");
            }
            services.ready.push((
                "log",
                Arc::new(LedgerReady {
                    ledger: ledger.clone(),
                    store: Arc::clone(&store),
                    shard: service.config().tree_id,
                }),
            ));
            telemetry.add(LedgerSource {
                log: "rekor",
                ledger: ledger.clone(),
            });
            telemetry.add(RekorSource(Arc::clone(&service)));
            services.log = Some(sigstack_rekor::api::router(service));
            rekor_ledger = Some(ledger);
        }

        let mut ct_log = None;
        if let Some((signer, config)) = self.ct {
            let log = CtLog::open(
                Arc::clone(&store),
                config,
                Arc::new(signer),
                self.ledger.clone(),
                Arc::new(SystemMillisClock),
            )
            .await
            .context("opening the CT log")?;
            let log = Arc::new(log);
            let ledger = log.ledger().clone();
            let head = ledger
                .state()
                .await
                .context("reading the CT log's tree state")?;
            info!(
                log_id = hex::encode(log.log_id().0),
                shard = log.config().shard,
                tree_size = head.size,
                writer = ledger.is_writer(),
                "CT log open"
            );
            if !ledger.is_writer() {
                warn!("another process holds the CT log's writer lease: certificates cannot be issued here until it goes away");
            }
            services.ready.push((
                "ct",
                Arc::new(LedgerReady {
                    ledger: ledger.clone(),
                    store: Arc::clone(&store),
                    shard: log.config().shard,
                }),
            ));
            telemetry.add(LedgerSource {
                log: "ct",
                ledger: ledger.clone(),
            });
            telemetry.add(CtSource(Arc::clone(&log)));
            ct_log = Some(log);
            ct_ledger = Some(ledger);
        }
        // The CT API is served only when asked for; the CA uses the log either way.
        if let (Some(log), true) = (&ct_log, self.ct_api) {
            services.ct = Some(sigstack_ct::log::router(Arc::clone(log)));
        }

        if let (Some((authority, issuers)), Some(log)) = (self.ca, &ct_log) {
            let service = Arc::new(ca::service(authority, issuers, Arc::clone(log))?);
            telemetry.add(CaSource(Arc::clone(&service)));
            let options = sigstack_fulcio::server::HttpOptions {
                identity_limit,
                ..sigstack_fulcio::server::HttpOptions::default()
            };
            services.ca = Some(sigstack_fulcio::server::router_with(service, options));
        }
        if let Some(dev) = self.dev {
            services.dev_oidc = Some(dev_oidc::routes(&dev));
        }
        services.tuf = crate::tuf::serve::start(&self.tuf.0, &self.tuf.1)?;
        if let Some(tsa) = self.tsa {
            telemetry.add(crate::telemetry::TsaSource(Arc::clone(&tsa)));
            services.tsa = Some(sigstack_tsa::server::router(tsa));
        }

        telemetry.add(rate_source);
        let public_stats = Arc::new(ServeStats::default());
        telemetry.add(ServeSource {
            listener: "public",
            stats: Arc::clone(&public_stats),
        });
        let metrics_stats = Arc::new(ServeStats::default());
        if metrics_listener.is_some() {
            telemetry.add(ServeSource {
                listener: "metrics",
                stats: Arc::clone(&metrics_stats),
            });
        }
        let telemetry = Arc::new(telemetry);
        // The metrics listener outlives the public one's drain (scrapes keep working while
        // requests finish) and stops before the ledgers close.
        let (stop_metrics, metrics_stopped) = tokio::sync::watch::channel(());
        let metrics_server = metrics_listener.map(|metrics_listener| {
            if let Ok(addr) = metrics_listener.local_addr() {
                info!(%addr, "serving /metrics on its own listener");
            }
            let mut stopped = metrics_stopped;
            tokio::spawn(sigstack_http::serve(
                metrics_listener,
                routes::metrics_router(Arc::clone(&telemetry)),
                self.limits,
                metrics_stats,
                async move {
                    let _ = stopped.changed().await;
                },
            ))
        });
        let addr = listener.local_addr().unwrap_or(self.listen);
        info!(%addr, "listening");
        let public = routes::router(services, telemetry, self.metrics_listen.is_none());
        let served = sigstack_http::serve(
            listener,
            public,
            self.limits,
            public_stats,
            signal::shutdown_signal(),
        )
        .await
        .context("HTTP server failed");
        drop(stop_metrics);
        if let Some(task) = metrics_server {
            if let Ok(Err(e)) = task.await {
                warn!(error = %e, "the metrics listener failed");
            }
        }
        info!("stopped accepting requests; closing the logs");
        // The CA's requests are over, so nothing submits to the CT log any more.
        if let Some(ledger) = &rekor_ledger {
            ledger.close().await;
        }
        if let Some(ledger) = &ct_ledger {
            ledger.close().await;
        }
        served
    }
}

/// Ready when the database answers a one-row read of the tree state (the ledger's own
/// `state()` is served from memory on a writer, so it would not notice a dead database) and
/// this process is a writer that can write (`Ledger::write_health`). The keys are loaded and checked at start-up, before
/// anything is served, so a running process always has usable keys.
struct LedgerReady<S: Store> {
    ledger: sigstack_ledger::Ledger<S>,
    store: Arc<S>,
    shard: sigstack_ledger::store::ShardId,
}

impl<S: Store> Ready for LedgerReady<S> {
    fn ready(&self) -> ReadyFuture<'_> {
        Box::pin(async move {
            self.store
                .tree_state(self.shard)
                .await
                .map_err(|e| format!("cannot read the tree state: {e}"))?
                .ok_or_else(|| "the tree has not been initialised".to_owned())?;
            // Standby, lease lost, or a store that refuses writes (a full disk).
            self.ledger.write_health()
        })
    }
}
