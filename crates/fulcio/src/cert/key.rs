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

    /// Loads an unencrypted PEM key: `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1).
    /// SEC1 (`EC PRIVATE KEY`) files must be converted with `openssl pkcs8 -topk8 -nocrypt`;
    /// an `ENCRYPTED PRIVATE KEY` is refused with [`CertError::KeyPasswordRequired`] (see
    /// [`CaKey::from_pem_with_password`]).
    pub fn from_pem(pem_text: &str) -> Result<Self, CertError> {
        Self::from_pem_with_password(pem_text, None)
    }

    /// Like [`CaKey::from_pem`], and also reads an `ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2:
    /// PBKDF2-HMAC-SHA256 or scrypt, AES-CBC — what `openssl genpkey -aes-256-cbc` and
    /// `openssl pkcs8 -topk8 -v2 aes-256-cbc` write) with `password`. The password is ignored
    /// for an unencrypted key.
    ///
    /// An encrypted key without a password is [`CertError::KeyPasswordRequired`]; one that
    /// does not decrypt to a PKCS#8 key with the password is [`CertError::KeyPassword`].
    pub fn from_pem_with_password(
        pem_text: &str,
        password: Option<&[u8]>,
    ) -> Result<Self, CertError> {
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
            ENCRYPTED_LABEL => {
                let password = password.ok_or(CertError::KeyPasswordRequired)?;
                Self::from_pkcs8_der(decrypt_pkcs8(&der, password)?.as_bytes())
            }
            other => Err(CertError::Key(format!(
                "unsupported PEM label {other:?} (want PRIVATE KEY, ENCRYPTED PRIVATE KEY or \
                 RSA PRIVATE KEY)"
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

/// The PEM label of an encrypted PKCS#8 key (RFC 5958 `EncryptedPrivateKeyInfo`).
const ENCRYPTED_LABEL: &str = "ENCRYPTED PRIVATE KEY";

/// scrypt cost for [`encrypt_pkcs8_pem`]: N = 2^14, r = 8, p = 1, OpenSSL's own default
/// (`openssl pkcs8 -topk8 -scrypt`). N = 2^15 would need more than the 32 MiB OpenSSL allows
/// by default, and OpenSSL could then not read the key.
const SCRYPT_LOG_N: u8 = 14;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;

/// Encrypts an unencrypted PKCS#8 DER key (as [`CaKey::generate`] returns it) with
/// `password` and returns it as `ENCRYPTED PRIVATE KEY` PEM: PBES2 with scrypt (see above)
/// and AES-256-CBC, salt and IV fresh from the system RNG. [`CaKey::from_pem_with_password`]
/// and OpenSSL read it.
pub fn encrypt_pkcs8_pem(pkcs8_der: &[u8], password: &[u8]) -> Result<String, CertError> {
    use pkcs8::pkcs5::{pbes2, scrypt};
    use ring::rand::SecureRandom as _;

    // Only a key we can load is worth encrypting.
    CaKey::from_pkcs8_der(pkcs8_der)?;
    let rng = SystemRandom::new();
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rng.fill(&mut salt)
        .and_then(|()| rng.fill(&mut iv))
        .map_err(|_| CertError::Key("no randomness for the key encryption".into()))?;
    let kdf = scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, 32)
        .map_err(|_| CertError::Key("bad scrypt parameters".into()))?;
    let params = pbes2::Parameters::scrypt_aes256cbc(kdf, &salt, &iv)
        .map_err(|e| CertError::Key(format!("key encryption parameters: {e}")))?;
    encrypt_with(&params, pkcs8_der, password)
}

/// Encrypts `pkcs8_der` with `params` into `ENCRYPTED PRIVATE KEY` PEM.
fn encrypt_with(
    params: &pkcs8::pkcs5::pbes2::Parameters<'_>,
    pkcs8_der: &[u8],
    password: &[u8],
) -> Result<String, CertError> {
    use pkcs8::der::Encode as _;

    let encrypted = params
        .encrypt(password, pkcs8_der)
        .map_err(|e| CertError::Key(format!("key encryption failed: {e}")))?;
    let der = pkcs8::EncryptedPrivateKeyInfo {
        encryption_algorithm: params.clone().into(),
        encrypted_data: &encrypted,
    }
    .to_der()
    .map_err(|e| CertError::Key(format!("encoding the encrypted key: {e}")))?;
    to_pem(ENCRYPTED_LABEL, &der)
}

/// Decrypts an `EncryptedPrivateKeyInfo` (DER) to the PKCS#8 DER inside it.
fn decrypt_pkcs8(der: &[u8], password: &[u8]) -> Result<pkcs8::SecretDocument, CertError> {
    use pkcs8::der::Decode as _;
    use pkcs8::pkcs5::Error as Pkcs5Error;

    let info = pkcs8::EncryptedPrivateKeyInfo::from_der(der)
        .map_err(|e| CertError::Key(format!("bad encrypted PKCS#8 key ({e})")))?;
    match info.decrypt(password) {
        Ok(doc) => Ok(doc),
        Err(pkcs8::Error::EncryptedPrivateKey(
            e @ (Pkcs5Error::UnsupportedAlgorithm { .. }
            | Pkcs5Error::AlgorithmParametersInvalid { .. }
            | Pkcs5Error::NoPbes1CryptSupport),
        )) => Err(CertError::Key(format!(
            "unsupported key encryption ({e}); re-encrypt it with `openssl pkcs8 -topk8 -v2 \
             aes-256-cbc`"
        ))),
        // A bad padding, or (one time in about 256) a good padding around bytes that are
        // not DER: either way the password does not open this key.
        Err(_) => Err(CertError::KeyPassword),
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::process::Command;

    use super::*;

    const PASSWORD: &str = "correct horse battery staple";

    fn spki(key: &CaKey) -> SubjectPublicKeyInfoOwned {
        key.public_key_info().unwrap()
    }

    /// Runs `openssl` (on every sigstack machine) and returns its stdout.
    fn openssl(args: &[&str], stdin: Option<&str>) -> String {
        use std::io::Write as _;
        let mut child = Command::new("openssl")
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the openssl command");
        let mut input = child.stdin.take().unwrap();
        input
            .write_all(stdin.unwrap_or_default().as_bytes())
            .unwrap();
        drop(input);
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn encrypted_keys_round_trip() {
        for algorithm in [CaKeyAlgorithm::EcdsaP256, CaKeyAlgorithm::EcdsaP384] {
            let (key, der) = CaKey::generate(algorithm).unwrap();
            let pem_text = encrypt_pkcs8_pem(&der, PASSWORD.as_bytes()).unwrap();
            assert!(pem_text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
            let loaded =
                CaKey::from_pem_with_password(&pem_text, Some(PASSWORD.as_bytes())).unwrap();
            assert_eq!(spki(&loaded), spki(&key));
            loaded.self_test().unwrap();
            // Fresh salt and IV every time.
            assert_ne!(
                encrypt_pkcs8_pem(&der, PASSWORD.as_bytes()).unwrap(),
                pem_text
            );
        }
        // Only loadable keys are encrypted.
        assert!(encrypt_pkcs8_pem(b"not a key", PASSWORD.as_bytes()).is_err());
    }

    #[test]
    fn password_required_or_wrong_is_a_typed_error() {
        let (_, der) = CaKey::generate(CaKeyAlgorithm::EcdsaP256).unwrap();
        let pem_text = encrypt_pkcs8_pem(&der, PASSWORD.as_bytes()).unwrap();
        assert!(matches!(
            CaKey::from_pem(&pem_text),
            Err(CertError::KeyPasswordRequired)
        ));
        for wrong in [
            "",
            "Correct horse battery staple",
            "correct horse battery stapl",
        ] {
            assert!(
                matches!(
                    CaKey::from_pem_with_password(&pem_text, Some(wrong.as_bytes())),
                    Err(CertError::KeyPassword)
                ),
                "{wrong:?}"
            );
        }
        // A password does no harm to an unencrypted key.
        let plain = to_pem("PRIVATE KEY", &der).unwrap();
        assert!(CaKey::from_pem_with_password(&plain, Some(b"unused")).is_ok());
    }

    #[test]
    fn damaged_encrypted_keys_are_errors() {
        // scrypt takes about a second per try in a debug build, so the exhaustive loops use
        // PBES2 with a single PBKDF2-SHA256 round (same format, same decryption path).
        let (_, der) = CaKey::generate(CaKeyAlgorithm::EcdsaP256).unwrap();
        let params =
            pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(1, &[7; 16], &[9; 16])
                .unwrap();
        let pem_text = encrypt_with(&params, &der, PASSWORD.as_bytes()).unwrap();
        assert!(CaKey::from_pem_with_password(&pem_text, Some(PASSWORD.as_bytes())).is_ok());
        let password = Some(PASSWORD.as_bytes());
        let (_, encrypted) = pem::decode_vec(pem_text.as_bytes()).unwrap();
        // Every truncation of the DER is an error; no flipped byte panics. (AES-CBC carries
        // no MAC: a flip in the IV changes the first plaintext block and may still leave a
        // loadable key, so only the absence of a panic is checked there.)
        for len in 0..encrypted.len() {
            let cut = to_pem(ENCRYPTED_LABEL, &encrypted[..len]).unwrap();
            assert!(
                CaKey::from_pem_with_password(&cut, password).is_err(),
                "{len}"
            );
        }
        let mut failed = 0;
        for i in 0..encrypted.len() {
            let mut bad = encrypted.clone();
            bad[i] ^= 0x01;
            let bad = to_pem(ENCRYPTED_LABEL, &bad).unwrap();
            failed += usize::from(CaKey::from_pem_with_password(&bad, password).is_err());
        }
        assert!(failed > encrypted.len() / 2, "{failed}");
        // Truncated PEM text and a garbled body.
        let lines: Vec<&str> = pem_text.lines().collect();
        let half = lines[..lines.len() / 2].join("\n");
        assert!(CaKey::from_pem_with_password(&half, password).is_err());
        let garbled = pem_text.replacen('A', "*", 1).replacen('M', "!", 1);
        assert!(CaKey::from_pem_with_password(&garbled, password).is_err());
        let empty = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(CaKey::from_pem_with_password(empty, password).is_err());
    }

    #[test]
    fn openssl_encrypted_keys_load() {
        // What `openssl genpkey -aes-256-cbc` writes: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC.
        let pass = format!("pass:{PASSWORD}");
        let pbkdf2 = openssl(
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-aes-256-cbc",
                "-pass",
                &pass,
            ],
            None,
        );
        assert!(pbkdf2.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        let key = CaKey::from_pem_with_password(&pbkdf2, Some(PASSWORD.as_bytes())).unwrap();
        key.self_test().unwrap();
        // The same key, decrypted by OpenSSL, has the same public key.
        let plain = openssl(&["pkcs8", "-passin", &pass], Some(&pbkdf2));
        assert_eq!(spki(&CaKey::from_pem(&plain).unwrap()), spki(&key));
        assert!(matches!(
            CaKey::from_pem_with_password(&pbkdf2, Some(b"wrong")),
            Err(CertError::KeyPassword)
        ));
        // `openssl pkcs8 -topk8 -v2 aes-256-cbc -scrypt`: PBES2 with scrypt, a P-384 key.
        let p384 = openssl(
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
            ],
            None,
        );
        let scrypt = openssl(
            &[
                "pkcs8",
                "-topk8",
                "-v2",
                "aes-256-cbc",
                "-scrypt",
                "-passout",
                &pass,
            ],
            Some(&p384),
        );
        let key = CaKey::from_pem_with_password(&scrypt, Some(PASSWORD.as_bytes())).unwrap();
        assert_eq!(spki(&key), spki(&CaKey::from_pem(&p384).unwrap()));
    }

    #[test]
    fn openssl_reads_our_encrypted_keys() {
        let (key, der) = CaKey::generate(CaKeyAlgorithm::EcdsaP256).unwrap();
        let pem_text = encrypt_pkcs8_pem(&der, PASSWORD.as_bytes()).unwrap();
        let pass = format!("pass:{PASSWORD}");
        let plain = openssl(&["pkcs8", "-passin", &pass], Some(&pem_text));
        assert_eq!(spki(&CaKey::from_pem(&plain).unwrap()), spki(&key));
    }
}
