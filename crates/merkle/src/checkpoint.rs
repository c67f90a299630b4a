//! C2SP tlog-checkpoint (<https://c2sp.org/tlog-checkpoint>): a signed note whose text is a
//! log's tree head.
//!
//! ```text
//! <origin>\n<tree size, decimal>\n<base64 root hash>\n[<extension line>\n]*
//! ```
//!
//! Both Rekor generations use this shape; they differ only in the origin and the key:
//!
//! * **Rekor v1**: origin `"<hostname> - <treeID decimal>"`, key name = hostname alone,
//!   ECDSA P-256 signature, key ID = `SHA-256(DER SPKI)[..4]`. sigstore-go recognises a v1
//!   checkpoint by the origin matching `.* - [0-9]+$`. Rekor before 1.3.5 added a
//!   `Timestamp: <unix ns>` extension line, which verifiers must still accept.
//! * **Rekor v2**: origin = key name = the log's hostname, Ed25519 signature, optionally
//!   followed by witness cosignatures.
//!
//! Parsing is strict where the spec is (no leading zeros in the size, 32-byte root,
//! non-empty extension lines), so `Checkpoint::parse(&c.to_text())` always gives back `c`;
//! the converse holds except that, like Go, we accept base64 with non-zero padding bits.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::note::{
    decode_base64, has_forbidden_control, Note, NoteError, NoteSigner, NoteVerifier, Verification,
};

/// The separator Rekor v1 puts between hostname and tree ID in its origin line.
const REKOR_V1_ORIGIN_SEPARATOR: &str = " - ";

/// Prefix of the extension line Rekor < 1.3.5 added to checkpoints (nanoseconds since the
/// Unix epoch follow).
pub const REKOR_V1_TIMESTAMP_PREFIX: &str = "Timestamp: ";

/// Errors from parsing, building and signing checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The checkpoint text is not well-formed; the reason is for logs.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The root hash decoded to the wrong number of bytes (sigstack logs use SHA-256).
    #[error("root hash is {0} bytes, expected 32")]
    RootHashLength(usize),
    /// The enclosing signed note is malformed or did not verify.
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// A log's tree head: the text of a checkpoint note.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    /// Unique identity of the log (Rekor v1: `"<hostname> - <treeID>"`; v2: the hostname).
    pub origin: String,
    /// Number of leaves in the tree.
    pub size: u64,
    /// RFC 6962 root hash of the tree at `size`.
    pub root_hash: [u8; 32],
    /// Opaque extension lines, without their newlines. Must be non-empty lines.
    pub extension_lines: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines (what every current log writes).
    pub fn new(origin: impl Into<String>, size: u64, root_hash: [u8; 32]) -> Self {
        Self {
            origin: origin.into(),
            size,
            root_hash,
            extension_lines: Vec::new(),
        }
    }

    /// Parses checkpoint text (the note text, final newline included). Rejects: no final
    /// newline, fewer than three lines, empty origin, a size that is not plain decimal
    /// (sign, leading zero, overflow), a root that is not base64 of 32 bytes, empty
    /// extension lines, and control characters.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::Malformed(
            "text does not end with a newline",
        ))?;
        if has_forbidden_control(body) {
            return Err(CheckpointError::Malformed("contains a control character"));
        }
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::Malformed("fewer than three lines"));
        };
        if origin.is_empty() {
            return Err(CheckpointError::Malformed("empty origin"));
        }
        let extension_lines: Vec<String> = lines.map(str::to_owned).collect();
        if extension_lines.iter().any(String::is_empty) {
            return Err(CheckpointError::Malformed("empty extension line"));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size: parse_tree_size(size)?,
            root_hash: parse_root_hash(root)?,
            extension_lines,
        })
    }

    /// Checks that the fields can be written as checkpoint text that parses back to them.
    pub fn validate(&self) -> Result<(), CheckpointError> {
        let fine =
            |line: &str| !line.is_empty() && !line.contains('\n') && !has_forbidden_control(line);
        if !fine(&self.origin) {
            return Err(CheckpointError::Malformed(
                "origin is empty or has control characters",
            ));
        }
        if !self.extension_lines.iter().all(|l| fine(l)) {
            return Err(CheckpointError::Malformed(
                "extension line is empty or has control characters",
            ));
        }
        Ok(())
    }

    /// The checkpoint text, every line newline-terminated. Only meaningful for a checkpoint
    /// that passes [`Checkpoint::validate`]; [`SignedCheckpoint::sign`] checks that.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root_hash)
        );
        for line in &self.extension_lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// The value of Rekor's legacy `Timestamp: <ns>` extension line, if present and numeric.
    pub fn rekor_v1_timestamp_nanos(&self) -> Option<u64> {
        self.extension_lines
            .iter()
            .find_map(|l| l.strip_prefix(REKOR_V1_TIMESTAMP_PREFIX))
            .and_then(|v| parse_decimal(v).ok())
    }
}

