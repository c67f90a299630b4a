//! The command line. Flags here are a public interface: scripts and service units depend on
//! them, so they only ever gain options (the CA adds `serve --ca-config FILE`), never change.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The listen address when neither `--listen` nor the configuration file names one: loopback
/// only, so a fresh `init` + `serve` never exposes an unconfigured log to the network.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";

/// sigstack: a self-hosted Sigstore stack (Rekor-compatible transparency log) in one binary.
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
    /// Create a data directory: log signing key, tree ID and `sigstack.toml`.
    Init(InitArgs),
    /// Run the transparency log's HTTP API.
    Serve(ServeArgs),
    /// Apply the database schema to a PostgreSQL (or SQLite) database.
    Migrate(MigrateArgs),
    /// Log maintenance.
    #[command(subcommand)]
    Log(LogCommand),
}

/// `sigstack init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The directory to create (or complete); it holds keys, configuration and the SQLite file.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,

    /// The log's name in checkpoints (`<hostname> - <tree ID>`) and its signature line.
    /// Defaults to this machine's hostname, as Rekor does.
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
}

/// `sigstack serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The directory `sigstack init` made.
    #[arg(long, value_name = "DIR")]
    pub data_dir: PathBuf,

    /// Address to listen on; overrides `server.listen` in sigstack.toml
    /// [default: 127.0.0.1:3000].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// `postgres://…` for PostgreSQL or `sqlite:PATH` (relative to DIR); overrides
    /// `database.url` in sigstack.toml (default: the SQLite file in the data directory).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

/// `sigstack migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The database to bring to this build's schema version: `postgres://…`, or
    /// `sqlite:PATH` (relative to the current directory).
    #[arg(long, value_name = "URL")]
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
    #[arg(long, value_name = "URL")]
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
