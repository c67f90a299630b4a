//! `sigstack.toml`, the data directory's configuration.
//!
//! Every error names the file, the key and what is wrong: an operator reading a failed
//! service's log must be able to fix the file without reading our source. Unknown keys are
//! errors too, because a misspelt key silently falling back to a default is how a log ends up
//! listening on the wrong address or writing to the wrong database.

use std::fmt;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use serde::Deserialize;
use sigstack_http::ConnectionLimits;
use sigstack_ledger::LedgerConfig;
use sigstack_rekor::api::{
    default_verify_workers, RekorConfig, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_VERIFY_QUEUE,
};

use crate::cli::DEFAULT_LISTEN;

mod stack;

pub use self::stack::{files, in_data_dir, CaSection, CtSection, DevOidcSection};

/// The configuration file's name inside the data directory.
pub const CONFIG_FILE: &str = "sigstack.toml";

/// The SQLite file `init` points the default configuration at.
pub const DEFAULT_SQLITE_FILE: &str = "sigstack.db";

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The transparency log's identity.
    pub log: LogSection,
    /// The HTTP server.
    #[serde(default)]
    pub server: ServerSection,
    /// Where entries live.
    #[serde(default)]
    pub database: DatabaseSection,
    /// How submissions are batched.
    #[serde(default)]
    pub ledger: LedgerSection,
    /// Rate limits per client address and per OIDC identity.
    #[serde(default)]
    pub limits: LimitsSection,
    /// The certificate authority (absent in data directories made before it existed).
    pub ca: Option<CaSection>,
    /// The CA's CT log.
    pub ct: Option<CtSection>,
    /// The development OIDC issuer (only after `init --dev-oidc`).
    pub dev_oidc: Option<DevOidcSection>,
    /// The TUF repository's metadata lifetimes (see `crate::tuf`).
    #[serde(default)]
    pub tuf: TufSection,
}

/// `[tuf]`: how long the TUF repository's metadata stays valid. Every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TufSection {
    /// Lifetime of `timestamp.json`, in seconds [default: one day]: how long clients keep
    /// trusting a repository whose server stopped re-signing it.
    pub timestamp_lifetime_secs: Option<u64>,
    /// Lifetime of `targets.json` and `snapshot.json`, in seconds [default: 30 days].
    pub metadata_lifetime_secs: Option<u64>,
    /// Lifetime of a new `root.json`, in seconds [default: one year].
    pub root_lifetime_secs: Option<u64>,
}

/// `[log]`: what clients see in checkpoints and entry IDs. Changing either value on a log
/// that has entries makes every old checkpoint and entry ID unverifiable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// Checkpoint origin is `"<hostname> - <tree_id>"`, signature key name `<hostname>`.
    pub hostname: String,
    /// The Rekor tree ID: positive, fits an `int64`; 16 hex digits prefix every entry ID.
    pub tree_id: i64,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// `ADDR:PORT` to listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The base URL clients reach this server at (trust material names it). Unset:
    /// `http://<listen>`.
    pub url: Option<String>,
    /// Largest request body accepted; larger ones get 413. Unset: the API's default.
    pub max_request_body_bytes: Option<usize>,
    /// Longest a request may take before it is answered 503. Unset: the API's default.
    pub request_timeout_secs: Option<u64>,
    /// Longest a request's head (request line and headers) may take to arrive, from its
    /// first byte; a slower connection is dropped. Unset: sigstack-http's default.
    pub header_read_timeout_secs: Option<u64>,
    /// Longest a kept-alive connection may sit with no request in progress.
    pub idle_timeout_secs: Option<u64>,
    /// Connections open at once; past it new connections wait to be accepted.
    pub max_connections: Option<usize>,
    /// Requests one connection may carry before the server closes it (0: no limit).
    pub max_requests_per_connection: Option<u64>,
    /// `ADDR:PORT` of a second listener serving only `/metrics`. When set, `/metrics` is not
    /// served on `listen`.
    pub metrics_listen: Option<String>,
    /// Rekor verifications running at once (the verification pool). Unset: one per core.
    pub verify_workers: Option<usize>,
    /// Rekor verifications that may wait for a worker before requests get 503. Unset: the
    /// API's default.
    pub verify_queue: Option<usize>,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            url: None,
            max_request_body_bytes: None,
            request_timeout_secs: None,
            header_read_timeout_secs: None,
            idle_timeout_secs: None,
            max_connections: None,
            max_requests_per_connection: None,
            metrics_listen: None,
            verify_workers: None,
            verify_queue: None,
        }
    }
}

