//! Proof of possession (`sigstack_fulcio::pop`): CSRs and signed challenges, as the
//! `signingCert` handlers receive them.
//!
//! The whole input is tried as a CSR (PEM as sent, and wrapped as PEM when binary, so the DER
//! itself is mutated), and as `public key ⁞ signature ⁞ challenge` for a signed challenge.

use sigstack_fulcio::pop::{parse_public_key, verify_csr, verify_signed_challenge, RequestKey};

use crate::{is_text, parts, pem};

/// CSRs and signed challenges; an accepted key's canonical `spki_der` must parse back to the
/// same key (it goes into the certificate as is).
pub fn pop_csr(data: &[u8]) {
    let wrapped;
    let csr = if is_text(data) {
        data
    } else {
        wrapped = pem("CERTIFICATE REQUEST", data);
        wrapped.as_bytes()
    };
    if let Ok(key) = verify_csr(csr) {
        round_trips(&key);
    }

    let p = parts(data);
    let [key, signature, challenge, ..] = p.as_slice() else {
        return;
    };
    let challenge = String::from_utf8_lossy(challenge);
    let wrapped;
    let key = if is_text(key) {
        key
    } else {
        wrapped = pem("PUBLIC KEY", key);
        wrapped.as_bytes()
    };
    if let Ok(key) = verify_signed_challenge(key, signature, &challenge) {
        round_trips(&key);
    }
}

fn round_trips(key: &RequestKey) {
    let again = parse_public_key(&key.spki_der).expect("an accepted key's DER must parse");
    assert_eq!(&again, key);
}
