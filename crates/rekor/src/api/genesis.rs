//! The entry at index 0 of every new log.
//!
//! sigstore-go (inside cosign 2.5's `--new-bundle-format`, sigstore-go itself and what is
//! built on them) refuses any protobuf-bundle transparency-log entry whose `logIndex` is 0
//! ("validation error: nil value in transaction log entry"): protobuf JSON omits a zero
//! index, and the parser reads the missing field as absent. Public Rekor never hands out
//! index 0 any more, but on a fresh private log the first user's first signature would be
//! the one entry no sigstore-go client can verify. So a new log takes index 0 itself.
//!
//! The entry is an ordinary, valid hashedrekord: the SHA-256 digest of a line naming the
//! log and the time, signed by a throw-away ECDSA P-256 key (never the log key, which only
//! ever signs SETs and checkpoints). Monitors and `rekor-cli` read it like any other entry.

use sha2::{Digest as _, Sha256};
use sigstack_ledger::store::Store;
use sigstack_ledger::{LedgerError, Submission};
use sigstack_merkle::signature::{EcdsaP256Signer, Signer as _};

use super::canonical;
use super::error::ApiError;
use super::RekorService;
use crate::b64;

/// The proposed hashedrekord for the genesis entry of the log with checkpoint origin
/// `origin`, created at `now_unix`.
fn proposed_entry(origin: &str, now_unix: i64) -> Result<Vec<u8>, ApiError> {
    let statement = format!("sigstack genesis entry of {origin} at {now_unix}\n");
    let failed = |what: &str| ApiError::Internal(format!("genesis entry: {what}"));
    let pkcs8 = EcdsaP256Signer::generate_pkcs8_der().map_err(|_| failed("key generation"))?;
    let key = EcdsaP256Signer::from_pkcs8_der(&pkcs8).map_err(|_| failed("key loading"))?;
    // ECDSA over SHA-256 of the statement: exactly what hashedrekord verifies against the
    // digest it stores.
    let signature = key
        .sign(statement.as_bytes())
        .map_err(|_| failed("signing"))?;
    let pem = super::keys::pem_public_key(key.public_key_spki_der());
    let proposed = serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {
                "algorithm": "sha256",
                "value": hex::encode(Sha256::digest(statement.as_bytes())),
            }},
            "signature": {
                "content": b64::encode(&signature),
                "publicKey": {"content": b64::encode(pem.as_bytes())},
            },
        },
    });
    serde_json::to_vec(&proposed).map_err(|e| failed(&e.to_string()))
}

impl<S: Store> RekorService<S> {
    /// Writes the genesis entry if this process is the writer and the log is empty; returns
    /// whether it did. Call it before serving clients, so that none of them can be first.
    pub async fn write_genesis(&self, now_unix: i64) -> Result<bool, ApiError> {
        if !self.ledger.is_writer() || self.ledger.state().await?.size > 0 {
            return Ok(false);
        }
        let proposed = proposed_entry(self.key.origin(), now_unix)?;
        let canonical = canonical::for_insert(&proposed, &crate::WorkBudget::default())
            .map_err(|e| ApiError::Internal(format!("genesis entry refused: {e}")))?;
        let submission = Submission {
            body: canonical.body,
            kind: canonical.kind,
            search_keys: canonical.search_keys,
            receipt: None,
        };
        match self.ledger.submit(submission).await {
            Ok(accepted) if accepted.entry.index == 0 => Ok(true),
            Ok(accepted) => Err(ApiError::Internal(format!(
                "genesis entry landed at index {}, not 0",
                accepted.entry.index
            ))),
            // Another writer got there first (it cannot be a client: none is served yet).
            Err(LedgerError::Duplicate { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_genesis_entry_is_a_valid_hashedrekord() {
        let proposed = proposed_entry("log.example - 42", 1_700_000_000).unwrap();
        let canonical = canonical::for_insert(&proposed, &crate::WorkBudget::default()).unwrap();
        assert_eq!(canonical.kind, "hashedrekord:0.0.1");
        let digest = hex::encode(Sha256::digest(
            b"sigstack genesis entry of log.example - 42 at 1700000000\n",
        ));
        assert!(canonical
            .search_keys
            .iter()
            .any(|k| k == &format!("sha256:{digest}")));
        // A fresh key each time: two logs never share a genesis entry.
        let again = canonical::for_insert(
            &proposed_entry("log.example - 42", 1_700_000_000).unwrap(),
            &crate::WorkBudget::default(),
        )
        .unwrap();
        assert_ne!(again.body, canonical.body);
    }
}
