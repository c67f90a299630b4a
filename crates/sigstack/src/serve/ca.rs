//! Wiring the CA: its OIDC issuers (the operator's Fulcio-format file, plus the development
//! issuer when asked), its key store, and the in-process CT log as its SCT source.
//!
//! Without an issuer file and without `--dev-oidc` the CA still starts, with no issuers: it
//! serves its chain and configuration, and refuses every certificate request as Fulcio does
//! for an unknown issuer. That keeps `sigstack serve --data-dir DIR` (everything) usable for
//! a deployment that only wants the transparency log today, and the start-up log says
//! plainly that no identity can get a certificate yet.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::{bail, Context as _, Result};
use sigstack_ct::log::CtLog;
use sigstack_fulcio::cert::CertificateAuthority;
use sigstack_fulcio::{oidc, CaService, Config as IssuerConfig, SctFuture, SctSource, Verifier};
use sigstack_ledger::store::Store;
use tracing::{info, warn};

use crate::config::{in_data_dir, Config, DevOidcSection, CONFIG_FILE};
use crate::material::dev_oidc::AUDIENCE;

/// Where the issuer configuration came from, for messages.
#[derive(Debug, Clone)]
pub enum IssuerSource {
    /// `--ca-config FILE`.
    Flag(PathBuf),
    /// `ca.config` in sigstack.toml.
    ConfigKey(PathBuf),
    /// Neither: no issuers of the operator's.
    None,
}

/// The CA's issuers: the operator's file (flag over `ca.config`), plus the development issuer
/// if `dev` is given, which reads its keys from its JWKS file (never over the network).
pub fn issuers(
    dir: &Path,
    config: &Config,
    flag: Option<&Path>,
    dev: Option<&DevOidcSection>,
) -> Result<(IssuerConfig, IssuerSource)> {
    let configured = config.ca.as_ref().and_then(|ca| ca.config.as_deref());
    let source = match (flag, configured) {
        (Some(path), _) => IssuerSource::Flag(path.to_path_buf()),
        (None, Some(path)) => IssuerSource::ConfigKey(in_data_dir(dir, path)),
        (None, None) => IssuerSource::None,
    };
    let mut issuers = match &source {
        IssuerSource::Flag(path) => IssuerConfig::from_file(path)
            .with_context(|| format!("--ca-config {}", path.display()))?,
        IssuerSource::ConfigKey(path) => IssuerConfig::from_file(path).with_context(|| {
            format!(
                "{} (key `ca.config` in {})",
                path.display(),
                dir.join(CONFIG_FILE).display()
            )
        })?,
        IssuerSource::None => IssuerConfig::default(),
    };
    for warning in issuers.warnings() {
        warn!(source = ?source, "CA issuer configuration: {warning}");
    }
    if let Some(dev) = dev {
        add_dev_issuer(dir, &mut issuers, dev)?;
    }
    Ok((issuers, source))
}

/// Registers the development issuer as a Fulcio `email` issuer (client ID `sigstore`) whose
/// keys come from its static JWKS file.
fn add_dev_issuer(dir: &Path, issuers: &mut IssuerConfig, dev: &DevOidcSection) -> Result<()> {
    let url = &dev.issuer_url;
    if issuers.oidc_issuers.contains_key(url) {
        bail!(
            "the CA issuer configuration already has an issuer {url}, the development \
             issuer's URL (key `dev_oidc.issuer_url`): remove one of them"
        );
    }
    let jwks = in_data_dir(dir, &dev.jwks);
    let jwks = jwks
        .to_str()
        .with_context(|| format!("the JWKS path {} is not UTF-8", jwks.display()))?;
    let document = serde_json::json!({
        "OIDCIssuers": { url: {
            "IssuerURL": url,
            "ClientID": AUDIENCE,
            "Type": "email",
            "StaticJWKSFile": jwks,
            "Description": "sigstack development issuer (NOT FOR PRODUCTION)",
        }}
    });
    let parsed = IssuerConfig::parse(document.to_string().as_bytes())
        .with_context(|| format!("the development issuer {url} (key `dev_oidc.issuer_url`)"))?;
    issuers.oidc_issuers.extend(parsed.oidc_issuers);
    Ok(())
}

/// The CA service issuing with `ca` for `issuers`, logging precertificates to `ct`.
pub fn service<S: Store>(
    ca: CertificateAuthority,
    issuers: IssuerConfig,
    ct: Arc<CtLog<S>>,
) -> Result<CaService> {
    let issuers = Arc::new(issuers);
    let names: Vec<&str> = issuers
        .oidc_issuers
        .keys()
        .map(String::as_str)
        .chain(issuers.meta_issuers.iter().map(|(p, _)| p.source()))
        .collect();
    if names.is_empty() {
        warn!(
            "the CA has no OIDC issuers: every certificate request will be refused. Set \
             `ca.config` (a Fulcio-format issuer file) or pass --ca-config FILE, or --dev-oidc \
             for the development issuer"
        );
    } else {
        info!(issuers = ?names, "CA issuers");
    }
    let keys = oidc::key_store_for(Arc::clone(&issuers)).context("the CA's OIDC key store")?;
    let verifier = Verifier::new(issuers, keys);
    Ok(CaService::new(
        verifier,
        Arc::new(ca),
        Arc::new(EmbeddedCtLog(ct)),
        Arc::new(SystemTime::now),
    ))
}

/// The CT log of this process as the CA's SCT source: `add_pre_chain` answers only once the
/// entry is durable, which is exactly the [`SctSource`] contract.
struct EmbeddedCtLog<S: Store>(Arc<CtLog<S>>);

impl<S: Store> SctSource for EmbeddedCtLog<S> {
    fn submit_precert(&self, chain: Vec<Vec<u8>>) -> SctFuture<'_> {
        Box::pin(async move { self.0.add_pre_chain(chain).await.map_err(|e| e.to_string()) })
    }
}
