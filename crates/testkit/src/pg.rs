//! A private PostgreSQL server for one test: initdb into a temporary directory, a port of
//! the test's choosing, and full control over the server's life (stop, kill -9, restart,
//! cut sessions, replicate).
//!
//! PostgreSQL refuses to run as root. When the test runs as root (containers, CI), every
//! server tool runs as the `postgres` system user through `runuser`, and the instance's
//! directory is handed to that user. The server binaries are looked up in
//! `$SIGSTACK_PG_BIN`, else in `/usr/lib/postgresql/<version>/bin` (newest first); without
//! them [`PgInstance::start`] fails with a message saying so, and the test fails with it.

use std::net::TcpListener;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Why a harness step failed: the tool, and what it printed.
#[derive(Debug)]
pub struct PgError(String);

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PgError {}

fn fail(message: impl Into<String>) -> PgError {
    PgError(message.into())
}

/// Distinguishes the directories of instances started by one process.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// How long `pg_ctl` may take to start or stop the server.
const PG_CTL_WAIT_SECS: &str = "30";

/// A PostgreSQL server owned by one test. Dropping it kills the server and deletes its
/// directory (set `SIGSTACK_TESTKIT_KEEP=1` to keep the directory and its `server.log`).
///
/// Connect as user `postgres` without a password ([`PgInstance::url`]); the server listens
/// on 127.0.0.1 only, with `fsync=off` (a test kills the server, never the machine, so the
/// page cache still holds every committed write).
#[derive(Debug)]
pub struct PgInstance {
    port: u16,
    /// The instance's own directory: `data/`, the socket and `server.log`.
    dir: PathBuf,
    bin: PathBuf,
    /// Whether the server tools must run as the `postgres` user (we are root).
    as_postgres: bool,
}

impl PgInstance {
    /// Creates a cluster (initdb) and starts it on `port`.
    pub fn start(port: u16) -> Result<Self, PgError> {
        let instance = Self::init(port)?;
        instance.start_server()?;
        Ok(instance)
    }

