//! `rekord` 0.0.1: a detached signature over an artifact sent inline in `data.content`.
//!
//! Signature formats, each with Rekor's canonical forms: `x509` (raw signature bytes, PEM
//! key/certificate/chain; SHA-256 for RSA and ECDSA, pure Ed25519), `ssh` (SSHSIG), `pgp`
//! (a detached OpenPGP signature, kept verbatim when armored and armored when binary, and
//! the key ring re-serialized as Go's openpgp writes it; see [`crate::pgp`]) and `minisign`
//! (see [`crate::minisign`]). The canonical body drops `data.content` and keeps `data.hash`
//! = SHA-256 of the content.

use serde_json::{json, Map, Value};

use super::{
    finish, is_lower_hex, looks_like_email, CanonicalEntry, IndexedKey, KeyFormat, Kind, Options,
    SearchKeys,
};
use crate::b64;
use crate::budget::WorkBudget;
use crate::error::{Error, Result};
use crate::json::{bytes, object, required, string};
use crate::pubkey::X509Material;
use crate::ssh::{self, SshSignature};
use crate::verify::{self, sha256_hex};
use crate::{minisign, pgp};

/// The signature and key of a rekord entry, parsed, with their canonical text.
enum Material {
    X509 {
        key: X509Material,
        sig: Vec<u8>,
    },
    Ssh {
        key: ssh::AuthorizedKey,
        sig: SshSignature,
    },
    Pgp {
        key: pgp::Keyring,
        sig: pgp::DetachedSignature,
    },
    Minisign {
        key: minisign::PublicKey,
        sig: minisign::Signature,
    },
}

const SIG_FIELD: &str = "spec.signature.content";
const KEY_FIELD: &str = "spec.signature.publicKey.content";

/// A refused PGP key or signature: unsupported algorithms and versions are
/// [`Error::Unsupported`], anything else [`Error::Malformed`]; both are a 400 with the reason.
fn pgp_refused(field: &'static str, e: pgp::Refused) -> Error {
    if e.is_unsupported() {
        Error::Unsupported(e.to_string())
    } else {
        Error::malformed(field, e.to_string())
    }
}

impl Material {
    fn parse(format: &str, sig: &[u8], key: &[u8]) -> Result<Self> {
        match format {
            "x509" => Ok(Material::X509 {
                key: X509Material::parse(key, KEY_FIELD)?,
                sig: sig.to_vec(),
            }),
            "ssh" => Ok(Material::Ssh {
                key: ssh::parse_authorized_key(key, KEY_FIELD)?,
                sig: SshSignature::parse(sig, SIG_FIELD)?,
            }),
            // The signature first: Rekor reads both at once and reports whichever fails
            // first, and its capture of an EdDSA key (golden e51) shows the signature's error.
            "pgp" => {
                let sig =
                    pgp::DetachedSignature::parse(sig).map_err(|e| pgp_refused(SIG_FIELD, e))?;
                let key = pgp::Keyring::parse(key).map_err(|e| pgp_refused(KEY_FIELD, e))?;
                Ok(Material::Pgp { key, sig })
            }
            "minisign" => {
                let sig =
                    minisign::Signature::parse(sig).map_err(|e| Error::malformed(SIG_FIELD, e))?;
                let key =
                    minisign::PublicKey::parse(key).map_err(|e| Error::malformed(KEY_FIELD, e))?;
                Ok(Material::Minisign { key, sig })
            }
            _ => Err(Error::malformed(
                "spec.signature.format",
                "validation failure list:\nsignature.signature.format in body should be one of [pgp minisign x509 ssh]",
            )),
        }
    }

    fn canonical_sig(&self) -> Vec<u8> {
        match self {
            Material::X509 { sig, .. } => sig.clone(),
            Material::Ssh { sig, .. } => sig.canonical_armor().into_bytes(),
            Material::Pgp { sig, .. } => sig.canonical(),
            Material::Minisign { sig, .. } => sig.canonical().into_bytes(),
        }
    }

    fn canonical_key(&self) -> Vec<u8> {
        match self {
            Material::X509 { key, .. } => key.canonical_pem().into_bytes(),
            Material::Ssh { key, .. } => key.key.authorized_key_line().into_bytes(),
            Material::Pgp { key, .. } => key.canonical(),
            Material::Minisign { key, .. } => key.canonical().into_bytes(),
        }
    }

    fn verify(&self, artifact: &[u8], budget: &WorkBudget) -> std::result::Result<(), String> {
        match self {
            Material::X509 { key, sig } => {
                if sig.is_empty() {
                    return Err("X509 signature has not been initialized".into());
                }
                key.verify_chain(budget)?;
                let k = key.verifying_key().ok_or("no public key found")?;
                verify::verify_message(k, artifact, sig)
            }
            Material::Ssh { key, sig } => sig.verify(artifact, &key.key),
            Material::Pgp { key, sig } => sig.verify(artifact, key).map_err(|e| e.to_string()),
            Material::Minisign { key, sig } => sig.verify(artifact, key),
        }
    }

