//! Fulcio's custom X.509 extensions (arc 1.3.6.1.4.1.57264.1) and their two encodings.
//!
//! The deprecated v1 extensions (.1.1–.1.6) put the raw UTF-8 string straight into extnValue
//! with no ASN.1 tag; the v2 extensions (.1.8 onward) put a DER `UTF8String` there. Both are
//! emitted: cosign 2.5's `--certificate-oidc-issuer` and sigstore-python read only .1.1, newer
//! clients read .1.8. Mixing the encodings up breaks one family of clients silently, so the
//! encoding is a property of the OID here, never a choice of the caller.

use x509_cert::der::asn1::{OctetString, Utf8StringRef};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::Extension;
use x509_cert::spki::ObjectIdentifier;

use super::CertError;

/// How an extension's string value sits inside extnValue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// The UTF-8 bytes directly (v1, OIDs .1.1–.1.6).
    Raw,
    /// A DER `UTF8String` (v2, OIDs .1.8–.1.24).
    Utf8String,
}

/// One Fulcio extension OID with its name and encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FulcioOid {
    /// The last arc under 1.3.6.1.4.1.57264.1.
    pub arc: u32,
    /// The OID.
    pub oid: ObjectIdentifier,
    /// The name in Fulcio's OID documentation.
    pub name: &'static str,
    /// The encoding of the value.
    pub encoding: Encoding,
}

macro_rules! fulcio_oids {
    ($($konst:ident = $arc:literal, $name:literal, $enc:ident;)*) => {
        $(
            #[doc = concat!("1.3.6.1.4.1.57264.1.", stringify!($arc), ": ", $name, ".")]
            pub const $konst: FulcioOid = FulcioOid {
                arc: $arc,
                oid: ObjectIdentifier::new_unwrap(concat!("1.3.6.1.4.1.57264.1.", stringify!($arc))),
                name: $name,
                encoding: Encoding::$enc,
            };
        )*
        /// Every string-valued Fulcio extension, in the order Fulcio emits them.
        pub const ALL: &[FulcioOid] = &[$($konst),*];
    };
}

fulcio_oids! {
    ISSUER_V1 = 1, "Issuer (deprecated)", Raw;
    GITHUB_WORKFLOW_TRIGGER = 2, "GitHub Workflow Trigger (deprecated)", Raw;
    GITHUB_WORKFLOW_SHA = 3, "GitHub Workflow SHA (deprecated)", Raw;
    GITHUB_WORKFLOW_NAME = 4, "GitHub Workflow Name (deprecated)", Raw;
    GITHUB_WORKFLOW_REPOSITORY = 5, "GitHub Workflow Repository (deprecated)", Raw;
    GITHUB_WORKFLOW_REF = 6, "GitHub Workflow Ref (deprecated)", Raw;
    ISSUER_V2 = 8, "Issuer (V2)", Utf8String;
    BUILD_SIGNER_URI = 9, "Build Signer URI", Utf8String;
    BUILD_SIGNER_DIGEST = 10, "Build Signer Digest", Utf8String;
    RUNNER_ENVIRONMENT = 11, "Runner Environment", Utf8String;
    SOURCE_REPOSITORY_URI = 12, "Source Repository URI", Utf8String;
    SOURCE_REPOSITORY_DIGEST = 13, "Source Repository Digest", Utf8String;
    SOURCE_REPOSITORY_REF = 14, "Source Repository Ref", Utf8String;
    SOURCE_REPOSITORY_IDENTIFIER = 15, "Source Repository Identifier", Utf8String;
    SOURCE_REPOSITORY_OWNER_URI = 16, "Source Repository Owner URI", Utf8String;
    SOURCE_REPOSITORY_OWNER_IDENTIFIER = 17, "Source Repository Owner Identifier", Utf8String;
    BUILD_CONFIG_URI = 18, "Build Config URI", Utf8String;
    BUILD_CONFIG_DIGEST = 19, "Build Config Digest", Utf8String;
    BUILD_TRIGGER = 20, "Build Trigger", Utf8String;
    RUN_INVOCATION_URI = 21, "Run Invocation URI", Utf8String;
    SOURCE_REPOSITORY_VISIBILITY_AT_SIGNING = 22, "Source Repository Visibility At Signing", Utf8String;
    DEPLOYMENT_ENVIRONMENT = 23, "Deployment Environment", Utf8String;
    TOKEN_SUBJECT = 24, "Token Subject", Utf8String;
}

/// The otherName type-id of the `username` identity's SAN (a `[0] EXPLICIT UTF8String` inside
/// the SAN, not an extension of its own).
pub const USERNAME_OTHER_NAME: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

impl FulcioOid {
    /// The Fulcio OID with this object identifier, if it is one of [`ALL`].
    pub fn lookup(oid: &ObjectIdentifier) -> Option<FulcioOid> {
        ALL.iter().copied().find(|f| f.oid == *oid)
    }

    /// The extnValue contents for `value` in this OID's encoding.
    pub fn encode_value(&self, value: &str) -> Result<Vec<u8>, CertError> {
        match self.encoding {
            Encoding::Raw => Ok(value.as_bytes().to_vec()),
            Encoding::Utf8String => Ok(Utf8StringRef::new(value)?.to_der()?),
        }
    }

    /// The non-critical extension carrying `value`.
    pub fn extension(&self, value: &str) -> Result<Extension, CertError> {
        Ok(Extension {
            extn_id: self.oid,
            critical: false,
            extn_value: OctetString::new(self.encode_value(value)?)?,
        })
    }

    /// Reads a value back from extnValue contents, in this OID's encoding (for policy checks and
    /// tests).
    pub fn decode_value(&self, extn_value: &[u8]) -> Result<String, CertError> {
        match self.encoding {
            Encoding::Raw => String::from_utf8(extn_value.to_vec())
                .map_err(|_| CertError::InvalidRequest(format!("{} is not UTF-8", self.name))),
            Encoding::Utf8String => Ok(Utf8StringRef::from_der(extn_value)?.as_str().to_owned()),
        }
    }
}

/// Encodes `(oid, value)` pairs as extensions in Fulcio's order (.1.1, .1.2–.1.6, .1.8, .1.9 …
/// .1.24), skipping empty values as Fulcio does. The order is fixed by the OID, not the input,
/// so the same principal always yields the same bytes.
pub fn fulcio_extensions(values: &[(FulcioOid, &str)]) -> Result<Vec<Extension>, CertError> {
    let mut present: Vec<&(FulcioOid, &str)> =
        values.iter().filter(|(_, v)| !v.is_empty()).collect();
    present.sort_by_key(|(f, _)| f.arc);
    if let Some(w) = present.windows(2).find(|w| w[0].0.arc == w[1].0.arc) {
        return Err(CertError::InvalidRequest(format!(
            "extension {} given twice",
            w[0].0.name
        )));
    }
    present.iter().map(|(f, v)| f.extension(v)).collect()
}
