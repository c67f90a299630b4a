//! Two `sigstack serve` processes on one PostgreSQL database, from the binary: the writer's
//! lease sessions are cut (`pg_terminate_backend`), and afterwards exactly one process is
//! ready and takes writes, and the old writer answers reads with what the new one wrote.
//!
//! Runs its own PostgreSQL (`sigstack-testkit`, ports 55360-55389), never the shared one.
//! Needs the PostgreSQL server binaries (tests/all.sh installs them); fails without them.
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use support::*;

use std::time::{Duration, Instant};

use sigstack_testkit::PgInstance;

/// Posts an entry; the response.
fn post(port: u16, entry: &str) -> Response {
    request(
        port,
        "POST",
        "/api/v1/log/entries",
        "Content-Type: application/json\r\n",
        entry,
    )
}

/// The log index of a created entry.
fn log_index(created: &Response) -> u64 {
    let body: serde_json::Value = serde_json::from_str(&created.body).unwrap();
    let (_, entry) = body.as_object().unwrap().iter().next().unwrap();
    entry["logIndex"].as_u64().unwrap()
}

fn ready(port: u16) -> bool {
    get(port, "/readyz").status == 200
}

/// Waits up to `limit` for `cond`.
fn within(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let started = Instant::now();
    while !cond() {
        assert!(started.elapsed() < limit, "not within {limit:?}: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn after_the_writers_lease_sessions_are_cut_one_process_writes_and_both_read_it() {
    let pg = PgInstance::start_in(55360..55390).expect("a private PostgreSQL");
    let url = pg.create_database("stack").unwrap();
    let out = run(&["migrate", "--database-url", &url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tmp = TempDir::new("failover");
    let data = init_dev(&tmp, "data", "failover.test");
    let args = [
        "--data-dir",
        data.as_str(),
        "--dev-oidc",
        "--database-url",
        url.as_str(),
    ];
    let (_a, a) = serve(&args);
    within(
        Duration::from_secs(10),
        "the first process is ready",
        || ready(a),
    );
    let (_b, b) = serve(&args);
    assert!(!ready(b), "the second process is a standby");

    let first = post(a, &hashedrekord(b"failover one"));
    assert_eq!(first.status, 201, "{}", first.body);

    // Cut every lease session (the log's and the CT log's): all are the first process's.
    let holders = pg
        .query_on(
            "stack",
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks \
             WHERE locktype = 'advisory' AND granted",
        )
        .unwrap();
    assert_ne!(holders, "0");
    // Either process may take the leases next (both retry every second); one must, alone.
    let started = Instant::now();
    let (writer, other) = loop {
        match (ready(a), ready(b)) {
            (true, false) if started.elapsed() > Duration::from_millis(500) => break (a, b),
            (false, true) => break (b, a),
            _ => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no single writer within 5 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // And it stays that way past the standbys' next lease attempts.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(ready(writer) && !ready(other), "exactly one ready process");
    let refused = post(other, &hashedrekord(b"failover refused"));
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.header("retry-after").as_deref(), Some("1"));

    let second = post(writer, &hashedrekord(b"failover two"));
    assert_eq!(second.status, 201, "{}", second.body);
    let index = log_index(&second);
    assert_eq!(index, log_index(&first) + 1);
    let uuid = second.header("etag").unwrap();
    // The other process serves the writer's entries and tree, by index and by UUID.
    let by_index = get(other, &format!("/api/v1/log/entries?logIndex={index}"));
    assert_eq!(by_index.status, 200, "{}", by_index.body);
    assert!(by_index.body.contains(&uuid), "{}", by_index.body);
    let by_uuid = get(other, &format!("/api/v1/log/entries/{uuid}"));
    assert_eq!(by_uuid.status, 200, "{}", by_uuid.body);
    let info = |port| -> serde_json::Value {
        serde_json::from_str(&get(port, "/api/v1/log").body).unwrap()
    };
    let (info_w, info_o) = (info(writer), info(other));
    assert_eq!(info_w["treeSize"], info_o["treeSize"]);
    assert_eq!(info_w["rootHash"], info_o["rootHash"]);
    assert!(ready(writer) && !ready(other), "exactly one ready process");
}

/// The database stops under a running server: a write is answered 503 with `Retry-After`
/// within about a second (not after a 30 s pool wait), `/readyz` answers 503 within a
/// second, and once the database is back writes succeed again without a restart.
#[test]
fn a_stopped_database_is_a_fast_503_and_writing_resumes_when_it_is_back() {
    let pg = PgInstance::start_in(55360..55390).expect("a private PostgreSQL");
    let url = pg.create_database("stack").unwrap();
    let out = run(&["migrate", "--database-url", &url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tmp = TempDir::new("outage");
    let data = init_dev(&tmp, "data", "outage.test");
    let (_server, port) = serve(&["--data-dir", &data, "--dev-oidc", "--database-url", &url]);
    within(Duration::from_secs(10), "the server is ready", || {
        ready(port)
    });
    let created = post(port, &hashedrekord(b"outage one"));
    assert_eq!(created.status, 201, "{}", created.body);

    pg.stop().unwrap();
    let started = Instant::now();
    let refused = post(port, &hashedrekord(b"outage two"));
    let refused_in = started.elapsed();
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.header("retry-after").as_deref(), Some("1"));
    assert!(refused_in < Duration::from_millis(1500), "{refused_in:?}");
    let started = Instant::now();
    let probe = get(port, "/readyz");
    let probe_in = started.elapsed();
    assert_eq!(probe.status, 503, "{}", probe.body);
    assert!(probe_in < Duration::from_secs(1), "{probe_in:?}");

    pg.restart().unwrap();
    let back = Instant::now();
    loop {
        let answer = post(port, &hashedrekord(b"outage two"));
        if answer.status == 201 {
            break;
        }
        assert_eq!(answer.status, 503, "{}", answer.body);
        assert!(
            back.elapsed() < Duration::from_secs(3),
            "no write within 3 s of the return"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let resumed_in = back.elapsed();
    within(Duration::from_secs(2), "ready again", || ready(port));
    eprintln!(
        "measured (HTTP): write answered 503 in {refused_in:?} and /readyz in {probe_in:?} \
         with the database down; first 201 {resumed_in:?} after it was back"
    );
}
