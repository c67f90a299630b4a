//! The certificate authority: a root, an optional intermediate, the issuing key, and issuance.
//!
//! The CA keeps no state of its own: serials are random, and the only record of an issued
//! certificate is its precertificate in the CT log. Issuance is two calls around the CT log
//! round trip, so the (async, durable) log step stays outside this pure code:
//! [`CertificateAuthority::precertificate`] → log returns an SCT →
//! [`CertificateAuthority::certificate`].

use std::time::{Duration, SystemTime};

use ring::digest::{digest, SHA256};
use ring::rand::SystemRandom;
use sigstack_ct::SignedCertificateTimestamp;
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::der::asn1::{OctetString, SetOfVec, Utf8StringRef};
use x509_cert::der::oid::db::rfc5280::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_BASIC_CONSTRAINTS, ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE,
    ID_CE_SUBJECT_KEY_IDENTIFIER, ID_KP_CODE_SIGNING,
};
use x509_cert::der::{Any, Decode, Encode};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::spki::ObjectIdentifier;
use x509_cert::{Certificate, TbsCertificate, Version};

use super::key::{to_pem, verify_signature};
use super::leaf::{
    der_extension, final_certificate, key_identifier, precertificate, random_serial, sign_tbs,
    validity, CertificateProfile, Issuer, Precertificate,
};
use super::{CaKey, CertError};

const ID_AT_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const ID_AT_ORGANIZATION_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");

/// Names and lifetime of a CA created from keys (by `sigstack init` or for tests).
#[derive(Clone, Debug)]
pub struct CaSpec {
    /// `O=` of both certificates.
    pub organization: String,
    /// `CN=` of the root; the intermediate gets `CN={common_name}-intermediate`.
    pub common_name: String,
    /// Lifetime of the root and intermediate certificates from `now`.
    pub lifetime: Duration,
}

/// The CA certificates and the key of the issuing one.
pub struct CertificateAuthority {
    key: CaKey,
    /// Issuing certificate first, root last.
    chain: Vec<Vec<u8>>,
    issuer: Certificate,
    key_identifier: Vec<u8>,
    key_hash: [u8; 32],
    rng: SystemRandom,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field("chain_len", &self.chain.len())
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A final certificate and the chain that goes with it.
#[derive(Clone, Debug)]
pub struct IssuedCertificate {
    /// The final leaf's DER.
    pub der: Vec<u8>,
    /// Issuing CA first, root last (the leaf not included).
    pub chain: Vec<Vec<u8>>,
}

impl IssuedCertificate {
    /// The PEM chain `[leaf, intermediates…, root]`, as `POST /api/v1/signingCert` returns it.
    pub fn pem_chain(&self) -> Result<String, CertError> {
        pem_chain(std::iter::once(&self.der).chain(&self.chain))
    }
}

impl CertificateAuthority {
    /// Creates a self-signed root for `root_key` and, if `intermediate_key` is given, an
    /// intermediate for it that becomes the issuing CA. Both are valid from `now` for
    /// `spec.lifetime`.
    pub fn create(
        spec: &CaSpec,
        root_key: CaKey,
        intermediate_key: Option<CaKey>,
        now: SystemTime,
    ) -> Result<Self, CertError> {
        let rng = SystemRandom::new();
        let root_name = ca_name(&spec.organization, &spec.common_name)?;
        let root_spki = root_key.public_key_info()?;
        let root_ski = key_identifier(&root_spki);
        let root_tbs = TbsCertificate {
            version: Version::V3,
            serial_number: random_serial(&rng)?,
            signature: root_key.signature_algorithm(),
            issuer: root_name.clone(),
            validity: validity(now, spec.lifetime)?,
            subject: root_name.clone(),
            subject_public_key_info: root_spki,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(ca_extensions(&root_ski, None, Some(1), false)?),
        };
        let (_, root_der) = sign_tbs(root_tbs, &root_key)?;

        let Some(key) = intermediate_key else {
            return Self::from_parts(root_key, vec![root_der]);
        };
        let spki = key.public_key_info()?;
        let ski = key_identifier(&spki);
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: random_serial(&rng)?,
            signature: root_key.signature_algorithm(),
            issuer: root_name,
            validity: validity(now, spec.lifetime)?,
            subject: ca_name(
                &spec.organization,
                &format!("{}-intermediate", spec.common_name),
            )?,
            subject_public_key_info: spki,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(ca_extensions(&ski, Some(&root_ski), Some(0), true)?),
        };
        let (_, der) = sign_tbs(tbs, &root_key)?;
        Self::from_parts(key, vec![der, root_der])
    }