/// `[limits]`: rate limits (docs/operations.md, "Connection limits and rate limiting").
/// A `*_per_minute` of 0 turns that limit off; unset keys take the defaults below.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// `false` turns every rate limit off.
    pub enabled: Option<bool>,
    /// Certificate requests per client address.
    pub ca_per_address_per_minute: Option<u32>,
    /// Burst of the above.
    pub ca_per_address_burst: Option<u32>,
    /// Certificate requests per OIDC identity (issuer and subject).
    pub ca_per_identity_per_minute: Option<u32>,
    /// Burst of the above.
    pub ca_per_identity_burst: Option<u32>,
    /// Log writes (Rekor entries, CT add-chain/add-pre-chain) per client address.
    pub log_writes_per_address_per_minute: Option<u32>,
    /// Burst of the above.
    pub log_writes_per_address_burst: Option<u32>,
    /// Loopback clients are not limited (the development quickstart, local tools).
    pub exempt_loopback: Option<bool>,
    /// A header a trusted reverse proxy sets to the client's address (`x-forwarded-for`).
    pub client_address_header: Option<String>,
    /// Client addresses (or identities) tracked per limit; bounds the memory.
    pub max_tracked_clients: Option<usize>,
}

/// Defaults of `[limits]`: far above what one signer or CI job does, low enough that one
/// address cannot fill the log or keep the CA busy.
pub mod limit_defaults {
    /// Certificate requests per address per minute, and burst.
    pub const CA_PER_ADDRESS: (u32, u32) = (120, 30);
    /// Certificate requests per identity per minute, and burst.
    pub const CA_PER_IDENTITY: (u32, u32) = (30, 10);
    /// Log writes per address per minute, and burst.
    pub const LOG_WRITES_PER_ADDRESS: (u32, u32) = (600, 100);
    /// Tracked keys per limit.
    pub const MAX_TRACKED_CLIENTS: usize = 100_000;
}

/// `[ledger]`: the sequencer's batching. Unset keys take the ledger's defaults, so the
/// defaults live in one place and improve with it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerSection {
    /// Most entries integrated in one database transaction.
    pub max_batch: Option<usize>,
    /// How long a batch waits for more submissions after its first, in milliseconds.
    pub max_delay_ms: Option<u64>,
    /// Submissions that may wait for the sequencer; beyond it clients get 503.
    pub queue_capacity: Option<usize>,
    /// Full hash tiles kept in memory (about 16 KiB each); one per 256 entries makes every
    /// inclusion proof a memory read. 0 turns the cache off.
    pub tile_cache_tiles: Option<usize>,
    /// MiB of the newest entries the writer keeps in memory for reads. 0 turns it off.
    pub recent_entries_mib: Option<usize>,
    /// Database queries that single-entry reads may have in flight at once; reads that
    /// arrive meanwhile share the next query.
    pub point_read_slots: Option<usize>,
}

fn default_listen() -> String {
    DEFAULT_LISTEN.to_owned()
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    /// `sqlite:PATH` (relative paths are inside the data directory) or `postgres://…`.
    #[serde(default = "default_database_url")]
    pub url: String,
    /// A hot-standby replica of `url` (`postgres://…`) that a process serves reads from
    /// while it is not the writer.
    #[serde(default)]
    pub read_url: Option<String>,
}

impl Default for DatabaseSection {
    fn default() -> Self {
        Self {
            url: default_database_url(),
            read_url: None,
        }
    }
}

fn default_database_url() -> String {
    format!("sqlite:{DEFAULT_SQLITE_FILE}")
}

/// A parsed database URL: which engine, and where.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// The embedded engine, one file.
    Sqlite(PathBuf),
    /// A PostgreSQL server (the URL as given, credentials included).
    Postgres(String),
}

impl fmt::Debug for DatabaseUrl {
    // Never print a PostgreSQL password into logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            Self::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

impl DatabaseUrl {
    /// Parses `url`; a relative SQLite path is taken inside `base` (the data directory), so a
    /// data directory can be moved or restored elsewhere as a whole.
    pub fn parse(url: &str, base: &Path) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            // `sqlx` style options (`?mode=rwc`) are not ours to interpret.
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                bail!("`{url}` names no file (write `sqlite:{DEFAULT_SQLITE_FILE}`)");
            }
            let path = Path::new(path);
            return Ok(Self::Sqlite(if path.is_absolute() {
                path.to_path_buf()
            } else {
                base.join(path)
            }));
        }
        bail!(
            "`{}` is neither `postgres://…` nor `sqlite:PATH`",
            redact_password(url)
        )
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

impl Config {
    /// A new configuration as `init` writes it.
    pub fn new(hostname: String, tree_id: i64) -> Self {
        Self {
            log: LogSection { hostname, tree_id },
            server: ServerSection::default(),
            database: DatabaseSection::default(),
            ledger: LedgerSection::default(),
            limits: LimitsSection::default(),
            ca: None,
            ct: None,
            dev_oidc: None,
            tuf: TufSection::default(),
        }
    }

