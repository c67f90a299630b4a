//! Proof of possession (§4): the requester shows it holds the private key of the public key
//! to be certified — by signing the principal's name, or with a CSR's self-signature.
//!
//! Key policy (Fulcio's): ECDSA on P-256/P-384/P-521, Ed25519, RSA 2048–4096 bits with
//! e = 65537; the (key, hash) pair must be in Fulcio's default allow-list (P-256/SHA-256,
//! P-384/SHA-384, P-521/SHA-512, RSA-2048/3072/4096 with SHA-256, Ed25519).
//!
//! Signed challenge hashes: current Fulcio hashes by curve (P-384 → SHA-384), Fulcio 1.6.5
//! used SHA-256 for every key (golden `ok/…ecdsa-p384-pop-sha256`). Both are accepted for
//! P-384 so clients of either era work. Ed25519 is pure (no prehash), RSA is PKCS#1 v1.5.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::signature::{self, UnparsedPublicKey};
use x509_cert::der::asn1::{ObjectIdentifier as Oid, UintRef};
use x509_cert::der::{Decode, Encode, Reader, SliceReader};
use x509_cert::request::CertReq;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

use crate::error::{Error, Result};

const OID_EC: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
const OID_P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: Oid = Oid::new_unwrap("1.3.132.0.34");
const OID_P521: Oid = Oid::new_unwrap("1.3.132.0.35");
const OID_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const OID_ED25519: Oid = Oid::new_unwrap("1.3.101.112");
const OID_ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
const OID_ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
const OID_ECDSA_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
const OID_RSA_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
const OID_RSA_SHA384: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
const OID_RSA_SHA512: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");

/// The type of a requester's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA on P-256.
    EcdsaP256,
    /// ECDSA on P-384.
    EcdsaP384,
    /// ECDSA on P-521.
    EcdsaP521,
    /// RSA with a modulus of `bits` bits.
    Rsa {
        /// Modulus size.
        bits: usize,
    },
    /// Ed25519.
    Ed25519,
}

impl KeyKind {
    fn describe(self) -> String {
        match self {
            KeyKind::EcdsaP256 => "ECDSA P-256".into(),
            KeyKind::EcdsaP384 => "ECDSA P-384".into(),
            KeyKind::EcdsaP521 => "ECDSA P-521".into(),
            KeyKind::Rsa { bits } => format!("RSA-{bits}"),
            KeyKind::Ed25519 => "Ed25519".into(),
        }
    }
}

/// Hash of a signature scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
    /// Pure Ed25519.
    None,
}

impl Hash {
    fn name(self) -> &'static str {
        match self {
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
            Hash::None => "none",
        }
    }
}

/// A requester's public key that passed the key policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestKey {
    /// Canonical DER SubjectPublicKeyInfo, for the certificate.
    pub spki_der: Vec<u8>,
    /// Key type.
    pub kind: KeyKind,
    /// The subjectPublicKey bits: EC point, RSAPublicKey DER, or Ed25519 key.
    key_bits: Vec<u8>,
}

/// The body of the first PEM block with one of `labels`; lenient on line length and text
/// around the block, like Go's `pem.Decode`.
fn pem_block(text: &[u8], labels: &[&str]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(text).ok()?;
    for label in labels {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        if let Some(b) = text.find(&begin) {
            let body = &text[b + begin.len()..];
            let e = body.find(&end)?;
            let b64: String = body[..e].chars().filter(|c| !c.is_whitespace()).collect();
            return STANDARD.decode(b64).ok();
        }
    }
    None
}

/// Parses a public key — PEM `PUBLIC KEY`, else DER SubjectPublicKeyInfo — and applies the
/// key policy.
pub fn parse_public_key(bytes: &[u8]) -> Result<RequestKey> {
    let trimmed = trim_ascii(bytes);
    // Only PEM text is trimmed: DER is binary, and its last byte may well be 0x0a or 0x20.
    let der = if trimmed.starts_with(b"-----BEGIN") {
        pem_block(trimmed, &["PUBLIC KEY"])
            .ok_or_else(|| Error::PublicKeyUnparsable("not a PUBLIC KEY PEM block".into()))?
    } else {
        bytes.to_vec()
    };
    let spki = SubjectPublicKeyInfoOwned::from_der(&der)
        .map_err(|e| Error::PublicKeyUnparsable(format!("not a SubjectPublicKeyInfo: {e}")))?;
    check_key(&spki, Error::PublicKeyUnparsable)
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &b[start..end]
}

