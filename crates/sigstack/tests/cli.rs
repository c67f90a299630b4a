//! The `sigstack` binary as an operator runs it: `init`, a bad configuration, `serve` on the
//! embedded SQLite engine until SIGTERM, `log fsck`, `migrate`. Hermetic (loopback, temp
//! directories, no database server), so it runs in plain `cargo test`; the real-client
//! suite is `tests/e2e/rekor-clients.sh`.
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use support::*;

use std::fs;
use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn init_makes_a_data_directory_and_never_replaces_the_key() {
    let tmp = TempDir::new("init");
    let data = tmp.data();
    let out = run(&["init", "--data-dir", &data, "--hostname", "log.test"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("log-key.pem"), "{stdout}");
    assert!(stdout.contains("sigstack serve --data-dir"), "{stdout}");

    let dir = Path::new(&data);
    let key = fs::read(dir.join("log-key.pem")).unwrap();
    assert!(text(&key).starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(text(&fs::read(dir.join("log-public-key.pem")).unwrap())
        .starts_with("-----BEGIN PUBLIC KEY-----\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(dir.join("log-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let config = text(&fs::read(dir.join("sigstack.toml")).unwrap());
    assert!(config.contains("hostname = \"log.test\""), "{config}");
    assert!(config.contains("url = \"sqlite:sigstack.db\""), "{config}");
    // Trust material for the configured address, ready for clients.
    let root = text(&fs::read(dir.join("trust/trusted_root.json")).unwrap());
    assert!(
        root.contains("application/vnd.dev.sigstore.trustedroot+json;version=0.1"),
        "{root}"
    );
    let env = text(&fs::read(dir.join("trust/cosign.env")).unwrap());
    assert!(env.contains("SIGSTORE_REKOR_PUBLIC_KEY="), "{env}");

    let again = run(&["init", "--data-dir", &data]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("reused"));
    assert_eq!(fs::read(dir.join("log-key.pem")).unwrap(), key);
    assert_eq!(text(&fs::read(dir.join("sigstack.toml")).unwrap()), config);
}

#[test]
fn bad_configuration_names_file_and_key() {
    let tmp = TempDir::new("badconfig");
    let data = tmp.data();
    assert!(run(&["init", "--data-dir", &data]).status.success());
    let path = Path::new(&data).join("sigstack.toml");
    fs::write(&path, "[log]\nhostname = \"h\"\ntree_id = -5\n").unwrap();
    let out = run(&["serve", "--data-dir", &data, "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("sigstack.toml") && err.contains("log.tree_id"),
        "{err}"
    );

    fs::write(
        &path,
        "[log]\nhostname = \"h\"\ntree_id = 5\nlisten = \"x\"\n",
    )
    .unwrap();
    let err = text(&run(&["log", "fsck", "--data-dir", &data]).stderr);
    assert!(
        err.contains("sigstack.toml") && err.contains("listen"),
        "{err}"
    );

    let bad_host = run(&[
        "init",
        "--data-dir",
        &tmp.path().join("other").display().to_string(),
        "--hostname",
        "a b",
    ]);
    assert!(!bad_host.status.success());
    assert!(text(&bad_host.stderr).contains("--hostname"));
}

#[test]
fn serve_on_sqlite_until_sigterm_then_fsck() {
    let tmp = TempDir::new("serve");
    let data = tmp.data();
    assert!(
        run(&["init", "--data-dir", &data, "--hostname", "log.test"])
            .status
            .success()
    );
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let child = sigstack()
        .args(["serve", "--data-dir", &data, "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server(child);

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if try_get(port, "/healthz").is_some_and(|r| r.status == 200) {
            break;
        }
        assert!(server.0.try_wait().unwrap().is_none(), "serve exited early");
        assert!(Instant::now() < deadline, "serve did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let Response { status, body, .. } = get(port, "/api/v1/log");
    assert_eq!(status, 200, "{body}");
    // A new log's first entry is its own genesis entry (index 0), written before serving.
    assert!(body.contains("\"treeSize\":1"), "{body}");
    let genesis = get(port, "/api/v1/log/entries?logIndex=0");
    assert_eq!(genesis.status, 200, "{}", genesis.body);
    assert!(body.contains("log.test - "), "{body}");

    // SIGTERM: graceful shutdown, exit status 0.
    let killed = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    server
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{stderr}");

    let fsck = run(&["log", "fsck", "--data-dir", &data]);
    assert!(fsck.status.success(), "{}", text(&fsck.stderr));
    assert!(text(&fsck.stdout).contains("clean"));
    // A second run also proves the log did not change behind our back.
    let again = run(&["log", "fsck", "--data-dir", &data]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("consistent with the previous clean check"));
}

#[test]
fn encrypted_ca_keys_from_init_need_the_password_to_serve() {
    const VAR: &str = "SIGSTACK_CA_KEY_PASSWORD";
    let tmp = TempDir::new("encrypted-ca");
    let data = tmp.data();
    let out = sigstack()
        .args(["init", "--data-dir", &data])
        .env(VAR, "s3cret pass")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = Path::new(&data);
    for key in ["ca-root-key.pem", "ca-intermediate-key.pem"] {
        let pem = text(&fs::read(dir.join(key)).unwrap());
        assert!(
            pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"),
            "{key}: {pem}"
        );
    }
    let root_key = fs::read(dir.join("ca-root-key.pem")).unwrap();

    // No password, or the wrong one: serve refuses, naming the file and the variable.
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    for password in [None, Some("wrong")] {
        let mut cmd = sigstack();
        cmd.args(["serve", "--data-dir", &data, "--listen", &listen]);
        if let Some(p) = password {
            cmd.env(VAR, p);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success(), "{password:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("ca-intermediate-key.pem") && stderr.contains(VAR),
            "{password:?}: {stderr}"
        );
    }
    // init again keeps the keys, and also needs the password to check them.
    let again = sigstack()
        .args(["init", "--data-dir", &data])
        .env(VAR, "s3cret pass")
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(fs::read(dir.join("ca-root-key.pem")).unwrap(), root_key);

    // The right password: serve comes up with the CA.
    let child = sigstack()
        .args(["serve", "--data-dir", &data, "--listen", &listen])
        .env(VAR, "s3cret pass")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if try_get(port, "/healthz").is_some_and(|r| r.status == 200) {
            break;
        }
        assert!(server.0.try_wait().unwrap().is_none(), "serve exited early");
        assert!(Instant::now() < deadline, "serve did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let Response { status, body, .. } = get(port, "/api/v1/rootCert");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("BEGIN CERTIFICATE"), "{body}");
}

#[test]
fn migrate_creates_a_sqlite_database_and_fsck_refuses_a_foreign_one() {
    let tmp = TempDir::new("migrate");
    let db = tmp.path().join("x.db");
    let url = format!("sqlite:{}", db.display());
    let out = run(&["migrate", "--database-url", &url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(db.is_file());
    assert!(run(&["migrate", "--database-url", &url]).status.success());

    let bad = run(&["migrate", "--database-url", "mysql://u:secret@h/db"]);
    assert!(!bad.status.success());
    let err = text(&bad.stderr);
    assert!(
        err.contains("--database-url") && !err.contains("secret"),
        "{err}"
    );

    // A database this log never wrote has no tree for its tree ID: fsck must say so.
    let data = tmp.data();
    assert!(run(&["init", "--data-dir", &data]).status.success());
    let fsck = run(&["log", "fsck", "--data-dir", &data, "--database-url", &url]);
    assert!(!fsck.status.success());
}

#[test]
fn version_and_json_logs() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("sigstack "));

    // A failure in JSON mode is one JSON line on stderr, so collectors keep the reason.
    let out = run(&[
        "--log-format",
        "json",
        "log",
        "fsck",
        "--data-dir",
        "/nonexistent/x",
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    let line = err.lines().last().unwrap();
    assert!(
        line.starts_with('{') && line.contains("\"level\":\"ERROR\""),
        "{err}"
    );
    assert!(line.contains("/nonexistent/x"), "{err}");
}

#[test]
fn the_database_url_can_come_from_the_environment_and_stays_out_of_help() {
    let tmp = TempDir::new("db-env");
    let db = tmp.path().join("from-env.db");
    let url = format!("sqlite:{}", db.display());
    let out = sigstack()
        .args(["migrate"])
        .env("SIGSTACK_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(db.is_file(), "migrate did not use SIGSTACK_DATABASE_URL");

    // The flag wins over the variable.
    let flagged = tmp.path().join("from-flag.db");
    let out = sigstack()
        .args([
            "migrate",
            "--database-url",
            &format!("sqlite:{}", flagged.display()),
        ])
        .env("SIGSTACK_DATABASE_URL", "sqlite:/nonexistent-dir/never.db")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(flagged.is_file());

    // A password in the variable never shows up in help output.
    for command in ["serve", "migrate", "up"] {
        let out = sigstack()
            .args([command, "--help"])
            .env(
                "SIGSTACK_DATABASE_URL",
                "postgres://sigstack:hunter2@db/sigstack",
            )
            .output()
            .unwrap();
        let help = text(&out.stdout);
        assert!(help.contains("SIGSTACK_DATABASE_URL"), "{help}");
        assert!(!help.contains("hunter2"), "{help}");
    }
}
