//! The command line. Flags here are a public interface: scripts and service units depend on
//! them, so they only ever gain options, never change. `sigstack serve --data-dir DIR` with no
//! component runs everything, as it did when the log was all there was.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The listen address when neither `--listen` nor the configuration file names one: loopback
/// only, so a fresh `init` + `serve` never exposes an unconfigured log to the network.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";

/// Where every `--database-url` also reads from, so a PostgreSQL password can come from the
/// environment (a Kubernetes Secret) instead of the process arguments or a file. The flag
/// wins over the variable; help output never prints the variable's value.
pub const DATABASE_URL_ENV: &str = "SIGSTACK_DATABASE_URL";

/// Where `--read-database-url` also reads from (as [`DATABASE_URL_ENV`]).
pub const READ_DATABASE_URL_ENV: &str = "SIGSTACK_READ_DATABASE_URL";

/// sigstack: a self-hosted Sigstore stack (transparency log, keyless CA, CT log) in one binary.
#[derive(Debug, Parser)]
#[command(name = "sigstack", version, about, propagate_version = true)]
pub struct Cli {
    /// Log line format on stderr. The filter comes from `RUST_LOG` (default `info`).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create (or complete) a data directory: log, CA and CT keys, configuration.
    Init(InitArgs),
    /// Run the services: the transparency log, the CA and its CT log (all by default).
    Serve(ServeArgs),
    /// Quickstart: `init` if needed, trust material into DIR/trust, then `serve` everything.
    Up(UpArgs),
    /// Print an identity token from the development OIDC issuer (valid 10 minutes).
    DevToken(DevTokenArgs),
    /// Write the trust material clients need: trusted root, signing config, PEMs, cosign.env.
    TrustRoot(TrustRootArgs),
    /// Apply the database schema to a PostgreSQL (or SQLite) database.
    Migrate(MigrateArgs),
    /// Log maintenance.
    #[command(subcommand)]
    Log(LogCommand),
    /// The TUF repository served at /tuf/: create, check, re-sign, export, rotate the root.
    #[command(subcommand)]
    Tuf(TufCommand),
}

/// `sigstack tuf …`.
#[derive(Debug, Subcommand)]
pub enum TufCommand {
    /// Create the TUF repository of an existing data directory (`init` does it for new ones).
    Init(TufInitArgs),
    /// Versions, expiry, keys, and a client-side check of the published repository.
    Status(TufDirArgs),
    /// Re-sign what is due now (`serve` does this by itself while it runs).
    Publish(TufDirArgs),
    /// Copy the repository (re-signed if due) into a directory for any static web server.
    Export(TufExportArgs),
    /// Publish a new root (version + 1) listing `--key`s, signed by them and by enough
    /// `--sign-with` keys of the current root. A `--key` file that does not exist is created.
    RotateRoot(TufRotateRootArgs),
    /// Stage the next root with more root keys (created when their file does not exist) and
    /// optionally a new threshold; it is published once enough keys have run `tuf sign`.
    AddKey(TufAddKeyArgs),
    /// Sign the staged root with one root key (current or new); publishes it when both the
    /// current root's threshold and its own are met.
    Sign(TufSignArgs),
}

/// `sigstack tuf add-key`.
#[derive(Debug, Args)]
pub struct TufAddKeyArgs {
    /// The directory `sigstack init` made.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// A root key to add (repeat; created when the file does not exist).
    #[arg(long, value_name = "FILE", required = true)]
    pub key: Vec<PathBuf>,
    /// The new root threshold [default: the current one].
    #[arg(long, value_name = "N")]
    pub threshold: Option<u64>,
}

/// `sigstack tuf sign`.
#[derive(Debug, Args)]
pub struct TufSignArgs {
    /// The directory `sigstack init` made.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// The root key to sign with.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
}

/// `sigstack tuf init`.
#[derive(Debug, Args)]
pub struct TufInitArgs {
    /// The directory `sigstack init` made.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// How many root keys to create.
    #[arg(long, value_name = "N", default_value_t = crate::tuf::DEFAULT_ROOT_KEYS)]
    pub root_keys: u64,
    /// How many root keys must sign a root.
    #[arg(long, value_name = "N", default_value_t = crate::tuf::DEFAULT_ROOT_THRESHOLD)]
    pub root_threshold: u64,
}

/// `sigstack tuf status|publish`.
#[derive(Debug, Args)]
pub struct TufDirArgs {
    /// The directory `sigstack init` made.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
}

/// `sigstack tuf export`.
#[derive(Debug, Args)]
pub struct TufExportArgs {
    /// The directory `sigstack init` made.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Where to copy the repository (the static server's `…/tuf` directory).
    #[arg(long, value_name = "OUT")]
    pub out: PathBuf,
}

/// `sigstack tuf rotate-root`.
#[derive(Debug, Args)]
pub struct TufRotateRootArgs {
    /// The directory `sigstack init` made.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,
    /// A root key of the new root (repeat; created when the file does not exist).
    #[arg(long, value_name = "FILE", required = true)]
    pub key: Vec<PathBuf>,
    /// How many of the new root keys must sign a root.
    #[arg(long, value_name = "N")]
    pub threshold: u64,
    /// A key of the current root that signs the new one (repeat, up to its threshold).
    #[arg(long, value_name = "FILE", required = true)]
    pub sign_with: Vec<PathBuf>,
}

