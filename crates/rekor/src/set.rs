//! The SignedEntryTimestamp (SET, "inclusion promise") of a Rekor v1 entry.
//!
//! The log signs the RFC 8785 canonical JSON of exactly
//! `{"body","integratedTime","logID","logIndex"}`: `body` is the same base64 string as
//! `LogEntry.body`, `logIndex` the *global* index, `logID` the hex SHA-256 of the log key's
//! SPKI. Clients (cosign, sigstore-go, sigstore-python) rebuild these bytes and check an
//! ECDSA-P256/SHA-256 DER signature over them; a wrong byte breaks every keyless
//! verification. Signing is the caller's business: it has the key, this crate has no I/O.

use serde_json::json;

use crate::b64;
use crate::error::{Error, Result};

/// The fields the SET covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetPayload<'a> {
    /// The canonical body (raw bytes; base64-encoded here).
    pub body: &'a [u8],
    /// Unix seconds when the entry was integrated.
    pub integrated_time: i64,
    /// Hex SHA-256 of the DER SPKI of the key of the shard holding the entry.
    pub log_id: &'a str,
    /// The global (virtual) log index across all shards.
    pub log_index: i64,
}

impl SetPayload<'_> {
    /// The exact bytes to sign.
    ///
    /// # Errors
    /// Never in practice (all inputs are strings and integers); kept fallible because JCS
    /// serialization is.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let doc = json!({
            "body": b64::encode(self.body),
            "integratedTime": self.integrated_time,
            "logID": self.log_id,
            "logIndex": self.log_index,
        });
        serde_json_canonicalizer::to_vec(&doc)
            .map_err(|e| Error::malformed("set", format!("cannot canonicalize SET payload: {e}")))
    }

    /// Builds the payload and signs it with `sign` (which returns a DER ECDSA signature).
    ///
    /// # Errors
    /// As [`SetPayload::to_bytes`].
    pub fn sign(&self, sign: &dyn Fn(&[u8]) -> Vec<u8>) -> Result<Vec<u8>> {
        Ok(sign(&self.to_bytes()?))
    }
}
