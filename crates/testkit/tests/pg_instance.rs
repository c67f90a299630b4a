//! The harness itself: a private server can be started, queried, cut, stopped, killed,
//! restarted and replicated. Needs the PostgreSQL server binaries (fails without them).
#![allow(clippy::unwrap_used)]

use sigstack_testkit::PgInstance;

/// Ports of the helper's own range; each test takes the first free one.
const PORTS: std::ops::Range<u16> = 55300..55320;

#[test]
fn life_cycle() {
    let pg = PgInstance::start_in(PORTS).unwrap();
    assert!(pg.is_running());
    assert_eq!(pg.query("SELECT 1 + 1").unwrap(), "2");
    let url = pg.create_database("kit").unwrap();
    assert!(url.ends_with("/kit"));
    pg.query_on("kit", "CREATE TABLE t (x int); INSERT INTO t VALUES (7)")
        .unwrap();

    // A session of our own, then cut by application name.
    let port = pg.port().to_string();
    let mut sleeper = std::process::Command::new("psql")
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "-d",
            "kit",
        ])
        .args(["-c", "SELECT pg_sleep(30)"])
        .env("PGAPPNAME", "kit-sleeper")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut cut = 0;
    for _ in 0..100 {
        cut = pg.terminate_application("kit-sleeper").unwrap();
        if cut > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(cut, 1);
    assert!(!sleeper.wait().unwrap().success());

    pg.stop().unwrap();
    assert!(!pg.is_running());
    assert!(pg.query("SELECT 1").is_err());
    pg.restart().unwrap();
    assert_eq!(pg.query_on("kit", "SELECT x FROM t").unwrap(), "7");

    pg.kill().unwrap();
    assert!(!pg.is_running());
    pg.restart().unwrap();
    assert_eq!(pg.query_on("kit", "SELECT x FROM t").unwrap(), "7");
    let pid: i32 = pg
        .query("SELECT pg_backend_pid()")
        .unwrap()
        .parse()
        .unwrap();
    assert!(!pg.terminate_backend(pid).unwrap(), "that session is gone");
}

#[test]
fn streaming_replica() {
    let primary = PgInstance::start_in(PORTS).unwrap();
    primary
        .query("CREATE TABLE r (x int); INSERT INTO r VALUES (1)")
        .unwrap();
    let replica_port = (primary.port() + 1..PORTS.end)
        .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .unwrap();
    let replica = primary.replica(replica_port).unwrap();
    assert_eq!(replica.query("SELECT pg_is_in_recovery()").unwrap(), "t");
    primary.query("INSERT INTO r VALUES (2)").unwrap();
    let mut seen = String::new();
    for _ in 0..100 {
        seen = replica.query("SELECT count(*) FROM r").unwrap();
        if seen == "2" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(seen, "2", "the replica follows the primary");
    replica.promote().unwrap();
    assert_eq!(replica.query("SELECT pg_is_in_recovery()").unwrap(), "f");
    replica.query("INSERT INTO r VALUES (3)").unwrap();
}
