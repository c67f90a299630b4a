//! The timestamp authority's key and chain: fixed files in the data directory.
//!
//! The TSA has its own root (`tsa-root-key.pem`, keep offline once `init` is done) over a
//! timestamping leaf (`tsa-key.pem`, the only key `serve` reads); `tsa-chain.pem` is
//! `[leaf, root]`, what `GET /api/v1/timestamp/certchain` serves and clients pin. Why its own
//! root: see `sigstack_tsa::chain`. A data directory made before the TSA existed has none of
//! these: `serve` then runs without the TSA (and says so), and `init` adds them.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context as _, Result};
use sigstack_tsa::Authority;

use super::{Made, Steps};
use crate::keys;

/// The leaf's private key (PKCS#8 PEM, mode 0600).
pub const TSA_KEY: &str = "tsa-key.pem";
/// The root's private key (PKCS#8 PEM, mode 0600): only needed to certify a new leaf.
pub const TSA_ROOT_KEY: &str = "tsa-root-key.pem";
/// The chain, leaf first, root last.
pub const TSA_CHAIN: &str = "tsa-chain.pem";

/// How far the certificates are backdated (clock differences between `init` and `serve`).
const BACKDATE: Duration = Duration::from_secs(3600);

fn paths(dir: &Path) -> [PathBuf; 3] {
    [
        dir.join(TSA_ROOT_KEY),
        dir.join(TSA_KEY),
        dir.join(TSA_CHAIN),
    ]
}

/// For `init`: makes the TSA key and chain if none of the files exist, checks them if all
/// do, and refuses a partial set.
pub fn ensure(dir: &Path, organization: &str, common_name: &str) -> Result<Steps> {
    let [root_key, key, chain] = paths(dir);
    let present = [&root_key, &key, &chain].map(|p| p.exists());
    if present == [true; 3] || (present[1] && present[2]) {
        load(dir)?.context("the TSA files vanished while init ran")?;
        let mut steps = vec![
            (key, Made::Kept, "TSA signing key"),
            (chain, Made::Kept, "TSA certificate chain"),
        ];
        if present[0] {
            steps.insert(0, (root_key, Made::Kept, "TSA root key"));
        }
        return Ok(steps);
    }
    if present.iter().any(|p| *p) {
        bail!(
            "the TSA files are incomplete in {}: {TSA_KEY} and {TSA_CHAIN} belong together; \
             restore the missing one from a backup, or move all of {TSA_ROOT_KEY}, {TSA_KEY} \
             and {TSA_CHAIN} away to make a new TSA (clients will need the new chain)",
            dir.display()
        );
    }
    let now = SystemTime::now()
        .checked_sub(BACKDATE)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let made = sigstack_tsa::chain::create(organization, common_name, now)
        .context("creating the TSA chain")?;
    let pem: String = made
        .chain_der
        .iter()
        .map(|der| keys::pem_encode("CERTIFICATE", der))
        .collect();
    keys::create_new(
        &root_key,
        &keys::pem_encode("PRIVATE KEY", &made.root_key_pkcs8),
        0o600,
    )?;
    keys::create_new(
        &key,
        &keys::pem_encode("PRIVATE KEY", &made.leaf_key_pkcs8),
        0o600,
    )?;
    keys::create_new(&chain, &pem, 0o644)?;
    load(dir)?.context("the new TSA files are not readable")?;
    Ok(vec![
        (
            root_key,
            Made::Created,
            "ECDSA P-256 TSA root key, mode 0600; keep it offline once init is done",
        ),
        (key, Made::Created, "ECDSA P-256 TSA signing key, mode 0600"),
        (
            chain,
            Made::Created,
            "TSA chain: timestamping leaf (EKU critical), its root",
        ),
    ])
}

/// For `serve` and `trust-root`: the TSA, or `None` when the data directory has neither
/// its key nor its chain (made before the TSA existed). One without the other is an error.
pub fn load(dir: &Path) -> Result<Option<Authority>> {
    let [_, key, chain] = paths(dir);
    match (key.exists(), chain.exists()) {
        (false, false) => return Ok(None),
        (true, true) => {}
        _ => bail!(
            "{} and {} belong together: one of them is missing",
            key.display(),
            chain.display()
        ),
    }
    let key_pem =
        fs::read_to_string(&key).with_context(|| format!("cannot read {}", key.display()))?;
    let chain_pem =
        fs::read_to_string(&chain).with_context(|| format!("cannot read {}", chain.display()))?;
    let authority = Authority::from_pem(&key_pem, &chain_pem).with_context(|| {
        format!(
            "{} and {} do not make a usable TSA",
            key.display(),
            chain.display()
        )
    })?;
    Ok(Some(authority))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "sigstack-tsa-{name}-{}-{:?}",
            std::process::id(),
            SystemTime::now()
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn init_creates_then_keeps_and_a_directory_without_them_has_no_tsa() {
        let dir = temp_dir("create");
        assert!(load(&dir).unwrap().is_none());
        let made = ensure(&dir, "example", "example-tsa").unwrap();
        assert!(made.iter().all(|(_, m, _)| *m == Made::Created));
        let chain = fs::read(dir.join(TSA_CHAIN)).unwrap();
        let again = ensure(&dir, "example", "example-tsa").unwrap();
        assert!(again.iter().all(|(_, m, _)| *m == Made::Kept));
        assert_eq!(fs::read(dir.join(TSA_CHAIN)).unwrap(), chain);
        #[cfg(unix)]
        for key in [TSA_KEY, TSA_ROOT_KEY] {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.join(key)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
        assert!(load(&dir).unwrap().is_some());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_partial_set_is_refused() {
        let dir = temp_dir("partial");
        ensure(&dir, "example", "example-tsa").unwrap();
        fs::remove_file(dir.join(TSA_CHAIN)).unwrap();
        assert!(load(&dir).is_err());
        let e = format!("{:#}", ensure(&dir, "example", "example-tsa").unwrap_err());
        assert!(e.contains("incomplete"), "{e}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
