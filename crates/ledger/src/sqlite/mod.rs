//! The embedded storage engine: one SQLite file, so `sigstack serve` needs no database server.
//!
//! # How it keeps the contract
//! - **Durable on return**: the database runs in WAL mode with `synchronous=FULL`, so a
//!   commit has reached the disk (the WAL is fsynced) before [`Store::integrate`] returns.
//! - **Compare-and-swap**: a batch runs in one `BEGIN IMMEDIATE` transaction, which takes
//!   SQLite's single write lock before reading the tree state, so the size check and the
//!   writes cannot interleave with another writer, in this process or another.
//! - **Reads never block the writer**: reads go through a separate pool of `query_only`
//!   connections. Under WAL a reader sees the last commit made before its statement began
//!   and neither waits for nor delays the writer.
//! - **Writer lease**: an exclusive lock on `<database>.writer-<shard>.lock`
//!   ([`SqliteLease`]), released by the OS when the lease or the process goes away, and a
//!   lease epoch in `tree_state` checked by every integration (fencing).
//! - **A failed write leaves nothing behind**: after any error inside a batch's transaction
//!   (a failed COMMIT on a full disk, say) the write connection is closed rather than
//!   returned, and the next batch opens a fresh one. A connection whose COMMIT failed can be
//!   left mid-transaction, and reusing it would fail every later batch.
//!
//! One connection writes (SQLite admits one writer at a time anyway); a handful read.
//! [`SqliteStore::open`] refuses a database that is missing or not at [`SCHEMA_VERSION`];
//! [`SqliteStore::open_and_migrate`] creates and upgrades it, for the embedded default.

mod integrate;
mod lease;
mod migrate;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sigstack_merkle::{Hash, TileId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::sql_common::{
    cut_tiles, engine, entry_from_row, found_leaf, index_range, select_entries, state_from_row,
    stored_indexes, tile_keys, tile_row, to_limit, to_u64, EntryRow, StateRow, TileRows,
};
use crate::store::{Batch, ShardId, Store, StoreError, StoredEntry, StoredTile, TreeState};

pub use lease::SqliteLease;
pub use migrate::SCHEMA_VERSION;

/// How long a statement waits for a lock held by another connection before failing. Only
/// another process writing the same file (which the lease rules out) or a checkpoint can
/// make it wait at all.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read connections. Reads are short point or range lookups; a few connections keep both
/// cores busy without a thread per request.
const READERS: u32 = 4;

/// `(level, index)` pairs per tile query: each costs two bound parameters, and SQLite
/// allows 32,766 per statement.
const TILE_KEYS_PER_QUERY: usize = 4096;

/// Indexes per point-read query (one bound parameter each; SQLite allows 32,766). A power of
/// two, so padded chunks never exceed it.
const INDEXES_PER_QUERY: usize = 512;

/// The SQLite engine. Cheap to share behind an `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct SqliteStore {
    /// The database file, canonicalized so every process derives the same lock file names.
    path: PathBuf,
    /// The one write connection (a pool of one, so a cancelled caller returns it cleanly).
    writer: SqlitePool,
    /// Read-only connections.
    readers: SqlitePool,
}

