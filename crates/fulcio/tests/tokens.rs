//! Adversarial identity tokens: each must be refused for its own reason, with Fulcio's
//! generic client message and HTTP 400. Plus the positive edges (leeway, every allow-listed
//! algorithm, kid-less tokens) so the refusals are not vacuous.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{authenticate, block_on, golden, verifier, NOW};
use serde_json::json;
use sigstack_fulcio::error::TOKEN_ERROR_MESSAGE;
use sigstack_fulcio::oidc::{
    Algorithm, IssuerKeys, JwkSet, KeyStore, StaticKeyStore, VerifyOptions,
};
use sigstack_fulcio::server::request_status;
use sigstack_fulcio::{Config, Error, Verifier};
use sigstack_test_oidc::{TestIssuer, TestKey};

const ISS: &str = "https://idp.example.com";

fn config() -> Config {
    Config::parse(
        format!(
            r#"{{"OIDCIssuers": {{
                "{ISS}": {{"IssuerURL": "{ISS}", "ClientID": "sigstore", "Type": "email"}},
                "https://lax.example.com": {{"IssuerURL": "https://lax.example.com",
                    "ClientID": "sigstore", "Type": "email", "SkipEmailVerification": true}},
                "https://gh.example.com": {{"IssuerURL": "https://gh.example.com",
                    "Type": "github-workflow"}}
            }}}}"#
        )
        .as_bytes(),
    )
    .unwrap()
}

fn issuer() -> TestIssuer {
    TestIssuer::new(ISS)
        .with_key(TestKey::es256("ec-1"))
        .with_key(TestKey::es384("ec-2"))
        .with_key(TestKey::ed25519("ed-1"))
        .with_unpublished_key(TestKey::rsa_b("rsa-1").with_kid("stranger"))
}

fn good(i: &TestIssuer) -> sigstack_test_oidc::TokenBuilder<'_> {
    i.token(NOW)
        .claim("email", "alice@example.com")
        .claim("email_verified", true)
}

/// Asserts a refusal and that the client sees only Fulcio's generic 400.
fn refused(v: &Verifier, token: &str) -> Error {
    let e = authenticate(v, token).expect_err("token must be refused");
    assert_eq!(e.client_message(), TOKEN_ERROR_MESSAGE, "{e}");
    assert_eq!(request_status(&e).as_u16(), 400, "{e}");
    e
}

#[test]
fn honest_tokens_pass_with_every_allow_listed_algorithm() {
    let i = issuer();
    let v = verifier(config(), &[&i]);
    for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
        let p = authenticate(&v, &good(&i).alg(alg).build()).unwrap();
        assert_eq!(p.name, "alice@example.com", "{alg}");
    }
    for kid in ["ec-1", "ec-2", "ed-1"] {
        let t = good(&i).signed_by(i.key(kid)).build();
        authenticate(&v, &t).unwrap_or_else(|e| panic!("{kid}: {e}"));
    }
    // No kid: every key suited to the algorithm is tried.
    authenticate(&v, &good(&i).without_header("kid").build()).unwrap();
    // aud as a list containing the client ID.
    authenticate(
        &v,
        &good(&i).claim("aud", json!(["other", "sigstore"])).build(),
    )
    .unwrap();
    // Leeway: expired 30 s ago, nbf 2 min ahead.
    authenticate(
        &v,
        &good(&i)
            .claim("exp", NOW - 30)
            .claim("nbf", NOW + 120)
            .build(),
    )
    .unwrap();
    // Float NumericDates are accepted.
    authenticate(&v, &good(&i).claim("exp", (NOW + 60) as f64 + 0.5).build()).unwrap();
}

