//! The SQLite writer lease: an exclusive advisory lock on a file next to the database.
//!
//! The lock belongs to the open file, so it is released when the lease is dropped and also
//! when the process dies, however it dies: a crashed writer never leaves a stale lease. Lock
//! files are created on demand and never deleted (deleting one while another process waits
//! on it would let two processes lock two different files of the same name).
//!
//! Taking the lock is followed by incrementing the shard's lease epoch in `tree_state`
//! (see [`crate::store`]). A file lock cannot be lost while its file is open, so the lease's
//! watch never fires; the epoch still fences a holder whose lock file was deleted under it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::store::{LeaseAlarm, LeaseWatch, ShardId, StoreError, WriterLease};

/// Proof that this process is the only writer of one shard of a SQLite database.
///
/// Dropping it releases the lease. The tree-state compare-and-swap in
/// [`Store::integrate`](crate::store::Store::integrate) still guards every batch, so even a
/// writer that lost its lease cannot fork the tree.
#[derive(Debug)]
pub struct SqliteLease {
    shard: ShardId,
    path: PathBuf,
    /// Holding the locked file is what holds the lease.
    _file: File,
    epoch: u64,
    /// Never rung: kept so the watch stays silent for as long as the lease lives.
    _alarm: LeaseAlarm,
    watch: LeaseWatch,
}

impl SqliteLease {
    /// The shard this lease makes us the writer of.
    pub fn shard(&self) -> ShardId {
        self.shard
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl WriterLease for SqliteLease {
    fn epoch(&self) -> u64 {
        self.epoch
    }

    fn watch(&self) -> LeaseWatch {
        self.watch.clone()
    }
}

/// The lock file of `shard` for the database at `db_path` (already canonical).
pub(crate) fn lock_path(db_path: &Path, shard: ShardId) -> PathBuf {
    let mut name = db_path.as_os_str().to_owned();
    name.push(format!(".writer-{shard}.lock"));
    PathBuf::from(name)
}

/// The file lock of a lease, before its epoch is taken.
pub(crate) struct Locked {
    path: PathBuf,
    file: File,
}

impl Locked {
    /// The lease, once the epoch `epoch` is taken.
    pub(crate) fn with_epoch(self, shard: ShardId, epoch: u64) -> SqliteLease {
        let (alarm, watch) = LeaseAlarm::new();
        SqliteLease {
            shard,
            path: self.path,
            _file: self.file,
            epoch,
            _alarm: alarm,
            watch,
        }
    }
}

/// Takes the lease's file lock without waiting, or fails with [`StoreError::LeaseHeld`].
pub(crate) fn lock(db_path: &Path, shard: ShardId) -> Result<Locked, StoreError> {
    let path = lock_path(db_path, shard);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|err| {
            StoreError::Engine(format!("opening lock file {}: {err}", path.display()))
        })?;
    match file.try_lock() {
        Ok(()) => Ok(Locked { path, file }),
        Err(TryLockError::WouldBlock) => Err(StoreError::LeaseHeld(shard)),
        Err(TryLockError::Error(err)) => Err(StoreError::Engine(format!(
            "locking {}: {err}",
            path.display()
        ))),
    }
}
