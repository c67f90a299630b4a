//! What the two SQL engines share: checking a batch before any I/O, the integer and hash
//! conversions between the contract's types and SQL columns, cutting stored tiles to the
//! width asked for, and turning `sqlx` errors into [`StoreError`]s with context.
//!
//! Nothing here talks to a database; it keeps the engines' SQL files about SQL.

use std::collections::{HashMap, HashSet};

use sigstack_merkle::{Hash, TileId, HASH_SIZE, TILE_WIDTH};

use crate::store::{Batch, NewStoredEntry, StoreError, StoredEntry, StoredTile, TreeState};

/// The highest tile level C2SP tlog-tiles allows; mirrors the schema's CHECK constraint.
const MAX_TILE_LEVEL: u8 = 63;

/// A batch that passed [`check_batch`]: the values the engines bind, already converted.
pub(crate) struct CheckedBatch<'a> {
    /// The shard, as stored.
    pub shard: i64,
    /// The compare-and-swap guard.
    pub old_size: u64,
    /// The tree size after the batch, as stored.
    pub new_size: i64,
    /// The entries, indexes `old_size..` in order.
    pub entries: &'a [NewStoredEntry],
    /// At most one tile per `(level, index)`: the widest the batch carries.
    pub tiles: Vec<&'a StoredTile>,
    /// `(key, entry index)` pairs, each pair once.
    pub search: Vec<(&'a str, i64)>,
}

/// Refuses a batch that no correct sequencer builds, before anything is written.
///
/// A batch must extend the tree by exactly its entries (`new_state.size == old_size +
/// entries.len()`, entry indexes consecutive from `old_size`), must not repeat a leaf hash,
/// and must carry well-formed tiles. Such a batch is a bug in the caller, reported as
/// [`StoreError::Corrupt`]; the database constraints are the second line of defence (they
/// also catch a leaf hash that is already stored).
pub(crate) fn check_batch(batch: &Batch) -> Result<CheckedBatch<'_>, StoreError> {
    let invalid = |what: String| StoreError::Corrupt(format!("invalid batch: {what}"));
    let count =
        u64::try_from(batch.entries.len()).map_err(|_| invalid("too many entries".to_owned()))?;
    let expected_size = batch
        .old_size
        .checked_add(count)
        .ok_or_else(|| invalid("tree size overflows".to_owned()))?;
    if batch.new_state.size != expected_size {
        return Err(invalid(format!(
            "new size {} is not old size {} + {} entries",
            batch.new_state.size, batch.old_size, count
        )));
    }
    let new_size = to_i64(expected_size, "tree size")?;

    let mut leaves: HashSet<&Hash> = HashSet::with_capacity(batch.entries.len());
    let mut search = Vec::new();
    for (expected_index, new) in (batch.old_size..).zip(&batch.entries) {
        if new.entry.index != expected_index {
            return Err(invalid(format!(
                "entry at position {expected_index} has index {}",
                new.entry.index
            )));
        }
        if !leaves.insert(&new.entry.leaf_hash) {
            return Err(invalid(format!(
                "leaf hash of entry {expected_index} repeats an earlier entry of the batch"
            )));
        }
        let index = to_i64(expected_index, "entry index")?;
        let mut keys: HashSet<&str> = HashSet::with_capacity(new.search_keys.len());
        for key in &new.search_keys {
            if keys.insert(key.as_str()) {
                search.push((key.as_str(), index));
            }
        }
    }

    let mut widest: HashMap<(u8, u64), &StoredTile> = HashMap::with_capacity(batch.tiles.len());
    for tile in &batch.tiles {
        let id = tile.id;
        if id.level > MAX_TILE_LEVEL || id.width == 0 || id.width > TILE_WIDTH {
            return Err(invalid(format!("tile {id:?} has no valid coordinates")));
        }
        to_i64(id.index, "tile index")?;
        if tile.hashes.len() != usize::from(id.width) * HASH_SIZE {
            return Err(invalid(format!(
                "tile {} holds {} bytes, want {}",
                id.path(),
                tile.hashes.len(),
                usize::from(id.width) * HASH_SIZE
            )));
        }
        let slot = widest.entry((id.level, id.index)).or_insert(tile);
        if slot.id.width < id.width {
            *slot = tile;
        }
    }
    let mut tiles: Vec<&StoredTile> = widest.into_values().collect();
    tiles.sort_by_key(|tile| (tile.id.level, tile.id.index));

    Ok(CheckedBatch {
        shard: batch.shard,
        old_size: batch.old_size,
        new_size,
        entries: &batch.entries,
        tiles,
        search,
    })
}

