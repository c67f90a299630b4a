//! `sigstack dev-token`: an identity token from the development OIDC issuer, on stdout (and
//! nothing else there, so `TOKEN=$(sigstack dev-token …)` works).

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _, Result};

use crate::cli::DevTokenArgs;
use crate::config::{absolute_data_dir, Config};
use crate::material::dev_oidc::{self, DEFAULT_EMAIL};

/// Runs `dev-token`.
pub fn run(args: &DevTokenArgs) -> Result<()> {
    let dir = absolute_data_dir(&args.data_dir)?;
    let config = Config::load(&dir)?;
    let issuer = dev_oidc::load(&dir, config.dev_oidc_section(&dir)?)?;
    let email = args.email.as_deref().unwrap_or(DEFAULT_EMAIL);
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        bail!("--email: `{email}` is not an e-mail address");
    }
    let subject = args.subject.as_deref().unwrap_or(email);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs();
    println!("{}", issuer.token(email, subject, now)?);
    eprintln!(
        "sigstack: development token for {email} from {} (valid {} minutes; NOT FOR PRODUCTION)",
        issuer.issuer_url(),
        dev_oidc::TOKEN_LIFETIME_SECS / 60
    );
    Ok(())
}
