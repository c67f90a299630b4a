//! Inclusion and consistency proofs (RFC 9162 §2.1.3–2.1.4): generation from stored hashes and
//! verification.
//!
//! Generation is split in two so that I/O stays outside this crate: the `*_tiles` functions
//! say which tiles a proof reads, the caller fetches them (one round trip), and the proof
//! functions then read node hashes through [`HashReader`] — usually a [`crate::TileSet`].

use crate::hash::{node_hash, Hash};
use crate::range::{decompose, root_of_nodes, split_point, NodeId};
use crate::tiles::{tiles_for_nodes, TileId};

/// Reads the hashes of complete subtrees from wherever the tree is stored.
///
/// Every node asked for lies within the tree the proof is for; a reader that cannot find one
/// reports it as its own error. One call per proof, so a reader over a remote store can batch.
pub trait HashReader {
    /// What goes wrong while reading.
    type Error;
    /// The hashes of `nodes`, in the same order.
    fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, Self::Error>;
}

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf asked about.
        index: u64,
        /// The tree's size.
        size: u64,
    },
    /// Sizes that no consistency proof exists for (old size 0, or above the new size).
    #[error("no consistency proof from size {old} to size {new}")]
    InvalidSizes {
        /// The earlier tree size.
        old: u64,
        /// The later tree size.
        new: u64,
    },
    /// The proof has the wrong number of hashes for the index and sizes.
    #[error("proof has {got} hashes, want {want}")]
    WrongLength {
        /// Hashes received.
        got: usize,
        /// Hashes that a proof for these coordinates has.
        want: usize,
    },
    /// The recomputed root is not the expected one.
    #[error("recomputed root does not match")]
    RootMismatch,
}

/// An error from making a proof: bad coordinates, or the reader failed.
#[derive(Debug, thiserror::Error)]
pub enum ProveError<E> {
    /// The coordinates admit no proof.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The hash reader failed.
    #[error("reading stored hashes: {0}")]
    Read(E),
}

/// A half-open leaf range `[start, end)` whose hash is one element of a proof.
type LeafRange = (u64, u64);

/// The ranges whose hashes make up the inclusion proof of leaf `index` in a tree of `size`,
/// leaf to root (RFC 9162 §2.1.3.1 `PATH`).
fn inclusion_ranges(index: u64, size: u64) -> Result<Vec<LeafRange>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut out = Vec::new();
    let (mut lo, mut hi) = (0u64, size);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            out.push((lo + k, hi));
            hi = lo + k;
        } else {
            out.push((lo, lo + k));
            lo += k;
        }
    }
    out.reverse();
    Ok(out)
}

/// The ranges of the consistency proof from `old` to `new` (RFC 9162 §2.1.4.1 `SUBPROOF`).
fn consistency_ranges(old: u64, new: u64) -> Result<Vec<LeafRange>, ProofError> {
    if old == 0 || old > new {
        return Err(ProofError::InvalidSizes { old, new });
    }
    let mut out = Vec::new();
    let (mut m, mut lo, mut hi, mut whole) = (old, 0u64, new, true);
    while m != hi - lo {
        let k = split_point(hi - lo);
        if m <= k {
            out.push((lo + k, hi));
            hi = lo + k;
        } else {
            out.push((lo, lo + k));
            m -= k;
            lo += k;
            whole = false;
        }
    }
    if !whole {
        out.push((lo, hi));
    }
    out.reverse();
    Ok(out)
}

fn nodes_of(ranges: &[LeafRange]) -> Vec<NodeId> {
    ranges.iter().flat_map(|&(s, e)| decompose(s, e)).collect()
}

/// Reads every node of `ranges` in one call and folds each range into its hash.
fn read_ranges<R: HashReader>(
    ranges: &[LeafRange],
    reader: &R,
) -> Result<Vec<Hash>, ProveError<R::Error>> {
    let counts: Vec<usize> = ranges.iter().map(|&(s, e)| decompose(s, e).len()).collect();
    let hashes = reader
        .read_hashes(&nodes_of(ranges))
        .map_err(ProveError::Read)?;
    let mut out = Vec::with_capacity(ranges.len());
    let mut at = 0;
    for count in counts {
        let part = hashes.get(at..at + count).ok_or(ProofError::RootMismatch)?;
        out.push(root_of_nodes(part).ok_or(ProofError::RootMismatch)?);
        at += count;
    }
    Ok(out)
}

/// The complete-subtree nodes an inclusion proof reads (for callers that store every node).
pub fn inclusion_proof_nodes(index: u64, size: u64) -> Result<Vec<NodeId>, ProofError> {
    Ok(nodes_of(&inclusion_ranges(index, size)?))
}

/// The tiles, sized for `size`, that an inclusion proof of leaf `index` reads.
pub fn inclusion_proof_tiles(index: u64, size: u64) -> Result<Vec<TileId>, ProofError> {
    Ok(tiles_for_nodes(&inclusion_proof_nodes(index, size)?, size))
}

