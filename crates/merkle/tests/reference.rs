//! Property tests against a deliberately naive reference: RFC 6962's recursive definitions
//! written out literally, with no tiles, no incremental state and no cleverness.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use sigstack_merkle::{
    consistency_proof, consistency_proof_tiles, inclusion_proof, inclusion_proof_tiles, leaf_hash,
    node_hash, verify_consistency, verify_inclusion, Hash, RightEdge, Tile, TileId, TileSet,
    EMPTY_ROOT,
};

/// MTH(D[n]) exactly as RFC 6962 §2.1 defines it.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => EMPTY_ROOT,
        1 => leaves[0],
        n => {
            let k = largest_power_below(n);
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// The largest power of two strictly below `n` (RFC 6962's `k`).
fn largest_power_below(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// PATH(m, D[n]), RFC 6962 §2.1.1.
fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    let k = largest_power_below(n);
    if m < k {
        let mut p = path(m, &leaves[..k]);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = path(m - k, &leaves[k..]);
        p.push(mth(&leaves[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b), RFC 6962 §2.1.2.
fn subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if whole { vec![] } else { vec![mth(leaves)] };
    }
    let k = largest_power_below(n);
    if m <= k {
        let mut p = subproof(m, &leaves[..k], whole);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = subproof(m - k, &leaves[k..], false);
        p.push(mth(&leaves[..k]));
        p
    }
}

fn leaves(n: usize, seed: u64) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(format!("{seed}/{i}").as_bytes()))
        .collect()
}

/// A tile store as a log keeps it: every tile row ever written, latest width wins.
#[derive(Default)]
struct Store {
    tiles: BTreeMap<(u8, u64), Vec<Hash>>,
}

impl Store {
    fn write(&mut self, outcome: &sigstack_merkle::AppendOutcome) {
        for t in &outcome.tiles {
            assert_eq!(t.hashes.len(), usize::from(t.id.width));
            let slot = self.tiles.entry((t.id.level, t.id.index)).or_default();
            // Tiles only ever grow: the new row must extend the old one.
            assert!(
                t.hashes.starts_with(slot),
                "tile {:?} rewrote history",
                t.id
            );
            *slot = t.hashes.clone();
        }
    }

    /// The tiles `ids` name, cut to the widths asked for (as a store serving an older tree).
    fn fetch(&self, ids: &[TileId]) -> TileSet {
        let mut set = TileSet::new();
        for id in ids {
            let row = &self.tiles[&(id.level, id.index)];
            let tile = Tile::new(*id, row[..usize::from(id.width)].to_vec()).unwrap();
            set.insert(Arc::new(tile));
        }
        set
    }
}

/// Builds a tree by appending `all` in batches cut at `cuts`, checking the root after each.
fn build(all: &[Hash], cuts: &[usize]) -> (RightEdge, Store) {
    let mut edge = RightEdge::empty();
    let mut store = Store::default();
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (all.len() + 1)).collect();
    bounds.push(all.len());
    bounds.sort_unstable();
    let mut at = 0;
    for b in bounds {
        let outcome = edge.append(&all[at..b]).unwrap();
        assert_eq!(outcome.size, b as u64);
        assert_eq!(
            outcome.root,
            mth(&all[..b]),
            "root after batch ending at {b}"
        );
        store.write(&outcome);
        // The edge can always be rebuilt from the partial tiles alone.
        let rebuilt = RightEdge::from_partial_tiles(edge.size(), edge.partial_tiles()).unwrap();
        assert_eq!(rebuilt, edge);
        at = b;
    }
    (edge, store)
}

/// What an inclusion verifier's computation depends on besides the hashes: the index's bits
/// below the split with the last leaf, and the number of hashes above it. `None` off the tree.
fn shape(index: u64, size: u64) -> Option<(u64, u32, u32)> {
    if index >= size {
        return None;
    }
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    let low_bits = 1u64.checked_shl(inner).map_or(u64::MAX, |b| b - 1);
    Some((index & low_bits, inner, border))
}

/// The same for a consistency verifier, which starts from the old tree's last full subtree.
fn consistency_shape(old: u64, new: u64) -> Option<(u64, u32, u32, bool)> {
    if old == 0 || old >= new {
        return None;
    }
    let shift = old.trailing_zeros();
    let (i, s, c) = shape((old - 1) >> shift, ((new - 1) >> shift) + 1)?;
    Some((i, s, c, (old - 1) >> shift == 0))
}