/// Parses a tree size: ASCII digits only, no leading zero except for `0` itself.
fn parse_tree_size(s: &str) -> Result<u64, CheckpointError> {
    if s.len() > 1 && s.starts_with('0') {
        return Err(CheckpointError::Malformed("tree size has a leading zero"));
    }
    parse_decimal(s)
}

/// Parses a non-empty run of ASCII digits into a u64 (`str::parse` alone would accept `+`).
fn parse_decimal(s: &str) -> Result<u64, CheckpointError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CheckpointError::Malformed("not a decimal number"));
    }
    s.parse()
        .map_err(|_| CheckpointError::Malformed("number overflows 64 bits"))
}

fn parse_root_hash(s: &str) -> Result<[u8; 32], CheckpointError> {
    let bytes = decode_base64(s).ok_or(CheckpointError::Malformed("root hash is not base64"))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| CheckpointError::RootHashLength(bytes.len()))
}

/// The Rekor v1 origin line for a shard: `"<hostname> - <treeID>"`.
pub fn rekor_v1_origin(hostname: &str, tree_id: u64) -> String {
    format!("{hostname}{REKOR_V1_ORIGIN_SEPARATOR}{tree_id}")
}

/// Splits a Rekor v1 origin into hostname and tree ID; `None` if the origin does not have
/// the v1 shape (then clients treat the checkpoint as a v2 / C2SP one).
pub fn split_rekor_v1_origin(origin: &str) -> Option<(&str, u64)> {
    let (hostname, tree_id) = origin.rsplit_once(REKOR_V1_ORIGIN_SEPARATOR)?;
    let tree_id = parse_decimal(tree_id).ok()?;
    Some((hostname, tree_id))
}

/// A checkpoint together with the signed note that carries it.
///
/// The note keeps the signed text exactly as received; `checkpoint` is its parsed form, so
/// re-encoding never changes signed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    note: Note,
}

impl SignedCheckpoint {
    /// Parses a checkpoint note. Signatures are not checked; see
    /// [`SignedCheckpoint::verify`].
    pub fn parse(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let note = Note::parse(bytes)?;
        let checkpoint = Checkpoint::parse(note.text())?;
        Ok(Self { checkpoint, note })
    }

    /// Parses a checkpoint note and verifies it against `known` keys.
    pub fn open(
        bytes: &[u8],
        known: &[&dyn NoteVerifier],
    ) -> Result<(Self, Verification), CheckpointError> {
        let signed = Self::parse(bytes)?;
        let verification = signed.verify(known)?;
        Ok((signed, verification))
    }

    /// Signs `checkpoint` with each signer. For a Rekor v1 log use a single ECDSA
    /// [`crate::note::NamedSigner`] named after the hostname: Rekor's own verifier rejects
    /// a v1 checkpoint carrying any other signature.
    pub fn sign(
        checkpoint: Checkpoint,
        signers: &[&dyn NoteSigner],
    ) -> Result<Self, CheckpointError> {
        checkpoint.validate()?;
        let note = Note::sign(checkpoint.to_text(), signers)?;
        Ok(Self { checkpoint, note })
    }

    /// Adds signatures (e.g. witness cosignatures) over the same text.
    pub fn add_signatures(&mut self, signers: &[&dyn NoteSigner]) -> Result<(), CheckpointError> {
        self.note
            .add_signatures(signers)
            .map_err(CheckpointError::from)
    }

    /// Verifies the note against `known` keys, with the signed-note rules (unknown keys
    /// ignored, any bad signature from a known key fatal, at least one known key needed).
    pub fn verify(&self, known: &[&dyn NoteVerifier]) -> Result<Verification, CheckpointError> {
        self.note.verify(known).map_err(CheckpointError::from)
    }

    /// The tree head.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// The signed note (text and signature lines).
    pub fn note(&self) -> &Note {
        &self.note
    }

    /// The encoded checkpoint note, as served at `/checkpoint` or in
    /// `inclusionProof.checkpoint`.
    pub fn encode(&self) -> String {
        self.note.encode()
    }
}

impl fmt::Display for SignedCheckpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}
