//! A model log: builds batches the way a sequencer would (with the real incremental Merkle
//! appender, so the tiles are the ones a real log writes), remembers everything that was
//! accepted, and checks a store against it.

use std::collections::BTreeMap;

use sigstack_ledger::store::{
    Batch, NewStoredEntry, ShardId, Store, StoredEntry, StoredTile, TreeState,
};
use sigstack_merkle::{leaf_hash, Hash, RightEdge, TileId, EMPTY_ROOT};

/// Everything a store should hold for one shard.
#[derive(Clone)]
pub struct ModelLog {
    pub shard: ShardId,
    edge: RightEdge,
    /// Accepted entries, by index.
    pub entries: Vec<NewStoredEntry>,
    /// The widest version of every tile written: `(level, index) -> hashes`.
    pub tiles: BTreeMap<(u8, u64), Vec<u8>>,
    /// Every tile version ever written, narrower partials included.
    pub tile_history: Vec<StoredTile>,
    pub state: Option<TreeState>,
    /// Varies the bodies of batches that are built but never accepted.
    salt: u64,
    /// The lease epoch batches are built under (0: no lease was ever taken).
    pub epoch: u64,
}

/// A batch built on the model, with the model state it leads to.
pub struct Pending {
    pub batch: Batch,
    edge: RightEdge,
}

impl ModelLog {
    pub fn new(shard: ShardId) -> Self {
        Self {
            shard,
            edge: RightEdge::empty(),
            entries: Vec::new(),
            tiles: BTreeMap::new(),
            tile_history: Vec::new(),
            state: None,
            salt: 0,
            epoch: 0,
        }
    }

    pub fn size(&self) -> u64 {
        self.edge.size()
    }

    /// The body of entry `index` (the salt tells apart batches built on the same size).
    pub fn body(shard: ShardId, index: u64, salt: u64) -> Vec<u8> {
        format!("{{\"shard\":{shard},\"index\":{index},\"salt\":{salt}}}").into_bytes()
    }

    /// A batch of `n` new entries on the current state, not yet accepted.
    pub fn build(&mut self, n: usize) -> Pending {
        self.salt += 1;
        let salt = self.salt;
        let bodies = (self.size()..)
            .take(n)
            .map(|index| Self::body(self.shard, index, salt))
            .collect();
        self.build_with(bodies)
    }

    /// A batch with exactly these bodies, on the current state, not yet accepted.
    pub fn build_with(&self, bodies: Vec<Vec<u8>>) -> Pending {
        let old_size = self.size();
        let entries: Vec<NewStoredEntry> = (old_size..)
            .zip(bodies)
            .map(|(index, body)| NewStoredEntry {
                entry: StoredEntry {
                    index,
                    leaf_hash: leaf_hash(&body),
                    integrated_time: 1_700_000_000 + i64::try_from(index).unwrap(),
                    kind: if index % 3 == 0 {
                        "hashedrekord:0.0.1".to_owned()
                    } else {
                        "intoto:0.0.2".to_owned()
                    },
                    receipt: format!("receipt {index}").into_bytes(),
                    body,
                },
                search_keys: vec![format!("sha256:{}", index % 5), format!("entry:{index}")],
            })
            .collect();
        let leaves: Vec<Hash> = entries.iter().map(|e| e.entry.leaf_hash).collect();
        let mut edge = self.edge.clone();
        let outcome = edge.append(&leaves).unwrap();
        let tiles = outcome
            .tiles
            .into_iter()
            .map(|tile| StoredTile {
                id: tile.id,
                hashes: tile.hashes.concat(),
            })
            .collect();
        Pending {
            batch: Batch {
                shard: self.shard,
                epoch: self.epoch,
                old_size,
                entries,
                tiles,
                new_state: TreeState {
                    size: outcome.size,
                    root: outcome.root,
                    checkpoint: checkpoint_text(self.shard, outcome.size, &outcome.root),
                },
            },
            edge,
        }
    }

