//! C2SP tlog-tiles coordinates: which hashes live in which tile, and the resource paths.
//!
//! A tile at tile level `L` holds up to 256 consecutive hashes of tree level `8·L`; every hash
//! between those levels is recomputed from the tile's bottom row. Full tiles never change, so
//! storage can cache them forever; the rightmost tile of each level is *partial* and is named
//! by its width (`.p/W`). A tile of width `W` is always a prefix of the wider tiles that follow.

use std::collections::HashMap;
use std::sync::Arc;

use crate::hash::{node_hash, Hash, HASH_SIZE};
use crate::range::NodeId;

/// Tree levels covered by one tile level: a tile holds `2^TILE_HEIGHT` hashes.
pub const TILE_HEIGHT: u8 = 8;
/// Hashes in a full tile (and entries in a full entry bundle).
pub const TILE_WIDTH: u16 = 1 << TILE_HEIGHT;
/// The highest tile level a path may name (C2SP tlog-tiles).
pub const MAX_TILE_LEVEL: u8 = 63;

/// Why a tile coordinate or path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// A width outside `1..=256`.
    #[error("tile width {0} is outside 1..=256")]
    Width(u32),
    /// A level above 63.
    #[error("tile level {0} is above 63")]
    Level(u64),
    /// The path does not follow the tlog-tiles encoding.
    #[error("malformed tile path: {0}")]
    Path(&'static str),
    /// Tile contents whose length is not a whole number of hashes, or not the tile's width.
    #[error("tile {path} holds {got} bytes, want {want}")]
    Contents {
        /// The tile's path.
        path: String,
        /// Bytes received.
        got: usize,
        /// Bytes expected for the tile's width.
        want: usize,
    },
}

/// The coordinates of one tile: level, index along the level, and width (256 when full).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TileId {
    /// Tile level: the tile holds hashes of tree level `8·level`.
    pub level: u8,
    /// Index of the tile along its level.
    pub index: u64,
    /// Number of hashes in the tile, `1..=256`.
    pub width: u16,
}

impl TileId {
    /// A tile coordinate, refusing widths and levels the spec does not allow.
    pub fn new(level: u8, index: u64, width: u16) -> Result<Self, TileError> {
        if level > MAX_TILE_LEVEL {
            return Err(TileError::Level(level.into()));
        }
        if width == 0 || width > TILE_WIDTH {
            return Err(TileError::Width(width.into()));
        }
        Ok(Self {
            level,
            index,
            width,
        })
    }

    /// Whether the tile holds all 256 hashes and so can never change.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The tile at `(level, index)` as it is in a tree of `tree_size` leaves, or `None` when
    /// the tree has no hash in it yet.
    pub fn in_tree(level: u8, index: u64, tree_size: u64) -> Option<Self> {
        let shift = u32::from(level) * u32::from(TILE_HEIGHT);
        let hashes_at_level = tree_size.checked_shr(shift).unwrap_or(0);
        let before = index.checked_mul(u64::from(TILE_WIDTH))?;
        let available = hashes_at_level.checked_sub(before)?;
        let width = available.min(u64::from(TILE_WIDTH));
        (width > 0).then_some(Self {
            level,
            index,
            width: width as u16,
        })
    }

    /// The tile, as it is in a tree of `tree_size` leaves, whose bottom row holds the hashes
    /// `node` is computed from. `node` must be a complete subtree of that tree.
    pub fn for_node(node: NodeId, tree_size: u64) -> Option<Self> {
        let (level, index, _, _) = node_location(node);
        Self::in_tree(level, index, tree_size)
    }

    /// The rightmost, partial tile of each level of a tree of `tree_size` leaves, lowest level
    /// first. These (and nothing else) are what an appender must load to continue the tree.
    pub fn partial_tiles(tree_size: u64) -> Vec<Self> {
        let mut out = Vec::new();
        let mut level = 0u8;
        let mut hashes = tree_size;
        while hashes > 0 {
            let width = (hashes % u64::from(TILE_WIDTH)) as u16;
            if width > 0 {
                out.push(Self {
                    level,
                    index: hashes / u64::from(TILE_WIDTH),
                    width,
                });
            }
            hashes >>= TILE_HEIGHT;
            level += 1;
        }
        out
    }