    /// The Rekor API's configuration.
    pub fn rekor_config(&self) -> RekorConfig {
        let mut rekor = RekorConfig::new(self.log.hostname.clone(), self.log.tree_id);
        if let Some(bytes) = self.server.max_request_body_bytes {
            rekor.max_body_bytes = bytes;
        }
        if let Some(secs) = self.server.request_timeout_secs {
            rekor.request_timeout = Duration::from_secs(secs);
        }
        if let Some(n) = self.server.verify_workers {
            rekor.verify_workers = n;
        }
        if let Some(n) = self.server.verify_queue {
            rekor.verify_queue = n;
        }
        rekor
    }

    /// The listener's connection limits: the configured keys over sigstack-http's defaults.
    pub fn connection_limits(&self) -> ConnectionLimits {
        let mut limits = ConnectionLimits::default();
        let server = &self.server;
        if let Some(secs) = server.header_read_timeout_secs {
            limits.header_read_timeout = Duration::from_secs(secs);
        }
        if let Some(secs) = server.idle_timeout_secs {
            limits.idle_timeout = Duration::from_secs(secs);
        }
        if let Some(n) = server.max_connections {
            limits.max_connections = n;
        }
        if let Some(n) = server.max_requests_per_connection {
            limits.max_requests_per_connection = n;
        }
        limits
    }

    /// The address of the separate `/metrics` listener, if one is configured.
    pub fn metrics_listen(&self) -> Result<Option<SocketAddr>> {
        self.server
            .metrics_listen
            .as_deref()
            .map(|addr| {
                addr.parse()
                    .with_context(|| format!("`server.metrics_listen` `{addr}`"))
            })
            .transpose()
    }

    /// A rate from `[limits]`: `None` when limits are off or this one's rate is 0.
    pub fn rate(
        &self,
        per_minute: Option<u32>,
        burst: Option<u32>,
        default: (u32, u32),
    ) -> Option<sigstack_http::ratelimit::Rate> {
        if self.limits.enabled == Some(false) {
            return None;
        }
        let per_minute = per_minute.unwrap_or(default.0);
        (per_minute > 0).then(|| sigstack_http::ratelimit::Rate {
            per_minute,
            burst: burst.unwrap_or(default.1).max(1),
        })
    }

    /// The ledger's configuration (the shard is set from `log.tree_id` by the service).
    pub fn ledger_config(&self) -> LedgerConfig {
        let mut ledger = LedgerConfig::new(self.log.tree_id);
        if let Some(n) = self.ledger.max_batch {
            ledger.max_batch = n;
        }
        if let Some(ms) = self.ledger.max_delay_ms {
            ledger.max_delay = Duration::from_millis(ms);
        }
        if let Some(n) = self.ledger.queue_capacity {
            ledger.queue_capacity = n;
        }
        if let Some(n) = self.ledger.tile_cache_tiles {
            ledger.tile_cache_tiles = n;
        }
        if let Some(mib) = self.ledger.recent_entries_mib {
            ledger.recent_entries_bytes = mib.saturating_mul(1 << 20);
        }
        if let Some(n) = self.ledger.point_read_slots {
            ledger.point_read_slots = n;
        }
        ledger
    }

