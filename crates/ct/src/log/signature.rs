//! X.509 signature checks for chain validation: "is this certificate signed by that key".
//!
//! Only the algorithms a Sigstore CA uses (ECDSA P-256/P-384, RSA PKCS#1 v1.5, Ed25519) are
//! accepted; anything else is refused by name rather than skipped, so a chain the log accepts
//! is one every verifier can check.

use ring::signature::{self, VerificationAlgorithm};
use x509_cert::der::Encode;
use x509_cert::spki::ObjectIdentifier;
use x509_cert::Certificate;

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");

/// Why a signature check failed: the certificate cannot be checked at all (unsupported
/// algorithm, malformed key), or it was checked and is not signed by that key.
#[derive(Debug)]
pub(crate) enum SignatureError {
    /// The certificate or issuer key is unusable; the reason names what.
    Unsupported(String),
    /// The signature does not verify.
    Invalid,
}

/// Checks that `cert` carries a valid signature by the key of `issuer`.
pub(crate) fn verify_signed_by(
    cert: &Certificate,
    issuer: &Certificate,
) -> Result<(), SignatureError> {
    if cert.signature_algorithm != cert.tbs_certificate.signature {
        return Err(SignatureError::Unsupported(
            "the outer and inner signature algorithms differ".to_owned(),
        ));
    }
    let spki = &issuer.tbs_certificate.subject_public_key_info;
    let key_kind = if spki.algorithm.oid == ID_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        match curve {
            Some(c) if c == SECP256R1 => KeyKind::P256,
            Some(c) if c == SECP384R1 => KeyKind::P384,
            _ => return Err(unsupported("issuer EC key is not on P-256 or P-384")),
        }
    } else if spki.algorithm.oid == RSA_ENCRYPTION {
        KeyKind::Rsa
    } else if spki.algorithm.oid == ID_ED25519 {
        KeyKind::Ed25519
    } else {
        return Err(unsupported("issuer key is not ECDSA, RSA or Ed25519"));
    };
    let algorithm = algorithm_for(key_kind, &cert.signature_algorithm.oid)?;
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| unsupported("issuer public key BIT STRING has unused bits"))?;
    let sig = cert
        .signature
        .as_bytes()
        .ok_or_else(|| unsupported("signature BIT STRING has unused bits"))?;
    // The DER decoder accepts only canonical DER, so re-encoding gives the signed bytes.
    let tbs = cert
        .tbs_certificate
        .to_der()
        .map_err(|e| SignatureError::Unsupported(format!("TBS does not re-encode: {e}")))?;
    signature::UnparsedPublicKey::new(algorithm, key)
        .verify(&tbs, sig)
        .map_err(|_| SignatureError::Invalid)
}

#[derive(Clone, Copy)]
enum KeyKind {
    P256,
    P384,
    Rsa,
    Ed25519,
}

fn algorithm_for(
    key: KeyKind,
    oid: &ObjectIdentifier,
) -> Result<&'static dyn VerificationAlgorithm, SignatureError> {
    let alg: &'static dyn VerificationAlgorithm = match key {
        KeyKind::P256 if *oid == ECDSA_WITH_SHA256 => &signature::ECDSA_P256_SHA256_ASN1,
        KeyKind::P256 if *oid == ECDSA_WITH_SHA384 => &signature::ECDSA_P256_SHA384_ASN1,
        KeyKind::P384 if *oid == ECDSA_WITH_SHA256 => &signature::ECDSA_P384_SHA256_ASN1,
        KeyKind::P384 if *oid == ECDSA_WITH_SHA384 => &signature::ECDSA_P384_SHA384_ASN1,
        KeyKind::Rsa if *oid == SHA256_WITH_RSA => &signature::RSA_PKCS1_2048_8192_SHA256,
        KeyKind::Rsa if *oid == SHA384_WITH_RSA => &signature::RSA_PKCS1_2048_8192_SHA384,
        KeyKind::Rsa if *oid == SHA512_WITH_RSA => &signature::RSA_PKCS1_2048_8192_SHA512,
        KeyKind::Ed25519 if *oid == ID_ED25519 => &signature::ED25519,
        _ => {
            return Err(SignatureError::Unsupported(format!(
                "signature algorithm {oid} is not supported for the issuer's key"
            )))
        }
    };
    Ok(alg)
}

fn unsupported(reason: &str) -> SignatureError {
    SignatureError::Unsupported(reason.to_owned())
}
