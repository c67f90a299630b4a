//! RFC 6962 certificate transparency for sigstack: the byte formats a CT log signs, stores and
//! hashes, and the checks clients run on the SCTs embedded in Fulcio certificates.
//!
//! This part of the crate is pure: no I/O, no clock, no database. Timestamps are passed in, and
//! the log's key sits behind the [`LogSigner`] trait so the CA, the log server and the tests all
//! produce SCTs the same way. The modules follow the life of an entry:
//!
//! * [`precert`] turns a precertificate (leaf TBS plus the critical poison extension) into the
//!   RFC 6962 `PreCert` entry, and rebuilds the same entry from a final certificate the way
//!   cosign, sigstore-go, sigstore-python and sigstore-js do.
//! * [`leaf`] encodes `TimestampedEntry` and `MerkleTreeLeaf` (the `leaf_input` a log stores and
//!   hashes) and the `extra_data` chain encodings.
//! * [`sct`] holds the `SignedCertificateTimestamp`, its `digitally-signed` input, signing and
//!   verification, and the SCT-list X.509 extension.
//! * [`sth`] holds the signed tree head a log publishes over its Merkle tree.
//!
//! The one impure part is [`log`] (feature `log`, on by default): the CT log service itself,
//! on the ledger engine, with its RFC 6962 HTTP API. The formats never depend on it.
#![forbid(unsafe_code)]

pub mod leaf;
#[cfg(feature = "log")]
pub mod log;
pub mod precert;
pub mod sct;
pub mod sth;
mod tls;

pub use leaf::{
    certificate_chain, precert_chain_entry, MerkleTreeLeaf, SignedEntry, TimestampedEntry,
};
pub use precert::{issuer_key_hash, poison_extension, PrecertEntry, CT_POISON_OID, SCT_LIST_OID};
pub use sct::{
    decode_sct_list, encode_sct_list, sct_list_extension, signed_data, verify_embedded_scts,
    DigitallySigned, EcdsaP256LogSigner, LogId, LogPublicKey, LogSigner,
    SignedCertificateTimestamp,
};
pub use sth::{stored_tree_head_verifier, tree_head_signed_data, SignedTreeHead};

/// Everything that can go wrong while building, parsing, signing or verifying CT structures.
///
/// Callers branch on [`Error::InvalidSignature`] and [`Error::UnknownLog`] (the SCT is
/// well-formed but not acceptable); every other variant means malformed input or a broken key.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A TLS-encoded structure ended early, had trailing bytes, or carried a bad field value.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// Which structure was being decoded.
        what: &'static str,
        /// What was wrong with it.
        reason: &'static str,
    },
    /// A variable-length field is longer than its TLS length prefix can express.
    #[error("{what} is {len} bytes, longer than its length prefix allows")]
    TooLong {
        /// Which field overflowed.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// A certificate or TBS could not be decoded or re-encoded as DER.
    #[error("certificate DER: {0}")]
    Der(#[from] x509_cert::der::Error),
    /// The precertificate lacks the poison extension, or it is not critical `NULL`.
    #[error("precertificate poison extension: {0}")]
    Poison(&'static str),
    /// The certificate carries no SCT-list extension, or it is unusable.
    #[error("SCT list extension: {0}")]
    SctList(&'static str),
    /// The key is not one a CT log may use (ECDSA P-256 or RSA), or could not be loaded.
    #[error("log key: {0}")]
    Key(&'static str),
    /// The log key refused to sign.
    #[error("signing failed")]
    Signing,
    /// No configured log has the SCT's log ID.
    #[error("no known log has ID {}", hex_id(.0))]
    UnknownLog([u8; 32]),
    /// The SCT's signature does not verify over the entry with the log's key.
    #[error("SCT signature does not verify")]
    InvalidSignature,
}

fn hex_id(id: &[u8; 32]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}
