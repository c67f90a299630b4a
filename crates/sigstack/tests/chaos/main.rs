//! The chaos suite: faults injected into a running `sigstack serve` under write load, and
//! after each one every acknowledged entry re-verified from outside (see `verify`) with 0
//! lost. Faults: kill -9 of the server (SQLite and PostgreSQL), PostgreSQL stopped mid-load,
//! the writer's lease session terminated, failover of an HA pair, and a streaming replica
//! serving reads while the primary takes writes.
//!
//! Runs in `cargo test` (bounded: a few rounds of a couple of seconds each, about two
//! minutes on two cores). By hand, longer: `SIGSTACK_CHAOS_ROUNDS=20
//! SIGSTACK_CHAOS_ROUND_MS=5000 cargo test -p sigstack --test chaos -- --nocapture`; each
//! test prints the outage it measured (the figures in `docs/operations.md`).
//!
//! PostgreSQL tests run their own private server (`sigstack-testkit`), never a shared
//! one, and fail if the PostgreSQL server binaries are missing.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../support/mod.rs"]
mod support;

mod load;
mod verify;

use std::net::TcpListener;
use std::process::Stdio;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use sigstack_testkit::PgInstance;

use crate::load::{Ack, Load, LoadReport};
use crate::support::{run, sigstack, text, try_get, Server, TempDir};
use crate::verify::{Checker, LogKey};

/// The checkpoint key name (`init --hostname`).
const HOSTNAME: &str = "chaos.sigstack.test";
/// This suite's PostgreSQL ports.
const PG_PORTS: std::ops::Range<u16> = 55400..55440;
/// Concurrent writers.
const CLIENTS: usize = 4;
/// How long a failover or recovery may take before the test calls it lost.
const RECOVERY_LIMIT: Duration = Duration::from_secs(30);

/// One fault at a time: the figures each test prints are outages, and two tests' loads on
/// two cores would measure each other.
static SERIAL: Mutex<()> = Mutex::new(());

fn rounds() -> usize {
    env_number("SIGSTACK_CHAOS_ROUNDS", 3)
}

/// Load before each fault.
fn round_time() -> Duration {
    Duration::from_millis(env_number("SIGSTACK_CHAOS_ROUND_MS", 1000) as u64)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A port of this suite's range (55440-55499) nobody listens on.
fn port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(55440);
    loop {
        let p = NEXT.fetch_add(1, Ordering::Relaxed);
        let p = 55440 + (p - 55440) % 60;
        if TcpListener::bind(("127.0.0.1", p)).is_ok() {
            return p;
        }
    }
}