    fn search_keys(&self, sha256: &str) -> SearchKeys {
        let mut keys = SearchKeys::default();
        match self {
            Material::X509 { key, .. } => keys.x509(key, false),
            Material::Ssh { key, .. } => keys.ssh(key),
            // Rekor's index: the key's hash, then every user ID e-mail that looks like one.
            Material::Pgp { key, .. } => {
                keys.key(
                    IndexedKey {
                        format: KeyFormat::Pgp,
                        canonical: key.canonical(),
                    },
                    false,
                );
                for email in key.emails() {
                    if looks_like_email(&email) {
                        keys.identity(email);
                    }
                }
            }
            Material::Minisign { key, .. } => keys.key(
                IndexedKey {
                    format: KeyFormat::Minisign,
                    canonical: key.canonical().into_bytes(),
                },
                false,
            ),
        }
        keys.digest(format!("sha256:{sha256}"));
        keys
    }
}

struct Fields<'a> {
    format: &'a str,
    sig: Vec<u8>,
    key: Vec<u8>,
    data: &'a Map<String, Value>,
    given_hash: Option<&'a str>,
}

fn fields(spec: &Map<String, Value>) -> Result<Fields<'_>> {
    let signature = object(spec, "signature", "spec.signature")?;
    let data = object(spec, "data", "spec.data")?;
    let Some(signature) = signature else {
        return Err(required("spec.signature", "signature"));
    };
    let Some(data) = data else {
        return Err(required("spec.data", "data"));
    };
    let format = string(signature, "format", "spec.signature.format")?
        .ok_or_else(|| required("spec.signature.format", "signature.signature.format"))?;
    let sig = bytes(
        signature,
        "content",
        "spec.signature.content",
        "signature content",
    )?;
    let key = match object(signature, "publicKey", "spec.signature.publicKey")? {
        None => {
            return Err(Error::malformed(
                "spec.signature.publicKey",
                "missing public key",
            ))
        }
        Some(pk) => bytes(
            pk,
            "content",
            "spec.signature.publicKey.content",
            "public key content",
        )?,
    };
    let sig = sig.filter(|s| !s.is_empty()).ok_or_else(|| {
        Error::malformed(
            "spec.signature.content",
            "one of 'content' or 'url' must be specified for signature",
        )
    })?;
    let key = key.filter(|k| !k.is_empty()).ok_or_else(|| {
        Error::malformed(
            "spec.signature.publicKey.content",
            "one of 'content' or 'url' must be specified for publicKey",
        )
    })?;
    let given_hash = match object(data, "hash", "spec.data.hash")? {
        None => None,
        Some(h) => {
            let alg = string(h, "algorithm", "spec.data.hash.algorithm")?
                .ok_or_else(|| required("spec.data.hash.algorithm", "data.hash.algorithm"))?;
            let value = string(h, "value", "spec.data.hash.value")?
                .ok_or_else(|| required("spec.data.hash.value", "data.hash.value"))?;
            if alg != "sha256" {
                return Err(Error::malformed(
                    "spec.data.hash.algorithm",
                    "validation failure list:\ndata.hash.algorithm in body should be one of [sha256]",
                ));
            }
            if !is_lower_hex(value, 64) {
                return Err(Error::malformed(
                    "spec.data.hash.value",
                    "invalid value for hash",
                ));
            }
            Some(value)
        }
    };
    Ok(Fields {
        format,
        sig,
        key,
        data,
        given_hash,
    })
}

pub(super) fn canonicalize(
    spec: &Map<String, Value>,
    _options: &Options,
    budget: &WorkBudget,
) -> Result<CanonicalEntry> {
    let f = fields(spec)?;
    let content =
        bytes(f.data, "content", "spec.data.content", "data content")?.ok_or_else(|| {
            Error::malformed(
                "spec.data.content",
                "data.content is required: this log does not fetch artifacts from URLs",
            )
        })?;
    let material = Material::parse(f.format, &f.sig, &f.key)?;
    let computed = sha256_hex(&content);
    if let Some(given) = f.given_hash {
        if given != computed {
            return Err(Error::malformed(
                "spec.data.hash.value",
                format!("SHA mismatch: {computed} != {given}"),
            ));
        }
    }
    material
        .verify(&content, budget)
        .map_err(Error::InvalidSignature)?;
    build(f.format, &material, &computed)
}

/// A stored rekord body has no `data.content`, so nothing can be verified; check the shape,
/// re-derive the canonical key and signature, and the search keys.
pub(super) fn from_stored(spec: &Map<String, Value>) -> Result<CanonicalEntry> {
    let f = fields(spec)?;
    let hash = f
        .given_hash
        .ok_or_else(|| Error::malformed("spec.data.hash", "missing hash"))?;
    let material = Material::parse(f.format, &f.sig, &f.key)?;
    build(f.format, &material, hash)
}

fn build(format: &str, material: &Material, sha256: &str) -> Result<CanonicalEntry> {
    let keys = material.search_keys(sha256);
    let spec = json!({
        "data": { "hash": { "algorithm": "sha256", "value": sha256 } },
        "signature": {
            "content": b64::encode(&material.canonical_sig()),
            "format": format,
            "publicKey": { "content": b64::encode(&material.canonical_key()) }
        }
    });
    finish(Kind::Rekord, "0.0.1", spec, keys)
}
