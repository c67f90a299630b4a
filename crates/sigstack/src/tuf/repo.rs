//! Creating, re-signing and checking the TUF repository, all through tough.
//!
//! Publishing policy (the re-signer and `sigstack tuf publish` run the same [`publish`]):
//! - The targets are what [`crate::trust::documents`] returns for the configured base URL,
//!   so the repository always publishes what `trust-root` writes. When they differ from the
//!   published ones, or targets/snapshot have less than half their lifetime left, targets,
//!   snapshot and timestamp are all signed anew (each version one higher).
//! - Otherwise, when the timestamp has less than half its lifetime left, only a new
//!   timestamp is signed (over the same snapshot).
//! - Files are written so that no client ever sees half a repository: target files and
//!   versioned metadata first (new names, never rewritten), `timestamp.json` last, by rename.
//!   A failure before that rename leaves the published repository as it was.
//! - One publisher at a time: an exclusive lock on `tuf/.lock` (a second process waits).
//! - Versions only grow (targets, snapshot and timestamp versions are at least the signing
//!   time in Unix seconds, so a restored backup does not go back), and only root keys
//!   (offline) can change `root.json`.

use std::collections::HashMap;
use std::fs;
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context as _, Result};
use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::rand::SystemRandom;
use serde_json::{json, Value};
use tough::editor::signed::SignedRole;
use tough::editor::RepositoryEditor;
use tough::schema::{
    Hashes, KeyHolder, RoleKeys, RoleType, Root, Signed, Snapshot, Target, Targets, Timestamp,
};
use tough::{IntoVec as _, TargetName};

use super::keys::{sources, FileKey};
use super::{Layout, Lifetimes};
use crate::config::Config;
use crate::trust::Documents;

/// The TUF specification version tough writes and reads.
const SPEC_VERSION: &str = "1.0.0";

/// One target file as the repository publishes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetFile {
    /// Its TUF target name.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// `custom` metadata (cosign's legacy key discovery).
    pub custom: HashMap<String, Value>,
}

/// The targets for `docs` served at `base`: the names sigstore-go, sigstore-python and
/// sigstore-js fetch, and the legacy per-key names with the `custom.sigstore` usage that
/// cosign falls back to (see `docs/compatibility.md`).
pub fn targets(docs: &Documents, base: &str) -> Vec<TargetFile> {
    let legacy = |usage: &str| {
        HashMap::from([(
            "sigstore".to_owned(),
            json!({ "usage": usage, "status": "Active", "uri": base }),
        )])
    };
    vec![
        TargetFile {
            name: "trusted_root.json".into(),
            bytes: docs.trusted_root.clone().into_bytes(),
            custom: HashMap::new(),
        },
        TargetFile {
            name: "signing_config.v0.2.json".into(),
            bytes: docs.signing_config.clone().into_bytes(),
            custom: HashMap::new(),
        },
        TargetFile {
            name: "fulcio_v1.crt.pem".into(),
            bytes: docs.ca_chain.clone().into_bytes(),
            custom: legacy("Fulcio"),
        },
        TargetFile {
            name: "ctfe.pub".into(),
            bytes: docs.ct_key.clone().into_bytes(),
            custom: legacy("CTFE"),
        },
        TargetFile {
            name: "rekor.pub".into(),
            bytes: docs.rekor_key.clone().into_bytes(),
            custom: legacy("Rekor"),
        },
    ]
}

/// The targets of the data directory `dir` (see [`targets`]).
pub fn current_targets(dir: &Path, config: &Config) -> Result<Vec<TargetFile>> {
    let base = config.local_base_url()?;
    let docs = crate::trust::documents(dir, config, &base)?;
    Ok(targets(&docs, &base))
}

/// The published metadata, as read back from the repository directory.
#[derive(Debug, Clone)]
pub struct Published {
    /// The newest root.
    pub root: Signed<Root>,
    /// `timestamp.json`, and the snapshot and targets it leads to (absent before the first
    /// publish).
    pub top: Option<(Signed<Timestamp>, Signed<Snapshot>, Signed<Targets>)>,
}

