//! The sequencer: the one task per ledger that owns the tree's right edge and writes.
//!
//! # A batch
//! 1. Collect up to `max_batch` submissions, waiting at most `max_delay` after the first.
//! 2. Deduplicate: against the store (leaf look-ups, answered `Duplicate` at once since the
//!    stored entry is already durable) and within the batch (a later identical body is
//!    answered `Duplicate` of the first one's index, but only after the commit).
//! 3. Assign indexes and one `integrated_time` for the batch, stamp each entry (unless its
//!    submission carries its own receipt), append the leaves to a *copy* of the right edge,
//!    sign the new checkpoint, and write everything with one [`Store::integrate`].
//! 4. On `Ok`: adopt the copy, cache the new full tiles, publish the new state to readers,
//!    and answer each submitter with the tiles its proof needs; the submitter's own task
//!    builds the proof and re-verifies it against the checkpoint before returning it.
//!
//! # Losing the lease
//! Every batch carries the lease's epoch, and the store refuses a batch whose epoch is not
//! the shard's current one (`Fenced`): once another process has taken the lease, nothing of
//! this one commits. The sequencer also asks its lease's watch before every batch (no I/O)
//! and listens to it while idle, so a lease lost with its session is noticed within the
//! engine's check interval, not at the next submission. Either way the ledger steps down at
//! once: it answers `NotWriter`, stops publishing its in-memory head (reads go to the
//! store's state), drops the lease and retries it like any standby; a take-over always
//! starts from the store's current state.
//!
//! # When integrate fails
//! Nobody in the batch is acknowledged. A `Fenced`, `Conflict` or `LeaseHeld` means another
//! writer exists: this ledger steps down. Any other error may have left the batch committed
//! (unknown outcome), so the sequencer re-reads the tree state and, if it moved, rebuilds
//! its right edge from the stored partial tiles: the store is the truth and the tree is
//! never forked. If the store cannot be read, the edge is marked stale and the resync is
//! retried before the next batch. If the store's tree is *smaller* than what was already
//! acknowledged, or its tiles do not give its root, the sequencer halts (keeping the lease
//! so no other process extends a damaged tree) and refuses every submission.
//!
//! A writer whose last write failed reports it (see [`Shared::write_problem`]) until a write
//! commits. While it has no submissions it probes every `lease_retry` with a batch that
//! rewrites the current tree state unchanged, so it reports itself healthy again once the
//! store takes writes (a disk that had filled up has room again) without waiting for traffic
//! that a load balancer would not send it.

use std::collections::HashMap;
use std::sync::Arc;

use sigstack_merkle::{Hash, RightEdge, Tile, TileSet, EMPTY_ROOT};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{timeout_at, Instant};

use crate::error::LedgerError;
use crate::ledger::{Shared, Submission, View};
use crate::metrics::Metrics;
use crate::reader::inclusion_tiles_for;
use crate::store::{
    Batch, LeaseWatch, NewStoredEntry, ShardId, Store, StoreError, StoredEntry, StoredTile,
    TreeState, WriterLease,
};

/// How soon a ledger that could not reach the store to take the lease tries again: short, so
/// that writing resumes quickly after a database restart. Attempts on a lease another process
/// holds wait the configured `lease_retry`.
const QUICK_RETRY: std::time::Duration = std::time::Duration::from_millis(200);

/// What a submitter gets back from a committed batch: its entry, the state it was
/// committed in, and tiles covering its inclusion proof in that state.
pub(crate) struct Committed {
    pub(crate) entry: StoredEntry,
    pub(crate) view: Arc<View>,
    pub(crate) tiles: Arc<TileSet>,
}

type Reply = oneshot::Sender<Result<Committed, LedgerError>>;

/// One queued submission.
pub(crate) struct Job {
    pub(crate) submission: Submission,
    pub(crate) leaf: Hash,
    pub(crate) reply: Reply,
}

/// What handles send the sequencer.
pub(crate) enum Command {
    Submit(Job),
    /// Stop after the current batch, release the lease, then acknowledge.
    Close(oneshot::Sender<()>),
}

struct Writer<L> {
    /// Held for as long as this process writes.
    lease: L,
    /// The lease's fencing token, put in every batch.
    epoch: u64,
    /// Rings when the lease is known lost.
    watch: LeaseWatch,
    edge: RightEdge,
    /// A batch failed and the store could not be re-read: resync before the next batch.
    stale: bool,
    /// The last write failed: probe the store while idle (see the module docs).
    failing: bool,
}

