//! The log's signing key and the two things it signs for the ledger: SignedEntryTimestamps
//! (the [`Stamper`]) and Rekor v1 checkpoints (the [`CheckpointSigner`]).
//!
//! Rekor v1 clients require an ECDSA log key (cosign rejects others for SETs; sigstore-go
//! calls `ecdsa.VerifyASN1`), so this type holds a P-256 key and nothing else. Its log ID is
//! SHA-256 of the DER SubjectPublicKeyInfo; the checkpoint key hint is the first four bytes
//! of that same hash, and the signature line names the bare hostname, not the origin.

use std::fmt;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use sigstack_ledger::store::StoredEntry;
use sigstack_ledger::{CheckpointSigner, Stamper};
use sigstack_merkle::checkpoint::{rekor_v1_origin, Checkpoint, SignedCheckpoint};
use sigstack_merkle::note::{NamedSigner, NamedVerifier};
use sigstack_merkle::signature::{EcdsaP256Signer, PublicKey, Signer as _};
use sigstack_merkle::Hash;

use super::config::RekorConfig;
use crate::SetPayload;

/// Errors setting up the log key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The hostname cannot be a signed-note key name (empty, spaces, `+`).
    #[error("hostname {0:?} cannot name a checkpoint signature (no spaces or '+' allowed)")]
    InvalidHostname(String),
    /// The tree ID is not a positive 63-bit integer, as Trillian tree IDs are.
    #[error("tree ID {0} must be positive")]
    InvalidTreeId(i64),
}

/// The Rekor v1 log key of one shard, bound to that shard's checkpoint origin.
pub struct LogKey {
    signer: NamedSigner<EcdsaP256Signer>,
    origin: String,
    log_id: [u8; 32],
    log_id_hex: String,
    public_key_pem: String,
}

impl fmt::Debug for LogKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogKey")
            .field("origin", &self.origin)
            .field("log_id", &self.log_id_hex)
            .finish_non_exhaustive()
    }
}

