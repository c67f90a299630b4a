//! `sigstack trust-root`: everything a client needs to trust this instance, in one directory.
//!
//! Only public material is read (the certificates and public-key files, never a private key),
//! so the command can run wherever a copy of those files is. What it writes:
//!
//! | file | for |
//! |---|---|
//! | `trusted_root.json` | cosign `--trusted-root`, sigstore-go, sigstore-js |
//! | `signing_config.json` | SigningConfig v0.2 (sigstore-python 4, sigstore-go) |
//! | `client_trust_config.json` | sigstore-python `--trust-config` |
//! | `ca-chain.pem`, `ctfe.pub`, `rekor.pub` | cosign 2.5's `SIGSTORE_*` variables |
//! | `cosign.env` | those variables with absolute paths, for `set -a; . cosign.env` |
//! | `tuf-root.json` | the TUF repository's `1.root.json` (when it exists), for clients' `--root` |
//!
//! The validity start of all three keys is the CA root's `notBefore` (`init` makes them
//! together and backdates the CA by an hour); see `docs/operations.md` for logs older than
//! their CA.

pub mod json;

use std::fs;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::Certificate;

use self::json::{CaEntry, Instance, LogEntry};
use crate::cli::TrustRootArgs;
use crate::config::{absolute_data_dir, check_base_url, in_data_dir, CaSection, Config};
use crate::keys;
use sigstack_merkle::signature::Verifier as _;

/// The names of the files written, in `OUT`.
pub mod files {
    /// The TrustedRoot.
    pub const TRUSTED_ROOT: &str = "trusted_root.json";
    /// The SigningConfig v0.2.
    pub const SIGNING_CONFIG: &str = "signing_config.json";
    /// sigstore-python's ClientTrustConfig.
    pub const CLIENT_TRUST_CONFIG: &str = "client_trust_config.json";
    /// The CA chain, issuing certificate first, root last (`SIGSTORE_ROOT_FILE`).
    pub const CA_CHAIN: &str = "ca-chain.pem";
    /// The CT log key (`SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`).
    pub const CT_KEY: &str = "ctfe.pub";
    /// The Rekor key (`SIGSTORE_REKOR_PUBLIC_KEY`).
    pub const REKOR_KEY: &str = "rekor.pub";
    /// The cosign environment.
    pub const COSIGN_ENV: &str = "cosign.env";
    /// The TUF repository's first root (`cosign initialize --root`).
    pub const TUF_ROOT: &str = "tuf-root.json";
}

/// Runs `trust-root`.
pub fn run(args: &TrustRootArgs) -> Result<()> {
    let dir = absolute_data_dir(&args.data_dir)?;
    let config = Config::load(&dir)?;
    let base = match &args.url {
        Some(url) => {
            check_base_url(url).map_err(|why| anyhow::anyhow!("--url: {why}"))?;
            url.trim_end_matches('/').to_owned()
        }
        None => config.base_url()?,
    };
    write(&dir, &config, &base, &args.out)
}

/// Writes the trust material of the data directory `dir` for clients reaching it at `base`
/// into `out` (created if missing; files replaced).
pub fn write(dir: &Path, config: &Config, base: &str, out: &Path) -> Result<()> {
    let docs = documents(dir, config, base)?;

    fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let out = fs::canonicalize(out).with_context(|| format!("cannot resolve {}", out.display()))?;
    let tuf_root = crate::tuf::Layout::new(dir).repository.join("1.root.json");
    let tuf = tuf_root.exists();
    if tuf {
        let root =
            fs::read(&tuf_root).with_context(|| format!("cannot read {}", tuf_root.display()))?;
        replace_bytes(&out.join(files::TUF_ROOT), &root)?;
        println!("wrote   {}", out.join(files::TUF_ROOT).display());
    }
    let written = [
        (files::TRUSTED_ROOT, docs.trusted_root),
        (files::SIGNING_CONFIG, docs.signing_config),
        (files::CLIENT_TRUST_CONFIG, docs.client_trust_config),
        (files::CA_CHAIN, docs.ca_chain),
        (files::CT_KEY, docs.ct_key),
        (files::REKOR_KEY, docs.rekor_key),
        (files::COSIGN_ENV, cosign_env(&out, base, tuf)),
    ];
    // The TSA chain for `cosign verify-blob --timestamp-certificate-chain`.
    if let Some(pem) = &docs.tsa_chain {
        let path = out.join(crate::material::tsa::TSA_CHAIN);
        replace(&path, pem)?;
        println!("wrote   {}", path.display());
    }
    for (name, text) in &written {
        replace(&out.join(name), text)?;
        println!("wrote   {}", out.join(name).display());
    }
    println!(
        "trust material for {base} (CA, Rekor log and CT log); cosign 2.5: `set -a; . {}; \
         set +a`; sigstore-python: `--trust-config {}`",
        out.join(files::COSIGN_ENV).display(),
        out.join(files::CLIENT_TRUST_CONFIG).display()
    );
    Ok(())
}

