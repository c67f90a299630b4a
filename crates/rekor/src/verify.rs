//! Signature verification with the exact semantics Rekor applies (through sigstore's
//! `signature.LoadVerifier`), and the error texts it reports.
//!
//! Two modes exist because Rekor has two: hashedrekord verifies a *client-computed digest*
//! (no re-hashing; [`verify_digest`]), every other type verifies a *message* with SHA-256
//! for RSA and ECDSA whatever the curve, and pure Ed25519 ([`verify_message`]).
//! Certificate signatures in a chain use the hash named by the signature algorithm
//! ([`verify_with_algorithm`]).

use std::cell::OnceCell;

use sha2::digest::{FixedOutput, HashMarker, Output, OutputSizeUser, Reset, Update};
use sha2::{Digest as _, Sha256, Sha384, Sha512};

/// The message digests Rekor knows for client signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-256 (32-byte digest).
    Sha256,
    /// SHA-384 (48-byte digest).
    Sha384,
    /// SHA-512 (64-byte digest).
    Sha512,
}

impl HashAlgorithm {
    /// Parses the lowercase name used in entry bodies (`sha256`, `sha384`, `sha512`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// The lowercase name used in entry bodies and index keys.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// Digest length in bytes.
    pub fn size(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// Go's `crypto.Hash.String()`, which appears in Rekor's error messages.
    fn go_name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// SHA-256 of `data` as lowercase hex, the form every Rekor v1 hash field uses.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A parsed public key of one of the types Rekor's x509 path supports.
#[derive(Clone)]
pub(crate) enum VerifyingKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    Rsa(rsa::RsaPublicKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl VerifyingKey {
    /// What one signature check with this key costs, in units of a normal check (an ECDSA,
    /// Ed25519 or RSA-4096 verification): an RSA public operation grows with the square of
    /// the modulus, so RSA-8192 is 4 units and RSA-16384 (the largest Go accepts) 16.
    pub(crate) fn check_cost(&self) -> u32 {
        match self {
            Self::Rsa(k) => {
                use rsa::traits::PublicKeyParts as _;
                let quarters = u32::try_from(k.size().div_ceil(512)).unwrap_or(u32::MAX);
                quarters.saturating_mul(quarters).max(1)
            }
            _ => 1,
        }
    }
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::P256(_) => "VerifyingKey::P256",
            Self::P384(_) => "VerifyingKey::P384",
            Self::P521(_) => "VerifyingKey::P521",
            Self::Rsa(_) => "VerifyingKey::Rsa",
            Self::Ed25519(_) => "VerifyingKey::Ed25519",
        })
    }
}

const ECDSA_INVALID: &str = "invalid signature when validating ASN.1 encoded signature";
const RSA_INVALID: &str = "crypto/rsa: verification error";
const ED25519_INVALID: &str = "failed to verify signature: ed25519: invalid signature";

/// hashedrekord semantics: `digest` was computed by the client with `alg`; the signature is
/// checked over it without re-hashing. Ed25519 keys are verified as Ed25519ph (RFC 8032,
/// empty context), which requires SHA-512, as Rekor does.
pub(crate) fn verify_digest(
    key: &VerifyingKey,
    alg: HashAlgorithm,
    digest: &[u8],
    sig: &[u8],
) -> Result<(), String> {
    if digest.len() != alg.size() {
        return Err("unexpected length of digest for hash function specified".into());
    }
    match key {
        VerifyingKey::P256(k) => {
            let point = k.to_encoded_point(false);
            ecdsa_digest(EcCurve::P256, point.as_bytes(), alg, digest, sig)
        }
        VerifyingKey::P384(k) => {
            let point = k.to_encoded_point(false);
            ecdsa_digest(EcCurve::P384, point.as_bytes(), alg, digest, sig)
        }
        VerifyingKey::P521(k) => {
            let point = k.to_encoded_point(false);
            ecdsa_digest(EcCurve::P521, point.as_bytes(), alg, digest, sig)
        }
        VerifyingKey::Rsa(k) => {
            let scheme = match alg {
                HashAlgorithm::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
                HashAlgorithm::Sha384 => rsa::Pkcs1v15Sign::new::<Sha384>(),
                HashAlgorithm::Sha512 => rsa::Pkcs1v15Sign::new::<Sha512>(),
            };
            k.verify(scheme, digest, sig)
                .map_err(|_| RSA_INVALID.into())
        }
        VerifyingKey::Ed25519(k) => {
            if alg != HashAlgorithm::Sha512 {
                return Err(format!(
                    "unsupported hash algorithm: {:?} not in [SHA-512]",
                    alg.go_name()
                ));
            }
            let sig = ed25519_dalek::Signature::from_slice(sig).map_err(|_| ED25519_INVALID)?;
            let mut prehashed = KnownDigest::default();
            prehashed.0.copy_from_slice(digest);
            k.verify_prehashed(prehashed, None, &sig)
                .map_err(|_| ED25519_INVALID.into())
        }
    }
}

