//! `HttpKeyStore` against the test issuer served on 127.0.0.1: discovery, JWKS, caching,
//! refresh on an unknown `kid` (rate-limited), key rotation, and discovery mismatches.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, RwLock};
use std::time::Duration;

use sigstack_fulcio::oidc::{HttpKeyStore, HttpKeyStoreOptions, KeyStore};
use sigstack_fulcio::server::request_status;
use sigstack_fulcio::{Config, Error, Verifier};
use sigstack_test_oidc::server::{serve, Hits, SharedIssuer};
use sigstack_test_oidc::{TestIssuer, TestKey};

const NOW: i64 = 1_795_659_173;

struct Setup {
    url: String,
    issuer: SharedIssuer,
    hits: Arc<Hits>,
    verifier: Verifier,
}

async fn setup(
    build: impl FnOnce(&str) -> TestIssuer,
    config_iss: Option<&str>,
    min_refresh: Duration,
) -> Setup {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let issuer = Arc::new(RwLock::new(build(&url)));
    let hits = serve(listener, issuer.clone());
    let iss = config_iss
        .map(|s| s.replace("{url}", &url))
        .unwrap_or(url.clone());
    let cfg = Arc::new(
        Config::parse(
            format!(r#"{{"OIDCIssuers":{{"{iss}":{{"IssuerURL":"{iss}","Type":"email"}}}}}}"#)
                .as_bytes(),
        )
        .unwrap(),
    );
    let options = HttpKeyStoreOptions {
        min_refresh_interval: min_refresh,
        timeout: Duration::from_secs(5),
        ..HttpKeyStoreOptions::default()
    };
    let keys: Arc<dyn KeyStore> = Arc::new(HttpKeyStore::new(cfg.clone(), options).unwrap());
    Setup {
        url,
        issuer,
        hits,
        verifier: Verifier::new(cfg, keys),
    }
}

fn token(
    s: &Setup,
    edit: impl FnOnce(sigstack_test_oidc::TokenBuilder<'_>) -> sigstack_test_oidc::TokenBuilder<'_>,
) -> String {
    let i = s.issuer.read().unwrap();
    edit(
        i.token(NOW)
            .claim("email", "alice@example.com")
            .claim("email_verified", true),
    )
    .build()
}

#[tokio::test]
async fn discovery_jwks_and_caching() {
    let s = setup(TestIssuer::new, None, Duration::from_millis(300)).await;
    let t = token(&s, |b| b);
    let p = s.verifier.authenticate(&t, NOW).await.unwrap();
    assert_eq!(p.issuer, s.url);
    assert_eq!(s.hits.get(), (1, 1));
    s.verifier.authenticate(&t, NOW).await.unwrap();
    assert_eq!(s.hits.get(), (1, 1), "served from cache");

    // Unknown kid right after a fetch: rate-limited, no request.
    let t = token(&s, |b| b.kid("unknown"));
    let e = s.verifier.authenticate(&t, NOW).await.unwrap_err();
    assert!(matches!(e, Error::KeyNotFound { .. }), "{e}");
    assert_eq!(s.hits.get(), (1, 1));
    // Later: one refresh, then rate-limited again (no request amplification).
    tokio::time::sleep(Duration::from_millis(400)).await;
    for _ in 0..5 {
        let e = s.verifier.authenticate(&t, NOW).await.unwrap_err();
        assert!(matches!(e, Error::KeyNotFound { .. }), "{e}");
    }
    assert_eq!(s.hits.get(), (2, 2));
}

#[tokio::test]
async fn rotation_is_picked_up_on_unknown_kid() {
    let s = setup(TestIssuer::new, None, Duration::ZERO).await;
    s.verifier
        .authenticate(&token(&s, |b| b), NOW)
        .await
        .unwrap();
    s.issuer.write().unwrap().add_key(TestKey::es256("ec-new"));
    let t = {
        let i = s.issuer.read().unwrap();
        i.token(NOW)
            .claim("email", "alice@example.com")
            .claim("email_verified", true)
            .signed_by(i.key("ec-new"))
            .build()
    };
    s.verifier.authenticate(&t, NOW).await.unwrap();
    assert_eq!(s.hits.get(), (2, 2));
}

#[tokio::test]
async fn discovery_issuer_must_match_exactly() {
    // The server claims to be ".../other" while the token and config say the root URL.
    let s = setup(
        |u| TestIssuer::new(&format!("{u}/other")),
        None,
        Duration::ZERO,
    )
    .await;
    let t = {
        let i = s.issuer.read().unwrap();
        i.token(NOW)
            .claim("iss", s.url.clone())
            .claim("email", "alice@example.com")
            .claim("email_verified", true)
            .build()
    };
    let e = s.verifier.authenticate(&t, NOW).await.unwrap_err();
    assert!(matches!(e, Error::KeyFetch { .. }), "{e}");
    assert_eq!(request_status(&e).as_u16(), 503);
}

#[tokio::test]
async fn advertised_algorithms_limit_what_verifies() {
    // No algorithms advertised: go-oidc's default, RS256 only.
    let s = setup(
        |u| {
            TestIssuer::new(u)
                .with_key(TestKey::es256("ec-1"))
                .advertising_algs(&[])
        },
        None,
        Duration::ZERO,
    )
    .await;
    s.verifier
        .authenticate(&token(&s, |b| b), NOW)
        .await
        .unwrap();
    let t = {
        let i = s.issuer.read().unwrap();
        i.token(NOW)
            .claim("email", "alice@example.com")
            .claim("email_verified", true)
            .signed_by(i.key("ec-1"))
            .build()
    };
    let e = s.verifier.authenticate(&t, NOW).await.unwrap_err();
    assert!(
        matches!(e, Error::AlgorithmNotAllowed(ref a) if a == "ES256"),
        "{e}"
    );
    let e = s
        .verifier
        .authenticate(&token(&s, |b| b.alg("PS256")), NOW)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::AlgorithmNotAllowed(_)), "{e}");
}

#[tokio::test]
async fn unreachable_issuer() {
    // Bind and drop to get a port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let iss = format!("http://127.0.0.1:{port}");
    let cfg = Arc::new(
        Config::parse(
            format!(r#"{{"OIDCIssuers":{{"{iss}":{{"IssuerURL":"{iss}","Type":"email"}}}}}}"#)
                .as_bytes(),
        )
        .unwrap(),
    );
    let keys: Arc<dyn KeyStore> =
        Arc::new(HttpKeyStore::new(cfg.clone(), HttpKeyStoreOptions::default()).unwrap());
    let v = Verifier::new(cfg, keys);
    let issuer = TestIssuer::new(&iss);
    let t = issuer.token(NOW).build();
    let e = v.authenticate(&t, NOW).await.unwrap_err();
    assert!(matches!(e, Error::KeyFetch { .. }), "{e}");
    assert_eq!(
        e.client_message(),
        sigstack_fulcio::error::TOKEN_ERROR_MESSAGE
    );
}
