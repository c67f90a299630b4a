//! The production storage engine: PostgreSQL through a connection pool.
//!
//! # How it keeps the contract
//! - **Durable on return**: every session runs with `synchronous_commit=on` (set at connect,
//!   whatever the server's default), so `COMMIT` returns only once the WAL is flushed.
//! - **Compare-and-swap**: a batch is one transaction that first locks the shard's
//!   `tree_state` row (`SELECT … FOR UPDATE`) and compares its size; a concurrent writer
//!   waits on the row lock and then sees the moved size.
//! - **Reads never block the writer**: reads are single statements on MVCC snapshots and
//!   take no row locks.
//! - **Writer lease**: `pg_try_advisory_lock` on a dedicated session ([`PgLease`]), checked
//!   every 200 ms, and a lease epoch in `tree_state` that every integration compares under
//!   the row lock (fencing).
//! - **Failing fast**: a connection is waited for at most [`ACQUIRE_TIMEOUT`], so with the
//!   server down a request fails in about a second instead of queueing on sqlx's 30 s
//!   default; a new writer re-checks the pool's idle connections, so the first requests
//!   after a server restart do not each find a dead one.
//!
//! Entries, tiles and search keys go in as one `INSERT … SELECT FROM UNNEST(…)` each, so a
//! batch costs a fixed handful of round trips however many entries it holds.
//! [`PgStore::connect`] refuses a database not at [`SCHEMA_VERSION`]; [`PgStore::migrate`]
//! (what `sigstack migrate` runs) brings it there. There is no TLS: the database is expected
//! on the same host or a trusted network.

mod integrate;
mod lease;
mod migrate;

use std::str::FromStr;
use std::time::Duration;

use sigstack_merkle::{leaf_hash, Hash, TileId};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::Connection as _;
use tokio::time::timeout;

use crate::sql_common::{
    cut_tiles, engine, entry_from_row, found_leaf, index_range, select_entries, state_from_row,
    stored_indexes, tile_keys, tile_row, to_limit, to_u64, EntryRow, StateRow, TileRows,
};
use crate::store::{Batch, ShardId, Store, StoreError, StoredEntry, StoredTile, TreeState};

pub use lease::PgLease;
pub use migrate::SCHEMA_VERSION;

/// Pool size when the caller does not choose one: enough for the writer and a steady stream
/// of reads on a small machine, far below PostgreSQL's default `max_connections`.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// Longest wait for a pooled connection (and for connecting one) before a call fails: short,
/// so that with the database down writes and `/readyz` fail fast rather than hang.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);