    /// Records that `pending` was integrated.
    pub fn accept(&mut self, pending: Pending) {
        let Pending { batch, edge } = pending;
        for tile in &batch.tiles {
            self.tiles
                .insert((tile.id.level, tile.id.index), tile.hashes.clone());
            self.tile_history.push(tile.clone());
        }
        self.entries.extend(batch.entries);
        self.state = Some(batch.new_state);
        self.edge = edge;
    }

    /// Builds, integrates and accepts a batch of `n` entries.
    pub async fn grow<S: Store>(&mut self, store: &S, n: usize) {
        let pending = self.build(n);
        store.integrate(pending.batch.clone()).await.unwrap();
        self.accept(pending);
    }

    /// Checks that `store` holds exactly what the model accepted (a small fsck): the state,
    /// every entry and its search keys and dedup row, every tile at every width it was
    /// written, nothing past the tree size, and a root recomputed from the stored leaves.
    pub async fn verify<S: Store>(&self, store: &S) {
        let shard = self.shard;
        let state = store.tree_state(shard).await.unwrap();
        assert_eq!(state, self.state, "tree state of shard {shard}");
        let size = self.size();

        let stored = store.read_entries(shard, 0, size + 10).await.unwrap();
        let expected: Vec<StoredEntry> = self.entries.iter().map(|e| e.entry.clone()).collect();
        assert_eq!(stored.len(), expected.len(), "entry count");
        assert_eq!(stored, expected, "entries");
        let mut edge = RightEdge::empty();
        for entry in &stored {
            assert_eq!(
                entry.leaf_hash,
                leaf_hash(&entry.body),
                "leaf hash of {}",
                entry.index
            );
        }
        let leaves: Vec<Hash> = stored.iter().map(|e| e.leaf_hash).collect();
        let root = if leaves.is_empty() {
            EMPTY_ROOT
        } else {
            edge.append(&leaves).unwrap().root
        };
        if let Some(state) = &state {
            assert_eq!(state.root, root, "root recomputed from the stored leaves");
        }

        for new in &self.entries {
            let entry = &new.entry;
            assert_eq!(
                store.find_leaf(shard, &entry.leaf_hash).await.unwrap(),
                Some(entry.index),
                "dedup row of {}",
                entry.index
            );
        }
        let all: Vec<_> = self.entries.iter().map(|n| n.entry.leaf_hash).collect();
        let mut batched = store.find_leaves(shard, &all).await.unwrap();
        batched.sort_by_key(|(_, index)| *index);
        let want: Vec<_> = self
            .entries
            .iter()
            .map(|n| (n.entry.leaf_hash, n.entry.index))
            .collect();
        assert_eq!(batched, want, "batched dedup look-up");
        let key = format!("entry:{}", size.saturating_sub(1));
        let found = store.search(shard, &key, 10).await.unwrap();
        assert_eq!(
            found,
            if size == 0 { vec![] } else { vec![size - 1] },
            "search {key}"
        );
        assert!(store
            .search(shard, &format!("entry:{size}"), 10)
            .await
            .unwrap()
            .is_empty());

        // Every version of every tile ever written reads back, cut from the widest row.
        let ids: Vec<TileId> = self.tile_history.iter().map(|t| t.id).collect();
        let tiles = store.read_tiles(shard, &ids).await.unwrap();
        assert_eq!(tiles, self.tile_history, "tiles at every width written");
        // The tiles a tree of this size has are exactly the ones the model holds.
        for (&(level, index), hashes) in &self.tiles {
            let id = TileId::in_tree(level, index, size).unwrap();
            assert_eq!(hashes.len(), usize::from(id.width) * 32, "model tile width");
            let wider: Vec<TileId> = (id.width < 256)
                .then(|| TileId::new(level, index, id.width + 1).unwrap())
                .into_iter()
                .collect();
            assert!(
                store.read_tiles(shard, &wider).await.unwrap().is_empty(),
                "no tile wider than the tree"
            );
        }
    }
}

/// A stand-in for a signed checkpoint: the stores treat it as opaque bytes.
pub fn checkpoint_text(shard: ShardId, size: u64, root: &Hash) -> Vec<u8> {
    let hex: String = root.iter().map(|b| format!("{b:02x}")).collect();
    format!("test.example/{shard}\n{size}\n{hex}\n\n— test signature\n").into_bytes()
}
