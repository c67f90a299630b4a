//! `sigstack up`, the quickstart: `init` if needed, the trust material into `DIR/trust`, then
//! `serve` everything. The trust material is rewritten on every start, so it always names the
//! address this run listens on.

use anyhow::Result;

use crate::cli::UpArgs;
use crate::config::{absolute_data_dir, Config};
use crate::trust;

/// Where `up` writes the trust material, inside the data directory.
pub const TRUST_DIR: &str = "trust";

/// Writes `DIR/trust` for the URL clients will use in this run: `server.url` if set, else
/// `http://<listen>` with `--listen` taking precedence over the configuration (a wildcard
/// address becomes loopback: clients on other machines need `trust-root --url`).
pub fn write_trust(args: &UpArgs) -> Result<()> {
    let dir = absolute_data_dir(&args.data_dir)?;
    let mut config = Config::load(&dir)?;
    if let Some(listen) = args.listen {
        config.server.listen = listen.to_string();
    }
    let base = config.local_base_url()?;
    trust::write(&dir, &config, &base, &dir.join(TRUST_DIR))
}
