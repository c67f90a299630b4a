//! The crate's one error type.
//!
//! Every rejection has its own variant so callers (and tests) can branch on the reason; the
//! HTTP layer (`server::error`, the one place that decides statuses) shows clients only
//! [`Error::client_message`], which reproduces Fulcio's stable messages, and logs the
//! `Display` text, which has the detail.

use std::path::PathBuf;

/// Everything that can go wrong in configuration loading, token checks, identity extraction
/// and proof of possession.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // --- configuration (load time; never shown to clients) ---
    /// The configuration file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The configuration is neither valid JSON nor valid YAML of the expected shape.
    #[error("configuration syntax: {0}")]
    ConfigSyntax(String),
    /// A configuration value is wrong; names the issuer (or CI provider) and the field.
    #[error("configuration: issuer {issuer:?}, field {field}: {reason}")]
    Config {
        /// The issuer URL, meta-issuer pattern, or `CIIssuerMetadata` key.
        issuer: String,
        /// The field, as Fulcio's JSON spells it (e.g. `SubjectDomain`).
        field: &'static str,
        /// What is wrong.
        reason: String,
    },

    // --- the token ---
    /// The token is larger than the limit (checked before any decoding).
    #[error("identity token is {len} bytes, more than the {max}-byte limit")]
    TokenTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Missing, not a compact JWS, bad base64, bad JSON, or a header we refuse (`crit`).
    #[error("malformed identity token: {0}")]
    Malformed(String),
    /// `iss` matches no configured issuer or meta-issuer pattern.
    #[error("unknown issuer {0:?}")]
    UnknownIssuer(String),
    /// The header `alg` is not allow-listed (or not advertised by the issuer).
    #[error("token signing algorithm {0:?} is not allowed")]
    AlgorithmNotAllowed(String),
    /// No published key has the token's `kid` (after a refresh).
    #[error("issuer {issuer:?} publishes no key with kid {kid:?}")]
    KeyNotFound {
        /// The issuer.
        issuer: String,
        /// The `kid`, or `(none)`.
        kid: String,
    },
    /// The key named by `kid` cannot verify `alg` (key confusion, e.g. ES256 against RSA).
    #[error("key {kid:?} ({kty}) cannot verify a {alg} signature")]
    KeyAlgorithmMismatch {
        /// The key ID.
        kid: String,
        /// The key's type.
        kty: String,
        /// The header's algorithm.
        alg: String,
    },
    /// A published key is unusable (bad JWK members, RSA below 2048 bits, …).
    #[error("unusable key {kid:?}: {reason}")]
    BadKey {
        /// The key ID.
        kid: String,
        /// What is wrong.
        reason: String,
    },
    /// The signature does not verify.
    #[error("identity token signature does not verify")]
    BadSignature,
    /// Discovery or JWKS could not be fetched or parsed.
    #[error("cannot get keys of issuer {issuer:?}: {reason}")]
    KeyFetch {
        /// The issuer.
        issuer: String,
        /// What went wrong.
        reason: String,
    },
    /// `iss` differs from the issuer URL it was matched to.
    #[error("token iss {actual:?} does not match issuer {expected:?}")]
    IssuerMismatch {
        /// The configured or derived issuer URL.
        expected: String,
        /// The token's `iss`.
        actual: String,
    },
    /// `aud` does not contain the issuer's client ID.
    #[error("token audience does not contain {expected:?}")]
    WrongAudience {
        /// The configured client ID.
        expected: String,
    },
    /// `exp` is past.
    #[error("token expired at {exp} (now {now})")]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The time of the check.
        now: i64,
    },
    /// `nbf` is in the future.
    #[error("token not valid before {nbf} (now {now})")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The time of the check.
        now: i64,
    },
    /// `iat` is in the future.
    #[error("token issued in the future at {iat} (now {now})")]
    IssuedInFuture {
        /// The token's `iat`.
        iat: i64,
        /// The time of the check.
        now: i64,
    },
    /// An e-mail issuer's token lacks `email_verified: true`.
    #[error("email_verified claim is not true")]
    EmailNotVerified,
    /// A claim the identity type needs is absent or empty.
    #[error("missing {0} claim in identity token")]
    MissingClaim(String),
    /// A claim has the wrong type or an unacceptable value.
    #[error("invalid {claim} claim: {reason}")]
    InvalidClaim {
        /// The claim.
        claim: String,
        /// What is wrong.
        reason: String,
    },
    /// A ci-provider template could not be rendered (Fulcio shows this text to the client).
    #[error("{0}")]
    Template(String),

    // --- proof of possession ---
    /// The public key is missing or cannot be parsed.
    #[error("public key cannot be parsed: {0}")]
    PublicKeyUnparsable(String),
    /// The key is of an unsupported type or too weak (RSA < 2048, e ≠ 65537, odd curve, …).
    #[error("insecure public key: {0}")]
    WeakKey(String),
    /// The CSR cannot be parsed.
    #[error("certificate signing request cannot be parsed: {0}")]
    CsrUnparsable(String),
    /// The signed challenge or the CSR self-signature does not verify.
    #[error("proof of possession failed: {0}")]
    PopFailed(String),
    /// The (key, hash) pair of a CSR is not in the allow-list.
    #[error("signing algorithm not permitted: {key}, {hash}")]
    SigningAlgorithmNotPermitted {
        /// Key description, e.g. `ECDSA P-256`.
        key: String,
        /// Hash, e.g. `SHA-384`.
        hash: String,
    },
}

/// Fulcio's message for every identity-token failure.
pub const TOKEN_ERROR_MESSAGE: &str = "There was an error processing the identity token";

impl Error {
    /// The message a client sees, matching Fulcio (every token failure has one generic text so
    /// the response does not help an attacker probe; details go to the log).
    pub fn client_message(&self) -> String {
        match self {
            Error::PublicKeyUnparsable(_) => {
                "The public key supplied in the request could not be parsed".into()
            }
            Error::WeakKey(_) => "The public key supplied in the request is insecure".into(),
            Error::CsrUnparsable(_) => "The certificate signing request could not be parsed".into(),
            Error::PopFailed(_) => {
                "The signature supplied in the request could not be verified".into()
            }
            Error::SigningAlgorithmNotPermitted { .. } | Error::Template(_) => self.to_string(),
            Error::KeyFetch { .. } => TOKEN_ERROR_MESSAGE.into(),
            Error::Io { .. } | Error::ConfigSyntax(_) | Error::Config { .. } => {
                "internal configuration error".into()
            }
            _ => TOKEN_ERROR_MESSAGE.into(),
        }
    }
}

/// Shorthand.
pub type Result<T, E = Error> = std::result::Result<T, E>;
