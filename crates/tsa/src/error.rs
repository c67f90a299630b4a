//! Why a timestamp was refused, and the HTTP answer timestamp-authority gives for it.

/// A refused timestamp request, or a TSA that cannot work.
///
/// The messages are timestamp-authority's own (clients print them; none parses them), so a
/// script written against the reference TSA reads the same text here.
#[derive(Debug, thiserror::Error)]
pub enum TsaError {
    /// SHA-1 imprint.
    #[error("Weak hash algorithm in timestamp request")]
    WeakHash,
    /// Imprint length does not match its hash algorithm.
    #[error("Message digest has incorrect length for specified algorithm")]
    DigestLength,
    /// Unknown hash, unparsable DER/JSON, bad base64, wrong version, unsupported media type.
    #[error("Error generating timestamp response")]
    BadRequest(String),
    /// `reqPolicy` not among the accepted policies.
    #[error("unaccepted policy: requested TSA policy is not supported by the TSA")]
    Policy,
    /// Request extensions (not accepted, as the reference TSA by default).
    #[error("unaccepted extension: requested extensions are not supported by the TSA")]
    Extension,
    /// Body over the limit.
    #[error("timestamp request is too large")]
    TooLarge,
    /// The Content-Type is not `application/…` at all.
    #[error("Error generating timestamp response")]
    MediaType,
    /// Signing or encoding failed: a server fault, logged, never detailed to the client.
    #[error("Error generating timestamp response")]
    Internal(String),
    /// The TSA key or chain is unusable (start-up and `init` only).
    #[error("TSA material: {0}")]
    Material(String),
}

impl TsaError {
    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::MediaType => 415,
            Self::Internal(_) | Self::Material(_) => 500,
            _ => 400,
        }
    }

    /// A short, stable label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::WeakHash => "weak_hash",
            Self::DigestLength => "digest_length",
            Self::BadRequest(_) => "malformed",
            Self::Policy => "policy",
            Self::Extension => "extension",
            Self::TooLarge => "too_large",
            Self::MediaType => "media_type",
            Self::Internal(_) | Self::Material(_) => "internal",
        }
    }
}

impl From<der::Error> for TsaError {
    fn from(e: der::Error) -> Self {
        Self::Internal(format!("DER encoding: {e}"))
    }
}
