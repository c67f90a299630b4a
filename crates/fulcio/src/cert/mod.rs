//! Certificates: the Fulcio leaf profile, the CA chain, and issuance with an embedded SCT.
//!
//! Pure logic: time is passed in, the CT log round trip happens between
//! [`CertificateAuthority::precertificate`] and [`CertificateAuthority::certificate`], and
//! nothing here does I/O. What Sigstore clients silently depend on — empty subject with a
//! critical SAN, AKI = CA SKI, ten-minute validity, both encodings of the Fulcio extensions,
//! a final certificate byte-identical to its precertificate apart from poison ↔ SCT list — is
//! fixed here rather than left to callers.
//!
//! ```text
//! let profile = CertificateProfile::for_principal(&principal, &request_key.spki_der)?;
//! let pre = ca.precertificate(&profile, now)?;          // poison last, signed
//! let sct = ct_log.add_pre_chain(pre.der(), ca.chain_der())?;   // durable first
//! let issued = ca.certificate(pre, &[sct])?;            // SCT list in the poison's place
//! ```

mod ca;
mod error;
pub mod extensions;
mod key;
mod leaf;
mod principal;
mod san;

pub use ca::{CaSpec, CertificateAuthority, IssuedCertificate};
pub use error::CertError;
pub use extensions::{fulcio_extensions, Encoding, FulcioOid};
pub use key::{encrypt_pkcs8_pem, verify_signature, CaKey, CaKeyAlgorithm};
pub use leaf::{CertificateProfile, Precertificate, LEAF_VALIDITY};
pub use san::San;
