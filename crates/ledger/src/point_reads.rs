//! Coalesces concurrent single-entry reads into one store query.
//!
//! Under read load many requests each want one entry at an unrelated index. A store round
//! trip costs far more than a row does (a PostgreSQL round trip; sqlx's hand-off to a SQLite
//! connection thread and back), so every point read that arrives while the store's query
//! slots are all busy waits for the next free slot and shares one
//! [`Store::read_entries_at`] with the others. There is no timer: a lone read goes to the
//! store at once, and batches only grow when reads queue up anyway.
//!
//! The batching task is spawned, not run by one of the waiting callers, so a caller that
//! goes away (a client hanging up) never strands the reads that were batched with it.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::error::LedgerError;
use crate::metrics::Histogram;
use crate::store::{ShardId, Store, StoreError, StoredEntry};

/// One caller waiting for the entry at `index`.
struct Request {
    index: u64,
    reply: oneshot::Sender<Result<Option<StoredEntry>, StoreError>>,
}

/// How point reads are batched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PointReadLimits {
    /// Store queries in flight at once (at most the engine's read connections).
    pub(crate) slots: usize,
    /// Most reads answered by one query.
    pub(crate) max_batch: usize,
    /// Reads that may wait for a slot before callers wait to queue.
    pub(crate) queue: usize,
}

/// The handle callers read through; the batching task stops when the last handle drops.
#[derive(Clone)]
pub(crate) struct PointReads {
    tx: mpsc::Sender<Request>,
}

impl PointReads {
    /// Spawns the batching task over `store`'s `shard` (must be called inside a runtime);
    /// `batches` observes how many reads each query answered.
    pub(crate) fn start<S: Store>(
        store: Arc<S>,
        shard: ShardId,
        limits: PointReadLimits,
        batches: Arc<Histogram>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(limits.queue.max(1));
        let batcher = Batcher {
            store,
            shard,
            slots: Arc::new(Semaphore::new(limits.slots.max(1))),
            max_batch: limits.max_batch.max(1),
            batches,
        };
        tokio::spawn(batcher.run(rx));
        Self { tx }
    }

    /// The entry at `index`, if the store has one.
    pub(crate) async fn entry(&self, index: u64) -> Result<Option<StoredEntry>, LedgerError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request { index, reply })
            .await
            .map_err(|_| LedgerError::Closed)?;
        match answer.await {
            Ok(result) => Ok(result?),
            Err(_) => Err(LedgerError::Internal(format!(
                "the read of entry {index} was abandoned"
            ))),
        }
    }

    /// Reads waiting for a store query slot (for tests and metrics).
    pub(crate) fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }
}

/// The batching task's state.
struct Batcher<S> {
    store: Arc<S>,
    shard: ShardId,
    slots: Arc<Semaphore>,
    max_batch: usize,
    batches: Arc<Histogram>,
}

impl<S: Store> Batcher<S> {
    /// Takes the oldest waiting read, waits for a free query slot, then takes every read
    /// that queued meanwhile (up to `max_batch`) into the same query.
    async fn run(self, mut rx: mpsc::Receiver<Request>) {
        while let Some(first) = rx.recv().await {
            let Ok(slot) = Arc::clone(&self.slots).acquire_owned().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < self.max_batch {
                match rx.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            self.batches.observe(batch.len() as u64);
            let store = Arc::clone(&self.store);
            let shard = self.shard;
            tokio::spawn(async move {
                answer(store.as_ref(), shard, batch).await;
                drop(slot);
            });
        }
    }
}

/// Runs one query for `batch` and hands each caller its entry (or the query's error).
async fn answer<S: Store>(store: &S, shard: ShardId, mut batch: Vec<Request>) {
    let indexes: Vec<u64> = batch.iter().map(|r| r.index).collect();
    let mut found = match store.read_entries_at(shard, &indexes).await {
        Ok(found) => found,
        Err(err) => {
            for request in batch {
                // A caller that went away no longer needs its answer.
                let _ = request.reply.send(Err(err.clone()));
            }
            return;
        }
    };
    found.sort_unstable_by_key(|e| e.index);
    let found_at: Vec<u64> = found.iter().map(|e| e.index).collect();
    let mut found: Vec<Option<StoredEntry>> = found.into_iter().map(Some).collect();
    batch.sort_unstable_by_key(|r| r.index);
    let mut requests = batch.into_iter().peekable();
    while let Some(request) = requests.next() {
        let shared_with_next = requests.peek().is_some_and(|n| n.index == request.index);
        let entry = found_at
            .binary_search(&request.index)
            .ok()
            .and_then(|i| found.get_mut(i))
            .and_then(|slot| {
                // Several callers asked for this entry: all but the last get a copy.
                if shared_with_next {
                    slot.clone()
                } else {
                    slot.take()
                }
            });
        let _ = request.reply.send(Ok(entry));
    }
}