impl SqliteStore {
    /// Opens an existing database, refusing one that was never migrated or is at another
    /// schema version ([`StoreError::SchemaVersion`]: run `sigstack migrate`).
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(StoreError::Engine(format!(
                "no SQLite database at {}: run `sigstack migrate` to create it",
                path.display()
            )));
        }
        Self::open_inner(path, false).await
    }

    /// Opens the database, creating the file and applying pending migrations first. This is
    /// for the embedded default, where no one runs `sigstack migrate` by hand. A database
    /// newer than this build is still refused.
    pub async fn open_and_migrate(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_inner(path.as_ref(), true).await
    }

    /// Creates the database if needed and applies pending migrations; returns the schema
    /// version reached. What `sigstack migrate` runs.
    pub async fn migrate(path: impl AsRef<Path>) -> Result<i64, StoreError> {
        let store = Self::open_inner(path.as_ref(), true).await?;
        store.close().await;
        Ok(SCHEMA_VERSION)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes every connection, waiting for them to finish (the last close checkpoints the
    /// WAL into the main file). Using the store afterwards fails with an engine error.
    pub async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }

    async fn open_inner(path: &Path, migrate: bool) -> Result<Self, StoreError> {
        let writer_options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(migrate)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(false)
            .connect_with(writer_options)
            .await
            .map_err(|err| {
                StoreError::Engine(format!("opening SQLite database {}: {err}", path.display()))
            })?;
        {
            let mut conn = writer
                .acquire()
                .await
                .map_err(engine("acquiring the write connection"))?;
            if migrate {
                migrate::apply(&mut conn).await?;
            }
            migrate::check_version(&mut conn).await?;
        }
        let path = std::fs::canonicalize(path)
            .map_err(|err| StoreError::Engine(format!("resolving {}: {err}", path.display())))?;
        let reader_options = SqliteConnectOptions::new()
            .filename(&path)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("query_only", "ON");
        let readers = SqlitePoolOptions::new()
            .max_connections(READERS)
            .min_connections(0)
            .test_before_acquire(false)
            .connect_with(reader_options)
            .await
            .map_err(|err| {
                StoreError::Engine(format!(
                    "opening SQLite readers on {}: {err}",
                    path.display()
                ))
            })?;
        Ok(Self {
            path,
            writer,
            readers,
        })
    }

    async fn tile_rows(&self, shard: ShardId, ids: &[TileId]) -> Result<TileRows, StoreError> {
        let keys = tile_keys(ids);
        let mut rows = TileRows::with_capacity(keys.len());
        if keys.is_empty() {
            return Ok(rows);
        }
        if keys.len() <= TILE_KEYS_PER_QUERY {
            let mut conn = self
                .readers
                .acquire()
                .await
                .map_err(engine("acquiring a read connection"))?;
            read_tile_chunk(&mut conn, shard, &keys, &mut rows).await?;
        } else {
            // More keys than one statement can bind: one read transaction keeps the
            // statements on one snapshot, as the contract asks of a single call.
            let mut tx = self
                .readers
                .begin()
                .await
                .map_err(engine("starting a tile read"))?;
            for chunk in keys.chunks(TILE_KEYS_PER_QUERY) {
                read_tile_chunk(&mut tx, shard, chunk, &mut rows).await?;
            }
            tx.commit().await.map_err(engine("ending a tile read"))?;
        }
        Ok(rows)
    }
}

async fn read_tile_chunk(
    conn: &mut sqlx::SqliteConnection,
    shard: ShardId,
    keys: &[(i16, i64)],
    rows: &mut TileRows,
) -> Result<(), StoreError> {
    let mut sql = String::from(
        "SELECT level, idx, width, hashes FROM tiles WHERE shard = ? AND (level, idx) IN (VALUES ",
    );
    for n in 0..keys.len() {
        sql.push_str(if n == 0 { "(?, ?)" } else { ", (?, ?)" });
    }
    sql.push(')');
    let mut query = sqlx::query_as::<_, (i64, i64, i64, Vec<u8>)>(&sql).bind(shard);
    for (level, index) in keys {
        query = query.bind(level).bind(index);
    }
    let found = query
        .fetch_all(&mut *conn)
        .await
        .map_err(engine("reading tiles"))?;
    for (level, index, width, hashes) in found {
        let (key, value) = tile_row(level, index, width, hashes)?;
        rows.insert(key, value);
    }
    Ok(())
}

impl Store for SqliteStore {
    type Lease = SqliteLease;

    async fn acquire_writer(&self, shard: ShardId) -> Result<SqliteLease, StoreError> {
        let locked = lease::lock(&self.path, shard)?;
        // Dropping `locked` on failure releases the file lock.
        let epoch = integrate::take_epoch(&self.writer, shard).await?;
        Ok(locked.with_epoch(shard, epoch))
    }

    async fn tree_state(&self, shard: ShardId) -> Result<Option<TreeState>, StoreError> {
        // A row with an empty checkpoint is the placeholder a lease creates before the
        // tree's first batch: not initialised yet.
        let row: Option<StateRow> = sqlx::query_as(
            "SELECT size, root, checkpoint FROM tree_state \
             WHERE shard = ? AND length(checkpoint) > 0",
        )
        .bind(shard)
        .fetch_optional(&self.readers)
        .await
        .map_err(engine("reading the tree state"))?;
        row.map(state_from_row).transpose()
    }

