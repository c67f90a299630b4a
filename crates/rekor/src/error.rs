//! The one error type of this crate.
//!
//! `Display` gives the *reason* only, worded like Rekor's own message wherever a client prints
//! it (cosign and rekor-cli show the server's `message` verbatim). The HTTP layer adds the
//! `error processing entry: ` prefix on `POST /api/v1/log/entries` and chooses the status:
//! Rekor answers 422 for [`Error::MissingField`] and [`Error::UnknownKind`] (OpenAPI schema
//! errors) and 400 for everything else; rekor-cli only falls back to an older entry version
//! on a 400, so keep validation failures at 400.

/// Why a proposed entry, a stored body or an entry ID was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not JSON, or the JSON has the wrong shape at the top level (an array, a
    /// string...). Rekor answers 500 here; we answer 400.
    #[error("{0}")]
    InvalidJson(String),

    /// A top-level field that Rekor's OpenAPI schema requires is absent (`kind`, `apiVersion`,
    /// `spec`, or the whole body). Rekor answers 422 with this exact text.
    #[error("{field} in body is required")]
    MissingField {
        /// The JSON field name as Rekor spells it.
        field: &'static str,
    },

    /// `kind` names no entry type this log accepts. Rekor answers 422 with this text.
    #[error("invalid kind value: {0:?}")]
    UnknownKind(String),

    /// The kind is known but not this `apiVersion`.
    #[error("{kind} implementation for version '{version}' not found: unable to locate entry for version {version}")]
    UnsupportedVersion {
        /// The entry kind, e.g. `hashedrekord`.
        kind: String,
        /// The version the client asked for.
        version: String,
    },

    /// A field of the entry is missing or has a value the entry type does not allow
    /// (bad base64, wrong digest length, unparsable key or certificate, ...).
    #[error("{why}")]
    Malformed {
        /// The field at fault, as a JSON path such as `spec.data.hash.value`; for logs.
        field: &'static str,
        /// Rekor-style explanation; this is what the client sees.
        why: String,
    },

    /// The entry is well formed but a signature does not verify with the key it names.
    #[error("{0}")]
    InvalidSignature(String),

    /// Valid input that this server does not implement (a rekord `pgp`/`minisign` signature,
    /// a key type outside the supported set, ...).
    #[error("{0}")]
    Unsupported(String),

    /// The signature verifies but its key type and digest algorithm are outside the log's
    /// allow-list (Rekor ≥ 1.3.10, `--client-signing-algorithms`).
    #[error("entry algorithms are not allowed")]
    AlgorithmNotAllowed,

    /// The entry verifies but lacks what an insert needs (for example a `dsse` entry given in
    /// its canonical form). Lookups accept such entries.
    #[error("entry not insertable into log: {0}")]
    NotInsertable(String),

    /// The caller cancelled the work (its [`crate::WorkBudget`] was cancelled: the client
    /// left or its deadline passed) before the entry was fully checked. Nothing about the
    /// entry is known.
    #[error("verification was abandoned: the request was cancelled or timed out")]
    Abandoned,

    /// A UUID or entry ID that is not 64 or 80 hexadecimal digits, or whose tree part is not a
    /// positive 63-bit integer.
    #[error("invalid entry ID or UUID {0:?}: expected 64 hex digits (UUID) or 80 hex digits (tree ID + UUID)")]
    InvalidEntryId(String),
}

impl Error {
    /// Shorthand for [`Error::Malformed`].
    pub(crate) fn malformed(field: &'static str, why: impl Into<String>) -> Self {
        Error::Malformed {
            field,
            why: why.into(),
        }
    }
}

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;
