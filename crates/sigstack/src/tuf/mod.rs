//! The TUF repository that distributes this instance's trust material: what `init` creates,
//! what `serve` publishes at `/tuf/` and keeps signed, and `sigstack tuf …` to manage it.
//!
//! All TUF metadata is built, signed and checked by tough (its editor, `SignedRole` and
//! loader); this module only decides what to sign when, and where files go:
//!
//! ```text
//! DATA/tuf/keys/root-1.pem …        root keys (threshold signing; take them offline)
//! DATA/tuf/keys/{targets,snapshot,timestamp}.pem   online keys, used by the re-signer
//! DATA/tuf/repository/              what is served: N.root.json, root.json (newest),
//!                                   N.targets.json, N.snapshot.json, timestamp.json,
//!                                   targets/<sha256>.<name>   (consistent snapshots)
//! ```
//!
//! The targets come from [`crate::trust::documents`], the function behind `trust-root`, so
//! the repository never publishes anything else. The publishing policy is in [`repo`].

pub mod keys;
pub mod repo;
pub mod serve;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context as _, Result};

use self::keys::FileKey;
use self::repo::{Action, Published};
use crate::cli::{
    TufAddKeyArgs, TufCommand, TufExportArgs, TufInitArgs, TufRotateRootArgs, TufSignArgs,
};
use crate::config::{absolute_data_dir, Config};

/// Root keys `init` creates, and how many must sign a new root.
pub const DEFAULT_ROOT_KEYS: u64 = 3;
/// See [`DEFAULT_ROOT_KEYS`].
pub const DEFAULT_ROOT_THRESHOLD: u64 = 2;

/// Where the repository and its keys live in a data directory.
#[derive(Debug, Clone)]
pub struct Layout {
    /// `DATA/tuf`.
    pub tuf_dir: PathBuf,
    /// `DATA/tuf/repository`: exactly what is served.
    pub repository: PathBuf,
    /// `DATA/tuf/keys`.
    pub keys: PathBuf,
}

impl Layout {
    /// The layout in the data directory `dir`.
    pub fn new(dir: &Path) -> Self {
        let tuf_dir = dir.join("tuf");
        Self {
            repository: tuf_dir.join("repository"),
            keys: tuf_dir.join("keys"),
            tuf_dir,
        }
    }

    /// Whether a repository was created (its first root exists).
    pub fn exists(&self) -> bool {
        self.repository.join("1.root.json").exists()
    }

    /// The online key of `role` (`targets`, `snapshot` or `timestamp`).
    pub fn online_key(&self, role: &str) -> FileKey {
        FileKey {
            path: self.keys.join(format!("{role}.pem")),
        }
    }

    /// The three online keys.
    pub fn online_keys(&self) -> Vec<FileKey> {
        ["targets", "snapshot", "timestamp"]
            .iter()
            .map(|r| self.online_key(r))
            .collect()
    }

    /// Root key number `n` as `init` names it.
    pub fn root_key(&self, n: u64) -> FileKey {
        FileKey {
            path: self.keys.join(format!("root-{n}.pem")),
        }
    }
}

/// Metadata lifetimes, in seconds (`[tuf]` in sigstack.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// `timestamp.json`.
    pub timestamp: u64,
    /// `targets.json` and `snapshot.json`.
    pub metadata: u64,
    /// A new `root.json`.
    pub root: u64,
}

impl Lifetimes {
    /// One day, 30 days, one year.
    pub const DEFAULT: Self = Self {
        timestamp: 86_400,
        metadata: 30 * 86_400,
        root: 365 * 86_400,
    };

    /// The lifetimes `config` sets.
    pub fn from_config(config: &Config) -> Result<Self> {
        let t = &config.tuf;
        let lifetimes = Self {
            timestamp: t.timestamp_lifetime_secs.unwrap_or(Self::DEFAULT.timestamp),
            metadata: t.metadata_lifetime_secs.unwrap_or(Self::DEFAULT.metadata),
            root: t.root_lifetime_secs.unwrap_or(Self::DEFAULT.root),
        };
        ensure!(
            lifetimes.timestamp >= 2,
            "`tuf.timestamp_lifetime_secs` must be at least 2"
        );
        ensure!(
            lifetimes.metadata >= lifetimes.timestamp && lifetimes.root >= lifetimes.metadata,
            "`[tuf]` lifetimes must grow: timestamp ≤ metadata (targets, snapshot) ≤ root"
        );
        Ok(lifetimes)
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A runtime for tough's async API from the synchronous commands.
fn block_on<F: std::future::Future>(future: F) -> Result<F::Output> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(future))
}

