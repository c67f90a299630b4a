//! OIDC identity tokens through the whole verification pipeline.
//! The body is `sigstack_fuzz_targets::token::oidc_token`; see docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sigstack_fuzz_targets::token::oidc_token(data));
