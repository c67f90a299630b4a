//! Proposed entries → canonical bodies, for the entry types real clients send.
//!
//! [`canonicalize`] is what `POST /api/v1/log/entries` and the `entries` criterion of
//! `POST /api/v1/log/entries/retrieve` run: parse the proposed entry, validate it and verify
//! its signature(s) exactly as Rekor does, and produce the JCS body Rekor would store,
//! byte for byte, plus the search-index keys. It is deterministic and idempotent: the
//! canonical body of a hashedrekord, intoto or dsse entry is itself a valid proposed entry
//! in [`Mode::Lookup`] and canonicalizes to itself. [`parse_stored`] re-checks a stored body.

use serde_json::{json, Map, Value};
use sigstack_merkle::leaf_hash;

use crate::budget::WorkBudget;
use crate::entry_id::Uuid;
use crate::error::{Error, Result};
use crate::json::{get_field, string};
use crate::policy::AlgorithmPolicy;
use crate::pubkey::X509Material;
use crate::ssh::AuthorizedKey;
use crate::verify::sha256_hex;

mod dsse;
mod hashedrekord;
mod intoto_v001;
mod intoto_v002;
mod rekord;

/// The Rekor v1 entry kinds this log accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `hashedrekord`: a signature over a client-computed digest (cosign `sign`, sigstore-*).
    HashedRekord,
    /// `rekord`: a detached signature over an artifact sent inline (rekor-cli's default).
    Rekord,
    /// `intoto`: a DSSE-wrapped in-toto attestation (versions 0.0.1 and 0.0.2).
    Intoto,
    /// `dsse`: a DSSE envelope of any payload type (cosign `attest` default).
    Dsse,
}

impl Kind {
    /// The `kind` string of the JSON body.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::HashedRekord => "hashedrekord",
            Kind::Rekord => "rekord",
            Kind::Intoto => "intoto",
            Kind::Dsse => "dsse",
        }
    }

    /// The kind named by a body's `kind` string, if it is one of ours.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "hashedrekord" => Kind::HashedRekord,
            "rekord" => Kind::Rekord,
            "intoto" => Kind::Intoto,
            "dsse" => Kind::Dsse,
            _ => return None,
        })
    }
}

/// Why an entry is being canonicalized; Rekor applies a few checks only on insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// `POST /api/v1/log/entries`: the entry must be insertable (full proposed content, an
    /// algorithm the policy allows).
    #[default]
    Insert,
    /// Retrieval by proposed entry: the insert-only checks are skipped and the canonical forms
    /// of `dsse` and `intoto` entries are accepted as input.
    Lookup,
}

/// Knobs for [`canonicalize`]. `Options::default()` is an insert under Rekor's default
/// algorithm policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// Insert or lookup.
    pub mode: Mode,
    /// The hashedrekord signing-algorithm allow-list (applied on insert only, as in Rekor).
    pub algorithms: AlgorithmPolicy,
}

impl Options {
    /// Options for canonicalizing a proposed entry given to `entries/retrieve`.
    pub fn lookup() -> Self {
        Options {
            mode: Mode::Lookup,
            algorithms: AlgorithmPolicy::AnyVerified,
        }
    }
}

/// How a public key was given, which decides how a search query key is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyFormat {
    /// PEM public key, certificate or certificate chain.
    X509,
    /// OpenSSH `authorized_keys` line.
    Ssh,
    /// OpenPGP public key (ring), armored or binary.
    Pgp,
    /// minisign / signify public key.
    Minisign,
}

/// A public key (or certificate / chain) in canonical form, for lookup by public key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IndexedKey {
    /// How to parse a query key to compare with this one.
    pub format: KeyFormat,
    /// Canonical bytes: canonical PEM for x509, the `authorized_keys` line for ssh, the
    /// Go-re-serialized armored key ring for pgp, the base64 key line for minisign.
    pub canonical: Vec<u8>,
}

impl IndexedKey {
    /// `hex(SHA-256(canonical))`, the value Rekor's `/api/v1/index/retrieve` looks up.
    pub fn sha256_hex(&self) -> String {
        sha256_hex(&self.canonical)
    }
}

/// What the search index needs to know about an entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchKeys {
    /// Artifact digests as `<alg>:<lowercase hex>` (e.g. `sha256:…`): the signed digest,
    /// payload / envelope hashes, in-toto subject and SLSA material digests.
    pub artifact_digests: Vec<String>,
    /// The signing keys / certificates, canonical.
    pub public_keys: Vec<IndexedKey>,
    /// Identities: certificate SANs (e-mail, URI, DNS, IP, Fulcio otherName), e-mail-like
    /// SSH key comments and PGP user ID e-mails, lowercased as Rekor indexes them.
    pub identities: Vec<String>,
    index_keys: Vec<String>,
}