#[test]
fn unknown_issuer() {
    let i = issuer();
    let v = verifier(config(), &[&i]);
    let other = TestIssuer::new("https://idp.example.com.evil.net");
    let t = other
        .token(NOW)
        .claim("email", "alice@example.com")
        .claim("email_verified", true)
        .build();
    assert!(matches!(refused(&v, &t), Error::UnknownIssuer(_)));
    // A trailing slash is a different issuer (exact match, as in Fulcio).
    let t = good(&i).claim("iss", format!("{ISS}/")).build();
    assert!(matches!(refused(&v, &t), Error::UnknownIssuer(_)));
}

#[test]
fn wrong_audience() {
    let i = issuer();
    let v = verifier(config(), &[&i]);
    for aud in [
        json!("not-sigstore"),
        json!(["a", "b"]),
        json!([]),
        json!(7),
    ] {
        let t = good(&i).claim("aud", aud.clone()).build();
        assert!(
            matches!(refused(&v, &t), Error::WrongAudience { .. }),
            "{aud}"
        );
    }
    let t = good(&i).without_claim("aud").build();
    assert!(matches!(refused(&v, &t), Error::WrongAudience { .. }));
}

#[test]
fn expired_and_not_yet_valid() {
    let i = issuer();
    let v = verifier(config(), &[&i]);
    let t = good(&i)
        .claim("iat", NOW - 7200)
        .claim("nbf", NOW - 7200)
        .claim("exp", NOW - 3600)
        .build();
    assert!(matches!(refused(&v, &t), Error::Expired { .. }));
    let t = good(&i).claim("exp", NOW - 61).build();
    assert!(matches!(refused(&v, &t), Error::Expired { .. }));
    let t = good(&i).without_claim("exp").build();
    assert!(matches!(refused(&v, &t), Error::MissingClaim(c) if c == "exp"));
    let t = good(&i).claim("exp", "tomorrow").build();
    assert!(matches!(refused(&v, &t), Error::InvalidClaim { .. }));
    let t = good(&i)
        .claim("nbf", NOW + 3600)
        .claim("exp", NOW + 4000)
        .build();
    assert!(matches!(refused(&v, &t), Error::NotYetValid { .. }));
    let t = good(&i).claim("iat", NOW + 3600).build();
    assert!(matches!(refused(&v, &t), Error::IssuedInFuture { .. }));
}

#[test]
fn alg_none_and_hmac_are_never_accepted() {
    let i = issuer();
    let v = verifier(config(), &[&i]);
    let t = good(&i).unsigned().build();
    assert!(matches!(refused(&v, &t), Error::AlgorithmNotAllowed(a) if a == "none"));
    // The classic confusion: HS256 keyed with the RSA public key (PEM text).
    let t = good(&i).hs256_with_public_key().build();
    assert!(matches!(refused(&v, &t), Error::AlgorithmNotAllowed(a) if a == "HS256"));
    for alg in ["HS384", "HS512", "ES512", "RS1", "None", "NONE", ""] {
        let t = good(&i).alg_claiming(alg, "RS256").build();
        assert!(
            matches!(refused(&v, &t), Error::AlgorithmNotAllowed(_)),
            "{alg:?}"
        );
    }
    // The golden capture's alg-none token (Fulcio answered 400).
    let rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(golden("errors/e04-alg-none.json")).unwrap())
            .unwrap();
    let auth = rec["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "Authorization")
        .unwrap()[1]
        .as_str()
        .unwrap()
        .to_owned();
    let golden_iss = "http://127.0.0.1:8180";
    let cfg = Config::parse(
        format!(
            r#"{{"OIDCIssuers":{{"{golden_iss}":{{"IssuerURL":"{golden_iss}","Type":"email"}}}}}}"#
        )
        .as_bytes(),
    )
    .unwrap();
    let v = verifier(cfg, &[&TestIssuer::new(golden_iss)]);
    let t = auth.strip_prefix("Bearer ").unwrap();
    assert!(matches!(refused(&v, t), Error::AlgorithmNotAllowed(a) if a == "none"));
}

