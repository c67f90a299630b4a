//! The one error type of certificate issuance.

/// Why a certificate, a CA or a key could not be built or loaded.
///
/// [`CertError::InvalidRequest`] is the requester's fault (a 400 for the HTTP layer); every other
/// variant is a configuration or server fault.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// The principal or public key cannot go into a certificate (e.g. a non-ASCII e-mail, an
    /// unsupported key type).
    #[error("invalid certificate request: {0}")]
    InvalidRequest(String),
    /// DER encoding or decoding failed.
    #[error("DER: {0}")]
    Der(#[from] x509_cert::der::Error),
    /// A CA key could not be loaded, generated or used.
    #[error("CA key: {0}")]
    Key(String),
    /// The CA key is encrypted (`ENCRYPTED PRIVATE KEY`) and no password was given.
    #[error("CA key: the key is encrypted and no password was given")]
    KeyPasswordRequired,
    /// The encrypted CA key does not decrypt with the password given: the password is wrong
    /// (or the encrypted data is damaged).
    #[error("CA key: the password does not decrypt the key (wrong password or damaged key)")]
    KeyPassword,
    /// The CA certificates are unusable for issuing (no SKI, not a CA, chain does not link,
    /// key does not match).
    #[error("CA certificate: {0}")]
    CaCertificate(String),
    /// Signing with the CA key failed.
    #[error("CA signing failed")]
    Signing,
    /// The precertificate/SCT step failed.
    #[error("certificate transparency: {0}")]
    Ct(#[from] sigstack_ct::Error),
    /// The issuance time cannot be written in a certificate.
    #[error("time {0:?} is out of range for X.509")]
    Time(std::time::SystemTime),
}