    /// An in-memory CA for tests and throwaway deployments: a fresh ECDSA P-256 root, issuing
    /// directly (like Fulcio's ephemeral CA).
    pub fn ephemeral(now: SystemTime) -> Result<Self, CertError> {
        let (key, _) = CaKey::generate(super::CaKeyAlgorithm::EcdsaP256)?;
        let spec = CaSpec {
            organization: "sigstack".into(),
            common_name: "sigstack-ephemeral".into(),
            lifetime: Duration::from_secs(10 * 365 * 24 * 3600),
        };
        Self::create(&spec, key, None, now)
    }

    /// Loads a CA from its PEM chain (issuing certificate first, root last) and the issuing
    /// certificate's private key in PEM (unencrypted; see [`CaKey::from_pem`]).
    pub fn from_pem(chain_pem: &str, key_pem: &str) -> Result<Self, CertError> {
        Self::from_pem_with_password(chain_pem, key_pem, None)
    }

    /// Like [`CertificateAuthority::from_pem`], with the password for an encrypted key (see
    /// [`CaKey::from_pem_with_password`]).
    pub fn from_pem_with_password(
        chain_pem: &str,
        key_pem: &str,
        password: Option<&[u8]>,
    ) -> Result<Self, CertError> {
        // x509-cert 0.2.5's chain loader underflows (panics in debug builds) on empty input.
        if chain_pem.trim().is_empty() {
            return Err(CertError::CaCertificate("empty chain".into()));
        }
        let certs = Certificate::load_pem_chain(chain_pem.as_bytes())?;
        let chain = certs
            .iter()
            .map(Encode::to_der)
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_parts(CaKey::from_pem_with_password(key_pem, password)?, chain)
    }

    /// Checks the chain and the key, and derives what issuance needs from them.
    fn from_parts(key: CaKey, chain: Vec<Vec<u8>>) -> Result<Self, CertError> {
        let certs = chain
            .iter()
            .map(|der| Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()?;
        let (issuer, root) = match (certs.first(), certs.last()) {
            (Some(i), Some(r)) => (i.clone(), r),
            _ => return Err(CertError::CaCertificate("empty chain".into())),
        };
        if issuer.tbs_certificate.subject_public_key_info != key.public_key_info()? {
            return Err(CertError::CaCertificate(
                "private key does not match the issuing certificate".into(),
            ));
        }
        key.self_test()?;
        for (i, cert) in certs.iter().enumerate() {
            check_ca(cert)?;
            let parent = certs.get(i + 1).unwrap_or(root);
            if cert.tbs_certificate.issuer != parent.tbs_certificate.subject {
                return Err(CertError::CaCertificate(format!(
                    "certificate {i} is not issued by the next one in the chain"
                )));
            }
            let sig = cert
                .signature
                .as_bytes()
                .ok_or_else(|| CertError::CaCertificate("signature has unused bits".into()))?;
            verify_signature(
                &parent.tbs_certificate.subject_public_key_info,
                &cert.signature_algorithm,
                &cert.tbs_certificate.to_der()?,
                sig,
            )?;
        }
        let key_identifier = subject_key_identifier(&issuer)?;
        let spki = issuer.tbs_certificate.subject_public_key_info.to_der()?;
        let mut key_hash = [0u8; 32];
        key_hash.copy_from_slice(digest(&SHA256, &spki).as_ref());
        Ok(Self {
            key,
            chain,
            issuer,
            key_identifier,
            key_hash,
            rng: SystemRandom::new(),
        })
    }

    /// Builds and signs the precertificate (poison last) for `profile`, valid from `now` for
    /// ten minutes. Submit [`Precertificate::der`] with [`CertificateAuthority::chain_der`] to
    /// the CT log.
    pub fn precertificate(
        &self,
        profile: &CertificateProfile,
        now: SystemTime,
    ) -> Result<Precertificate, CertError> {
        let issuer = Issuer {
            subject: &self.issuer.tbs_certificate.subject,
            key_identifier: &self.key_identifier,
            key_hash: self.key_hash,
            key: &self.key,
        };
        let pre = precertificate(profile, &issuer, now, &self.rng)?;
        let ca_validity = &self.issuer.tbs_certificate.validity;
        let leaf_validity = validity(now, super::LEAF_VALIDITY)?;
        if leaf_validity.not_before.to_unix_duration() < ca_validity.not_before.to_unix_duration()
            || leaf_validity.not_after.to_unix_duration() > ca_validity.not_after.to_unix_duration()
        {
            return Err(CertError::CaCertificate(
                "the leaf would outlive (or predate) the issuing certificate".into(),
            ));
        }
        Ok(pre)
    }

    /// The final certificate: the precertificate with the poison replaced by `scts` (Sigstore
    /// clients want exactly one), signed again.
    pub fn certificate(
        &self,
        precert: Precertificate,
        scts: &[SignedCertificateTimestamp],
    ) -> Result<IssuedCertificate, CertError> {
        if precert.issuer_key_hash() != &self.key_hash {
            return Err(CertError::CaCertificate(
                "precertificate was issued by another CA".into(),
            ));
        }
        Ok(IssuedCertificate {
            der: final_certificate(precert, scts, &self.key)?,
            chain: self.chain.clone(),
        })
    }

    /// The CA chain in DER, issuing certificate first, root last.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The CA chain in PEM, issuing certificate first, root last.
    pub fn chain_pem(&self) -> Result<String, CertError> {
        pem_chain(&self.chain)
    }

    /// The issuing certificate's DER (the SCT issuer, whose key hash the precert entry holds).
    pub fn issuer_der(&self) -> &[u8] {
        self.chain.first().map(Vec::as_slice).unwrap_or_default()
    }

    /// The root certificate's DER.
    pub fn root_der(&self) -> &[u8] {
        self.chain.last().map(Vec::as_slice).unwrap_or_default()
    }
}

fn pem_chain<'a>(certs: impl IntoIterator<Item = &'a Vec<u8>>) -> Result<String, CertError> {
    certs
        .into_iter()
        .map(|der| to_pem("CERTIFICATE", der))
        .collect::<Result<String, _>>()
}

