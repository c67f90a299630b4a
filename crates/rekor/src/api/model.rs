//! Response shapes of the Rekor v1 API besides log entries (which [`crate::LogEntry`]
//! writes), field for field in Rekor's order (Go structs generated from its OpenAPI document,
//! which happen to be alphabetical), so [`super::json::encode`] writes the same bytes Rekor
//! does.

use serde::Serialize;

/// `GET /api/v1/log`.
#[derive(Debug, Serialize)]
pub(crate) struct LogInfo {
    /// Rekor writes `null` when the log has never been sharded.
    #[serde(rename = "inactiveShards")]
    pub inactive_shards: Option<Vec<()>>,
    #[serde(rename = "rootHash")]
    pub root_hash: String,
    #[serde(rename = "signedTreeHead")]
    pub signed_tree_head: String,
    /// Decimal string, not a number: tree IDs exceed what JSON numbers carry safely.
    #[serde(rename = "treeID")]
    pub tree_id: String,
    #[serde(rename = "treeSize")]
    pub tree_size: u64,
}

/// `GET /api/v1/log/proof`.
#[derive(Debug, Serialize)]
pub(crate) struct ConsistencyProof {
    /// RFC 6962 consistency proof, hex; `[]` for equal sizes.
    pub hashes: Vec<String>,
    /// Rekor fills this with the root of the *current* tree, whatever `lastSize` was.
    #[serde(rename = "rootHash")]
    pub root_hash: String,
}
