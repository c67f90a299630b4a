//! Where the API verifies: a bounded pool with admission control, off the async workers.
//!
//! Policy, in order:
//! - Every job that may check a signature (create, retrieve by proposed entry, a search by
//!   PGP key) runs on a blocking thread, never on the async workers that serve reads,
//!   `/healthz` and drive the sequencer.
//! - At most `workers` jobs run at once; at most `queue` more wait. A job that finds both
//!   full is refused at once ([`PoolError::Full`], answered 503 with `Retry-After`), so a
//!   flood of expensive entries queues nothing unboundedly.
//! - Each job gets its own [`WorkBudget`]. When the caller stops waiting (the future is
//!   dropped: client gone, request timeout) or the deadline passes, the budget is cancelled
//!   and the job stops at its next signature check; a job cancelled while still queued never
//!   starts. A running job keeps its pool slot until it has really stopped, so the bound is
//!   on work done, not on answers pending.
//! - Admitted, rejected and abandoned jobs are counted in [`VerificationCounters`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::{CancelFlag, WorkBudget};

/// Why [`VerifyPool::run`] gave no result.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PoolError {
    /// Every worker is busy and the queue is full.
    #[error("the verification pool is full")]
    Full,
    /// The deadline passed before the job finished; it was cancelled.
    #[error("verification did not finish in time")]
    Abandoned,
    /// The job panicked or the runtime is shutting down.
    #[error("verification task failed: {0}")]
    Failed(String),
}

/// What the pool counted since start; exported by the embedding binary.
#[derive(Debug, Default)]
pub struct VerificationCounters {
    admitted: AtomicU64,
    rejected: AtomicU64,
    abandoned: AtomicU64,
}

impl VerificationCounters {
    /// Jobs taken into the pool (run or queued).
    pub fn admitted(&self) -> u64 {
        self.admitted.load(Ordering::Relaxed)
    }
    /// Jobs refused because the pool and its queue were full (answered 503).
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
    /// Admitted jobs stopped or never started because nobody waited for them any more.
    pub fn abandoned(&self) -> u64 {
        self.abandoned.load(Ordering::Relaxed)
    }
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The pool's size and bounds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolLimits {
    /// Jobs running at once.
    pub workers: usize,
    /// Jobs waiting for a worker, beyond which new ones are refused.
    pub queue: usize,
    /// Signature checks each job may make.
    pub max_signature_checks: u32,
    /// How long a job may take from admission before it is cancelled.
    pub deadline: Duration,
}

/// A bounded verification pool; see the module documentation.
#[derive(Debug)]
pub(crate) struct VerifyPool {
    /// Permits for running and queued jobs together: admission control.
    admission: Arc<Semaphore>,
    /// Permits for running jobs.
    running: Arc<Semaphore>,
    limits: PoolLimits,
    counters: Arc<VerificationCounters>,
}

impl VerifyPool {
    /// A pool with `limits` (a zero worker count is taken as one), counting into `counters`.
    pub(crate) fn new(limits: PoolLimits, counters: Arc<VerificationCounters>) -> Self {
        let workers = limits.workers.max(1);
        Self {
            admission: Arc::new(Semaphore::new(workers.saturating_add(limits.queue))),
            running: Arc::new(Semaphore::new(workers)),
            limits,
            counters,
        }
    }

    /// Runs `job` in the pool with a fresh [`WorkBudget`] and returns its result.
    ///
    /// Dropping the returned future cancels the job (see the module documentation).
    pub(crate) async fn run<T, F>(&self, job: F) -> Result<T, PoolError>
    where
        T: Send + 'static,
        F: FnOnce(&WorkBudget) -> T + Send + 'static,
    {
        let Ok(admitted) = Arc::clone(&self.admission).try_acquire_owned() else {
            VerificationCounters::bump(&self.counters.rejected);
            return Err(PoolError::Full);
        };
        VerificationCounters::bump(&self.counters.admitted);
        let budget = WorkBudget::new(self.limits.max_signature_checks);
        let mut guard = CancelOnDrop {
            flag: budget.cancel_flag(),
            counters: Arc::clone(&self.counters),
            handed_over: false,
        };
        let running = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|_| PoolError::Failed("the verification pool is closed".into()))?;
        let counters = Arc::clone(&self.counters);
        let task = tokio::task::spawn_blocking(move || {
            // Both permits live as long as the work does, even if nobody waits any more.
            let _permits = (admitted, running);
            let result = if budget.is_cancelled() {
                None
            } else {
                Some(job(&budget))
            };
            if budget.is_cancelled() {
                VerificationCounters::bump(&counters.abandoned);
                return None;
            }
            result
        });
        guard.handed_over = true;
        // On every return `guard` is dropped and raises the flag: harmless once the job has
        // finished, and what stops it after a timeout.
        match tokio::time::timeout(self.limits.deadline, task).await {
            Ok(Ok(Some(value))) => Ok(value),
            Ok(Ok(None)) | Err(_) => Err(PoolError::Abandoned),
            Ok(Err(e)) => Err(PoolError::Failed(e.to_string())),
        }
    }
}

/// Cancels a job's budget when its caller stops waiting. A job dropped before it was handed
/// to a thread is counted as abandoned here; afterwards the thread counts it when it stops.
struct CancelOnDrop {
    flag: CancelFlag,
    counters: Arc<VerificationCounters>,
    handed_over: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.flag.cancel();
        if !self.handed_over {
            VerificationCounters::bump(&self.counters.abandoned);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::mpsc;

    fn pool(workers: usize, queue: usize) -> VerifyPool {
        VerifyPool::new(
            PoolLimits {
                workers,
                queue,
                max_signature_checks: u32::MAX,
                deadline: Duration::from_secs(30),
            },
            Arc::default(),
        )
    }

    /// A job that charges its budget until cancelled, then reports how it ended.
    fn spinner(done: mpsc::Sender<bool>) -> impl FnOnce(&WorkBudget) + Send + 'static {
        move |budget: &WorkBudget| {
            while budget.charge_units(1).is_ok() {
                std::thread::yield_now();
            }
            let _ = done.send(budget.is_cancelled());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn full_pool_refuses_and_dropped_job_stops() {
        let pool = Arc::new(pool(1, 0));
        let (tx, rx) = mpsc::channel();
        let p = Arc::clone(&pool);
        let running = tokio::spawn(async move { p.run(spinner(tx)).await });
        while pool.counters.admitted() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(matches!(pool.run(|_| ()).await, Err(PoolError::Full)));
        assert_eq!(pool.counters.rejected(), 1);
        running.abort();
        let stopped = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(10)))
            .await
            .unwrap();
        assert_eq!(stopped, Ok(true), "the dropped job saw its cancellation");
        // The slot is free again once the job has really stopped.
        let mut answered = None;
        for _ in 0..200 {
            match pool.run(|_| 7).await {
                Ok(v) => {
                    answered = Some(v);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
        assert_eq!(answered, Some(7));
        assert_eq!(pool.counters.abandoned(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn deadline_cancels_the_job() {
        let mut limits = pool(1, 1).limits;
        limits.deadline = Duration::from_millis(50);
        let pool = VerifyPool::new(limits, Arc::default());
        let (tx, rx) = mpsc::channel();
        assert!(matches!(
            pool.run(spinner(tx)).await,
            Err(PoolError::Abandoned)
        ));
        let stopped = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(10)))
            .await
            .unwrap();
        assert_eq!(stopped, Ok(true));
    }
}
