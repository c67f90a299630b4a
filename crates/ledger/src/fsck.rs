//! An end-to-end check of one stored shard (`sigstack log fsck`).
//!
//! It trusts nothing but the entries' bodies: it re-reads the tree state, verifies the
//! checkpoint through the caller's verifier (signature and text are the service's
//! business) and checks it names the stored size and root, recomputes every leaf hash from
//! its body and every tile, lower levels first, from those leaves, and compares each with
//! what is stored, then the root. Given the `(size, root)` of an earlier run it also checks
//! that the tree did not shrink and that the recomputed tree had that root at that size —
//! a direct consistency check, no proof needed. Reads go in chunks of [`CHUNK`] entries, so
//! memory stays flat whatever the log's size.

use sigstack_merkle::{leaf_hash, Hash, RightEdge, TileWrite, EMPTY_ROOT};

use crate::store::{ShardId, Store, StoreError};

/// Entries read (and leaves appended) per step; a multiple of the tile width.
pub const CHUNK: u64 = 1024;

/// Problems recorded in full; beyond this only [`FsckReport::more_problems`] counts.
pub const MAX_PROBLEMS: usize = 100;

/// Verifies a stored checkpoint (signature included) and returns the size and root it
/// names.
pub type CheckpointVerifier<'a> = dyn Fn(&[u8]) -> Result<(u64, Hash), String> + Sync + 'a;

/// What fsck found wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FsckProblem {
    /// The checkpoint did not verify.
    #[error("checkpoint does not verify: {0}")]
    CheckpointInvalid(String),
    /// The checkpoint names another tree than the tree state row.
    #[error("checkpoint names size {checkpoint_size}, the tree state size {state_size} (or the roots differ)")]
    CheckpointMismatch {
        /// Size in the checkpoint.
        checkpoint_size: u64,
        /// Size in the tree state.
        state_size: u64,
    },
    /// No entry at an index below the tree size (the check stops there).
    #[error("entry {index} is missing")]
    MissingEntry {
        /// The first missing index.
        index: u64,
    },
    /// The store returned entries out of order or twice (the check stops there).
    #[error("entry {index} came back out of order")]
    OutOfOrder {
        /// The index that came back.
        index: u64,
    },
    /// An entry's stored leaf hash is not the hash of its body.
    #[error("entry {index}: stored leaf hash is not the leaf hash of its body")]
    LeafHashMismatch {
        /// The entry.
        index: u64,
    },
    /// An entry exists at or beyond the tree size (a half-written batch).
    #[error("entry {index} exists beyond the tree size")]
    EntryBeyondSize {
        /// The first such index.
        index: u64,
    },
    /// A tile the tree must have is not stored.
    #[error("tile {tile} is missing")]
    MissingTile {
        /// The tile's path.
        tile: String,
    },
    /// A stored tile differs from the one recomputed from the entries.
    #[error("tile {tile} differs from its recomputation")]
    TileMismatch {
        /// The tile's path.
        tile: String,
    },
    /// The recomputed root is not the stored root.
    #[error("recomputed root differs from the stored root")]
    RootMismatch,
    /// The tree is smaller than at the previous check.
    #[error("tree size went back from {previous} to {now}")]
    SizeWentBack {
        /// Size at the previous check.
        previous: u64,
        /// Size now.
        now: u64,
    },
    /// The tree's prefix of the previous size does not have the previous root.
    #[error("tree at size {previous_size} no longer has the root it had")]
    Inconsistent {
        /// Size at the previous check.
        previous_size: u64,
    },
}

/// Why fsck could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum FsckError {
    /// The shard has no tree state.
    #[error("shard {0} has no tree state")]
    NoState(ShardId),
    /// A store read failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What fsck checked and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsckReport {
    /// The stored tree size (keep it, with `root`, for the next run's `previous`).
    pub size: u64,
    /// The stored root.
    pub root: Hash,
    /// Entries whose leaf hash was recomputed.
    pub entries_checked: u64,
    /// Full tiles compared with their recomputation.
    pub full_tiles_checked: u64,
    /// Partial tiles compared with their recomputation.
    pub partial_tiles_checked: u64,
    /// Problems found, the first [`MAX_PROBLEMS`] of them.
    pub problems: Vec<FsckProblem>,
    /// Problems found beyond those listed.
    pub more_problems: u64,
}

impl FsckReport {
    /// Whether nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.more_problems == 0
    }

    fn problem(&mut self, p: FsckProblem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        } else {
            self.more_problems += 1;
        }
    }
}

/// Checks `shard` end to end (see the module docs).
pub async fn fsck<S: Store>(
    store: &S,
    shard: ShardId,
    verify_checkpoint: &CheckpointVerifier<'_>,
) -> Result<FsckReport, FsckError> {
    fsck_since(store, shard, verify_checkpoint, None).await
}