impl Published {
    /// Reads the repository in `layout`.
    pub fn read(layout: &Layout) -> Result<Self> {
        let repo = &layout.repository;
        let root: Signed<Root> = read_json(&repo.join("root.json"))?;
        let ts_path = repo.join("timestamp.json");
        if !ts_path.exists() {
            return Ok(Self { root, top: None });
        }
        let timestamp: Signed<Timestamp> = read_json(&ts_path)?;
        let snap_version = timestamp
            .signed
            .meta
            .get("snapshot.json")
            .context("timestamp.json lists no snapshot.json")?
            .version;
        let snapshot: Signed<Snapshot> =
            read_json(&repo.join(format!("{snap_version}.snapshot.json")))?;
        let targets_version = snapshot
            .signed
            .meta
            .get("targets.json")
            .context("the snapshot lists no targets.json")?
            .version;
        let targets: Signed<Targets> =
            read_json(&repo.join(format!("{targets_version}.targets.json")))?;
        Ok(Self {
            root,
            top: Some((timestamp, snapshot, targets)),
        })
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not TUF metadata", path.display()))
}

/// What [`publish`] has to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Everything is current.
    Nothing,
    /// Only a new timestamp.
    Timestamp,
    /// New targets, snapshot and timestamp.
    All,
}

/// Decides what to re-sign at `now` (Unix seconds).
pub fn plan(
    published: &Published,
    wanted: &[TargetFile],
    lifetimes: &Lifetimes,
    now: u64,
) -> Action {
    let Some((timestamp, snapshot, targets)) = &published.top else {
        return Action::All;
    };
    let left = |expires: &jiff::Timestamp| expires.as_second() - now as i64;
    let half = |secs: u64| (secs / 2) as i64;
    if !same_targets(&targets.signed, wanted)
        || left(&targets.signed.expires) < half(lifetimes.metadata)
        || left(&snapshot.signed.expires) < half(lifetimes.metadata)
    {
        Action::All
    } else if left(&timestamp.signed.expires) < half(lifetimes.timestamp) {
        Action::Timestamp
    } else {
        Action::Nothing
    }
}

/// Whether `published` lists exactly `wanted` (names, hashes and custom metadata).
fn same_targets(published: &Targets, wanted: &[TargetFile]) -> bool {
    published.targets.len() == wanted.len()
        && wanted.iter().all(|w| {
            published.targets.iter().any(|(name, t)| {
                name.raw() == w.name
                    && t.hashes.sha256.as_ref() == digest(&SHA256, &w.bytes).as_ref()
                    && t.length == w.bytes.len() as u64
                    && t.custom == w.custom
            })
        })
}