fn flip(h: &mut Hash, bit: usize) {
    h[(bit / 8) % 32] ^= 1 << (bit % 8);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn append_matches_reference(n in 0usize..3000, cuts in prop::collection::vec(any::<usize>(), 0..12), seed in any::<u64>()) {
        let all = leaves(n, seed);
        let (edge, _) = build(&all, &cuts);
        prop_assert_eq!(edge.root(), mth(&all));
    }

    #[test]
    fn inclusion_proofs_match_reference(n in 1usize..2500, pick in any::<usize>(), older in any::<usize>(), bit in 0usize..256, seed in any::<u64>()) {
        let all = leaves(n, seed);
        let (_, store) = build(&all, &[n / 3, n / 2]);
        // A proof against the current tree and one against an older size served from the same
        // (since grown) tiles.
        for size in [n, 1 + older % n] {
            let index = pick % size;
            let set = store.fetch(&inclusion_proof_tiles(index as u64, size as u64).unwrap());
            let proof = inclusion_proof(index as u64, size as u64, &set).unwrap();
            prop_assert_eq!(&proof, &path(index, &all[..size]));
            let root = mth(&all[..size]);
            let leaf = all[index];
            prop_assert!(verify_inclusion(&leaf, index as u64, size as u64, &proof, &root).is_ok());

            let mut bad_root = root;
            flip(&mut bad_root, bit);
            prop_assert!(verify_inclusion(&leaf, index as u64, size as u64, &proof, &bad_root).is_err());
            let mut bad_leaf = leaf;
            flip(&mut bad_leaf, bit);
            prop_assert!(verify_inclusion(&bad_leaf, index as u64, size as u64, &proof, &root).is_err());
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let at = bit % bad.len();
                flip(&mut bad[at], bit);
                prop_assert!(verify_inclusion(&leaf, index as u64, size as u64, &bad, &root).is_err());
                prop_assert!(verify_inclusion(&leaf, index as u64, size as u64, &proof[1..], &root).is_err());
            }
            let mut longer = proof.clone();
            longer.push(root);
            prop_assert!(verify_inclusion(&leaf, index as u64, size as u64, &longer, &root).is_err());
            prop_assert!(verify_inclusion(&leaf, (index ^ (1 << (bit % 12))) as u64, size as u64, &proof, &root).is_err());
            // A proof binds the tree size only through its shape (the checkpoint signature binds
            // size and root together): any size flip that changes the shape must fail.
            let flipped = (size as u64) ^ (1 << (bit % 40));
            if shape(index as u64, flipped) != shape(index as u64, size as u64) {
                prop_assert!(verify_inclusion(&leaf, index as u64, flipped, &proof, &root).is_err());
            }
            prop_assert!(verify_inclusion(&leaf, size as u64, size as u64, &proof, &root).is_err());
        }
    }

    #[test]
    fn consistency_proofs_match_reference(n in 1usize..2500, a in any::<usize>(), bit in 0usize..256, seed in any::<u64>()) {
        let all = leaves(n, seed);
        let (_, store) = build(&all, &[n / 4]);
        let old = 1 + a % n;
        let set = store.fetch(&consistency_proof_tiles(old as u64, n as u64).unwrap());
        let proof = consistency_proof(old as u64, n as u64, &set).unwrap();
        prop_assert_eq!(&proof, &subproof(old, &all, true));
        let (r1, r2) = (mth(&all[..old]), mth(&all));
        prop_assert!(verify_consistency(old as u64, n as u64, &proof, &r1, &r2).is_ok());

        let mut bad1 = r1;
        flip(&mut bad1, bit);
        prop_assert!(verify_consistency(old as u64, n as u64, &proof, &bad1, &r2).is_err());
        let mut bad2 = r2;
        flip(&mut bad2, bit);
        prop_assert!(verify_consistency(old as u64, n as u64, &proof, &r1, &bad2).is_err());
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let at = bit % bad.len();
            flip(&mut bad[at], bit);
            prop_assert!(verify_consistency(old as u64, n as u64, &bad, &r1, &r2).is_err());
            prop_assert!(verify_consistency(old as u64, n as u64, &proof[..proof.len() - 1], &r1, &r2).is_err());
        }
        for (o, m) in [(old as u64 ^ (1 << (bit % 12)), n as u64), (old as u64, n as u64 ^ (1 << (bit % 40)))] {
            if consistency_shape(o, m) != consistency_shape(old as u64, n as u64) {
                prop_assert!(verify_consistency(o, m, &proof, &r1, &r2).is_err());
            }
        }
        prop_assert!(verify_consistency(0, n as u64, &proof, &r1, &r2).is_err());
        prop_assert!(verify_consistency(n as u64 + 1, n as u64, &proof, &r1, &r2).is_err());
    }
}

#[test]
fn tiles_from_appends_equal_reference_levels() {
    // 70000 leaves: full and partial tiles at three levels, each equal to the reference's
    // level-8L subtree roots.
    let n = 70_000;
    let all = leaves(n, 7);
    let (_, store) = build(&all, &[1, 255, 256, 257, 65_535, 65_536, 69_999]);
    for ((level, index), row) in &store.tiles {
        let span = 1usize << (8 * u32::from(*level));
        for (i, h) in row.iter().enumerate() {
            let start = (*index as usize * 256 + i) * span;
            assert_eq!(
                *h,
                mth(&all[start..start + span]),
                "tile {level}/{index} pos {i}"
            );
        }
    }
    let widths: Vec<(u8, u64, usize)> = TileId::partial_tiles(n as u64)
        .iter()
        .map(|t| (t.level, t.index, store.tiles[&(t.level, t.index)].len()))
        .collect();
    assert_eq!(widths, [(0, 273, 112), (1, 1, 17), (2, 0, 1)]);
}

#[test]
fn append_refuses_overflow_and_leaves_edge_unchanged() {
    let mut edge = RightEdge::empty();
    edge.append(&leaves(3, 1)).unwrap();
    let before = edge.clone();
    let partial = edge.partial_tiles();
    assert!(RightEdge::from_partial_tiles(4, partial.clone()).is_err());
    assert!(RightEdge::from_partial_tiles(3, vec![]).is_err());
    assert_eq!(edge, before);
}
