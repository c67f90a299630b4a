//! The pure entry-type layer of sigstack's Rekor v1-compatible log.
//!
//! Everything here is a function of its inputs: no I/O, no async, no clock (callers pass
//! `integratedTime` in) and no keys (callers sign the SET payload). It turns a *proposed
//! entry* into the canonical body Rekor would store, byte for byte, after checking its
//! signatures as Rekor does; it names entries (UUID, entry ID); and it writes the SET payload
//! and the `LogEntry` JSON. The HTTP API ([`api`]) builds on this and owns the mapping
//! of [`Error`] to status codes.

#![forbid(unsafe_code)]

mod b64;
mod dsse;
mod json;
mod minisign;
mod pem;
mod pgp;
mod pubkey;
mod ssh;

pub mod api;
pub mod budget;
pub mod entry_id;
pub mod error;
pub mod kinds;
pub mod log_entry;
pub mod policy;
pub mod set;
pub mod verify;

pub use budget::{
    CancelFlag, WorkBudget, DEFAULT_MAX_MESSAGE_PASSES, DEFAULT_MAX_SIGNATURE_CHECKS,
};
pub use entry_id::{parse_entry_ref, EntryId, EntryRef, Uuid};
pub use error::{Error, Result};
pub use kinds::{
    canonicalize, canonicalize_value, canonicalize_value_within, canonicalize_within, parse_stored,
    CanonicalEntry, IndexedKey, KeyFormat, Kind, Mode, Options, SearchKeys,
};
pub use log_entry::{entries_to_json, InclusionProof, LogEntry, Verification};
pub use policy::AlgorithmPolicy;
pub use set::SetPayload;
