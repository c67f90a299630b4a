//! The TSA's own certificate chain: a self-signed root and the timestamping leaf.
//!
//! Why its own root rather than the CA's: a TSA key and a code-signing CA are trusted for
//! different things and rotate on different schedules; sigstore's public TSA does the same
//! (`CN=sigstore-tsa-selfsigned` over `CN=sigstore-tsa`). The chain is what clients pin
//! (`--timestamp-certificate-chain`, `timestampAuthorities` in trusted_root.json).
//!
//! Leaf profile (what cosign, sigstore-go, OpenSSL and timestamp-authority's own start-up
//! check require): not a CA, KeyUsage digitalSignature, ExtendedKeyUsage exactly
//! [timeStamping] and **critical**.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use der::asn1::{BitString, OctetString, SetOfVec, Utf8StringRef};
use der::oid::db::rfc5280::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_BASIC_CONSTRAINTS, ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE,
    ID_CE_SUBJECT_KEY_IDENTIFIER, ID_KP_TIME_STAMPING,
};
use der::oid::ObjectIdentifier;
use der::{Any, Decode as _, Encode};
use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY};
use ring::rand::{SecureRandom as _, SystemRandom};
use sigstack_merkle::signature::{EcdsaP256Signer, Signer as _};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

use crate::TsaError;

/// ecdsa-with-SHA256.
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ID_AT_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const ID_AT_ORGANIZATION_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");

/// How long the root `init` makes is valid.
pub const ROOT_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
/// How long the leaf is valid: inside the root's life.
pub const LEAF_LIFETIME: Duration = Duration::from_secs(9 * 365 * 24 * 3600);

/// A new chain: both keys (PKCS#8 DER) and the certificates.
#[derive(Debug)]
pub struct NewChain {
    /// The root key (needed again only to certify a new leaf; keep it offline).
    pub root_key_pkcs8: Vec<u8>,
    /// The leaf (signing) key.
    pub leaf_key_pkcs8: Vec<u8>,
    /// `[leaf, root]` in DER.
    pub chain_der: Vec<Vec<u8>>,
}

/// Makes a P-256 root `O={organization}, CN={common_name}-root` and a timestamping leaf
/// `O={organization}, CN={common_name}`, valid from `not_before`.
pub fn create(
    organization: &str,
    common_name: &str,
    not_before: SystemTime,
) -> Result<NewChain, TsaError> {
    let material =
        |e: sigstack_merkle::signature::SignatureError| TsaError::Material(e.to_string());
    let root_key_pkcs8 = EcdsaP256Signer::generate_pkcs8_der().map_err(material)?;
    let leaf_key_pkcs8 = EcdsaP256Signer::generate_pkcs8_der().map_err(material)?;
    let root_key = EcdsaP256Signer::from_pkcs8_der(&root_key_pkcs8).map_err(material)?;
    let leaf_key = EcdsaP256Signer::from_pkcs8_der(&leaf_key_pkcs8).map_err(material)?;
    let rng = SystemRandom::new();

    let root_name = name(organization, &format!("{common_name}-root"))?;
    let root_spki = SubjectPublicKeyInfoOwned::from_der(root_key.public_key_spki_der())?;
    let root_ski = key_identifier(&root_spki);
    let root_exts = vec![
        extension(
            ID_CE_KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
        )?,
        extension(
            ID_CE_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: Some(0),
            },
        )?,
        extension(
            ID_CE_SUBJECT_KEY_IDENTIFIER,
            false,
            &SubjectKeyIdentifier(OctetString::new(root_ski.clone())?),
        )?,
    ];
    let root = sign(
        tbs(
            &rng,
            root_name.clone(),
            root_name.clone(),
            root_spki,
            not_before,
            ROOT_LIFETIME,
            root_exts,
        )?,
        &root_key,
    )?;

    let leaf_spki = SubjectPublicKeyInfoOwned::from_der(leaf_key.public_key_spki_der())?;
    let leaf_ski = key_identifier(&leaf_spki);
    let leaf_exts = vec![
        extension(
            ID_CE_KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::DigitalSignature.into()),
        )?,
        extension(
            ID_CE_EXT_KEY_USAGE,
            true,
            &ExtendedKeyUsage(vec![ID_KP_TIME_STAMPING]),
        )?,
        extension(
            ID_CE_SUBJECT_KEY_IDENTIFIER,
            false,
            &SubjectKeyIdentifier(OctetString::new(leaf_ski)?),
        )?,
        extension(
            ID_CE_AUTHORITY_KEY_IDENTIFIER,
            false,
            &AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(root_ski)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
        )?,
    ];
    let leaf = sign(
        tbs(
            &rng,
            root_name,
            name(organization, common_name)?,
            leaf_spki,
            not_before,
            LEAF_LIFETIME,
            leaf_exts,
        )?,
        &root_key,
    )?;
    Ok(NewChain {
        root_key_pkcs8,
        leaf_key_pkcs8,
        chain_der: vec![leaf, root],
    })
}

