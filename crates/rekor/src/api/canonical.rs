//! The API's one doorway into the entry-kind layer: proposed entry → what the ledger stores,
//! and search-query key → the index key it was filed under.

use serde_json::Value;

use crate::kinds::{self, CanonicalEntry, Options};
use crate::pubkey::X509Material;
use crate::ssh::parse_authorized_key;
use crate::{Error, WorkBudget};

/// What a canonicalized entry contributes to the ledger.
#[derive(Debug)]
pub(crate) struct Canonical {
    /// The canonical body, the leaf bytes.
    pub body: Vec<u8>,
    /// The ledger's kind label, `<kind>:<apiVersion>` (e.g. `hashedrekord:0.0.1`).
    pub kind: String,
    /// Keys the entry is filed under in the search index.
    pub search_keys: Vec<String>,
}

/// Canonicalizes the JSON body of `POST /api/v1/log/entries` (insert checks on, Rekor's
/// default algorithm policy).
pub(crate) fn for_insert(proposed: &[u8], budget: &WorkBudget) -> Result<Canonical, Error> {
    kinds::canonicalize_within(proposed, &Options::default(), budget).map(into_canonical)
}

/// The leaf hash a proposed entry of a retrieve request would have (insert-only checks
/// off, canonical dsse/intoto forms accepted).
pub(crate) fn leaf_for_lookup(proposed: &Value, budget: &WorkBudget) -> Result<[u8; 32], Error> {
    kinds::canonicalize_value_within(proposed, &Options::lookup(), budget).map(|c| c.leaf_hash())
}

fn into_canonical(entry: CanonicalEntry) -> Canonical {
    let keys = entry.search_keys();
    // Rekor's own index strings, plus every key's unprefixed hash: Rekor files dsse and
    // intoto keys as `sha256:<hash>`, which its public-key search never finds; filing the
    // bare hash too makes that search find them, without losing any Rekor result.
    let mut search_keys: Vec<String> = keys.rekor_index_keys().to_vec();
    for key in &keys.public_keys {
        let h = key.sha256_hex();
        if !search_keys.contains(&h) {
            search_keys.push(h);
        }
    }
    Canonical {
        kind: format!("{}:{}", entry.kind().as_str(), entry.api_version()),
        search_keys,
        body: entry.into_body(),
    }
}

/// The index key of a `publicKey` search criterion: `hex(SHA-256(canonical key))`, with
/// the canonical form the entry kinds use (Go's PEM re-encoding for x509, the
/// `authorized_keys` line for ssh, Go's re-serialized armored key ring for pgp, the base64
/// key line for minisign). The error is the client-facing reason. `pub` only for the fuzz
/// targets (re-exported from `api::fuzzing`).
pub fn public_key_search_key(format: &str, content_b64: &str) -> Result<String, String> {
    const UNPARSABLE: &str = "public key provided could not be parsed";
    let content = crate::b64::decode_std(content_b64)
        .map_err(|e| format!("publicKey.content is not base64: {e}"))?;
    let canonical = match format {
        "x509" => X509Material::parse(&content, "publicKey.content")
            .map_err(|_| UNPARSABLE.to_owned())?
            .canonical_pem()
            .into_bytes(),
        "ssh" => parse_authorized_key(&content, "publicKey.content")
            .map_err(|_| UNPARSABLE.to_owned())?
            .key
            .authorized_key_line()
            .into_bytes(),
        // Rekor's own text for these is the bare UNPARSABLE; the reason helps more.
        "pgp" => crate::pgp::Keyring::parse(&content)
            .map_err(|e| format!("{UNPARSABLE}: {e}"))?
            .canonical(),
        "minisign" => crate::minisign::PublicKey::parse(&content)
            .map_err(|e| format!("{UNPARSABLE}: {e}"))?
            .canonical()
            .into_bytes(),
        other => {
            return Err(format!(
                "searching by {other} public keys is not supported by this log (x509, ssh, pgp and minisign are)"
            ))
        }
    };
    Ok(crate::verify::sha256_hex(&canonical))
}
