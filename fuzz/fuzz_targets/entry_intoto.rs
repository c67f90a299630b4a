//! `intoto` 0.0.1 and 0.0.2 specs through the proposed-entry canonicalizer.
//! The body is `sigstack_fuzz_targets::entries::intoto`; see docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sigstack_fuzz_targets::entries::intoto(data));
