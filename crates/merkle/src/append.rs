//! Incremental append: extend a tree from its right edge without reading the rest of it.
//!
//! Everything needed to continue a tree is its rightmost partial tile at each tile level
//! (fewer than 256 hashes each, so a few KiB for any tree a log will ever hold). Appending a
//! batch costs one leaf-level hash step per new leaf plus O(log n) to refresh the root, and
//! produces exactly the tile rows the store must write: every tile that became full, and the
//! new partial tile of every level the batch touched.

use crate::hash::{node_hash, Hash, EMPTY_ROOT};
use crate::range::{decompose, root_of_nodes};
use crate::tiles::{TileId, TILE_HEIGHT, TILE_WIDTH};

/// Why a right edge could not be rebuilt from stored tiles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RightEdgeError {
    /// The tiles given are not exactly the partial tiles of a tree of that size.
    #[error("tree of size {size} needs partial tiles {want:?}, got {got:?}")]
    WrongTiles {
        /// The tree size.
        size: u64,
        /// The partial tiles the size implies.
        want: Vec<TileId>,
        /// The tiles supplied.
        got: Vec<TileId>,
    },
    /// A batch would overflow the 64-bit tree size.
    #[error("tree size would overflow")]
    Overflow,
}

/// One tile row the store must write after an append: the tile's coordinates and its hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileWrite {
    /// Where the tile goes; `id.width == hashes.len()`.
    pub id: TileId,
    /// The tile's bottom row.
    pub hashes: Vec<Hash>,
}

/// The result of appending a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The tree size after the batch.
    pub size: u64,
    /// The root after the batch.
    pub root: Hash,
    /// Tiles to store, full tiles first in the order they filled, then the new partial tiles.
    pub tiles: Vec<TileWrite>,
}

/// The right edge of a tree: its size, the partial tile of every level, and the roots of the
/// complete subtrees the tree decomposes into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightEdge {
    size: u64,
    /// `rows[L]`: hashes of tree level `8·L` in the rightmost incomplete tile of level `L`.
    rows: Vec<Vec<Hash>>,
    /// The complete subtrees the tree splits into, left (tallest) to right: `(level, hash)`.
    frontier: Vec<(u8, Hash)>,
}

impl Default for RightEdge {
    fn default() -> Self {
        Self::empty()
    }
}

impl RightEdge {
    /// The right edge of the empty tree.
    pub fn empty() -> Self {
        Self {
            size: 0,
            rows: Vec::new(),
            frontier: Vec::new(),
        }
    }

    /// Rebuilds the edge of a tree of `size` leaves from its partial tiles, which must be
    /// exactly [`TileId::partial_tiles`]`(size)` (any order).
    pub fn from_partial_tiles(size: u64, tiles: Vec<TileWrite>) -> Result<Self, RightEdgeError> {
        let want = TileId::partial_tiles(size);
        let mut got: Vec<TileId> = tiles.iter().map(|t| t.id).collect();
        got.sort_unstable();
        let mut want_sorted = want.clone();
        want_sorted.sort_unstable();
        let lengths_ok = tiles
            .iter()
            .all(|t| t.hashes.len() == usize::from(t.id.width));
        if got != want_sorted || !lengths_ok {
            return Err(RightEdgeError::WrongTiles { size, want, got });
        }
        let levels = tile_levels(size);
        let mut rows = vec![Vec::new(); levels];
        for tile in tiles {
            rows[usize::from(tile.id.level)] = tile.hashes;
        }
        let mut frontier = Vec::new();
        for (level, row) in rows.iter().enumerate().rev() {
            for node in decompose(0, row.len() as u64) {
                let start = node.first_leaf() as usize;
                let span = 1usize << node.level;
                let hash = subtree_root(&row[start..start + span]);
                frontier.push((node.level + level as u8 * TILE_HEIGHT, hash));
            }
        }
        Ok(Self {
            size,
            rows,
            frontier,
        })
    }

    /// The number of leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The tree's root hash.
    pub fn root(&self) -> Hash {
        let hashes: Vec<Hash> = self.frontier.iter().map(|(_, h)| *h).collect();
        root_of_nodes(&hashes).unwrap_or(EMPTY_ROOT)
    }