/// The PostgreSQL engine. Cheap to clone (clones share the pool); every method takes `&self`.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// How to open the lease's own session (the pool's options).
    options: PgConnectOptions,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`) with
    /// [`DEFAULT_MAX_CONNECTIONS`], refusing a database that was never migrated or is at
    /// another schema version ([`StoreError::SchemaVersion`]: run `sigstack migrate`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(parse_url(url)?, DEFAULT_MAX_CONNECTIONS).await
    }

    /// Like [`PgStore::connect`], with explicit options and pool size.
    pub async fn connect_with(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> Result<Self, StoreError> {
        let options = session_options(options);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            // A broken connection surfaces as an engine error on use; pinging before every
            // acquire would add a round trip to every read.
            .test_before_acquire(false)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(engine("connecting to PostgreSQL"))?;
        let mut conn = pool
            .acquire()
            .await
            .map_err(engine("acquiring a PostgreSQL connection"))?;
        migrate::check_version(&mut conn).await?;
        drop(conn);
        Ok(Self { pool, options })
    }

    /// Applies pending migrations to the database at `url` and returns the schema version
    /// reached. What `sigstack migrate` runs; safe to run concurrently and repeatedly.
    pub async fn migrate(url: &str) -> Result<i64, StoreError> {
        Self::migrate_with(parse_url(url)?).await
    }

    /// Like [`PgStore::migrate`], with explicit options.
    pub async fn migrate_with(options: PgConnectOptions) -> Result<i64, StoreError> {
        migrate::apply(&session_options(options)).await
    }

    /// The connection pool, for callers that keep their own tables in the same database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Pings every idle pooled connection once and closes those that fail. After a server
    /// restart every idle connection is dead, and without this each would fail one request
    /// (the pool does not ping before handing one out, to keep reads at one round trip).
    async fn drop_dead_idle_connections(&self) {
        let mut checked = Vec::new();
        while let Some(mut conn) = self.pool.try_acquire() {
            if timeout(lease::CHECK_TIMEOUT, conn.ping())
                .await
                .map_or(true, |r| r.is_err())
            {
                conn.close_on_drop();
            }
            checked.push(conn);
        }
    }

    /// Closes the pool, waiting for borrowed connections to come back. Leases are separate
    /// sessions and stay held until dropped.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl std::fmt::Debug for PgStore {
    /// Names the server, never the password the options may carry.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("host", &self.options.get_host())
            .field("port", &self.options.get_port())
            .field("database", &self.options.get_database())
            .field("user", &self.options.get_username())
            .finish_non_exhaustive()
    }
}

/// Parses a connection URL without echoing it (it may carry a password).
fn parse_url(url: &str) -> Result<PgConnectOptions, StoreError> {
    PgConnectOptions::from_str(url)
        .map_err(|err| StoreError::Engine(format!("invalid PostgreSQL URL: {err}")))
}

/// The session settings every connection of the engine runs with.
fn session_options(options: PgConnectOptions) -> PgConnectOptions {
    let options = if options.get_application_name().is_none() {
        options.application_name("sigstack-ledger")
    } else {
        options
    };
    // Durability on return is the contract: never inherit an asynchronous-commit default.
    options.options([("synchronous_commit", "on")])
}

/// A 64-bit advisory lock key for `(namespace, id)`, computed here rather than by the server
/// so that every build and server version agrees on it.
pub(crate) fn lock_key(namespace: &str, id: i64) -> i64 {
    let mut input = namespace.as_bytes().to_vec();
    input.push(0);
    input.extend_from_slice(&id.to_be_bytes());
    let digest = leaf_hash(&input);
    let mut key = [0u8; 8];
    key.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(key)
}

impl Store for PgStore {
    type Lease = PgLease;

    async fn acquire_writer(&self, shard: ShardId) -> Result<PgLease, StoreError> {
        let lease = lease::acquire(&self.options, shard).await?;
        self.drop_dead_idle_connections().await;
        Ok(lease)
    }

    async fn tree_state(&self, shard: ShardId) -> Result<Option<TreeState>, StoreError> {
        // A row with an empty checkpoint is the placeholder a lease creates before the
        // tree's first batch: not initialised yet.
        let row: Option<StateRow> = sqlx::query_as(
            "SELECT size, root, checkpoint FROM tree_state \
             WHERE shard = $1 AND length(checkpoint) > 0",
        )
        .bind(shard)
        .fetch_optional(&self.pool)
        .await
        .map_err(engine("reading the tree state"))?;
        row.map(state_from_row).transpose()
    }

    async fn integrate(&self, batch: Batch) -> Result<(), StoreError> {
        integrate::integrate(&self.pool, &batch).await
    }

    async fn read_tiles(
        &self,
        shard: ShardId,
        ids: &[TileId],
    ) -> Result<Vec<StoredTile>, StoreError> {
        let keys = tile_keys(ids);
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let (levels, indexes): (Vec<i16>, Vec<i64>) = keys.into_iter().unzip();
        let found: Vec<(i16, i64, i16, Vec<u8>)> = sqlx::query_as(
            "SELECT t.level, t.idx, t.width, t.hashes \
             FROM UNNEST($2::smallint[], $3::bigint[]) AS k(level, idx) \
             JOIN tiles t ON t.shard = $1 AND t.level = k.level AND t.idx = k.idx",
        )
        .bind(shard)
        .bind(levels)
        .bind(indexes)
        .fetch_all(&self.pool)
        .await
        .map_err(engine("reading tiles"))?;
        let mut rows = TileRows::with_capacity(found.len());
        for (level, index, width, hashes) in found {
            let (key, value) = tile_row(level.into(), index, width.into(), hashes)?;
            rows.insert(key, value);
        }
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
            "WHERE shard = $1 AND idx >= $2 AND idx < $3 ORDER BY idx"
        ))
        .bind(shard)
        .bind(start)
        .bind(end)
        .fetch_all(&self.pool)
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
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<EntryRow> =
            sqlx::query_as(select_entries!("WHERE shard = $1 AND idx = ANY($2)"))
                .bind(shard)
                .bind(wanted)
                .fetch_all(&self.pool)
                .await
                .map_err(engine("reading entries"))?;
        rows.into_iter().map(entry_from_row).collect()
    }

    async fn find_leaf(&self, shard: ShardId, leaf_hash: &Hash) -> Result<Option<u64>, StoreError> {
        let index: Option<i64> =
            sqlx::query_scalar("SELECT idx FROM entries WHERE shard = $1 AND leaf_hash = $2")
                .bind(shard)
                .bind(leaf_hash.as_slice())
                .fetch_optional(&self.pool)
                .await
                .map_err(engine("looking up a leaf hash"))?;
        index.map(|index| to_u64(index, "entry index")).transpose()
    }

    async fn find_leaves(
        &self,
        shard: ShardId,
        leaf_hashes: &[Hash],
    ) -> Result<Vec<(Hash, u64)>, StoreError> {
        if leaf_hashes.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<&[u8]> = leaf_hashes.iter().map(|h| h.as_slice()).collect();
        let rows: Vec<(Vec<u8>, i64)> = sqlx::query_as(
            "SELECT leaf_hash, idx FROM entries WHERE shard = $1 AND leaf_hash = ANY($2)",
        )
        .bind(shard)
        .bind(wanted)
        .fetch_all(&self.pool)
        .await
        .map_err(engine("looking up leaf hashes"))?;
        rows.into_iter().map(found_leaf).collect()
    }

    async fn search(
        &self,
        shard: ShardId,
        key: &str,
        limit: usize,
    ) -> Result<Vec<u64>, StoreError> {
        let indexes: Vec<i64> = sqlx::query_scalar(
            "SELECT idx FROM search_index WHERE shard = $1 AND key = $2 ORDER BY idx LIMIT $3",
        )
        .bind(shard)
        .bind(key)
        .bind(to_limit(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(engine("searching"))?;
        indexes
            .into_iter()
            .map(|index| to_u64(index, "entry index"))
            .collect()
    }
}
