//! The CA's signing key and the signature algorithm it implies.
//!
//! Only keys every Sigstore client accepts on a CA: ECDSA P-256/P-384 (SHA-256/384) and RSA
//! (PKCS#1 v1.5 with SHA-256). Ed25519 is refused on purpose: sigstore-python's SCT check and
//! pyca's web-PKI profile reject Ed25519 issuers.

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use x509_cert::der::asn1::BitString;
use x509_cert::der::{pem, Any};
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};

use super::CertError;

pub(crate) const ID_EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub(crate) const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
pub(crate) const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
pub(crate) const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
pub(crate) const RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub(crate) const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

/// Which key `sigstack init` generates for a CA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaKeyAlgorithm {
    /// ECDSA P-256, signatures ecdsa-with-SHA256.
    EcdsaP256,
    /// ECDSA P-384, signatures ecdsa-with-SHA384 (what the public-good CA uses).
    EcdsaP384,
}

enum Inner {
    EcdsaP256(EcdsaKeyPair),
    EcdsaP384(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// A CA private key held in memory.
pub struct CaKey {
    inner: Inner,
    rng: SystemRandom,
}

impl std::fmt::Debug for CaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.inner {
            Inner::EcdsaP256(_) => "ECDSA P-256",
            Inner::EcdsaP384(_) => "ECDSA P-384",
            Inner::Rsa(_) => "RSA",
        };
        f.debug_struct("CaKey")
            .field("kind", &kind)
            .finish_non_exhaustive()
    }
}

impl CaKey {
    /// A fresh key and its unencrypted PKCS#8 DER, for `sigstack init` and ephemeral CAs.
    pub fn generate(algorithm: CaKeyAlgorithm) -> Result<(Self, Vec<u8>), CertError> {
        let alg = match algorithm {
            CaKeyAlgorithm::EcdsaP256 => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            CaKeyAlgorithm::EcdsaP384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        };
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new())
            .map_err(|_| CertError::Key("key generation failed".into()))?;
        let pkcs8 = pkcs8.as_ref().to_vec();
        Ok((Self::from_pkcs8_der(&pkcs8)?, pkcs8))
    }

    /// Loads an unencrypted PKCS#8 DER key: ECDSA P-256, ECDSA P-384 or RSA (2048–8192 bits).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, CertError> {
        let rng = SystemRandom::new();
        let inner = if let Ok(k) =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, der, &rng)
        {
            Inner::EcdsaP256(k)
        } else if let Ok(k) =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, der, &rng)
        {
            Inner::EcdsaP384(k)
        } else {
            let k = RsaKeyPair::from_pkcs8(der).map_err(|e| {
                CertError::Key(format!(
                    "not an ECDSA P-256/P-384 or RSA PKCS#8 private key ({e})"
                ))
            })?;
            Inner::Rsa(k)
        };
        Ok(Self { inner, rng })
    }

    /// Loads a PEM key: `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1). Encrypted and
    /// SEC1 (`EC PRIVATE KEY`) files must be converted with `openssl pkcs8 -topk8 -nocrypt`.
    pub fn from_pem(pem_text: &str) -> Result<Self, CertError> {
        let (label, der) = pem::decode_vec(pem_text.as_bytes())
            .map_err(|e| CertError::Key(format!("not PEM: {e}")))?;
        match label {
            "PRIVATE KEY" => Self::from_pkcs8_der(&der),
            "RSA PRIVATE KEY" => Ok(Self {
                inner: Inner::Rsa(
                    RsaKeyPair::from_der(&der)
                        .map_err(|e| CertError::Key(format!("bad PKCS#1 RSA key ({e})")))?,
                ),
                rng: SystemRandom::new(),
            }),
            other => Err(CertError::Key(format!(
                "unsupported PEM label {other:?} (want PRIVATE KEY or RSA PRIVATE KEY)"
            ))),
        }
    }

    /// The public key as a `SubjectPublicKeyInfo`.
    pub fn public_key_info(&self) -> Result<SubjectPublicKeyInfoOwned, CertError> {
        let (oid, parameters, key): (_, Any, &[u8]) = match &self.inner {
            Inner::EcdsaP256(k) => (
                ID_EC_PUBLIC_KEY,
                Any::encode_from(&SECP256R1)?,
                k.public_key().as_ref(),
            ),
            Inner::EcdsaP384(k) => (
                ID_EC_PUBLIC_KEY,
                Any::encode_from(&SECP384R1)?,
                k.public_key().as_ref(),
            ),
            Inner::Rsa(k) => (RSA_ENCRYPTION, Any::null(), k.public_key().as_ref()),
        };
        Ok(SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid,
                parameters: Some(parameters),
            },
            subject_public_key: BitString::from_bytes(key)?,
        })
    }

    /// The signature algorithm this key produces, as written in certificates (parameters
    /// absent for ECDSA, NULL for RSA, as RFC 5758 and RFC 4055 require).
    pub fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        match self.inner {
            Inner::EcdsaP256(_) => AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA256,
                parameters: None,
            },
            Inner::EcdsaP384(_) => AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA384,
                parameters: None,
            },
            Inner::Rsa(_) => AlgorithmIdentifierOwned {
                oid: SHA256_WITH_RSA,
                parameters: Some(Any::null()),
            },
        }
    }

    /// Signs `message` (a DER TBSCertificate) with [`CaKey::signature_algorithm`].
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CertError> {
        match &self.inner {
            Inner::EcdsaP256(k) | Inner::EcdsaP384(k) => k
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| CertError::Signing),
            Inner::Rsa(k) => {
                let mut sig = vec![0u8; k.public().modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &self.rng, message, &mut sig)
                    .map_err(|_| CertError::Signing)?;
                Ok(sig)
            }
        }
    }

    /// Signs a probe message and verifies it with the public key: run once when a CA is
    /// assembled, so a key that cannot produce verifiable signatures is refused up front.
    pub(crate) fn self_test(&self) -> Result<(), CertError> {
        let probe = b"sigstack CA key self-test";
        let sig = self.sign(probe)?;
        verify_signature(
            &self.public_key_info()?,
            &self.signature_algorithm(),
            probe,
            &sig,
        )
        .map_err(|_| CertError::Key("signatures by this key do not verify".into()))
    }
}

