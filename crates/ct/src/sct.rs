//! Signed certificate timestamps (RFC 6962 §3.2–3.3): the SCT structure, the bytes a log signs,
//! the SCT-list X.509 extension, and verification as Sigstore clients perform it.

use ring::digest::{digest, SHA256};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair};
use x509_cert::der::asn1::{BitString, OctetString};
use x509_cert::der::{Any, Decode, Encode};
use x509_cert::ext::Extension;
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};

use crate::leaf::{SignedEntry, TimestampedEntry};
use crate::precert::{PrecertEntry, SCT_LIST_OID};
use crate::tls::{Reader, Writer};
use crate::Error;

/// `HashAlgorithm.sha256`: the only hash Go verifiers and sigstore-python accept.
pub const HASH_SHA256: u8 = 4;
/// `SignatureAlgorithm.rsa` (PKCS#1 v1.5).
pub const SIGNATURE_RSA: u8 = 1;
/// `SignatureAlgorithm.ecdsa` (DER `Ecdsa-Sig-Value`).
pub const SIGNATURE_ECDSA: u8 = 3;

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const PRIME256V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// A log's identity: SHA-256 of its DER `SubjectPublicKeyInfo`. Sigstore trusted roots carry the
/// same value as `logId.keyId`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LogId(pub [u8; 32]);

impl LogId {
    /// The ID of the log whose public key is `spki_der`.
    pub fn of_public_key(spki_der: &[u8]) -> Self {
        let mut id = [0u8; 32];
        id.copy_from_slice(digest(&SHA256, spki_der).as_ref());
        LogId(id)
    }
}

/// TLS `DigitallySigned`: hash and signature algorithm bytes, then the signature. Also the
/// `signature` field of an `add-chain` response, base64'd.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigitallySigned {
    /// `HashAlgorithm` (4 = SHA-256).
    pub hash_algorithm: u8,
    /// `SignatureAlgorithm` (3 = ECDSA, 1 = RSA).
    pub signature_algorithm: u8,
    /// DER `Ecdsa-Sig-Value` or PKCS#1 v1.5 signature.
    pub signature: Vec<u8>,
}

impl DigitallySigned {
    fn encode(&self, w: &mut Writer) -> Result<(), Error> {
        w.u8(self.hash_algorithm);
        w.u8(self.signature_algorithm);
        w.vec16("signature", &self.signature)
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            hash_algorithm: r.u8()?,
            signature_algorithm: r.u8()?,
            signature: r.vec16()?.to_vec(),
        })
    }

    /// The TLS encoding.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut w = Writer::default();
        self.encode(&mut w)?;
        Ok(w.buf)
    }

    /// Parses the TLS encoding with no trailing bytes (as Go's CT client insists).
    pub fn from_bytes(input: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new("DigitallySigned", input);
        let ds = Self::decode(&mut r)?;
        r.finish()?;
        Ok(ds)
    }
}

/// A version 1 SCT: the log's promise to include an entry, timestamped and signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCertificateTimestamp {
    /// Which log signed it.
    pub log_id: LogId,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// `CtExtensions` (empty for RFC 6962 logs; signed over, so carried verbatim).
    pub extensions: Vec<u8>,
    /// The log's signature over [`signed_data`].
    pub signature: DigitallySigned,
}

impl SignedCertificateTimestamp {
    /// Signs `entry` at `timestamp` with the log key. The caller must have made the entry
    /// durable in the log first: an SCT is a promise of inclusion.
    pub fn sign(
        signer: &dyn LogSigner,
        timestamp: u64,
        entry: &SignedEntry,
        extensions: Vec<u8>,
    ) -> Result<Self, Error> {
        let timestamped = TimestampedEntry {
            timestamp,
            entry: entry.clone(),
            extensions,
        };
        let signature = DigitallySigned {
            hash_algorithm: HASH_SHA256,
            signature_algorithm: signer.signature_algorithm(),
            signature: signer.sign(&signed_data(&timestamped)?)?,
        };
        Ok(Self {
            log_id: signer.log_id(),
            timestamp,
            extensions: timestamped.extensions,
            signature,
        })
    }

    /// The entry as the log timestamped it: what it stores in its `MerkleTreeLeaf`.
    pub fn timestamped_entry(&self, entry: SignedEntry) -> TimestampedEntry {
        TimestampedEntry {
            timestamp: self.timestamp,
            entry,
            extensions: self.extensions.clone(),
        }
    }

    /// Checks that `key` is the SCT's log and that the signature covers `entry`.
    pub fn verify(&self, entry: &SignedEntry, key: &LogPublicKey) -> Result<(), Error> {
        if key.log_id != self.log_id {
            return Err(Error::UnknownLog(self.log_id.0));
        }
        if self.signature.hash_algorithm != HASH_SHA256 {
            return Err(Error::InvalidSignature);
        }
        let message = signed_data(&self.timestamped_entry(entry.clone()))?;
        key.verify(
            self.signature.signature_algorithm,
            &message,
            &self.signature.signature,
        )
    }