enum Role<L> {
    Writer(Writer<L>),
    Standby {
        next_try: Instant,
    },
    /// Keeps the lease (if it had one) so that no other process extends a damaged tree.
    Halted {
        _lease: Option<L>,
        reason: String,
    },
}

enum Flow {
    Continue,
    Stop(Option<oneshot::Sender<()>>),
}

/// A batch ready to integrate, with everything needed to answer after the commit.
struct Prepared {
    batch: Batch,
    edge: RightEdge,
    /// Copies of the batch's entries, for the answers.
    entries: Vec<StoredEntry>,
    /// `waiters[i]` submitted `entries[i]`.
    waiters: Vec<Reply>,
    /// Later identical submissions within the batch and the position of the first.
    duplicates: Vec<(Reply, usize)>,
    /// The tiles that filled, expanded, to cache after the commit.
    full_tiles: Vec<Arc<Tile>>,
}

/// The sequencer task's state.
pub(crate) struct Sequencer<S: Store> {
    shared: Arc<Shared<S>>,
    rx: mpsc::Receiver<Command>,
    role: Role<S::Lease>,
}

impl<S: Store> Sequencer<S> {
    /// Takes the writer lease (loading or initialising the tree) or starts as a standby.
    pub(crate) async fn start(
        shared: Arc<Shared<S>>,
        rx: mpsc::Receiver<Command>,
    ) -> Result<Self, LedgerError> {
        let role = match shared.store.acquire_writer(shared.shard()).await {
            Ok(lease) => Role::Writer(take_over(&shared, lease).await?),
            Err(StoreError::LeaseHeld(_)) => Role::Standby {
                next_try: Instant::now() + shared.config.lease_retry,
            },
            Err(e) => return Err(e.into()),
        };
        Ok(Self { shared, rx, role })
    }

    /// Runs until closed or until every handle is dropped.
    pub(crate) async fn run(mut self) {
        let ack = loop {
            let flow = match self.role {
                Role::Writer(_) => self.writer_step().await,
                Role::Standby { .. } => self.standby_step().await,
                Role::Halted { .. } => self.halted_step().await,
            };
            if let Flow::Stop(ack) = flow {
                break ack;
            }
        };
        let Self {
            shared,
            mut rx,
            role,
        } = self;
        shared
            .closed
            .store(true, std::sync::atomic::Ordering::Release);
        shared.publish(None);
        rx.close();
        let mut acks: Vec<_> = ack.into_iter().collect();
        while let Ok(cmd) = rx.try_recv() {
            match cmd {
                Command::Submit(job) => answer(job.reply, Err(LedgerError::Closed)),
                Command::Close(ack) => acks.push(ack),
            }
        }
        drop(role);
        for ack in acks {
            let _ = ack.send(());
        }
    }

