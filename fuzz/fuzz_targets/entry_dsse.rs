//! `dsse` specs through the proposed-entry canonicalizer.
//! The body is `sigstack_fuzz_targets::entries::dsse`; see docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sigstack_fuzz_targets::entries::dsse(data));