    /// The TLS encoding of the SCT as embedded in a certificate.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut w = Writer::default();
        self.encode(&mut w)?;
        Ok(w.buf)
    }

    fn encode(&self, w: &mut Writer) -> Result<(), Error> {
        w.u8(0); // sct_version v1
        w.bytes(&self.log_id.0);
        w.u64(self.timestamp);
        w.vec16("extensions", &self.extensions)?;
        self.signature.encode(w)
    }

    /// Parses one v1 SCT, rejecting other versions and trailing bytes.
    pub fn from_bytes(input: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new("SignedCertificateTimestamp", input);
        if r.u8()? != 0 {
            return Err(r.malformed("unsupported version"));
        }
        let sct = Self {
            log_id: LogId(r.array32()?),
            timestamp: r.u64()?,
            extensions: r.vec16()?.to_vec(),
            signature: DigitallySigned::decode(&mut r)?,
        };
        r.finish()?;
        Ok(sct)
    }
}

/// The `digitally-signed` input of an SCT (RFC 6962 §3.2): version, `certificate_timestamp`,
/// then the timestamped entry. Byte-for-byte the `MerkleTreeLeaf` of the same entry.
pub fn signed_data(entry: &TimestampedEntry) -> Result<Vec<u8>, Error> {
    let mut w = Writer::default();
    w.u8(0); // sct_version v1
    w.u8(0); // SignatureType.certificate_timestamp
    entry.encode(&mut w)?;
    Ok(w.buf)
}

/// TLS `SignedCertificateTimestampList`: a u16-prefixed list of u16-prefixed SCTs.
pub fn encode_sct_list(scts: &[SignedCertificateTimestamp]) -> Result<Vec<u8>, Error> {
    let mut items = Writer::default();
    for sct in scts {
        items.vec16("SerializedSCT", &sct.to_bytes()?)?;
    }
    let mut w = Writer::default();
    w.vec16("SignedCertificateTimestampList", &items.buf)?;
    Ok(w.buf)
}

/// Parses a `SignedCertificateTimestampList`. An empty list is an error: RFC 6962 requires
/// at least one SCT.
pub fn decode_sct_list(input: &[u8]) -> Result<Vec<SignedCertificateTimestamp>, Error> {
    let mut outer = Reader::new("SignedCertificateTimestampList", input);
    let body = outer.vec16()?;
    outer.finish()?;
    let mut r = Reader::new("SignedCertificateTimestampList", body);
    let mut scts = Vec::new();
    while !r.is_empty() {
        scts.push(SignedCertificateTimestamp::from_bytes(r.vec16()?)?);
    }
    if scts.is_empty() {
        return Err(Error::SctList("empty"));
    }
    Ok(scts)
}

/// The non-critical SCT-list extension: its extnValue holds a DER OCTET STRING that wraps the
/// TLS list (an OCTET STRING inside the extension's OCTET STRING, as clients expect).
pub fn sct_list_extension(scts: &[SignedCertificateTimestamp]) -> Result<Extension, Error> {
    let inner = OctetString::new(encode_sct_list(scts)?)?;
    Ok(Extension {
        extn_id: SCT_LIST_OID,
        critical: false,
        extn_value: OctetString::new(inner.to_der()?)?,
    })
}

/// Verifies the SCTs embedded in `certificate_der` the way cosign's legacy path and
/// sigstore-js do: rebuild the precert entry (SCT list removed, issuer key hash of
/// `issuer_der`), then require that every SCT comes from one of `logs` and verifies. Returns the
/// verified SCTs; sigstore-python additionally demands exactly one.
pub fn verify_embedded_scts(
    certificate_der: &[u8],
    issuer_der: &[u8],
    logs: &[LogPublicKey],
) -> Result<Vec<SignedCertificateTimestamp>, Error> {
    let (entry, list) = PrecertEntry::from_final_certificate(certificate_der, issuer_der)?;
    let entry = SignedEntry::Precert(entry);
    let scts = decode_sct_list(&list)?;
    for sct in &scts {
        let key = logs
            .iter()
            .find(|k| k.log_id == sct.log_id)
            .ok_or(Error::UnknownLog(sct.log_id.0))?;
        sct.verify(&entry, key)?;
    }
    Ok(scts)
}

/// The algorithms a log key may use for SCTs (Go verifiers reject anything else).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LogKeyKind {
    EcdsaP256,
    Rsa,
}

/// A CT log's public key, as a verifier holds it.
#[derive(Clone, Debug)]
pub struct LogPublicKey {
    spki_der: Vec<u8>,
    log_id: LogId,
    kind: LogKeyKind,
    /// The BIT STRING contents: an uncompressed EC point or a PKCS#1 `RSAPublicKey`.
    key_bytes: Vec<u8>,
}