#[test]
fn key_selection_attacks() {
    let i = issuer();
    let v = verifier(config(), &[&i]);
    // Unknown kid.
    let t = good(&i).kid("no-such-key").build();
    assert!(matches!(refused(&v, &t), Error::KeyNotFound { .. }));
    // Signed by a stranger's key under the issuer's kid (golden e05).
    let stranger = i.key("stranger");
    let t = good(&i).signed_by(stranger).kid("rsa-1").build();
    assert!(matches!(refused(&v, &t), Error::BadSignature));
    // Signed by a stranger, whose JWK is embedded in the header: never trusted.
    let t = good(&i)
        .signed_by(stranger)
        .header("jwk", stranger.jwk())
        .build();
    assert!(matches!(refused(&v, &t), Error::KeyNotFound { .. }));
    let t = good(&i)
        .signed_by(stranger)
        .without_header("kid")
        .header("jwk", stranger.jwk())
        .build();
    assert!(matches!(refused(&v, &t), Error::BadSignature));
    // ES256 token presented against the RSA key.
    let t = good(&i).signed_by(i.key("ec-1")).kid("rsa-1").build();
    assert!(matches!(
        refused(&v, &t),
        Error::KeyAlgorithmMismatch { .. }
    ));
    // RS256 header pointing at the EC key.
    let t = good(&i).kid("ec-1").build();
    assert!(matches!(
        refused(&v, &t),
        Error::KeyAlgorithmMismatch { .. }
    ));
    // ES384 header against the P-256 key (curve must match too).
    let t = good(&i).signed_by(i.key("ec-2")).kid("ec-1").build();
    assert!(matches!(
        refused(&v, &t),
        Error::KeyAlgorithmMismatch { .. }
    ));
}

#[test]
fn tampered_tokens() {
    let i = issuer();
    let v = verifier(config(), &[&i]);
    for kid in ["rsa-1", "ec-1", "ed-1"] {
        let t = good(&i).signed_by(i.key(kid)).tampered().build();
        assert!(matches!(refused(&v, &t), Error::BadSignature), "{kid}");
    }
    // Payload swapped under a valid signature.
    let honest = good(&i).build();
    let evil = good(&i).claim("email", "mallory@example.com").build();
    let parts: Vec<&str> = honest.split('.').collect();
    let evil_payload = evil.split('.').nth(1).unwrap();
    let spliced = format!("{}.{}.{}", parts[0], evil_payload, parts[2]);
    assert!(matches!(refused(&v, &spliced), Error::BadSignature));
    // A `crit` header we do not understand.
    let t = good(&i).header("crit", json!(["exp"])).build();
    assert!(matches!(refused(&v, &t), Error::Malformed(_)));
}

#[test]
fn email_verification() {
    let i = issuer();
    let v = verifier(config(), &[&i]);
    let t = good(&i).claim("email_verified", false).build();
    assert!(matches!(refused(&v, &t), Error::EmailNotVerified));
    let t = good(&i).without_claim("email_verified").build();
    assert!(matches!(refused(&v, &t), Error::EmailNotVerified));
    let t = good(&i).claim("email_verified", "false").build();
    assert!(matches!(refused(&v, &t), Error::EmailNotVerified));
    authenticate(&v, &good(&i).claim("email_verified", "True").build()).unwrap();
    let t = good(&i).without_claim("email").build();
    assert!(matches!(refused(&v, &t), Error::MissingClaim(c) if c == "email"));
    let t = good(&i).claim("email", "not an address").build();
    assert!(matches!(refused(&v, &t), Error::InvalidClaim { .. }));

    let lax = TestIssuer::new("https://lax.example.com");
    let v = verifier(config(), &[&lax]);
    let t = lax
        .token(NOW)
        .claim("email", "bob@example.com")
        .claim("email_verified", false)
        .build();
    assert_eq!(authenticate(&v, &t).unwrap().name, "bob@example.com");
}

