//! The pure core of sigstack: RFC 6962 / RFC 9162 Merkle trees, C2SP tlog-tiles coordinates,
//! and C2SP signed notes and checkpoints.
//!
//! This crate does no I/O, spawns nothing, reads no clock and knows no database. Every server
//! crate and every outside auditor depends on it, so it must be small enough to read in one
//! sitting and exact enough that real Sigstore clients accept what it produces byte for byte.
//! Proof functions read stored hashes through the one-method [`HashReader`] trait; helpers say
//! beforehand *which* tiles a proof needs ([`inclusion_proof_tiles`],
//! [`consistency_proof_tiles`]) so an async caller can fetch them in one round trip and then
//! run the proof synchronously over a [`TileSet`].
#![forbid(unsafe_code)]

mod append;
pub mod checkpoint;
mod hash;
pub mod note;
mod proof;
mod range;
pub mod signature;
pub mod tiles;

pub use append::{AppendOutcome, RightEdge, RightEdgeError, TileWrite};
pub use hash::{leaf_hash, node_hash, Hash, EMPTY_ROOT, HASH_SIZE};
pub use proof::{
    consistency_proof, consistency_proof_tiles, inclusion_proof, inclusion_proof_nodes,
    inclusion_proof_tiles, root_from_inclusion, verify_consistency, verify_inclusion, HashReader,
    ProofError, ProveError,
};
pub use range::{root_of_nodes, NodeId};
pub use tiles::{
    entries_path_for_index, parse_entries_path, MissingTile, Tile, TileError, TileId, TileSet,
    TILE_WIDTH,
};
