//! The independent check: only the public HTTP API and the log's public key, with the proof
//! and signature verification of `sigstack-merkle` (the pure crate every auditor can use),
//! never the server's own checks.
//!
//! For every acknowledged entry: the acknowledgement itself (its checkpoint's signature, its
//! inclusion proof against that checkpoint, its SET), then the entry fetched back by index
//! and by UUID (same body, same index, inclusion proof against the newest checkpoint). For
//! every checkpoint ever seen, one root per size, and a consistency proof from it to the
//! newest. Any failure is a lost or forged entry.

use std::collections::{BTreeMap, HashMap};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;
use sigstack_merkle::checkpoint::SignedCheckpoint;
use sigstack_merkle::note::NamedVerifier;
use sigstack_merkle::signature::{PublicKey, Verifier as _};
use sigstack_merkle::{leaf_hash, verify_consistency, verify_inclusion, Hash};

use crate::load::Ack;
use crate::support::try_get;

/// The log's public key, pinned once before any fault is injected.
pub struct LogKey {
    note: NamedVerifier,
    key: PublicKey,
    log_id_hex: String,
}

impl LogKey {
    /// Reads `/api/v1/log/publicKey` from a healthy server; `hostname` names the checkpoint
    /// signatures (Rekor v1: the origin's hostname).
    pub fn fetch(port: u16, hostname: &str) -> Self {
        let pem = try_get(port, "/api/v1/log/publicKey")
            .filter(|r| r.status == 200)
            .expect("the log's public key")
            .body;
        let b64: String = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .concat();
        let spki = STANDARD.decode(b64.trim()).expect("PEM body");
        let log_id_hex = hex::encode(ring::digest::digest(&ring::digest::SHA256, &spki));
        let key = PublicKey::from_spki_der(&spki).expect("an ECDSA P-256 key");
        let note = NamedVerifier::new(
            hostname,
            PublicKey::from_spki_der(&spki).expect("an ECDSA P-256 key"),
        )
        .expect("a valid key name");
        Self {
            note,
            key,
            log_id_hex,
        }
    }
}

/// What a verification covered.
#[derive(Debug, Clone, Copy)]
pub struct Verified {
    /// Acknowledged entries re-verified.
    pub entries: usize,
    /// Distinct checkpoints checked for consistency with the newest.
    pub checkpoints: usize,
    /// The newest tree size.
    pub tree_size: u64,
}

/// Accumulates every checkpoint seen across rounds (size → root) and checks a log.
pub struct Checker {
    key: LogKey,
    seen: BTreeMap<u64, Hash>,
}

impl Checker {
    /// A checker for the log signed by `key`.
    pub fn new(key: LogKey) -> Self {
        Self {
            key,
            seen: BTreeMap::new(),
        }
    }

    /// Verifies a checkpoint note's signature and remembers its head; two different roots
    /// for one size would be a fork.
    fn checkpoint(&mut self, note: &str) -> Result<(u64, Hash), String> {
        let (signed, _) = SignedCheckpoint::open(note.as_bytes(), &[&self.key.note])
            .map_err(|e| format!("checkpoint does not verify: {e}\n{note}"))?;
        let head = signed.checkpoint();
        let (size, root) = (head.size, head.root_hash);
        if let Some(known) = self.seen.insert(size, root) {
            if known != root {
                return Err(format!(
                    "two checkpoints of size {size} with different roots: a forked log"
                ));
            }
        }
        Ok((size, root))
    }

    /// Checks one entry object as the API renders it: the UUID names its leaf, the SET
    /// signs it, its inclusion proof verifies against its (verified) checkpoint. Returns the
    /// body and the size its proof is for.
    fn entry(&mut self, uuid: &str, entry: &Value, index: u64) -> Result<(Vec<u8>, u64), String> {
        let body_b64 = entry["body"].as_str().ok_or("entry without body")?;
        let body = STANDARD
            .decode(body_b64)
            .map_err(|e| format!("body is not base64: {e}"))?;
        let leaf = leaf_hash(&body);
        if !uuid.ends_with(&hex::encode(leaf)) {
            return Err(format!("UUID {uuid} does not name the body's leaf"));
        }
        if entry["logIndex"].as_u64() != Some(index) {
            return Err(format!("entry {uuid}: logIndex is not {index}"));
        }
        if entry["logID"].as_str() != Some(self.key.log_id_hex.as_str()) {
            return Err(format!("entry {index}: logID is not the log key's"));
        }
        let time = entry["integratedTime"]
            .as_i64()
            .ok_or("entry without integratedTime")?;
        let verification = &entry["verification"];
        let set = STANDARD
            .decode(verification["signedEntryTimestamp"].as_str().unwrap_or(""))
            .map_err(|e| format!("entry {index}: SET is not base64: {e}"))?;
        // RFC 8785 canonical JSON of the four fields: keys sorted, no spaces.
        let payload = format!(
            "{{\"body\":\"{body_b64}\",\"integratedTime\":{time},\"logID\":\"{}\",\"logIndex\":{index}}}",
            self.key.log_id_hex
        );
        self.key
            .key
            .verify(payload.as_bytes(), &set)
            .map_err(|e| format!("entry {index}: SET does not verify: {e}"))?;
        let proof = &verification["inclusionProof"];
        let (size, root) = self.checkpoint(proof["checkpoint"].as_str().unwrap_or(""))?;
        if proof["treeSize"].as_u64() != Some(size)
            || proof["rootHash"].as_str() != Some(hex::encode(root).as_str())
            || proof["logIndex"].as_u64() != Some(index)
        {
            return Err(format!(
                "entry {index}: inclusion proof fields disagree with its checkpoint"
            ));
        }
        let hashes = hashes(&proof["hashes"])?;
        verify_inclusion(&leaf, index, size, &hashes, &root)
            .map_err(|e| format!("entry {index}: inclusion proof at size {size} fails: {e}"))?;
        Ok((body, size))
    }

