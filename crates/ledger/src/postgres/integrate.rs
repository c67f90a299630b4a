//! The PostgreSQL write path: one batch, one transaction, a fixed handful of statements.
//!
//! Each kind of row goes in as a single `INSERT … SELECT FROM UNNEST($n::type[], …)`: the
//! columns travel as arrays in the binary protocol, so a batch of a thousand entries is one
//! statement, not a thousand, and the statement text (hence its cached plan) never varies.

use sigstack_merkle::EMPTY_ROOT;
use sqlx::{PgConnection, PgPool};

use crate::sql_common::{
    check_batch, check_tiles_written, engine, to_u64, write_error, CheckedBatch,
};
use crate::store::{Batch, StoreError};

/// Writes `batch` in one transaction, or nothing (see the contract in [`crate::store`]).
pub(crate) async fn integrate(pool: &PgPool, batch: &Batch) -> Result<(), StoreError> {
    let checked = check_batch(batch)?;
    let mut tx = pool
        .begin()
        .await
        .map_err(engine("starting the batch transaction"))?;

    let (found, epoch) = lock_tree_state(&mut tx, &checked).await?;
    if epoch != batch.epoch {
        // Fenced: the lease was taken over since this batch's writer got it.
        return Err(StoreError::Fenced {
            batch: batch.epoch,
            current: epoch,
        });
    }
    if found != checked.old_size {
        // Dropping `tx` rolls back; nothing was written.
        return Err(StoreError::Conflict {
            expected: checked.old_size,
            found,
        });
    }

    insert_entries(&mut tx, &checked).await?;
    upsert_tiles(&mut tx, &checked).await?;
    insert_search_keys(&mut tx, &checked).await?;

    sqlx::query(
        "UPDATE tree_state SET size = $2, root = $3, checkpoint = $4, updated_at = now() \
         WHERE shard = $1",
    )
    .bind(checked.shard)
    .bind(checked.new_size)
    .bind(batch.new_state.root.as_slice())
    .bind(batch.new_state.checkpoint.as_slice())
    .execute(&mut *tx)
    .await
    .map_err(engine("writing the tree state"))?;

    tx.commit().await.map_err(engine(
        "committing the batch (outcome unknown: re-read the tree state)",
    ))
}

/// Locks the shard's tree-state row for the rest of the transaction and returns its size
/// and lease epoch.
///
/// A shard whose lease was never taken may have no row to lock: its first batch inserts a
/// size-0 placeholder (committed only together with the batch, which overwrites it) and
/// locks that. If another writer is creating the row at the same moment, the insert waits
/// for it and the lock then sees the other writer's size, so the compare-and-swap still
/// fails as it should.
async fn lock_tree_state(
    tx: &mut PgConnection,
    batch: &CheckedBatch<'_>,
) -> Result<(u64, u64), StoreError> {
    const LOCK: &str = "SELECT size, lease_epoch FROM tree_state WHERE shard = $1 FOR UPDATE";
    let stored: Option<(i64, i64)> = sqlx::query_as(LOCK)
        .bind(batch.shard)
        .fetch_optional(&mut *tx)
        .await
        .map_err(engine("locking the tree state"))?;
    let (size, epoch) = match stored {
        Some(row) => row,
        None if batch.old_size != 0 => return Ok((0, 0)),
        None => {
            sqlx::query(
                "INSERT INTO tree_state (shard, size, root, checkpoint) VALUES ($1, 0, $2, '') \
                 ON CONFLICT (shard) DO NOTHING",
            )
            .bind(batch.shard)
            .bind(EMPTY_ROOT.as_slice())
            .execute(&mut *tx)
            .await
            .map_err(engine("creating the tree state"))?;
            sqlx::query_as(LOCK)
                .bind(batch.shard)
                .fetch_one(&mut *tx)
                .await
                .map_err(engine("locking the new tree state"))?
        }
    };
    Ok((to_u64(size, "tree size")?, to_u64(epoch, "lease epoch")?))
}

