//! Step 3: where verification keys come from — the one place with I/O, behind a trait so the
//! pipeline is testable with in-memory keys.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::jwk::{Algorithm, Jwk, JwkSet};
use crate::config::Config;
use crate::error::{Error, Result};

/// The future a [`KeyStore`] returns (boxed so the trait is object-safe).
pub type KeyFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// The verification keys of one issuer and the algorithms it signs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerKeys {
    /// The published keys.
    pub keys: Vec<Jwk>,
    /// The allow-listed algorithms this issuer may use (from discovery's
    /// `id_token_signing_alg_values_supported`, RS256 only when it lists none — go-oidc's
    /// rule; every allow-listed algorithm for static JWKS).
    pub algorithms: Vec<Algorithm>,
}

impl IssuerKeys {
    /// Keys from a JWKS with every allow-listed algorithm permitted.
    pub fn from_jwks(jwks: JwkSet) -> Self {
        Self {
            keys: jwks.keys,
            algorithms: Algorithm::ALL.to_vec(),
        }
    }

    /// The key with `kid`.
    pub fn by_kid(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }
}

/// Source of issuer keys.
///
/// Contract: `keys` may answer from a cache; `key` must, when `kid` is not in its cached set,
/// refetch (rate-limited per issuer, so a flood of random `kid`s cannot turn the CA into a
/// request amplifier) before answering [`Error::KeyNotFound`]. Both are safe to call
/// concurrently. `issuer` is the exact, already-resolved issuer URL.
pub trait KeyStore: Send + Sync {
    /// The issuer's keys and algorithms.
    fn keys<'a>(&'a self, issuer: &'a str) -> KeyFuture<'a, Arc<IssuerKeys>>;
    /// The key with `kid`, refreshing once (rate-limited) when it is unknown.
    fn key<'a>(&'a self, issuer: &'a str, kid: &'a str) -> KeyFuture<'a, Jwk>;
}

/// Fixed keys per issuer: the static-JWKS files of air-gapped issuers, or keys put in by tests.
#[derive(Clone, Debug, Default)]
pub struct StaticKeyStore {
    issuers: BTreeMap<String, Arc<IssuerKeys>>,
}

impl StaticKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads the `StaticJWKSFile` of every issuer that has one.
    pub fn from_config(config: &Config) -> Result<Self> {
        let mut store = Self::new();
        for (url, cfg) in &config.oidc_issuers {
            if let Some(path) = &cfg.static_jwks_file {
                let bytes = std::fs::read(path).map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
                let jwks = JwkSet::from_json(&bytes).map_err(|reason| Error::Config {
                    issuer: url.clone(),
                    field: "StaticJWKSFile",
                    reason: format!("{}: {reason}", path.display()),
                })?;
                store.insert(url, IssuerKeys::from_jwks(jwks));
            }
        }
        Ok(store)
    }

    /// Sets the keys of `issuer`.
    pub fn insert(&mut self, issuer: &str, keys: IssuerKeys) {
        self.issuers.insert(issuer.to_owned(), Arc::new(keys));
    }

    /// Sets the keys of `issuer` from JWKS JSON.
    pub fn insert_jwks(&mut self, issuer: &str, jwks_json: &[u8]) -> Result<()> {
        let jwks = JwkSet::from_json(jwks_json).map_err(|reason| Error::KeyFetch {
            issuer: issuer.to_owned(),
            reason,
        })?;
        self.insert(issuer, IssuerKeys::from_jwks(jwks));
        Ok(())
    }

    /// Whether `issuer` has static keys.
    pub fn contains(&self, issuer: &str) -> bool {
        self.issuers.contains_key(issuer)
    }

    fn get(&self, issuer: &str) -> Result<Arc<IssuerKeys>> {
        self.issuers
            .get(issuer)
            .cloned()
            .ok_or_else(|| Error::KeyFetch {
                issuer: issuer.to_owned(),
                reason: "no static keys for this issuer".into(),
            })
    }
}

impl KeyStore for StaticKeyStore {
    fn keys<'a>(&'a self, issuer: &'a str) -> KeyFuture<'a, Arc<IssuerKeys>> {
        Box::pin(async move { self.get(issuer) })
    }

    fn key<'a>(&'a self, issuer: &'a str, kid: &'a str) -> KeyFuture<'a, Jwk> {
        Box::pin(async move {
            self.get(issuer)?
                .by_kid(kid)
                .cloned()
                .ok_or_else(|| Error::KeyNotFound {
                    issuer: issuer.to_owned(),
                    kid: kid.to_owned(),
                })
        })
    }
}

/// Static keys where configured, else a network store (typically
/// [`super::HttpKeyStore`]): what a server builds from its config.
pub struct LayeredKeyStore {
    statics: StaticKeyStore,
    network: Option<Arc<dyn KeyStore>>,
}

impl LayeredKeyStore {
    /// `statics` first; issuers without static keys go to `network` (or fail when `None`).
    pub fn new(statics: StaticKeyStore, network: Option<Arc<dyn KeyStore>>) -> Self {
        Self { statics, network }
    }

    fn pick(&self, issuer: &str) -> Result<&dyn KeyStore> {
        if self.statics.contains(issuer) {
            return Ok(&self.statics);
        }
        self.network.as_deref().ok_or_else(|| Error::KeyFetch {
            issuer: issuer.to_owned(),
            reason: "no static JWKS and no network key store".into(),
        })
    }
}

impl KeyStore for LayeredKeyStore {
    fn keys<'a>(&'a self, issuer: &'a str) -> KeyFuture<'a, Arc<IssuerKeys>> {
        match self.pick(issuer) {
            Ok(s) => s.keys(issuer),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }

    fn key<'a>(&'a self, issuer: &'a str, kid: &'a str) -> KeyFuture<'a, Jwk> {
        match self.pick(issuer) {
            Ok(s) => s.key(issuer, kid),
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }
}
