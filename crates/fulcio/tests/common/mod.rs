//! Shared test helpers: a config + static key store + verifier around test issuers.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use sigstack_fulcio::oidc::{KeyStore, StaticKeyStore};
use sigstack_fulcio::{Config, Principal, Verifier};
use sigstack_test_oidc::TestIssuer;

/// The fixed "now" of the tests (the golden captures' `iat`).
pub const NOW: i64 = 1_795_659_173;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn golden(rel: &str) -> PathBuf {
    repo_root()
        .join("tests/vectors/golden/fulcio-1.6.5")
        .join(rel)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

pub fn example_config() -> Config {
    Config::from_file(&repo_root().join("config/fulcio-example.yaml")).unwrap()
}

/// A verifier over `config` whose keys are the JWKS of `issuers` (no network).
pub fn verifier(config: Config, issuers: &[&TestIssuer]) -> Verifier {
    let mut store = StaticKeyStore::new();
    for i in issuers {
        store
            .insert_jwks(i.issuer(), i.jwks().to_string().as_bytes())
            .unwrap();
    }
    let keys: Arc<dyn KeyStore> = Arc::new(store);
    Verifier::new(Arc::new(config), keys)
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Authenticates `token` at NOW.
pub fn authenticate(v: &Verifier, token: &str) -> sigstack_fulcio::Result<Principal> {
    block_on(v.authenticate(token, NOW))
}
