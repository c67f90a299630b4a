//! Signed notes and checkpoints: parse, re-encode, open.
//! The body is `sigstack_fuzz_targets::merkle::note_parse`; see docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sigstack_fuzz_targets::merkle::note_parse(data));
