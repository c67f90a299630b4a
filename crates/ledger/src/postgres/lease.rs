//! The PostgreSQL writer lease: a session advisory lock held by a connection of its own.
//!
//! A session-level advisory lock lives exactly as long as the session that took it, so the
//! lease owns a dedicated connection (never a pooled one, which would hand the lock to
//! whoever borrows the connection next). Dropping the lease closes that connection and the
//! server releases the lock; so does the process dying, once the server notices the closed
//! socket. [`PgLease::release`] releases it at once and says whether that worked.

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use super::lock_key;
use crate::sql_common::engine;
use crate::store::{ShardId, StoreError, WriterLease};

/// The advisory lock namespace of writer leases (hashed with the shard into the lock key).
const LEASE_NAMESPACE: &str = "sigstack-ledger writer";

/// Proof that this process is the only writer of one shard of a PostgreSQL database.
///
/// If the lease's connection dies (server restart, network cut) the lock is gone while the
/// lease object lives on; the tree-state compare-and-swap in
/// [`Store::integrate`](crate::store::Store::integrate) still stops a second writer from
/// forking the tree, and the loser sees [`StoreError::Conflict`].
pub struct PgLease {
    shard: ShardId,
    key: i64,
    /// The session holding the advisory lock; `None` only after [`PgLease::release`].
    conn: Option<PgConnection>,
}

impl PgLease {
    /// The shard this lease makes us the writer of.
    pub fn shard(&self) -> ShardId {
        self.shard
    }

    /// Releases the lease now (unlock, then close the session) rather than when the server
    /// notices a dropped connection.
    pub async fn release(mut self) -> Result<(), StoreError> {
        let Some(mut conn) = self.conn.take() else {
            return Ok(());
        };
        let unlocked: bool = sqlx::query_scalar("SELECT pg_advisory_unlock($1)")
            .bind(self.key)
            .fetch_one(&mut conn)
            .await
            .map_err(engine("releasing the writer lease"))?;
        conn.close()
            .await
            .map_err(engine("closing the writer lease connection"))?;
        if unlocked {
            Ok(())
        } else {
            Err(StoreError::Engine(format!(
                "writer lease of shard {} was no longer held",
                self.shard
            )))
        }
    }
}

impl std::fmt::Debug for PgLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLease")
            .field("shard", &self.shard)
            .field("held", &self.conn.is_some())
            .finish()
    }
}

impl WriterLease for PgLease {}

/// Takes the lease without waiting, or fails with [`StoreError::LeaseHeld`].
pub(crate) async fn acquire(
    options: &PgConnectOptions,
    shard: ShardId,
) -> Result<PgLease, StoreError> {
    let mut conn = PgConnection::connect_with(options)
        .await
        .map_err(engine("connecting the writer lease session"))?;
    let key = lock_key(LEASE_NAMESPACE, shard);
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(key)
        .fetch_one(&mut conn)
        .await
        .map_err(engine("taking the writer lease"))?;
    if !locked {
        // Best effort: the session holds nothing worth keeping.
        let _ = conn.close().await;
        return Err(StoreError::LeaseHeld(shard));
    }
    Ok(PgLease {
        shard,
        key,
        conn: Some(conn),
    })
}
