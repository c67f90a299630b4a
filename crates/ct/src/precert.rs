//! RFC 6962 `PreCert` entries (§3.2): what a log signs for a precertificate, derived either from
//! the precertificate itself (the log's side of `add-pre-chain`) or from the final certificate
//! with its embedded SCTs (the client's side of verification).
//!
//! Both routes decode the certificate, drop one extension by OID and re-encode the TBS as DER.
//! They agree only if the CA issued the final certificate from the very same TBS with the poison
//! extension swapped for the SCT list in the same position, and if every TBS is canonical DER —
//! the same re-encoding Go's ct-go, pyca/cryptography and sigstore-js perform.

use ring::digest::{digest, SHA256};
use x509_cert::der::asn1::OctetString;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::Extension;
use x509_cert::spki::ObjectIdentifier;
use x509_cert::{Certificate, TbsCertificate};

use crate::Error;

/// The critical precertificate poison extension, value ASN.1 `NULL` (RFC 6962 §3.1).
pub const CT_POISON_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.3");
/// The embedded `SignedCertificateTimestampList` extension (RFC 6962 §3.3).
pub const SCT_LIST_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// DER of ASN.1 `NULL`: the only acceptable poison value.
const NULL_DER: [u8; 2] = [0x05, 0x00];

/// The `PreCert` body of a precert entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrecertEntry {
    /// SHA-256 of the DER `SubjectPublicKeyInfo` of the CA that issued (and will re-sign) the
    /// certificate.
    pub issuer_key_hash: [u8; 32],
    /// DER `TBSCertificate` of the precertificate without the poison extension.
    pub tbs_certificate: Vec<u8>,
}

impl PrecertEntry {
    /// The entry for a precertificate DER issued directly by `issuer_der` (no precert-signing
    /// CA). Fails unless the poison extension is present exactly once, critical, with value
    /// exactly `05 00` — the check Trillian's CTFE makes on `add-pre-chain`.
    pub fn from_precertificate(
        precertificate_der: &[u8],
        issuer_der: &[u8],
    ) -> Result<Self, Error> {
        let cert = Certificate::from_der(precertificate_der)?;
        Self::from_precert_tbs(&cert.tbs_certificate, &issuer_key_hash(issuer_der)?)
    }

    /// The entry for a precertificate TBS (poison included) and its issuer's key hash, for a CA
    /// that wants the entry before or without a signed precertificate.
    pub fn from_precert_tbs(
        tbs: &TbsCertificate,
        issuer_key_hash: &[u8; 32],
    ) -> Result<Self, Error> {
        let (tbs, poison) =
            without_extension(tbs, &CT_POISON_OID).ok_or(Error::Poison("missing"))?;
        if !poison.critical {
            return Err(Error::Poison("not critical"));
        }
        if poison.extn_value.as_bytes() != NULL_DER {
            return Err(Error::Poison("value is not NULL"));
        }
        if has_extension(&tbs, &CT_POISON_OID) {
            return Err(Error::Poison("present more than once"));
        }
        Ok(Self {
            issuer_key_hash: *issuer_key_hash,
            tbs_certificate: tbs.to_der()?,
        })
    }

    /// Rebuilds the entry from a final certificate the way verifying clients do: delete the SCT
    /// list extension, re-encode the TBS, hash the issuer's key. Returns the entry and the TLS
    /// `SignedCertificateTimestampList` bytes that were inside the extension.
    pub fn from_final_certificate(
        certificate_der: &[u8],
        issuer_der: &[u8],
    ) -> Result<(Self, Vec<u8>), Error> {
        let cert = Certificate::from_der(certificate_der)?;
        let (tbs, ext) = without_extension(&cert.tbs_certificate, &SCT_LIST_OID)
            .ok_or(Error::SctList("missing"))?;
        if has_extension(&tbs, &SCT_LIST_OID) {
            return Err(Error::SctList("present more than once"));
        }
        if has_extension(&tbs, &CT_POISON_OID) {
            return Err(Error::Poison("present in a final certificate"));
        }
        let list = OctetString::from_der(ext.extn_value.as_bytes())
            .map_err(|_| Error::SctList("value is not a DER OCTET STRING"))?;
        let entry = Self {
            issuer_key_hash: issuer_key_hash(issuer_der)?,
            tbs_certificate: tbs.to_der()?,
        };
        Ok((entry, list.as_bytes().to_vec()))
    }
}

/// SHA-256 of the DER `SubjectPublicKeyInfo` of the certificate `issuer_der`.
pub fn issuer_key_hash(issuer_der: &[u8]) -> Result<[u8; 32], Error> {
    let issuer = Certificate::from_der(issuer_der)?;
    let spki = issuer.tbs_certificate.subject_public_key_info.to_der()?;
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, &spki).as_ref());
    Ok(out)
}

/// The CT poison extension to append to a precertificate's extensions.
pub fn poison_extension() -> Result<Extension, Error> {
    Ok(Extension {
        extn_id: CT_POISON_OID,
        critical: true,
        extn_value: OctetString::new(NULL_DER.to_vec())?,
    })
}

/// A copy of `tbs` without the first extension with `oid`, and that extension.
fn without_extension(
    tbs: &TbsCertificate,
    oid: &ObjectIdentifier,
) -> Option<(TbsCertificate, Extension)> {
    let mut tbs = tbs.clone();
    let extensions = tbs.extensions.as_mut()?;
    let at = extensions.iter().position(|e| e.extn_id == *oid)?;
    let removed = extensions.remove(at);
    Some((tbs, removed))
}

fn has_extension(tbs: &TbsCertificate, oid: &ObjectIdentifier) -> bool {
    tbs.extensions
        .as_ref()
        .is_some_and(|exts| exts.iter().any(|e| e.extn_id == *oid))
}
