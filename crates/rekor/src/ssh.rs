//! OpenSSH keys (`authorized_keys` lines) and SSHSIG signatures for `rekord` entries with
//! `format: ssh`, following Rekor's `pki/ssh` package and `golang.org/x/crypto/ssh`.
//!
//! Canonical forms: the key is `"<type> <base64 wire key>\n"` (the comment is dropped); the
//! signature is re-armored as a 64-column `SSH SIGNATURE` PEM block with namespace `file`,
//! an empty reserved field and hash algorithm `sha512`. Rekor always writes `sha512` there
//! and then verifies the *re-armored* signature, so only SHA-512 SSHSIGs verify (what
//! `ssh-keygen -Y sign` produces by default); a SHA-256 one is refused.

use sha2::{Digest as _, Sha256, Sha384, Sha512};

use crate::b64;
use crate::error::{Error, Result};
use crate::pem;

const MAGIC: &[u8] = b"SSHSIG";
const NAMESPACE: &str = "file";
const CANONICAL_HASH: &str = "sha512";

/// A parsed SSH public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SshKey {
    Ed25519([u8; 32]),
    Rsa { e: Vec<u8>, n: Vec<u8> },
    Ecdsa { curve: EcCurve, point: Vec<u8> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EcCurve {
    P256,
    P384,
    P521,
}

impl EcCurve {
    fn key_type(self) -> &'static str {
        match self {
            EcCurve::P256 => "ecdsa-sha2-nistp256",
            EcCurve::P384 => "ecdsa-sha2-nistp384",
            EcCurve::P521 => "ecdsa-sha2-nistp521",
        }
    }
    fn name(self) -> &'static str {
        match self {
            EcCurve::P256 => "nistp256",
            EcCurve::P384 => "nistp384",
            EcCurve::P521 => "nistp521",
        }
    }
}