    async fn writer_step(&mut self) -> Flow {
        let Role::Writer(writer) = &self.role else {
            return Flow::Continue;
        };
        let mut watch = writer.watch.clone();
        let probe_at = writer
            .failing
            .then(|| Instant::now() + self.shared.config.lease_retry);
        let first = tokio::select! {
            biased;
            reason = watch.lost() => {
                self.step_down(&reason);
                return Flow::Continue;
            }
            cmd = self.rx.recv() => cmd,
            () = sleep_until_some(probe_at) => {
                self.probe().await;
                return Flow::Continue;
            }
        };
        let mut jobs = Vec::new();
        match first {
            None => return Flow::Stop(None),
            Some(Command::Close(ack)) => return Flow::Stop(Some(ack)),
            Some(Command::Submit(job)) => jobs.push(job),
        }
        let deadline = Instant::now() + self.shared.config.max_delay;
        let mut stop = None;
        while jobs.len() < self.shared.config.max_batch {
            let cmd = match self.rx.try_recv() {
                Ok(cmd) => cmd,
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    match timeout_at(deadline, self.rx.recv()).await {
                        Ok(Some(cmd)) => cmd,
                        Ok(None) | Err(_) => break,
                    }
                }
            };
            match cmd {
                Command::Submit(job) => jobs.push(job),
                Command::Close(ack) => {
                    stop = Some(ack);
                    break;
                }
            }
        }
        self.integrate_batch(jobs).await;
        match stop {
            Some(ack) => Flow::Stop(Some(ack)),
            None => Flow::Continue,
        }
    }

    async fn standby_step(&mut self) -> Flow {
        let Role::Standby { next_try } = self.role else {
            return Flow::Continue;
        };
        match timeout_at(next_try, self.rx.recv()).await {
            Ok(Some(Command::Submit(job))) => {
                answer(job.reply, Err(LedgerError::NotWriter));
                Flow::Continue
            }
            Ok(Some(Command::Close(ack))) => Flow::Stop(Some(ack)),
            Ok(None) => Flow::Stop(None),
            Err(_) => {
                self.try_take_over().await;
                Flow::Continue
            }
        }
    }

    async fn halted_step(&mut self) -> Flow {
        match self.rx.recv().await {
            Some(Command::Submit(job)) => {
                let reason = match &self.role {
                    Role::Halted { reason, .. } => reason.clone(),
                    _ => String::from("sequencer halted"),
                };
                answer(job.reply, Err(LedgerError::Internal(reason)));
                Flow::Continue
            }
            Some(Command::Close(ack)) => Flow::Stop(Some(ack)),
            None => Flow::Stop(None),
        }
    }

    /// One lease attempt; on success the state is re-read and this process writes.
    async fn try_take_over(&mut self) {
        let retry = self.shared.config.lease_retry;
        let lease = match self.shared.store.acquire_writer(self.shared.shard()).await {
            Ok(lease) => lease,
            Err(StoreError::LeaseHeld(_)) => {
                self.role = Role::Standby {
                    next_try: Instant::now() + retry,
                };
                return;
            }
            // The store is unreachable: nobody can be writing, and whoever reaches it first
            // when it is back should write, so try again soon.
            Err(_) => {
                self.role = Role::Standby {
                    next_try: Instant::now() + retry.min(QUICK_RETRY),
                };
                return;
            }
        };
        // A failed load drops the lease again; the next attempt starts from scratch.
        match take_over(&self.shared, lease).await {
            Ok(writer) => {
                Metrics::bump(&self.shared.metrics.takeovers);
                self.role = Role::Writer(writer);
            }
            Err(_) => {
                self.role = Role::Standby {
                    next_try: Instant::now() + retry.min(QUICK_RETRY),
                };
            }
        }
    }

    /// Rewrites the current tree state unchanged, to learn whether the store takes writes
    /// again after a failed one (see the module docs).
    async fn probe(&mut self) {
        if matches!(&self.role, Role::Writer(w) if w.stale) && self.resync().await.is_err() {
            return;
        }
        let (epoch, lost) = match &self.role {
            Role::Writer(w) => (w.epoch, w.watch.is_lost()),
            _ => return,
        };
        if lost {
            self.step_down("the writer lease was lost");
            return;
        }
        let Some(view) = self.shared.view() else {
            return;
        };
        let batch = Batch {
            shard: self.shared.shard(),
            epoch,
            old_size: view.state.size,
            entries: Vec::new(),
            tiles: Vec::new(),
            new_state: view.state.clone(),
        };
        match self.shared.store.integrate(batch).await {
            Ok(()) => self.write_succeeded(),
            Err(e @ (StoreError::Fenced { .. } | StoreError::Conflict { .. })) => {
                self.step_down(&e.to_string());
            }
            Err(e) => {
                self.write_failed(format!("the store refuses writes: {e}"));
                let _ = self.resync().await;
            }
        }
    }

    fn write_failed(&mut self, reason: String) {
        if let Role::Writer(w) = &mut self.role {
            w.failing = true;
        }
        self.shared.set_write_problem(Some(reason));
    }

    fn write_succeeded(&mut self) {
        if let Role::Writer(w) = &mut self.role {
            if w.failing {
                w.failing = false;
                self.shared.set_write_problem(None);
            }
        }
    }

    async fn integrate_batch(&mut self, jobs: Vec<Job>) {
        if matches!(&self.role, Role::Writer(w) if w.stale) {
            if let Err(e) = self.resync().await {
                let msg = format!("the store is not readable after a failed batch: {e}");
                fail_all(jobs, || LedgerError::BatchFailed(msg.clone()));
                self.write_failed(msg);
                return;
            }
        }
        let (edge, epoch) = match &self.role {
            Role::Writer(w) if w.watch.is_lost() => {
                fail_all(jobs, || LedgerError::NotWriter);
                self.step_down("the writer lease was lost");
                return;
            }
            Role::Writer(w) => (&w.edge, w.epoch),
            _ => {
                fail_all(jobs, || LedgerError::NotWriter);
                return;
            }
        };
        let Some(prepared) = prepare(&self.shared, edge, epoch, jobs).await else {
            return;
        };
        let Prepared {
            batch,
            edge,
            entries,
            waiters,
            duplicates,
            full_tiles,
        } = prepared;
        let state = batch.new_state.clone();
        let old_size = batch.old_size;
        let started = std::time::Instant::now();
        let result = self.shared.store.integrate(batch).await;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let shared = Arc::clone(&self.shared);
        let metrics = &shared.metrics;
        metrics.integrate_micros.observe(micros);
        match result {
            Ok(()) => self.write_succeeded(),
            Err(
                e @ (StoreError::Fenced { .. }
                | StoreError::Conflict { .. }
                | StoreError::LeaseHeld(_)),
            ) => {
                Metrics::bump(&metrics.batches_failed);
                fail_replies(waiters, duplicates, || LedgerError::NotWriter);
                self.step_down(&e.to_string());
                return;
            }
            Err(e) => {
                Metrics::bump(&metrics.batches_failed);
                let msg = e.to_string();
                fail_replies(waiters, duplicates, || {
                    LedgerError::BatchFailed(msg.clone())
                });
                self.write_failed(format!("the last batch failed: {msg}"));
                // Whether or not the commit happened, the stored state decides what is next.
                let _ = self.resync().await;
                return;
            }
        }
        Metrics::bump(&metrics.batches_committed);
        metrics
            .entries_committed
            .fetch_add(entries.len() as u64, std::sync::atomic::Ordering::Relaxed);
        metrics.batch_sizes.observe(entries.len() as u64);
        for tile in full_tiles {
            self.shared.cache.insert(tile);
        }
        self.shared.recent.extend(&entries);
        let view = Arc::new(View {
            partial: expand_partial(&edge),
            state,
        });
        if let Role::Writer(w) = &mut self.role {
            w.edge = edge;
        }
        self.shared.publish(Some(Arc::clone(&view)));
        let size = view.state.size;
        let tiles = match inclusion_tiles_for(old_size..size, size) {
            Ok(ids) => self.shared.tile_set(&ids, Some(&view), size).await,
            Err(e) => Err(e),
        };
        let tiles = match tiles {
            Ok(t) => Arc::new(t),
            Err(e) => {
                let msg = format!("entry committed but its proof could not be built: {e}");
                fail_replies(waiters, duplicates, || LedgerError::Internal(msg.clone()));
                return;
            }
        };
        for (reply, position) in duplicates {
            Metrics::bump(&metrics.duplicates);
            let index = entries.get(position).map_or(0, |e| e.index);
            answer(reply, Err(LedgerError::Duplicate { index }));
        }
        for (entry, reply) in entries.into_iter().zip(waiters) {
            let committed = Committed {
                entry,
                view: Arc::clone(&view),
                tiles: Arc::clone(&tiles),
            };
            answer(reply, Ok(committed));
        }
    }

    /// Stops writing at once: drops the lease, stops publishing the in-memory head (reads
    /// go to the store's state) and tries the lease again later, as a standby would.
    fn step_down(&mut self, reason: &str) {
        if !matches!(self.role, Role::Writer(_)) {
            return;
        }
        Metrics::bump(&self.shared.metrics.step_downs);
        self.shared.publish(None);
        self.shared.set_write_problem(None);
        *self
            .shared
            .last_step_down
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(reason.to_owned());
        // As any standby: the lease is likely someone else's now. An attempt that finds the
        // store unreachable is retried sooner (see `try_take_over`).
        self.role = Role::Standby {
            next_try: Instant::now() + self.shared.config.lease_retry,
        };
    }

    fn halt(&mut self, reason: String) {
        let lease = match std::mem::replace(
            &mut self.role,
            Role::Standby {
                next_try: Instant::now(),
            },
        ) {
            Role::Writer(w) => Some(w.lease),
            Role::Halted { _lease: lease, .. } => lease,
            Role::Standby { .. } => None,
        };
        self.shared.set_write_problem(Some(reason.clone()));
        self.role = Role::Halted {
            _lease: lease,
            reason,
        };
    }

    /// Re-reads the stored tree and aligns the right edge with it (see the module docs).
    async fn resync(&mut self) -> Result<(), LedgerError> {
        Metrics::bump(&self.shared.metrics.resyncs);
        let (size, root) = match &self.role {
            Role::Writer(w) => (w.edge.size(), w.edge.root()),
            _ => return Ok(()),
        };
        let stored = self.shared.store.tree_state(self.shared.shard()).await;
        let state = match stored {
            Ok(Some(state)) => state,
            Ok(None) => {
                return Err(self.halt_with(format!("the tree state of size {size} vanished")))
            }
            Err(e) => {
                self.mark_stale();
                return Err(e.into());
            }
        };
        if state.size < size {
            return Err(self.halt_with(format!(
                "stored tree size went back from {size} to {}",
                state.size
            )));
        }
        if state.size == size {
            if state.root != root {
                return Err(self.halt_with(format!("stored root at size {size} changed")));
            }
            if let Role::Writer(w) = &mut self.role {
                w.stale = false;
            }
            return Ok(());
        }
        match self.shared.load_edge(&state).await {
            Ok((edge, partial)) => {
                if let Role::Writer(w) = &mut self.role {
                    w.edge = edge;
                    w.stale = false;
                }
                self.shared.publish(Some(Arc::new(View { state, partial })));
                Ok(())
            }
            Err(LedgerError::Store(StoreError::Corrupt(msg))) => Err(self.halt_with(msg)),
            Err(e) => {
                self.mark_stale();
                Err(e)
            }
        }
    }

    fn mark_stale(&mut self) {
        if let Role::Writer(w) = &mut self.role {
            w.stale = true;
        }
    }

    fn halt_with(&mut self, reason: String) -> LedgerError {
        let reason = format!("sequencer halted, run fsck: {reason}");
        self.halt(reason.clone());
        LedgerError::Internal(reason)
    }
}

