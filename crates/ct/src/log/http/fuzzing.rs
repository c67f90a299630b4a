//! The add-chain request path without the ledger, for the fuzz targets in `fuzz/` (not an
//! API: hidden from the docs and free to change with the handlers it mirrors).
//!
//! It runs what `POST add-chain` / `add-pre-chain` run before anything is stored: the JSON
//! body to DER certificates, chain validation against the accepted roots, and the leaf
//! encoding whose hash is the duplicate-detection key.

use super::params::chain_from_json;
use crate::log::chain::{validate, AcceptedRoots, LeafKind};
use crate::log::{identity_key, DEFAULT_MAX_CHAIN_LEN};

/// What an accepted chain turned into, so a fuzz target can check it.
#[derive(Debug)]
pub struct AcceptedChain {
    /// The `MerkleTreeLeaf` identity key the log would deduplicate on.
    pub identity: String,
    /// RFC 6962 `extra_data`.
    pub extra_data: Vec<u8>,
}

/// An add-chain (`precert == false`) or add-pre-chain body, validated against `roots` (DER).
///
/// # Errors
/// The client-facing reason, as the handler would answer it; or the reason `roots` cannot
/// be used (a configuration error, not a request error).
pub fn add_chain_body(
    body: &[u8],
    precert: bool,
    roots: Vec<Vec<u8>>,
) -> Result<AcceptedChain, String> {
    let chain = chain_from_json(body).map_err(|e| e.to_string())?;
    validate_chain(chain, precert, roots)
}

/// Like [`add_chain_body`] for a chain already decoded from its JSON body.
///
/// # Errors
/// As [`add_chain_body`].
pub fn validate_chain(
    chain: Vec<Vec<u8>>,
    precert: bool,
    roots: Vec<Vec<u8>>,
) -> Result<AcceptedChain, String> {
    let roots = AcceptedRoots::new(roots)?;
    let kind = if precert {
        LeafKind::Precertificate
    } else {
        LeafKind::Final
    };
    let validated =
        validate(chain, kind, &roots, DEFAULT_MAX_CHAIN_LEN).map_err(|e| e.to_string())?;
    let identity = identity_key(&validated.entry).map_err(|e| e.to_string())?;
    Ok(AcceptedChain {
        identity,
        extra_data: validated.extra_data,
    })
}
