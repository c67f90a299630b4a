//! `sigstack log fsck`: check a stored log end to end with nothing but its public key.
//!
//! It trusts the public key file (what clients trust), not the private key, and the
//! configured hostname and tree ID (what clients see in the checkpoint origin). Each clean
//! run records the `(size, root)` it saw in `DIR/fsck-state`, one line per database, so the
//! next run also proves the log only grew and never rewrote what it had: the one check a
//! single snapshot cannot make.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use sigstack_ledger::store::Store;
use sigstack_ledger::{fsck_since, FsckReport};
use sigstack_merkle::checkpoint::{rekor_v1_origin, SignedCheckpoint};
use sigstack_merkle::note::{NamedVerifier, NoteVerifier};
use sigstack_merkle::signature::PublicKey;
use sigstack_merkle::Hash;

use crate::cli::FsckArgs;
use crate::config::Config;
use crate::keys;
use crate::store::{with_store, Schema, StoreTask};

/// The file recording what earlier clean runs saw.
pub const STATE_FILE: &str = "fsck-state";

/// Runs `log fsck`; an error (non-zero exit) on any problem.
pub async fn run(mut args: FsckArgs) -> Result<()> {
    // Absolute, so the state key of a database is the same from any working directory.
    args.data_dir = crate::config::absolute_data_dir(&args.data_dir)?;
    let config = Config::load(&args.data_dir)?;
    let verifier = keys::load_verifier(&args.data_dir)?;
    let url = config.database_url(&args.data_dir, args.database_url.as_deref())?;
    let note_verifier =
        NamedVerifier::new(config.log.hostname.clone(), PublicKey::EcdsaP256(verifier))
            .map_err(|e| anyhow::anyhow!("key `log.hostname`: {e}"))?;
    let state_path = args.data_dir.join(STATE_FILE);
    let state_key = format!("{} {}", config.log.tree_id, url);
    let previous = read_state(&state_path, &state_key)?;

    let task = Check {
        shard: config.log.tree_id,
        origin: rekor_v1_origin(&config.log.hostname, config.log.tree_id.unsigned_abs()),
        verifier: note_verifier,
        previous,
    };
    // fsck must not create or upgrade what it checks.
    let report = with_store(&url, Schema::Require, task).await?;
    println!(
        "tree size {}, root {}: {} entries, {} full and {} partial tiles checked",
        report.size,
        hex(&report.root),
        report.entries_checked,
        report.full_tiles_checked,
        report.partial_tiles_checked
    );
    if !report.is_clean() {
        for problem in &report.problems {
            println!("problem: {problem}");
        }
        if report.more_problems > 0 {
            println!("… and {} more problems", report.more_problems);
        }
        bail!(
            "the log in {url} has {} problem(s)",
            report.problems.len() as u64 + report.more_problems
        );
    }
    if let Some((size, _)) = previous {
        println!("consistent with the previous clean check at size {size}");
    }
    write_state(&state_path, &state_key, report.size, &report.root)?;
    println!("clean");
    Ok(())
}

struct Check {
    shard: i64,
    origin: String,
    verifier: NamedVerifier,
    previous: Option<(u64, Hash)>,
}

impl StoreTask for Check {
    type Output = FsckReport;

    async fn run<S: Store>(self, store: Arc<S>) -> Result<FsckReport> {
        let known: [&dyn NoteVerifier; 1] = [&self.verifier];
        let verify = |bytes: &[u8]| -> Result<(u64, Hash), String> {
            let (signed, _) = SignedCheckpoint::open(bytes, &known).map_err(|e| e.to_string())?;
            let checkpoint = signed.checkpoint();
            if checkpoint.origin != self.origin {
                return Err(format!(
                    "origin is `{}`, the configuration says `{}`",
                    checkpoint.origin, self.origin
                ));
            }
            Ok((checkpoint.size, checkpoint.root_hash))
        };
        fsck_since(store.as_ref(), self.shard, &verify, self.previous)
            .await
            .context("fsck could not run")
    }
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn parse_hash(text: &str) -> Option<Hash> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// Lines are `<size> <root hex> <key>`; the key (tree ID and database) may contain spaces.
fn read_state(path: &Path, key: &str) -> Result<Option<(u64, Hash)>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    for (n, line) in text.lines().enumerate() {
        let mut parts = line.splitn(3, ' ');
        let (Some(size), Some(root), Some(k)) = (parts.next(), parts.next(), parts.next()) else {
            bail!("{}: line {} is malformed", path.display(), n + 1);
        };
        if k != key {
            continue;
        }
        let (Ok(size), Some(root)) = (size.parse(), parse_hash(root)) else {
            bail!("{}: line {} is malformed", path.display(), n + 1);
        };
        return Ok(Some((size, root)));
    }
    Ok(None)
}

fn write_state(path: &Path, key: &str, size: u64, root: &Hash) -> Result<()> {
    let old = fs::read_to_string(path).unwrap_or_default();
    let mut text: String = old
        .lines()
        .filter(|l| l.splitn(3, ' ').nth(2) != Some(key))
        .map(|l| format!("{l}\n"))
        .collect();
    text.push_str(&format!("{size} {} {key}\n", hex(root)));
    let tmp = PathBuf::from(format!("{}.tmp", path.display()));
    fs::write(&tmp, text)
        .and_then(|()| fs::rename(&tmp, path))
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_per_database() {
        let dir = std::env::temp_dir().join(format!("sigstack-fsck-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(STATE_FILE);
        let _ = fs::remove_file(&path);
        assert_eq!(read_state(&path, "1 sqlite:/a b").unwrap(), None);
        write_state(&path, "1 sqlite:/a b", 3, &[7; 32]).unwrap();
        write_state(&path, "1 postgres://x/y", 5, &[9; 32]).unwrap();
        write_state(&path, "1 sqlite:/a b", 4, &[8; 32]).unwrap();
        assert_eq!(
            read_state(&path, "1 sqlite:/a b").unwrap(),
            Some((4, [8; 32]))
        );
        assert_eq!(
            read_state(&path, "1 postgres://x/y").unwrap(),
            Some((5, [9; 32]))
        );
        fs::write(&path, "garbage\n").unwrap();
        assert!(read_state(&path, "k").is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hashes_parse() {
        let h = [0xab; 32];
        assert_eq!(parse_hash(&hex(&h)), Some(h));
        assert_eq!(parse_hash("zz"), None);
    }
}