impl SearchKeys {
    /// The exact strings Rekor's `IndexKeys()` writes for this entry, lowercased, in Rekor's
    /// order, deduplicated. Note a Rekor quirk kept here: `dsse` and `intoto` entries index
    /// their key hash *with* a `sha256:` prefix, which the public-key search (no prefix)
    /// never finds; use [`SearchKeys::public_keys`] to do better.
    pub fn rekor_index_keys(&self) -> &[String] {
        &self.index_keys
    }

    fn index(&mut self, key: impl AsRef<str>) {
        let key = key.as_ref().to_lowercase();
        if !self.index_keys.contains(&key) {
            self.index_keys.push(key);
        }
    }

    /// Records an artifact digest in both views.
    fn digest(&mut self, d: impl AsRef<str>) {
        let d = d.as_ref().to_lowercase();
        if !self.artifact_digests.contains(&d) {
            self.artifact_digests.push(d.clone());
        }
        self.index(d);
    }

    /// Records a key; `prefixed` selects Rekor's `sha256:` quirk for the index string.
    fn key(&mut self, key: IndexedKey, prefixed: bool) {
        let h = key.sha256_hex();
        self.index(if prefixed { format!("sha256:{h}") } else { h });
        if !self.public_keys.contains(&key) {
            self.public_keys.push(key);
        }
    }

    fn identity(&mut self, id: impl AsRef<str>) {
        let id = id.as_ref().to_lowercase();
        if !self.identities.contains(&id) {
            self.identities.push(id.clone());
        }
        self.index(id);
    }

    /// A key given as x509 material: its canonical PEM, then its certificate SANs.
    fn x509(&mut self, material: &X509Material, prefixed: bool) {
        self.key(
            IndexedKey {
                format: KeyFormat::X509,
                canonical: material.canonical_pem().into_bytes(),
            },
            prefixed,
        );
        if let Some(leaf) = material.leaf() {
            for san in leaf.subject_alternative_names() {
                self.identity(san);
            }
        }
    }

    fn ssh(&mut self, key: &AuthorizedKey) {
        self.key(
            IndexedKey {
                format: KeyFormat::Ssh,
                canonical: key.key.authorized_key_line().into_bytes(),
            },
            false,
        );
        if looks_like_email(&key.comment) {
            self.identity(&key.comment);
        }
    }
}

/// A rough `govalidator.IsEmail`: one `@`, non-empty local part, a dotted domain, no spaces.
fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
        && !domain.contains('@')
}

/// The result of canonicalization: the bytes to append to the log and what to index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalEntry {
    kind: Kind,
    api_version: &'static str,
    body: Vec<u8>,
    search_keys: SearchKeys,
}

impl CanonicalEntry {
    /// The entry kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }
    /// The entry type version, e.g. `0.0.1`.
    pub fn api_version(&self) -> &'static str {
        self.api_version
    }
    /// The canonical body: the exact leaf bytes (RFC 8785 JSON, no trailing newline).
    pub fn body(&self) -> &[u8] {
        &self.body
    }
    /// Consumes the entry, returning the canonical body.
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }
    /// RFC 6962 leaf hash of the body, i.e. the entry's UUID; also the dedup key.
    pub fn leaf_hash(&self) -> [u8; 32] {
        leaf_hash(&self.body)
    }
    /// The entry's UUID (hex leaf hash).
    pub fn uuid(&self) -> Uuid {
        Uuid::from_bytes(self.leaf_hash())
    }
    /// Keys for the search index.
    pub fn search_keys(&self) -> &SearchKeys {
        &self.search_keys
    }
}

/// Canonicalizes a proposed entry (the JSON body of `POST /api/v1/log/entries`).
///
/// # Errors
/// Any [`Error`] except [`Error::InvalidEntryId`]; see that type for the HTTP mapping.
pub fn canonicalize(proposed: &[u8], options: &Options) -> Result<CanonicalEntry> {
    canonicalize_within(proposed, options, &WorkBudget::default())
}

/// [`canonicalize`] charging its signature checks to `budget` (a chain search and envelope
/// verification stop when it is spent or cancelled).
///
/// # Errors
/// As [`canonicalize`]; [`Error::Abandoned`] once `budget` was cancelled.
pub fn canonicalize_within(
    proposed: &[u8],
    options: &Options,
    budget: &WorkBudget,
) -> Result<CanonicalEntry> {
    if proposed.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::MissingField {
            field: "proposedEntry",
        });
    }
    let value: Value = serde_json::from_slice(proposed)
        .map_err(|e| Error::InvalidJson(format!("invalid JSON in proposed entry: {e}")))?;
    canonicalize_value_within(&value, options, budget)
}

