//! Inclusion and consistency proof verification on arbitrary coordinates and hashes.
//! The body is `sigstack_fuzz_targets::merkle::proof_verify`; see docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sigstack_fuzz_targets::merkle::proof_verify(data));
