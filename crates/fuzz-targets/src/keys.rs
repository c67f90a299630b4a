//! Public keys and detached signatures of every format Rekor takes: OpenPGP, SSH, minisign
//! and PKIX (X.509 public keys, certificates and chains).
//!
//! Each input is `key ⁞ signature ⁞ artifact` (parts split on [`crate::SEPARATOR`]). The key
//! goes through the `publicKey` search criterion's parser (`api::fuzzing::
//! public_key_search_key`, what `POST /api/v1/index/retrieve` runs) and, with the signature
//! and artifact, through a `rekord` entry (PKIX also through `hashedrekord`) built the way a
//! client builds one. Binary parts are wrapped (PEM, armor, key line) by the target so
//! libFuzzer mutates the structure itself rather than its base64.
//!
//! Property beyond "never panics": a key that signed an accepted entry is a key the search
//! accepts, filed under the hash the entry was indexed with (search by key finds the entry).

use ring::digest::{digest, SHA256, SHA384, SHA512};
use serde_json::json;
use sigstack_rekor::api::fuzzing::public_key_search_key;

use crate::entries::check_proposed;
use crate::{b64, is_text, parts, pem};

/// OpenPGP keys (armored or binary key rings) and detached signatures.
pub fn pgp(data: &[u8]) {
    let p = parts(data);
    let (key, sig, artifact) = three(&p);
    key_and_rekord("pgp", key, sig, artifact);
}

/// SSH `authorized_keys` lines and SSHSIG signatures. A binary key part is a key blob (its
/// type name is read from the blob for the line); a binary signature part is a raw SSHSIG
/// blob, armored here.
pub fn ssh(data: &[u8]) {
    let p = parts(data);
    let (key, sig, artifact) = three(&p);
    let key_line;
    let key = if is_text(key) {
        key
    } else {
        key_line = ssh_key_line(key);
        key_line.as_bytes()
    };
    let armored;
    let sig = if is_text(sig) {
        sig
    } else {
        armored = pem("SSH SIGNATURE", sig);
        armored.as_bytes()
    };
    key_and_rekord("ssh", key, sig, artifact);
}

/// `<type> <base64 blob> comment`, the type being the blob's first SSH string when it is
/// printable (else `ssh-ed25519`).
fn ssh_key_line(blob: &[u8]) -> String {
    let name = blob
        .split_first_chunk::<4>()
        .and_then(|(len, rest)| rest.get(..u32::from_be_bytes(*len) as usize))
        .and_then(|name| std::str::from_utf8(name).ok())
        .filter(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("ssh-ed25519");
    format!("{name} {} fuzz@example.com", b64(blob))
}

/// minisign public keys and signatures, as files (text) or as binary blobs: a binary key is
/// the 42-byte key line's content; a binary signature part is the signature line's content,
/// and the parts after the artifact are the trusted comment and the global signature.
pub fn minisign(data: &[u8]) {
    let p = parts(data);
    let (key, sig, artifact) = three(&p);
    let key_file;
    let key = if is_text(key) {
        key
    } else {
        key_file = format!("untrusted comment: fuzz key\n{}\n", b64(key));
        key_file.as_bytes()
    };
    let sig_file;
    let sig = if is_text(sig) {
        sig
    } else {
        let trusted = p.get(3).copied().unwrap_or_default();
        let global = p.get(4).copied().unwrap_or_default();
        sig_file = format!(
            "untrusted comment: fuzz signature\n{}\ntrusted comment: {}\n{}\n",
            b64(sig),
            String::from_utf8_lossy(trusted),
            b64(global)
        );
        sig_file.as_bytes()
    };
    key_and_rekord("minisign", key, sig, artifact);
}

/// PKIX public keys, certificates and certificate chains. Input: `material ⁞ … ⁞ signature ⁞
/// artifact`; one text part is used as is (PEM), binary parts are DER, wrapped as a
/// `PUBLIC KEY` and as a `CERTIFICATE` when alone, as a certificate chain when several.
pub fn pkix(data: &[u8]) {
    let p = parts(data);
    let (material, sig, artifact) = match p.len() {
        0..=2 => (&p[..1], &[][..], &[][..]),
        n => (&p[..n - 2], p[n - 2], p[n - 1]),
    };
    let mut contents: Vec<Vec<u8>> = Vec::new();
    match material {
        [one] if is_text(one) => contents.push(one.to_vec()),
        [one] => {
            contents.push(pem("PUBLIC KEY", one).into_bytes());
            contents.push(pem("CERTIFICATE", one).into_bytes());
        }
        many => contents.push(
            many.iter()
                .map(|der| pem("CERTIFICATE", der))
                .collect::<String>()
                .into_bytes(),
        ),
    }
    for content in &contents {
        key_and_rekord("x509", content, sig, artifact);
        for (alg, hash) in [
            ("sha256", &SHA256),
            ("sha384", &SHA384),
            ("sha512", &SHA512),
        ] {
            let body = json!({
                "apiVersion": "0.0.1",
                "kind": "hashedrekord",
                "spec": {
                    "signature": {"content": b64(sig), "publicKey": {"content": b64(content)}},
                    "data": {"hash": {"algorithm": alg, "value": hex::encode(digest(hash, artifact))}},
                },
            });
            if let Some(entry) = check_proposed(body.to_string().as_bytes()) {
                search_finds("x509", content, &entry);
            }
        }
    }
}

fn three<'a>(p: &[&'a [u8]]) -> (&'a [u8], &'a [u8], &'a [u8]) {
    let get = |i: usize| p.get(i).copied().unwrap_or_default();
    (get(0), get(1), get(2))
}

/// The key alone through the search parser, then key + signature + artifact as a `rekord`.
fn key_and_rekord(format: &str, key: &[u8], sig: &[u8], artifact: &[u8]) {
    if let Ok(hash) = public_key_search_key(format, &b64(key)) {
        assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    let body = json!({
        "apiVersion": "0.0.1",
        "kind": "rekord",
        "spec": {
            "signature": {"format": format, "content": b64(sig), "publicKey": {"content": b64(key)}},
            "data": {"content": b64(artifact)},
        },
    });
    if let Some(entry) = check_proposed(body.to_string().as_bytes()) {
        search_finds(format, key, &entry);
    }
}

/// Searching by the key that signed `entry` must give one of the entry's key hashes.
fn search_finds(format: &str, key: &[u8], entry: &sigstack_rekor::CanonicalEntry) {
    let hash = public_key_search_key(format, &b64(key))
        .expect("a key that signed an accepted entry must be a valid search key");
    assert!(
        entry
            .search_keys()
            .public_keys
            .iter()
            .any(|k| k.sha256_hex() == hash),
        "search by the signing key must find the entry"
    );
}