/// Creates the repository of the data directory `dir` unless it exists: keys (missing ones
/// generated, existing ones reused), root version 1 and the first targets, snapshot and
/// timestamp. Prints one line per thing made or kept.
pub fn ensure(dir: &Path, config: &Config, root_keys: u64, threshold: u64) -> Result<()> {
    let layout = Layout::new(dir);
    if layout.exists() {
        println!("kept    {} (TUF repository)", layout.repository.display());
        return Ok(());
    }
    ensure!(
        (1..=root_keys).contains(&threshold),
        "a root threshold of {threshold} with {root_keys} root keys can never be met"
    );
    let lifetimes = Lifetimes::from_config(config)?;
    let wanted = repo::current_targets(dir, config)?;
    fs::create_dir_all(&layout.keys)
        .with_context(|| format!("cannot create {}", layout.keys.display()))?;
    let mut roots = Vec::new();
    for n in 1..=root_keys {
        roots.push(key_file(
            layout.root_key(n),
            "TUF root key: move it offline",
        )?);
    }
    for key in layout.online_keys() {
        key_file(key, "TUF online key, used by `serve`")?;
    }
    block_on(async {
        repo::create_root(&layout, &roots, threshold, &lifetimes, now()).await?;
        repo::publish(&layout, &wanted, &lifetimes, now()).await
    })??;
    println!(
        "created {} (TUF repository, root threshold {threshold} of {root_keys}; served at /tuf/)",
        layout.repository.display()
    );
    Ok(())
}

/// `key`, generated unless its file exists.
fn key_file(key: FileKey, what: &str) -> Result<FileKey> {
    if key.path.exists() {
        key.public()?;
        println!("kept    {} ({what})", key.path.display());
    } else {
        let key = FileKey::generate(&key.path)?;
        println!("created {} ({what}, mode 0600)", key.path.display());
    }
    Ok(key)
}

/// Runs `sigstack tuf …`.
pub fn run(command: &TufCommand) -> Result<()> {
    match command {
        TufCommand::Init(args) => init(args),
        TufCommand::Status(args) => status(&args.data_dir),
        TufCommand::Publish(args) => publish_now(&args.data_dir),
        TufCommand::Export(args) => export(args),
        TufCommand::RotateRoot(args) => rotate_root(args),
        TufCommand::AddKey(args) => add_key(args),
        TufCommand::Sign(args) => sign(args),
    }
}

fn load(dir: &Path) -> Result<(PathBuf, Config, Layout)> {
    let dir = absolute_data_dir(dir)?;
    let config = Config::load(&dir)?;
    let layout = Layout::new(&dir);
    Ok((dir, config, layout))
}

fn require(layout: &Layout, dir: &Path) -> Result<()> {
    if !layout.exists() {
        bail!(
            "{} has no TUF repository: run `sigstack tuf init --data-dir {}`",
            dir.display(),
            dir.display()
        );
    }
    Ok(())
}

fn init(args: &TufInitArgs) -> Result<()> {
    let (dir, config, _) = load(&args.data_dir)?;
    ensure(&dir, &config, args.root_keys, args.root_threshold)
}

fn publish_now(dir: &Path) -> Result<()> {
    let (dir, config, layout) = load(dir)?;
    require(&layout, &dir)?;
    let lifetimes = Lifetimes::from_config(&config)?;
    let wanted = repo::current_targets(&dir, &config)?;
    let action = block_on(repo::publish(&layout, &wanted, &lifetimes, now()))??;
    println!(
        "{}",
        match action {
            Action::Nothing => "nothing due: every role has more than half its lifetime left",
            Action::Timestamp => "signed a new timestamp",
            Action::All => "signed new targets, snapshot and timestamp",
        }
    );
    Ok(())
}

/// Prints versions, expiry and keys, and checks the repository as a client would (from
/// `1.root.json`); fails when that check fails.
fn status(dir: &Path) -> Result<()> {
    let (dir, config, layout) = load(dir)?;
    require(&layout, &dir)?;
    let published = Published::read(&layout)?;
    let root = &published.root.signed;
    println!(
        "repository {} (served at /tuf/)",
        layout.repository.display()
    );
    for (role, keys) in &root.roles {
        println!(
            "{role:?}: threshold {} of {} keys",
            keys.threshold,
            keys.keyids.len()
        );
    }
    println!(
        "root.json       version {} expires {}",
        root.version, root.expires
    );
    let lifetimes = Lifetimes::from_config(&config)?;
    if root.expires.as_second() - (now() as i64) < lifetimes.metadata as i64 {
        println!(
            "warning: root.json expires within the targets lifetime: sign a new root with the \
             offline keys (`sigstack tuf rotate-root`) before {}",
            root.expires
        );
    }
    if let Some((ts, snap, targets)) = &published.top {
        println!(
            "targets.json    version {} expires {}",
            targets.signed.version, targets.signed.expires
        );
        println!(
            "snapshot.json   version {} expires {}",
            snap.signed.version, snap.signed.expires
        );
        println!(
            "timestamp.json  version {} expires {}",
            ts.signed.version, ts.signed.expires
        );
        let mut names: Vec<_> = targets.signed.targets.keys().map(|n| n.raw()).collect();
        names.sort();
        println!("targets: {}", names.join(", "));
    }
    for n in 1.. {
        let key = layout.root_key(n);
        if !key.path.exists() {
            break;
        }
        println!(
            "warning: root key {} is online; move it offline (see docs/operations.md)",
            key.path.display()
        );
    }
    let wanted = repo::current_targets(&dir, &config)?;
    match repo::plan(&published, &wanted, &lifetimes, now()) {
        Action::Nothing => println!("up to date"),
        Action::Timestamp => {
            println!("due: a new timestamp (`serve` does it, or `sigstack tuf publish`)")
        }
        Action::All => println!("due: new targets (`serve` does it, or `sigstack tuf publish`)"),
    }
    let first =
        fs::read(layout.repository.join("1.root.json")).context("cannot read 1.root.json")?;
    let scratch = scratch_dir("status")?;
    let checked = block_on(repo::verify(&layout.repository, &first, &scratch));
    let _ = fs::remove_dir_all(&scratch);
    checked?.context("the published repository does not verify from 1.root.json")?;
    println!("verified: a client starting from 1.root.json accepts the repository");
    Ok(())
}

