//! Entry identifiers: the 64-hex UUID (the leaf hash) and the 80-hex entry ID
//! (`%016x(treeID)` ‖ UUID).
//!
//! The server always *returns* 80-hex entry IDs (map keys, `Etag`, `Location`, index
//! results) and accepts either form, in any letter case, on input.

use std::fmt;

use crate::error::{Error, Result};

/// An entry's UUID: the RFC 6962 leaf hash of its canonical body. Displays as 64 lowercase
/// hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid([u8; 32]);

impl Uuid {
    /// Wraps a leaf hash.
    pub fn from_bytes(leaf_hash: [u8; 32]) -> Self {
        Uuid(leaf_hash)
    }

    /// The leaf hash.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The UUID of a canonical body (its leaf hash).
    pub fn of_body(body: &[u8]) -> Self {
        Uuid(sigstack_merkle::leaf_hash(body))
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// An entry ID: the tree (shard) that holds the entry and its UUID. Displays as 80
/// lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntryId {
    /// The Trillian-style tree ID of the shard (a positive 63-bit integer).
    pub tree_id: i64,
    /// The entry's UUID.
    pub uuid: Uuid,
}

impl EntryId {
    /// Pairs a tree ID with a UUID.
    pub fn new(tree_id: i64, uuid: Uuid) -> Self {
        EntryId { tree_id, uuid }
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}{}", self.tree_id, self.uuid)
    }
}

/// What a client named an entry by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryRef {
    /// A bare 64-hex UUID: search the active shard, then the inactive ones.
    Uuid(Uuid),
    /// An 80-hex entry ID: look only in that tree. A tree part of `0000000000000000` parses
    /// (Rekor answers 500 for it); the caller decides how to answer.
    EntryId(EntryId),
}

impl EntryRef {
    /// The UUID part.
    pub fn uuid(&self) -> Uuid {
        match self {
            EntryRef::Uuid(u) => *u,
            EntryRef::EntryId(id) => id.uuid,
        }
    }

    /// The tree part, if the client gave one.
    pub fn tree_id(&self) -> Option<i64> {
        match self {
            EntryRef::Uuid(_) => None,
            EntryRef::EntryId(id) => Some(id.tree_id),
        }
    }
}

impl std::str::FromStr for EntryRef {
    type Err = Error;

    /// Parses 64 or 80 hex digits, upper or lower case.
    fn from_str(s: &str) -> Result<Self> {
        parse_entry_ref(s)
    }
}

/// Parses a UUID (64 hex) or entry ID (80 hex), accepting upper and lower case as Rekor's
/// route pattern `^([0-9a-fA-F]{64}|[0-9a-fA-F]{80})$` does.
///
/// # Errors
/// [`Error::InvalidEntryId`] for any other length or character, or a tree part above
/// `i64::MAX`.
pub fn parse_entry_ref(s: &str) -> Result<EntryRef> {
    let invalid = || Error::InvalidEntryId(s.to_owned());
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    let uuid_of = |hex_part: &str| -> Result<Uuid> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out).map_err(|_| invalid())?;
        Ok(Uuid(out))
    };
    match s.len() {
        64 => Ok(EntryRef::Uuid(uuid_of(s)?)),
        80 => {
            let (tree, uuid) = s.split_at(16);
            let tree = u64::from_str_radix(tree, 16).map_err(|_| invalid())?;
            let tree_id = i64::try_from(tree).map_err(|_| invalid())?;
            Ok(EntryRef::EntryId(EntryId::new(tree_id, uuid_of(uuid)?)))
        }
        _ => Err(invalid()),
    }
}
