//! Which (key type, digest) pairs a hashedrekord entry may use.
//!
//! Rekor ≥ 1.3.10 checks hashedrekord entries (and only those) against
//! `--client-signing-algorithms`, after the signature has verified. Its default list is
//! RSA PKCS #1 v1.5 2048/3072/4096 with SHA-256, ECDSA P-256/SHA-256, P-384/SHA-384,
//! P-521/SHA-512, Ed25519 and Ed25519ph. Rekor 1.3.9 had no such check.

use rsa::traits::PublicKeyParts as _;

use crate::error::{Error, Result};
use crate::verify::{HashAlgorithm, VerifyingKey};

/// The signing-algorithm policy applied to inserted hashedrekord entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AlgorithmPolicy {
    /// Rekor's default `--client-signing-algorithms` list (what public Rekor enforces).
    #[default]
    RekorDefault,
    /// Any supported key with any digest whose signature verifies (Rekor 1.3.9 behaviour).
    AnyVerified,
}

impl AlgorithmPolicy {
    /// `Ok` if the policy permits `key` signing a `hash` digest, else
    /// [`Error::AlgorithmNotAllowed`].
    pub(crate) fn check(self, key: &VerifyingKey, hash: HashAlgorithm) -> Result<()> {
        if self == AlgorithmPolicy::AnyVerified {
            return Ok(());
        }
        let allowed = match key {
            VerifyingKey::Rsa(k) => {
                matches!(k.n().bits(), 2048 | 3072 | 4096) && hash == HashAlgorithm::Sha256
            }
            VerifyingKey::P256(_) => hash == HashAlgorithm::Sha256,
            VerifyingKey::P384(_) => hash == HashAlgorithm::Sha384,
            VerifyingKey::P521(_) => hash == HashAlgorithm::Sha512,
            VerifyingKey::Ed25519(_) => hash == HashAlgorithm::Sha512,
        };
        if allowed {
            Ok(())
        } else {
            Err(Error::AlgorithmNotAllowed)
        }
    }
}