async fn insert_entries(tx: &mut PgConnection, batch: &CheckedBatch<'_>) -> Result<(), StoreError> {
    if batch.entries.is_empty() {
        return Ok(());
    }
    let n = batch.entries.len();
    let mut indexes = Vec::with_capacity(n);
    let mut leaf_hashes = Vec::with_capacity(n);
    let mut bodies = Vec::with_capacity(n);
    let mut times = Vec::with_capacity(n);
    let mut kinds = Vec::with_capacity(n);
    let mut receipts = Vec::with_capacity(n);
    for new in batch.entries {
        let entry = &new.entry;
        // check_batch proved every index of the batch fits an i64.
        let index = i64::try_from(entry.index)
            .map_err(|_| StoreError::Corrupt(format!("entry index {}", entry.index)))?;
        indexes.push(index);
        leaf_hashes.push(entry.leaf_hash.as_slice());
        bodies.push(entry.body.as_slice());
        times.push(entry.integrated_time);
        kinds.push(entry.kind.as_str());
        receipts.push(entry.receipt.as_slice());
    }
    sqlx::query(
        "INSERT INTO entries (shard, idx, leaf_hash, body, integrated_time, kind, receipt) \
         SELECT $1, * FROM UNNEST($2::bigint[], $3::bytea[], $4::bytea[], $5::bigint[], \
         $6::text[], $7::bytea[])",
    )
    .bind(batch.shard)
    .bind(indexes)
    .bind(leaf_hashes)
    .bind(bodies)
    .bind(times)
    .bind(kinds)
    .bind(receipts)
    .execute(&mut *tx)
    .await
    .map_err(write_error("inserting entries"))?;
    Ok(())
}

async fn upsert_tiles(tx: &mut PgConnection, batch: &CheckedBatch<'_>) -> Result<(), StoreError> {
    if batch.tiles.is_empty() {
        return Ok(());
    }
    let n = batch.tiles.len();
    let mut levels = Vec::with_capacity(n);
    let mut indexes = Vec::with_capacity(n);
    let mut widths = Vec::with_capacity(n);
    let mut hashes = Vec::with_capacity(n);
    for tile in &batch.tiles {
        let index = i64::try_from(tile.id.index)
            .map_err(|_| StoreError::Corrupt(format!("tile index {}", tile.id.index)))?;
        let width = i16::try_from(tile.id.width)
            .map_err(|_| StoreError::Corrupt(format!("tile width {}", tile.id.width)))?;
        levels.push(i16::from(tile.id.level));
        indexes.push(index);
        widths.push(width);
        hashes.push(tile.hashes.as_slice());
    }
    // A stored row may only be extended: the new row is at least as wide and starts with
    // the stored hashes. A row refused by the WHERE clause is not counted as affected.
    let written = sqlx::query(
        "INSERT INTO tiles (shard, level, idx, width, hashes) \
         SELECT $1, * FROM UNNEST($2::smallint[], $3::bigint[], $4::smallint[], $5::bytea[]) \
         ON CONFLICT (shard, level, idx) DO UPDATE \
         SET width = EXCLUDED.width, hashes = EXCLUDED.hashes \
         WHERE tiles.width <= EXCLUDED.width \
         AND substr(EXCLUDED.hashes, 1, length(tiles.hashes)) = tiles.hashes",
    )
    .bind(batch.shard)
    .bind(levels)
    .bind(indexes)
    .bind(widths)
    .bind(hashes)
    .execute(&mut *tx)
    .await
    .map_err(write_error("writing tiles"))?
    .rows_affected();
    check_tiles_written(written, n)
}

async fn insert_search_keys(
    tx: &mut PgConnection,
    batch: &CheckedBatch<'_>,
) -> Result<(), StoreError> {
    if batch.search.is_empty() {
        return Ok(());
    }
    let (keys, indexes): (Vec<&str>, Vec<i64>) = batch.search.iter().copied().unzip();
    sqlx::query(
        "INSERT INTO search_index (shard, key, idx) \
         SELECT $1, * FROM UNNEST($2::text[], $3::bigint[])",
    )
    .bind(batch.shard)
    .bind(keys)
    .bind(indexes)
    .execute(&mut *tx)
    .await
    .map_err(write_error("inserting search keys"))?;
    Ok(())
}
