//! OIDC identity tokens through the whole pipeline ([`Verifier::authenticate`]): compact-JWS
//! parsing, issuer lookup (configured and meta issuers), signature check against an
//! in-memory key store, registered claims at a fixed clock, and the type-specific claims that
//! become a [`sigstack_fulcio::Principal`].
//!
//! Two input shapes. A single part is a token, as a client sends it (only the seeds, signed
//! by the fixed keys below, get past the signature). `header ⁞ claims` is signed here with
//! the fixed key that suits the header's `alg`, so libFuzzer explores the claim checks and
//! identity mapping behind a valid signature.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sigstack_fulcio::oidc::{IssuerKeys, Jwk, JwkSet, KeyFuture, KeyStore};
use sigstack_fulcio::{Config, Verifier};
use sigstack_test_oidc::TestKey;

use crate::parts;

/// The clock of every check (the golden Fulcio captures' `iat`).
pub const NOW: i64 = 1_795_659_173;

/// Issuers of every identity type, a meta issuer and a CI provider with templates.
pub const CONFIG: &str = r#"{
  "OIDCIssuers": {
    "https://email.example.com": {"IssuerURL": "https://email.example.com", "ClientID": "sigstore", "Type": "email"},
    "https://lax.example.com": {"IssuerURL": "https://lax.example.com", "ClientID": "sigstore", "Type": "email", "SkipEmailVerification": true, "IssuerClaim": "$.federated.connector"},
    "https://gh.example.com": {"IssuerURL": "https://gh.example.com", "ClientID": "sigstore", "Type": "github-workflow"},
    "https://gl.example.com": {"IssuerURL": "https://gl.example.com", "ClientID": "sigstore", "Type": "gitlab-pipeline"},
    "https://bk.example.com": {"IssuerURL": "https://bk.example.com", "ClientID": "sigstore", "Type": "buildkite-job"},
    "https://cf.example.com": {"IssuerURL": "https://cf.example.com", "ClientID": "sigstore", "Type": "codefresh-workflow"},
    "https://cg.example.com": {"IssuerURL": "https://cg.example.com", "ClientID": "sigstore", "Type": "chainguard-identity"},
    "https://spiffe.example.com": {"IssuerURL": "https://spiffe.example.com", "ClientID": "sigstore", "Type": "spiffe", "SPIFFETrustDomain": "example.com"},
    "https://uri.example.com": {"IssuerURL": "https://uri.example.com", "ClientID": "sigstore", "Type": "uri", "SubjectDomain": "https://uri.example.com"},
    "https://user.example.com": {"IssuerURL": "https://user.example.com", "ClientID": "sigstore", "Type": "username", "SubjectDomain": "example.com"},
    "https://ci.example.com": {"IssuerURL": "https://ci.example.com", "ClientID": "sigstore", "Type": "ci-provider", "CIProvider": "fuzz-ci"}
  },
  "MetaIssuers": {
    "https://k8s.*.example.com/id/*": {"ClientID": "sigstore", "Type": "kubernetes"}
  },
  "CIIssuerMetadata": {
    "fuzz-ci": {
      "DefaultTemplateValues": {"url": "https://ci.example.com"},
      "ExtensionTemplates": {
        "SourceRepositoryURI": "{{ .url }}/{{ .repository }}",
        "SourceRepositoryRef": "refs/{{if eq .ref_type \"branch\"}}heads/{{ else }}tags/{{end}}{{ .ref }}",
        "BuildTrigger": "event_name"
      },
      "SubjectAlternativeNameTemplate": "{{ .url }}/{{ .workflow_ref }}"
    }
  }
}"#;

/// The fixed signing keys (kids `es256`, `es384`, `ed25519`, `rsa`).
pub fn signing_keys() -> &'static [TestKey] {
    static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        vec![
            TestKey::es256("es256"),
            TestKey::es384("es384"),
            TestKey::ed25519("ed25519"),
            TestKey::rsa("rsa"),
        ]
    })
}

/// Every issuer — configured or matched by a meta issuer — has the same fixed keys.
struct FixedKeys(Arc<IssuerKeys>);

impl KeyStore for FixedKeys {
    fn keys<'a>(&'a self, _issuer: &'a str) -> KeyFuture<'a, Arc<IssuerKeys>> {
        let keys = self.0.clone();
        Box::pin(async move { Ok(keys) })
    }

    fn key<'a>(&'a self, issuer: &'a str, kid: &'a str) -> KeyFuture<'a, Jwk> {
        let found = self.0.by_kid(kid).cloned();
        Box::pin(async move {
            found.ok_or_else(|| sigstack_fulcio::Error::KeyNotFound {
                issuer: issuer.to_owned(),
                kid: kid.to_owned(),
            })
        })
    }
}

fn verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let config = Config::parse(CONFIG.as_bytes()).expect("the fuzz config parses");
        let jwks = serde_json::json!({
            "keys": signing_keys().iter().map(TestKey::jwk).collect::<Vec<_>>()
        });
        let jwks = JwkSet::from_json(jwks.to_string().as_bytes()).expect("the fixed JWKS parses");
        let keys: Arc<dyn KeyStore> = Arc::new(FixedKeys(Arc::new(IssuerKeys::from_jwks(jwks))));
        Verifier::new(Arc::new(config), keys)
    })
}

/// Signs `header.claims` (as given, base64url-encoded) with the fixed key suited to the
/// header's `alg` (ES256 when it names none we hold), as an honest issuer would.
pub fn sign_token(header: &[u8], claims: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let alg = serde_json::from_slice::<serde_json::Value>(header)
        .ok()
        .and_then(|h| h.get("alg")?.as_str().map(str::to_owned));
    let keys = signing_keys();
    let (key, alg) = match alg.as_deref() {
        Some(a @ ("RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512")) => (&keys[3], a),
        Some("ES384") => (&keys[1], "ES384"),
        Some("EdDSA") => (&keys[2], "EdDSA"),
        _ => (&keys[0], "ES256"),
    };
    let sig = key.sign_jws(alg, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// The token pipeline; an accepted token must yield a principal with a non-empty name (what
/// the proof of possession signs) and issuer.
pub fn oidc_token(data: &[u8]) {
    let p = parts(data);
    let token = match p.as_slice() {
        [token] => String::from_utf8_lossy(token).into_owned(),
        [header, claims, ..] => sign_token(header, claims),
        [] => return,
    };
    if let Ok(principal) = block_on(verifier().authenticate(&token, NOW)) {
        assert!(!principal.name.is_empty(), "a principal must have a name");
        assert!(
            !principal.issuer.is_empty(),
            "a principal must have an issuer"
        );
    }
}

/// Polls a future that never waits: the fixed key store answers at once.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the in-memory token pipeline must not wait"),
    }
}