impl SshKey {
    fn key_type(&self) -> &'static str {
        match self {
            SshKey::Ed25519(_) => "ssh-ed25519",
            SshKey::Rsa { .. } => "ssh-rsa",
            SshKey::Ecdsa { curve, .. } => curve.key_type(),
        }
    }

    /// The SSH wire encoding (`PublicKey.Marshal()` in Go).
    fn marshal(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_string(&mut out, self.key_type().as_bytes());
        match self {
            SshKey::Ed25519(k) => put_string(&mut out, k),
            SshKey::Rsa { e, n } => {
                put_mpint(&mut out, e);
                put_mpint(&mut out, n);
            }
            SshKey::Ecdsa { curve, point } => {
                put_string(&mut out, curve.name().as_bytes());
                put_string(&mut out, point);
            }
        }
        out
    }

    /// `ssh.MarshalAuthorizedKey`: the canonical key stored in the entry body.
    pub(crate) fn authorized_key_line(&self) -> String {
        format!("{} {}\n", self.key_type(), b64::encode(&self.marshal()))
    }

    /// Parses the wire encoding; trailing bytes are an error, as in Go.
    fn parse_wire(data: &[u8]) -> std::result::Result<Self, String> {
        let mut r = WireReader(data);
        let key_type = r.string()?;
        let key = match key_type {
            b"ssh-ed25519" => {
                let k: [u8; 32] = r
                    .string()?
                    .try_into()
                    .map_err(|_| "ssh: invalid size for ed25519 key".to_owned())?;
                SshKey::Ed25519(k)
            }
            b"ssh-rsa" => {
                let e = r.mpint()?;
                let n = r.mpint()?;
                SshKey::Rsa { e, n }
            }
            t @ (b"ecdsa-sha2-nistp256" | b"ecdsa-sha2-nistp384" | b"ecdsa-sha2-nistp521") => {
                let curve = match t {
                    b"ecdsa-sha2-nistp256" => EcCurve::P256,
                    b"ecdsa-sha2-nistp384" => EcCurve::P384,
                    _ => EcCurve::P521,
                };
                if r.string()? != curve.name().as_bytes() {
                    return Err("ssh: curve name does not match key type".into());
                }
                let point = r.string()?.to_vec();
                // Validate the point now so verification cannot fail on a malformed key.
                let ok = match curve {
                    EcCurve::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).is_ok(),
                    EcCurve::P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(&point).is_ok(),
                    EcCurve::P521 => p521::ecdsa::VerifyingKey::from_sec1_bytes(&point).is_ok(),
                };
                if !ok || point.first() != Some(&0x04) {
                    return Err("ssh: invalid ecdsa point".into());
                }
                SshKey::Ecdsa { curve, point }
            }
            other => {
                return Err(format!(
                    "ssh: unsupported key type {:?}",
                    String::from_utf8_lossy(other)
                ))
            }
        };
        if !r.0.is_empty() {
            return Err("ssh: trailing junk in public key".into());
        }
        Ok(key)
    }

    /// Verifies an SSH signature (`format`, `blob`) over `data` (x/crypto/ssh semantics).
    fn verify(&self, format: &[u8], blob: &[u8], data: &[u8]) -> std::result::Result<(), String> {
        const BAD: &str = "ssh: signature did not verify";
        match self {
            SshKey::Ed25519(k) => {
                if format != b"ssh-ed25519" {
                    return Err(format!(
                        "ssh: signature type {} for key type ssh-ed25519",
                        String::from_utf8_lossy(format)
                    ));
                }
                let key = ed25519_dalek::VerifyingKey::from_bytes(k).map_err(|_| BAD)?;
                let sig = ed25519_dalek::Signature::from_slice(blob).map_err(|_| BAD)?;
                use ed25519_dalek::Verifier as _;
                key.verify(data, &sig).map_err(|_| BAD.into())
            }
            SshKey::Rsa { e, n } => {
                let key = rsa::RsaPublicKey::new_with_max_size(
                    rsa::BigUint::from_bytes_be(n),
                    rsa::BigUint::from_bytes_be(e),
                    16384,
                )
                .map_err(|e| format!("ssh: invalid RSA key: {e}"))?;
                let (scheme, hashed) = match format {
                    b"rsa-sha2-256" => (
                        rsa::Pkcs1v15Sign::new::<Sha256>(),
                        Sha256::digest(data).to_vec(),
                    ),
                    b"rsa-sha2-512" => (
                        rsa::Pkcs1v15Sign::new::<Sha512>(),
                        Sha512::digest(data).to_vec(),
                    ),
                    b"ssh-rsa" => {
                        return Err("ssh-rsa (SHA-1) signatures are not supported".into());
                    }
                    other => {
                        return Err(format!(
                            "ssh: signature type {} for key type ssh-rsa",
                            String::from_utf8_lossy(other)
                        ))
                    }
                };
                key.verify(scheme, &hashed, blob)
                    .map_err(|_| "crypto/rsa: verification error".into())
            }
            SshKey::Ecdsa { curve, point } => {
                if format != curve.key_type().as_bytes() {
                    return Err(format!(
                        "ssh: signature type {} for key type {}",
                        String::from_utf8_lossy(format),
                        curve.key_type()
                    ));
                }
                let mut r = WireReader(blob);
                let sr = r.mpint()?;
                let ss = r.mpint()?;
                use ecdsa::signature::hazmat::PrehashVerifier as _;
                let ok = match curve {
                    EcCurve::P256 => {
                        let key =
                            p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| BAD)?;
                        let rs = concat_scalars(&sr, &ss, 32).ok_or(BAD)?;
                        let sig = p256::ecdsa::Signature::from_slice(&rs).map_err(|_| BAD)?;
                        key.verify_prehash(&Sha256::digest(data), &sig).is_ok()
                    }
                    EcCurve::P384 => {
                        let key =
                            p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| BAD)?;
                        let rs = concat_scalars(&sr, &ss, 48).ok_or(BAD)?;
                        let sig = p384::ecdsa::Signature::from_slice(&rs).map_err(|_| BAD)?;
                        key.verify_prehash(&Sha384::digest(data), &sig).is_ok()
                    }
                    EcCurve::P521 => {
                        let key =
                            p521::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| BAD)?;
                        let rs = concat_scalars(&sr, &ss, 66).ok_or(BAD)?;
                        let sig = p521::ecdsa::Signature::from_slice(&rs).map_err(|_| BAD)?;
                        key.verify_prehash(&Sha512::digest(data), &sig).is_ok()
                    }
                };
                if ok {
                    Ok(())
                } else {
                    Err(BAD.into())
                }
            }
        }
    }
}

