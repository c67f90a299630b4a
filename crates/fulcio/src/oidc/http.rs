//! OIDC discovery + JWKS over HTTP(S), cached per issuer.
//!
//! Behaviour (Fulcio/go-oidc where it matters to clients): discovery at
//! `<iss>/.well-known/openid-configuration`, whose `issuer` must equal `iss` exactly; keys
//! from its `jwks_uri`; algorithms from `id_token_signing_alg_values_supported` filtered to
//! the allow-list (RS256 alone when nothing is left); 10 s timeouts; redirects only within
//! the same host; the issuer's `CACert` trusted in addition to the system roots.
//!
//! Caching: keys are reused for `ttl`; an unknown `kid` triggers a refetch at most once per
//! `min_refresh_interval` per issuer; fetches for one issuer are single-flight; when a refetch
//! fails, the previous keys keep serving (an IdP outage must not stop signing with keys we
//! already trust). Time here is `Instant` (monotonic) — cache ages only, never token validity.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::jwk::{Algorithm, Jwk, JwkSet};
use super::keystore::{IssuerKeys, KeyFuture, KeyStore};
use crate::config::Config;
use crate::error::{Error, Result};

/// Tunables of [`HttpKeyStore`].
#[derive(Clone, Debug)]
pub struct HttpKeyStoreOptions {
    /// How long fetched keys are used without refetching.
    pub ttl: Duration,
    /// Minimum time between two refetches of one issuer (unknown-`kid` refreshes included).
    pub min_refresh_interval: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Largest discovery document or JWKS accepted.
    pub max_document_len: usize,
    /// Most issuers cached (meta issuers can create many); the stalest is evicted.
    pub max_issuers: usize,
}

impl Default for HttpKeyStoreOptions {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(3600),
            min_refresh_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            max_document_len: 1 << 20,
            max_issuers: 1000,
        }
    }
}

#[derive(Default)]
struct Slot {
    keys: Option<Arc<IssuerKeys>>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
}

/// One issuer's cache entry with the time it was last used (for eviction).
type SlotEntry = (Instant, Arc<tokio::sync::Mutex<Slot>>);

/// A [`KeyStore`] that performs OIDC discovery and fetches JWKS.
pub struct HttpKeyStore {
    config: Arc<Config>,
    options: HttpKeyStoreOptions,
    default_client: reqwest::Client,
    ca_clients: Mutex<HashMap<String, reqwest::Client>>,
    slots: Mutex<HashMap<String, SlotEntry>>,
}

fn fetch_err(issuer: &str, reason: impl Into<String>) -> Error {
    Error::KeyFetch {
        issuer: issuer.to_owned(),
        reason: reason.into(),
    }
}

fn build_client(options: &HttpKeyStoreOptions, ca_pem: Option<&str>) -> Result<reqwest::Client> {
    // reqwest is built without a crypto provider (its default would be aws-lc-rs); use ring.
    // Installing twice is harmless: the first one stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        let same_host = attempt
            .previous()
            .first()
            .is_some_and(|first| first.host_str() == attempt.url().host_str());
        if same_host && attempt.previous().len() < 5 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    let mut b = reqwest::Client::builder()
        .timeout(options.timeout)
        .redirect(policy);
    if let Some(pem) = ca_pem {
        let cert = reqwest::Certificate::from_pem(pem.as_bytes())
            .map_err(|e| fetch_err("(CACert)", format!("bad CACert: {e}")))?;
        b = b.add_root_certificate(cert);
    }
    b.build()
        .map_err(|e| fetch_err("(client)", format!("cannot build HTTP client: {e}")))
}

impl HttpKeyStore {
    /// A store for the issuers of `config` (their `CACert`s are honoured).
    pub fn new(config: Arc<Config>, options: HttpKeyStoreOptions) -> Result<Self> {
        let default_client = build_client(&options, None)?;
        Ok(Self {
            config,
            options,
            default_client,
            ca_clients: Mutex::new(HashMap::new()),
            slots: Mutex::new(HashMap::new()),
        })
    }

    fn client(&self, issuer: &str) -> Result<reqwest::Client> {
        let ca = self
            .config
            .issuer_for(issuer)
            .and_then(|r| r.config.ca_cert.clone());
        let Some(ca) = ca else {
            return Ok(self.default_client.clone());
        };
        let mut clients = self
            .ca_clients
            .lock()
            .map_err(|_| fetch_err(issuer, "client cache poisoned"))?;
        if let Some(c) = clients.get(&ca) {
            return Ok(c.clone());
        }
        let c = build_client(&self.options, Some(&ca))?;
        clients.insert(ca, c.clone());
        Ok(c)
    }

