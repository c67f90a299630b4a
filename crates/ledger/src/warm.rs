//! Fills the tile cache in the background once a ledger is open.
//!
//! Start-up reads only the tree state (it must stay fast at any log size), so a restarted
//! server begins with an empty tile cache and, until reads have touched every tile, pays an
//! extra store query for each uncached one: uniform reads ran at a third of their steady
//! rate for the first ten seconds. Warming reads the full tiles in a few large queries
//! instead, upper levels first (every proof uses them), then level 0 newest first, and
//! never more than the cache holds. It is best effort: any failure just stops it.

use std::sync::Arc;

use sigstack_merkle::{Tile, TileId, TILE_WIDTH};

use crate::ledger::Shared;
use crate::metrics::Metrics;
use crate::store::Store;

/// Tiles per store query and per expansion step; the task yields between steps so a large
/// log's warm-up never holds a worker thread for long.
const TILES_PER_STEP: usize = 64;

/// The full tiles of a tree of `size` leaves to load into a cache of `capacity`: upper
/// levels first, newest first within a level, at most seven eighths of the capacity (the
/// cache evicts an eighth at once when it overflows, and reads keep filling it).
pub(crate) fn warm_plan(size: u64, capacity: usize) -> Vec<TileId> {
    let budget = capacity - capacity / 8;
    let mut plan = Vec::new();
    for level in (0..=max_level(size)).rev() {
        let full = full_tiles(size, level);
        for index in (0..full).rev() {
            if plan.len() >= budget {
                return plan;
            }
            if let Ok(id) = TileId::new(level, index, TILE_WIDTH) {
                plan.push(id);
            }
        }
    }
    plan
}

/// Full tiles at `level` in a tree of `size` leaves (each covers 256^(level+1) leaves).
fn full_tiles(size: u64, level: u8) -> u64 {
    let height = TILE_WIDTH.trailing_zeros();
    size.checked_shr(height * (u32::from(level) + 1))
        .unwrap_or(0)
}

/// The highest tile level that has a full tile in a tree of `size` leaves (0 if none).
fn max_level(size: u64) -> u8 {
    let mut level = 0u8;
    while full_tiles(size, level.saturating_add(1)) > 0 && level < u8::MAX {
        level += 1;
    }
    level
}

/// Loads the planned tiles into `shared`'s cache.
pub(crate) async fn warm_tile_cache<S: Store>(shared: Arc<Shared<S>>) {
    let Ok((state, _)) = shared.current().await else {
        return;
    };
    let plan = warm_plan(state.size, shared.config.tile_cache_tiles);
    for step in plan.chunks(TILES_PER_STEP) {
        let Ok(rows) = shared.store.read_tiles(shared.shard(), step).await else {
            return;
        };
        for row in rows {
            if !row.id.is_full() {
                continue;
            }
            if let Ok(tile) = Tile::from_bytes(row.id, &row.hashes) {
                shared.cache.insert(Arc::new(tile));
                Metrics::bump(&shared.metrics.tiles_warmed);
            }
        }
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_levels_first_then_newest_level_zero_tiles() {
        // 70,000 leaves: 273 full level-0 tiles, 1 full level-1 tile.
        let plan = warm_plan(70_000, 8);
        let got: Vec<(u8, u64)> = plan.iter().map(|t| (t.level, t.index)).collect();
        assert_eq!(
            got,
            [
                (1, 0),
                (0, 272),
                (0, 271),
                (0, 270),
                (0, 269),
                (0, 268),
                (0, 267)
            ]
        );
        assert!(plan.iter().all(|t| t.width == TILE_WIDTH));
    }

    #[test]
    fn small_trees_and_small_caches() {
        assert!(warm_plan(0, 4096).is_empty());
        assert!(warm_plan(255, 4096).is_empty(), "no full tile yet");
        assert_eq!(warm_plan(256, 4096).len(), 1);
        assert!(warm_plan(1 << 20, 0).is_empty());
        // Everything fits: every full tile of every level, once (level 2 has no full tile
        // until 2^24 leaves).
        let plan = warm_plan(1 << 20, 1 << 20);
        assert_eq!(plan.len(), 4096 + 16);
        assert_eq!(max_level(1 << 20), 1);
        assert_eq!(max_level(1 << 24), 2);
        assert_eq!(max_level(u64::MAX), 6);
    }
}
