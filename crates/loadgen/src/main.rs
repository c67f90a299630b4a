//! `sigstack-loadgen`: measures sigstack's Rekor API under load, from this machine only.
//!
//! Every run is bounded in time and in request count and refuses any target that is not a
//! loopback address, so it can never become traffic to somebody else's server. Entries are
//! prepared before the clock starts (a fresh ECDSA P-256 key and signature per entry, as real
//! keyless clients make), so the generator's own CPU use does not count against the server.
//! Open-loop mode measures latency from each request's *scheduled* time, which keeps a slow
//! server from hiding its queueing delay (coordinated omission).

mod client;
mod entries;
mod proc_stats;
mod run;
mod stats;

use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

/// Command line.
#[derive(Parser)]
#[command(version, about = "Bounded loopback load generator for sigstack")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Submit hashedrekord entries (`POST /api/v1/log/entries`).
    Add(run::Options),
    /// Read entries with their inclusion proofs (`GET /api/v1/log/entries?logIndex=`).
    Read(run::Options),
    /// Request keyless certificates (`POST /api/v1/signingCert`), each for a fresh key.
    Cert(run::Options),
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let (kind, opts) = match cli.command {
        Command::Add(o) => (run::Kind::Add, o),
        Command::Read(o) => (run::Kind::Read, o),
        Command::Cert(o) => (run::Kind::Cert, o),
    };
    check_loopback(&opts.url)?;
    if opts.duration > Duration::from_secs(600) {
        bail!("--duration is capped at 600s");
    }
    let report = run::run(kind, &opts).await.context("load run failed")?;
    println!("{report}");
    Ok(())
}

/// Refuses targets outside 127.0.0.0/8, `localhost` and `[::1]`.
fn check_loopback(url: &str) -> Result<()> {
    let uri: hyper::Uri = url.parse().with_context(|| format!("bad --url {url}"))?;
    let host = uri.host().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false);
    if !loopback {
        bail!("refusing non-loopback target {host}: load runs stay on this machine");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_loopback;

    #[test]
    fn only_loopback_targets() {
        assert!(check_loopback("http://127.0.0.1:3000").is_ok());
        assert!(check_loopback("http://127.5.0.1:3000").is_ok());
        assert!(check_loopback("http://localhost:3000").is_ok());
        assert!(check_loopback("http://[::1]:3000").is_ok());
        assert!(check_loopback("http://10.0.0.1:3000").is_err());
        assert!(check_loopback("http://192.168.1.1").is_err());
        assert!(check_loopback("http://example.org").is_err());
    }
}