/// Loads (or initialises) the stored tree for a new writer and publishes it.
async fn take_over<S: Store>(
    shared: &Shared<S>,
    lease: S::Lease,
) -> Result<Writer<S::Lease>, LedgerError> {
    let shard = shared.shard();
    let state = match shared.store.tree_state(shard).await? {
        Some(state) => state,
        None => initialise(shared, lease.epoch()).await?,
    };
    let (edge, partial) = shared.load_edge(&state).await?;
    shared.set_write_problem(None);
    shared.publish(Some(Arc::new(View { state, partial })));
    Ok(Writer {
        epoch: lease.epoch(),
        watch: lease.watch(),
        lease,
        edge,
        stale: false,
        failing: false,
    })
}

/// Writes the empty tree with a signed size-0 checkpoint.
async fn initialise<S: Store>(shared: &Shared<S>, epoch: u64) -> Result<TreeState, LedgerError> {
    let now = shared.clock.now_unix();
    let checkpoint = shared
        .signer
        .sign(0, &EMPTY_ROOT, now)
        .map_err(|e| LedgerError::Internal(format!("signing the empty checkpoint: {e}")))?;
    let state = TreeState {
        size: 0,
        root: EMPTY_ROOT,
        checkpoint,
    };
    let batch = Batch {
        shard: shared.shard(),
        epoch,
        old_size: 0,
        entries: Vec::new(),
        tiles: Vec::new(),
        new_state: state.clone(),
    };
    shared.store.integrate(batch).await?;
    Metrics::bump(&shared.metrics.batches_committed);
    Ok(state)
}

