//! minisign (and signify) keys and signatures for `rekord` entries with `format: minisign`,
//! read and canonicalized as Rekor's `pki/minisign` does with `jedisct1/go-minisign`.
//!
//! * Public key: the two-line `.pub` file (untrusted comment, then base64), the bare base64
//!   line, or — a legacy form Rekor still reads — the 32 raw Ed25519 key bytes (key ID
//!   unknown). The base64 decodes to `"Ed" ‖ key ID (8) ‖ Ed25519 key (32)`. Canonical:
//!   that base64, no newline.
//! * Signature: the four-line `.minisig` file (untrusted comment, base64 of
//!   `algorithm ‖ key ID ‖ signature (64)`, trusted comment, global signature), or the
//!   two-line signify form. Canonical: `untrusted comment:\n` and that base64, no newline;
//!   the trusted comment and global signature are dropped, as Rekor drops them (and Rekor
//!   does not verify them either, so neither do we).
//! * Verification: algorithm `Ed` is Ed25519 over the message, `ED` (minisign's default
//!   since 0.8) Ed25519 over its BLAKE2b-512 hash.
//!
//! Stricter than Rekor, on purpose: the signature's key ID must equal the key's (minisign
//! itself refuses a mismatch; Rekor does not look), except for a legacy raw key, whose key ID
//! is not known; and algorithms other than `Ed`/`ED` are refused (Rekor treats any
//! algorithm whose second letter is `D` as prehashed and every other as pure).

use blake2::{Blake2b512, Digest as _};

use crate::b64;

const KEY_ALGORITHM: [u8; 2] = *b"Ed";
const PURE: [u8; 2] = *b"Ed";
const PREHASHED: [u8; 2] = *b"ED";

/// A minisign public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicKey {
    key_id: [u8; 8],
    key: [u8; 32],
    /// Given as 32 raw bytes, without an algorithm or key ID.
    legacy: bool,
}

/// A minisign or signify signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signature {
    algorithm: [u8; 2],
    key_id: [u8; 8],
    signature: [u8; 64],
}

/// Splits `algorithm ‖ key ID ‖ rest` after checking its total length.
fn split<const N: usize>(bin: &[u8]) -> Option<([u8; 2], [u8; 8], [u8; N])> {
    if bin.len() != 10 + N {
        return None;
    }
    let mut alg = [0u8; 2];
    let mut id = [0u8; 8];
    let mut rest = [0u8; N];
    alg.copy_from_slice(&bin[..2]);
    id.copy_from_slice(&bin[2..10]);
    rest.copy_from_slice(&bin[10..]);
    Some((alg, id, rest))
}

/// Go's `base64.StdEncoding.DecodeString` of a possibly non-UTF-8 line (CR and LF are
/// skipped, as Go skips them).
fn decode(text: &[u8]) -> Option<Vec<u8>> {
    b64::decode_std(std::str::from_utf8(text).ok()?).ok()
}

/// minisign prints key IDs as the hexadecimal of their little-endian value.
fn key_id_hex(id: &[u8; 8]) -> String {
    format!("{:016X}", u64::from_le_bytes(*id))
}

impl PublicKey {
    /// Reads a key in any of the three forms Rekor reads.
    ///
    /// # Errors
    /// The client-facing reason.
    pub(crate) fn parse(input: &[u8]) -> Result<Self, String> {
        // The `.pub` file: everything after the first line is the base64 (Go's decoder
        // skips the line ends).
        let from_file = input
            .iter()
            .position(|&b| b == b'\n')
            .and_then(|i| decode(&input[i + 1..]))
            .and_then(|bin| split::<32>(&bin));
        let parsed = from_file.or_else(|| decode(input).and_then(|bin| split::<32>(&bin)));
        let (algorithm, key_id, key) = match parsed {
            Some(parts) => parts,
            None if input.len() == 32 => {
                let mut key = [0u8; 32];
                key.copy_from_slice(input);
                return Ok(PublicKey {
                    key_id: [0; 8],
                    key,
                    legacy: true,
                });
            }
            None => {
                return Err(
                    "unable to read minisign public key: Invalid encoded public key (expected the .pub file or its base64 line: \"Ed\", an 8-byte key ID and a 32-byte Ed25519 key)"
                        .into(),
                )
            }
        };
        if algorithm != KEY_ALGORITHM {
            return Err(format!(
                "unsupported minisign public key algorithm {:?} (only \"Ed\" keys exist)",
                String::from_utf8_lossy(&algorithm)
            ));
        }
        Ok(PublicKey {
            key_id,
            key,
            legacy: false,
        })
    }