    async fn integrate(&self, batch: Batch) -> Result<(), StoreError> {
        integrate::integrate(&self.writer, &batch).await
    }

    async fn read_tiles(
        &self,
        shard: ShardId,
        ids: &[TileId],
    ) -> Result<Vec<StoredTile>, StoreError> {
        let rows = self.tile_rows(shard, ids).await?;
        Ok(cut_tiles(ids, &rows))
    }

    async fn read_entries(
        &self,
        shard: ShardId,
        start: u64,
        end: u64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let Some((start, end)) = index_range(start, end) else {
            return Ok(Vec::new());
        };
        let rows: Vec<EntryRow> = sqlx::query_as(select_entries!(
            "WHERE shard = ? AND idx >= ? AND idx < ? ORDER BY idx"
        ))
        .bind(shard)
        .bind(start)
        .bind(end)
        .fetch_all(&self.readers)
        .await
        .map_err(engine("reading entries"))?;
        rows.into_iter().map(entry_from_row).collect()
    }

    async fn read_entries_at(
        &self,
        shard: ShardId,
        indexes: &[u64],
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let wanted = stored_indexes(indexes);
        let mut found = Vec::with_capacity(wanted.len());
        for chunk in wanted.chunks(INDEXES_PER_QUERY) {
            // Padded to a power of two with repeats of the last index (harmless in `IN`), so
            // each connection prepares a handful of statements, not one per batch size.
            let width = chunk.len().next_power_of_two();
            let placeholders = vec!["?"; width].join(",");
            let sql = format!(
                concat!(select_entries!("WHERE shard = ? AND idx IN ("), "{}", ")"),
                placeholders
            );
            let mut query = sqlx::query_as::<_, EntryRow>(&sql).bind(shard);
            let padding = chunk.last().into_iter().cycle().take(width - chunk.len());
            for index in chunk.iter().chain(padding) {
                query = query.bind(index);
            }
            let rows = query
                .fetch_all(&self.readers)
                .await
                .map_err(engine("reading entries"))?;
            for row in rows {
                found.push(entry_from_row(row)?);
            }
        }
        Ok(found)
    }

    async fn find_leaf(&self, shard: ShardId, leaf_hash: &Hash) -> Result<Option<u64>, StoreError> {
        let index: Option<i64> =
            sqlx::query_scalar("SELECT idx FROM entries WHERE shard = ? AND leaf_hash = ?")
                .bind(shard)
                .bind(leaf_hash.as_slice())
                .fetch_optional(&self.readers)
                .await
                .map_err(engine("looking up a leaf hash"))?;
        index.map(|index| to_u64(index, "entry index")).transpose()
    }

    async fn find_leaves(
        &self,
        shard: ShardId,
        leaf_hashes: &[Hash],
    ) -> Result<Vec<(Hash, u64)>, StoreError> {
        // SQLite caps bound parameters per statement; a few hundred per query is plenty.
        let mut found = Vec::new();
        for chunk in leaf_hashes.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT leaf_hash, idx FROM entries WHERE shard = ? AND leaf_hash IN ({placeholders})"
            );
            let mut query = sqlx::query_as::<_, (Vec<u8>, i64)>(&sql).bind(shard);
            for hash in chunk {
                query = query.bind(hash.as_slice());
            }
            let rows = query
                .fetch_all(&self.readers)
                .await
                .map_err(engine("looking up leaf hashes"))?;
            for row in rows {
                found.push(found_leaf(row)?);
            }
        }
        Ok(found)
    }

    async fn search(
        &self,
        shard: ShardId,
        key: &str,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        let indexes: Vec<i64> = sqlx::query_scalar(
            "SELECT idx FROM search_index WHERE shard = ? AND key = ? ORDER BY idx LIMIT ?",
        )
        .bind(shard)
        .bind(key)
        .bind(to_limit(limit))
        .fetch_all(&self.readers)
        .await
        .map_err(engine("searching"))?;
        indexes
            .into_iter()
            .map(|index| to_u64(index, "entry index"))
            .collect()
    }
}