/// Fails the batch unless every tile row it carried was written: a row the upsert refused
/// would have made a stored tile narrower or changed its hashes, which no correct
/// sequencer does and which would break every proof and cache built on the old row.
pub(crate) fn check_tiles_written(written: u64, sent: usize) -> Result<(), StoreError> {
    if usize::try_from(written).ok() == Some(sent) {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "invalid batch: {} of {sent} tiles would narrow or change a stored tile",
            u64::try_from(sent)
                .unwrap_or(u64::MAX)
                .saturating_sub(written)
        )))
    }
}

/// The columns of `tree_state` the contract reads: `(size, root, checkpoint)`.
pub(crate) type StateRow = (i64, Vec<u8>, Vec<u8>);

/// Decodes a `tree_state` row.
pub(crate) fn state_from_row((size, root, checkpoint): StateRow) -> Result<TreeState, StoreError> {
    Ok(TreeState {
        size: to_u64(size, "tree size")?,
        root: to_hash(&root, "tree root")?,
        checkpoint,
    })
}

/// The columns of `entries` the contract reads:
/// `(idx, leaf_hash, body, integrated_time, kind, receipt)`.
pub(crate) type EntryRow = (i64, Vec<u8>, Vec<u8>, i64, String, Vec<u8>);

/// `SELECT` of exactly the [`EntryRow`] columns from `entries`, followed by the given clauses:
/// one column list for every entry query of both engines. A macro, so the whole statement is
/// still one `&'static str` (no allocation per query).
macro_rules! select_entries {
    ($($clause:literal),* $(,)?) => {
        concat!(
            "SELECT idx, leaf_hash, body, integrated_time, kind, receipt FROM entries ",
            $($clause),*
        )
    };
}
pub(crate) use select_entries;

/// Decodes an `entries` row.
pub(crate) fn entry_from_row(
    (index, leaf_hash, body, integrated_time, kind, receipt): EntryRow,
) -> Result<StoredEntry, StoreError> {
    Ok(StoredEntry {
        index: to_u64(index, "entry index")?,
        leaf_hash: to_hash(&leaf_hash, "leaf hash")?,
        body,
        integrated_time,
        kind,
        receipt,
    })
}

/// A tile's `(level, index)`: the row key, whatever the width.
pub(crate) type TileKey = (u8, u64);

/// A stored tile row's `(width, hashes)`.
pub(crate) type TileRow = (u16, Vec<u8>);

/// Stored tile rows by coordinates, as the read path collects them.
pub(crate) type TileRows = HashMap<TileKey, TileRow>;

/// Decodes one tile row, refusing values the schema's constraints should have kept out.
pub(crate) fn tile_row(
    level: i64,
    index: i64,
    width: i64,
    hashes: Vec<u8>,
) -> Result<(TileKey, TileRow), StoreError> {
    let corrupt = || {
        StoreError::Corrupt(format!(
            "tile row level {level} index {index} width {width} ({} bytes)",
            hashes.len()
        ))
    };
    let level_u8 = u8::try_from(level).map_err(|_| corrupt())?;
    let index_u64 = u64::try_from(index).map_err(|_| corrupt())?;
    let width_u16 = u16::try_from(width).map_err(|_| corrupt())?;
    if width_u16 == 0
        || width_u16 > TILE_WIDTH
        || hashes.len() != usize::from(width_u16) * HASH_SIZE
    {
        return Err(corrupt());
    }
    Ok(((level_u8, index_u64), (width_u16, hashes)))
}