/// Key policy over a decoded SPKI. `unparsable` builds the error for structurally bad keys
/// (public-key vs CSR wording).
fn check_key(
    spki: &SubjectPublicKeyInfoOwned,
    unparsable: fn(String) -> Error,
) -> Result<RequestKey> {
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| unparsable("key bit string has unused bits".into()))?
        .to_vec();
    let oid = spki.algorithm.oid;
    let kind = if oid == OID_EC {
        let curve: Oid = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as().ok())
            .ok_or_else(|| unparsable("EC key without a named curve".into()))?;
        let (kind, len) = match curve {
            c if c == OID_P256 => (KeyKind::EcdsaP256, 65),
            c if c == OID_P384 => (KeyKind::EcdsaP384, 97),
            c if c == OID_P521 => (KeyKind::EcdsaP521, 133),
            other => {
                return Err(Error::WeakKey(format!(
                    "unsupported elliptic curve {other}"
                )))
            }
        };
        if bits.len() != len || bits[0] != 0x04 {
            return Err(unparsable(
                "EC point is not an uncompressed point on its curve".into(),
            ));
        }
        if kind == KeyKind::EcdsaP521 {
            p521::ecdsa::VerifyingKey::from_sec1_bytes(&bits)
                .map_err(|_| unparsable("EC point is not on P-521".into()))?;
        }
        kind
    } else if oid == OID_RSA {
        let (modulus_bits, exponent) =
            rsa_params(&bits).ok_or_else(|| unparsable("malformed RSA public key".into()))?;
        if !(2048..=4096).contains(&modulus_bits) || modulus_bits % 8 != 0 {
            return Err(Error::WeakKey(format!(
                "RSA modulus of {modulus_bits} bits (allowed: 2048-4096, multiple of 8)"
            )));
        }
        if exponent != 65537 {
            return Err(Error::WeakKey(format!(
                "RSA public exponent {exponent} is not 65537"
            )));
        }
        KeyKind::Rsa { bits: modulus_bits }
    } else if oid == OID_ED25519 {
        if bits.len() != 32 {
            return Err(unparsable("Ed25519 key is not 32 bytes".into()));
        }
        KeyKind::Ed25519
    } else {
        return Err(unparsable(format!(
            "unsupported public key algorithm {oid}"
        )));
    };
    let spki_der = spki
        .to_der()
        .map_err(|e| unparsable(format!("cannot re-encode key: {e}")))?;
    Ok(RequestKey {
        spki_der,
        kind,
        key_bits: bits,
    })
}

/// `(modulus bit length, public exponent)` of an RSAPublicKey DER.
fn rsa_params(der: &[u8]) -> Option<(usize, u64)> {
    let mut r = SliceReader::new(der).ok()?;
    let (n, e) = r
        .sequence(|r| Ok((UintRef::decode(r)?, UintRef::decode(r)?)))
        .ok()?;
    if !r.is_finished() {
        return None;
    }
    let n = n.as_bytes();
    let first = *n.first()?;
    let bits = n.len() * 8 - first.leading_zeros() as usize;
    let e = e.as_bytes();
    if e.len() > 8 {
        return Some((bits, u64::MAX));
    }
    let exp = e.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    Some((bits, exp))
}

/// Fulcio's default (key, hash) allow-list.
fn permitted(kind: KeyKind, hash: Hash) -> bool {
    matches!(
        (kind, hash),
        (KeyKind::EcdsaP256, Hash::Sha256)
            | (KeyKind::EcdsaP384, Hash::Sha384)
            | (KeyKind::EcdsaP521, Hash::Sha512)
            | (KeyKind::Ed25519, Hash::None)
    ) || matches!(
        (kind, hash),
        (
            KeyKind::Rsa {
                bits: 2048 | 3072 | 4096
            },
            Hash::Sha256
        )
    )
}

