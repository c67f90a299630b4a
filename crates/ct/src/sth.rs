//! Signed tree heads (RFC 6962 §3.5): the log's signed statement of its size and root at a
//! time, served by `get-sth` and checked by monitors and auditors.
//!
//! Pure like the rest of the formats: the caller passes the timestamp. Besides the signed
//! input, this module fixes the byte form in which the log *stores* its latest tree head (the
//! ledger's opaque checkpoint), so that `get-sth`, start-up and `fsck` read one encoding.

use sigstack_merkle::Hash;

use crate::sct::{DigitallySigned, LogPublicKey, LogSigner, HASH_SHA256};
use crate::tls::{Reader, Writer};
use crate::Error;

/// `SignatureType.tree_hash`.
const TREE_HASH: u8 = 1;

/// Version byte of the stored encoding ([`SignedTreeHead::to_bytes`]).
const STORED_V1: u8 = 0;

/// Bytes of the stored encoding before the signature: version, size, timestamp, root.
const FIXED_LEN: usize = 1 + 8 + 8 + 32;

/// A tree head and the log's signature over it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTreeHead {
    /// Number of entries in the tree.
    pub tree_size: u64,
    /// Milliseconds since the Unix epoch; never older than an SCT of an entry in the tree.
    pub timestamp: u64,
    /// The tree's RFC 6962 root hash.
    pub root_hash: Hash,
    /// The log's signature over [`tree_head_signed_data`].
    pub signature: DigitallySigned,
}

/// The `digitally-signed` input of a tree head: version v1, `tree_hash`, timestamp, tree size
/// and root (RFC 6962 §3.5 `TreeHeadSignature`).
pub fn tree_head_signed_data(timestamp: u64, tree_size: u64, root_hash: &Hash) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(0); // Version v1
    w.u8(TREE_HASH);
    w.u64(timestamp);
    w.u64(tree_size);
    w.bytes(root_hash);
    w.buf
}

impl SignedTreeHead {
    /// Signs the tree of `tree_size` leaves with `root_hash` at `timestamp` (ms).
    pub fn sign(
        signer: &dyn LogSigner,
        timestamp: u64,
        tree_size: u64,
        root_hash: Hash,
    ) -> Result<Self, Error> {
        let message = tree_head_signed_data(timestamp, tree_size, &root_hash);
        Ok(Self {
            tree_size,
            timestamp,
            root_hash,
            signature: DigitallySigned {
                hash_algorithm: HASH_SHA256,
                signature_algorithm: signer.signature_algorithm(),
                signature: signer.sign(&message)?,
            },
        })
    }

    /// Checks the signature with the log's key.
    pub fn verify(&self, key: &LogPublicKey) -> Result<(), Error> {
        if self.signature.hash_algorithm != HASH_SHA256 {
            return Err(Error::InvalidSignature);
        }
        let message = tree_head_signed_data(self.timestamp, self.tree_size, &self.root_hash);
        key.verify(
            self.signature.signature_algorithm,
            &message,
            &self.signature.signature,
        )
    }

    /// The stored form: a version byte, tree size, timestamp, root, then the TLS
    /// `DigitallySigned`. Not a wire format of RFC 6962; only this crate reads it back.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut w = Writer::default();
        w.u8(STORED_V1);
        w.u64(self.tree_size);
        w.u64(self.timestamp);
        w.bytes(&self.root_hash);
        w.bytes(&self.signature.to_bytes()?);
        Ok(w.buf)
    }

    /// Parses [`SignedTreeHead::to_bytes`] output, rejecting other versions and trailing bytes.
    pub fn from_bytes(input: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new("SignedTreeHead", input);
        if r.u8()? != STORED_V1 {
            return Err(r.malformed("unsupported version"));
        }
        let tree_size = r.u64()?;
        let timestamp = r.u64()?;
        let root_hash = r.array32()?;
        // The signature runs to the end; `from_bytes` rejects anything after it.
        let signature = DigitallySigned::from_bytes(input.get(FIXED_LEN..).unwrap_or_default())?;
        Ok(Self {
            tree_size,
            timestamp,
            root_hash,
            signature,
        })
    }
}

/// A checkpoint verifier for the ledger's `fsck` (`sigstack log fsck` on the CT shard): parses
/// the stored tree head, checks its signature with `key`, and names its size and root.
pub fn stored_tree_head_verifier(
    key: &LogPublicKey,
) -> impl Fn(&[u8]) -> Result<(u64, Hash), String> + Sync + '_ {
    move |bytes| {
        let sth = SignedTreeHead::from_bytes(bytes).map_err(|e| e.to_string())?;
        sth.verify(key).map_err(|e| e.to_string())?;
        Ok((sth.tree_size, sth.root_hash))
    }
}