/// Deduplicates, indexes, stamps, appends and signs. Answers every job it drops; `None`
/// when nothing is left to write.
async fn prepare<S: Store>(
    shared: &Shared<S>,
    edge: &RightEdge,
    epoch: u64,
    jobs: Vec<Job>,
) -> Option<Prepared> {
    let shard = shared.shard();
    let mut distinct: Vec<Hash> = jobs.iter().map(|j| j.leaf).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let stored = match lookup_leaves(shared.store.as_ref(), shard, &distinct).await {
        Ok(found) => found,
        Err(e) => {
            let msg = format!("duplicate check failed: {e}");
            fail_all(jobs, || LedgerError::BatchFailed(msg.clone()));
            return None;
        }
    };
    let old_size = edge.size();
    let now = shared.clock.now_unix();
    let mut first_at: HashMap<Hash, usize> = HashMap::new();
    let mut new_entries: Vec<NewStoredEntry> = Vec::with_capacity(jobs.len());
    let mut waiters = Vec::with_capacity(jobs.len());
    let mut duplicates = Vec::new();
    for job in jobs {
        if let Some(&index) = stored.get(&job.leaf) {
            Metrics::bump(&shared.metrics.duplicates);
            answer(job.reply, Err(LedgerError::Duplicate { index }));
            continue;
        }
        if let Some(&position) = first_at.get(&job.leaf) {
            duplicates.push((job.reply, position));
            continue;
        }
        let Submission {
            body,
            kind,
            search_keys,
            receipt,
        } = job.submission;
        let mut entry = StoredEntry {
            index: old_size + new_entries.len() as u64,
            leaf_hash: job.leaf,
            body,
            integrated_time: now,
            kind,
            receipt: Vec::new(),
        };
        let stamped = match receipt {
            Some(given) => Ok(given),
            None => shared.stamper.stamp(&entry),
        };
        match stamped {
            Ok(receipt) => entry.receipt = receipt,
            Err(e) => {
                answer(
                    job.reply,
                    Err(LedgerError::Internal(format!("stamping the entry: {e}"))),
                );
                continue;
            }
        }
        first_at.insert(job.leaf, new_entries.len());
        new_entries.push(NewStoredEntry { entry, search_keys });
        waiters.push(job.reply);
    }
    if new_entries.is_empty() {
        return None;
    }
    let leaves: Vec<Hash> = new_entries.iter().map(|e| e.entry.leaf_hash).collect();
    let mut edge = edge.clone();
    let signed = edge
        .append(&leaves)
        .map_err(|e| e.to_string())
        .and_then(|outcome| {
            shared
                .signer
                .sign(outcome.size, &outcome.root, now)
                .map(|checkpoint| (outcome, checkpoint))
                .map_err(|e| format!("signing the checkpoint: {e}"))
        });
    let (outcome, checkpoint) = match signed {
        Ok(ok) => ok,
        Err(msg) => {
            fail_replies(waiters, duplicates, || LedgerError::Internal(msg.clone()));
            return None;
        }
    };
    let full_tiles = outcome
        .tiles
        .iter()
        .filter(|t| t.id.is_full())
        .filter_map(|t| Tile::new(t.id, t.hashes.clone()).ok())
        .map(Arc::new)
        .collect();
    let tiles = outcome
        .tiles
        .into_iter()
        .map(|t| StoredTile {
            id: t.id,
            hashes: t.hashes.concat(),
        })
        .collect();
    let entries = new_entries.iter().map(|e| e.entry.clone()).collect();
    let batch = Batch {
        shard,
        epoch,
        old_size,
        entries: new_entries,
        tiles,
        new_state: TreeState {
            size: outcome.size,
            root: outcome.root,
            checkpoint,
        },
    };
    Some(Prepared {
        batch,
        edge,
        entries,
        waiters,
        duplicates,
        full_tiles,
    })
}

