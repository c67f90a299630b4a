//! Merkle proofs and signed notes (`sigstack-merkle`): what a client or witness hands us.

use sigstack_merkle::checkpoint::{Checkpoint, SignedCheckpoint};
use sigstack_merkle::note::{self, NamedVerifier, Note, NoteVerifier};
use sigstack_merkle::{verify_consistency, verify_inclusion, Hash};

/// Arbitrary bytes as proof coordinates, hashes and proofs: verification never panics or
/// overflows, whatever the sizes and indexes (including 0 and `u64::MAX`).
pub fn proof_verify(data: &[u8]) {
    let Some((a, b, h1, h2, proof)) = split_proof(data) else {
        return;
    };
    let _ = verify_inclusion(&h1, a, b, &proof, &h2);
    let _ = verify_consistency(a, b, &proof, &h1, &h2);
    // Small coordinates too, where the arithmetic edge cases live.
    let _ = verify_inclusion(&h1, a % 300, b % 300, &proof, &h2);
    let _ = verify_consistency(a % 300, b % 300, &proof, &h1, &h2);
}

fn split_proof(data: &[u8]) -> Option<(u64, u64, Hash, Hash, Vec<Hash>)> {
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
    Some((
        u64::from_le_bytes(*a),
        u64::from_le_bytes(*b),
        *h1,
        *h2,
        proof,
    ))
}

/// The C2SP spec's example key, and a P-256 test key of ours that has never signed a note
/// (a public key with public signatures, such as Rekor's, would let the fuzzer replay a
/// real checkpoint).
const ED25519_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const ECDSA_VKEY: &str = "ecdsa.example+b2f8dacd+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCb29aUGNgSoOwIJUaprXWaattAbnpEkabdzYDIih4DH3it2eZ9jnJSfySd5UoA1rxSeAkqbc3xraGNoZ7JAVDU=";

/// The one note that does verify under `ED25519_VKEY` (from the C2SP spec).
const SPEC_NOTE: &[u8] = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n".as_bytes();

/// Signed notes and checkpoints: nothing panics; whatever parses re-encodes to something
/// that parses back to the same value; verification against a fixed set of keys (one
/// Ed25519, one ECDSA) succeeds only on the C2SP spec's example note (whose signature is
/// public), never on anything the fuzzer made up.
pub fn note_parse(data: &[u8]) {
    if let Ok(parsed) = Note::parse(data) {
        let encoded = parsed.encode();
        let again = Note::parse(encoded.as_bytes()).expect("an encoded note must parse");
        assert_eq!(again, parsed);

        let ed = NamedVerifier::from_vkey(ED25519_VKEY).expect("valid vkey");
        let ec = NamedVerifier::from_vkey(ECDSA_VKEY).expect("valid vkey");
        let known: [&dyn NoteVerifier; 2] = [&ed, &ec];
        if let Ok((opened, _)) = note::open(data, &known) {
            // Anything that verifies must carry the spec example's text and signature.
            let spec = Note::parse(SPEC_NOTE).expect("spec note parses");
            assert_eq!(opened.text(), spec.text());
            assert!(opened.signatures().contains(&spec.signatures()[0]));
        }
    }

    if let Ok(signed) = SignedCheckpoint::parse(data) {
        let again = SignedCheckpoint::parse(signed.encode().as_bytes())
            .expect("an encoded checkpoint must parse");
        assert_eq!(again.checkpoint(), signed.checkpoint());
    }

    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cp) = Checkpoint::parse(text) {
            let again = Checkpoint::parse(&cp.to_text()).expect("formatted text must parse");
            assert_eq!(again, cp);
        }
    }
}
