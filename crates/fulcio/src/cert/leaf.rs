//! The Fulcio code-signing leaf profile (spec §7.1) and its two signings: the precertificate
//! (with the CT poison) and the final certificate (with the SCT list in the poison's place).
//!
//! The final certificate is built from the precertificate's own `TbsCertificate` value with one
//! extension swapped, never rebuilt from the request: every other byte must match, because the
//! SCT signs the TBS and clients re-derive it from the final certificate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY};
use ring::rand::{SecureRandom, SystemRandom};
use sigstack_ct::{PrecertEntry, SignedCertificateTimestamp, CT_POISON_OID};
use x509_cert::der::asn1::{BitString, GeneralizedTime, OctetString, UtcTime};
use x509_cert::der::oid::db::rfc5280::{
    ID_CE_AUTHORITY_KEY_IDENTIFIER, ID_CE_EXT_KEY_USAGE, ID_CE_KEY_USAGE,
    ID_CE_SUBJECT_KEY_IDENTIFIER, ID_KP_CODE_SIGNING,
};
use x509_cert::der::{DateTime, Decode, Encode};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

use super::key::check_leaf_key;
use super::san::San;
use super::CertError;

/// Lifetime of every leaf: exactly ten minutes.
pub const LEAF_VALIDITY: Duration = Duration::from_secs(600);

/// What goes into one leaf besides what the CA decides (serial, validity, issuer, AKI).
#[derive(Clone, Debug)]
pub struct CertificateProfile {
    /// The requester's key, already checked by proof of possession.
    pub public_key: SubjectPublicKeyInfoOwned,
    /// The identity.
    pub san: San,
    /// The Fulcio extensions, in the order they are written (see
    /// [`super::extensions::fulcio_extensions`]).
    pub extensions: Vec<Extension>,
}

impl CertificateProfile {
    /// A profile from a DER `SubjectPublicKeyInfo`, a SAN and `(OID, value)` Fulcio extension
    /// values (encoded and ordered by [`super::extensions::fulcio_extensions`]).
    pub fn new(
        public_key_der: &[u8],
        san: San,
        extensions: &[(super::extensions::FulcioOid, &str)],
    ) -> Result<Self, CertError> {
        let public_key = SubjectPublicKeyInfoOwned::from_der(public_key_der).map_err(|_| {
            CertError::InvalidRequest("public key is not a DER SubjectPublicKeyInfo".into())
        })?;
        Ok(Self {
            public_key,
            san,
            extensions: super::extensions::fulcio_extensions(extensions)?,
        })
    }
}

/// A signed precertificate, and the TBS the final certificate will be derived from.
#[derive(Clone, Debug)]
pub struct Precertificate {
    tbs: TbsCertificate,
    der: Vec<u8>,
    issuer_key_hash: [u8; 32],
}

impl Precertificate {
    /// The precertificate's DER, first element of the `add-pre-chain` chain.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The RFC 6962 entry a CT log signs for this precertificate (computed locally, equal to
    /// what the log derives from [`Precertificate::der`]).
    pub fn ct_entry(&self) -> Result<PrecertEntry, CertError> {
        Ok(PrecertEntry::from_precert_tbs(
            &self.tbs,
            &self.issuer_key_hash,
        )?)
    }

    /// SHA-256 of the issuing CA's SubjectPublicKeyInfo (the precert entry's issuer key hash).
    pub fn issuer_key_hash(&self) -> &[u8; 32] {
        &self.issuer_key_hash
    }

    /// The serial number shared by precertificate and final certificate.
    pub fn serial_number(&self) -> &SerialNumber {
        &self.tbs.serial_number
    }
}

/// Who signs: the issuing CA's subject, SKI, key hash and signing function.
pub(crate) struct Issuer<'a> {
    pub(crate) subject: &'a Name,
    pub(crate) key_identifier: &'a [u8],
    pub(crate) key_hash: [u8; 32],
    pub(crate) key: &'a super::CaKey,
}

/// A random positive serial of at most 20 octets (160 random bits with the top bit cleared, as
/// Go's generator does), never zero.
pub(crate) fn random_serial(rng: &SystemRandom) -> Result<SerialNumber, CertError> {
    loop {
        let mut bytes = [0u8; 20];
        rng.fill(&mut bytes).map_err(|_| CertError::Signing)?;
        bytes[0] &= 0x7f;
        if bytes.iter().any(|b| *b != 0) {
            return Ok(SerialNumber::new(&bytes)?);
        }
    }
}

/// `now` truncated to whole seconds, and `now + lifetime`; UTCTime through 2049, then
/// GeneralizedTime (RFC 5280 §4.1.2.5).
pub(crate) fn validity(now: SystemTime, lifetime: Duration) -> Result<Validity, CertError> {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map_err(|_| CertError::Time(now))?
        .as_secs();
    Ok(Validity {
        not_before: x509_time(secs, now)?,
        not_after: x509_time(secs.saturating_add(lifetime.as_secs()), now)?,
    })
}

