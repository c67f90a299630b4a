//! SQLite on a full disk: a batch whose COMMIT fails is not acknowledged, the ledger says
//! it cannot write, and once space is freed it writes again without a restart (the failed
//! write connection is replaced, not reused).
//!
//! The database lives on a tmpfs of its own, mounted for the test, so filling it touches no
//! other file system. Mounting needs root (CI and tests/all.sh run as root); without it the
//! test fails saying so.
#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod ledger_support;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ledger_support::*;
use sigstack_ledger::sqlite::SqliteStore;
use sigstack_ledger::{fsck, Ledger, LedgerConfig, LedgerError};

/// A small tmpfs mounted on a new directory, unmounted on drop.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(size: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sigstack-diskfull-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .expect("running mount");
        assert!(
            out.status.success(),
            "mounting a tmpfs needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { dir }
    }

    fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: the store's files may still be open while the test unwinds.
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Writes `path` until the file system is full.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0xA5u8; 16 << 10];
    loop {
        if file
            .write_all(&chunk)
            .and_then(|()| file.sync_all())
            .is_err()
        {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_batches_and_writing_resumes_once_space_is_freed() {
    let fs = Tmpfs::mount("4m");
    let db = fs.path().join("ledger.db");
    let store = Arc::new(SqliteStore::open_and_migrate(&db).await.unwrap());
    let ledger = Ledger::open(
        Arc::clone(&store),
        LedgerConfig {
            max_batch: 8,
            // The idle writer's probe (a one-row rewrite) may fit in a disk too full for a
            // batch of big entries: probing only after 500 ms idle keeps the health read
            // right after the failure deterministic.
            lease_retry: Duration::from_millis(500),
            ..config()
        },
        Arc::new(TestSigner),
        Arc::new(TestStamper),
        Arc::new(FakeClock(AtomicI64::new(START_TIME))),
    )
    .await
    .unwrap();
    for i in 0..10 {
        ledger
            .submit(submission(format!("small-{i}")))
            .await
            .unwrap();
    }

    let filler = fs.path().join("filler");
    fill(&filler);
    // Entries big enough that the write-ahead log must grow to take them.
    let big = |i: usize| {
        let mut body = format!("big-{i}-").into_bytes();
        body.resize(24 << 10, b'x');
        body
    };
    let mut failure = None;
    for i in 0..200 {
        match ledger.submit(submission(big(i))).await {
            Ok(_) => {}
            Err(LedgerError::BatchFailed(msg)) => {
                failure = Some(msg);
                break;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    let failure = failure.expect("a batch fails on the full disk");
    assert!(failure.contains("full"), "{failure}");
    let why = ledger.write_health().unwrap_err();
    assert!(why.contains("full"), "{why}");
    assert!(
        ledger.is_writer(),
        "a full disk is no reason to give up the lease"
    );
    // Still full: still refused, for the same reason (not a wedged connection).
    match ledger.submit(submission(big(1000))).await {
        Err(LedgerError::BatchFailed(msg)) => assert!(msg.contains("full"), "{msg}"),
        other => panic!("{other:?}"),
    }

    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    // No submissions: the writer's own probe finds the room.
    while ledger.write_health().is_err() {
        assert!(
            freed.elapsed() < Duration::from_secs(5),
            "still not writable"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let healthy_in = freed.elapsed();
    let accepted = ledger.submit(submission(big(1000))).await.unwrap();
    check_accepted(&accepted, &big(1000));
    eprintln!("measured: writable again {healthy_in:?} after space was freed");
    let report = fsck(store.as_ref(), SHARD, &parse_checkpoint)
        .await
        .unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!(report.size, accepted.tree_size);
    ledger.close().await;
    store.close().await;
}
