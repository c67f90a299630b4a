//! Why OpenPGP data was refused, in the words Rekor's library uses.
//!
//! Rekor 1.5.3 parses PGP with Go's `golang.org/x/crypto/openpgp`, whose errors print as
//! `openpgp: invalid data: …`, `openpgp: unsupported feature: …` and so on, and Rekor forwards
//! them to the client. We keep those prefixes (clients and people searching for the message
//! find the same thing) and add detail where Go's text says little. The kind also decides
//! what a key ring reader does next: like Go, it skips an entity that fails with a
//! [`PgpError::Structural`] or [`PgpError::Unsupported`] error and keeps reading, but stops
//! at a truncated stream.

/// A refusal of OpenPGP input (armor, packets, keys, signatures).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PgpError {
    /// Well-formed framing around content that breaks the format's rules.
    #[error("openpgp: invalid data: {0}")]
    Structural(String),
    /// Valid OpenPGP that uses an algorithm, version or feature this log does not implement.
    #[error("openpgp: unsupported feature: {0}")]
    Unsupported(String),
    /// A key asked to do something its algorithm cannot (Go's `InvalidArgumentError`).
    #[error("openpgp: invalid argument: {0}")]
    InvalidArgument(String),
    /// A signature that does not verify.
    #[error("openpgp: invalid signature: {0}")]
    BadSignature(String),
    /// No key of the key ring matches the signature's issuer (or may sign).
    #[error("openpgp: signature made by unknown entity")]
    UnknownIssuer,
    /// The input ends inside a structure (Go reports a bare `unexpected EOF`).
    #[error("unexpected EOF: truncated {0}")]
    Truncated(&'static str),
    /// ASCII armor that cannot be decoded (Go's `armor invalid`), with the reason.
    #[error("openpgp: invalid data: armor invalid: {0}")]
    Armor(String),
    /// Input that would cost too much to check (a bound of ours; Go has none).
    #[error("openpgp: input too large to check: {0}")]
    TooLarge(String),
}

impl PgpError {
    /// Whether a key ring reader may skip the entity that failed and go on (Go skips on
    /// structural and unsupported errors, and gives up on anything else).
    pub(crate) fn is_skippable(&self) -> bool {
        matches!(self, PgpError::Structural(_) | PgpError::Unsupported(_))
    }

    /// Whether the input is valid OpenPGP this log does not implement (as opposed to
    /// malformed or failing input).
    pub(crate) fn is_unsupported(&self) -> bool {
        matches!(self, PgpError::Unsupported(_))
    }
}

/// Shorthand for [`PgpError::Structural`].
pub(crate) fn structural(why: impl Into<String>) -> PgpError {
    PgpError::Structural(why.into())
}

/// Shorthand for [`PgpError::Unsupported`].
pub(crate) fn unsupported(why: impl Into<String>) -> PgpError {
    PgpError::Unsupported(why.into())
}