/// The public documents of an instance. `trust-root` writes them and the TUF repository
/// publishes them as targets, both from this one function, so the two never differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Documents {
    /// The TrustedRoot JSON.
    pub trusted_root: String,
    /// The SigningConfig v0.2 JSON.
    pub signing_config: String,
    /// sigstore-python's ClientTrustConfig JSON.
    pub client_trust_config: String,
    /// The CA chain as PEM, issuing certificate first, root last.
    pub ca_chain: String,
    /// The CT log's public key, PEM.
    pub ct_key: String,
    /// The Rekor log's public key, PEM.
    pub rekor_key: String,
    /// The timestamp authority's chain as PEM, leaf first, when the instance has one.
    pub tsa_chain: Option<String>,
}

/// The documents clients reaching the data directory `dir` at `base` need.
pub fn documents(dir: &Path, config: &Config, base: &str) -> Result<Documents> {
    let instance = instance(dir, config, base)?;
    let pretty = |v: serde_json::Value| format!("{v:#}\n");
    Ok(Documents {
        trusted_root: pretty(json::trusted_root(&instance)),
        signing_config: pretty(json::signing_config(&instance)),
        client_trust_config: pretty(json::client_trust_config(&instance)),
        ca_chain: instance
            .ca
            .chain_der
            .iter()
            .map(|der| keys::pem_encode("CERTIFICATE", der))
            .collect(),
        ct_key: keys::pem_encode("PUBLIC KEY", &instance.ctlog.spki_der),
        rekor_key: keys::pem_encode("PUBLIC KEY", &instance.tlog.spki_der),
        tsa_chain: instance.tsa.as_ref().map(|tsa| {
            tsa.chain_der
                .iter()
                .map(|der| keys::pem_encode("CERTIFICATE", der))
                .collect()
        }),
    })
}

/// Gathers the public material of the data directory.
fn instance(dir: &Path, config: &Config, base: &str) -> Result<Instance> {
    let ca_section = config.ca_section(dir)?;
    let chain = read_chain(dir, ca_section)?;
    let certs = chain
        .iter()
        .map(|der| Certificate::from_der(der))
        .collect::<Result<Vec<_>, _>>()
        .context("parsing the CA certificates")?;
    let root = certs.last().context("`ca.certificates` is empty")?;
    let not_before = certs
        .iter()
        .map(|c| {
            c.tbs_certificate
                .validity
                .not_before
                .to_unix_duration()
                .as_secs()
        })
        .min()
        .unwrap_or(0);
    let valid_from = crate::time::rfc3339(not_before);
    let (organization, common_name) = names(root);

    let rekor = keys::load_verifier(dir)?;
    let ct = crate::material::ct::load_public(dir, config.ct_section(dir)?)?;
    Ok(Instance {
        tlog: LogEntry {
            base_url: base.to_owned(),
            spki_der: rekor.public_key_spki_der().to_vec(),
            valid_from: valid_from.clone(),
        },
        ca: CaEntry {
            uri: base.to_owned(),
            organization,
            common_name,
            chain_der: chain,
            valid_from: valid_from.clone(),
        },
        ctlog: LogEntry {
            base_url: base.to_owned(),
            spki_der: ct.spki_der().to_vec(),
            valid_from,
        },
        operator: config.log.hostname.clone(),
        tsa: tsa_entry(dir, base)?,
    })
}

/// The TSA as the trust documents list it, if the data directory has one.
fn tsa_entry(dir: &Path, base: &str) -> Result<Option<CaEntry>> {
    let Some(tsa) = crate::material::tsa::load(dir)? else {
        return Ok(None);
    };
    let chain = tsa.chain_der().to_vec();
    let root = chain
        .last()
        .map(|der| Certificate::from_der(der))
        .transpose()
        .context("parsing the TSA root certificate")?
        .context("the TSA chain is empty")?;
    let (organization, common_name) = names(&root);
    Ok(Some(CaEntry {
        uri: format!("{}/api/v1/timestamp", base.trim_end_matches('/')),
        organization,
        common_name,
        chain_der: chain,
        valid_from: crate::time::rfc3339(tsa.not_before().as_secs()),
    }))
}

/// The DER certificates `ca.certificates` names, in order (issuing first, root last); a file
/// may hold several.
pub fn read_chain(dir: &Path, section: &CaSection) -> Result<Vec<Vec<u8>>> {
    let mut chain = Vec::new();
    for name in &section.certificates {
        let path = in_data_dir(dir, name);
        let text = fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read the CA certificate {} (key `ca.certificates`)",
                path.display()
            )
        })?;
        if !text.contains("-----BEGIN CERTIFICATE-----") {
            bail!(
                "{} (key `ca.certificates`) holds no PEM certificate",
                path.display()
            );
        }
        let certs = Certificate::load_pem_chain(text.as_bytes())
            .with_context(|| format!("{} (key `ca.certificates`)", path.display()))?;
        for cert in certs {
            chain.push(cert.to_der()?);
        }
    }
    Ok(chain)
}