    /// The resource path: `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!(
            "tile/{}/{}",
            self.level,
            index_path(self.index, self.width_suffix())
        )
    }

    /// The path of the entry bundle that holds the leaves this level-0 tile hashes:
    /// `tile/entries/<N>[.p/<W>]`.
    pub fn entries_path(&self) -> String {
        format!(
            "tile/entries/{}",
            index_path(self.index, self.width_suffix())
        )
    }

    fn width_suffix(&self) -> Option<u16> {
        (!self.is_full()).then_some(self.width)
    }

    /// Parses `tile/<L>/<N>[.p/<W>]`.
    pub fn parse_path(path: &str) -> Result<Self, TileError> {
        let rest = path
            .strip_prefix("tile/")
            .ok_or(TileError::Path("missing tile/ prefix"))?;
        let (level, rest) = rest
            .split_once('/')
            .ok_or(TileError::Path("missing level"))?;
        Self::parse_level_index(level, rest)
    }

    /// Parses the level and index parts of a tile path separately, as an HTTP router that has
    /// already split `tile/{level}/{index...}` hands them over.
    pub fn parse_level_index(level: &str, index: &str) -> Result<Self, TileError> {
        let level = parse_decimal(level).ok_or(TileError::Path("level is not a number"))?;
        if level > u64::from(MAX_TILE_LEVEL) {
            return Err(TileError::Level(level));
        }
        let (index, width) = parse_index_path(index)?;
        Self::new(level as u8, index, width)
    }

    /// Checks that raw tile contents (concatenated hashes) match this tile's width and splits
    /// them into hashes.
    pub fn split_contents(&self, bytes: &[u8]) -> Result<Vec<Hash>, TileError> {
        let want = usize::from(self.width) * HASH_SIZE;
        if bytes.len() != want {
            return Err(TileError::Contents {
                path: self.path(),
                got: bytes.len(),
                want,
            });
        }
        Ok(bytes
            .chunks_exact(HASH_SIZE)
            .map(|c| {
                let mut h = [0u8; HASH_SIZE];
                h.copy_from_slice(c);
                h
            })
            .collect())
    }
}

/// The bundle path for entry number `index` in a log of `tree_size` entries, or `None` when
/// the entry is not in the log.
pub fn entries_path_for_index(index: u64, tree_size: u64) -> Option<String> {
    if index >= tree_size {
        return None;
    }
    TileId::in_tree(0, index / u64::from(TILE_WIDTH), tree_size).map(|t| t.entries_path())
}

/// Parses the part after `tile/entries/`: returns the bundle index and width.
pub fn parse_entries_path(rest: &str) -> Result<(u64, u16), TileError> {
    parse_index_path(rest)
}

/// Where in the tile grid a complete-subtree node's hash comes from: `(tile level, tile
/// index, first position in the tile, number of bottom-row hashes it spans)`.
fn node_location(node: NodeId) -> (u8, u64, usize, usize) {
    let tile_level = node.level / TILE_HEIGHT;
    let height_in_tile = node.level % TILE_HEIGHT;
    let first = node.index << height_in_tile;
    let tile_index = first >> TILE_HEIGHT;
    let position = (first & u64::from(TILE_WIDTH - 1)) as usize;
    (tile_level, tile_index, position, 1usize << height_in_tile)
}

/// Encodes a tile index as 3-digit groups, every group but the last prefixed with `x`
/// (`1234067` → `x001/x234/067`), then the optional partial-width suffix.
fn index_path(index: u64, width: Option<u16>) -> String {
    let mut groups = Vec::new();
    let mut n = index;
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let mut out = String::new();
    for (i, group) in groups.iter().rev().enumerate() {
        if i + 1 < groups.len() {
            out.push_str(&format!("x{group:03}/"));
        } else {
            out.push_str(&format!("{group:03}"));
        }
    }
    if let Some(w) = width {
        out.push_str(&format!(".p/{w}"));
    }
    out
}

fn parse_index_path(s: &str) -> Result<(u64, u16), TileError> {
    let (index_part, width) = match s.split_once(".p/") {
        Some((index, width)) => {
            let w = parse_decimal(width).ok_or(TileError::Path("partial width is not a number"))?;
            if w == 0 || w >= u64::from(TILE_WIDTH) {
                return Err(TileError::Width(w.min(u64::from(u32::MAX)) as u32));
            }
            (index, w as u16)
        }
        None => (s, TILE_WIDTH),
    };
    let groups: Vec<&str> = index_part.split('/').collect();
    let mut index: u64 = 0;
    for (i, group) in groups.iter().enumerate() {
        let last = i + 1 == groups.len();
        let digits = if last {
            *group
        } else {
            group
                .strip_prefix('x')
                .ok_or(TileError::Path("non-final index element must start with x"))?
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TileError::Path("index elements are exactly three digits"));
        }
        let value = parse_decimal(digits).ok_or(TileError::Path("bad index digits"))?;
        index = index
            .checked_mul(1000)
            .and_then(|i| i.checked_add(value))
            .ok_or(TileError::Path("index overflows 64 bits"))?;
    }
    Ok((index, width))
}

/// Plain decimal without sign, spaces or leading `+`.
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A tile's hashes together with every interior hash of the subtrees inside it.
///
/// Expanding costs at most 255 node hashes once; afterwards any subtree hash inside the tile is
/// a lookup. Full tiles are immutable, so a storage layer can keep them expanded behind an
/// [`Arc`] for the life of the process and proofs cost almost no hashing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    id: TileId,
    /// `rows[h]` holds the complete subtrees of height `h` within the tile, left to right.
    rows: Vec<Vec<Hash>>,
}