impl LogPublicKey {
    /// Loads a DER `SubjectPublicKeyInfo`: ECDSA P-256 or RSA.
    pub fn from_spki_der(spki_der: &[u8]) -> Result<Self, Error> {
        let spki = SubjectPublicKeyInfoOwned::from_der(spki_der)
            .map_err(|_| Error::Key("not a DER SubjectPublicKeyInfo"))?;
        let kind = if spki.algorithm.oid == ID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            if curve != Some(PRIME256V1) {
                return Err(Error::Key("EC log keys must be P-256"));
            }
            LogKeyKind::EcdsaP256
        } else if spki.algorithm.oid == RSA_ENCRYPTION {
            LogKeyKind::Rsa
        } else {
            return Err(Error::Key("log keys must be ECDSA P-256 or RSA"));
        };
        let key_bytes = spki
            .subject_public_key
            .as_bytes()
            .ok_or(Error::Key("public key BIT STRING has unused bits"))?
            .to_vec();
        Ok(Self {
            spki_der: spki_der.to_vec(),
            log_id: LogId::of_public_key(spki_der),
            kind,
            key_bytes,
        })
    }

    /// The log ID derived from this key.
    pub fn log_id(&self) -> LogId {
        self.log_id
    }

    /// The DER `SubjectPublicKeyInfo`.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    pub(crate) fn verify(
        &self,
        signature_algorithm: u8,
        message: &[u8],
        sig: &[u8],
    ) -> Result<(), Error> {
        let alg: &dyn signature::VerificationAlgorithm = match (self.kind, signature_algorithm) {
            (LogKeyKind::EcdsaP256, SIGNATURE_ECDSA) => &signature::ECDSA_P256_SHA256_ASN1,
            (LogKeyKind::Rsa, SIGNATURE_RSA) => &signature::RSA_PKCS1_2048_8192_SHA256,
            _ => return Err(Error::InvalidSignature),
        };
        signature::UnparsedPublicKey::new(alg, &self.key_bytes)
            .verify(message, sig)
            .map_err(|_| Error::InvalidSignature)
    }
}

/// The log's signing key. Implementations may live in memory, an HSM or a KMS; the SCT code only
/// needs the public key (for the log ID) and SHA-256-based signatures.
pub trait LogSigner: Send + Sync {
    /// DER `SubjectPublicKeyInfo` of the log key.
    fn public_key_der(&self) -> &[u8];

    /// `SignatureAlgorithm` value of the signatures [`LogSigner::sign`] returns.
    fn signature_algorithm(&self) -> u8;

    /// Signs `message` with SHA-256 (ECDSA: DER `Ecdsa-Sig-Value`; RSA: PKCS#1 v1.5).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error>;

    /// SHA-256 of [`LogSigner::public_key_der`].
    fn log_id(&self) -> LogId {
        LogId::of_public_key(self.public_key_der())
    }
}

/// An in-memory ECDSA P-256 log key (the algorithm every Sigstore client accepts for SCTs).
pub struct EcdsaP256LogSigner {
    key: EcdsaKeyPair,
    spki_der: Vec<u8>,
    rng: SystemRandom,
}

impl std::fmt::Debug for EcdsaP256LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcdsaP256LogSigner")
            .field("log_id", &self.log_id())
            .finish_non_exhaustive()
    }
}

impl EcdsaP256LogSigner {
    /// Loads an unencrypted PKCS#8 DER P-256 private key.
    pub fn from_pkcs8(pkcs8_der: &[u8]) -> Result<Self, Error> {
        let rng = SystemRandom::new();
        let key =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8_der, &rng)
                .map_err(|_| Error::Key("not a PKCS#8 ECDSA P-256 private key"))?;
        let spki = SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: ID_EC_PUBLIC_KEY,
                parameters: Some(Any::encode_from(&PRIME256V1)?),
            },
            subject_public_key: BitString::from_bytes(key.public_key().as_ref())?,
        };
        Ok(Self {
            key,
            spki_der: spki.to_der()?,
            rng,
        })
    }

    /// A fresh random key and its PKCS#8 DER (for `sigstack init` and tests).
    pub fn generate() -> Result<(Self, Vec<u8>), Error> {
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &SystemRandom::new(),
        )
        .map_err(|_| Error::Key("key generation failed"))?;
        let pkcs8 = pkcs8.as_ref().to_vec();
        Ok((Self::from_pkcs8(&pkcs8)?, pkcs8))
    }

    /// The public half, for verifiers and trusted roots.
    pub fn public_key(&self) -> Result<LogPublicKey, Error> {
        LogPublicKey::from_spki_der(&self.spki_der)
    }
}

impl LogSigner for EcdsaP256LogSigner {
    fn public_key_der(&self) -> &[u8] {
        &self.spki_der
    }

    fn signature_algorithm(&self) -> u8 {
        SIGNATURE_ECDSA
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.key
            .sign(&self.rng, message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| Error::Signing)
    }
}