    /// Reads one acknowledged entry back by UUID from `port` while the log may be growing:
    /// the same entry, its SET and its inclusion proof against the (verified) checkpoint it
    /// comes with. Returns the size that proof is for.
    pub fn read_back(&mut self, port: u16, ack: &Ack) -> Result<u64, String> {
        let index = ack.index();
        let (acked_body, _) = self.entry(&ack.uuid, &ack.entry, index)?;
        let path = format!("/api/v1/log/entries/{}", ack.uuid);
        let got = get_json(port, &path)?;
        let (uuid, entry) = got
            .as_object()
            .and_then(|o| o.iter().next())
            .ok_or_else(|| format!("{path}: not an entry map"))?;
        let (body, size) = self.entry(uuid, entry, index)?;
        if body != acked_body {
            return Err(format!("{path}: not the entry that was acknowledged"));
        }
        Ok(size)
    }

    /// Re-verifies every acknowledgement against the log `port` serves now (no writes may
    /// be in flight): 0 lost is `Ok`.
    pub fn verify(&mut self, port: u16, acks: &[Ack]) -> Result<Verified, String> {
        let info = get_json(port, "/api/v1/log")?;
        let (newest, newest_root) =
            self.checkpoint(info["signedTreeHead"].as_str().unwrap_or(""))?;
        let mut by_index: HashMap<u64, &str> = HashMap::new();
        for ack in acks {
            let index = ack.index();
            if let Some(other) = by_index.insert(index, &ack.uuid) {
                return Err(format!(
                    "index {index} acknowledged twice ({other} and {})",
                    ack.uuid
                ));
            }
            let (acked_body, _) = self
                .entry(&ack.uuid, &ack.entry, index)
                .map_err(|e| format!("acknowledgement: {e}"))?;
            if index >= newest {
                return Err(format!(
                    "entry {index} was acknowledged but the newest checkpoint has size {newest}: lost"
                ));
            }
            for path in [
                format!("/api/v1/log/entries?logIndex={index}"),
                format!("/api/v1/log/entries/{}", ack.uuid),
            ] {
                let got = get_json(port, &path).map_err(|e| format!("entry {index} lost: {e}"))?;
                let (uuid, entry) = got
                    .as_object()
                    .and_then(|o| o.iter().next())
                    .ok_or_else(|| format!("{path}: not an entry map"))?;
                let (body, size) = self.entry(uuid, entry, index)?;
                if body != acked_body || entry["integratedTime"] != ack.entry["integratedTime"] {
                    return Err(format!("{path}: not the entry that was acknowledged"));
                }
                if size != newest {
                    return Err(format!(
                        "{path}: proof at size {size}, the log's newest is {newest}"
                    ));
                }
            }
        }
        let earlier: Vec<(u64, Hash)> = self.seen.range(1..newest).map(|(s, r)| (*s, *r)).collect();
        for (size, root) in &earlier {
            let proof = get_json(
                port,
                &format!("/api/v1/log/proof?firstSize={size}&lastSize={newest}"),
            )?;
            let hashes = hashes(&proof["hashes"])?;
            verify_consistency(*size, newest, &hashes, root, &newest_root).map_err(|e| {
                format!("checkpoint of size {size} is not consistent with size {newest}: {e}")
            })?;
        }
        if let Some(bigger) = self.seen.range(newest + 1..).next() {
            return Err(format!(
                "a checkpoint of size {} was seen, the log now says {newest}: it went back",
                bigger.0
            ));
        }
        Ok(Verified {
            entries: acks.len(),
            checkpoints: earlier.len(),
            tree_size: newest,
        })
    }
}

fn hashes(v: &Value) -> Result<Vec<Hash>, String> {
    v.as_array()
        .ok_or("proof without hashes")?
        .iter()
        .map(|h| {
            let bytes = hex::decode(h.as_str().unwrap_or("")).map_err(|e| e.to_string())?;
            Hash::try_from(bytes.as_slice()).map_err(|_| "a proof hash is not 32 bytes".to_owned())
        })
        .collect()
}

/// A GET that must answer 200 with JSON.
pub fn get_json(port: u16, path: &str) -> Result<Value, String> {
    let r = try_get(port, path).ok_or_else(|| format!("GET {path}: no answer"))?;
    if r.status != 200 {
        return Err(format!("GET {path}: {} {}", r.status, r.body));
    }
    serde_json::from_str(&r.body).map_err(|e| format!("GET {path}: {e}"))
}
