//! The SQLite write path: one batch, one `BEGIN IMMEDIATE` transaction.
//!
//! Rows go in as multi-row `INSERT`s of at most [`ROWS_PER_INSERT`] rows, so a batch of a
//! thousand entries costs a dozen statements rather than a thousand. Statement texts depend
//! only on the row count, so the connection's statement cache prepares each shape once.

use sigstack_merkle::EMPTY_ROOT;
use sqlx::{Connection, SqliteConnection, SqlitePool};

use crate::sql_common::{
    check_batch, check_tiles_written, engine, to_u64, write_error, CheckedBatch,
};
use crate::store::{Batch, StoreError};

/// Rows per multi-row `INSERT`: entries bind 7 parameters a row, and 128 rows stay far below
/// SQLite's limit of bound parameters while amortizing the per-statement cost.
const ROWS_PER_INSERT: usize = 128;

/// Writes `batch` in one transaction, or nothing (see the contract in [`crate::store`]).
///
/// After any failure once the transaction began, the connection is closed instead of going
/// back to the pool: if its COMMIT or ROLLBACK failed (disk full, I/O error) it may still be
/// inside the transaction, and the next `BEGIN` on it would fail for good.
pub(crate) async fn integrate(writer: &SqlitePool, batch: &Batch) -> Result<(), StoreError> {
    let checked = check_batch(batch)?;
    let mut conn = writer
        .acquire()
        .await
        .map_err(engine("acquiring the write connection"))?;
    let result = write(&mut conn, batch, &checked).await;
    if result.is_err() {
        conn.close_on_drop();
    }
    result
}

async fn write(
    conn: &mut SqliteConnection,
    batch: &Batch,
    checked: &CheckedBatch<'_>,
) -> Result<(), StoreError> {
    // IMMEDIATE takes the write lock now, before the size is read: the compare-and-swap
    // and the writes it guards see no other writer in between.
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(engine("starting the batch transaction"))?;

    let stored: Option<(i64, i64)> =
        sqlx::query_as("SELECT size, lease_epoch FROM tree_state WHERE shard = ?")
            .bind(checked.shard)
            .fetch_optional(&mut *tx)
            .await
            .map_err(engine("reading the tree state"))?;
    let (found, epoch) = stored.unwrap_or((0, 0));
    let (found, epoch) = (to_u64(found, "tree size")?, to_u64(epoch, "lease epoch")?);
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

    insert_entries(&mut tx, checked).await?;
    upsert_tiles(&mut tx, checked).await?;
    insert_search_keys(&mut tx, checked).await?;

    sqlx::query(
        "INSERT INTO tree_state (shard, size, root, checkpoint, updated_at) \
         VALUES (?, ?, ?, ?, CAST(strftime('%s', 'now') AS INTEGER)) \
         ON CONFLICT (shard) DO UPDATE SET size = excluded.size, root = excluded.root, \
         checkpoint = excluded.checkpoint, updated_at = excluded.updated_at",
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

/// Takes the next lease epoch of `shard` (see [`crate::store`]): the first holder creates
/// the placeholder row (size 0, empty checkpoint: not yet initialised), later ones increment.
pub(crate) async fn take_epoch(writer: &SqlitePool, shard: i64) -> Result<u64, StoreError> {
    let mut conn = writer
        .acquire()
        .await
        .map_err(engine("acquiring the write connection"))?;
    let taken: Result<i64, _> = sqlx::query_scalar(
        "INSERT INTO tree_state (shard, size, root, checkpoint, lease_epoch, updated_at) \
         VALUES (?, 0, ?, X'', 1, CAST(strftime('%s', 'now') AS INTEGER)) \
         ON CONFLICT (shard) DO UPDATE SET lease_epoch = tree_state.lease_epoch + 1 \
         RETURNING lease_epoch",
    )
    .bind(shard)
    .bind(EMPTY_ROOT.as_slice())
    .fetch_one(&mut *conn)
    .await;
    match taken {
        Ok(epoch) => to_u64(epoch, "lease epoch"),
        Err(e) => {
            conn.close_on_drop();
            Err(engine("taking the lease epoch")(e))
        }
    }
}

/// `INSERT INTO <head> VALUES (?, …), …` for `rows` rows of `columns` parameters, then `tail`.
fn values_sql(head: &str, columns: usize, rows: usize, tail: &str) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    let mut sql = format!("INSERT INTO {head} VALUES ");
    sql.push_str(&vec![row.as_str(); rows].join(", "));
    sql.push_str(tail);
    sql
}

async fn insert_entries(
    conn: &mut sqlx::SqliteConnection,
    batch: &CheckedBatch<'_>,
) -> Result<(), StoreError> {
    for chunk in batch.entries.chunks(ROWS_PER_INSERT) {
        let sql = values_sql(
            "entries (shard, idx, leaf_hash, body, integrated_time, kind, receipt)",
            7,
            chunk.len(),
            "",
        );
        let mut query = sqlx::query(&sql);
        for new in chunk {
            let entry = &new.entry;
            // check_batch proved every index of the batch fits an i64.
            let index = i64::try_from(entry.index)
                .map_err(|_| StoreError::Corrupt(format!("entry index {}", entry.index)))?;
            query = query
                .bind(batch.shard)
                .bind(index)
                .bind(entry.leaf_hash.as_slice())
                .bind(entry.body.as_slice())
                .bind(entry.integrated_time)
                .bind(entry.kind.as_str())
                .bind(entry.receipt.as_slice());
        }
        query
            .execute(&mut *conn)
            .await
            .map_err(write_error("inserting entries"))?;
    }
    Ok(())
}

async fn upsert_tiles(
    conn: &mut sqlx::SqliteConnection,
    batch: &CheckedBatch<'_>,
) -> Result<(), StoreError> {
    for chunk in batch.tiles.chunks(ROWS_PER_INSERT) {
        // A stored row may only be extended: the new row is at least as wide and starts
        // with the stored hashes. A row refused by the WHERE clause is not counted.
        let sql = values_sql(
            "tiles (shard, level, idx, width, hashes)",
            5,
            chunk.len(),
            " ON CONFLICT (shard, level, idx) DO UPDATE SET width = excluded.width, \
             hashes = excluded.hashes WHERE tiles.width <= excluded.width \
             AND substr(excluded.hashes, 1, length(tiles.hashes)) = tiles.hashes",
        );
        let mut query = sqlx::query(&sql);
        for tile in chunk {
            let index = i64::try_from(tile.id.index)
                .map_err(|_| StoreError::Corrupt(format!("tile index {}", tile.id.index)))?;
            query = query
                .bind(batch.shard)
                .bind(i64::from(tile.id.level))
                .bind(index)
                .bind(i64::from(tile.id.width))
                .bind(tile.hashes.as_slice());
        }
        let written = query
            .execute(&mut *conn)
            .await
            .map_err(write_error("writing tiles"))?
            .rows_affected();
        check_tiles_written(written, chunk.len())?;
    }
    Ok(())
}

async fn insert_search_keys(
    conn: &mut sqlx::SqliteConnection,
    batch: &CheckedBatch<'_>,
) -> Result<(), StoreError> {
    for chunk in batch.search.chunks(ROWS_PER_INSERT) {
        let sql = values_sql("search_index (shard, key, idx)", 3, chunk.len(), "");
        let mut query = sqlx::query(&sql);
        for (key, index) in chunk {
            query = query.bind(batch.shard).bind(*key).bind(*index);
        }
        query
            .execute(&mut *conn)
            .await
            .map_err(write_error("inserting search keys"))?;
    }
    Ok(())
}