    /// The partial tiles as they stand, lowest level first (what a store keeps to rebuild
    /// this edge later).
    pub fn partial_tiles(&self) -> Vec<TileWrite> {
        TileId::partial_tiles(self.size)
            .into_iter()
            .map(|id| TileWrite {
                id,
                hashes: self.rows[usize::from(id.level)].clone(),
            })
            .collect()
    }

    /// Appends leaf hashes and returns the new size, root and the tiles to store. On error the
    /// edge is unchanged.
    pub fn append(&mut self, leaves: &[Hash]) -> Result<AppendOutcome, RightEdgeError> {
        let new_size = self
            .size
            .checked_add(leaves.len() as u64)
            .ok_or(RightEdgeError::Overflow)?;
        let mut tiles = Vec::new();
        let mut touched = vec![false; tile_levels(new_size)];
        for leaf in leaves {
            self.push_leaf(*leaf, &mut tiles, &mut touched);
        }
        debug_assert_eq!(self.size, new_size);
        for (level, was_touched) in touched.iter().enumerate() {
            let row = &self.rows[level];
            if *was_touched && !row.is_empty() {
                let width = row.len() as u16;
                let index =
                    (self.size >> (level as u32 * u32::from(TILE_HEIGHT))) / u64::from(TILE_WIDTH);
                tiles.push(TileWrite {
                    id: TileId {
                        level: level as u8,
                        index,
                        width,
                    },
                    hashes: row.clone(),
                });
            }
        }
        Ok(AppendOutcome {
            size: self.size,
            root: self.root(),
            tiles,
        })
    }

    fn push_leaf(&mut self, leaf: Hash, tiles: &mut Vec<TileWrite>, touched: &mut Vec<bool>) {
        self.size += 1;
        self.push_row_hash(0, leaf, tiles, touched);
        let mut node = (0u8, leaf);
        // Merge equal-height subtrees on the frontier, like carrying in binary addition.
        while let Some(&(level, left)) = self.frontier.last() {
            if level != node.0 {
                break;
            }
            self.frontier.pop();
            node = (level + 1, node_hash(&left, &node.1));
            if node.0.is_multiple_of(TILE_HEIGHT) {
                self.push_row_hash(node.0 / TILE_HEIGHT, node.1, tiles, touched);
            }
        }
        self.frontier.push(node);
    }

    /// Adds a hash of tree level `8·tile_level` to that level's partial tile, emitting the
    /// tile when it fills.
    fn push_row_hash(
        &mut self,
        tile_level: u8,
        hash: Hash,
        tiles: &mut Vec<TileWrite>,
        touched: &mut Vec<bool>,
    ) {
        let level = usize::from(tile_level);
        if self.rows.len() <= level {
            self.rows.resize(level + 1, Vec::new());
        }
        if touched.len() <= level {
            touched.resize(level + 1, false);
        }
        touched[level] = true;
        let row = &mut self.rows[level];
        row.push(hash);
        if row.len() == usize::from(TILE_WIDTH) {
            let hashes_at_level = self.size >> (u32::from(tile_level) * u32::from(TILE_HEIGHT));
            tiles.push(TileWrite {
                id: TileId {
                    level: tile_level,
                    index: hashes_at_level / u64::from(TILE_WIDTH) - 1,
                    width: TILE_WIDTH,
                },
                hashes: std::mem::take(row),
            });
        }
    }
}

/// The number of tile levels with any hash in a tree of `size` leaves.
fn tile_levels(size: u64) -> usize {
    let mut levels = 0;
    let mut hashes = size;
    while hashes > 0 {
        levels += 1;
        hashes >>= TILE_HEIGHT;
    }
    levels
}

/// The root of a complete subtree given its bottom row (length a power of two).
fn subtree_root(row: &[Hash]) -> Hash {
    let mut level: Vec<Hash> = row.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|p| node_hash(&p[0], &p[1]))
            .collect();
    }
    level.first().copied().unwrap_or(EMPTY_ROOT)
}
