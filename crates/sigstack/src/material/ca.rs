//! The CA chain: a self-signed root and an intermediate that issues every leaf.
//!
//! Why two levels even for a small deployment: the root is what every client pins, so it
//! should outlive any one issuing key. `serve` only ever reads the intermediate's key; the
//! root key is needed again only to make a new intermediate, and can live offline.
//!
//! Operators may instead point `[ca]` at files of their own (a chain from their PKI and the
//! issuing key); `init` then only checks them and creates nothing.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context as _, Result};
use sigstack_fulcio::cert::{
    encrypt_pkcs8_pem, CaKey, CaKeyAlgorithm, CaSpec, CertError, CertificateAuthority,
};

use super::{Made, Steps};
use crate::config::{files, in_data_dir, CaSection};
use crate::keys;

/// How long the root and intermediate `init` makes are valid.
pub const CA_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// How far the CA certificates are backdated: a leaf must not predate its issuer, and the
/// clocks of the machine that ran `init` and the one that serves may differ a little.
const BACKDATE: Duration = Duration::from_secs(3600);

/// The environment variable holding the CA keys' password: `init` encrypts the keys it makes
/// with it, `serve` decrypts the issuing key with it.
pub const PASSWORD_ENV: &str = "SIGSTACK_CA_KEY_PASSWORD";

