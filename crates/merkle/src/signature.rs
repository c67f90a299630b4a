//! Log signing keys: ECDSA P-256 and Ed25519 signers and verifiers on `ring`.
//!
//! Two algorithms cover everything a Sigstore log signs:
//!
//! * **ECDSA P-256 with SHA-256, ASN.1 DER signatures** — Rekor v1 checkpoints and
//!   SignedEntryTimestamps. Clients (cosign, sigstore-go) call `ecdsa.VerifyASN1`, so the
//!   signature is DER `SEQUENCE { r, s }`, never raw `r ‖ s`.
//! * **Ed25519** — Rekor v2 checkpoints (C2SP signed-note signature type 0x01).
//!
//! Public keys travel as DER SubjectPublicKeyInfo (what PEM `PUBLIC KEY` blocks and trusted
//! roots carry). Only the named-curve, uncompressed-point encodings are accepted: they are
//! the ones Go's `x509.ParsePKIXPublicKey` and every Sigstore client produce, and DER being
//! canonical makes each of them a fixed byte prefix followed by the key.
//!
//! Signing with ECDSA needs randomness for the nonce; the signer owns a `ring`
//! `SystemRandom` so callers never thread an RNG through. Nothing here reads a clock or does
//! I/O.

use std::fmt;

use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_ASN1,
    ECDSA_P256_SHA256_ASN1_SIGNING, ED25519,
};

/// DER prefix of a P-256 SubjectPublicKeyInfo: `SEQUENCE { SEQUENCE { id-ecPublicKey,
/// prime256v1 }, BIT STRING (0 unused bits) … }`; the 65-byte uncompressed point follows.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): `SEQUENCE { SEQUENCE {
/// id-Ed25519 }, BIT STRING (0 unused bits) … }`; the 32-byte key follows.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// DER encoding of the prime256v1 (P-256) object identifier, tag and length included.
const P256_OID_DER: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// Length of an uncompressed SEC1 P-256 point: `0x04 ‖ X ‖ Y`.
const P256_POINT_LEN: usize = 65;

/// Length of a P-256 private scalar.
const P256_SCALAR_LEN: usize = 32;

/// Length of an Ed25519 public key, and of the seed a private key is derived from.
pub const ED25519_KEY_LEN: usize = 32;

/// Errors from parsing keys, signing and verifying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The private key bytes are not a key of the expected kind and encoding.
    #[error("invalid private key: {0}")]
    InvalidPrivateKey(String),
    /// The public key bytes are not a supported SubjectPublicKeyInfo or raw key.
    #[error("invalid public key: {0}")]
    InvalidPublicKey(&'static str),
    /// The signature does not verify under the key (or is not even well-formed).
    #[error("signature verification failed")]
    InvalidSignature,
    /// The underlying signing operation failed (e.g. the RNG was unavailable).
    #[error("signing failed")]
    SigningFailed,
    /// A new key could not be generated (the RNG was unavailable).
    #[error("key generation failed")]
    KeyGenerationFailed,
}

/// The signature algorithms a sigstack log key can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// ECDSA over NIST P-256 with SHA-256; signatures are ASN.1 DER.
    EcdsaP256Sha256,
    /// Pure Ed25519 (RFC 8032); signatures are 64 bytes.
    Ed25519,
}

/// Something that can sign messages with a log key.
///
/// The contract is byte-level: `sign` returns exactly the bytes a client's verifier expects
/// (DER for ECDSA, 64 raw bytes for Ed25519) over exactly `message` — callers hash nothing
/// themselves. Implementations are shareable across threads so a service can hold one in an
/// `Arc`.
pub trait Signer: Send + Sync {
    /// The algorithm this key signs with.
    fn algorithm(&self) -> Algorithm;

    /// The DER SubjectPublicKeyInfo of the matching public key; this is what log IDs and
    /// key hints are hashed from and what `/api/v1/log/publicKey` serves as PEM.
    fn public_key_spki_der(&self) -> &[u8];

    /// The matching public key, ready to verify this signer's output.
    fn public_key(&self) -> PublicKey;

    /// Signs `message`.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError>;
}

/// Something that can check signatures made by one public key.
pub trait Verifier: Send + Sync {
    /// The algorithm this key verifies.
    fn algorithm(&self) -> Algorithm;

    /// The DER SubjectPublicKeyInfo of this key.
    fn public_key_spki_der(&self) -> &[u8];

    /// Returns `Ok(())` only if `signature` is a valid signature over exactly `message`.
    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError>;
}

