//! The read path: tree state, tiles and proofs, served without the sequencer.
//!
//! A proof first asks the Merkle crate which tiles it needs, takes what it can from the
//! writer's in-memory partial tiles and the full-tile cache, fetches the rest in one
//! `read_tiles` call (asking for each tile at its width in the *current* tree, so tiles that
//! have filled since get cached), and then runs synchronously over a [`TileSet`].

use std::collections::BTreeSet;
use std::sync::Arc;

use sigstack_merkle::{
    consistency_proof, consistency_proof_tiles, inclusion_proof, inclusion_proof_tiles, Hash,
    ProveError, RightEdge, Tile, TileId, TileSet, TileWrite,
};

use crate::error::LedgerError;
use crate::ledger::{Shared, View};
use crate::store::{Store, StoreError, TreeState};

/// A tree state as a reader sees it, with the writer's view when there is one.
pub(crate) type Current = (TreeState, Option<Arc<View>>);

impl<S: Store> Shared<S> {
    /// The writer's last commit, or the store's state on a standby.
    pub(crate) async fn current(&self) -> Result<Current, LedgerError> {
        if let Some(view) = self.view() {
            return Ok((view.state.clone(), Some(view)));
        }
        match self.store.tree_state(self.shard()).await? {
            Some(state) => Ok((state, None)),
            None => Err(LedgerError::NotInitialized),
        }
    }

    /// The tiles `ids` (each at least as wide as asked), from memory where possible and
    /// otherwise from one store read. `size` is the current tree size.
    pub(crate) async fn fetch_tiles(
        &self,
        ids: &[TileId],
        view: Option<&View>,
        size: u64,
    ) -> Result<Vec<Arc<Tile>>, LedgerError> {
        let mut found = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            if let Some(tile) = view.and_then(|v| v.partial_covering(*id)) {
                found.push(tile);
            } else if let Some(tile) = self.cache.get(id.level, id.index) {
                found.push(tile);
            } else {
                let widest = TileId::in_tree(id.level, id.index, size)
                    .filter(|w| w.width >= id.width)
                    .unwrap_or(*id);
                missing.push(widest);
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let rows = self.store.read_tiles(self.shard(), &missing).await?;
        for row in rows {
            let asked = missing
                .iter()
                .any(|m| m.level == row.id.level && m.index == row.id.index);
            if !asked {
                return Err(corrupt(format!(
                    "store returned unrequested tile {}",
                    row.id.path()
                )));
            }
            let tile = Tile::from_bytes(row.id, &row.hashes).map_err(|e| corrupt(e.to_string()))?;
            let tile = Arc::new(tile);
            self.cache.insert(Arc::clone(&tile));
            found.push(tile);
        }
        Ok(found)
    }

    /// A tile set holding `ids` (see [`Self::fetch_tiles`]).
    pub(crate) async fn tile_set(
        &self,
        ids: &[TileId],
        view: Option<&View>,
        size: u64,
    ) -> Result<TileSet, LedgerError> {
        let mut set = TileSet::new();
        for tile in self.fetch_tiles(ids, view, size).await? {
            set.insert(tile);
        }
        Ok(set)
    }

    pub(crate) async fn inclusion_proof(
        &self,
        index: u64,
        tree_size: u64,
    ) -> Result<Vec<Hash>, LedgerError> {
        let (state, view) = self.current().await?;
        check_size(tree_size, state.size)?;
        let ids = inclusion_proof_tiles(index, tree_size)
            .map_err(|e| LedgerError::OutOfRange(e.to_string()))?;
        let set = self.tile_set(&ids, view.as_deref(), state.size).await?;
        inclusion_proof(index, tree_size, &set).map_err(prove_error)
    }

    pub(crate) async fn consistency_proof(
        &self,
        old: u64,
        new: u64,
    ) -> Result<Vec<Hash>, LedgerError> {
        let (state, view) = self.current().await?;
        check_size(new, state.size)?;
        let ids = consistency_proof_tiles(old, new)
            .map_err(|e| LedgerError::OutOfRange(e.to_string()))?;
        let set = self.tile_set(&ids, view.as_deref(), state.size).await?;
        consistency_proof(old, new, &set).map_err(prove_error)
    }

    pub(crate) async fn tile(&self, id: TileId) -> Result<Option<Vec<u8>>, LedgerError> {
        let (state, view) = self.current().await?;
        match TileId::in_tree(id.level, id.index, state.size) {
            Some(have) if have.width >= id.width => {}
            _ => return Ok(None),
        }
        let tiles = self.fetch_tiles(&[id], view.as_deref(), state.size).await?;
        let tile = tiles
            .first()
            .ok_or_else(|| corrupt(format!("tile {} is missing", id.path())))?;
        let hashes = tile
            .hashes()
            .get(..usize::from(id.width))
            .ok_or_else(|| corrupt(format!("tile {} is too narrow", id.path())))?;
        Ok(Some(hashes.concat()))
    }

    /// Rebuilds the right edge of the stored tree `state` from its partial tiles alone, and
    /// checks it against the state's root. Also returns the partial tiles, expanded.
    pub(crate) async fn load_edge(
        &self,
        state: &TreeState,
    ) -> Result<(RightEdge, Vec<Arc<Tile>>), LedgerError> {
        let ids = TileId::partial_tiles(state.size);
        let rows = if ids.is_empty() {
            Vec::new()
        } else {
            self.store.read_tiles(self.shard(), &ids).await?
        };
        let mut writes = Vec::with_capacity(rows.len());
        let mut tiles = Vec::with_capacity(rows.len());
        for row in rows {
            let hashes = row
                .id
                .split_contents(&row.hashes)
                .map_err(|e| corrupt(e.to_string()))?;
            let tile = Tile::new(row.id, hashes.clone()).map_err(|e| corrupt(e.to_string()))?;
            tiles.push(Arc::new(tile));
            writes.push(TileWrite { id: row.id, hashes });
        }
        let edge = RightEdge::from_partial_tiles(state.size, writes)
            .map_err(|e| corrupt(e.to_string()))?;
        if edge.root() != state.root {
            return Err(corrupt(format!(
                "partial tiles of size {} do not give the stored root",
                state.size
            )));
        }
        Ok((edge, tiles))
    }
}

/// The distinct tiles that the inclusion proofs of `indexes` in a tree of `size` read.
pub(crate) fn inclusion_tiles_for(
    indexes: impl Iterator<Item = u64>,
    size: u64,
) -> Result<Vec<TileId>, LedgerError> {
    let mut ids = BTreeSet::new();
    for index in indexes {
        let tiles =
            inclusion_proof_tiles(index, size).map_err(|e| LedgerError::Internal(e.to_string()))?;
        ids.extend(tiles);
    }
    Ok(ids.into_iter().collect())
}

fn check_size(asked: u64, size: u64) -> Result<(), LedgerError> {
    if asked > size {
        return Err(LedgerError::OutOfRange(format!(
            "tree size {asked} is beyond the log's current size {size}"
        )));
    }
    Ok(())
}

fn prove_error<E: std::fmt::Display>(e: ProveError<E>) -> LedgerError {
    match e {
        ProveError::Proof(p) => LedgerError::OutOfRange(p.to_string()),
        ProveError::Read(r) => corrupt(format!("tiles do not cover the proof: {r}")),
    }
}

fn corrupt(msg: String) -> LedgerError {
    LedgerError::Store(StoreError::Corrupt(msg))
}