impl Tile {
    /// Expands a tile from its bottom row. The number of hashes must equal the id's width.
    pub fn new(id: TileId, hashes: Vec<Hash>) -> Result<Self, TileError> {
        if hashes.len() != usize::from(id.width) {
            return Err(TileError::Contents {
                path: id.path(),
                got: hashes.len() * HASH_SIZE,
                want: usize::from(id.width) * HASH_SIZE,
            });
        }
        let mut rows = vec![hashes];
        while let Some(row) = rows.last().filter(|r| r.len() >= 2) {
            let next = row
                .chunks_exact(2)
                .map(|p| node_hash(&p[0], &p[1]))
                .collect();
            rows.push(next);
        }
        Ok(Self { id, rows })
    }

    /// Parses and expands raw tile contents.
    pub fn from_bytes(id: TileId, bytes: &[u8]) -> Result<Self, TileError> {
        Self::new(id, id.split_contents(bytes)?)
    }

    /// The tile's coordinates.
    pub fn id(&self) -> TileId {
        self.id
    }

    /// The tile's bottom row: the hashes it stores.
    pub fn hashes(&self) -> &[Hash] {
        &self.rows[0]
    }

    /// The tile's contents as served and stored: its hashes concatenated.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.hashes().concat()
    }

    /// The hash of a subtree `height` levels above the bottom row, `index` along that row.
    fn subtree(&self, height: u8, index: usize) -> Option<Hash> {
        self.rows.get(usize::from(height))?.get(index).copied()
    }
}

/// The tiles fetched for one proof (or any set of node look-ups), keyed by position.
///
/// Implements [`crate::HashReader`]: an async caller asks [`crate::inclusion_proof_tiles`]
/// which tiles it needs, fetches them in one round trip, and runs the proof over this set.
#[derive(Debug, Default, Clone)]
pub struct TileSet {
    tiles: HashMap<(u8, u64), Arc<Tile>>,
}

/// A node whose hash the tile set cannot produce.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no tile holds node at level {} index {}", .0.level, .0.index)]
pub struct MissingTile(pub NodeId);

impl TileSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tile; a wider copy of the same tile replaces a narrower one.
    pub fn insert(&mut self, tile: Arc<Tile>) {
        let key = (tile.id.level, tile.id.index);
        match self.tiles.get(&key) {
            Some(existing) if existing.id.width >= tile.id.width => {}
            _ => {
                self.tiles.insert(key, tile);
            }
        }
    }

    /// The hash of a complete subtree, if a tile in the set covers it.
    pub fn node(&self, node: NodeId) -> Result<Hash, MissingTile> {
        let (level, index, position, span) = node_location(node);
        let tile = self.tiles.get(&(level, index)).ok_or(MissingTile(node))?;
        let height = node.level % TILE_HEIGHT;
        tile.subtree(height, position / span)
            .ok_or(MissingTile(node))
    }
}

impl crate::proof::HashReader for TileSet {
    type Error = MissingTile;

    fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, MissingTile> {
        nodes.iter().map(|n| self.node(*n)).collect()
    }
}

/// The distinct tiles, sized for `tree_size`, that hold the given nodes.
pub(crate) fn tiles_for_nodes(nodes: &[NodeId], tree_size: u64) -> Vec<TileId> {
    let mut ids: Vec<TileId> = nodes
        .iter()
        .filter_map(|n| TileId::for_node(*n, tree_size))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_location_maps_levels_into_tiles() {
        assert_eq!(node_location(NodeId::new(0, 300)), (0, 1, 44, 1));
        assert_eq!(node_location(NodeId::new(3, 5)), (0, 0, 40, 8));
        assert_eq!(node_location(NodeId::new(8, 2)), (1, 0, 2, 1));
        assert_eq!(node_location(NodeId::new(9, 200)), (1, 1, 144, 2));
    }

    #[test]
    fn partial_tiles_of_70000() {
        let got = TileId::partial_tiles(70000);
        let paths: Vec<String> = got.iter().map(TileId::path).collect();
        assert_eq!(
            paths,
            ["tile/0/273.p/112", "tile/1/001.p/17", "tile/2/000.p/1"]
        );
        assert!(TileId::partial_tiles(0).is_empty());
        assert_eq!(TileId::partial_tiles(256)[0].path(), "tile/1/000.p/1");
    }

    #[test]
    fn in_tree_sizes_tiles() {
        assert_eq!(TileId::in_tree(0, 0, 0), None);
        assert_eq!(TileId::in_tree(0, 1, 256), None);
        assert_eq!(TileId::in_tree(0, 0, 300).map(|t| t.width), Some(256));
        assert_eq!(TileId::in_tree(0, 1, 300).map(|t| t.width), Some(44));
        assert_eq!(TileId::in_tree(7, 0, u64::MAX).map(|t| t.width), Some(255));
        assert_eq!(TileId::in_tree(8, 0, u64::MAX), None);
    }
}
