//! The entry encodings of RFC 6962 §3.4: what a CT log signs (inside an SCT), stores as
//! `leaf_input` and hashes into its Merkle tree.
//!
//! The `digitally-signed` input of an SCT and the `MerkleTreeLeaf` share one layout — a version
//! byte, a type byte that is zero in both (`certificate_timestamp`, `timestamped_entry`), then the
//! [`TimestampedEntry`] — so one encoder serves both, and an SCT can be checked against a stored
//! leaf without re-deriving the entry.

use crate::precert::PrecertEntry;
use crate::tls::{Reader, Writer};
use crate::Error;

/// `LogEntryType.x509_entry`.
pub const X509_ENTRY: u16 = 0;
/// `LogEntryType.precert_entry`.
pub const PRECERT_ENTRY: u16 = 1;

/// What the log vouches for: a whole final certificate, or a precertificate entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignedEntry {
    /// `ASN.1Cert`: the DER of a final certificate (the detached-SCT flow).
    X509(Vec<u8>),
    /// `PreCert`: issuer key hash plus the TBS without the poison extension.
    Precert(PrecertEntry),
}

impl SignedEntry {
    /// The `LogEntryType` value written before the entry.
    pub fn entry_type(&self) -> u16 {
        match self {
            SignedEntry::X509(_) => X509_ENTRY,
            SignedEntry::Precert(_) => PRECERT_ENTRY,
        }
    }

    pub(crate) fn encode(&self, w: &mut Writer) -> Result<(), Error> {
        w.u16(self.entry_type());
        match self {
            SignedEntry::X509(cert) => w.vec24("certificate", cert),
            SignedEntry::Precert(p) => {
                w.bytes(&p.issuer_key_hash);
                w.vec24("tbs_certificate", &p.tbs_certificate)
            }
        }
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        match r.u16()? {
            X509_ENTRY => Ok(SignedEntry::X509(r.vec24()?.to_vec())),
            PRECERT_ENTRY => {
                let issuer_key_hash = r.array32()?;
                let tbs_certificate = r.vec24()?.to_vec();
                Ok(SignedEntry::Precert(PrecertEntry {
                    issuer_key_hash,
                    tbs_certificate,
                }))
            }
            _ => Err(r.malformed("unknown entry type")),
        }
    }
}

/// `TimestampedEntry`: the entry with the log's timestamp and the SCT extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampedEntry {
    /// Milliseconds since the Unix epoch; the same value as in the SCT.
    pub timestamp: u64,
    /// The certificate or precertificate entry.
    pub entry: SignedEntry,
    /// The SCT's `CtExtensions` bytes (empty for RFC 6962 logs).
    pub extensions: Vec<u8>,
}

impl TimestampedEntry {
    pub(crate) fn encode(&self, w: &mut Writer) -> Result<(), Error> {
        w.u64(self.timestamp);
        self.entry.encode(w)?;
        w.vec16("extensions", &self.extensions)
    }
}

/// `MerkleTreeLeaf` version 1 holding a `timestamped_entry`: the `leaf_input` of `get-entries`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleTreeLeaf {
    /// The only leaf type RFC 6962 defines.
    pub entry: TimestampedEntry,
}

impl MerkleTreeLeaf {
    /// The TLS encoding (`leaf_input`): the exact bytes the log stores and hashes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut w = Writer::default();
        w.u8(0); // version v1
        w.u8(0); // MerkleLeafType.timestamped_entry
        self.entry.encode(&mut w)?;
        Ok(w.buf)
    }

    /// Parses a `leaf_input`, rejecting unknown versions, leaf types and trailing bytes.
    pub fn from_bytes(input: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new("MerkleTreeLeaf", input);
        if r.u8()? != 0 {
            return Err(r.malformed("unsupported version"));
        }
        if r.u8()? != 0 {
            return Err(r.malformed("unsupported leaf type"));
        }
        let timestamp = r.u64()?;
        let entry = SignedEntry::decode(&mut r)?;
        let extensions = r.vec16()?.to_vec();
        r.finish()?;
        Ok(Self {
            entry: TimestampedEntry {
                timestamp,
                entry,
                extensions,
            },
        })
    }

    /// The RFC 6962 leaf hash, SHA-256(0x00 ‖ leaf_input), under which the tree stores it.
    pub fn leaf_hash(&self) -> Result<sigstack_merkle::Hash, Error> {
        Ok(sigstack_merkle::leaf_hash(&self.to_bytes()?))
    }
}

/// `extra_data` of a precert entry: the precertificate DER then the chain to the root (RFC 6962
/// `PrecertChainEntry`).
pub fn precert_chain_entry(precertificate: &[u8], chain: &[Vec<u8>]) -> Result<Vec<u8>, Error> {
    let mut w = Writer::default();
    w.vec24("pre_certificate", precertificate)?;
    w.vec24("precertificate_chain", &chain_list(chain)?)?;
    Ok(w.buf)
}

/// `extra_data` of an x509 entry: the chain from the leaf's issuer to the root.
pub fn certificate_chain(chain: &[Vec<u8>]) -> Result<Vec<u8>, Error> {
    let mut w = Writer::default();
    w.vec24("certificate_chain", &chain_list(chain)?)?;
    Ok(w.buf)
}

fn chain_list(chain: &[Vec<u8>]) -> Result<Vec<u8>, Error> {
    let mut w = Writer::default();
    for cert in chain {
        w.vec24("chain certificate", cert)?;
    }
    Ok(w.buf)
}