impl LogKey {
    /// Binds `signer` to the shard described by `config` (hostname and tree ID).
    pub fn new(signer: EcdsaP256Signer, config: &RekorConfig) -> Result<Self, KeyError> {
        if config.tree_id <= 0 {
            return Err(KeyError::InvalidTreeId(config.tree_id));
        }
        let spki = signer.public_key_spki_der().to_vec();
        let log_id: [u8; 32] = Sha256::digest(&spki).into();
        let signer = NamedSigner::new(config.hostname.clone(), signer)
            .map_err(|_| KeyError::InvalidHostname(config.hostname.clone()))?;
        Ok(Self {
            signer,
            origin: rekor_v1_origin(&config.hostname, config.tree_id.unsigned_abs()),
            log_id,
            log_id_hex: hex::encode(log_id),
            public_key_pem: pem_public_key(&spki),
        })
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo: the `logID` clients look the key up by.
    pub fn log_id(&self) -> &[u8; 32] {
        &self.log_id
    }

    /// The log ID as the 64 lower-case hex digits of `logID` fields.
    pub fn log_id_hex(&self) -> &str {
        &self.log_id_hex
    }

    /// The public key as Go's canonical PEM (`GET /api/v1/log/publicKey`).
    pub fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    /// The public key, for verifying SETs and checkpoints.
    pub fn public_key(&self) -> PublicKey {
        self.signer.inner().public_key()
    }

    /// The checkpoint note verifier for this key (name = hostname).
    pub fn note_verifier(&self) -> NamedVerifier {
        self.signer.verifier()
    }

    /// The checkpoint origin line, `"<hostname> - <treeID>"`.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

impl Stamper for LogKey {
    /// The SignedEntryTimestamp: DER ECDSA P-256 over SHA-256 of the SET payload. With one
    /// shard the global log index the SET signs equals the shard-local index.
    fn stamp(&self, entry: &StoredEntry) -> Result<Vec<u8>, String> {
        let log_index = i64::try_from(entry.index)
            .map_err(|_| format!("log index {} does not fit in an int64", entry.index))?;
        let payload = SetPayload {
            body: &entry.body,
            integrated_time: entry.integrated_time,
            log_id: &self.log_id_hex,
            log_index,
        }
        .to_bytes()
        .map_err(|e| e.to_string())?;
        self.signer
            .inner()
            .sign(&payload)
            .map_err(|e| format!("signing the SET of entry {}: {e}", entry.index))
    }
}

impl CheckpointSigner for LogKey {
    /// A Rekor v1 checkpoint: origin `"<hostname> - <treeID>"`, no extension lines (Rekor
    /// dropped the timestamp line in 1.3.5, so `now_unix` is unused), exactly one signature.
    fn sign(&self, size: u64, root: &Hash, _now_unix: i64) -> Result<Vec<u8>, String> {
        let checkpoint = Checkpoint::new(self.origin.clone(), size, *root);
        SignedCheckpoint::sign(checkpoint, &[&self.signer])
            .map(|signed| signed.encode().into_bytes())
            .map_err(|e| format!("signing the checkpoint for size {size}: {e}"))
    }
}

/// Go's `encoding/pem` layout: 64-column base64 lines, each ending in `\n`.
pub(crate) fn pem_public_key(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END PUBLIC KEY-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use sigstack_merkle::signature::Verifier as _;

    fn key() -> LogKey {
        let pkcs8 = EcdsaP256Signer::generate_pkcs8_der().unwrap_or_default();
        let signer = EcdsaP256Signer::from_pkcs8_der(&pkcs8);
        assert!(signer.is_ok());
        let config = RekorConfig::new("rekor.local", 6_836_169_395_851_359_160);
        match signer.map(|s| LogKey::new(s, &config)) {
            Ok(Ok(k)) => k,
            _ => panic!("test key"),
        }
    }

    #[test]
    fn checkpoint_is_rekor_v1_shaped() {
        let key = key();
        let root = [7u8; 32];
        let note = CheckpointSigner::sign(&key, 3, &root, 0).unwrap_or_default();
        let text = String::from_utf8(note).unwrap_or_default();
        let head = format!(
            "rekor.local - 6836169395851359160\n3\n{}\n\n\u{2014} rekor.local ",
            STANDARD.encode(root)
        );
        assert!(text.starts_with(&head), "{text}");
        assert!(
            text.ends_with('\n') && text.matches('\n').count() == 5,
            "{text}"
        );
        let sig = STANDARD
            .decode(text[head.len()..].trim_end())
            .unwrap_or_default();
        assert_eq!(&sig[..4], &key.log_id()[..4], "key hint = logID[..4]");
        let signed_text = &text[..text.find("\n\n").map_or(0, |i| i + 1)];
        assert!(key
            .public_key()
            .verify(signed_text.as_bytes(), &sig[4..])
            .is_ok());
    }

    #[test]
    fn set_signs_the_canonical_payload() {
        let key = key();
        let entry = StoredEntry {
            index: 5,
            leaf_hash: [0; 32],
            body: b"{\"a\":1}".to_vec(),
            integrated_time: 1_700_000_000,
            kind: "hashedrekord:0.0.1".into(),
            receipt: Vec::new(),
        };
        let set = key.stamp(&entry).unwrap_or_default();
        let payload = format!(
            "{{\"body\":\"eyJhIjoxfQ==\",\"integratedTime\":1700000000,\"logID\":\"{}\",\"logIndex\":5}}",
            key.log_id_hex()
        );
        assert!(key.public_key().verify(payload.as_bytes(), &set).is_ok());
        assert_eq!(key.log_id_hex().len(), 64);
        assert!(key
            .public_key_pem()
            .starts_with("-----BEGIN PUBLIC KEY-----\nMFkw"));
    }

    #[test]
    fn bad_config_is_refused() {
        let pkcs8 = EcdsaP256Signer::generate_pkcs8_der().unwrap_or_default();
        for config in [RekorConfig::new("has space", 1), RekorConfig::new("ok", 0)] {
            let signer = EcdsaP256Signer::from_pkcs8_der(&pkcs8);
            assert!(signer.is_ok_and(|s| LogKey::new(s, &config).is_err()));
        }
    }
}
