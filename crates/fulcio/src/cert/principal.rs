//! The bridge from the identity half: a verified [`Principal`] plus the requester's key becomes a
//! [`CertificateProfile`].
//!
//! The identity module decides values; this module decides bytes. Where both name an encoding
//! for the same OID they must agree, and a disagreement is refused rather than guessed at.

use crate::identity::{ExtensionEncoding, Principal, SubjectAltName, OTHER_NAME_USERNAME_OID};

use super::extensions::{FulcioOid, ALL};
use super::{CertError, CertificateProfile, Encoding, San};

impl TryFrom<&SubjectAltName> for San {
    type Error = CertError;

    fn try_from(san: &SubjectAltName) -> Result<Self, CertError> {
        match san {
            SubjectAltName::Email(e) => Ok(San::Email(e.clone())),
            SubjectAltName::Uri(u) => Ok(San::Uri(u.clone())),
            SubjectAltName::OtherName { type_id, value } if type_id == OTHER_NAME_USERNAME_OID => {
                Ok(San::Username(value.clone()))
            }
            SubjectAltName::OtherName { type_id, .. } => Err(CertError::InvalidRequest(format!(
                "otherName SAN type {type_id} is not supported"
            ))),
        }
    }
}

impl CertificateProfile {
    /// The profile for `principal`'s SAN and Fulcio extensions and the DER
    /// `SubjectPublicKeyInfo` whose possession was proven (`pop::RequestKey::spki_der`).
    pub fn for_principal(principal: &Principal, public_key_der: &[u8]) -> Result<Self, CertError> {
        let mut values: Vec<(FulcioOid, &str)> = Vec::new();
        for (arc, encoding, value) in principal.extensions.entries() {
            let oid = ALL.iter().copied().find(|f| f.arc == arc).ok_or_else(|| {
                CertError::InvalidRequest(format!("unknown Fulcio extension .1.{arc}"))
            })?;
            let expected = match encoding {
                ExtensionEncoding::Raw => Encoding::Raw,
                ExtensionEncoding::Utf8String => Encoding::Utf8String,
            };
            if oid.encoding != expected {
                return Err(CertError::InvalidRequest(format!(
                    "{} encoding disagrees between identity and certificate modules",
                    oid.name
                )));
            }
            values.push((oid, value));
        }
        Self::new(public_key_der, San::try_from(&principal.san)?, &values)
    }
}
