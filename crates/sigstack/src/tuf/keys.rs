//! TUF signing keys as files: Ed25519, PKCS#8 in a `PRIVATE KEY` PEM, mode 0600.
//!
//! Ed25519 because every client's TUF library reads it (go-tuf, python-tuf, tuf-js, tough);
//! files because the root keys must be movable offline with `mv`, and an HSM-backed
//! [`KeySource`] can replace [`FileKey`] without touching the repository code.

use std::error::Error as StdError;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::Ed25519KeyPair;
use tough::async_trait;
use tough::key_source::KeySource;
use tough::schema::decoded::{Decoded, Hex};
use tough::schema::key::Key;
use tough::sign::{parse_keypair, Sign};

use crate::keys::{create_new, pem_decode, pem_encode};

/// A signing key in a file.
#[derive(Clone)]
pub struct FileKey {
    /// Where the PEM file is.
    pub path: PathBuf,
}

impl fmt::Debug for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileKey({})", self.path.display())
    }
}

impl FileKey {
    /// Creates a new Ed25519 key at `path` (which must not exist).
    pub fn generate(path: &Path) -> Result<Self> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| anyhow::anyhow!("cannot generate an Ed25519 key"))?;
        create_new(path, &pem_encode("PRIVATE KEY", pkcs8.as_ref()), 0o600)?;
        Ok(Self {
            path: path.to_owned(),
        })
    }

    /// The key pair, read from the file.
    pub fn signer(&self) -> Result<impl Sign> {
        let text = std::fs::read_to_string(&self.path)
            .with_context(|| format!("cannot read the TUF key {}", self.path.display()))?;
        let der = pem_decode(&text, "PRIVATE KEY")
            .with_context(|| format!("TUF key {}", self.path.display()))?;
        parse_keypair(&der).map_err(|e| {
            anyhow::anyhow!(
                "TUF key {}: not an Ed25519/ECDSA/RSA key: {e}",
                self.path.display()
            )
        })
    }

    /// The public key as TUF metadata lists it, and its key ID.
    pub fn public(&self) -> Result<(Decoded<Hex>, Key)> {
        let key = self.signer()?.tuf_key();
        let id = key
            .key_id()
            .map_err(|e| anyhow::anyhow!("key ID of {}: {e}", self.path.display()))?;
        Ok((id, key))
    }
}

#[async_trait]
impl KeySource for FileKey {
    async fn as_sign(&self) -> Result<Box<dyn Sign>, Box<dyn StdError + Send + Sync + 'static>> {
        Ok(Box::new(self.signer()?))
    }

    /// Never used: sigstack does not let tough rewrite key files.
    async fn write(
        &self,
        _value: &str,
        _key_id_hex: &str,
    ) -> Result<(), Box<dyn StdError + Send + Sync + 'static>> {
        Err(format!("{}: sigstack never rewrites a TUF key", self.path.display()).into())
    }
}

/// `keys` as the list tough's signing functions take.
pub fn sources(keys: &[FileKey]) -> Vec<Box<dyn KeySource>> {
    keys.iter()
        .map(|k| Box::new(k.clone()) as Box<dyn KeySource>)
        .collect()
}