/// `r ‖ s`, each left-padded to `n` bytes (an ECDSA signature in fixed-size form); `None`
/// if either is longer.
fn concat_scalars(r: &[u8], s: &[u8], n: usize) -> Option<Vec<u8>> {
    if r.len() > n || s.len() > n {
        return None;
    }
    let mut out = vec![0u8; 2 * n];
    out[n - r.len()..n].copy_from_slice(r);
    out[2 * n - s.len()..].copy_from_slice(s);
    Some(out)
}

/// An `authorized_keys` key: the key and the comment that followed it.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizedKey {
    pub key: SshKey,
    pub comment: String,
}

/// `ssh.ParseAuthorizedKey`: the first line holding a key; blank and `#` lines are skipped,
/// the key-type field is not checked against the blob (as in Go), an options field may
/// precede it.
pub(crate) fn parse_authorized_key(data: &[u8], field: &'static str) -> Result<AuthorizedKey> {
    let text = String::from_utf8_lossy(data);
    for raw_line in text.split('\n') {
        let line = raw_line.split('\r').next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((_, after_first)) = line.split_once([' ', '\t']) else {
            continue;
        };
        if let Some(found) = parse_key_and_comment(after_first) {
            return Ok(found);
        }
        // Maybe the first field was options: skip one more field.
        if let Some((_, after_second)) = after_first.trim_start().split_once([' ', '\t']) {
            if let Some(found) = parse_key_and_comment(after_second) {
                return Ok(found);
            }
        }
    }
    Err(Error::malformed(field, "ssh: no key found"))
}

fn parse_key_and_comment(s: &str) -> Option<AuthorizedKey> {
    let s = s.trim();
    let (b64_key, comment) = s.split_once([' ', '\t']).unwrap_or((s, ""));
    let wire = b64::decode_std(b64_key).ok()?;
    let key = SshKey::parse_wire(&wire).ok()?;
    Some(AuthorizedKey {
        key,
        comment: comment.trim().to_owned(),
    })
}

/// A decoded SSHSIG (`ssh-keygen -Y sign`) signature.
#[derive(Debug, Clone)]
pub(crate) struct SshSignature {
    embedded_key: SshKey,
    format: Vec<u8>,
    blob: Vec<u8>,
    rest: Vec<u8>,
}

