//! The in-memory cache of full tiles.
//!
//! Full tiles never change (store contract), so a cached tile is valid forever and needs no
//! invalidation, only a size bound. Tiles are kept expanded ([`Tile`] holds every interior
//! hash) behind an [`Arc`], so a proof over cached tiles costs lookups, not hashing.
//! Eviction drops the least recently used eighth at once, which keeps the bookkeeping
//! amortised O(log n) per insert instead of a scan per miss.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use sigstack_merkle::Tile;

struct Slot {
    tile: Arc<Tile>,
    last_used: u64,
}

#[derive(Default)]
struct Inner {
    tiles: HashMap<(u8, u64), Slot>,
    tick: u64,
}

/// A bounded map from tile coordinates to expanded full tiles.
pub(crate) struct TileCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

impl TileCache {
    /// A cache holding at most `capacity` tiles (0 disables caching).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The full tile at `(level, index)`, if cached.
    pub(crate) fn get(&self, level: u8, index: u64) -> Option<Arc<Tile>> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.tick += 1;
        let tick = inner.tick;
        let slot = inner.tiles.get_mut(&(level, index))?;
        slot.last_used = tick;
        Some(Arc::clone(&slot.tile))
    }

    /// Caches a tile; anything but a full tile is ignored (partial tiles change).
    pub(crate) fn insert(&self, tile: Arc<Tile>) {
        let id = tile.id();
        if !id.is_full() || self.capacity == 0 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.tick += 1;
        let last_used = inner.tick;
        inner
            .tiles
            .insert((id.level, id.index), Slot { tile, last_used });
        if inner.tiles.len() > self.capacity {
            let keep = self.capacity - self.capacity / 8;
            let mut ages: Vec<u64> = inner.tiles.values().map(|s| s.last_used).collect();
            let cut = ages.len() - keep;
            ages.select_nth_unstable(cut.saturating_sub(1));
            let threshold = ages[cut.saturating_sub(1)];
            inner.tiles.retain(|_, s| s.last_used > threshold);
        }
    }

    /// Number of cached tiles.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .tiles
            .len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use sigstack_merkle::{TileId, TILE_WIDTH};

    fn full(index: u64) -> Arc<Tile> {
        let id = TileId::new(0, index, TILE_WIDTH).unwrap();
        Arc::new(Tile::new(id, vec![[index as u8; 32]; 256]).unwrap())
    }

    #[test]
    fn keeps_recently_used_tiles_within_capacity() {
        let cache = TileCache::new(16);
        for i in 0..16 {
            cache.insert(full(i));
        }
        assert!(cache.get(0, 0).is_some());
        cache.insert(full(100));
        assert!(cache.len() <= 16);
        assert!(cache.get(0, 0).is_some(), "recently used tile evicted");
        assert!(cache.get(0, 100).is_some(), "newest tile evicted");
        assert!(cache.get(0, 1).is_none(), "oldest tile kept");
    }

    #[test]
    fn ignores_partial_tiles() {
        let cache = TileCache::new(4);
        let id = TileId::new(0, 0, 3).unwrap();
        cache.insert(Arc::new(Tile::new(id, vec![[0; 32]; 3]).unwrap()));
        assert!(cache.get(0, 0).is_none());
    }
}
