//! The `sigstack` binary: one executable that creates a data directory (`init`), runs the
//! services (`serve`: transparency log, CA, CT log), writes the trust material clients need
//! (`trust-root`), prepares databases (`migrate`) and checks stored logs (`log fsck`); `up`
//! and `dev-token` are the quickstart.
//!
//! This crate is the only place that knows about files, flags, signals and which storage
//! engine a URL means; everything it wires together is a library that never sees any of it.
#![forbid(unsafe_code)]

mod cli;
mod config;
mod dev_token;
mod fsck;
mod init;
mod keys;
mod logging;
mod material;
mod serve;
mod store;
mod telemetry;
mod time;
mod trust;
mod tuf;
mod up;

use std::path::Path;
use std::process::ExitCode;

/// See the `mimalloc` line in Cargo.toml for why.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context as _, Result};
use clap::Parser as _;

use crate::cli::{Cli, Command, LogCommand, LogFormat};
use crate::config::DatabaseUrl;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = cli.log_format;
    logging::init(format);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A log collector reading JSON lines must see the reason too.
            if format == LogFormat::Json {
                tracing::error!(error = format!("{e:#}"), "sigstack failed");
            } else {
                eprintln!("sigstack: error: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        // Purely local file work: no runtime needed.
        Command::Init(args) => init::run(&args),
        Command::Serve(args) => runtime()?.block_on(serve::run(args)),
        Command::Up(args) => {
            init::run(&args.init_args())?;
            up::write_trust(&args)?;
            runtime()?.block_on(serve::run(args.serve_args()))
        }
        Command::DevToken(args) => dev_token::run(&args),
        Command::TrustRoot(args) => trust::run(&args),
        Command::Migrate(args) => runtime()?.block_on(async {
            // A relative SQLite path means the current directory here: there is no data
            // directory to be relative to.
            let url =
                DatabaseUrl::parse(&args.database_url, Path::new(".")).context("--database-url")?;
            let version = store::migrate(&url).await?;
            println!("{url}: schema at version {version}");
            Ok(())
        }),
        Command::Log(LogCommand::Fsck(args)) => runtime()?.block_on(fsck::run(args)),
        Command::Tuf(command) => tuf::run(&command),
    }
}

/// The multi-threaded runtime the server and the storage engines run on.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