impl SshSignature {
    /// Rekor's `ssh.Decode`.
    pub(crate) fn parse(armored: &[u8], field: &'static str) -> Result<Self> {
        let bad = |why: String| Error::malformed(field, why);
        let Some((block, _)) = pem::decode(armored) else {
            return Err(bad("unable to decode pem file".into()));
        };
        if block.label != "SSH SIGNATURE" {
            return Err(bad(format!(
                "wrong pem block type: {}. Expected SSH-SIGNATURE",
                block.label
            )));
        }
        let mut r = WireReader(&block.der);
        let magic = r.take(6).map_err(bad)?;
        let version = r.u32().map_err(bad)?;
        let public_key = r.string().map_err(bad)?;
        let namespace = r.string().map_err(bad)?;
        let _reserved = r.string().map_err(bad)?;
        let hash_alg = r.string().map_err(bad)?;
        let signature = r.string().map_err(bad)?;
        if !r.0.is_empty() {
            return Err(bad("ssh: junk at end of message".into()));
        }
        if version != 1 {
            return Err(bad(format!("unsupported signature version: {version}")));
        }
        if magic != MAGIC {
            return Err(bad(format!(
                "invalid magic header: {}",
                String::from_utf8_lossy(magic)
            )));
        }
        if namespace != NAMESPACE.as_bytes() {
            return Err(bad(format!(
                "invalid signature namespace: {}",
                String::from_utf8_lossy(namespace)
            )));
        }
        if hash_alg != b"sha256" && hash_alg != b"sha512" {
            return Err(bad(format!(
                "unsupported hash algorithm: {}",
                String::from_utf8_lossy(hash_alg)
            )));
        }
        let mut sr = WireReader(signature);
        let format = sr.string().map_err(bad)?.to_vec();
        let blob = sr.string().map_err(bad)?.to_vec();
        let rest = sr.0.to_vec();
        let embedded_key = SshKey::parse_wire(public_key).map_err(bad)?;
        Ok(SshSignature {
            embedded_key,
            format,
            blob,
            rest,
        })
    }

    /// Rekor's `Armor`: the canonical signature text stored in the body.
    pub(crate) fn canonical_armor(&self) -> String {
        let mut inner_sig = Vec::new();
        put_string(&mut inner_sig, &self.format);
        put_string(&mut inner_sig, &self.blob);
        inner_sig.extend_from_slice(&self.rest);
        let mut wrapped = Vec::new();
        wrapped.extend_from_slice(MAGIC);
        wrapped.extend_from_slice(&1u32.to_be_bytes());
        put_string(&mut wrapped, &self.embedded_key.marshal());
        put_string(&mut wrapped, NAMESPACE.as_bytes());
        put_string(&mut wrapped, b"");
        put_string(&mut wrapped, CANONICAL_HASH.as_bytes());
        put_string(&mut wrapped, &inner_sig);
        pem::encode("SSH SIGNATURE", &wrapped)
    }

    /// Rekor's `Verify` over the canonical signature: SHA-512 of `message`, wrapped as an
    /// SSHSIG signed-data blob, verified with `key` (the entry's key, not the embedded one).
    pub(crate) fn verify(&self, message: &[u8], key: &SshKey) -> std::result::Result<(), String> {
        let mut signed = Vec::new();
        signed.extend_from_slice(MAGIC);
        put_string(&mut signed, NAMESPACE.as_bytes());
        put_string(&mut signed, b"");
        put_string(&mut signed, CANONICAL_HASH.as_bytes());
        put_string(&mut signed, &Sha512::digest(message));
        key.verify(&self.format, &self.blob, &signed)
    }
}

struct WireReader<'a>(&'a [u8]);

impl<'a> WireReader<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err("ssh: short read".into());
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn u32(&mut self) -> std::result::Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn string(&mut self) -> std::result::Result<&'a [u8], String> {
        let len = self.u32()? as usize;
        self.take(len)
    }
    /// A non-negative mpint, returned without leading zeros.
    fn mpint(&mut self) -> std::result::Result<Vec<u8>, String> {
        let raw = self.string()?;
        if raw.first().is_some_and(|b| b & 0x80 != 0) {
            return Err("ssh: negative integer".into());
        }
        let start = raw.iter().position(|b| *b != 0).unwrap_or(raw.len());
        Ok(raw[start..].to_vec())
    }
}

fn put_string(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(data);
}

/// Writes a non-negative integer (given without leading zeros) as an SSH mpint.
fn put_mpint(out: &mut Vec<u8>, magnitude: &[u8]) {
    if magnitude.first().is_some_and(|b| b & 0x80 != 0) {
        out.extend_from_slice(&(magnitude.len() as u32 + 1).to_be_bytes());
        out.push(0);
        out.extend_from_slice(magnitude);
    } else {
        put_string(out, magnitude);
    }
}
