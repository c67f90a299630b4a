//! Subtrees and ranges of leaves: the vocabulary shared by proofs, tiles and appends.
//!
//! A *node* is the root of a complete (perfect) subtree: [`NodeId`] `{ level, index }` covers
//! leaves `index·2^level .. (index+1)·2^level`. Every hash a proof carries is the hash of a
//! leaf range `[start, end)`; a range that is not itself a complete subtree (the ragged right
//! edge of a tree) is the right fold of the complete subtrees it decomposes into.

use crate::hash::{node_hash, Hash};

/// The root of a complete subtree of `2^level` leaves, the `index`-th at that level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    /// Height above the leaves: 0 is a leaf hash.
    pub level: u8,
    /// Position among the nodes of this level, counted from the left.
    pub index: u64,
}

impl NodeId {
    /// Builds a node id.
    pub const fn new(level: u8, index: u64) -> Self {
        Self { level, index }
    }

    /// The first leaf this node covers.
    pub fn first_leaf(self) -> u64 {
        self.index << self.level
    }
}

/// Splits the leaf range `[start, end)` into the complete subtrees that make it up, from left
/// to right. The ranges proofs use always start at a multiple of a power of two at least as
/// large as the range, so the decomposition is the binary expansion of `end - start`, largest
/// subtree first; the general greedy rule below also covers unaligned starts.
pub(crate) fn decompose(start: u64, end: u64) -> Vec<NodeId> {
    let mut nodes = Vec::new();
    let mut at = start;
    while at < end {
        let remaining = end - at;
        // The largest power of two that both divides `at` (alignment) and fits the remainder.
        let align = if at == 0 { 63 } else { at.trailing_zeros() };
        let fit = 63 - remaining.leading_zeros();
        let level = align.min(fit);
        nodes.push(NodeId::new(level as u8, at >> level));
        at += 1u64 << level;
    }
    nodes
}

/// The hash of a run of adjacent complete subtrees given left to right: the right fold that
/// RFC 6962's MTH produces for a range whose left parts are perfect. `None` for no nodes.
pub fn root_of_nodes(hashes: &[Hash]) -> Option<Hash> {
    let (last, rest) = hashes.split_last()?;
    Some(rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)))
}

/// The largest power of two strictly less than `n` (`n` ≥ 2): RFC 6962's split point `k`.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decompose_follows_binary_expansion() {
        assert_eq!(decompose(0, 0), vec![]);
        assert_eq!(decompose(0, 1), vec![NodeId::new(0, 0)]);
        assert_eq!(
            decompose(0, 7),
            vec![NodeId::new(2, 0), NodeId::new(1, 2), NodeId::new(0, 6)]
        );
        assert_eq!(decompose(4, 7), vec![NodeId::new(1, 2), NodeId::new(0, 6)]);
        assert_eq!(decompose(8, 16), vec![NodeId::new(3, 1)]);
        assert_eq!(decompose(3, 8), vec![NodeId::new(0, 3), NodeId::new(2, 1)]);
    }

    #[test]
    fn split_point_is_largest_power_below() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(1 << 40), 1 << 39);
        assert_eq!(split_point((1 << 40) + 1), 1 << 40);
    }
}