fn x509_time(unix_secs: u64, now: SystemTime) -> Result<Time, CertError> {
    let d = Duration::from_secs(unix_secs);
    let dt = DateTime::from_unix_duration(d).map_err(|_| CertError::Time(now))?;
    if dt.year() <= UtcTime::MAX_YEAR {
        Ok(Time::UtcTime(
            UtcTime::from_date_time(dt).map_err(|_| CertError::Time(now))?,
        ))
    } else {
        Ok(Time::GeneralTime(GeneralizedTime::from_date_time(dt)))
    }
}

/// SubjectKeyIdentifier by RFC 5280 §4.2.1.2 method 1 (SHA-1 of the subjectPublicKey BIT
/// STRING contents), which is what Go — and so Fulcio — computes.
pub(crate) fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    digest(
        &SHA1_FOR_LEGACY_USE_ONLY,
        spki.subject_public_key.raw_bytes(),
    )
    .as_ref()
    .to_vec()
}

/// An extension whose extnValue is the DER of `value`.
pub(crate) fn der_extension(
    oid: ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension, CertError> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

/// Signs `tbs` with the issuer key into a DER certificate. Signatures are not re-verified per
/// certificate (that would double the cost of issuance); the key proves itself once when the CA
/// is assembled (see `CertificateAuthority`'s load checks).
pub(crate) fn sign_tbs(
    tbs: TbsCertificate,
    key: &super::CaKey,
) -> Result<(TbsCertificate, Vec<u8>), CertError> {
    let tbs_der = tbs.to_der()?;
    let signature = key.sign(&tbs_der)?;
    let cert = Certificate {
        signature_algorithm: tbs.signature.clone(),
        tbs_certificate: tbs,
        signature: BitString::from_bytes(&signature)?,
    };
    let der = cert.to_der()?;
    Ok((cert.tbs_certificate, der))
}

/// Builds and signs the precertificate for `profile` at `now`.
pub(crate) fn precertificate(
    profile: &CertificateProfile,
    issuer: &Issuer<'_>,
    now: SystemTime,
    rng: &SystemRandom,
) -> Result<Precertificate, CertError> {
    check_leaf_key(&profile.public_key)?;
    let mut extensions = vec![
        der_extension(
            ID_CE_KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::DigitalSignature.into()),
        )?,
        der_extension(
            ID_CE_EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![ID_KP_CODE_SIGNING]),
        )?,
        der_extension(
            ID_CE_SUBJECT_KEY_IDENTIFIER,
            false,
            &SubjectKeyIdentifier(OctetString::new(key_identifier(&profile.public_key))?),
        )?,
        der_extension(
            ID_CE_AUTHORITY_KEY_IDENTIFIER,
            false,
            &AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(issuer.key_identifier)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
        )?,
        profile.san.extension()?,
    ];
    for ext in &profile.extensions {
        if super::extensions::FulcioOid::lookup(&ext.extn_id).is_none() {
            return Err(CertError::InvalidRequest(format!(
                "{} is not a Fulcio extension",
                ext.extn_id
            )));
        }
        extensions.push(ext.clone());
    }
    extensions.push(sigstack_ct::poison_extension()?);

    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: random_serial(rng)?,
        signature: issuer.key.signature_algorithm(),
        issuer: issuer.subject.clone(),
        validity: validity(now, LEAF_VALIDITY)?,
        subject: Name::default(),
        subject_public_key_info: profile.public_key.clone(),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let (tbs, der) = sign_tbs(tbs, issuer.key)?;
    Ok(Precertificate {
        tbs,
        der,
        issuer_key_hash: issuer.key_hash,
    })
}

/// The final certificate: the precertificate's TBS with its last extension (the poison)
/// replaced by the SCT list, signed again.
pub(crate) fn final_certificate(
    precert: Precertificate,
    scts: &[SignedCertificateTimestamp],
    key: &super::CaKey,
) -> Result<Vec<u8>, CertError> {
    if scts.is_empty() {
        return Err(CertError::Ct(sigstack_ct::Error::SctList(
            "no SCT to embed",
        )));
    }
    let mut tbs = precert.tbs;
    let extensions = tbs
        .extensions
        .as_mut()
        .ok_or(CertError::Ct(sigstack_ct::Error::Poison("missing")))?;
    match extensions.last() {
        Some(last) if last.extn_id == CT_POISON_OID => {}
        _ => {
            return Err(CertError::Ct(sigstack_ct::Error::Poison(
                "not the last extension",
            )))
        }
    }
    extensions.pop();
    extensions.push(sigstack_ct::sct_list_extension(scts)?);
    let (_, der) = sign_tbs(tbs, key)?;
    Ok(der)
}