/// Verifies `signature` over `message` with `key` under one scheme.
fn verify_with(key: &RequestKey, hash: Hash, message: &[u8], sig: &[u8]) -> bool {
    let ring_alg: &'static dyn signature::VerificationAlgorithm = match (key.kind, hash) {
        (KeyKind::EcdsaP256, Hash::Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
        (KeyKind::EcdsaP256, Hash::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
        (KeyKind::EcdsaP384, Hash::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
        (KeyKind::EcdsaP384, Hash::Sha384) => &signature::ECDSA_P384_SHA384_ASN1,
        (KeyKind::Rsa { .. }, Hash::Sha256) => &signature::RSA_PKCS1_2048_8192_SHA256,
        (KeyKind::Ed25519, Hash::None) => &signature::ED25519,
        (KeyKind::EcdsaP521, Hash::Sha512) => {
            use p521::ecdsa::signature::Verifier as _;
            let Ok(vk) = p521::ecdsa::VerifyingKey::from_sec1_bytes(&key.key_bits) else {
                return false;
            };
            let Ok(sig) = p521::ecdsa::Signature::from_der(sig) else {
                return false;
            };
            return vk.verify(message, &sig).is_ok();
        }
        _ => return false,
    };
    UnparsedPublicKey::new(ring_alg, &key.key_bits)
        .verify(message, sig)
        .is_ok()
}

/// The hashes a signed challenge may use for this key type (first = current Fulcio).
fn challenge_hashes(kind: KeyKind) -> &'static [Hash] {
    match kind {
        KeyKind::EcdsaP256 | KeyKind::Rsa { .. } => &[Hash::Sha256],
        KeyKind::EcdsaP384 => &[Hash::Sha384, Hash::Sha256],
        KeyKind::EcdsaP521 => &[Hash::Sha512],
        KeyKind::Ed25519 => &[Hash::None],
    }
}

/// Public key + signed challenge (v2 `publicKeyRequest`, v1 `publicKey` +
/// `signedEmailAddress`): `signature` must sign `challenge` — the principal's name — with the
/// key. Returns the key for the certificate.
pub fn verify_signed_challenge(
    public_key: &[u8],
    signature: &[u8],
    challenge: &str,
) -> Result<RequestKey> {
    let key = parse_public_key(public_key)?;
    if let KeyKind::Rsa { bits } = key.kind {
        if !permitted(key.kind, Hash::Sha256) {
            return Err(Error::SigningAlgorithmNotPermitted {
                key: format!("RSA-{bits}"),
                hash: "SHA-256".into(),
            });
        }
    }
    if signature.is_empty() {
        return Err(Error::PopFailed("no signature supplied".into()));
    }
    let ok = challenge_hashes(key.kind)
        .iter()
        .any(|h| verify_with(&key, *h, challenge.as_bytes(), signature));
    if ok {
        Ok(key)
    } else {
        Err(Error::PopFailed(format!(
            "signature by the {} key over the challenge does not verify",
            key.kind.describe()
        )))
    }
}

/// A PKCS#10 CSR (PEM `CERTIFICATE REQUEST`, the form Fulcio accepts): the self-signature
/// is the proof of possession. Subject, attributes and requested extensions are ignored.
pub fn verify_csr(csr: &[u8]) -> Result<RequestKey> {
    let der = pem_block(
        trim_ascii(csr),
        &["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"],
    )
    .ok_or_else(|| Error::CsrUnparsable("not a CERTIFICATE REQUEST PEM block".into()))?;
    let req = CertReq::from_der(&der).map_err(|e| Error::CsrUnparsable(e.to_string()))?;
    let key = check_key(&req.info.public_key, Error::CsrUnparsable)?;
    let sig_oid = req.algorithm.oid;
    let hash = match sig_oid {
        o if o == OID_ECDSA_SHA256 || o == OID_RSA_SHA256 => Hash::Sha256,
        o if o == OID_ECDSA_SHA384 || o == OID_RSA_SHA384 => Hash::Sha384,
        o if o == OID_ECDSA_SHA512 || o == OID_RSA_SHA512 => Hash::Sha512,
        o if o == OID_ED25519 => Hash::None,
        other => {
            return Err(Error::CsrUnparsable(format!(
                "unsupported signature algorithm {other}"
            )))
        }
    };
    let family_ok = match key.kind {
        KeyKind::Rsa { .. } => [OID_RSA_SHA256, OID_RSA_SHA384, OID_RSA_SHA512].contains(&sig_oid),
        KeyKind::Ed25519 => sig_oid == OID_ED25519,
        _ => [OID_ECDSA_SHA256, OID_ECDSA_SHA384, OID_ECDSA_SHA512].contains(&sig_oid),
    };
    if !family_ok {
        return Err(Error::PopFailed(format!(
            "CSR signature algorithm {sig_oid} does not fit a {} key",
            key.kind.describe()
        )));
    }
    if !permitted(key.kind, hash) {
        return Err(Error::SigningAlgorithmNotPermitted {
            key: key.kind.describe(),
            hash: hash.name().into(),
        });
    }
    let sig = req
        .signature
        .as_bytes()
        .ok_or_else(|| Error::CsrUnparsable("signature bit string has unused bits".into()))?;
    let info = req
        .info
        .to_der()
        .map_err(|e| Error::CsrUnparsable(e.to_string()))?;
    if verify_with(&key, hash, &info, sig) {
        Ok(key)
    } else {
        Err(Error::PopFailed(
            "CSR self-signature does not verify".into(),
        ))
    }
}
