//! Fault recovery on a real PostgreSQL: a writer whose lease session is cut, and a database
//! that stops and comes back. Each test runs its own server (`sigstack-testkit`'s
//! `PgInstance`, ports 55330-55359), never the shared one, since it stops it and cuts its
//! sessions. Needs the PostgreSQL server binaries (tests/all.sh installs them); fails
//! without them. Run with `cargo test -p sigstack-ledger --test pg_failover -- --nocapture`
//! to see the measured durations (docs/operations.md quotes them).
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod ledger_support;

use std::collections::HashSet;
use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ledger_support::*;
use sigstack_ledger::postgres::PgStore;
use sigstack_ledger::{fsck, Ledger, LedgerConfig, LedgerError};
use sigstack_merkle::leaf_hash;
use sigstack_testkit::PgInstance;

const PORTS: std::ops::Range<u16> = 55330..55360;

/// A private server with a migrated database; the URL of that database.
async fn database() -> (Arc<PgInstance>, String) {
    let pg = tokio::task::spawn_blocking(|| PgInstance::start_in(PORTS))
        .await
        .unwrap()
        .expect("a private PostgreSQL (needs the server binaries)");
    let url = pg.create_database("fence").unwrap();
    PgStore::migrate(&url).await.unwrap();
    (Arc::new(pg), url)
}

fn pg_config() -> LedgerConfig {
    LedgerConfig {
        lease_retry: Duration::from_millis(100),
        warm_tile_cache: false,
        ..config()
    }
}

async fn open_pg(url: &str) -> (Arc<PgStore>, Ledger<PgStore>) {
    let store = Arc::new(PgStore::connect(url).await.unwrap());
    let ledger = Ledger::open(
        Arc::clone(&store),
        pg_config(),
        Arc::new(TestSigner),
        Arc::new(TestStamper),
        Arc::new(FakeClock(AtomicI64::new(START_TIME))),
    )
    .await
    .unwrap();
    (store, ledger)
}