/// `sigstack init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The directory to create (or complete); it holds keys, configuration and the SQLite file.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,

    /// The log's name in checkpoints (`<hostname> - <tree ID>`) and its signature line, and
    /// the CA's common name. Defaults to this machine's hostname, as Rekor does.
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,

    /// `server.listen` for a new configuration [default: 127.0.0.1:3000]. An existing
    /// configuration keeps its own.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Also create the development OIDC issuer (key, JWKS, `[dev_oidc]`). NOT FOR PRODUCTION.
    #[arg(long)]
    pub dev_oidc: bool,
}

/// A part of the stack `serve` can run on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Component {
    /// The Rekor v1 transparency log API (`/api/v1/log…`).
    Log,
    /// The CT log API (`/ct/v1/…`).
    Ct,
    /// The certificate authority (`/api/v1/signingCert`, `/api/v2/…`); it submits to the CT
    /// log in process (the CT tree's writer lease decides which process writes it).
    Ca,
}

/// `sigstack serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// What to run; several may be named. None: everything on one listener.
    #[arg(value_enum, value_name = "COMPONENT")]
    pub components: Vec<Component>,

    /// The directory `sigstack init` made.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,

    /// Address to listen on; overrides `server.listen` in sigstack.toml
    /// [default: 127.0.0.1:3000].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// A second address serving only `/metrics` (then not served on the main listener);
    /// overrides `server.metrics_listen` in sigstack.toml.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,

    /// `postgres://…` for PostgreSQL or `sqlite:PATH` (relative to DIR); overrides
    /// `database.url` in sigstack.toml (default: the SQLite file in the data directory).
    #[arg(long, value_name = "URL", env = DATABASE_URL_ENV, hide_env_values = true)]
    pub database_url: Option<String>,

    /// A hot-standby replica of the PostgreSQL database (`postgres://…`) to serve reads
    /// from while this process is not the writer: what the replica has comes from it, what
    /// it lacks from the primary. Overrides `database.read_url`.
    #[arg(long, value_name = "URL", env = READ_DATABASE_URL_ENV, hide_env_values = true)]
    pub read_database_url: Option<String>,

    /// The CA's Fulcio-format issuer configuration (JSON or YAML); overrides `ca.config`.
    #[arg(long, value_name = "FILE")]
    pub ca_config: Option<PathBuf>,

    /// Also trust the development OIDC issuer of `sigstack init --dev-oidc` and serve its
    /// discovery document under /dev-oidc. NOT FOR PRODUCTION.
    #[arg(long)]
    pub dev_oidc: bool,
}

/// `sigstack up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// The data directory; created (as `init` does) if it is missing or incomplete.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,

    /// As for `init`.
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,

    /// As for `serve` (and written to a new configuration, as `init --listen` does).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// As for `serve`.
    #[arg(long, value_name = "URL", env = DATABASE_URL_ENV, hide_env_values = true)]
    pub database_url: Option<String>,

    /// As for `serve`.
    #[arg(long, value_name = "FILE")]
    pub ca_config: Option<PathBuf>,

    /// Create and trust the development OIDC issuer. NOT FOR PRODUCTION.
    #[arg(long)]
    pub dev_oidc: bool,
}

impl UpArgs {
    /// The `init` half.
    pub fn init_args(&self) -> InitArgs {
        InitArgs {
            data_dir: self.data_dir.clone(),
            hostname: self.hostname.clone(),
            listen: self.listen,
            dev_oidc: self.dev_oidc,
        }
    }

    /// The `serve` half.
    pub fn serve_args(self) -> ServeArgs {
        ServeArgs {
            components: Vec::new(),
            data_dir: self.data_dir,
            listen: self.listen,
            metrics_listen: None,
            database_url: self.database_url,
            read_database_url: None,
            ca_config: self.ca_config,
            dev_oidc: self.dev_oidc,
        }
    }
}

/// `sigstack dev-token`.
#[derive(Debug, Args)]
pub struct DevTokenArgs {
    /// The directory `sigstack init --dev-oidc` made.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,

    /// The (verified) e-mail address: the certificate's identity
    /// [default: dev@sigstack.test].
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,

    /// The token's `sub` claim [default: the e-mail address].
    #[arg(long, value_name = "SUBJECT")]
    pub subject: Option<String>,
}

/// `sigstack trust-root`.
#[derive(Debug, Args)]
pub struct TrustRootArgs {
    /// The directory `sigstack init` made.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,

    /// Directory to write the trust material into (created if missing; files replaced).
    #[arg(long, value_name = "OUT")]
    pub out: PathBuf,

    /// Base URL clients reach the server at [default: `server.url`, else http://<listen>].
    #[arg(long, value_name = "BASE")]
    pub url: Option<String>,
}

/// `sigstack migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The database to bring to this build's schema version: `postgres://…`, or
    /// `sqlite:PATH` (relative to the current directory).
    #[arg(long, value_name = "URL", env = DATABASE_URL_ENV, hide_env_values = true)]
    pub database_url: String,
}

/// `sigstack log …`.
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Verify the stored log end to end: checkpoint signature, tiles against entries, root.
    Fsck(FsckArgs),
}

/// `sigstack log fsck`.
#[derive(Debug, Args)]
pub struct FsckArgs {
    /// The directory `sigstack init` made (for the log public key and tree ID).
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,

    /// Overrides `database.url` in sigstack.toml.
    #[arg(long, value_name = "URL", env = DATABASE_URL_ENV, hide_env_values = true)]
    pub database_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn default_listen_parses() {
        assert!(DEFAULT_LISTEN.parse::<SocketAddr>().is_ok());
    }
}