/// An ECDSA P-256 signing key (Rekor v1 checkpoints and SETs).
pub struct EcdsaP256Signer {
    key_pair: EcdsaKeyPair,
    rng: SystemRandom,
    spki_der: Vec<u8>,
}

impl EcdsaP256Signer {
    /// Loads an unencrypted PKCS#8 v1 `PRIVATE KEY` (DER). The embedded `ECPrivateKey` must
    /// carry its public key, which is checked against the private scalar.
    pub fn from_pkcs8_der(pkcs8: &[u8]) -> Result<Self, SignatureError> {
        let rng = SystemRandom::new();
        let key_pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8, &rng)
            .map_err(|e| SignatureError::InvalidPrivateKey(e.to_string()))?;
        Ok(Self::from_key_pair(key_pair, rng))
    }

    /// Loads a SEC1 / RFC 5915 `EC PRIVATE KEY` (DER), the format `openssl ecparam -genkey`
    /// writes and older Rekor deployments keep their signer in. `ring` cannot parse it
    /// directly, so the scalar and point are extracted here; the `publicKey` field is
    /// required because `ring` offers no way to derive it.
    pub fn from_sec1_der(sec1: &[u8]) -> Result<Self, SignatureError> {
        let parts = parse_sec1_p256(sec1).map_err(SignatureError::InvalidPrivateKey)?;
        let rng = SystemRandom::new();
        let key_pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            parts.private_scalar,
            parts.public_point,
            &rng,
        )
        .map_err(|e| SignatureError::InvalidPrivateKey(e.to_string()))?;
        Ok(Self::from_key_pair(key_pair, rng))
    }

    /// Generates a fresh key and returns it as PKCS#8 v1 DER (for `sigstack init` and
    /// tests); load it with [`EcdsaP256Signer::from_pkcs8_der`].
    pub fn generate_pkcs8_der() -> Result<Vec<u8>, SignatureError> {
        let rng = SystemRandom::new();
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .map(|doc| doc.as_ref().to_vec())
            .map_err(|_| SignatureError::KeyGenerationFailed)
    }

    fn from_key_pair(key_pair: EcdsaKeyPair, rng: SystemRandom) -> Self {
        let spki_der = [&P256_SPKI_PREFIX[..], key_pair.public_key().as_ref()].concat();
        Self {
            key_pair,
            rng,
            spki_der,
        }
    }
}

impl fmt::Debug for EcdsaP256Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcdsaP256Signer")
            .field("public_key_spki_der_len", &self.spki_der.len())
            .finish_non_exhaustive()
    }
}

impl Signer for EcdsaP256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EcdsaP256Sha256
    }

    fn public_key_spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    fn public_key(&self) -> PublicKey {
        PublicKey::EcdsaP256(EcdsaP256Verifier {
            spki_der: self.spki_der.clone(),
        })
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        self.key_pair
            .sign(&self.rng, message)
            .map(|sig| sig.as_ref().to_vec())
            .map_err(|_| SignatureError::SigningFailed)
    }
}

/// An ECDSA P-256 public key that checks DER signatures over SHA-256 of the message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EcdsaP256Verifier {
    spki_der: Vec<u8>,
}

impl EcdsaP256Verifier {
    /// Accepts the DER SubjectPublicKeyInfo of a named-curve P-256 key with an uncompressed
    /// point.
    pub fn from_spki_der(spki_der: &[u8]) -> Result<Self, SignatureError> {
        let point = spki_der.strip_prefix(&P256_SPKI_PREFIX[..]).ok_or(
            SignatureError::InvalidPublicKey("not a P-256 SubjectPublicKeyInfo"),
        )?;
        validate_p256_point(point)?;
        Ok(Self {
            spki_der: spki_der.to_vec(),
        })
    }

    /// The uncompressed SEC1 point `0x04 ‖ X ‖ Y`.
    pub fn public_point(&self) -> &[u8] {
        &self.spki_der[P256_SPKI_PREFIX.len()..]
    }
}

/// Checks that `point` has the uncompressed SEC1 shape. Whether it lies on the curve is
/// left to `ring`, which validates the point on every verification: an off-curve key
/// therefore loads but verifies nothing.
fn validate_p256_point(point: &[u8]) -> Result<(), SignatureError> {
    if point.len() == P256_POINT_LEN && point.first() == Some(&0x04) {
        Ok(())
    } else {
        Err(SignatureError::InvalidPublicKey(
            "P-256 point is not uncompressed",
        ))
    }
}

impl Verifier for EcdsaP256Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EcdsaP256Sha256
    }

    fn public_key_spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, self.public_point())
            .verify(message, signature)
            .map_err(|_| SignatureError::InvalidSignature)
    }
}