    /// Reads and validates `DIR/sigstack.toml`.
    pub fn load(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(CONFIG_FILE);
        let text = fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {} (run `sigstack init --data-dir {}` first)",
                path.display(),
                data_dir.display()
            )
        })?;
        Self::parse(&text, &path)
    }

    /// Parses and validates configuration text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let config: Self = toml::from_str(text)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let file = path.display();
        if let Err(why) = check_hostname(&self.log.hostname) {
            bail!("{file}: key `log.hostname`: {why}");
        }
        if self.log.tree_id <= 0 {
            bail!(
                "{file}: key `log.tree_id`: must be a positive 63-bit integer, found {}",
                self.log.tree_id
            );
        }
        if self.server.listen.parse::<SocketAddr>().is_err() {
            bail!(
                "{file}: key `server.listen`: `{}` is not an address like {DEFAULT_LISTEN}",
                self.server.listen
            );
        }
        if let Some(addr) = &self.server.metrics_listen {
            if addr.parse::<SocketAddr>().is_err() {
                bail!(
                    "{file}: key `server.metrics_listen`: `{addr}` is not an address like \
                     0.0.0.0:9090"
                );
            }
        }
        if let Some(name) = &self.limits.client_address_header {
            if axum::http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                bail!("{file}: key `limits.client_address_header`: `{name}` is not a header name");
            }
        }
        if let Err(e) = DatabaseUrl::parse(&self.database.url, Path::new(".")) {
            bail!("{file}: key `database.url`: {e:#}");
        }
        let positive = [
            (
                "server.max_request_body_bytes",
                self.server.max_request_body_bytes.map(|n| n as u64),
            ),
            (
                "server.request_timeout_secs",
                self.server.request_timeout_secs,
            ),
            (
                "server.header_read_timeout_secs",
                self.server.header_read_timeout_secs,
            ),
            ("server.idle_timeout_secs", self.server.idle_timeout_secs),
            (
                "server.max_connections",
                self.server.max_connections.map(|n| n as u64),
            ),
            (
                "server.verify_workers",
                self.server.verify_workers.map(|n| n as u64),
            ),
            ("ledger.max_batch", self.ledger.max_batch.map(|n| n as u64)),
            (
                "ledger.queue_capacity",
                self.ledger.queue_capacity.map(|n| n as u64),
            ),
            (
                "ledger.point_read_slots",
                self.ledger.point_read_slots.map(|n| n as u64),
            ),
        ];
        for (key, value) in positive {
            if value == Some(0) {
                bail!("{file}: key `{key}`: must be at least 1 (or left out for the default)");
            }
        }
        if let Some(url) = &self.server.url {
            if let Err(why) = check_base_url(url) {
                bail!("{file}: key `server.url`: {why}");
            }
        }
        let file = file.to_string();
        if let Some(ca) = &self.ca {
            ca.validate(&file)?;
        }
        if let Some(ct) = &self.ct {
            ct.validate(&file, self.log.tree_id)?;
        }
        if let Some(dev) = &self.dev_oidc {
            dev.validate(&file)?;
        }
        Ok(())
    }

    /// The base URL clients reach this server at: `server.url`, else `http://<listen>`.
    /// Refuses a wildcard listen address, which no client can connect to.
    pub fn base_url(&self) -> Result<String> {
        if let Some(url) = &self.server.url {
            return Ok(url.trim_end_matches('/').to_owned());
        }
        let listen = self.listen()?;
        if listen.ip().is_unspecified() {
            bail!(
                "`server.listen` is {listen}, which is no address a client can reach: set \
                 `server.url` in {CONFIG_FILE} (or pass --url)"
            );
        }
        Ok(format!("http://{listen}"))
    }

    /// [`Config::base_url`], except that a wildcard listen address becomes loopback on the
    /// same port: what this machine's own clients use (`up`, the development issuer's URL).
    pub fn local_base_url(&self) -> Result<String> {
        if self.server.url.is_none() {
            let listen = self.listen()?;
            if listen.ip().is_unspecified() {
                let loopback = if listen.is_ipv4() {
                    "127.0.0.1"
                } else {
                    "[::1]"
                };
                return Ok(format!("http://{loopback}:{}", listen.port()));
            }
        }
        self.base_url()
    }

    /// `[ca]`, or an error saying how to add it.
    pub fn ca_section(&self, data_dir: &Path) -> Result<&CaSection> {
        self.ca
            .as_ref()
            .ok_or_else(|| missing_section(data_dir, "ca", "the certificate authority"))
    }

    /// `[ct]`, or an error saying how to add it.
    pub fn ct_section(&self, data_dir: &Path) -> Result<&CtSection> {
        self.ct
            .as_ref()
            .ok_or_else(|| missing_section(data_dir, "ct", "the CT log"))
    }

    /// `[dev_oidc]`, or an error saying how to add it.
    pub fn dev_oidc_section(&self, data_dir: &Path) -> Result<&DevOidcSection> {
        self.dev_oidc.as_ref().ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no `[dev_oidc]` section: run `sigstack init --dev-oidc --data-dir {}` to \
                 create the development OIDC issuer",
                data_dir.join(CONFIG_FILE).display(),
                data_dir.display()
            )
        })
    }

    /// The database to use: `flag` (`--database-url`) if given, else `database.url`; a
    /// relative SQLite path is inside `data_dir` either way.
    pub fn database_url(&self, data_dir: &Path, flag: Option<&str>) -> Result<DatabaseUrl> {
        match flag {
            Some(url) => DatabaseUrl::parse(url, data_dir).context("--database-url"),
            None => DatabaseUrl::parse(&self.database.url, data_dir).with_context(|| {
                format!(
                    "{}: key `database.url`",
                    data_dir.join(CONFIG_FILE).display()
                )
            }),
        }
    }

    /// The read replica to use: `flag` (`--read-database-url`) if given, else
    /// `database.read_url`. Only a PostgreSQL replica of a PostgreSQL primary makes sense.
    pub fn read_database_url(
        &self,
        primary: &DatabaseUrl,
        flag: Option<&str>,
    ) -> Result<Option<String>> {
        let Some(url) = flag.or(self.database.read_url.as_deref()) else {
            return Ok(None);
        };
        let parsed = DatabaseUrl::parse(url, Path::new(".")).context("--read-database-url")?;
        match (primary, parsed) {
            (DatabaseUrl::Postgres(_), DatabaseUrl::Postgres(url)) => Ok(Some(url)),
            _ => bail!(
                "--read-database-url: a read replica needs PostgreSQL for both the database \
                 and the replica"
            ),
        }
    }

    /// The listen address (validated at load).
    pub fn listen(&self) -> Result<SocketAddr> {
        self.server
            .listen
            .parse()
            .with_context(|| format!("`server.listen` `{}`", self.server.listen))
    }

    /// The file's text, with a comment on every key. Tuning keys are written commented out
    /// with their current defaults, so the file documents them without pinning them.
    pub fn to_toml(&self) -> String {
        let ledger = LedgerConfig::default();
        let limits = ConnectionLimits::default();
        let mut text = format!(
            "# sigstack configuration, written by `sigstack init`.\n\
             \n\
             [log]\n\
             # The log's name: checkpoints carry the origin \"<hostname> - <tree_id>\" and are\n\
             # signed under this name. Never change it (or tree_id) once the log has entries.\n\
             hostname = {hostname}\n\
             # Rekor tree ID (positive int64); its 16 hex digits prefix every entry ID.\n\
             tree_id = {tree_id}\n\
             \n\
             [server]\n\
             # Address the HTTP API listens on (`sigstack serve --listen` overrides it).\n\
             listen = {listen}\n\
             # Base URL clients reach this server at (trust-root writes it into the trust\n\
             # material). Default: http://<listen>.\n\
             # url = \"https://sigstack.example\"\n\
             # Largest request body accepted, in bytes; larger ones are answered 413.\n\
             # max_request_body_bytes = {body}\n\
             # Longest a request may take, in seconds, before it is answered 503.\n\
             # request_timeout_secs = {timeout}\n\
             # Connection hygiene (docs/operations.md, \"Connection limits and rate\n\
             # limiting\"): seconds a request head may take to arrive, seconds an idle\n\
             # kept-alive connection stays open, connections open at once, and requests\n\
             # per connection (0: no limit).\n\
             # header_read_timeout_secs = {header_timeout}\n\
             # idle_timeout_secs = {idle_timeout}\n\
             # max_connections = {max_connections}\n\
             # max_requests_per_connection = {max_requests}\n\
             # A second listener for /metrics only; when set, /metrics leaves `listen`.\n\
             # metrics_listen = \"0.0.0.0:9090\"\n\
             # Log entry verifications (signature checks) running at once, off the threads\n\
             # that serve reads. Default: one per core.\n\
             # verify_workers = {verify_workers}\n\
             # Verifications that may wait for a worker; beyond it clients get 503.\n\
             # verify_queue = {verify_queue}\n\
             \n\
             [database]\n\
             # `sqlite:PATH` (relative to this directory) or `postgres://user@host/db`\n\
             # (`sigstack serve --database-url` overrides it).\n\
             url = {url}\n\
             \n\
             [ledger]\n\
             # Most entries integrated (and committed) in one database transaction.\n\
             # max_batch = {max_batch}\n\
             # How long a batch waits for more entries after its first, in milliseconds.\n\
             # max_delay_ms = {max_delay}\n\
             # Submissions that may wait; beyond it clients get 503 with Retry-After.\n\
             # queue_capacity = {queue}\n\
             # Full hash tiles cached in memory, about 16 KiB each: one per 256 entries keeps\n\
             # every inclusion proof in memory. 0 turns the cache off.\n\
             # tile_cache_tiles = {tiles}\n\
             # MiB of the newest entries kept in memory for reads. 0 turns it off.\n\
             # recent_entries_mib = {recent}\n\
             # Database queries single-entry reads may have in flight; reads arriving\n\
             # meanwhile share the next one.\n\
             # point_read_slots = {slots}\n\
             \n\
             [limits]\n\
             # Rate limits (docs/operations.md, \"Connection limits and rate limiting\"): a\n\
             # burst per key, refilled per minute; over it, 429 with Retry-After. A rate of\n\
             # 0 turns that limit off; `enabled = false` turns them all off.\n\
             # ca_per_address_per_minute = {ca_a}\n\
             # ca_per_address_burst = {ca_a_b}\n\
             # ca_per_identity_per_minute = {ca_i}\n\
             # ca_per_identity_burst = {ca_i_b}\n\
             # log_writes_per_address_per_minute = {log_a}\n\
             # log_writes_per_address_burst = {log_a_b}\n\
             # Loopback clients (local tools, the development quickstart) are not limited.\n\
             # exempt_loopback = true\n\
             # Behind a reverse proxy you run that sets it: the client's address header.\n\
             # client_address_header = \"x-forwarded-for\"\n",
            hostname = toml_string(&self.log.hostname),
            tree_id = self.log.tree_id,
            listen = toml_string(&self.server.listen),
            url = toml_string(&self.database.url),
            body = DEFAULT_MAX_BODY_BYTES,
            timeout = DEFAULT_REQUEST_TIMEOUT.as_secs(),
            header_timeout = limits.header_read_timeout.as_secs(),
            idle_timeout = limits.idle_timeout.as_secs(),
            max_connections = limits.max_connections,
            max_requests = limits.max_requests_per_connection,
            verify_workers = default_verify_workers(),
            verify_queue = DEFAULT_VERIFY_QUEUE,
            max_batch = ledger.max_batch,
            max_delay = ledger.max_delay.as_millis(),
            queue = ledger.queue_capacity,
            tiles = ledger.tile_cache_tiles,
            recent = ledger.recent_entries_bytes >> 20,
            slots = ledger.point_read_slots,
            ca_a = limit_defaults::CA_PER_ADDRESS.0,
            ca_a_b = limit_defaults::CA_PER_ADDRESS.1,
            ca_i = limit_defaults::CA_PER_IDENTITY.0,
            ca_i_b = limit_defaults::CA_PER_IDENTITY.1,
            log_a = limit_defaults::LOG_WRITES_PER_ADDRESS.0,
            log_a_b = limit_defaults::LOG_WRITES_PER_ADDRESS.1,
        );
        text.extend(self.ca.as_ref().map(CaSection::to_toml));
        text.extend(self.ct.as_ref().map(CtSection::to_toml));
        text.extend(self.dev_oidc.as_ref().map(DevOidcSection::to_toml));
        text
    }
}