/// The stored indexes of those of `leaves` already in the log.
///
/// One store round trip for the whole batch.
async fn lookup_leaves<S: Store>(
    store: &S,
    shard: ShardId,
    leaves: &[Hash],
) -> Result<HashMap<Hash, u64>, StoreError> {
    Ok(store
        .find_leaves(shard, leaves)
        .await?
        .into_iter()
        .collect())
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The edge's partial tiles, expanded for proofs.
fn expand_partial(edge: &RightEdge) -> Vec<Arc<Tile>> {
    edge.partial_tiles()
        .into_iter()
        .filter_map(|t| Tile::new(t.id, t.hashes).ok())
        .map(Arc::new)
        .collect()
}

/// Sends an answer; a submitter that stopped waiting is no error.
fn answer(reply: Reply, result: Result<Committed, LedgerError>) {
    let _ = reply.send(result);
}

fn fail_all(jobs: Vec<Job>, error: impl Fn() -> LedgerError) {
    for job in jobs {
        answer(job.reply, Err(error()));
    }
}

fn fail_replies(
    waiters: Vec<Reply>,
    duplicates: Vec<(Reply, usize)>,
    error: impl Fn() -> LedgerError,
) {
    for reply in waiters {
        answer(reply, Err(error()));
    }
    for (reply, _) in duplicates {
        answer(reply, Err(error()));
    }
}