/// The NIST curves hashedrekord keys may be on.
#[derive(Clone, Copy)]
enum EcCurve {
    P256,
    P384,
    P521,
}

/// ECDSA (ASN.1 DER signature) over a client-computed digest, on aws-lc: the hot path of
/// every hashedrekord upload. aws-lc reads the digest as an integer exactly as Go does (a
/// digest shorter than the curve order is accepted, a longer one truncated), so no padding is
/// needed here; the digest's length was checked against `alg` by the caller.
fn ecdsa_digest(
    curve: EcCurve,
    point: &[u8],
    alg: HashAlgorithm,
    digest: &[u8],
    sig: &[u8],
) -> Result<(), String> {
    use aws_lc_rs::signature as lc;
    let (algorithm, hash): (&'static lc::EcdsaVerificationAlgorithm, _) = match (curve, alg) {
        (EcCurve::P256, HashAlgorithm::Sha256) => {
            (&lc::ECDSA_P256_SHA256_ASN1, &aws_lc_rs::digest::SHA256)
        }
        (EcCurve::P256, HashAlgorithm::Sha384) => {
            (&lc::ECDSA_P256_SHA384_ASN1, &aws_lc_rs::digest::SHA384)
        }
        (EcCurve::P256, HashAlgorithm::Sha512) => {
            (&lc::ECDSA_P256_SHA512_ASN1, &aws_lc_rs::digest::SHA512)
        }
        (EcCurve::P384, HashAlgorithm::Sha256) => {
            (&lc::ECDSA_P384_SHA256_ASN1, &aws_lc_rs::digest::SHA256)
        }
        (EcCurve::P384, HashAlgorithm::Sha384) => {
            (&lc::ECDSA_P384_SHA384_ASN1, &aws_lc_rs::digest::SHA384)
        }
        (EcCurve::P384, HashAlgorithm::Sha512) => {
            (&lc::ECDSA_P384_SHA512_ASN1, &aws_lc_rs::digest::SHA512)
        }
        (EcCurve::P521, HashAlgorithm::Sha256) => {
            (&lc::ECDSA_P521_SHA256_ASN1, &aws_lc_rs::digest::SHA256)
        }
        (EcCurve::P521, HashAlgorithm::Sha384) => {
            (&lc::ECDSA_P521_SHA384_ASN1, &aws_lc_rs::digest::SHA384)
        }
        (EcCurve::P521, HashAlgorithm::Sha512) => {
            (&lc::ECDSA_P521_SHA512_ASN1, &aws_lc_rs::digest::SHA512)
        }
    };
    let digest =
        aws_lc_rs::digest::Digest::import_less_safe(digest, hash).map_err(|_| ECDSA_INVALID)?;
    lc::UnparsedPublicKey::new(algorithm, point)
        .verify_digest(&digest, sig)
        .map_err(|_| ECDSA_INVALID.into())
}

/// A message that several signatures may be checked over (a DSSE envelope's PAE, tried
/// against every signature and key). Its SHA-256 digest is computed at most once, and only
/// when a non-empty signature under an RSA or ECDSA key needs it, so a payload is never
/// hashed once per signature. Pure Ed25519 reads the message itself on every check: the
/// algorithm hashes it together with each signature's `R`.
pub(crate) struct Message<'a> {
    bytes: &'a [u8],
    sha256: OnceCell<Vec<u8>>,
}

impl<'a> Message<'a> {
    /// Wraps `bytes`; nothing is hashed yet.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            sha256: OnceCell::new(),
        }
    }

    /// The message's length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    fn sha256(&self) -> &[u8] {
        self.sha256
            .get_or_init(|| Sha256::digest(self.bytes).to_vec())
    }
}