/// Like [`canonicalize`] for an already parsed JSON value (an element of the `entries`
/// array of a retrieve request).
///
/// # Errors
/// As [`canonicalize`].
pub fn canonicalize_value(proposed: &Value, options: &Options) -> Result<CanonicalEntry> {
    canonicalize_value_within(proposed, options, &WorkBudget::default())
}

/// [`canonicalize_value`] charging its signature checks to `budget`.
///
/// # Errors
/// As [`canonicalize_within`].
pub fn canonicalize_value_within(
    proposed: &Value,
    options: &Options,
    budget: &WorkBudget,
) -> Result<CanonicalEntry> {
    let (kind, version, spec) = split_entry(proposed)?;
    let result = match (kind, version) {
        (Kind::HashedRekord, "0.0.1") => hashedrekord::canonicalize(spec, options, budget),
        (Kind::Rekord, "0.0.1") => rekord::canonicalize(spec, options, budget),
        (Kind::Intoto, "0.0.1") => intoto_v001::canonicalize(spec, options, budget),
        (Kind::Intoto, "0.0.2") => intoto_v002::canonicalize(spec, options, budget),
        (Kind::Dsse, "0.0.1") => dsse::canonicalize(spec, options, budget),
        (kind, version) => Err(Error::UnsupportedVersion {
            kind: kind.as_str().to_owned(),
            version: version.to_owned(),
        }),
    };
    // A cancelled budget fails the next signature check with some kind-specific error; the
    // caller needs to know it was the cancellation, not the entry.
    match result {
        Err(_) if budget.is_cancelled() => Err(Error::Abandoned),
        other => other,
    }
}

/// Re-checks a body read back from storage: it must be one of our kinds, in canonical form
/// (re-canonicalizing yields the same bytes), and for hashedrekord its signature must still
/// verify. Returns it with its search keys, e.g. to rebuild the index. Signatures of the other
/// kinds cannot be re-checked from the body alone (the artifact or envelope is not stored).
///
/// # Errors
/// [`Error::Malformed`] if the body is not canonical, or any error [`canonicalize`] gives.
pub fn parse_stored(body: &[u8]) -> Result<CanonicalEntry> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Error::InvalidJson(format!("invalid JSON in stored body: {e}")))?;
    let (kind, version, spec) = split_entry(&value)?;
    let entry = match (kind, version) {
        (Kind::Rekord, "0.0.1") => rekord::from_stored(spec)?,
        _ => canonicalize_value(&value, &Options::lookup())?,
    };
    if entry.body != body {
        return Err(Error::malformed(
            "body",
            "stored entry body is not in canonical form",
        ));
    }
    Ok(entry)
}

fn split_entry(proposed: &Value) -> Result<(Kind, &str, &Map<String, Value>)> {
    let obj = match proposed {
        Value::Null => return Err(Error::MissingField { field: "kind" }),
        Value::Object(o) => o,
        other => {
            return Err(Error::InvalidJson(format!(
                "a proposed entry must be a JSON object, not {}",
                json_type(other)
            )))
        }
    };
    let kind = match get_field(obj, "kind") {
        None => return Err(Error::MissingField { field: "kind" }),
        Some(Value::String(s)) => s,
        Some(other) => return Err(Error::UnknownKind(other.to_string())),
    };
    let kind = Kind::parse(kind).ok_or_else(|| Error::UnknownKind(kind.clone()))?;
    let version = match string(obj, "apiVersion", "apiVersion")? {
        None => {
            return Err(Error::MissingField {
                field: "apiVersion",
            })
        }
        Some(v) => v,
    };
    let spec = match get_field(obj, "spec") {
        None => return Err(Error::MissingField { field: "spec" }),
        Some(Value::Object(o)) => o,
        Some(other) => {
            return Err(Error::malformed(
                "spec",
                format!("spec must be a JSON object, not {}", json_type(other)),
            ))
        }
    };
    Ok((kind, version, spec))
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Wraps a canonical `spec` into `{"apiVersion","kind","spec"}` and applies RFC 8785.
fn finish(
    kind: Kind,
    api_version: &'static str,
    spec: Value,
    search_keys: SearchKeys,
) -> Result<CanonicalEntry> {
    let doc = json!({ "apiVersion": api_version, "kind": kind.as_str(), "spec": spec });
    let body = serde_json_canonicalizer::to_vec(&doc)
        .map_err(|e| Error::malformed("spec", format!("cannot canonicalize entry: {e}")))?;
    Ok(CanonicalEntry {
        kind,
        api_version,
        body,
        search_keys,
    })
}

/// Rekor's check that a hex digest has the right length and is lowercase hex (govalidator
/// `IsHash`, as Rekor 1.3.9 applies it; 1.5.3 also accepts upper case, which lets the same
/// signature be logged twice, so we do not).
fn is_lower_hex(value: &str, len: usize) -> bool {
    value.len() == len
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