/// An Ed25519 signing key (Rekor v2 checkpoints, C2SP signed-note type 0x01).
pub struct Ed25519Signer {
    key_pair: Ed25519KeyPair,
    spki_der: Vec<u8>,
}

impl Ed25519Signer {
    /// Loads an unencrypted PKCS#8 Ed25519 key (DER), v1 as OpenSSL writes it or v2 (with
    /// the public key, which is then checked) as `ring` writes it.
    pub fn from_pkcs8_der(pkcs8: &[u8]) -> Result<Self, SignatureError> {
        let key_pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
            .map_err(|e| SignatureError::InvalidPrivateKey(e.to_string()))?;
        Ok(Self::from_key_pair(key_pair))
    }

    /// Builds the key from its 32-byte RFC 8032 seed (the form signed-note `PRIVATE+KEY`
    /// strings carry).
    pub fn from_seed(seed: &[u8]) -> Result<Self, SignatureError> {
        if seed.len() != ED25519_KEY_LEN {
            return Err(SignatureError::InvalidPrivateKey(format!(
                "Ed25519 seed must be {ED25519_KEY_LEN} bytes, got {}",
                seed.len()
            )));
        }
        let key_pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|e| SignatureError::InvalidPrivateKey(e.to_string()))?;
        Ok(Self::from_key_pair(key_pair))
    }

    /// Generates a fresh key and returns it as PKCS#8 v2 DER; load it with
    /// [`Ed25519Signer::from_pkcs8_der`].
    pub fn generate_pkcs8_der() -> Result<Vec<u8>, SignatureError> {
        let rng = SystemRandom::new();
        Ed25519KeyPair::generate_pkcs8(&rng)
            .map(|doc| doc.as_ref().to_vec())
            .map_err(|_| SignatureError::KeyGenerationFailed)
    }

    /// The raw 32-byte public key (what C2SP key IDs and vkeys are built from).
    pub fn public_key_bytes(&self) -> &[u8] {
        self.key_pair.public_key().as_ref()
    }

    fn from_key_pair(key_pair: Ed25519KeyPair) -> Self {
        let spki_der = [&ED25519_SPKI_PREFIX[..], key_pair.public_key().as_ref()].concat();
        Self { key_pair, spki_der }
    }
}

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519Signer")
            .field("public_key", &self.key_pair.public_key())
            .finish_non_exhaustive()
    }
}

impl Signer for Ed25519Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Ed25519
    }

    fn public_key_spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    fn public_key(&self) -> PublicKey {
        PublicKey::Ed25519(Ed25519Verifier {
            spki_der: self.spki_der.clone(),
        })
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignatureError> {
        Ok(self.key_pair.sign(message).as_ref().to_vec())
    }
}

/// An Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ed25519Verifier {
    spki_der: Vec<u8>,
}

impl Ed25519Verifier {
    /// Accepts the raw 32-byte public key (as in vkeys and trusted roots' raw form).
    pub fn from_raw(key: &[u8]) -> Result<Self, SignatureError> {
        if key.len() != ED25519_KEY_LEN {
            return Err(SignatureError::InvalidPublicKey(
                "Ed25519 public key must be 32 bytes",
            ));
        }
        Ok(Self {
            spki_der: [&ED25519_SPKI_PREFIX[..], key].concat(),
        })
    }

    /// Accepts the RFC 8410 DER SubjectPublicKeyInfo (PEM `PUBLIC KEY` contents).
    pub fn from_spki_der(spki_der: &[u8]) -> Result<Self, SignatureError> {
        let raw = spki_der.strip_prefix(&ED25519_SPKI_PREFIX[..]).ok_or(
            SignatureError::InvalidPublicKey("not an Ed25519 SubjectPublicKeyInfo"),
        )?;
        Self::from_raw(raw)
    }

    /// The raw 32-byte public key.
    pub fn public_key_bytes(&self) -> &[u8] {
        &self.spki_der[ED25519_SPKI_PREFIX.len()..]
    }
}

impl Verifier for Ed25519Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Ed25519
    }

    fn public_key_spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        UnparsedPublicKey::new(&ED25519, self.public_key_bytes())
            .verify(message, signature)
            .map_err(|_| SignatureError::InvalidSignature)
    }
}

/// A public key of any supported algorithm — what a trusted root or a config file hands us
/// before we know which kind it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PublicKey {
    /// An ECDSA P-256 key.
    EcdsaP256(EcdsaP256Verifier),
    /// An Ed25519 key.
    Ed25519(Ed25519Verifier),
}

