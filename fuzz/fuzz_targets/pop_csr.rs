//! CSRs and signed challenges (proof of possession).
//! The body is `sigstack_fuzz_targets::pop::pop_csr`; see docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sigstack_fuzz_targets::pop::pop_csr(data));