fn missing_section(data_dir: &Path, section: &str, what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{}: no `[{section}]` section, so {what} is not set up: run `sigstack init --data-dir {}` \
         (it adds the missing keys and sections and keeps everything that exists)",
        data_dir.join(CONFIG_FILE).display(),
        data_dir.display()
    )
}

/// Why `url` cannot be a base URL for clients, if it cannot.
pub fn check_base_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host)
            if !host.is_empty() && !host.starts_with('/') && !url.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "`{url}` is not an http(s) URL like http://sigstack.example:3000"
        )),
    }
}

/// The data directory as an absolute path, so log lines and fsck state name one database
/// whatever the working directory was.
pub fn absolute_data_dir(dir: &Path) -> Result<PathBuf> {
    fs::canonicalize(dir).with_context(|| {
        format!(
            "no data directory at {} (run `sigstack init --data-dir {}` first)",
            dir.display(),
            dir.display()
        )
    })
}

/// Why `name` cannot be a log hostname, if it cannot. It becomes a signed-note key name, so
/// it must be non-empty with no whitespace and no `+`.
pub fn check_hostname(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if !sigstack_merkle::note::is_valid_key_name(name) {
        return Err(format!(
            "`{name}` cannot name a checkpoint signer (no spaces, `+` or control characters)"
        ));
    }
    Ok(())
}