/// The CA key password from [`PASSWORD_ENV`]; unset or empty is no password.
pub fn password_from_env() -> Result<Option<String>> {
    match std::env::var(PASSWORD_ENV) {
        Ok(p) if p.is_empty() => Ok(None),
        Ok(p) => Ok(Some(p)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{PASSWORD_ENV} is not valid UTF-8"),
    }
}

/// The files of the layout `init` makes (and can therefore complete).
struct DefaultLayout {
    root_cert: PathBuf,
    root_key: PathBuf,
    intermediate_cert: PathBuf,
    intermediate_key: PathBuf,
}

impl DefaultLayout {
    fn new(dir: &Path) -> Self {
        Self {
            root_cert: dir.join(files::CA_ROOT_CERT),
            root_key: dir.join(files::CA_ROOT_KEY),
            intermediate_cert: dir.join(files::CA_INTERMEDIATE_CERT),
            intermediate_key: dir.join(files::CA_INTERMEDIATE_KEY),
        }
    }

    /// Whether `section` names exactly these files.
    fn is(section: &CaSection) -> bool {
        section.certificates == [files::CA_INTERMEDIATE_CERT, files::CA_ROOT_CERT]
            && section.key == files::CA_INTERMEDIATE_KEY
    }
}

/// For `init`: makes the CA chain `section` names if none of it exists, finishes one whose
/// keys exist but whose certificates were never written, and otherwise checks it. Returns the
/// loaded CA and what happened to each file. With a `password`, new keys are written
/// encrypted with it, and existing encrypted keys are read with it.
pub fn ensure(
    dir: &Path,
    section: &CaSection,
    common_name: &str,
    password: Option<&str>,
) -> Result<(CertificateAuthority, Steps)> {
    if !DefaultLayout::is(section) {
        // The operator's own files: check them, never create any.
        let ca = load(dir, section, password)?;
        let mut made: Vec<_> = section
            .certificates
            .iter()
            .map(|c| (in_data_dir(dir, c), Made::Kept, "CA certificate"))
            .collect();
        made.push((in_data_dir(dir, &section.key), Made::Kept, "CA issuing key"));
        return Ok((ca, made));
    }
    let layout = DefaultLayout::new(dir);
    let present = |p: &Path| p.exists();
    let all = [
        &layout.root_cert,
        &layout.root_key,
        &layout.intermediate_cert,
        &layout.intermediate_key,
    ];
    let certs = present(&layout.root_cert) || present(&layout.intermediate_cert);
    let keys_present = present(&layout.root_key) && present(&layout.intermediate_key);
    if all.iter().all(|p| present(p)) {
        let ca = load(dir, section, password)?;
        check_root_key(&layout, &ca, password)?;
        return Ok((
            ca,
            vec![
                (layout.root_key, Made::Kept, "CA root key"),
                (layout.root_cert, Made::Kept, "CA root certificate"),
                (layout.intermediate_key, Made::Kept, "CA intermediate key"),
                (
                    layout.intermediate_cert,
                    Made::Kept,
                    "CA intermediate certificate",
                ),
            ],
        ));
    }
    let organization = section.organization.as_deref().unwrap_or("sigstack");
    let spec = CaSpec {
        organization: organization.to_owned(),
        common_name: common_name.to_owned(),
        lifetime: CA_LIFETIME,
    };
    let now = SystemTime::now()
        .checked_sub(BACKDATE)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    if keys_present && !certs {
        // An `init` that stopped between writing the keys and the certificates: nothing can
        // have been issued, so certifying the existing keys now is safe.
        let root = read_key(&layout.root_key, password)?;
        let intermediate = read_key(&layout.intermediate_key, password)?;
        let ca = CertificateAuthority::create(&spec, root, Some(intermediate), now)
            .context("creating the CA certificates")?;
        write_certs(&layout, &ca)?;
        return Ok((
            ca,
            vec![
                (layout.root_key, Made::Kept, "CA root key"),
                (layout.root_cert, Made::Created, "CA root certificate"),
                (layout.intermediate_key, Made::Kept, "CA intermediate key"),
                (
                    layout.intermediate_cert,
                    Made::Created,
                    "CA intermediate certificate",
                ),
            ],
        ));
    }
    if all.iter().any(|p| present(p)) {
        let (have, lack): (Vec<_>, Vec<_>) = all.iter().partition(|p| present(p));
        bail!(
            "the CA files are incomplete: found {} but not {}; refusing to guess which to \
             trust. Restore the missing files from a backup, or move all of them away to \
             make a new CA (clients will then need the new trust root)",
            names(&have),
            names(&lack)
        );
    }
    let (root, root_der) =
        CaKey::generate(CaKeyAlgorithm::EcdsaP256).context("generating the CA root key")?;
    let (intermediate, intermediate_der) =
        CaKey::generate(CaKeyAlgorithm::EcdsaP256).context("generating the CA intermediate key")?;
    let key_pem = |der: &[u8]| -> Result<String> {
        Ok(match password {
            Some(p) => encrypt_pkcs8_pem(der, p.as_bytes()).context("encrypting a CA key")?,
            None => keys::pem_encode("PRIVATE KEY", der),
        })
    };
    keys::create_new(&layout.root_key, &key_pem(&root_der)?, 0o600)?;
    keys::create_new(
        &layout.intermediate_key,
        &key_pem(&intermediate_der)?,
        0o600,
    )?;
    let (root_what, intermediate_what) = if password.is_some() {
        (
            "ECDSA P-256 CA root key, encrypted with SIGSTACK_CA_KEY_PASSWORD, mode 0600; keep \
             it offline once init is done",
            "ECDSA P-256 CA issuing key, encrypted with SIGSTACK_CA_KEY_PASSWORD, mode 0600",
        )
    } else {
        (
            "ECDSA P-256 CA root key, mode 0600; keep it offline once init is done",
            "ECDSA P-256 CA issuing key, mode 0600",
        )
    };
    let ca = CertificateAuthority::create(&spec, root, Some(intermediate), now)
        .context("creating the CA certificates")?;
    write_certs(&layout, &ca)?;
    Ok((
        ca,
        vec![
            (layout.root_key, Made::Created, root_what),
            (layout.root_cert, Made::Created, "CA root certificate"),
            (layout.intermediate_key, Made::Created, intermediate_what),
            (
                layout.intermediate_cert,
                Made::Created,
                "CA intermediate certificate",
            ),
        ],
    ))
}

/// For `serve` and `trust-root`: the CA `section` names, chain checked (each certificate a
/// CA, each issued by the next, the key matching the first). An encrypted key is decrypted
/// with `password` (from [`PASSWORD_ENV`]).
pub fn load(
    dir: &Path,
    section: &CaSection,
    password: Option<&str>,
) -> Result<CertificateAuthority> {
    let mut chain = String::new();
    for cert in &section.certificates {
        let path = in_data_dir(dir, cert);
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
        chain.push_str(&text);
        if !chain.ends_with('\n') {
            chain.push('\n');
        }
    }
    let key_path = in_data_dir(dir, &section.key);
    let key = fs::read_to_string(&key_path).with_context(|| {
        format!(
            "cannot read the CA key {} (key `ca.key`)",
            key_path.display()
        )
    })?;
    CertificateAuthority::from_pem_with_password(&chain, &key, password.map(str::as_bytes))
        .map_err(|e| key_error(e, &key_path, " (key `ca.key`)"))
        .with_context(|| {
            format!(
                "the CA chain ({}) and key {} do not make a usable CA",
                section.certificates.join(", "),
                key_path.display()
            )
        })
}

/// Turns a missing or wrong password into an error naming the file (and `which`, the
/// configuration key) and [`PASSWORD_ENV`].
fn key_error(e: CertError, path: &Path, which: &str) -> anyhow::Error {
    match e {
        CertError::KeyPasswordRequired => anyhow::anyhow!(
            "{}{which} is encrypted: set {PASSWORD_ENV} to its password",
            path.display()
        ),
        CertError::KeyPassword => anyhow::anyhow!(
            "{}{which} does not decrypt with the password in {PASSWORD_ENV} \
             (wrong password, or a damaged file)",
            path.display()
        ),
        other => other.into(),
    }
}

fn read_key(path: &Path, password: Option<&str>) -> Result<CaKey> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("cannot read the CA key {}", path.display()))?;
    CaKey::from_pem_with_password(&text, password.map(str::as_bytes)).map_err(|e| match e {
        e @ (CertError::KeyPasswordRequired | CertError::KeyPassword) => key_error(e, path, ""),
        other => {
            anyhow::Error::from(other).context(format!("{}: not a usable CA key", path.display()))
        }
    })
}