/// Verifies `sig` over `message` by the key `spki`, for the CA signature algorithms above.
pub fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    sig: &[u8],
) -> Result<(), CertError> {
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    let alg: &dyn signature::VerificationAlgorithm =
        match (spki.algorithm.oid, curve, algorithm.oid) {
            (ID_EC_PUBLIC_KEY, Some(SECP256R1), ECDSA_WITH_SHA256) => {
                &signature::ECDSA_P256_SHA256_ASN1
            }
            (ID_EC_PUBLIC_KEY, Some(SECP384R1), ECDSA_WITH_SHA384) => {
                &signature::ECDSA_P384_SHA384_ASN1
            }
            (RSA_ENCRYPTION, _, SHA256_WITH_RSA) => &signature::RSA_PKCS1_2048_8192_SHA256,
            _ => {
                return Err(CertError::CaCertificate(
                    "unsupported signature algorithm".into(),
                ))
            }
        };
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| CertError::CaCertificate("public key has unused bits".into()))?;
    signature::UnparsedPublicKey::new(alg, key)
        .verify(message, sig)
        .map_err(|_| CertError::CaCertificate("signature does not verify".into()))
}

/// Serialises `der` as PEM with `label` and LF line endings.
pub(crate) fn to_pem(label: &str, der: &[u8]) -> Result<String, CertError> {
    pem::encode_string(label, pem::LineEnding::LF, der).map_err(|e| CertError::Der(e.into()))
}

/// Checks that `spki` is a key type a Fulcio leaf may certify: ECDSA P-256/P-384/
/// P-521, Ed25519 or RSA. (Key strength, e.g. RSA ≥ 2048 bits, is the proof-of-possession
/// step's job.)
pub(crate) fn check_leaf_key(spki: &SubjectPublicKeyInfoOwned) -> Result<(), CertError> {
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    match (spki.algorithm.oid, curve) {
        (ID_EC_PUBLIC_KEY, Some(SECP256R1 | SECP384R1 | SECP521R1)) | (RSA_ENCRYPTION, _) => Ok(()),
        (ID_ED25519, _) if spki.algorithm.parameters.is_none() => Ok(()),
        _ => Err(CertError::InvalidRequest(
            "unsupported public key type (want ECDSA P-256/P-384/P-521, Ed25519 or RSA)".into(),
        )),
    }
}
