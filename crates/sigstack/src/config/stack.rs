//! The sections of `sigstack.toml` beyond the transparency log: the CA (`[ca]`), its CT log
//! (`[ct]`) and the development OIDC issuer (`[dev_oidc]`).
//!
//! All three are optional when the file is read, because data directories made before the CA
//! existed have none of them; `sigstack init` appends what is missing and never rewrites what
//! is there. A service that needs a missing section says so and names the command that adds
//! it, rather than inventing keys.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde::Deserialize;

use super::toml_string;

/// Default file names `init` writes (and the `[ca]`/`[ct]`/`[dev_oidc]` keys name).
pub mod files {
    /// The self-signed CA root certificate (PEM).
    pub const CA_ROOT_CERT: &str = "ca-root.pem";
    /// The root's private key (PKCS#8 PEM, 0600). `serve` never reads it: only `init` does,
    /// to sign the intermediate, so it can be moved offline afterwards.
    pub const CA_ROOT_KEY: &str = "ca-root-key.pem";
    /// The intermediate certificate, signed by the root; it issues every leaf.
    pub const CA_INTERMEDIATE_CERT: &str = "ca-intermediate.pem";
    /// The intermediate's private key (PKCS#8 PEM, 0600): the key `serve` signs leaves with.
    pub const CA_INTERMEDIATE_KEY: &str = "ca-intermediate-key.pem";
    /// The CT log's private key (PKCS#8 ECDSA P-256 PEM, 0600).
    pub const CT_KEY: &str = "ct-log-key.pem";
    /// The CT log's public key: clients pin it (`SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`).
    pub const CT_PUBLIC_KEY: &str = "ct-log-public-key.pem";
    /// The development OIDC issuer's signing key (PKCS#8 ECDSA P-256 PEM, 0600).
    pub const DEV_OIDC_KEY: &str = "dev-oidc-key.pem";
    /// The development issuer's public keys as a JWKS: what the CA verifies tokens with.
    pub const DEV_OIDC_JWKS: &str = "dev-oidc-jwks.json";
}

/// `[ca]`: the certificate authority's key material and its OIDC issuers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaSection {
    /// A Fulcio-format configuration file (JSON or YAML) naming the OIDC issuers; relative
    /// paths are inside the data directory. Unset: no issuers (every request is refused)
    /// unless `serve --dev-oidc` adds the development issuer.
    pub config: Option<String>,
    /// The CA chain, issuing certificate first, root last; one PEM file per entry.
    pub certificates: Vec<String>,
    /// The issuing certificate's private key (PKCS#8 or PKCS#1 PEM; an encrypted PKCS#8 key
    /// is decrypted with `SIGSTACK_CA_KEY_PASSWORD`).
    pub key: String,
    /// `O=` of the CA certificates `init` makes (informational once they exist; the trusted
    /// root reads names from the certificates themselves).
    #[serde(default)]
    pub organization: Option<String>,
}

/// `[ct]`: the CT log the CA submits every precertificate to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtSection {
    /// The ledger shard (tree) holding the CT log; never the Rekor `log.tree_id`.
    pub tree_id: i64,
    /// The CT log's private key (PKCS#8 ECDSA P-256 PEM).
    pub key: String,
    /// Its public half, the file clients pin.
    pub public_key: String,
}

/// `[dev_oidc]`: the opt-in development OIDC issuer (`serve --dev-oidc`). Not for production:
/// anyone who can read its key can mint any identity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevOidcSection {
    /// The issuer URL tokens carry in `iss` and certificates name as their OIDC issuer. Fixed
    /// when the directory is made, so tokens and verification policies stay valid when the
    /// server later listens elsewhere.
    pub issuer_url: String,
    /// The signing key (PKCS#8 ECDSA P-256 PEM).
    pub key: String,
    /// The JWKS the CA reads the issuer's keys from (no network fetch).
    pub jwks: String,
}

impl CaSection {
    /// The section `init` writes for the files it makes.
    pub fn new(organization: &str) -> Self {
        Self {
            config: None,
            certificates: vec![
                files::CA_INTERMEDIATE_CERT.to_owned(),
                files::CA_ROOT_CERT.to_owned(),
            ],
            key: files::CA_INTERMEDIATE_KEY.to_owned(),
            organization: Some(organization.to_owned()),
        }
    }

    pub(super) fn validate(&self, file: &str) -> Result<()> {
        if self.certificates.is_empty() {
            bail!("{file}: key `ca.certificates`: must name at least the issuing certificate");
        }
        for (key, value) in self
            .certificates
            .iter()
            .map(|c| ("ca.certificates", c))
            .chain([("ca.key", &self.key)])
            .chain(self.config.iter().map(|c| ("ca.config", c)))
        {
            if value.trim().is_empty() {
                bail!("{file}: key `{key}`: must not be empty");
            }
        }
        Ok(())
    }

