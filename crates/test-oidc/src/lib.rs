//! A test OIDC issuer for sigstack's tests: it makes signing keys, publishes them as a discovery
//! document and a JWKS, and mints tokens with any claims and headers — honest ones, and the
//! malicious shapes a CA must refuse (`alg: none`, HS256 keyed with the RSA public key, a wrong
//! `kid`, a tampered signature, a key embedded in the header).
//!
//! It is test support, not a product: keys are throw-away (the RSA ones are fixed PEM files in
//! this crate, because generating RSA keys in debug builds is slow), and nothing here checks its
//! inputs. The time is always passed in (`now_unix`) so tests are reproducible.
//!
//! Serving is optional: [`TestIssuer::documents`] returns `(path, body)` pairs that a test can
//! write to disk (static JWKS) or hand to any server, and the `server` feature adds a small axum
//! router (`server::router`) that counts requests, so key-cache behaviour can be asserted.

#![forbid(unsafe_code)]

mod der;
mod keys;
pub mod presets;
#[cfg(feature = "server")]
pub mod server;
mod token;

pub use keys::{KeyKind, TestKey};
pub use token::TokenBuilder;

use serde_json::{json, Value};

/// Path of the discovery document, relative to the issuer URL.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// Path of the JWKS this issuer advertises in its discovery document.
pub const JWKS_PATH: &str = "/jwks";

/// An OIDC issuer for tests: an issuer URL and the keys it publishes.
///
/// The first key added is the default signing key of [`TestIssuer::token`].
pub struct TestIssuer {
    issuer: String,
    keys: Vec<TestKey>,
    /// Keys that sign but are not published (tokens "from" this issuer signed by a stranger).
    unpublished: Vec<TestKey>,
    /// Override of `id_token_signing_alg_values_supported`; `None` = derived from the keys.
    advertised_algs: Option<Vec<String>>,
}

impl TestIssuer {
    /// An issuer at `issuer` (the exact `iss` value) publishing one RSA-2048 key, kid `rsa-1`.
    pub fn new(issuer: &str) -> Self {
        Self::empty(issuer).with_key(TestKey::rsa("rsa-1"))
    }

    /// An issuer that publishes no key yet.
    pub fn empty(issuer: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            keys: Vec::new(),
            unpublished: Vec::new(),
            advertised_algs: None,
        }
    }

    /// Publishes another key.
    pub fn with_key(mut self, key: TestKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Adds a key that can sign tokens but is absent from the JWKS.
    pub fn with_unpublished_key(mut self, key: TestKey) -> Self {
        self.unpublished.push(key);
        self
    }

    /// Sets `id_token_signing_alg_values_supported` explicitly (an empty list is allowed).
    pub fn advertising_algs(mut self, algs: &[&str]) -> Self {
        self.advertised_algs = Some(algs.iter().map(|a| (*a).to_owned()).collect());
        self
    }

    /// Publishes `key` (key rotation while a server is running).
    pub fn add_key(&mut self, key: TestKey) {
        self.keys.push(key);
    }

    /// The issuer URL (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// A published or unpublished key by `kid`.
    ///
    /// # Panics
    /// If there is no such key (test support: a typo should fail loudly).
    pub fn key(&self, kid: &str) -> &TestKey {
        self.keys
            .iter()
            .chain(&self.unpublished)
            .find(|k| k.kid() == kid)
            .unwrap_or_else(|| panic!("test issuer has no key {kid:?}"))
    }

    /// The published keys.
    pub fn keys(&self) -> &[TestKey] {
        &self.keys
    }

    /// The JWKS (`{"keys": [...]}`) of the published keys.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(TestKey::jwk).collect::<Vec<_>>() })
    }

    /// The OpenID discovery document, with `jwks_uri` under the issuer URL.
    pub fn discovery_document(&self) -> Value {
        let algs: Vec<String> = match &self.advertised_algs {
            Some(a) => a.clone(),
            None => {
                let mut v: Vec<String> = Vec::new();
                for k in &self.keys {
                    for a in k.kind().default_algs() {
                        if !v.iter().any(|x| x == a) {
                            v.push((*a).to_owned());
                        }
                    }
                }
                v
            }
        };
        let base = self.issuer.trim_end_matches('/');
        json!({
            "issuer": self.issuer,
            "jwks_uri": format!("{base}{JWKS_PATH}"),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algs,
            "claims_supported": ["sub", "aud", "exp", "iat", "iss", "email", "email_verified"],
        })
    }

    /// `(path, body)` of the discovery document and the JWKS, for any server or a static file.
    pub fn documents(&self) -> Vec<(String, String)> {
        vec![
            (
                DISCOVERY_PATH.to_owned(),
                self.discovery_document().to_string(),
            ),
            (JWKS_PATH.to_owned(), self.jwks().to_string()),
        ]
    }

    /// A token builder with standard claims at time `now_unix`: `iss`, `aud: "sigstore"`,
    /// `sub: "test-subject"`, `iat` = `nbf` = now, `exp` = now + 600; signed by the first key.
    ///
    /// # Panics
    /// If the issuer has no key.
    pub fn token(&self, now_unix: i64) -> TokenBuilder<'_> {
        let key = self
            .keys
            .first()
            .or(self.unpublished.first())
            .expect("test issuer has no key to sign with");
        TokenBuilder::new(self, key, now_unix)
    }
}
