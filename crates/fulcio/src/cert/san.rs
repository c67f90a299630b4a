//! The one subject alternative name a Fulcio leaf carries.

use x509_cert::der::asn1::{Ia5String, OctetString, Utf8StringRef};
use x509_cert::der::{Any, Encode};
use x509_cert::ext::pkix::name::{GeneralName, OtherName};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::Extension;
use x509_cert::spki::ObjectIdentifier;

use super::extensions::USERNAME_OTHER_NAME;
use super::CertError;

const ID_CE_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");

/// The identity a certificate is issued to. Exactly one name per certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum San {
    /// `rfc822Name` (the `email` identity type).
    Email(String),
    /// `uniformResourceIdentifier` (workflows, pipelines, SPIFFE IDs, Kubernetes accounts…).
    Uri(String),
    /// `otherName` with type-id 1.3.6.1.4.1.57264.1.7 and a UTF8String value
    /// `"{sub}!{domain}"` (the `username` identity type).
    Username(String),
}

impl San {
    fn general_name(&self) -> Result<GeneralName, CertError> {
        let ia5 = |s: &str| {
            Ia5String::new(s).map_err(|_| {
                CertError::InvalidRequest(format!("SAN {s:?} is not ASCII (IA5String)"))
            })
        };
        Ok(match self {
            San::Email(e) => GeneralName::Rfc822Name(ia5(e)?),
            San::Uri(u) => GeneralName::UniformResourceIdentifier(ia5(u)?),
            San::Username(n) => GeneralName::OtherName(OtherName {
                type_id: USERNAME_OTHER_NAME,
                value: Any::encode_from(&Utf8StringRef::new(n)?)?,
            }),
        })
    }

    /// The SAN extension, critical because the subject is empty (RFC 5280 §4.2.1.6; pyca
    /// rejects a non-critical SAN with an empty subject).
    pub fn extension(&self) -> Result<Extension, CertError> {
        if self.value().is_empty() {
            return Err(CertError::InvalidRequest("empty SAN".into()));
        }
        let san = SubjectAltName(vec![self.general_name()?]);
        Ok(Extension {
            extn_id: ID_CE_SUBJECT_ALT_NAME,
            critical: true,
            extn_value: OctetString::new(san.to_der()?)?,
        })
    }

    /// The name itself.
    pub fn value(&self) -> &str {
        match self {
            San::Email(v) | San::Uri(v) | San::Username(v) => v,
        }
    }
}