/// Creates version 1 of the root: `root_keys` with `threshold`, one online key each for
/// targets, snapshot and timestamp; consistent snapshots. Signed by every root key.
pub async fn create_root(
    layout: &Layout,
    root_keys: &[FileKey],
    threshold: u64,
    lifetimes: &Lifetimes,
    now: u64,
) -> Result<()> {
    let root = new_root(
        layout,
        root_keys,
        threshold,
        NonZeroU64::MIN,
        lifetimes,
        now,
    )?;
    let signed = SignedRole::new(
        root.clone(),
        &KeyHolder::Root(root),
        &sources(root_keys),
        &SystemRandom::new(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("signing root.json: {e}"))?;
    fs::create_dir_all(layout.repository.join("targets"))
        .with_context(|| format!("cannot create {}", layout.repository.display()))?;
    write_root(layout, 1, signed.buffer())
}

/// A root of `version` listing `root_keys` and the layout's online keys.
fn new_root(
    layout: &Layout,
    root_keys: &[FileKey],
    threshold: u64,
    version: NonZeroU64,
    lifetimes: &Lifetimes,
    now: u64,
) -> Result<Root> {
    ensure!(
        threshold >= 1 && threshold <= root_keys.len() as u64,
        "a root threshold of {threshold} with {} root keys can never be met",
        root_keys.len()
    );
    let mut root = Root {
        spec_version: SPEC_VERSION.into(),
        consistent_snapshot: true,
        version,
        expires: expiry(now, lifetimes.root)?,
        keys: HashMap::new(),
        roles: HashMap::new(),
        _extra: HashMap::new(),
    };
    let online = [
        (RoleType::Targets, layout.online_key("targets")),
        (RoleType::Snapshot, layout.online_key("snapshot")),
        (RoleType::Timestamp, layout.online_key("timestamp")),
    ];
    let roles: Vec<(RoleType, &[FileKey], u64)> = vec![(RoleType::Root, root_keys, threshold)];
    for (role, keys, threshold) in roles
        .into_iter()
        .chain(online.iter().map(|(r, k)| (*r, std::slice::from_ref(k), 1)))
    {
        let mut keyids = Vec::new();
        for key in keys {
            let (id, public) = key.public()?;
            root.keys.insert(id.clone(), public);
            keyids.push(id);
        }
        root.roles.insert(
            role,
            RoleKeys {
                keyids,
                threshold: NonZeroU64::new(threshold).context("zero threshold")?,
                _extra: HashMap::new(),
            },
        );
    }
    Ok(root)
}

/// Rotates the root: version + 1 listing `new_keys` with `threshold`, signed by `new_keys`
/// and by `old_keys` (which must meet the current root's threshold, as clients check).
pub async fn rotate_root(
    layout: &Layout,
    new_keys: &[FileKey],
    threshold: u64,
    old_keys: &[FileKey],
    lifetimes: &Lifetimes,
    now: u64,
) -> Result<u64> {
    let _lock = lock(layout)?;
    let current = Published::read(layout)?.root;
    let version = current
        .signed
        .version
        .checked_add(1)
        .context("root version overflow")?;
    let root = new_root(layout, new_keys, threshold, version, lifetimes, now)?;
    let rng = SystemRandom::new();
    let by_new = SignedRole::new(
        root.clone(),
        &KeyHolder::Root(root.clone()),
        &sources(new_keys),
        &rng,
    )
    .await
    .map_err(|e| anyhow::anyhow!("signing the new root: {e}"))?;
    let by_old = SignedRole::new(
        root,
        &KeyHolder::Root(current.signed.clone()),
        &sources(old_keys),
        &rng,
    )
    .await
    .map_err(|e| anyhow::anyhow!("signing the new root with the old keys: {e}"))?;
    let old_count = by_old.signed().signatures.len() as u64;
    let old_threshold = role_threshold(&current.signed, RoleType::Root)?;
    ensure!(
        old_count >= old_threshold,
        "the current root (version {}) needs {old_threshold} of its keys to sign its successor; \
         {old_count} of the given keys are among them: nothing written",
        current.signed.version
    );
    let new_count = by_new.signed().signatures.len() as u64;
    ensure!(
        new_count >= threshold,
        "the new root needs {threshold} signatures from its own keys, {new_count} given"
    );
    let both = by_new
        .add_old_signatures(by_old.signed().signatures.clone())
        .map_err(|e| anyhow::anyhow!("combining the signatures: {e}"))?;
    write_root(layout, version.get(), both.buffer())?;
    Ok(version.get())
}

/// Where a root waiting for signatures is kept (outside the served directory).
pub fn staged_root_path(layout: &Layout) -> PathBuf {
    layout.tuf_dir.join("staged-root.json")
}

/// Stages root version + 1: the current root with `add` in its root role and, if given, a
/// new root `threshold`; no signatures yet (see [`sign_staged`]). One staged root at a time.
pub fn stage_root(
    layout: &Layout,
    add: &[FileKey],
    threshold: Option<u64>,
    lifetimes: &Lifetimes,
    now: u64,
) -> Result<u64> {
    let _lock = lock(layout)?;
    let staged = staged_root_path(layout);
    ensure!(
        !staged.exists(),
        "a root is already staged in {}: sign it (`sigstack tuf sign`) or delete it",
        staged.display()
    );
    let mut root = Published::read(layout)?.root.signed;
    root.version = root
        .version
        .checked_add(1)
        .context("root version overflow")?;
    root.expires = expiry(now, lifetimes.root)?;
    let role = root
        .roles
        .get_mut(&RoleType::Root)
        .context("the current root lists no root role")?;
    for key in add {
        let (id, public) = key.public()?;
        if !role.keyids.contains(&id) {
            role.keyids.push(id.clone());
        }
        root.keys.insert(id, public);
    }
    if let Some(t) = threshold {
        role.threshold = NonZeroU64::new(t).context("a threshold of 0 is always met")?;
    }
    ensure!(
        role.threshold.get() <= role.keyids.len() as u64,
        "a root threshold of {} with {} root keys can never be met",
        role.threshold,
        role.keyids.len()
    );
    let version = root.version.get();
    let unsigned = Signed {
        signed: root,
        signatures: Vec::new(),
    };
    replace(&staged, &pretty(&unsigned)?)?;
    Ok(version)
}

/// What [`sign_staged`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOutcome {
    /// Signed; still short of a threshold: valid signatures by the current root's keys and
    /// by the staged root's own, and the thresholds.
    Pending {
        /// Signatures by keys of the current root.
        old: usize,
        /// Its threshold.
        old_threshold: u64,
        /// Signatures by keys of the staged root.
        new: usize,
        /// Its threshold.
        new_threshold: u64,
    },
    /// Both thresholds met: published as this version.
    Published(u64),
}