#[test]
fn missing_claims() {
    let i = issuer();
    let v = verifier(config(), &[&i]);
    let t = good(&i).without_claim("iss").build();
    assert!(matches!(refused(&v, &t), Error::MissingClaim(c) if c == "iss"));
    let t = good(&i).claim("iss", 5).build();
    assert!(matches!(refused(&v, &t), Error::InvalidClaim { .. }));
    let gh = TestIssuer::new("https://gh.example.com");
    let v = verifier(config(), &[&gh]);
    let t = gh.token(NOW).build();
    assert!(matches!(refused(&v, &t), Error::MissingClaim(_)));
    let t = gh.token(NOW).without_claim("sub").build();
    assert!(matches!(refused(&v, &t), Error::MissingClaim(c) if c == "sub"));
}

#[test]
fn malformed_and_oversized() {
    let i = issuer();
    let v = verifier(config(), &[&i]);
    assert!(matches!(refused(&v, "e30.e30."), Error::MissingClaim(c) if c == "iss"));
    for t in [
        "",
        "not-a-jwt",
        "a.b",
        "a.b.c.d",
        "!!!.e30.",
        "e30.bm90IGpzb24.",
        "W10.e30.",
    ] {
        assert!(matches!(refused(&v, t), Error::Malformed(_)), "{t:?}");
    }
    let t = good(&i).raw_payload(b"[1,2]").build();
    assert!(matches!(refused(&v, &t), Error::Malformed(_)));
    // 70 KiB of claims: refused before decoding.
    let t = good(&i).claim("padding", "x".repeat(70 * 1024)).build();
    assert!(matches!(refused(&v, &t), Error::TokenTooLarge { .. }));
    // Garbage of the same size fails the same way (the limit comes first).
    let junk = "A".repeat(1 << 20);
    assert!(matches!(refused(&v, &junk), Error::TokenTooLarge { .. }));
    // A smaller configured limit.
    let mut store = StaticKeyStore::new();
    store
        .insert_jwks(ISS, i.jwks().to_string().as_bytes())
        .unwrap();
    let keys: Arc<dyn KeyStore> = Arc::new(store);
    let small = Verifier::with_options(
        Arc::new(config()),
        keys,
        VerifyOptions {
            max_token_len: 512,
            ..VerifyOptions::default()
        },
    );
    let t = good(&i).build();
    assert!(matches!(
        block_on(small.authenticate(&t, NOW)),
        Err(Error::TokenTooLarge { .. })
    ));
}

#[test]
fn algorithms_must_be_advertised_by_the_issuer() {
    let i = issuer();
    let jwks = JwkSet::from_json(i.jwks().to_string().as_bytes()).unwrap();
    let mut store = StaticKeyStore::new();
    store.insert(
        ISS,
        IssuerKeys {
            keys: jwks.keys,
            algorithms: vec![Algorithm::Rs256],
        },
    );
    let keys: Arc<dyn KeyStore> = Arc::new(store);
    let v = Verifier::new(Arc::new(config()), keys);
    block_on(v.authenticate(&good(&i).build(), NOW)).unwrap();
    let t = good(&i).signed_by(i.key("ec-1")).build();
    assert!(matches!(
        block_on(v.authenticate(&t, NOW)),
        Err(Error::AlgorithmNotAllowed(a)) if a == "ES256"
    ));
    let t = good(&i).alg("PS256").build();
    assert!(matches!(
        block_on(v.authenticate(&t, NOW)),
        Err(Error::AlgorithmNotAllowed(_))
    ));
}

#[test]
fn pinned_jwk_alg_and_use_are_enforced() {
    let i = issuer();
    let mut jwks = i.jwks();
    jwks["keys"][0]["alg"] = json!("RS256");
    jwks["keys"][1]["use"] = json!("enc");
    let mut store = StaticKeyStore::new();
    store.insert_jwks(ISS, jwks.to_string().as_bytes()).unwrap();
    let keys: Arc<dyn KeyStore> = Arc::new(store);
    let v = Verifier::new(Arc::new(config()), keys);
    block_on(v.authenticate(&good(&i).build(), NOW)).unwrap();
    let t = good(&i).alg("RS384").build();
    assert!(matches!(
        block_on(v.authenticate(&t, NOW)),
        Err(Error::KeyAlgorithmMismatch { .. })
    ));
    let t = good(&i).signed_by(i.key("ec-1")).build();
    assert!(matches!(
        block_on(v.authenticate(&t, NOW)),
        Err(Error::BadKey { .. })
    ));
}