/// Waits up to `limit` for `cond`; how long it took.
async fn within(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !cond() {
        assert!(started.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}

/// The server process id of the session holding the writer lease (an advisory lock).
fn lease_session(pg: &PgInstance) -> i32 {
    let out = pg
        .query_on(
            "fence",
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted",
        )
        .unwrap();
    let pids: Vec<i32> = out.lines().map(|l| l.trim().parse().unwrap()).collect();
    assert_eq!(pids.len(), 1, "one lease session: {out:?}");
    pids[0]
}

async fn fsck_clean_pg(store: &PgStore) -> u64 {
    let report = fsck(store, SHARD, &parse_checkpoint).await.unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    report.size
}

/// Submits `n` bodies named `name-i` as fast as answers come; the acknowledged ones.
fn load(
    ledger: &Ledger<PgStore>,
    name: &'static str,
    n: usize,
) -> tokio::task::JoinHandle<Vec<(u64, String)>> {
    let ledger = ledger.clone();
    tokio::spawn(async move {
        let mut acked = Vec::new();
        for i in 0..n {
            let body = format!("{name}-{i}");
            match ledger.submit(submission(body.clone())).await {
                Ok(accepted) => acked.push((accepted.entry.index, body)),
                Err(LedgerError::NotWriter | LedgerError::BatchFailed(_)) => {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                Err(e) => panic!("{name}-{i}: {e:?}"),
            }
        }
        acked
    })
}

/// Two processes (two stores with their own pools) on one database; the writer's lease
/// session is cut with `pg_terminate_backend` while both take submissions. The old writer
/// steps down, the standby takes over from the stored state, nothing is acknowledged twice
/// or lost, the old writer's reads follow the new writer's tree, and one writer is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_whose_lease_session_is_cut_steps_down_and_is_fenced() {
    let (pg, url) = database().await;
    let (_sa, a) = open_pg(&url).await;
    let (sb, b) = open_pg(&url).await;
    assert!(a.is_writer() && !b.is_writer());
    for i in 0..5 {
        a.submit(submission(format!("before-{i}"))).await.unwrap();
    }

    let loads = [load(&a, "a", 300), load(&b, "b", 300)];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let pid = lease_session(&pg);
    assert!(pg.terminate_backend(pid).unwrap());
    let cut = Instant::now();
    let stepped_down = within(Duration::from_secs(2), "the old writer steps down", || {
        !a.is_writer()
    })
    .await;
    within(Duration::from_secs(3), "the standby takes over", || {
        b.is_writer()
    })
    .await;
    let taken_over = cut.elapsed();
    eprintln!(
        "measured: old writer stepped down {stepped_down:?} after its lease session was cut; \
         the standby wrote after {taken_over:?}"
    );

    let mut acked = Vec::new();
    for l in loads {
        acked.extend(l.await.unwrap());
    }
    // Every acknowledged entry is where it was acknowledged, each index once.
    let indexes: HashSet<u64> = acked.iter().map(|(i, _)| *i).collect();
    assert_eq!(indexes.len(), acked.len(), "an index acknowledged twice");
    for (index, body) in &acked {
        let entry = b
            .entry(*index)
            .await
            .unwrap()
            .expect("acknowledged entry stored");
        assert_eq!(entry.body, body.as_bytes());
    }

    // After the take-over only the new writer writes, and the old one reads its tree.
    assert!(b.is_writer() && !a.is_writer(), "exactly one writer");
    assert!(a.write_health().is_err());
    assert!(b.write_health().is_ok(), "{:?}", b.write_health());
    let accepted = b.submit(submission("after")).await.unwrap();
    check_accepted(&accepted, b"after");
    let refused = a.submit(submission("a-after")).await;
    assert!(
        matches!(refused, Err(LedgerError::NotWriter)),
        "{refused:?}"
    );
    let state = a.state().await.unwrap();
    assert_eq!(state.size, accepted.tree_size);
    assert_eq!(state.root, accepted.root);
    let read = a.entry(accepted.entry.index).await.unwrap().unwrap();
    assert_eq!(read.body, b"after");
    let found = a
        .entry_by_leaf(&leaf_hash(b"after"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.index, accepted.entry.index);
    let proof = a
        .inclusion_proof(accepted.entry.index, accepted.tree_size)
        .await
        .unwrap();
    assert_eq!(proof, accepted.inclusion_proof);
    assert_eq!(fsck_clean_pg(&sb).await, accepted.tree_size);
    a.close().await;
    b.close().await;
}

/// The database stops: a write fails fast (no 30 s pool wait) and the ledger says it cannot
/// write; the database comes back: writing resumes quickly, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_fails_writes_fast_and_writing_resumes_when_it_is_back() {
    let (pg, url) = database().await;
    let (store, a) = open_pg(&url).await;
    a.submit(submission("up-0")).await.unwrap();

    let server = Arc::clone(&pg);
    tokio::task::spawn_blocking(move || server.stop())
        .await
        .unwrap()
        .unwrap();
    let started = Instant::now();
    let refused = a.submit(submission("down-0")).await;
    let failed_in = started.elapsed();
    assert!(
        matches!(
            refused,
            Err(LedgerError::NotWriter | LedgerError::BatchFailed(_))
        ),
        "{refused:?}"
    );
    assert!(
        failed_in < Duration::from_millis(1500),
        "write failed after {failed_in:?}"
    );
    within(
        Duration::from_millis(1500),
        "the ledger reports it cannot write",
        || a.write_health().is_err(),
    )
    .await;
    // Later writes fail fast too.
    let started = Instant::now();
    assert!(a.submit(submission("down-1")).await.is_err());
    let failed_again_in = started.elapsed();
    assert!(
        failed_again_in < Duration::from_millis(1500),
        "{failed_again_in:?}"
    );

    let server = Arc::clone(&pg);
    tokio::task::spawn_blocking(move || server.restart())
        .await
        .unwrap()
        .unwrap();
    let back = Instant::now();
    let accepted = loop {
        match a.submit(submission("up-1")).await {
            Ok(accepted) => break accepted,
            Err(LedgerError::NotWriter | LedgerError::BatchFailed(_)) => {
                assert!(
                    back.elapsed() < Duration::from_secs(3),
                    "no write within 3 s"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("{e:?}"),
        }
    };
    let resumed_in = back.elapsed();
    eprintln!(
        "measured: write refused {failed_in:?} after the database stopped \
         (then {failed_again_in:?}); first write committed {resumed_in:?} after it was back"
    );
    check_accepted(&accepted, b"up-1");
    assert!(a.write_health().is_ok());
    assert_eq!(fsck_clean_pg(&store).await, accepted.tree_size);
    a.close().await;
}