/// [`fsck`], and also that the tree still extends the `previous` `(size, root)` an earlier
/// run reported (sizes never go back; the first `previous.0` leaves still hash to
/// `previous.1`).
pub async fn fsck_since<S: Store>(
    store: &S,
    shard: ShardId,
    verify_checkpoint: &CheckpointVerifier<'_>,
    previous: Option<(u64, Hash)>,
) -> Result<FsckReport, FsckError> {
    let state = store
        .tree_state(shard)
        .await?
        .ok_or(FsckError::NoState(shard))?;
    let mut report = FsckReport {
        size: state.size,
        root: state.root,
        entries_checked: 0,
        full_tiles_checked: 0,
        partial_tiles_checked: 0,
        problems: Vec::new(),
        more_problems: 0,
    };
    match verify_checkpoint(&state.checkpoint) {
        Ok((size, root)) if size == state.size && root == state.root => {}
        Ok((size, _)) => report.problem(FsckProblem::CheckpointMismatch {
            checkpoint_size: size,
            state_size: state.size,
        }),
        Err(e) => report.problem(FsckProblem::CheckpointInvalid(e)),
    }
    let previous = match previous {
        Some((size, _)) if size > state.size => {
            report.problem(FsckProblem::SizeWentBack {
                previous: size,
                now: state.size,
            });
            None
        }
        Some((0, root)) => {
            if root != EMPTY_ROOT {
                report.problem(FsckProblem::Inconsistent { previous_size: 0 });
            }
            None
        }
        other => other,
    };

    let mut edge = RightEdge::empty();
    let mut next = 0u64;
    while next < state.size {
        let mut end = ((next / CHUNK) + 1).saturating_mul(CHUNK).min(state.size);
        if let Some((size, _)) = previous {
            if next < size && size < end {
                end = size;
            }
        }
        let Some(leaves) = recompute_leaves(store, shard, next, end, &mut report).await? else {
            return Ok(report);
        };
        // Cannot overflow: the sizes come from a u64 tree size.
        let Ok(outcome) = edge.append(&leaves) else {
            report.problem(FsckProblem::RootMismatch);
            return Ok(report);
        };
        let full: Vec<TileWrite> = outcome
            .tiles
            .into_iter()
            .filter(|t| t.id.is_full())
            .collect();
        report.full_tiles_checked += full.len() as u64;
        compare_tiles(store, shard, &full, &mut report).await?;
        next = end;
        if let Some((size, root)) = previous {
            if size == end && edge.root() != root {
                report.problem(FsckProblem::Inconsistent {
                    previous_size: size,
                });
            }
        }
    }
    if edge.root() != state.root {
        report.problem(FsckProblem::RootMismatch);
    }
    let partial = edge.partial_tiles();
    report.partial_tiles_checked = partial.len() as u64;
    compare_tiles(store, shard, &partial, &mut report).await?;
    let beyond = store
        .read_entries(shard, state.size, state.size.saturating_add(1))
        .await?;
    if let Some(e) = beyond.first() {
        report.problem(FsckProblem::EntryBeyondSize { index: e.index });
    }
    Ok(report)
}

/// The leaf hashes of entries `start..end`, recomputed from their bodies; `None` (with a
/// problem recorded) when an entry is missing or out of order.
async fn recompute_leaves<S: Store>(
    store: &S,
    shard: ShardId,
    start: u64,
    end: u64,
    report: &mut FsckReport,
) -> Result<Option<Vec<Hash>>, FsckError> {
    let entries = store.read_entries(shard, start, end).await?;
    let mut leaves = Vec::with_capacity(entries.len());
    let mut expect = start;
    for entry in entries {
        if entry.index > expect {
            report.problem(FsckProblem::MissingEntry { index: expect });
            return Ok(None);
        }
        if entry.index < expect {
            report.problem(FsckProblem::OutOfOrder { index: entry.index });
            return Ok(None);
        }
        let leaf = leaf_hash(&entry.body);
        if leaf != entry.leaf_hash {
            report.problem(FsckProblem::LeafHashMismatch { index: entry.index });
        }
        leaves.push(leaf);
        expect += 1;
        report.entries_checked += 1;
    }
    if expect < end {
        report.problem(FsckProblem::MissingEntry { index: expect });
        return Ok(None);
    }
    Ok(Some(leaves))
}

/// Compares recomputed tiles with the stored ones, in one read.
async fn compare_tiles<S: Store>(
    store: &S,
    shard: ShardId,
    want: &[TileWrite],
    report: &mut FsckReport,
) -> Result<(), FsckError> {
    if want.is_empty() {
        return Ok(());
    }
    let ids: Vec<_> = want.iter().map(|t| t.id).collect();
    let stored = store.read_tiles(shard, &ids).await?;
    for tile in want {
        match stored.iter().find(|s| s.id == tile.id) {
            None => report.problem(FsckProblem::MissingTile {
                tile: tile.id.path(),
            }),
            Some(s) if s.hashes != tile.hashes.concat() => {
                report.problem(FsckProblem::TileMismatch {
                    tile: tile.id.path(),
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}