/// A TOML basic string. Values we write are hostnames, addresses and URLs, but quote fully
/// anyway so a strange hostname cannot produce a file we then refuse to read.
pub(crate) fn toml_string(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, Path::new("/d/sigstack.toml"))
    }

    #[test]
    fn written_file_reads_back() {
        let config = Config::new("log.example".into(), 42);
        let back = parse(&config.to_toml()).unwrap();
        assert_eq!(back.log.hostname, "log.example");
        assert_eq!(back.log.tree_id, 42);
        assert_eq!(back.listen().unwrap().to_string(), DEFAULT_LISTEN);
        assert_eq!(
            DatabaseUrl::parse(&back.database.url, Path::new("/d")).unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("/d/sigstack.db"))
        );
    }

    #[test]
    fn errors_name_file_and_key() {
        let bad_tree = "[log]\nhostname = \"h\"\ntree_id = 0\n";
        let e = format!("{:#}", parse(bad_tree).unwrap_err());
        assert!(
            e.contains("/d/sigstack.toml") && e.contains("log.tree_id"),
            "{e}"
        );

        let bad_listen = "[log]\nhostname = \"h\"\ntree_id = 1\n[server]\nlisten = \"nope\"\n";
        let e = format!("{:#}", parse(bad_listen).unwrap_err());
        assert!(e.contains("server.listen") && e.contains("nope"), "{e}");

        let bad_host = "[log]\nhostname = \"a b\"\ntree_id = 1\n";
        let e = format!("{:#}", parse(bad_host).unwrap_err());
        assert!(e.contains("log.hostname"), "{e}");

        let bad_db = "[log]\nhostname = \"h\"\ntree_id = 1\n[database]\nurl = \"mysql://x\"\n";
        let e = format!("{:#}", parse(bad_db).unwrap_err());
        assert!(e.contains("database.url"), "{e}");

        let unknown = "[log]\nhostname = \"h\"\ntree_id = 1\ntreeid = 2\n";
        let e = format!("{:#}", parse(unknown).unwrap_err());
        assert!(
            e.contains("/d/sigstack.toml") && e.contains("treeid"),
            "{e}"
        );

        let missing = "[log]\nhostname = \"h\"\n";
        let e = format!("{:#}", parse(missing).unwrap_err());
        assert!(e.contains("tree_id"), "{e}");
    }

    #[test]
    fn connection_and_rate_limit_keys_are_written_and_read() {
        let written = Config::new("h".into(), 7).to_toml();
        let uncommented = written
            .replace("# header_read", "header_read")
            .replace("# idle_", "idle_")
            .replace("# max_conn", "max_conn")
            .replace("# max_requests", "max_requests")
            .replace("# ca_per", "ca_per")
            .replace("# log_writes", "log_writes")
            .replace("# exempt_", "exempt_");
        let config = parse(&uncommented).unwrap();
        assert_eq!(config.connection_limits(), ConnectionLimits::default());
        assert_eq!(
            config.limits.ca_per_identity_per_minute,
            Some(limit_defaults::CA_PER_IDENTITY.0)
        );
        let rate = config.rate(None, None, limit_defaults::CA_PER_ADDRESS);
        assert_eq!(rate.map(|r| r.per_minute), Some(120));
        assert_eq!(config.rate(Some(0), None, (1, 1)), None);
        let off = parse(&written.replace("[limits]\n", "[limits]\nenabled = false\n")).unwrap();
        assert_eq!(off.rate(Some(5), Some(5), (1, 1)), None);
        let zero = written.replace("# max_connections = ", "max_connections = 0\n# ");
        let e = format!("{:#}", parse(&zero).unwrap_err());
        assert!(e.contains("server.max_connections"), "{e}");
        let bad = written.replace("[server]\n", "[server]\nmetrics_listen = \"nope\"\n");
        let e = format!("{:#}", parse(&bad).unwrap_err());
        assert!(e.contains("server.metrics_listen"), "{e}");
    }

    #[test]
    fn tuning_keys_reach_the_services() {
        let written = Config::new("h".into(), 7).to_toml();
        let defaults = parse(&written).unwrap();
        assert_eq!(defaults.ledger_config(), LedgerConfig::new(7));
        assert_eq!(defaults.rekor_config(), RekorConfig::new("h", 7));
        // Uncommenting the written defaults changes nothing.
        let uncommented = written
            .replace("# max_", "max_")
            .replace("# request_", "request_")
            .replace("# queue_", "queue_")
            .replace("# tile_", "tile_")
            .replace("# recent_", "recent_")
            .replace("# point_", "point_");
        assert!(
            uncommented.contains("\ntile_cache_tiles = "),
            "{uncommented}"
        );
        let same = parse(&uncommented).unwrap();
        assert_eq!(same.ledger_config(), LedgerConfig::new(7));
        assert_eq!(same.rekor_config(), RekorConfig::new("h", 7));

        let tuned = parse(
            "[log]\nhostname = \"h\"\ntree_id = 7\n[server]\nmax_request_body_bytes = 10\n\
             request_timeout_secs = 3\nverify_workers = 3\nverify_queue = 0\n\
             [ledger]\nmax_batch = 5\nmax_delay_ms = 0\n\
             tile_cache_tiles = 9000\nrecent_entries_mib = 3\npoint_read_slots = 2\n",
        )
        .unwrap();
        assert_eq!(tuned.ledger_config().tile_cache_tiles, 9000);
        assert_eq!(tuned.ledger_config().recent_entries_bytes, 3 << 20);
        assert_eq!(tuned.ledger_config().point_read_slots, 2);
        assert_eq!(tuned.rekor_config().max_body_bytes, 10);
        assert_eq!(tuned.rekor_config().request_timeout, Duration::from_secs(3));
        assert_eq!(tuned.rekor_config().verify_workers, 3);
        assert_eq!(tuned.rekor_config().verify_queue, 0);
        assert_eq!(tuned.ledger_config().max_batch, 5);
        assert_eq!(tuned.ledger_config().max_delay, Duration::ZERO);

        let zero = "[log]\nhostname = \"h\"\ntree_id = 7\n[ledger]\nmax_batch = 0\n";
        let e = format!("{:#}", parse(zero).unwrap_err());
        assert!(e.contains("ledger.max_batch"), "{e}");
    }

    #[test]
    fn base_urls() {
        let mut config = Config::new("h".into(), 1);
        assert_eq!(config.base_url().unwrap(), "http://127.0.0.1:3000");
        config.server.listen = "0.0.0.0:8080".into();
        let e = format!("{:#}", config.base_url().unwrap_err());
        assert!(e.contains("server.url"), "{e}");
        assert_eq!(config.local_base_url().unwrap(), "http://127.0.0.1:8080");
        config.server.url = Some("https://sigstack.example/".into());
        assert_eq!(config.base_url().unwrap(), "https://sigstack.example");
        assert_eq!(config.local_base_url().unwrap(), "https://sigstack.example");
        let bad = "[log]\nhostname = \"h\"\ntree_id = 1\n[server]\nurl = \"ftp://x\"\n";
        let e = format!("{:#}", parse(bad).unwrap_err());
        assert!(e.contains("server.url"), "{e}");
    }

    #[test]
    fn stack_sections_are_validated() {
        let base = "[log]\nhostname = \"h\"\ntree_id = 7\n";
        let same_tree = format!("{base}[ct]\ntree_id = 7\nkey = \"k\"\npublic_key = \"p\"\n");
        let e = format!("{:#}", parse(&same_tree).unwrap_err());
        assert!(e.contains("ct.tree_id") && e.contains("log.tree_id"), "{e}");
        let no_certs = format!("{base}[ca]\ncertificates = []\nkey = \"k\"\n");
        let e = format!("{:#}", parse(&no_certs).unwrap_err());
        assert!(e.contains("ca.certificates"), "{e}");
        let bad_issuer =
            format!("{base}[dev_oidc]\nissuer_url = \"x\"\nkey = \"k\"\njwks = \"j\"\n");
        let e = format!("{:#}", parse(&bad_issuer).unwrap_err());
        assert!(e.contains("dev_oidc.issuer_url"), "{e}");
        let unknown = format!("{base}[ca]\ncertificates = [\"a\"]\nkey = \"k\"\nconfg = \"x\"\n");
        let e = format!("{:#}", parse(&unknown).unwrap_err());
        assert!(e.contains("confg"), "{e}");

        let mut full = Config::new("h".into(), 7);
        full.ca = Some(CaSection::new("o"));
        full.ct = Some(CtSection::new(8));
        full.dev_oidc = Some(DevOidcSection::new("http://127.0.0.1:3000"));
        let back = parse(&full.to_toml()).unwrap();
        assert_eq!(back.ct.unwrap().tree_id, 8);
        assert_eq!(back.ca.unwrap().certificates.len(), 2);
        assert_eq!(
            back.dev_oidc.unwrap().issuer_url,
            "http://127.0.0.1:3000/dev-oidc"
        );
    }

    #[test]
    fn database_urls() {
        let base = Path::new("/data");
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db", base).unwrap(),
            DatabaseUrl::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///abs/x.db", base).unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("/abs/x.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:x.db?mode=rwc", base).unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("/data/x.db"))
        );
        assert!(DatabaseUrl::parse("sqlite:", base).is_err());
        assert!(DatabaseUrl::parse("/x.db", base).is_err());
    }

    #[test]
    fn read_replica_urls() {
        let pg = DatabaseUrl::Postgres("postgres://u@primary/db".into());
        let mut config = Config::new("h".into(), 7);
        assert_eq!(config.read_database_url(&pg, None).unwrap(), None);
        config.database.read_url = Some("postgres://u@replica/db".into());
        assert_eq!(
            config.read_database_url(&pg, None).unwrap().as_deref(),
            Some("postgres://u@replica/db")
        );
        let flag = Some("postgres://u@other/db");
        assert_eq!(
            config.read_database_url(&pg, flag).unwrap().as_deref(),
            flag
        );
        // A replica of SQLite, or a SQLite "replica", makes no sense.
        let sqlite = DatabaseUrl::Sqlite(PathBuf::from("/d/x.db"));
        assert!(config.read_database_url(&sqlite, None).is_err());
        let e = config
            .read_database_url(&pg, Some("sqlite:x.db"))
            .unwrap_err();
        assert!(format!("{e:#}").contains("PostgreSQL"), "{e:#}");
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        let url = DatabaseUrl::Postgres("postgres://u:secret@h/db".into());
        assert_eq!(url.to_string(), "postgres://u:***@h/db");
        assert!(!format!("{url:?}").contains("secret"));
        let e = DatabaseUrl::parse("mysql://u:secret@h/db", Path::new("/")).unwrap_err();
        assert!(!e.to_string().contains("secret"));
    }

    #[test]
    fn strange_hostnames_are_quoted() {
        let s = toml_string("a\"b\\c");
        let v: toml::Table = toml::from_str(&format!("k = {s}")).unwrap();
        assert_eq!(v["k"].as_str().unwrap(), "a\"b\\c");
    }
}