    /// The canonical form Rekor stores: base64 of `"Ed" ‖ key ID ‖ key` (the legacy raw form
    /// gets a zero key ID).
    pub(crate) fn canonical(&self) -> String {
        b64::encode(&[&KEY_ALGORITHM[..], &self.key_id, &self.key].concat())
    }
}

impl Signature {
    /// Reads a `.minisig` file, or a signify signature.
    ///
    /// # Errors
    /// The client-facing reason, in Rekor's words.
    pub(crate) fn parse(input: &[u8]) -> Result<Self, String> {
        let (algorithm, key_id, signature) = match Self::decode_minisig(input) {
            Some(parts) => parts,
            None => {
                // signify: exactly two lines, the second the base64.
                let end = input.iter().rposition(|&b| b != b'\n').map_or(0, |i| i + 1);
                let lines: Vec<&[u8]> = input[..end].split(|&b| b == b'\n').collect();
                if lines.len() != 2 {
                    return Err(format!(
                        "invalid signature provided: {} lines detected (a minisign signature file has 4, a signify one 2)",
                        lines.len()
                    ));
                }
                let bin =
                    decode(lines[1]).ok_or("invalid signature provided: base64 decoding failed")?;
                split::<64>(&bin).ok_or_else(|| {
                    format!(
                        "invalid signature provided: incorrect size {} detected (expected 74)",
                        bin.len()
                    )
                })?
            }
        };
        if algorithm != PURE && algorithm != PREHASHED {
            return Err(format!(
                "unsupported minisign signature algorithm {:?} (expected \"Ed\" or \"ED\")",
                String::from_utf8_lossy(&algorithm)
            ));
        }
        Ok(Signature {
            algorithm,
            key_id,
            signature,
        })
    }

    /// go-minisign's `DecodeSignature`: four lines (the last running to the end), the
    /// second decoding to 74 bytes and the fourth to 64.
    fn decode_minisig(input: &[u8]) -> Option<([u8; 2], [u8; 8], [u8; 64])> {
        let mut parts = input.splitn(4, |&b| b == b'\n');
        let (_untrusted, sig, _trusted, global) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let parts = split::<64>(&decode(sig)?)?;
        if decode(global)?.len() != 64 {
            return None;
        }
        Some(parts)
    }

    /// The canonical form Rekor stores.
    pub(crate) fn canonical(&self) -> String {
        format!(
            "untrusted comment:\n{}",
            b64::encode(&[&self.algorithm[..], &self.key_id, &self.signature].concat())
        )
    }

    /// Verifies the signature over `message` with `key`.
    ///
    /// # Errors
    /// A key-ID mismatch, or a signature that does not verify.
    pub(crate) fn verify(&self, message: &[u8], key: &PublicKey) -> Result<(), String> {
        if !key.legacy && self.key_id != key.key_id {
            return Err(format!(
                "minisign key ID mismatch: the signature was made by key {}, the public key is {}",
                key_id_hex(&self.key_id),
                key_id_hex(&key.key_id)
            ));
        }
        const FAILED: &str = "failed to verify signature";
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&key.key).map_err(|_| FAILED)?;
        let sig = ed25519_dalek::Signature::from_bytes(&self.signature);
        // Go's ed25519.Verify is the cofactorless check, as dalek's non-strict `verify`.
        use ed25519_dalek::Verifier as _;
        let result = if self.algorithm == PREHASHED {
            vk.verify(&Blake2b512::digest(message), &sig)
        } else {
            vk.verify(message, &sig)
        };
        result.map_err(|_| FAILED.into())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ed25519_dalek::{Signer as _, SigningKey};

    fn keypair() -> (SigningKey, [u8; 8]) {
        (SigningKey::from_bytes(&[7u8; 32]), [1, 2, 3, 4, 5, 6, 7, 8])
    }