/// Adds `key`'s signature to the staged root, and publishes it once tough verifies it under
/// both the current root and itself (what a client checks when it updates).
pub async fn sign_staged(layout: &Layout, key: &FileKey) -> Result<SignOutcome> {
    let _lock = lock(layout)?;
    let path = staged_root_path(layout);
    ensure!(
        path.exists(),
        "no root is staged: `sigstack tuf add-key` stages one"
    );
    let current = Published::read(layout)?.root.signed;
    let mut staged: Signed<Root> = read_json(&path)?;
    ensure!(
        Some(staged.signed.version) == current.version.checked_add(1),
        "{} is version {} but the repository is at root version {}: delete it and stage again",
        path.display(),
        staged.signed.version,
        current.version
    );
    let (id, _) = key.public()?;
    let ids = |root: &Root| {
        root.roles
            .get(&RoleType::Root)
            .map(|r| r.keyids.clone())
            .unwrap_or_default()
    };
    let (old_ids, new_ids) = (ids(&current), ids(&staged.signed));
    let holder = if new_ids.contains(&id) {
        staged.signed.clone()
    } else if old_ids.contains(&id) {
        current.clone()
    } else {
        bail!(
            "{} is not a root key of the current or the staged root",
            key.path.display()
        );
    };
    let signed = SignedRole::new(
        staged.signed.clone(),
        &KeyHolder::Root(holder),
        &sources(std::slice::from_ref(key)),
        &SystemRandom::new(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("signing the staged root: {e}"))?;
    for sig in &signed.signed().signatures {
        staged.signatures.retain(|s| s.keyid != sig.keyid);
        staged.signatures.push(sig.clone());
    }
    if current.verify_role(&staged).is_ok() && staged.signed.verify_role(&staged).is_ok() {
        let version = staged.signed.version.get();
        write_root(layout, version, &pretty(&staged)?)?;
        fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        return Ok(SignOutcome::Published(version));
    }
    replace(&path, &pretty(&staged)?)?;
    let count = |ids: &[tough::schema::decoded::Decoded<tough::schema::decoded::Hex>]| {
        staged
            .signatures
            .iter()
            .filter(|s| ids.contains(&s.keyid))
            .count()
    };
    Ok(SignOutcome::Pending {
        old: count(&old_ids),
        old_threshold: role_threshold(&current, RoleType::Root)?,
        new: count(&new_ids),
        new_threshold: role_threshold(&staged.signed, RoleType::Root)?,
    })
}

/// Metadata as tough writes it: pretty JSON and a final newline.
fn pretty<T: serde::Serialize>(signed: &T) -> Result<Vec<u8>> {
    let mut buffer = serde_json::to_vec_pretty(signed)?;
    buffer.push(b'\n');
    Ok(buffer)
}

fn role_threshold(root: &Root, role: RoleType) -> Result<u64> {
    Ok(root
        .roles
        .get(&role)
        .with_context(|| format!("root lists no {role:?} role"))?
        .threshold
        .get())
}

/// Writes `N.root.json`, then replaces `root.json` (the newest, for people and `status`).
fn write_root(layout: &Layout, version: u64, buffer: &[u8]) -> Result<()> {
    let repo = &layout.repository;
    let versioned = repo.join(format!("{version}.root.json"));
    ensure!(
        !versioned.exists(),
        "{} exists already: a published root is never replaced",
        versioned.display()
    );
    replace(&versioned, buffer)?;
    replace(&repo.join("root.json"), buffer)
}

/// Brings the repository up to date at `now` (see the module doc); returns what it did.
pub async fn publish(
    layout: &Layout,
    wanted: &[TargetFile],
    lifetimes: &Lifetimes,
    now: u64,
) -> Result<Action> {
    let _lock = lock(layout)?;
    let published = Published::read(layout)?;
    let root = &published.root.signed;
    ensure!(
        root.expires.as_second() > now as i64,
        "root.json (version {}) expired at {}: sign a new root with the offline root keys \
         (`sigstack tuf rotate-root`)",
        root.version,
        root.expires
    );
    let action = plan(&published, wanted, lifetimes, now);
    let keys = sources(&layout.online_keys());
    // Versions are at least the signing time in Unix seconds, so a repository restored from
    // an older backup still signs past whatever clients saw since (root versions, which
    // clients walk one by one, stay sequential).
    let next = |v: Option<NonZeroU64>| -> Result<NonZeroU64> {
        let after = match v {
            Some(v) => v.get().checked_add(1).context("version overflow")?,
            None => 1,
        };
        NonZeroU64::new(after.max(now)).context("version 0")
    };
    match action {
        Action::Nothing => {}
        Action::Timestamp => {
            let Some((old, _, _)) = &published.top else {
                bail!("no timestamp to renew");
            };
            let mut timestamp = Timestamp::new(
                SPEC_VERSION.into(),
                next(Some(old.signed.version))?,
                expiry(now, lifetimes.timestamp)?,
            );
            timestamp.meta = old.signed.meta.clone();
            let signed = SignedRole::new(
                timestamp,
                &KeyHolder::Root(root.clone()),
                &keys,
                &SystemRandom::new(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("signing timestamp.json: {e}"))?;
            replace(&layout.repository.join("timestamp.json"), signed.buffer())?;
        }
        Action::All => {
            let versions = published.top.as_ref().map(|(ts, snap, targets)| {
                (
                    ts.signed.version,
                    snap.signed.version,
                    targets.signed.version,
                )
            });
            let mut editor = RepositoryEditor::new(layout.repository.join("root.json"))
                .await
                .map_err(|e| anyhow::anyhow!("reading root.json: {e}"))?;
            for file in wanted {
                let name = TargetName::new(file.name.clone())
                    .map_err(|e| anyhow::anyhow!("target {}: {e}", file.name))?;
                let target = Target {
                    length: file.bytes.len() as u64,
                    hashes: Hashes {
                        sha256: digest(&SHA256, &file.bytes).as_ref().to_vec().into(),
                        _extra: HashMap::new(),
                    },
                    custom: file.custom.clone(),
                    _extra: HashMap::new(),
                };
                editor
                    .add_target(name, target)
                    .map_err(|e| anyhow::anyhow!("target {}: {e}", file.name))?;
            }
            let metadata_expiry = expiry(now, lifetimes.metadata)?;
            editor
                .targets_version(next(versions.map(|v| v.2))?)
                .map_err(|e| anyhow::anyhow!("targets.json: {e}"))?;
            editor
                .targets_expires(metadata_expiry)
                .map_err(|e| anyhow::anyhow!("targets.json: {e}"))?;
            editor
                .snapshot_version(next(versions.map(|v| v.1))?)
                .snapshot_expires(metadata_expiry)
                .timestamp_version(next(versions.map(|v| v.0))?)
                .timestamp_expires(expiry(now, lifetimes.timestamp)?);
            let signed = editor
                .sign(&keys)
                .await
                .map_err(|e| anyhow::anyhow!("signing the repository metadata: {e}"))?;
            let staging = layout.tuf_dir.join(".staging");
            if staging.exists() {
                fs::remove_dir_all(&staging)
                    .with_context(|| format!("cannot remove {}", staging.display()))?;
            }
            signed
                .write(&staging)
                .await
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", staging.display()))?;
            commit(layout, &staging, wanted)?;
        }
    }
    Ok(action)
}

/// Moves a staged signing into the repository: targets, then the versioned metadata, then
/// `timestamp.json`, which makes it visible.
fn commit(layout: &Layout, staging: &Path, wanted: &[TargetFile]) -> Result<()> {
    let repo = &layout.repository;
    let targets_dir = repo.join("targets");
    fs::create_dir_all(&targets_dir)
        .with_context(|| format!("cannot create {}", targets_dir.display()))?;
    for file in wanted {
        let hash = hex::encode(digest(&SHA256, &file.bytes));
        let path = targets_dir.join(format!("{hash}.{}", file.name));
        if !path.exists() {
            replace(&path, &file.bytes)?;
        }
    }
    let mut staged: Vec<PathBuf> = fs::read_dir(staging)
        .with_context(|| format!("cannot read {}", staging.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    staged.sort();
    for kind in [".targets.json", ".snapshot.json"] {
        for path in staged.iter().filter(|p| name_of(p).ends_with(kind)) {
            let to = repo.join(name_of(path));
            ensure!(
                !to.exists(),
                "{} exists already: a published version is never replaced",
                to.display()
            );
            fs::rename(path, &to).with_context(|| format!("cannot move to {}", to.display()))?;
        }
    }
    let timestamp = staging.join("timestamp.json");
    fs::rename(&timestamp, repo.join("timestamp.json"))
        .with_context(|| format!("cannot publish {}", timestamp.display()))?;
    fs::remove_dir_all(staging).with_context(|| format!("cannot remove {}", staging.display()))
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `now + secs` as a TUF expiry.
fn expiry(now: u64, secs: u64) -> Result<jiff::Timestamp> {
    let at = now.checked_add(secs).context("expiry overflow")?;
    jiff::Timestamp::from_second(i64::try_from(at)?).context("expiry out of range")
}

/// Holds the repository's publish lock until dropped.
fn lock(layout: &Layout) -> Result<fs::File> {
    let path = layout.tuf_dir.join(".lock");
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    file.lock()
        .with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(file)
}

/// Writes `path` through a temporary file and a rename, so a reader never sees half a file.
fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// Loads the repository in `dir` the way a client does (tough's loader: signatures,
/// thresholds, versions, expiry, hashes), trusting `root` (a `1.root.json`), keeping client
/// state in `datastore` (rollback checks across loads), and reads every target.
pub async fn verify(dir: &Path, root: &[u8], datastore: &Path) -> Result<tough::Repository> {
    let dir = fs::canonicalize(dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    let metadata = url::Url::from_directory_path(&dir)
        .map_err(|()| anyhow::anyhow!("{} is not an absolute path", dir.display()))?;
    let targets = url::Url::from_directory_path(dir.join("targets"))
        .map_err(|()| anyhow::anyhow!("{} is not an absolute path", dir.display()))?;
    let repo = tough::RepositoryLoader::new(&root, metadata, targets)
        .datastore(datastore)
        .load()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for name in repo.targets().signed.targets.keys() {
        let stream = repo
            .read_target(name)
            .await
            .map_err(|e| anyhow::anyhow!("target {}: {e}", name.raw()))?
            .with_context(|| format!("target {} is missing", name.raw()))?;
        stream
            .into_vec()
            .await
            .map_err(|e| anyhow::anyhow!("target {}: {e}", name.raw()))?;
    }
    Ok(repo)
}