/// `O=` and `CN=` of `cert`'s subject (empty when absent).
fn names(cert: &Certificate) -> (String, String) {
    const ORGANIZATION: &str = "2.5.4.10";
    const COMMON_NAME: &str = "2.5.4.3";
    let mut organization = String::new();
    let mut common_name = String::new();
    for rdn in cert.tbs_certificate.subject.0.iter() {
        for atv in rdn.0.iter() {
            let value = atv
                .value
                .decode_as::<x509_cert::der::asn1::Utf8StringRef<'_>>()
                .map(|s| s.as_str().to_owned())
                .or_else(|_| {
                    atv.value
                        .decode_as::<x509_cert::der::asn1::PrintableStringRef<'_>>()
                        .map(|s| s.as_str().to_owned())
                })
                .unwrap_or_default();
            match atv.oid.to_string().as_str() {
                ORGANIZATION => organization = value,
                COMMON_NAME => common_name = value,
                _ => {}
            }
        }
    }
    (organization, common_name)
}

/// `cosign.env`: `NAME=value` lines (no `export`, so Docker's `--env-file` reads it too).
/// With a TUF repository (`tuf`), also the defaults of `cosign initialize`'s `--mirror` and
/// `--root` (cosign reads COSIGN_MIRROR and COSIGN_ROOT for them).
fn cosign_env(out: &Path, base: &str, tuf: bool) -> String {
    let path = |name: &str| quote(&out.join(name));
    let mirror = if tuf {
        format!(
            "# `cosign initialize` with no flags then trusts this instance's TUF repository\n\
             # (the SIGSTORE_* lines above take precedence over it for sign and verify).\n\
             COSIGN_MIRROR={base}/tuf\n\
             COSIGN_ROOT={}\n",
            path(files::TUF_ROOT)
        )
    } else {
        String::new()
    };
    let mut env = format!(
        "# cosign 2.5 against this sigstack instance, written by `sigstack trust-root`.\n\
         # In a shell: set -a; . {env}; set +a\n\
         SIGSTORE_ROOT_FILE={root}\n\
         SIGSTORE_CT_LOG_PUBLIC_KEY_FILE={ct}\n\
         SIGSTORE_REKOR_PUBLIC_KEY={rekor}\n\
         # cosign reads its flags' defaults from COSIGN_<FLAG>: without these two, a cosign that\n\
         # is given no --rekor-url/--fulcio-url would sign against the public instance.\n\
         COSIGN_REKOR_URL={base}\n\
         COSIGN_FULCIO_URL={base}\n\
         # Kept for scripts that already pass --rekor-url \"$SIGSTORE_REKOR_API_URL\" (cosign ignores it).\n\
         SIGSTORE_REKOR_API_URL={base}\n",
        env = out.join(files::COSIGN_ENV).display(),
        root = path(files::CA_CHAIN),
        ct = path(files::CT_KEY),
        rekor = path(files::REKOR_KEY),
    );
    env.push_str(&mirror);
    env
}

/// A path as a shell word: bare when it is only safe characters, single-quoted otherwise.
fn quote(path: &Path) -> String {
    let s = path.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Writes `path` through a temporary file and a rename, so a reader never sees half a file.
fn replace(path: &Path, text: &str) -> Result<()> {
    replace_bytes(path, text.as_bytes())
}

/// [`replace`] for bytes.
fn replace_bytes(path: &Path, text: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_paths_are_quoted_only_when_needed() {
        assert_eq!(quote(Path::new("/tmp/a-b/c.pem")), "/tmp/a-b/c.pem");
        assert_eq!(quote(Path::new("/tmp/a b/c.pem")), "'/tmp/a b/c.pem'");
        let env = cosign_env(Path::new("/out"), "http://h:1", false);
        assert!(!env.contains("COSIGN_MIRROR"), "{env}");
        let with_tuf = cosign_env(Path::new("/out"), "http://h:1", true);
        assert!(
            with_tuf.contains("\nCOSIGN_MIRROR=http://h:1/tuf\n"),
            "{with_tuf}"
        );
        assert!(
            with_tuf.contains("\nCOSIGN_ROOT=/out/tuf-root.json\n"),
            "{with_tuf}"
        );
        assert!(
            env.contains("SIGSTORE_ROOT_FILE=/out/ca-chain.pem\n"),
            "{env}"
        );
        assert!(env.contains("SIGSTORE_REKOR_API_URL=http://h:1\n"), "{env}");
        assert!(env.contains("\nCOSIGN_REKOR_URL=http://h:1\n"), "{env}");
        assert!(env.contains("\nCOSIGN_FULCIO_URL=http://h:1\n"), "{env}");
    }
}