impl PublicKey {
    /// Recognises a DER SubjectPublicKeyInfo as one of the supported key types.
    pub fn from_spki_der(spki_der: &[u8]) -> Result<Self, SignatureError> {
        if spki_der.starts_with(&ED25519_SPKI_PREFIX) {
            Ed25519Verifier::from_spki_der(spki_der).map(Self::Ed25519)
        } else if spki_der.starts_with(&P256_SPKI_PREFIX) {
            EcdsaP256Verifier::from_spki_der(spki_der).map(Self::EcdsaP256)
        } else {
            Err(SignatureError::InvalidPublicKey(
                "unsupported SubjectPublicKeyInfo (want P-256 or Ed25519)",
            ))
        }
    }

    fn inner(&self) -> &dyn Verifier {
        match self {
            Self::EcdsaP256(v) => v,
            Self::Ed25519(v) => v,
        }
    }
}

impl Verifier for PublicKey {
    fn algorithm(&self) -> Algorithm {
        self.inner().algorithm()
    }

    fn public_key_spki_der(&self) -> &[u8] {
        self.inner().public_key_spki_der()
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        self.inner().verify(message, signature)
    }
}

/// The two fields of an RFC 5915 `ECPrivateKey` that `ring` needs.
struct Sec1Parts<'a> {
    private_scalar: &'a [u8],
    public_point: &'a [u8],
}

/// Parses `ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING,
/// parameters [0] OID OPTIONAL, publicKey [1] BIT STRING OPTIONAL }` for P-256.
fn parse_sec1_p256(der: &[u8]) -> Result<Sec1Parts<'_>, String> {
    let mut outer = DerReader::new(der);
    let body = outer.expect(0x30, "ECPrivateKey SEQUENCE")?;
    outer.finish("ECPrivateKey")?;

    let mut fields = DerReader::new(body);
    if fields.expect(0x02, "version")? != [0x01] {
        return Err("ECPrivateKey version is not 1".into());
    }
    let private_scalar = fields.expect(0x04, "privateKey")?;
    if private_scalar.len() != P256_SCALAR_LEN {
        return Err("private key is not a 32-byte P-256 scalar".into());
    }
    let mut tag = fields.peek_tag();
    if tag == Some(0xa0) {
        let params = fields.expect(0xa0, "parameters")?;
        if params != P256_OID_DER {
            return Err("curve is not P-256".into());
        }
        tag = fields.peek_tag();
    }
    if tag != Some(0xa1) {
        return Err("ECPrivateKey has no publicKey field".into());
    }
    let wrapped = fields.expect(0xa1, "publicKey")?;
    fields.finish("ECPrivateKey fields")?;

    let mut bits = DerReader::new(wrapped);
    let bit_string = bits.expect(0x03, "publicKey BIT STRING")?;
    bits.finish("publicKey")?;
    let public_point = bit_string
        .strip_prefix(&[0x00])
        .ok_or_else(|| "publicKey BIT STRING has unused bits".to_string())?;
    Ok(Sec1Parts {
        private_scalar,
        public_point,
    })
}

/// A minimal reader of definite-length DER TLVs, enough for `ECPrivateKey`.
struct DerReader<'a> {
    rest: &'a [u8],
}

impl<'a> DerReader<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one element with tag `tag` and returns its contents.
    fn expect(&mut self, tag: u8, what: &str) -> Result<&'a [u8], String> {
        let malformed = || format!("malformed DER: {what}");
        let (&actual, after_tag) = self.rest.split_first().ok_or_else(malformed)?;
        if actual != tag {
            return Err(format!("unexpected DER tag for {what}"));
        }
        let (len, after_len) = read_der_length(after_tag).ok_or_else(malformed)?;
        if after_len.len() < len {
            return Err(malformed());
        }
        let (value, rest) = after_len.split_at(len);
        self.rest = rest;
        Ok(value)
    }

    fn finish(&self, what: &str) -> Result<(), String> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(format!("trailing bytes after {what}"))
        }
    }
}

/// Reads a DER length (short form, or long form of one or two bytes — ample for keys).
fn read_der_length(input: &[u8]) -> Option<(usize, &[u8])> {
    let (&first, rest) = input.split_first()?;
    match first {
        0x00..=0x7f => Some((usize::from(first), rest)),
        0x81 => {
            let (&len, rest) = rest.split_first()?;
            (len >= 0x80).then_some((usize::from(len), rest))
        }
        0x82 => {
            let (bytes, rest) = rest.split_first_chunk::<2>()?;
            let len = usize::from(u16::from_be_bytes(*bytes));
            (len >= 0x100).then_some((len, rest))
        }
        _ => None,
    }
}