/// A data directory made by `init` (log key, configuration).
fn init(tmp: &TempDir) -> String {
    let data = tmp.data();
    let out = run(&["init", "--data-dir", &data, "--hostname", HOSTNAME]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    data
}

/// Where the log lives.
#[derive(Clone)]
enum Db {
    /// The data directory's SQLite file.
    Sqlite,
    /// A PostgreSQL URL, optionally with a hot-standby replica for reads.
    Pg {
        url: String,
        read_url: Option<String>,
    },
}

impl Db {
    fn pg(pg: &PgInstance, name: &str) -> Self {
        let url = pg.create_database(name).unwrap();
        let out = run(&["migrate", "--database-url", &url]);
        assert!(out.status.success(), "migrate: {}", text(&out.stderr));
        Db::Pg {
            url,
            read_url: None,
        }
    }
}

/// `serve log` on `db`; returns once it answers `/healthz` (a standby answers too).
fn serve(data: &str, db: &Db) -> (Server, u16) {
    let port = port();
    let listen = format!("127.0.0.1:{port}");
    let mut cmd = sigstack();
    cmd.args(["serve", "log", "--data-dir", data, "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Db::Pg { url, read_url } = db {
        cmd.args(["--database-url", url]);
        if let Some(read) = read_url {
            cmd.args(["--read-database-url", read]);
        }
    }
    let mut server = Server(cmd.spawn().unwrap());
    let deadline = Instant::now() + RECOVERY_LIMIT;
    loop {
        if try_get(port, "/healthz").is_some_and(|r| r.status == 200) {
            return (server, port);
        }
        assert!(server.0.try_wait().unwrap().is_none(), "serve exited early");
        assert!(Instant::now() < deadline, "serve did not come up");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `port` is the writer (`/readyz` 200).
fn is_writer(port: u16) -> bool {
    try_get(port, "/readyz").is_some_and(|r| r.status == 200)
}

/// Waits until one of `ports` is the writer; returns its position.
fn wait_writer(ports: &[u16]) -> usize {
    let deadline = Instant::now() + RECOVERY_LIMIT;
    loop {
        if let Some(i) = ports.iter().position(|p| is_writer(*p)) {
            return i;
        }
        assert!(Instant::now() < deadline, "no writer among {ports:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kill -9 by the child's pid: no shutdown, no lease release, no flush.
fn kill9(server: Server) {
    drop(server);
}

/// Ends a load, checks it saw nothing but acknowledgements, refusals and dropped
/// connections, and adds its acknowledgements to `all`.
fn finish(load: Load, all: &mut Vec<Ack>) -> LoadReport {
    let report = load.stop();
    let unexpected = report.unexpected();
    assert!(
        unexpected.is_empty(),
        "answers other than 201/503 under chaos: {unexpected:?}"
    );
    all.extend(report.acks.iter().cloned());
    report
}

/// Verifies every acknowledgement so far against `port`, printing what was covered.
fn verify_all(checker: &mut Checker, port: u16, acks: &[Ack], what: &str) {
    let verified = checker
        .verify(port, acks)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(verified.entries, acks.len());
    eprintln!(
        "{what}: {} acknowledged entries re-verified, {} earlier checkpoints consistent with size {}; 0 lost",
        verified.entries, verified.checkpoints, verified.tree_size
    );
}

/// Prints an outage figure for docs/operations.md.
fn report_outage(what: &str, outages: &[Duration]) {
    let mut ms: Vec<u128> = outages.iter().map(Duration::as_millis).collect();
    ms.sort_unstable();
    eprintln!(
        "{what}: writes unavailable for {:?} ms (sorted, {} rounds)",
        ms,
        ms.len()
    );
}

/// Kill -9 of the only server under write load, then a restart on the same database,
/// `rounds()` times; every acknowledged entry survives every crash.
fn kill_rounds(db: &Db, data: &str, name: &str) {
    let (mut server, mut port) = serve(data, db);
    wait_writer(&[port]);
    let mut checker = Checker::new(LogKey::fetch(port, HOSTNAME));
    let mut acks = Vec::new();
    let mut outages = Vec::new();
    for round in 0..rounds() {
        let load = Load::start(&[port], CLIENTS);
        std::thread::sleep(round_time());
        assert!(
            load.wait_for_more(1, RECOVERY_LIMIT),
            "round {round}: no writes"
        );
        let killed_at = load.elapsed();
        kill9(server);
        (server, port) = serve(data, db);
        load.retarget(&[port]);
        assert!(
            load.wait_for_more(20, RECOVERY_LIMIT),
            "round {round}: writes did not resume after the restart"
        );
        let report = finish(load, &mut acks);
        outages.extend(report.longest_gap_after(killed_at));
        verify_all(&mut checker, port, &acks, &format!("{name} round {round}"));
    }
    report_outage(&format!("{name}: kill -9 and restart"), &outages);
}

#[test]
fn sqlite_kill9_under_write_load() {
    let _one = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let tmp = TempDir::new("chaos-sqlite");
    let data = init(&tmp);
    kill_rounds(&Db::Sqlite, &data, "sqlite");
}

#[test]
fn postgres_kill9_under_write_load() {
    let _one = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let pg = PgInstance::start_in(PG_PORTS).expect("a private PostgreSQL");
    let tmp = TempDir::new("chaos-pg-kill");
    let data = init(&tmp);
    kill_rounds(&Db::pg(&pg, "chaos"), &data, "postgres");
}

#[test]
fn postgres_stopped_mid_load() {
    let _one = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let pg = PgInstance::start_in(PG_PORTS).expect("a private PostgreSQL");
    let tmp = TempDir::new("chaos-pg-stop");
    let data = init(&tmp);
    let db = Db::pg(&pg, "chaos");
    let (_server, port) = serve(&data, &db);
    wait_writer(&[port]);
    let mut checker = Checker::new(LogKey::fetch(port, HOSTNAME));
    let mut acks = Vec::new();
    let mut outages = Vec::new();
    let mut recoveries = Vec::new();
    for round in 0..rounds() {
        let load = Load::start(&[port], CLIENTS);
        std::thread::sleep(round_time());
        let stopped_at = load.elapsed();
        pg.stop().unwrap();
        std::thread::sleep(Duration::from_secs(1));
        let down = load.acked();
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(
            load.acked(),
            down,
            "round {round}: entries acknowledged while the database was down"
        );
        pg.restart().unwrap();
        let restarted_at = load.elapsed();
        assert!(
            load.wait_for_more(20, RECOVERY_LIMIT),
            "round {round}: writes did not resume after PostgreSQL came back"
        );
        let report = finish(load, &mut acks);
        outages.extend(report.longest_gap_after(stopped_at));
        recoveries.extend(report.outage_after(restarted_at));
        verify_all(&mut checker, port, &acks, &format!("pg stop round {round}"));
    }
    report_outage(
        "postgres stopped for 1.5 s, then started (whole gap)",
        &outages,
    );
    report_outage(
        "postgres stopped, then started (from the restart)",
        &recoveries,
    );
}

/// The pid of the session holding a writer lease (a granted advisory lock).
fn lease_holder(pg: &PgInstance) -> Option<i32> {
    pg.query("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted LIMIT 1")
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[test]
fn postgres_lease_session_terminated() {
    let _one = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let pg = PgInstance::start_in(PG_PORTS).expect("a private PostgreSQL");
    let tmp = TempDir::new("chaos-pg-lease");
    let data = init(&tmp);
    let db = Db::pg(&pg, "chaos");
    let (_a, port_a) = serve(&data, &db);
    wait_writer(&[port_a]);
    let (_b, port_b) = serve(&data, &db);
    let ports = [port_a, port_b];
    let mut checker = Checker::new(LogKey::fetch(port_a, HOSTNAME));
    let mut acks = Vec::new();
    let mut outages = Vec::new();
    for round in 0..rounds() {
        let load = Load::start(&ports, CLIENTS);
        std::thread::sleep(round_time());
        let pid = lease_holder(&pg).expect("a writer lease session");
        let cut_at = load.elapsed();
        assert!(pg.terminate_backend(pid).unwrap(), "no session {pid}");
        assert!(
            load.wait_for_more(20, RECOVERY_LIMIT),
            "round {round}: writes did not resume after the lease session was cut"
        );
        let report = finish(load, &mut acks);
        outages.extend(report.longest_gap_after(cut_at));
        // Exactly one writer again, holding a lease. Until the writer's lease check (every
        // 200 ms) notices the cut, it goes on writing without a lease (safe: a batch of an
        // epoch that was taken over cannot commit) and `/readyz` still says ready, so
        // allow the pair a few seconds to settle.
        let settle = Instant::now() + Duration::from_secs(5);
        loop {
            let writers = ports.iter().filter(|p| is_writer(**p)).count();
            let leased = lease_holder(&pg).is_some();
            if writers == 1 && leased {
                break;
            }
            if Instant::now() > settle {
                let probes: Vec<String> = ports
                    .iter()
                    .map(|p| try_get(*p, "/readyz").map_or("no answer".into(), |r| r.body))
                    .collect();
                panic!(
                    "round {round}: {writers} writers, lease held: {leased}, for 5 s: {probes:?}"
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        for p in ports {
            verify_all(&mut checker, p, &acks, &format!("lease cut round {round}"));
        }
    }
    report_outage("postgres: writer lease session terminated", &outages);
}

#[test]
fn ha_pair_failover_under_load() {
    let _one = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let pg = PgInstance::start_in(PG_PORTS).expect("a private PostgreSQL");
    let tmp = TempDir::new("chaos-ha");
    let data = init(&tmp);
    let db = Db::pg(&pg, "chaos");
    let mut pair = vec![serve(&data, &db)];
    wait_writer(&[pair[0].1]);
    pair.push(serve(&data, &db));
    let mut checker = Checker::new(LogKey::fetch(pair[0].1, HOSTNAME));
    let mut acks = Vec::new();
    let mut outages = Vec::new();
    for round in 0..rounds() {
        let ports: Vec<u16> = pair.iter().map(|(_, p)| *p).collect();
        let writer = wait_writer(&ports);
        let load = Load::start(&ports, CLIENTS);
        std::thread::sleep(round_time());
        let killed_at = load.elapsed();
        let (dead, _) = pair.remove(writer);
        kill9(dead);
        let survivor = pair[0].1;
        let took_over = Instant::now();
        wait_writer(&[survivor]);
        let takeover = took_over.elapsed();
        assert!(
            load.wait_for_more(20, RECOVERY_LIMIT),
            "round {round}: writes did not resume on the standby"
        );
        // The killed one comes back as the new standby.
        pair.push(serve(&data, &db));
        let report = finish(load, &mut acks);
        let outage = report.longest_gap_after(killed_at);
        eprintln!("failover round {round}: standby ready after {takeover:?}, writes back after {outage:?}");
        outages.extend(outage);
        verify_all(
            &mut checker,
            survivor,
            &acks,
            &format!("failover round {round}"),
        );
    }
    report_outage("HA pair: writer killed, standby takes over", &outages);
}

/// Reads served by a process on a hot-standby replica while the primary takes writes: every
/// entry the writer acknowledged is answered (from the replica, or the primary while the
/// replica lags) with a proof that verifies; with replay paused and the primary down, what
/// the replica has is still served and what it lacks is 404 with Retry-After.
#[test]
fn replica_serves_reads_while_primary_writes() {
    let _one = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let primary = PgInstance::start_in(PG_PORTS).expect("a private PostgreSQL");
    let tmp = TempDir::new("chaos-replica");
    let data = init(&tmp);
    let Db::Pg { url, .. } = Db::pg(&primary, "chaos") else {
        unreachable!()
    };
    let replica_port = (PG_PORTS.start..PG_PORTS.end)
        .find(|p| *p != primary.port() && TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .unwrap();
    let replica = primary.replica(replica_port).expect("a streaming replica");
    let read_url = replica.url_for("chaos");
    let (_writer, writer_port) = serve(
        &data,
        &Db::Pg {
            url: url.clone(),
            read_url: None,
        },
    );
    wait_writer(&[writer_port]);
    let reader_db = Db::Pg {
        url,
        read_url: Some(read_url),
    };
    let (_reader, reader_port) = serve(&data, &reader_db);
    assert!(!is_writer(reader_port), "the reader took the lease");
    let mut checker = Checker::new(LogKey::fetch(writer_port, HOSTNAME));

    // Reads through the replica reader while the primary takes writes: each newest
    // acknowledgement read back at once, whether the replica has replayed it or not.
    let mut acks = Vec::new();
    let load = Load::start(&[writer_port], CLIENTS);
    let until = Instant::now() + round_time() * 2;
    let mut read_back = 0;
    while Instant::now() < until {
        if let Some(ack) = load.newest_ack() {
            checker
                .read_back(reader_port, &ack)
                .unwrap_or_else(|e| panic!("read back from the replica reader: {e}"));
            read_back += 1;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    finish(load, &mut acks);
    eprintln!("replica reader: {read_back} fresh entries read back under write load");
    assert!(read_back > 0);
    verify_all(&mut checker, reader_port, &acks, "replica reader");

    // The replica stops replaying: new entries exist only on the primary, and the reader
    // still answers them (from the primary) with proofs that verify.
    replica
        .query_on("chaos", "SELECT pg_wal_replay_pause()")
        .unwrap();
    let before_pause = acks.len();
    let load = Load::start(&[writer_port], CLIENTS);
    assert!(load.wait_for_more(20, RECOVERY_LIMIT));
    finish(load, &mut acks);
    verify_all(&mut checker, reader_port, &acks, "replica paused");

    // The primary goes away: the replica's entries are still served, the rest is 404 with
    // Retry-After (not yet here), never an error or a proof the replica cannot back.
    let mut replica_only = Checker::new(LogKey::fetch(writer_port, HOSTNAME));
    primary.stop().unwrap();
    let (old, new) = acks.split_at(before_pause);
    let verified = replica_only
        .verify(reader_port, old)
        .unwrap_or_else(|e| panic!("replica alone: {e}"));
    assert_eq!(verified.entries, old.len());
    for ack in new {
        let path = format!("/api/v1/log/entries/{}", ack.uuid);
        let r = try_get(reader_port, &path).unwrap();
        assert_eq!(r.status, 404, "{path} beyond the replica: {}", r.body);
        assert!(r.header("Retry-After").is_some(), "{path}: no Retry-After");
    }
    eprintln!(
        "replica reader, primary down: {} entries re-verified at the replica's head {}, {} answered 404 + Retry-After",
        old.len(),
        verified.tree_size,
        new.len()
    );
}

/// Copies the SQLite database files (`sigstack.db*`) of `data` into `to`.
fn copy_db(data: &str, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for file in std::fs::read_dir(data).unwrap() {
        let file = file.unwrap();
        let name = file.file_name();
        if name.to_string_lossy().starts_with("sigstack.db") {
            std::fs::copy(file.path(), to.join(&name)).unwrap();
        }
    }
}

/// The verifier can fail: forged acknowledgements are refused, and so is a log that lost
/// acknowledged entries (an old copy of the database put back).
#[test]
fn verifier_catches_forgeries_and_loss() {
    let _one = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let tmp = TempDir::new("chaos-verifier");
    let data = init(&tmp);
    let (server, port) = serve(&data, &Db::Sqlite);
    wait_writer(&[port]);
    let key = || LogKey::fetch(port, HOSTNAME);
    let mut acks = Vec::new();
    let load = Load::start(&[port], 2);
    assert!(load.wait_for_more(10, RECOVERY_LIMIT));
    finish(load, &mut acks);
    Checker::new(key()).verify(port, &acks).unwrap();

    let forge = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut forged = acks.clone();
        change(&mut forged[3].entry);
        Checker::new(key()).verify(port, &forged).unwrap_err()
    };
    let e = forge(&|e| e["logIndex"] = (e["logIndex"].as_u64().unwrap() + 1).into());
    // The SET signs the index, so a moved index fails there first.
    assert!(e.contains("SET") || e.contains("twice"), "{e}");
    let e = forge(&|e| e["body"] = acks[4].entry["body"].clone());
    assert!(e.contains("UUID"), "{e}");
    let e = forge(&|e| {
        let h = &mut e["verification"]["inclusionProof"]["hashes"][0];
        let flipped = format!("00{}", &h.as_str().unwrap()[2..]);
        *h = flipped.into();
    });
    assert!(e.contains("inclusion proof"), "{e}");
    let e = forge(&|e| e["integratedTime"] = (e["integratedTime"].as_i64().unwrap() + 1).into());
    assert!(e.contains("SET"), "{e}");

    // Loss: the database is rolled back to before the last writes.
    kill9(server);
    let backup = tmp.path().join("backup");
    copy_db(&data, &backup);
    let (server, port) = serve(&data, &Db::Sqlite);
    wait_writer(&[port]);
    let load = Load::start(&[port], 2);
    assert!(load.wait_for_more(10, RECOVERY_LIMIT));
    finish(load, &mut acks);
    kill9(server);
    copy_db(&backup.display().to_string(), std::path::Path::new(&data));
    for wal in ["sigstack.db-wal", "sigstack.db-shm"] {
        if !backup.join(wal).exists() {
            let _ = std::fs::remove_file(std::path::Path::new(&data).join(wal));
        }
    }
    let (_server, port) = serve(&data, &Db::Sqlite);
    let e = Checker::new(LogKey::fetch(port, HOSTNAME))
        .verify(port, &acks)
        .unwrap_err();
    assert!(e.contains("lost"), "{e}");
}
