//! The PostgreSQL writer lease: a session advisory lock held by a connection of its own, a
//! lease epoch in the tree-state row, and a task that keeps checking both.
//!
//! A session-level advisory lock lives exactly as long as the session that took it, so the
//! lease owns a dedicated connection (never a pooled one, which would hand the lock to
//! whoever borrows the connection next). Taking the lock is followed by incrementing the
//! shard's `lease_epoch` (creating a placeholder tree-state row for a new shard), which
//! fences every batch of earlier holders (see the contract in [`crate::store`]).
//!
//! The session can die under a live process (the server restarts, an administrator or a
//! connection pooler cuts it, the network drops): the lock is then gone and another process
//! may take it. So a task owns the session and reads the shard's epoch on it every
//! [`CHECK_INTERVAL`]; a failed, late (over [`CHECK_TIMEOUT`]) or different answer rings the
//! lease's alarm and closes the session. The holder steps down when the alarm rings, and the
//! epoch check in every integration stops whatever it had in flight.

use std::time::Duration;

use sigstack_merkle::EMPTY_ROOT;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use tokio::sync::oneshot;
use tokio::time::timeout;

use super::lock_key;
use crate::sql_common::{engine, to_u64};
use crate::store::{LeaseAlarm, LeaseWatch, ShardId, StoreError, WriterLease};

/// The advisory lock namespace of writer leases (hashed with the shard into the lock key).
const LEASE_NAMESPACE: &str = "sigstack-ledger writer";

/// How often the lease task checks its session and the shard's epoch: the longest a lost
/// session goes unnoticed (plus [`CHECK_TIMEOUT`] when the server stops answering at all).
pub(crate) const CHECK_INTERVAL: Duration = Duration::from_millis(200);

/// How long one check may take before the session counts as lost.
pub(crate) const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// How long opening the lease session and taking the lock and the epoch may take.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Takes the epoch: the first holder of a shard creates its placeholder row (size 0, empty
/// checkpoint: not yet initialised), later holders increment it. Waits for the row lock of a
/// batch in flight, so that batch either commits before the new epoch or is fenced.
const TAKE_EPOCH: &str = "INSERT INTO tree_state (shard, size, root, checkpoint, lease_epoch) \
     VALUES ($1, 0, $2, '', 1) \
     ON CONFLICT (shard) DO UPDATE SET lease_epoch = tree_state.lease_epoch + 1 \
     RETURNING lease_epoch";

/// Proof that this process is the only writer of one shard of a PostgreSQL database, for as
/// long as its [`WriterLease::watch`] has not fired.
pub struct PgLease {
    shard: ShardId,
    epoch: u64,
    watch: LeaseWatch,
    /// Asks the lease task to release the lock; dropping it asks too (without an answer).
    release: Option<oneshot::Sender<oneshot::Sender<Result<(), StoreError>>>>,
}

impl PgLease {
    /// The shard this lease makes us the writer of.
    pub fn shard(&self) -> ShardId {
        self.shard
    }

    /// Releases the lease now (unlock, then close the session) rather than when the server
    /// notices a dropped connection, and says whether that worked.
    pub async fn release(mut self) -> Result<(), StoreError> {
        let Some(release) = self.release.take() else {
            return Ok(());
        };
        let (reply, answer) = oneshot::channel();
        if release.send(reply).is_err() {
            return Err(StoreError::Engine(format!(
                "writer lease of shard {} was already lost",
                self.shard
            )));
        }
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::Engine(format!(
                "writer lease of shard {} was already lost",
                self.shard
            )))
        })
    }
}

impl std::fmt::Debug for PgLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLease")
            .field("shard", &self.shard)
            .field("epoch", &self.epoch)
            .field("lost", &self.watch.is_lost())
            .finish()
    }
}

impl WriterLease for PgLease {
    fn epoch(&self) -> u64 {
        self.epoch
    }

    fn watch(&self) -> LeaseWatch {
        self.watch.clone()
    }
}

/// Takes the lease without waiting, or fails with [`StoreError::LeaseHeld`].
pub(crate) async fn acquire(
    options: &PgConnectOptions,
    shard: ShardId,
) -> Result<PgLease, StoreError> {
    let name = format!(
        "{} writer lease",
        options.get_application_name().unwrap_or("sigstack-ledger")
    );
    let options = options.clone().application_name(&name);
    let taken = timeout(ACQUIRE_TIMEOUT, take(&options, shard))
        .await
        .map_err(|_| {
            StoreError::Engine(format!(
                "taking the writer lease took over {ACQUIRE_TIMEOUT:?}"
            ))
        })??;
    let (conn, key, epoch) = taken;
    let (alarm, watch) = LeaseAlarm::new();
    let (release, released) = oneshot::channel();
    tokio::spawn(keep(conn, shard, key, epoch, alarm, released));
    Ok(PgLease {
        shard,
        epoch,
        watch,
        release: Some(release),
    })
}

/// Connects, locks and takes the epoch. Any failure drops the session, and with it the lock.
async fn take(
    options: &PgConnectOptions,
    shard: ShardId,
) -> Result<(PgConnection, i64, u64), StoreError> {
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
    let epoch: i64 = sqlx::query_scalar(TAKE_EPOCH)
        .bind(shard)
        .bind(EMPTY_ROOT.as_slice())
        .fetch_one(&mut conn)
        .await
        .map_err(engine("taking the lease epoch"))?;
    Ok((conn, key, to_u64(epoch, "lease epoch")?))
}

/// The lease task: checks the session until the lease is released or lost.
async fn keep(
    mut conn: PgConnection,
    shard: ShardId,
    key: i64,
    epoch: u64,
    alarm: LeaseAlarm,
    mut released: oneshot::Receiver<oneshot::Sender<Result<(), StoreError>>>,
) {
    loop {
        tokio::select! {
            biased;
            asked = &mut released => {
                let result = timeout(CHECK_TIMEOUT, unlock(conn, shard, key))
                    .await
                    .unwrap_or_else(|_| {
                        Err(StoreError::Engine("releasing the writer lease timed out".into()))
                    });
                if let Ok(reply) = asked {
                    let _ = reply.send(result);
                }
                return;
            }
            () = tokio::time::sleep(CHECK_INTERVAL) => {}
        }
        let check =
            sqlx::query_scalar::<_, i64>("SELECT lease_epoch FROM tree_state WHERE shard = $1")
                .bind(shard)
                .fetch_optional(&mut conn);
        let lost = match timeout(CHECK_TIMEOUT, check).await {
            Ok(Ok(Some(found))) if u64::try_from(found) == Ok(epoch) => continue,
            Ok(Ok(found)) => format!("the lease epoch moved from {epoch} to {found:?}"),
            Ok(Err(e)) => format!("the lease session failed: {e}"),
            Err(_) => format!("the lease session did not answer within {CHECK_TIMEOUT:?}"),
        };
        alarm.ring(format!("writer lease of shard {shard} lost: {lost}"));
        // Dropping the session releases the lock if the server still thinks we hold it.
        drop(conn);
        return;
    }
}

async fn unlock(mut conn: PgConnection, shard: ShardId, key: i64) -> Result<(), StoreError> {
    let unlocked: bool = sqlx::query_scalar("SELECT pg_advisory_unlock($1)")
        .bind(key)
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
            "writer lease of shard {shard} was no longer held"
        )))
    }
}
