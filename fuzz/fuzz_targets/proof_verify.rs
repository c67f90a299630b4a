//! Arbitrary bytes as proof coordinates, hashes and proofs: verification must never panic or
//! overflow, whatever the sizes and indexes (including 0 and u64::MAX).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigstack_merkle::{verify_consistency, verify_inclusion, Hash};

fn split(data: &[u8]) -> Option<(u64, u64, Hash, Hash, Vec<Hash>)> {
    let (a, rest) = data.split_first_chunk::<8>()?;
    let (b, rest) = rest.split_first_chunk::<8>()?;
    let (h1, rest) = rest.split_first_chunk::<32>()?;
    let (h2, rest) = rest.split_first_chunk::<32>()?;
    let proof = rest
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect();
    Some((u64::from_le_bytes(*a), u64::from_le_bytes(*b), *h1, *h2, proof))
}

fuzz_target!(|data: &[u8]| {
    let Some((a, b, h1, h2, proof)) = split(data) else {
        return;
    };
    let _ = verify_inclusion(&h1, a, b, &proof, &h2);
    let _ = verify_consistency(a, b, &proof, &h1, &h2);
    // Small coordinates too, where the arithmetic edge cases live.
    let _ = verify_inclusion(&h1, a % 300, b % 300, &proof, &h2);
    let _ = verify_consistency(a % 300, b % 300, &proof, &h1, &h2);
});