#[test]
fn weak_published_keys_are_refused() {
    // A 1024-bit RSA key in the JWKS must not verify anything, even correctly signed tokens.
    let i = issuer();
    let mut jwks = i.jwks();
    let n = jwks["keys"][0]["n"].as_str().unwrap().to_owned();
    jwks["keys"][0]["n"] = json!(&n[..171]); // ~1024 bits of base64url
    let mut store = StaticKeyStore::new();
    store.insert_jwks(ISS, jwks.to_string().as_bytes()).unwrap();
    let keys: Arc<dyn KeyStore> = Arc::new(store);
    let v = Verifier::new(Arc::new(config()), keys);
    let e = block_on(v.authenticate(&good(&i).build(), NOW)).unwrap_err();
    assert!(matches!(e, Error::BadKey { .. }), "{e}");
}

#[test]
fn golden_token_failures_reminted() {
    // The claims of Fulcio 1.6.5's refused tokens, re-signed by our test issuer (the capture's
    // IdP keys are not recorded), checked at the capture time: same refusal, same message.
    use base64::Engine as _;
    let capture_now = 1_795_659_174;
    let golden_iss = "http://127.0.0.1:8180";
    let idp = TestIssuer::new(golden_iss)
        .with_key(TestKey::es256("ec-1"))
        .with_unpublished_key(TestKey::rsa_b("rsa-1").with_kid("forger"));
    let cfg = Config::parse(
        format!(r#"{{"OIDCIssuers":{{"{golden_iss}":{{"IssuerURL":"{golden_iss}","ClientID":"sigstore","Type":"email"}}}}}}"#)
            .as_bytes(),
    )
    .unwrap();
    let v = verifier(cfg, &[&idp]);
    type Case = (&'static str, &'static str, fn(&Error) -> bool);
    let cases: &[Case] = &[
        ("e01-expired-token", "rsa-1", |e| {
            matches!(e, Error::Expired { .. })
        }),
        ("e02-wrong-audience", "rsa-1", |e| {
            matches!(e, Error::WrongAudience { .. })
        }),
        ("e05-bad-token-signature", "forger", |e| {
            matches!(e, Error::BadSignature)
        }),
        ("e15-nbf-future", "rsa-1", |e| {
            matches!(e, Error::NotYetValid { .. })
        }),
        ("e16-email-not-verified", "rsa-1", |e| {
            matches!(e, Error::EmailNotVerified)
        }),
        (
            "e29-token-es256-ok-but-aud-list-without-sigstore",
            "ec-1",
            |e| matches!(e, Error::WrongAudience { .. }),
        ),
    ];
    for (name, kid, expected) in cases {
        let rec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(golden(&format!("errors/{name}.json"))).unwrap())
                .unwrap();
        let auth = rec["request"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == "Authorization")
            .unwrap()[1]
            .as_str()
            .unwrap()
            .to_owned();
        let payload = auth.split('.').nth(1).unwrap();
        let claims: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        let mut b = idp
            .token(capture_now)
            .claims(claims)
            .signed_by(idp.key(kid));
        if *kid == "forger" {
            b = b.kid("rsa-1");
        }
        let e = block_on(v.authenticate(&b.build(), capture_now)).unwrap_err();
        assert!(expected(&e), "{name}: {e}");
        assert_eq!(
            e.client_message(),
            rec["response"]["body_json"]["message"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            request_status(&e).as_u16(),
            rec["response"]["status"].as_u64().unwrap() as u16
        );
    }
}
