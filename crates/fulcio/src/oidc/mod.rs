//! Identity-token verification as a pipeline of small steps, each a public function that can
//! be tested alone:
//!
//! 1. [`UnverifiedToken::parse`] — size limit, compact-JWS shape, decode; read `iss` untrusted.
//! 2. [`Config::issuer_for`] — the configured or meta issuer for that `iss`.
//! 3. [`KeyStore`] — the issuer's keys (discovery + JWKS, cached; or a static JWKS).
//! 4. [`verify_signature`] — allow-listed `alg`, key type matching `alg`, ring verification.
//! 5. [`claims::check_issuer`], [`claims::check_audience`], [`claims::check_times`] — with the
//!    clock passed in as `now_unix`; nothing here reads the system time.
//! 6. [`crate::identity::principal`] — type-specific claims to a [`Principal`].
//!
//! [`Verifier`] runs them in order. Keys are never taken from the token itself: `jwk`, `jku`,
//! `x5u` and `x5c` header members are ignored, and a `crit` header is refused.

pub mod claims;
mod compact;
#[cfg(feature = "http-keys")]
mod http;
mod jwk;
mod keystore;

use std::sync::Arc;

pub use self::claims::Leeway;
pub use self::compact::{UnverifiedToken, DEFAULT_MAX_TOKEN_LEN};
#[cfg(feature = "http-keys")]
pub use self::http::{HttpKeyStore, HttpKeyStoreOptions};
pub use self::jwk::{Algorithm, Jwk, JwkSet};
pub use self::keystore::{IssuerKeys, KeyFuture, KeyStore, LayeredKeyStore, StaticKeyStore};

use crate::config::{Config, ResolvedIssuer};
use crate::error::{Error, Result};
use crate::identity::{self, Claims, Principal};

/// The key store a server builds from its config: each issuer's `StaticJWKSFile` where set,
/// OIDC discovery over HTTP(S) for the rest.
#[cfg(feature = "http-keys")]
pub fn key_store_for(config: Arc<Config>) -> Result<Arc<dyn KeyStore>> {
    let statics = StaticKeyStore::from_config(&config)?;
    let http: Arc<dyn KeyStore> =
        Arc::new(HttpKeyStore::new(config, HttpKeyStoreOptions::default())?);
    Ok(Arc::new(LayeredKeyStore::new(statics, Some(http))))
}

/// Options of the pipeline.
#[derive(Clone, Copy, Debug)]
pub struct VerifyOptions {
    /// Tokens longer than this are refused before decoding.
    pub max_token_len: usize,
    /// Clock tolerance.
    pub leeway: Leeway,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            leeway: Leeway::default(),
        }
    }
}

/// A token whose signature, issuer, audience and times have been checked.
#[derive(Clone, Debug)]
pub struct VerifiedToken {
    /// The issuer it was matched to.
    pub issuer: ResolvedIssuer,
    /// Its claims.
    pub claims: Claims,
}

/// Step 4: verifies the token's signature with the issuer's keys.
///
/// `alg` must be allow-listed *and* among the issuer's algorithms. With a `kid`, exactly that
/// key is used (the store refreshes once if it is unknown); without one, every key suited to
/// `alg` is tried, as go-oidc does.
pub async fn verify_signature(
    token: &UnverifiedToken<'_>,
    issuer: &str,
    keys: &dyn KeyStore,
) -> Result<()> {
    if token.header.contains_key("crit") {
        return Err(Error::Malformed(
            "crit header parameters are not supported".into(),
        ));
    }
    let alg_name = token.alg()?;
    let alg = Algorithm::from_name(alg_name)
        .ok_or_else(|| Error::AlgorithmNotAllowed(alg_name.to_owned()))?;
    let message = token.signing_input.as_bytes();
    // With a kid, look the key up first: an unknown kid refreshes the issuer's keys, and the
    // algorithm list is then read from the refreshed set.
    let key = match token.kid()? {
        Some(kid) => Some(keys.key(issuer, kid).await?),
        None => None,
    };
    let set = keys.keys(issuer).await?;
    if !set.algorithms.contains(&alg) {
        return Err(Error::AlgorithmNotAllowed(alg_name.to_owned()));
    }
    match key {
        Some(key) => key.verify(alg, message, &token.signature),
        None => {
            let mut candidates = set.keys.iter().filter(|k| k.suits(alg)).peekable();
            if candidates.peek().is_none() {
                return Err(Error::KeyNotFound {
                    issuer: issuer.to_owned(),
                    kid: format!("(none; no {} key)", alg.name()),
                });
            }
            if candidates.any(|k| k.verify(alg, message, &token.signature).is_ok()) {
                Ok(())
            } else {
                Err(Error::BadSignature)
            }
        }
    }
}

/// The whole pipeline over a configuration and a key store.
pub struct Verifier {
    config: Arc<Config>,
    keys: Arc<dyn KeyStore>,
    options: VerifyOptions,
}

impl Verifier {
    /// A verifier with default options.
    pub fn new(config: Arc<Config>, keys: Arc<dyn KeyStore>) -> Self {
        Self::with_options(config, keys, VerifyOptions::default())
    }

    /// A verifier with explicit options.
    pub fn with_options(
        config: Arc<Config>,
        keys: Arc<dyn KeyStore>,
        options: VerifyOptions,
    ) -> Self {
        Self {
            config,
            keys,
            options,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Steps 1–5: a verified token, or the first reason to refuse it.
    pub async fn verify(&self, token: &str, now_unix: i64) -> Result<VerifiedToken> {
        let unverified = UnverifiedToken::parse(token.trim(), self.options.max_token_len)?;
        let iss = unverified.issuer()?;
        let issuer = self
            .config
            .issuer_for(iss)
            .ok_or_else(|| Error::UnknownIssuer(iss.to_owned()))?;
        verify_signature(&unverified, &issuer.url, self.keys.as_ref()).await?;
        let claims = unverified.claims;
        claims::check_issuer(&claims, &issuer.url)?;
        claims::check_audience(&claims, &issuer.config.client_id)?;
        claims::check_times(&claims, now_unix, self.options.leeway)?;
        Ok(VerifiedToken { issuer, claims })
    }

    /// Steps 1–6: the principal of a valid token.
    pub async fn authenticate(&self, token: &str, now_unix: i64) -> Result<Principal> {
        let verified = self.verify(token, now_unix).await?;
        identity::principal(&verified.issuer, &verified.claims, &self.config)
    }
}