/// `O={organization}, CN={common_name}`, each a UTF8String in its own RDN.
fn ca_name(organization: &str, common_name: &str) -> Result<Name, CertError> {
    let rdn = |oid, value: &str| -> Result<RelativeDistinguishedName, CertError> {
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

/// CA extensions in Go's order: KU (critical certSign|cRLSign), EKU codeSigning (intermediate
/// only, for Go's EKU nesting check), BasicConstraints (critical CA:TRUE), SKI, AKI.
fn ca_extensions(
    ski: &[u8],
    aki: Option<&[u8]>,
    path_len: Option<u8>,
    code_signing: bool,
) -> Result<Vec<Extension>, CertError> {
    let mut exts = vec![der_extension(
        ID_CE_KEY_USAGE,
        true,
        &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
    )?];
    if code_signing {
        exts.push(der_extension(
            ID_CE_EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![ID_KP_CODE_SIGNING]),
        )?);
    }
    exts.push(der_extension(
        ID_CE_BASIC_CONSTRAINTS,
        true,
        &BasicConstraints {
            ca: true,
            path_len_constraint: path_len,
        },
    )?);
    exts.push(der_extension(
        ID_CE_SUBJECT_KEY_IDENTIFIER,
        false,
        &SubjectKeyIdentifier(OctetString::new(ski)?),
    )?);
    if let Some(aki) = aki {
        exts.push(der_extension(
            ID_CE_AUTHORITY_KEY_IDENTIFIER,
            false,
            &AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(aki)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
        )?);
    }
    Ok(exts)
}

fn find_extension<'a>(cert: &'a Certificate, oid: &ObjectIdentifier) -> Option<&'a Extension> {
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == *oid)
}

/// What clients demand of a CA certificate: critical BasicConstraints CA:TRUE (sigstore-python
/// checks criticality) and keyCertSign.
fn check_ca(cert: &Certificate) -> Result<(), CertError> {
    let bc = find_extension(cert, &ID_CE_BASIC_CONSTRAINTS)
        .ok_or_else(|| CertError::CaCertificate("no basicConstraints".into()))?;
    let parsed = BasicConstraints::from_der(bc.extn_value.as_bytes())?;
    if !bc.critical || !parsed.ca {
        return Err(CertError::CaCertificate(
            "basicConstraints must be critical CA:TRUE".into(),
        ));
    }
    let ku = find_extension(cert, &ID_CE_KEY_USAGE)
        .ok_or_else(|| CertError::CaCertificate("no keyUsage".into()))?;
    if !KeyUsage::from_der(ku.extn_value.as_bytes())?.key_cert_sign() {
        return Err(CertError::CaCertificate(
            "keyUsage lacks keyCertSign".into(),
        ));
    }
    Ok(())
}

/// The issuing certificate's SKI, which every leaf's AKI must repeat (sigstore-python requires
/// the AKI).
fn subject_key_identifier(cert: &Certificate) -> Result<Vec<u8>, CertError> {
    let ext = find_extension(cert, &ID_CE_SUBJECT_KEY_IDENTIFIER).ok_or_else(|| {
        CertError::CaCertificate("issuing certificate has no subjectKeyIdentifier".into())
    })?;
    Ok(SubjectKeyIdentifier::from_der(ext.extn_value.as_bytes())?
        .0
        .as_bytes()
        .to_vec())
}