/// Everything-but-hashedrekord semantics (sigstore `LoadVerifier(key, SHA256)`): RSA is
/// PKCS #1 v1.5 and ECDSA is SHA-256 over `message` whatever the key size or curve, Ed25519
/// is pure Ed25519 over `message`.
pub(crate) fn verify_message(key: &VerifyingKey, message: &[u8], sig: &[u8]) -> Result<(), String> {
    verify_prepared(key, &Message::new(message), sig)
}

/// [`verify_message`] over a [`Message`] whose digest may already be known.
pub(crate) fn verify_prepared(
    key: &VerifyingKey,
    message: &Message<'_>,
    sig: &[u8],
) -> Result<(), String> {
    match key {
        VerifyingKey::Ed25519(k) => {
            let sig = ed25519_dalek::Signature::from_slice(sig)
                .map_err(|_| "failed to verify signature")?;
            // Go's ed25519.Verify is the cofactorless check without small-order rejection,
            // which is what ed25519-dalek's non-strict `verify` does.
            use ed25519_dalek::Verifier as _;
            k.verify(message.bytes, &sig)
                .map_err(|_| "failed to verify signature".into())
        }
        // An empty signature fails whatever the digest: answer before hashing anything.
        VerifyingKey::Rsa(_) if sig.is_empty() => Err(RSA_INVALID.into()),
        _ if sig.is_empty() => Err(ECDSA_INVALID.into()),
        _ => verify_digest(key, HashAlgorithm::Sha256, message.sha256(), sig),
    }
}

/// The signature algorithms a certificate can be signed with that Go's x509 accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureAlgorithm {
    Ecdsa(HashAlgorithm),
    RsaPkcs1(HashAlgorithm),
    RsaPss(HashAlgorithm),
    Ed25519,
}

/// Verifies `sig` over `message` with an explicit algorithm (certificate signatures).
/// The key type must match the algorithm.
pub(crate) fn verify_with_algorithm(
    key: &VerifyingKey,
    alg: SignatureAlgorithm,
    message: &[u8],
    sig: &[u8],
) -> Result<(), String> {
    match (alg, key) {
        (
            SignatureAlgorithm::Ecdsa(h),
            VerifyingKey::P256(_) | VerifyingKey::P384(_) | VerifyingKey::P521(_),
        )
        | (SignatureAlgorithm::RsaPkcs1(h), VerifyingKey::Rsa(_)) => {
            verify_digest(key, h, &h.digest(message), sig)
        }
        (SignatureAlgorithm::RsaPss(h), VerifyingKey::Rsa(k)) => {
            let hashed = h.digest(message);
            let scheme = match h {
                HashAlgorithm::Sha256 => rsa::Pss::new_with_salt::<Sha256>(h.size()),
                HashAlgorithm::Sha384 => rsa::Pss::new_with_salt::<Sha384>(h.size()),
                HashAlgorithm::Sha512 => rsa::Pss::new_with_salt::<Sha512>(h.size()),
            };
            k.verify(scheme, &hashed, sig)
                .map_err(|_| RSA_INVALID.into())
        }
        (SignatureAlgorithm::Ed25519, VerifyingKey::Ed25519(_)) => {
            verify_message(key, message, sig)
        }
        _ => Err("x509: signature algorithm does not match the issuer's public key type".into()),
    }
}

/// A "hash function" whose output is a digest computed elsewhere. Ed25519ph hashes the message
/// with SHA-512 first; hashedrekord hands us only that SHA-512 value, and ed25519-dalek's
/// prehashed verification takes a digest object, so this one simply yields the known value.
#[derive(Clone)]
struct KnownDigest([u8; 64]);

impl Default for KnownDigest {
    fn default() -> Self {
        KnownDigest([0; 64])
    }
}

impl HashMarker for KnownDigest {}

impl OutputSizeUser for KnownDigest {
    type OutputSize = <Sha512 as OutputSizeUser>::OutputSize;
}

impl Update for KnownDigest {
    fn update(&mut self, _data: &[u8]) {}
}

impl Reset for KnownDigest {
    fn reset(&mut self) {}
}

impl FixedOutput for KnownDigest {
    fn finalize_into(self, out: &mut Output<Self>) {
        out.copy_from_slice(&self.0);
    }
}
