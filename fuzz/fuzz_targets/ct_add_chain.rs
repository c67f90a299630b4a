//! CT add-chain / add-pre-chain bodies and certificate chains.
//! The body is `sigstack_fuzz_targets::ct::ct_add_chain`; see docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sigstack_fuzz_targets::ct::ct_add_chain(data));
