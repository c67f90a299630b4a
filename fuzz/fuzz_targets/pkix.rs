//! PKIX public keys, certificates and chains (search key, `rekord`, `hashedrekord`).
//! The body is `sigstack_fuzz_targets::keys::pkix`; see docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sigstack_fuzz_targets::keys::pkix(data));