/// Answers a tile read from the rows found: each id asked for, in the order asked, cut to
/// its width; an id whose stored row is narrower than asked (or absent) is left out.
pub(crate) fn cut_tiles(ids: &[TileId], rows: &TileRows) -> Vec<StoredTile> {
    ids.iter()
        .filter_map(|id| {
            let (width, hashes) = rows.get(&(id.level, id.index))?;
            if *width < id.width {
                return None;
            }
            let hashes = hashes.get(..usize::from(id.width) * HASH_SIZE)?;
            Some(StoredTile {
                id: *id,
                hashes: hashes.to_vec(),
            })
        })
        .collect()
}

/// The distinct `(level, index)` pairs of a tile read, as stored integers.
pub(crate) fn tile_keys(ids: &[TileId]) -> Vec<(i16, i64)> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter()
        .filter(|id| seen.insert((id.level, id.index)))
        // An index beyond i64::MAX cannot be stored, so it cannot be found either.
        .filter_map(|id| Some((i16::from(id.level), i64::try_from(id.index).ok()?)))
        .collect()
}

/// The half-open index range `start..end` as stored integers, `None` when it is empty.
pub(crate) fn index_range(start: u64, end: u64) -> Option<(i64, i64)> {
    let start = i64::try_from(start).ok()?;
    let end = i64::try_from(end).unwrap_or(i64::MAX);
    (start < end).then_some((start, end))
}

/// The distinct indexes of `indexes` that a `BIGINT` column can hold, ascending: larger ones
/// cannot name a stored entry.
pub(crate) fn stored_indexes(indexes: &[u64]) -> Vec<i64> {
    let mut wanted: Vec<i64> = indexes
        .iter()
        .filter_map(|i| i64::try_from(*i).ok())
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    wanted
}

/// A contract integer as a SQL `BIGINT`; values past `i64::MAX` are refused.
pub(crate) fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| {
        StoreError::Corrupt(format!(
            "{what} {value} does not fit a signed 64-bit column"
        ))
    })
}

/// A stored `BIGINT` as a contract integer; a negative value means the row is corrupt.
pub(crate) fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative {what} {value}")))
}

/// A stored hash column; anything but 32 bytes means the row is corrupt.
pub(crate) fn to_hash(bytes: &[u8], what: &str) -> Result<Hash, StoreError> {
    Hash::try_from(bytes)
        .map_err(|_| StoreError::Corrupt(format!("{what} is {} bytes, want 32", bytes.len())))
}

/// A `usize` limit as a SQL `LIMIT`, saturating.
pub(crate) fn to_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Maps an engine error to [`StoreError::Engine`], saying what the store was doing.
pub(crate) fn engine(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |err| StoreError::Engine(format!("{context}: {err}"))
}

/// Maps an error of a batch's writes: a unique violation means the batch repeats a stored
/// row (a leaf hash already in the log, or entries past the stored size: both bugs or
/// corruption, never a transient failure), anything else is an engine failure.
pub(crate) fn write_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |err| match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Corrupt(format!(
            "{context}: the batch repeats a stored row ({}{})",
            db.message(),
            db.constraint()
                .map(|name| format!(", constraint {name}"))
                .unwrap_or_default()
        )),
        _ => StoreError::Engine(format!("{context}: {err}")),
    }
}

/// A `(leaf_hash, idx)` row of a dedup look-up.
pub(crate) fn found_leaf((hash, index): (Vec<u8>, i64)) -> Result<(Hash, u64), StoreError> {
    Ok((to_hash(&hash, "leaf hash")?, to_u64(index, "entry index")?))
}
