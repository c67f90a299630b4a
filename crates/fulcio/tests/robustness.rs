//! Hostile bytes into every parser a request reaches: no panic, only errors.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use sigstack_fulcio::identity::template::Template;
use sigstack_fulcio::oidc::UnverifiedToken;
use sigstack_fulcio::{pop, Config};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn token_parser_never_panics(s in "[A-Za-z0-9_.=+/-]{0,300}") {
        let _ = UnverifiedToken::parse(&s, 64 * 1024);
    }

    #[test]
    fn token_parser_on_near_valid_tokens(h in "[A-Za-z0-9_-]{0,40}", p in "[A-Za-z0-9_-]{0,80}", sig in "[A-Za-z0-9_-]{0,20}") {
        let _ = UnverifiedToken::parse(&format!("{h}.{p}.{sig}"), 64 * 1024);
        let _ = UnverifiedToken::parse(&format!("eyJhbGciOiJSUzI1NiJ9.{p}.{sig}"), 64 * 1024);
    }

    #[test]
    fn template_parser_never_panics(s in "(\\{\\{|\\}\\}|[ .a-z\"()`/*-]|if|else|end|eq|index){0,40}") {
        if let Ok(t) = Template::parse(&s) {
            let _ = t.render(&Default::default());
        }
    }

    #[test]
    fn key_and_csr_parsers_never_panic(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = pop::parse_public_key(&b);
        let _ = pop::verify_csr(&b);
        let _ = pop::verify_signed_challenge(&b, &b, "x");
        let _ = Config::parse(&b);
    }

    #[test]
    fn pem_wrapped_garbage(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        use base64::Engine as _;
        let body = base64::engine::general_purpose::STANDARD.encode(&b);
        let key = format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n");
        let csr = format!("-----BEGIN CERTIFICATE REQUEST-----\n{body}\n-----END CERTIFICATE REQUEST-----\n");
        prop_assert!(pop::parse_public_key(key.as_bytes()).is_err());
        prop_assert!(pop::verify_csr(csr.as_bytes()).is_err());
    }
}