/// The tiles, sized for `new`, that a consistency proof from `old` to `new` reads. Empty
/// when the sizes are equal (the proof is empty).
pub fn consistency_proof_tiles(old: u64, new: u64) -> Result<Vec<TileId>, ProofError> {
    let nodes = nodes_of(&consistency_ranges(old, new)?);
    Ok(tiles_for_nodes(&nodes, new))
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves, leaf to root.
pub fn inclusion_proof<R: HashReader>(
    index: u64,
    size: u64,
    reader: &R,
) -> Result<Vec<Hash>, ProveError<R::Error>> {
    read_ranges(&inclusion_ranges(index, size)?, reader)
}

/// The consistency proof from the tree of `old` leaves to the tree of `new` leaves.
pub fn consistency_proof<R: HashReader>(
    old: u64,
    new: u64,
    reader: &R,
) -> Result<Vec<Hash>, ProveError<R::Error>> {
    read_ranges(&consistency_ranges(old, new)?, reader)
}

/// How many hashes an inclusion proof for `index` in a tree of `size` has: the levels below
/// the point where the paths to `index` and to the last leaf part (`inner`), plus one per
/// left-hand subtree on the way up from there (`border`).
fn inclusion_length(index: u64, size: u64) -> (u32, u32) {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = (index.checked_shr(inner).unwrap_or(0)).count_ones();
    (inner, border)
}

/// Verifies that `leaf` (a leaf *hash*) is at `index` in the tree of `size` with `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion(leaf, index, size, proof)?;
    if &computed == root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// The root that an inclusion proof implies, after checking its length: for callers that
/// compare against several candidate roots, or that only learn the root afterwards.
pub fn root_from_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (inner, border) = inclusion_length(index, size);
    let want = (inner + border) as usize;
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    let (inner_part, border_part) = proof.split_at(inner as usize);
    let mut hash = *leaf;
    for (level, sibling) in inner_part.iter().enumerate() {
        hash = if (index >> level) & 1 == 0 {
            node_hash(&hash, sibling)
        } else {
            node_hash(sibling, &hash)
        };
    }
    for sibling in border_part {
        hash = node_hash(sibling, &hash);
    }
    Ok(hash)
}

/// Verifies that the tree of `new` leaves with `new_root` extends the tree of `old` leaves
/// with `old_root`. Equal sizes need an empty proof and equal roots; old size 0 is refused,
/// as transparency-dev and the shared vectors do (there is nothing to be consistent with).
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), ProofError> {
    if old == 0 || old > new {
        return Err(ProofError::InvalidSizes { old, new });
    }
    if old == new {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            });
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    // The old tree's last leaf sits under a complete subtree of 2^shift leaves; its root is
    // either the old root itself (old is a power of two) or the proof's first hash.
    let shift = old.trailing_zeros();
    let index = (old - 1) >> shift;
    let size = ((new - 1) >> shift) + 1;
    let (seed, rest) = if index == 0 {
        (*old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(ProofError::WrongLength { got: 0, want: 1 }),
        }
    };
    let (inner, border) = inclusion_length(index, size);
    let want = (inner + border) as usize;
    if rest.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want: want + usize::from(index != 0),
        });
    }
    // Walking up from the seed, hashes on the right belong to the new tree only; hashes on the
    // left are shared by both trees.
    let (inner_part, border_part) = rest.split_at(inner as usize);
    let mut old_hash = seed;
    let mut new_hash = seed;
    for (level, sibling) in inner_part.iter().enumerate() {
        if (index >> level) & 1 == 0 {
            new_hash = node_hash(&new_hash, sibling);
        } else {
            old_hash = node_hash(sibling, &old_hash);
            new_hash = node_hash(sibling, &new_hash);
        }
    }
    for sibling in border_part {
        old_hash = node_hash(sibling, &old_hash);
        new_hash = node_hash(sibling, &new_hash);
    }
    if &old_hash == old_root && &new_hash == new_root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inclusion_ranges_for_size_7() {
        assert_eq!(
            inclusion_ranges(0, 7).unwrap_or_default(),
            vec![(1, 2), (2, 4), (4, 7)]
        );
        assert_eq!(
            inclusion_ranges(6, 7).unwrap_or_default(),
            vec![(4, 6), (0, 4)]
        );
    }

    #[test]
    fn consistency_ranges_match_rfc_examples() {
        // RFC 9162 §2.1.5: PROOF(3, D[7]) = [c, d, g, l] = [2..3, 3..4, 0..2, 4..7].
        assert_eq!(
            consistency_ranges(3, 7).unwrap_or_default(),
            vec![(2, 3), (3, 4), (0, 2), (4, 7)]
        );
        // PROOF(4, D[7]) = [l] ; PROOF(6, D[7]) = [i, j, k] = [4..6, 6..7, 0..4].
        assert_eq!(consistency_ranges(4, 7).unwrap_or_default(), vec![(4, 7)]);
        assert_eq!(
            consistency_ranges(6, 7).unwrap_or_default(),
            vec![(4, 6), (6, 7), (0, 4)]
        );
        assert_eq!(consistency_ranges(5, 5).unwrap_or_default(), vec![]);
    }
}