/// Checks that `leaf` can sign timestamps: not a CA, EKU critical and exactly
/// [timeStamping]. The reference TSA refuses to start otherwise, and clients refuse its
/// tokens.
pub fn check_leaf(leaf: &Certificate) -> Result<(), TsaError> {
    let exts = leaf
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap_or_default();
    let eku = exts
        .iter()
        .find(|e| e.extn_id == ID_CE_EXT_KEY_USAGE)
        .ok_or_else(|| TsaError::Material("the leaf has no ExtendedKeyUsage".into()))?;
    if !eku.critical {
        return Err(TsaError::Material(
            "the leaf's ExtendedKeyUsage is not critical".into(),
        ));
    }
    let purposes = ExtendedKeyUsage::from_der(eku.extn_value.as_bytes())?;
    if purposes.0 != [ID_KP_TIME_STAMPING] {
        return Err(TsaError::Material(
            "the leaf's ExtendedKeyUsage is not exactly [timeStamping]".into(),
        ));
    }
    if let Some(bc) = exts.iter().find(|e| e.extn_id == ID_CE_BASIC_CONSTRAINTS) {
        if BasicConstraints::from_der(bc.extn_value.as_bytes())?.ca {
            return Err(TsaError::Material("the leaf is a CA certificate".into()));
        }
    }
    Ok(())
}

fn name(organization: &str, common_name: &str) -> Result<Name, TsaError> {
    let rdn = |oid, value: &str| -> Result<RelativeDistinguishedName, TsaError> {
        let atv = AttributeTypeAndValue {
            oid,
            value: Any::encode_from(&Utf8StringRef::new(value)?)?,
        };
        Ok(RelativeDistinguishedName(SetOfVec::try_from(vec![atv])?))
    };
    Ok(RdnSequence(vec![
        rdn(ID_AT_ORGANIZATION_NAME, organization)?,
        rdn(ID_AT_COMMON_NAME, common_name)?,
    ]))
}

fn tbs(
    rng: &SystemRandom,
    issuer: Name,
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
    not_before: SystemTime,
    lifetime: Duration,
    extensions: Vec<Extension>,
) -> Result<TbsCertificate, TsaError> {
    let start = not_before
        .duration_since(UNIX_EPOCH)
        .map_err(|_| TsaError::Material("clock before 1970".into()))?;
    let start = Duration::from_secs(start.as_secs());
    Ok(TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&positive_random::<20>(rng)?)?,
        signature: ecdsa_sha256(),
        issuer,
        validity: Validity {
            not_before: Time::UtcTime(der::asn1::UtcTime::from_unix_duration(start)?),
            not_after: Time::UtcTime(der::asn1::UtcTime::from_unix_duration(start + lifetime)?),
        },
        subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    })
}

fn sign(tbs: TbsCertificate, key: &EcdsaP256Signer) -> Result<Vec<u8>, TsaError> {
    let signature = key
        .sign(&tbs.to_der()?)
        .map_err(|e| TsaError::Material(e.to_string()))?;
    Ok(Certificate {
        signature_algorithm: tbs.signature.clone(),
        tbs_certificate: tbs,
        signature: BitString::from_bytes(&signature)?,
    }
    .to_der()?)
}

/// `ecdsa-with-SHA256` with absent parameters (RFC 5758).
pub fn ecdsa_sha256() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ECDSA_WITH_SHA256,
        parameters: None,
    }
}

/// N random bytes read as a positive, minimally encoded DER INTEGER: the top bit cleared
/// (positive) and the next one set (so no leading zero byte can be needed or dropped).
pub fn positive_random<const N: usize>(rng: &SystemRandom) -> Result<[u8; N], TsaError> {
    let mut bytes = [0u8; N];
    rng.fill(&mut bytes)
        .map_err(|_| TsaError::Internal("the system random source failed".into()))?;
    if let Some(first) = bytes.first_mut() {
        *first = (*first & 0x7f) | 0x40;
    }
    Ok(bytes)
}

/// RFC 5280 §4.2.1.2 method 1: SHA-1 of the public key bits.
fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    digest(
        &SHA1_FOR_LEGACY_USE_ONLY,
        spki.subject_public_key.raw_bytes(),
    )
    .as_ref()
    .to_vec()
}

fn extension(
    oid: ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension, TsaError> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}