/// The root key must be the one the root certificate certifies, or a future intermediate
/// made with it would not chain to what clients trust.
fn check_root_key(
    layout: &DefaultLayout,
    ca: &CertificateAuthority,
    password: Option<&str>,
) -> Result<()> {
    use x509_cert::der::{Decode as _, Encode as _};
    let key = read_key(&layout.root_key, password)?;
    let root = x509_cert::Certificate::from_der(ca.root_der())
        .context("parsing the CA root certificate")?;
    let spki = key
        .public_key_info()
        .context("the CA root key's public key")?;
    if root.tbs_certificate.subject_public_key_info.to_der()? != spki.to_der()? {
        bail!(
            "{} is not the key of {}: move the wrong one away and restore the right one",
            layout.root_key.display(),
            layout.root_cert.display()
        );
    }
    Ok(())
}

fn write_certs(layout: &DefaultLayout, ca: &CertificateAuthority) -> Result<()> {
    let [intermediate, root] = ca.chain_der() else {
        bail!("the new CA chain does not have two certificates");
    };
    keys::create_new(
        &layout.root_cert,
        &keys::pem_encode("CERTIFICATE", root),
        0o644,
    )?;
    keys::create_new(
        &layout.intermediate_cert,
        &keys::pem_encode("CERTIFICATE", intermediate),
        0o644,
    )
}

fn names(paths: &[&&PathBuf]) -> String {
    paths
        .iter()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "sigstack-ca-{name}-{}-{:?}",
            std::process::id(),
            SystemTime::now()
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn creates_then_keeps_a_two_level_chain() {
        let dir = temp_dir("create");
        let section = CaSection::new("example");
        let (ca, made) = ensure(&dir, &section, "ca.test", None).unwrap();
        assert!(made.iter().all(|(_, m, _)| *m == Made::Created));
        assert_eq!(ca.chain_der().len(), 2);
        #[cfg(unix)]
        for key in [files::CA_ROOT_KEY, files::CA_INTERMEDIATE_KEY] {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.join(key)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
        let before: Vec<Vec<u8>> = all_files(&dir);
        let (again, made) = ensure(&dir, &section, "ca.test", None).unwrap();
        assert!(made.iter().all(|(_, m, _)| *m == Made::Kept));
        assert_eq!(again.chain_der(), ca.chain_der());
        assert_eq!(all_files(&dir), before);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn certifies_keys_left_by_an_interrupted_init() {
        let dir = temp_dir("resume");
        let section = CaSection::new("example");
        ensure(&dir, &section, "ca.test", None).unwrap();
        let root_key = fs::read(dir.join(files::CA_ROOT_KEY)).unwrap();
        fs::remove_file(dir.join(files::CA_ROOT_CERT)).unwrap();
        fs::remove_file(dir.join(files::CA_INTERMEDIATE_CERT)).unwrap();
        let (_, made) = ensure(&dir, &section, "ca.test", None).unwrap();
        assert_eq!(
            made.iter().filter(|(_, m, _)| *m == Made::Created).count(),
            2
        );
        assert_eq!(fs::read(dir.join(files::CA_ROOT_KEY)).unwrap(), root_key);
        assert!(load(&dir, &section, None).is_ok());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn partial_or_mismatched_files_are_refused() {
        let dir = temp_dir("partial");
        let section = CaSection::new("example");
        ensure(&dir, &section, "ca.test", None).unwrap();
        fs::remove_file(dir.join(files::CA_INTERMEDIATE_KEY)).unwrap();
        let e = format!("{:#}", ensure(&dir, &section, "ca.test", None).unwrap_err());
        assert!(e.contains(files::CA_INTERMEDIATE_KEY), "{e}");
        // The wrong issuing key is caught by load, naming the files.
        let (_, other) = CaKey::generate(CaKeyAlgorithm::EcdsaP256).unwrap();
        fs::write(
            dir.join(files::CA_INTERMEDIATE_KEY),
            keys::pem_encode("PRIVATE KEY", &other),
        )
        .unwrap();
        let e = format!("{:#}", load(&dir, &section, None).unwrap_err());
        assert!(e.contains(files::CA_INTERMEDIATE_KEY), "{e}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn operator_files_are_checked_not_created() {
        let dir = temp_dir("operator");
        let section = CaSection {
            config: None,
            certificates: vec!["mine.pem".into()],
            key: "mine-key.pem".into(),
            organization: None,
        };
        let e = format!("{:#}", ensure(&dir, &section, "x", None).unwrap_err());
        assert!(
            e.contains("mine.pem") && e.contains("ca.certificates"),
            "{e}"
        );
        assert!(!dir.join(files::CA_ROOT_KEY).exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    fn all_files(dir: &Path) -> Vec<Vec<u8>> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        names.iter().map(|p| fs::read(p).unwrap()).collect()
    }
}
