//! OpenPGP keys and detached signatures (search key and `rekord`).
//! The body is `sigstack_fuzz_targets::keys::pgp`; see docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sigstack_fuzz_targets::keys::pgp(data));