    /// The TOML text of this section, commented.
    pub fn to_toml(&self) -> String {
        let certificates: Vec<String> = self.certificates.iter().map(|c| toml_string(c)).collect();
        let config = match &self.config {
            Some(path) => format!("config = {}\n", toml_string(path)),
            None => "# config = \"fulcio-config.yaml\"\n".to_owned(),
        };
        let organization = self
            .organization
            .as_deref()
            .map(|o| {
                format!(
                    "# O= of the CA certificates init made.\norganization = {}\n",
                    toml_string(o)
                )
            })
            .unwrap_or_default();
        format!(
            "\n[ca]\n\
             # Fulcio-format OIDC issuer configuration (JSON or YAML, relative to this directory;\n\
             # `sigstack serve --ca-config FILE` overrides it). Unset: the CA has no issuers and\n\
             # refuses every request, unless `serve --dev-oidc` adds the development issuer.\n\
             {config}\
             # The CA chain, issuing certificate first, root last (one PEM file each).\n\
             certificates = [{certificates}]\n\
             # The issuing certificate's private key. The root key ({root_key}) is only needed\n\
             # to make a new intermediate: keep it offline.\n\
             key = {key}\n\
             {organization}",
            certificates = certificates.join(", "),
            root_key = files::CA_ROOT_KEY,
            key = toml_string(&self.key),
        )
    }
}

impl CtSection {
    /// The section `init` writes for a new CT log.
    pub fn new(tree_id: i64) -> Self {
        Self {
            tree_id,
            key: files::CT_KEY.to_owned(),
            public_key: files::CT_PUBLIC_KEY.to_owned(),
        }
    }

    pub(super) fn validate(&self, file: &str, log_tree_id: i64) -> Result<()> {
        if self.tree_id <= 0 {
            bail!(
                "{file}: key `ct.tree_id`: must be a positive 63-bit integer, found {}",
                self.tree_id
            );
        }
        if self.tree_id == log_tree_id {
            bail!(
                "{file}: key `ct.tree_id`: {} is also `log.tree_id`; the CT log needs a tree of \
                 its own",
                self.tree_id
            );
        }
        for (key, value) in [("ct.key", &self.key), ("ct.public_key", &self.public_key)] {
            if value.trim().is_empty() {
                bail!("{file}: key `{key}`: must not be empty");
            }
        }
        Ok(())
    }

    /// The TOML text of this section, commented.
    pub fn to_toml(&self) -> String {
        format!(
            "\n[ct]\n\
             # The CT log's tree in the same database (distinct from log.tree_id). Never change\n\
             # it, or the key, once certificates have been issued.\n\
             tree_id = {tree_id}\n\
             # Its signing key, and the public half clients pin (SIGSTORE_CT_LOG_PUBLIC_KEY_FILE).\n\
             key = {key}\n\
             public_key = {public}\n",
            tree_id = self.tree_id,
            key = toml_string(&self.key),
            public = toml_string(&self.public_key),
        )
    }
}

impl DevOidcSection {
    /// The section `init --dev-oidc` writes: the issuer under `base_url`.
    pub fn new(base_url: &str) -> Self {
        Self {
            issuer_url: format!("{}/dev-oidc", base_url.trim_end_matches('/')),
            key: files::DEV_OIDC_KEY.to_owned(),
            jwks: files::DEV_OIDC_JWKS.to_owned(),
        }
    }

    pub(super) fn validate(&self, file: &str) -> Result<()> {
        let url = &self.issuer_url;
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(' ') {
            bail!("{file}: key `dev_oidc.issuer_url`: `{url}` is not an http(s) URL");
        }
        for (key, value) in [("dev_oidc.key", &self.key), ("dev_oidc.jwks", &self.jwks)] {
            if value.trim().is_empty() {
                bail!("{file}: key `{key}`: must not be empty");
            }
        }
        Ok(())
    }

    /// The TOML text of this section, commented.
    pub fn to_toml(&self) -> String {
        format!(
            "\n[dev_oidc]\n\
             # DEVELOPMENT ONLY (`sigstack serve --dev-oidc`, `sigstack dev-token`): whoever can\n\
             # read the key can obtain certificates for any e-mail address from this CA.\n\
             # The issuer URL is what tokens and certificates name (cosign\n\
             # --certificate-oidc-issuer); the CA reads the keys from the JWKS file, not over HTTP.\n\
             issuer_url = {issuer}\n\
             key = {key}\n\
             jwks = {jwks}\n",
            issuer = toml_string(&self.issuer_url),
            key = toml_string(&self.key),
            jwks = toml_string(&self.jwks),
        )
    }
}

/// `path` from the configuration, taken inside `data_dir` when relative.
pub fn in_data_dir(data_dir: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        data_dir.join(p)
    }
}