    fn pub_file(sk: &SigningKey, id: &[u8; 8]) -> String {
        let line = b64::encode(&[&b"Ed"[..], id, sk.verifying_key().as_bytes()].concat());
        format!(
            "untrusted comment: minisign public key {}\n{line}\n",
            key_id_hex(id)
        )
    }

    fn minisig(sk: &SigningKey, id: &[u8; 8], alg: &[u8; 2], msg: &[u8]) -> String {
        let signed = if alg == b"ED" {
            Blake2b512::digest(msg).to_vec()
        } else {
            msg.to_vec()
        };
        let sig = sk.sign(&signed).to_bytes();
        let global = sk.sign(&[&sig[..], b"timestamp:1"].concat()).to_bytes();
        format!(
            "untrusted comment: signature from minisign secret key\n{}\ntrusted comment: timestamp:1\n{}\n",
            b64::encode(&[&alg[..], id, &sig].concat()),
            b64::encode(&global)
        )
    }

    #[test]
    fn key_forms_share_one_canonical_form() {
        let (sk, id) = keypair();
        let file = pub_file(&sk, &id);
        let line = file.lines().nth(1).unwrap().to_owned();
        let a = PublicKey::parse(file.as_bytes()).unwrap();
        let b = PublicKey::parse(line.as_bytes()).unwrap();
        let c = PublicKey::parse(format!("{line}\n").as_bytes()).unwrap();
        let d = PublicKey::parse(file.replace('\n', "\r\n").as_bytes()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a, d);
        assert_eq!(a.canonical(), line);
        assert_eq!(PublicKey::parse(a.canonical().as_bytes()).unwrap(), a);
        let raw = PublicKey::parse(sk.verifying_key().as_bytes()).unwrap();
        assert!(raw.legacy);
        assert!(PublicKey::parse(b"garbage").is_err());
        let other_alg = line.replacen("RWQ", "RUQ", 1);
        assert!(PublicKey::parse(other_alg.as_bytes()).is_err());
    }

    #[test]
    fn pure_and_prehashed_signatures_verify() {
        let (sk, id) = keypair();
        let key = PublicKey::parse(pub_file(&sk, &id).as_bytes()).unwrap();
        for alg in [b"Ed", b"ED"] {
            let sig = Signature::parse(minisig(&sk, &id, alg, b"msg").as_bytes()).unwrap();
            sig.verify(b"msg", &key).unwrap();
            assert!(sig.verify(b"other", &key).is_err());
            let canonical = Signature::parse(sig.canonical().as_bytes()).unwrap();
            assert_eq!(canonical, sig);
            let expected_start = if alg == b"Ed" {
                "untrusted comment:\nRW"
            } else {
                "untrusted comment:\nRU"
            };
            assert!(sig.canonical().starts_with(expected_start));
            assert!(!sig.canonical().ends_with('\n'));
        }
    }

    #[test]
    fn key_id_must_match_unless_the_key_is_raw() {
        let (sk, id) = keypair();
        let sig = Signature::parse(minisig(&sk, &id, b"ED", b"msg").as_bytes()).unwrap();
        let other = PublicKey::parse(pub_file(&sk, &[9; 8]).as_bytes()).unwrap();
        let err = sig.verify(b"msg", &other).unwrap_err();
        assert!(err.contains("key ID mismatch"), "{err}");
        let raw = PublicKey::parse(sk.verifying_key().as_bytes()).unwrap();
        sig.verify(b"msg", &raw).unwrap();
    }

    #[test]
    fn malformed_signatures() {
        let (sk, id) = keypair();
        let good = minisig(&sk, &id, b"Ed", b"msg");
        let lines: Vec<&str> = good.lines().collect();
        let cases = [
            String::new(),
            "one line".to_owned(),
            format!("{}\n!!!!\n", lines[0]),
            format!("{}\n{}\n", lines[0], b64::encode(&[0u8; 73])),
            format!("{}\n{}\n", lines[0], lines[1].replacen("RW", "XW", 1)),
            good.replace(lines[1], &lines[1][..40]),
        ];
        for case in cases {
            assert!(Signature::parse(case.as_bytes()).is_err(), "{case:?}");
        }
        // The signify form: two lines.
        let two = format!("{}\n{}\n\n", lines[0], lines[1]);
        assert!(Signature::parse(two.as_bytes()).is_ok());
    }
}
