//! How fast the sequencer alone goes, over the in-memory store: a figure, not a timed test.
//! Run with
//! `cargo test --release -p sigstack-ledger --test ledger_throughput -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod ledger_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ledger_support::*;
use sigstack_ledger::store::Store;
use sigstack_ledger::{Ledger, MemoryStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a figure for docs/benchmarks.md, not a check"]
async fn sequencer_throughput_over_the_memory_store() {
    let store = Arc::new(MemoryStore::new());
    let ledger = open(&store, bench_config()).await;
    run(&ledger, 512, 400).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a figure for docs/benchmarks.md, not a check"]
async fn sequencer_throughput_over_sqlite() {
    use std::sync::atomic::AtomicI64;

    use sigstack_ledger::sqlite::SqliteStore;

    let dir = std::env::temp_dir().join(format!("sigstack_ledger_bench_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("ledger.db");
    SqliteStore::migrate(&db).await.unwrap();
    let store = Arc::new(SqliteStore::open(&db).await.unwrap());
    let ledger = Ledger::open(
        store,
        bench_config(),
        Arc::new(TestSigner),
        Arc::new(TestStamper),
        Arc::new(FakeClock(AtomicI64::new(START_TIME))),
    )
    .await
    .unwrap();
    run(&ledger, 512, 100).await;
    ledger.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn bench_config() -> sigstack_ledger::LedgerConfig {
    let mut cfg = config();
    cfg.max_batch = 1024;
    cfg.queue_capacity = 16384;
    cfg.tile_cache_tiles = 4096;
    cfg
}

/// `clients` tasks each submit `per_client` entries back to back (closed loop), then one
/// task reads inclusion proofs.
async fn run<S: Store>(ledger: &Ledger<S>, clients: usize, per_client: usize) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let mut worst = Duration::ZERO;
                for i in 0..per_client {
                    let t = Instant::now();
                    let body = format!("client-{c}-entry-{i}-{}", "x".repeat(400));
                    ledger.submit(submission(body)).await.unwrap();
                    worst = worst.max(t.elapsed());
                }
                worst
            })
        })
        .collect();
    let mut worst = Duration::ZERO;
    for t in tasks {
        worst = worst.max(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    let n = clients * per_client;
    let m = ledger.metrics();
    println!(
        "{n} entries in {elapsed:?}: {:.0}/s; {} batches (mean {:.0}); worst submit {worst:?}; \
         {:.1}s inside Store::integrate",
        n as f64 / elapsed.as_secs_f64(),
        m.batches_committed,
        m.batch_sizes.sum as f64 / m.batch_sizes.count.max(1) as f64,
        m.integrate_micros.sum as f64 / 1e6,
    );

    let started = Instant::now();
    let size = ledger.state().await.unwrap().size;
    let reads = 100_000u64;
    for i in 0..reads {
        ledger
            .inclusion_proof((i * 7919) % size, size)
            .await
            .unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "{reads} inclusion proofs in {elapsed:?}: {:.0}/s (one task)",
        reads as f64 / elapsed.as_secs_f64()
    );
}
