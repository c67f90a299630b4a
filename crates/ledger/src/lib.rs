//! The durable append-only log engine shared by the transparency log and the CT log.
//!
//! It stores opaque entries in a Merkle tree kept as C2SP tiles, batches concurrent
//! submissions, and integrates each batch in one transaction with a freshly signed
//! checkpoint. It knows nothing of Rekor or CT: entries are bytes with a kind label, search
//! keys and a receipt that a service-supplied stamper computes.
#![forbid(unsafe_code)]

pub mod store;