    fn slot(&self, issuer: &str) -> Result<Arc<tokio::sync::Mutex<Slot>>> {
        let mut slots = self
            .slots
            .lock()
            .map_err(|_| fetch_err(issuer, "key cache poisoned"))?;
        let now = Instant::now();
        if let Some((used, slot)) = slots.get_mut(issuer) {
            *used = now;
            return Ok(slot.clone());
        }
        if slots.len() >= self.options.max_issuers {
            if let Some(stalest) = slots
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone())
            {
                slots.remove(&stalest);
            }
        }
        let slot = Arc::new(tokio::sync::Mutex::new(Slot::default()));
        slots.insert(issuer.to_owned(), (now, slot.clone()));
        Ok(slot)
    }

    async fn get_json(&self, client: &reqwest::Client, issuer: &str, url: &str) -> Result<Value> {
        let mut resp = client
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| fetch_err(issuer, format!("GET {url}: {e}")))?;
        if !resp.status().is_success() {
            return Err(fetch_err(
                issuer,
                format!("GET {url}: HTTP {}", resp.status().as_u16()),
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| fetch_err(issuer, format!("GET {url}: {e}")))?
        {
            if body.len() + chunk.len() > self.options.max_document_len {
                return Err(fetch_err(issuer, format!("GET {url}: document too large")));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|e| fetch_err(issuer, format!("GET {url}: {e}")))
    }

    /// Discovery, then JWKS.
    async fn fetch(&self, issuer: &str) -> Result<IssuerKeys> {
        let client = self.client(issuer)?;
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let doc = self.get_json(&client, issuer, &discovery_url).await?;
        let advertised = doc
            .get("issuer")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if advertised != issuer {
            return Err(fetch_err(
                issuer,
                format!("discovery document names issuer {advertised:?}"),
            ));
        }
        let jwks_uri = doc
            .get("jwks_uri")
            .and_then(Value::as_str)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .ok_or_else(|| fetch_err(issuer, "discovery document has no http(s) jwks_uri"))?
            .to_owned();
        let mut algorithms: Vec<Algorithm> = doc
            .get("id_token_signing_alg_values_supported")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .filter_map(Algorithm::from_name)
                    .collect()
            })
            .unwrap_or_default();
        if algorithms.is_empty() {
            algorithms.push(Algorithm::Rs256);
        }
        let jwks = self.get_json(&client, issuer, &jwks_uri).await?;
        let jwks: JwkSet = serde_json::from_value(jwks)
            .map_err(|e| fetch_err(issuer, format!("{jwks_uri}: not a JWKS: {e}")))?;
        Ok(IssuerKeys {
            keys: jwks.keys,
            algorithms,
        })
    }

    /// Returns cached keys, refetching when stale (`force`: also when merely rate-limit old).
    async fn load(&self, issuer: &str, force: bool) -> Result<Arc<IssuerKeys>> {
        let slot = self.slot(issuer)?;
        let mut s = slot.lock().await;
        let now = Instant::now();
        let fresh = s
            .fetched_at
            .is_some_and(|t| now.duration_since(t) < self.options.ttl);
        let may_refetch = s
            .last_attempt
            .is_none_or(|t| now.duration_since(t) >= self.options.min_refresh_interval);
        if let Some(keys) = &s.keys {
            if (fresh && !force) || !may_refetch {
                return Ok(keys.clone());
            }
        } else if !may_refetch {
            return Err(fetch_err(issuer, "keys unavailable (recent fetch failed)"));
        }
        s.last_attempt = Some(now);
        match self.fetch(issuer).await {
            Ok(keys) => {
                let keys = Arc::new(keys);
                s.keys = Some(keys.clone());
                s.fetched_at = Some(now);
                Ok(keys)
            }
            Err(e) => s.keys.clone().ok_or(e),
        }
    }
}

impl KeyStore for HttpKeyStore {
    fn keys<'a>(&'a self, issuer: &'a str) -> KeyFuture<'a, Arc<IssuerKeys>> {
        Box::pin(self.load(issuer, false))
    }

    fn key<'a>(&'a self, issuer: &'a str, kid: &'a str) -> KeyFuture<'a, Jwk> {
        Box::pin(async move {
            let keys = self.load(issuer, false).await?;
            if let Some(k) = keys.by_kid(kid) {
                return Ok(k.clone());
            }
            let keys = self.load(issuer, true).await?;
            keys.by_kid(kid).cloned().ok_or_else(|| Error::KeyNotFound {
                issuer: issuer.to_owned(),
                kid: kid.to_owned(),
            })
        })
    }
}
