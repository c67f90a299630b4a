//! The durable append-only log engine shared by the transparency log and the CT log.
//!
//! It stores opaque entries in a Merkle tree kept as C2SP tiles, batches concurrent
//! submissions, and integrates each batch in one transaction with a freshly signed
//! checkpoint. It knows nothing of Rekor or CT: entries are bytes with a kind label, search
//! keys and a receipt that a service-supplied stamper computes or the submission carries.
#![forbid(unsafe_code)]

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql_common;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod store;

mod cache;
pub mod clock;
mod error;
pub mod fsck;
mod ledger;
pub mod memory;
pub mod metrics;
mod point_reads;
mod reader;
mod recent;
pub mod replica;
mod sequencer;
mod warm;

pub use clock::{Clock, SystemClock};
pub use error::LedgerError;
pub use fsck::{fsck, fsck_since, FsckError, FsckProblem, FsckReport};
pub use ledger::{Accepted, CheckpointSigner, Ledger, LedgerConfig, Stamper, Submission};
pub use memory::{IntegrateFault, MemoryStore};
pub use metrics::{EntryOutcome, MetricsSnapshot, OutcomeCounters};
pub use replica::{ReplicaLease, ReplicaReads};