/// An empty private directory for tough's client state.
pub fn scratch_dir(what: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "sigstack-tuf-{what}-{}-{}",
        std::process::id(),
        now()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// Copies the published repository for a static web server (refreshing what is due first,
/// so the copy has the longest life it can).
fn export(args: &TufExportArgs) -> Result<()> {
    let (dir, config, layout) = load(&args.data_dir)?;
    require(&layout, &dir)?;
    let lifetimes = Lifetimes::from_config(&config)?;
    let wanted = repo::current_targets(&dir, &config)?;
    block_on(repo::publish(&layout, &wanted, &lifetimes, now()))??;
    copy_dir(&layout.repository, &args.out)?;
    let published = Published::read(&layout)?;
    if let Some((ts, _, _)) = &published.top {
        println!(
            "exported {} to {} — timestamp.json expires {}: export again before then",
            layout.repository.display(),
            args.out.display(),
            ts.signed.expires
        );
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let mut later = Vec::new();
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&path, &target)?;
        } else if entry.file_name() == "timestamp.json" {
            // Last, so a server reading the copy meanwhile never sees a timestamp whose
            // snapshot is missing.
            later.push((path, target));
        } else if !entry.file_name().to_string_lossy().ends_with(".tmp") {
            fs::copy(&path, &target)
                .with_context(|| format!("cannot copy to {}", target.display()))?;
        }
    }
    for (path, target) in later {
        fs::copy(&path, &target).with_context(|| format!("cannot copy to {}", target.display()))?;
    }
    Ok(())
}

fn add_key(args: &TufAddKeyArgs) -> Result<()> {
    let (dir, config, layout) = load(&args.data_dir)?;
    require(&layout, &dir)?;
    let lifetimes = Lifetimes::from_config(&config)?;
    let mut keys = Vec::new();
    for path in &args.key {
        keys.push(key_file(
            FileKey { path: path.clone() },
            "TUF root key to add",
        )?);
    }
    let version = repo::stage_root(&layout, &keys, args.threshold, &lifetimes, now())?;
    println!(
        "staged root version {version} in {}: sign it with `sigstack tuf sign --data-dir {} \
         --key FILE`, once per key, until it is published",
        repo::staged_root_path(&layout).display(),
        args.data_dir.display()
    );
    Ok(())
}

fn sign(args: &TufSignArgs) -> Result<()> {
    let (dir, _, layout) = load(&args.data_dir)?;
    require(&layout, &dir)?;
    let key = FileKey {
        path: args.key.clone(),
    };
    match block_on(repo::sign_staged(&layout, &key))?? {
        repo::SignOutcome::Published(version) => println!(
            "published {}/{version}.root.json",
            layout.repository.display()
        ),
        repo::SignOutcome::Pending {
            old,
            old_threshold,
            new,
            new_threshold,
        } => println!(
            "signed; not yet published: {old} of {old_threshold} signatures by the current \
             root's keys, {new} of {new_threshold} by the staged root's"
        ),
    }
    Ok(())
}

fn rotate_root(args: &TufRotateRootArgs) -> Result<()> {
    let (dir, config, layout) = load(&args.data_dir)?;
    require(&layout, &dir)?;
    let lifetimes = Lifetimes::from_config(&config)?;
    let mut new_keys = Vec::new();
    for path in &args.key {
        new_keys.push(key_file(
            FileKey { path: path.clone() },
            "TUF root key of the new root",
        )?);
    }
    let old: Vec<FileKey> = args
        .sign_with
        .iter()
        .map(|p| FileKey { path: p.clone() })
        .collect();
    let version = block_on(repo::rotate_root(
        &layout,
        &new_keys,
        args.threshold,
        &old,
        &lifetimes,
        now(),
    ))??;
    println!(
        "published {}/{version}.root.json (threshold {} of {})",
        layout.repository.display(),
        args.threshold,
        new_keys.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests;