    /// Like [`PgInstance::start`] on the first port of `ports` that is free, so tests of one
    /// binary running in parallel can share a range.
    pub fn start_in(ports: Range<u16>) -> Result<Self, PgError> {
        let mut last = fail(format!("no port in {ports:?} is free"));
        for port in ports {
            if TcpListener::bind(("127.0.0.1", port)).is_err() {
                continue;
            }
            match Self::start(port) {
                Ok(instance) => return Ok(instance),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The connection URL of the `postgres` database.
    pub fn url(&self) -> String {
        self.url_for("postgres")
    }

    /// The connection URL of `database` on this server.
    pub fn url_for(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The data directory (`PGDATA`).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The server's log file: where to look when a test fails.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// Creates `name` and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String, PgError> {
        self.query(&format!("CREATE DATABASE \"{name}\""))?;
        Ok(self.url_for(name))
    }

    /// Whether the server accepts connections right now.
    pub fn is_running(&self) -> bool {
        Command::new(self.bin.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    /// Runs `sql` on the `postgres` database and returns psql's unaligned output (one row a
    /// line, columns separated by `|`), trimmed.
    pub fn query(&self, sql: &str) -> Result<String, PgError> {
        self.query_on("postgres", sql)
    }

    /// Runs `sql` on `database` (see [`PgInstance::query`]).
    pub fn query_on(&self, database: &str, sql: &str) -> Result<String, PgError> {
        let output = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", database, "-c", sql])
            .output()
            .map_err(|e| fail(format!("running psql: {e}")))?;
        checked("psql", output).map(|out| out.trim().to_owned())
    }

    /// Terminates every session whose `application_name` is `name` (not our own); returns
    /// how many were terminated.
    pub fn terminate_application(&self, name: &str) -> Result<u64, PgError> {
        let sql = format!(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = '{}' AND pid <> pg_backend_pid()) AS t",
            name.replace('\'', "''")
        );
        let out = self.query(&sql)?;
        out.parse()
            .map_err(|_| fail(format!("unexpected count from psql: {out:?}")))
    }

    /// Terminates the session with server process id `pid`; `false` if there was none.
    pub fn terminate_backend(&self, pid: i32) -> Result<bool, PgError> {
        let out = self.query(&format!("SELECT pg_terminate_backend({pid})"))?;
        Ok(out == "t")
    }

    /// Stops the server the polite way (`pg_ctl stop -m fast`: sessions are cut, the server
    /// shuts down cleanly). A stopped server stays stopped until [`PgInstance::restart`].
    pub fn stop(&self) -> Result<(), PgError> {
        let data = self.data_dir();
        let data = data.to_string_lossy();
        self.run_tool(
            "pg_ctl",
            &[
                "stop",
                "-D",
                &data,
                "-m",
                "fast",
                "-w",
                "-t",
                PG_CTL_WAIT_SECS,
            ],
        )
        .map(drop)
    }

    /// Kills the server with SIGKILL, postmaster and every backend at once: a crash, with
    /// no shutdown checkpoint. [`PgInstance::restart`] then runs crash recovery.
    pub fn kill(&self) -> Result<(), PgError> {
        let Some(pid) = self.postmaster_pid() else {
            return Err(fail("the server is not running (no postmaster.pid)"));
        };
        let mut pids = children_of(pid);
        pids.push(pid);
        let mut args = vec![String::from("-9")];
        args.extend(pids.iter().map(u32::to_string));
        // Some backends may have exited already; that is fine.
        let _ = Command::new("kill").args(&args).output();
        let deadline = Instant::now() + Duration::from_secs(10);
        while pids
            .iter()
            .any(|p| Path::new(&format!("/proc/{p}")).exists())
        {
            if Instant::now() > deadline {
                return Err(fail(format!("server processes {pids:?} survived SIGKILL")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Starts the server again after [`PgInstance::stop`] or [`PgInstance::kill`]; if it
    /// is running, stops it first. Returns once it accepts connections.
    pub fn restart(&self) -> Result<(), PgError> {
        if self.postmaster_pid().is_some() && self.is_running() {
            self.stop()?;
        }
        self.start_server()
    }

    /// A streaming replica of this server on `port`: `pg_basebackup -R` (which writes the
    /// standby configuration), then started. It follows this server until promoted.
    pub fn replica(&self, port: u16) -> Result<PgInstance, PgError> {
        let replica = Self::empty(port, self.bin.clone(), self.as_postgres)?;
        let data = replica.data_dir();
        let data = data.to_string_lossy();
        let source_port = self.port.to_string();
        replica.run_tool(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &source_port,
                "-U",
                "postgres",
                "-D",
                &data,
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ],
        )?;
        replica.start_server()?;
        Ok(replica)
    }

    /// Promotes a replica to a primary (`pg_ctl promote`, waiting until it is done).
    pub fn promote(&self) -> Result<(), PgError> {
        let data = self.data_dir();
        let data = data.to_string_lossy();
        self.run_tool(
            "pg_ctl",
            &["promote", "-D", &data, "-w", "-t", PG_CTL_WAIT_SECS],
        )
        .map(drop)
    }

    /// A new, empty instance directory (no cluster yet).
    fn empty(port: u16, bin: PathBuf, as_postgres: bool) -> Result<Self, PgError> {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "sigstack-testkit-pg-{}-{port}-{id}",
            std::process::id()
        ));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| fail(format!("clearing {}: {e}", dir.display())))?;
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| fail(format!("creating {}: {e}", dir.display())))?;
        let instance = Self {
            port,
            dir,
            bin,
            as_postgres,
        };
        if as_postgres {
            let status = Command::new("chown")
                .args(["postgres:", &instance.dir.to_string_lossy()])
                .output()
                .map_err(|e| fail(format!("running chown: {e}")))?;
            checked("chown", status)?;
        }
        Ok(instance)
    }

    /// `initdb` into a new directory.
    fn init(port: u16) -> Result<Self, PgError> {
        let bin = find_bin()?;
        let instance = Self::empty(port, bin, running_as_root())?;
        let data = instance.data_dir();
        let data = data.to_string_lossy();
        instance.run_tool(
            "initdb",
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        Ok(instance)
    }

    fn start_server(&self) -> Result<(), PgError> {
        let data = self.data_dir();
        let data = data.to_string_lossy();
        let log = self.log_path();
        let log = log.to_string_lossy();
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60 \
             -c shared_buffers=16MB -c max_wal_senders=4 -c wal_level=replica",
            self.port,
            self.dir.to_string_lossy()
        );
        self.run_tool(
            "pg_ctl",
            &[
                "start",
                "-D",
                &data,
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "-t",
                PG_CTL_WAIT_SECS,
            ],
        )
        .map(drop)
        .map_err(|e| {
            let tail = std::fs::read_to_string(self.log_path()).unwrap_or_default();
            fail(format!("{e}\nserver.log:\n{tail}"))
        })
    }

    /// The postmaster's pid, from `postmaster.pid`, if the file exists.
    fn postmaster_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// Runs one server tool from the bin directory, as `postgres` if we are root.
    fn run_tool(&self, tool: &str, args: &[&str]) -> Result<String, PgError> {
        let path = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        // Tools run from the instance directory: `postgres` may not be allowed into ours.
        let output = command
            .args(args)
            .current_dir(&self.dir)
            .output()
            .map_err(|e| fail(format!("running {}: {e}", path.display())))?;
        checked(tool, output)
    }
}

impl Drop for PgInstance {
    fn drop(&mut self) {
        if self.postmaster_pid().is_some() {
            let _ = self.kill();
        }
        if std::env::var_os("SIGSTACK_TESTKIT_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The tool's stdout, or an error carrying its stderr.
fn checked(tool: &str, output: Output) -> Result<String, PgError> {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(fail(format!(
            "{tool} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            stdout
        )))
    }
}

/// The directory holding `initdb`, `pg_ctl` and friends.
fn find_bin() -> Result<PathBuf, PgError> {
    if let Some(dir) = std::env::var_os("SIGSTACK_PG_BIN") {
        let dir = PathBuf::from(dir);
        if dir.join("initdb").exists() {
            return Ok(dir);
        }
        return Err(fail(format!(
            "SIGSTACK_PG_BIN={} has no initdb",
            dir.display()
        )));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).ok_or_else(|| {
        fail(
            "no PostgreSQL server binaries: install postgresql (tests/all.sh does) \
             or set SIGSTACK_PG_BIN",
        )
    })
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Direct children of `pid` (the postmaster's backends), read from `/proc`.
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|child| {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            // Field 4 (after the parenthesised command name) is the parent pid.
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|ppid| ppid.parse::<u32>().ok())
                == Some(pid)
        })
        .collect()
}
