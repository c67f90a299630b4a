//! Criterion benchmarks for the hot paths: leaf hashing, batch append onto a large tree, and
//! inclusion proof generation and verification. Run: `cargo bench -p sigstack-merkle`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sigstack_merkle::{
    inclusion_proof, inclusion_proof_tiles, leaf_hash, root_from_inclusion, verify_inclusion, Hash,
    RightEdge, Tile, TileSet, TileWrite,
};

/// Deterministic pseudo-random hashes, so runs are comparable.
fn fake_hash(i: u64) -> Hash {
    leaf_hash(&i.to_le_bytes())
}

/// The right edge of a tree of `size` leaves made of fake hashes, built without the leaves.
fn edge_of(size: u64) -> RightEdge {
    let tiles = sigstack_merkle::TileId::partial_tiles(size)
        .into_iter()
        .map(|id| TileWrite {
            id,
            hashes: (0..u64::from(id.width))
                .map(|i| fake_hash(i + id.index))
                .collect(),
        })
        .collect();
    RightEdge::from_partial_tiles(size, tiles).unwrap()
}

/// Every tile an inclusion proof in a tree of `size` reads, filled with fake hashes.
fn tiles_for(index: u64, size: u64) -> TileSet {
    let mut set = TileSet::new();
    for id in inclusion_proof_tiles(index, size).unwrap() {
        let hashes = (0..u64::from(id.width))
            .map(|i| fake_hash(i ^ id.index))
            .collect();
        set.insert(Arc::new(Tile::new(id, hashes).unwrap()));
    }
    set
}

fn hashing(c: &mut Criterion) {
    let body = vec![0x5au8; 600]; // about the size of a hashedrekord canonical body
    let mut group = c.benchmark_group("leaf_hash");
    group.throughput(Throughput::Elements(1));
    group.bench_function("600_bytes", |b| b.iter(|| leaf_hash(black_box(&body))));
    group.finish();
}

fn append(c: &mut Criterion) {
    let batch: Vec<Hash> = (0..256).map(fake_hash).collect();
    let mut group = c.benchmark_group("append_256");
    group.throughput(Throughput::Elements(256));
    for (name, size) in [
        ("onto_2^10", 1u64 << 10),
        ("onto_2^20", 1 << 20),
        ("onto_2^30", (1 << 30) + 77),
    ] {
        let edge = edge_of(size);
        group.bench_function(name, |b| {
            b.iter_batched(
                || edge.clone(),
                |mut e| e.append(black_box(&batch)).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn proofs(c: &mut Criterion) {
    let size = (1u64 << 30) + 12_345;
    let index = 987_654_321;
    let set = tiles_for(index, size);
    let proof = inclusion_proof(index, size, &set).unwrap();
    assert_eq!(proof.len(), 31);
    let leaf = fake_hash(5);
    let root = root_from_inclusion(&leaf, index, size, &proof).unwrap();
    let mut group = c.benchmark_group("inclusion_proof");
    group.bench_function("generate_2^30_cached_tiles", |b| {
        b.iter(|| inclusion_proof(black_box(index), size, &set).unwrap())
    });
    group.bench_function("plan_tiles_2^30", |b| {
        b.iter(|| inclusion_proof_tiles(black_box(index), size).unwrap())
    });
    group.bench_function("verify_31_hashes", |b| {
        b.iter(|| {
            verify_inclusion(black_box(&leaf), index, size, black_box(&proof), &root).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, hashing, append, proofs);
criterion_main!(benches);
