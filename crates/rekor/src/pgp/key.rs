//! Version 4 public-key and public-subkey packets (RFC 4880 §5.5.2, RFC 6637 §9): parsing,
//! fingerprints and key IDs, and re-serialization.
//!
//! Supported: RSA (algorithms 1, 2 and 3), ECDSA (19) and ECDH (18) on NIST P-256, P-384
//! and P-521 — ECDH only as an encryption subkey carried along, as gpg makes for ECDSA
//! keys. Everything else is [`PgpError::Unsupported`]: EdDSA (22) and Curve25519 ECDH
//! because Rekor's library does not know them either, DSA (17) and ElGamal (16) by this
//! log's choice (Rekor accepts them), and key versions other than 4.
//!
//! Go keeps a key's fields exactly as read and writes them back unchanged, so the body of
//! an accepted packet is its canonical form; we keep the body and refuse trailing bytes
//! (which would shift Go's reader onto the next packet).

use super::crypto::HashAlgorithm;
use super::error::{structural, unsupported, PgpError};
use super::packet::{tag, write_header, Mpi, Reader};

/// The public-key algorithms of RFC 4880 §9.1 that appear here.
pub(crate) mod algorithm {
    pub(crate) const RSA: u8 = 1;
    pub(crate) const RSA_ENCRYPT_ONLY: u8 = 2;
    pub(crate) const RSA_SIGN_ONLY: u8 = 3;
    pub(crate) const ELGAMAL: u8 = 16;
    pub(crate) const DSA: u8 = 17;
    pub(crate) const ECDH: u8 = 18;
    pub(crate) const ECDSA: u8 = 19;
    /// EdDSA (draft-koch): unknown to Go's library.
    #[cfg(test)]
    pub(crate) const EDDSA: u8 = 22;
}

/// The NIST curves, by their OpenPGP OIDs (RFC 6637 §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    fn from_oid(oid: &[u8]) -> Option<Self> {
        match oid {
            [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07] => Some(Curve::P256),
            [0x2b, 0x81, 0x04, 0x00, 0x22] => Some(Curve::P384),
            [0x2b, 0x81, 0x04, 0x00, 0x23] => Some(Curve::P521),
            _ => None,
        }
    }

    /// Whether `point` is an uncompressed point on the curve (Go's `elliptic.Unmarshal`).
    fn valid_point(self, point: &[u8]) -> bool {
        let len = match self {
            Curve::P256 => 65,
            Curve::P384 => 97,
            Curve::P521 => 133,
        };
        point.len() == len
            && point[0] == 0x04
            && match self {
                Curve::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(point).is_ok(),
                Curve::P384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(point).is_ok(),
                Curve::P521 => p521::ecdsa::VerifyingKey::from_sec1_bytes(point).is_ok(),
            }
    }
}

/// The algorithm-specific fields of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyMaterial {
    /// RSA modulus and exponent.
    Rsa { n: Mpi, e: Mpi },
    /// An ECDSA or ECDH key: its curve and uncompressed point.
    Ec { curve: Curve, point: Vec<u8> },
}

/// A parsed v4 public key or subkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PublicKey {
    pub(crate) algorithm: u8,
    pub(crate) material: KeyMaterial,
    pub(crate) fingerprint: [u8; 20],
    pub(crate) is_subkey: bool,
    /// The packet body, which is also what Go writes back.
    body: Vec<u8>,
}

impl PublicKey {
    /// Parses a public-key (tag 6) or public-subkey (tag 14) packet body.
    ///
    /// # Errors
    /// [`PgpError::Unsupported`] for versions, algorithms and curves outside the supported
    /// set (Go's wording: `public key version`, `public key type: N`, `unsupported oid: …`);
    /// [`PgpError::Truncated`] for a body that ends early.
    pub(crate) fn parse(body: &[u8], is_subkey: bool) -> Result<Self, PgpError> {
        let mut r = Reader::new(body, "public key packet");
        let version = r.u8()?;
        if version != 4 {
            return Err(unsupported(format!(
                "public key version {version} (only version 4 keys are supported)"
            )));
        }
        let _created = r.u32()?;
        let algo = r.u8()?;
        let material = match algo {
            algorithm::RSA | algorithm::RSA_ENCRYPT_ONLY | algorithm::RSA_SIGN_ONLY => {
                let n = r.mpi()?;
                let e = r.mpi()?;
                if e.bytes.len() > 3 {
                    return Err(unsupported("large public exponent"));
                }
                KeyMaterial::Rsa { n, e }
            }
            algorithm::ECDSA | algorithm::ECDH => {
                let oid_len = usize::from(r.u8()?);
                if oid_len > 8 {
                    return Err(unsupported(format!("invalid oid length: {oid_len}")));
                }
                let oid = r.take(oid_len)?;
                let point = r.mpi()?.bytes;
                if algo == algorithm::ECDH {
                    let kdf_len = r.u8()?;
                    let kdf = r.take(usize::from(kdf_len))?;
                    if kdf_len < 3 {
                        return Err(unsupported(format!(
                            "Unsupported ECDH KDF length: {kdf_len}"
                        )));
                    }
                    if kdf[0] != 1 {
                        return Err(unsupported(format!(
                            "Unsupported KDF reserved field: {}",
                            kdf[0]
                        )));
                    }
                    if kdf_len != 3 {
                        // Go would re-serialize it as three octets and so change the key's
                        // fingerprint.
                        return Err(unsupported(format!(
                            "ECDH KDF parameters of {kdf_len} octets"
                        )));
                    }
                }
                let curve = Curve::from_oid(oid)
                    .ok_or_else(|| unsupported(format!("unsupported oid: {}", hex::encode(oid))))?;
                if !curve.valid_point(&point) {
                    return Err(unsupported("failed to parse EC point"));
                }
                KeyMaterial::Ec { curve, point }
            }
            algorithm::DSA | algorithm::ELGAMAL => {
                return Err(unsupported(format!(
                    "public key type: {algo} ({} keys are not supported by this log)",
                    if algo == algorithm::DSA {
                        "DSA"
                    } else {
                        "ElGamal"
                    }
                )))
            }
            other => return Err(unsupported(format!("public key type: {other}"))),
        };
        if !r.is_empty() {
            return Err(structural(format!(
                "{} trailing bytes after the public key",
                r.remaining()
            )));
        }
        let fingerprint = fingerprint(body)?;
        Ok(PublicKey {
            algorithm: algo,
            material,
            fingerprint,
            is_subkey,
            body: body.to_vec(),
        })
    }

    /// The key ID: the low 64 bits of the fingerprint.
    pub(crate) fn key_id(&self) -> u64 {
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.fingerprint[12..]);
        u64::from_be_bytes(id)
    }

    /// The form a key takes inside signed data (RFC 4880 §5.2.4): `0x99`, a two-octet
    /// length, the body.
    pub(crate) fn hashed_form(&self) -> Vec<u8> {
        hashed_form(&self.body)
    }

    /// Appends the packet, with a new-format header, as Go's `PublicKey.Serialize` does.
    pub(crate) fn serialize(&self, out: &mut Vec<u8>) {
        let t = if self.is_subkey {
            tag::PUBLIC_SUBKEY
        } else {
            tag::PUBLIC_KEY
        };
        write_header(out, t, self.body.len());
        out.extend_from_slice(&self.body);
    }

    /// Go's `PublicKeyAlgorithm.CanSign`, required of a primary key.
    pub(crate) fn algorithm_can_sign(&self) -> bool {
        matches!(
            self.algorithm,
            algorithm::RSA | algorithm::RSA_SIGN_ONLY | algorithm::ECDSA
        )
    }

    /// Go's `PublicKey.CanSign`, checked before verifying with a key.
    pub(crate) fn can_sign(&self) -> bool {
        self.algorithm != algorithm::RSA_ENCRYPT_ONLY && self.algorithm != algorithm::ELGAMAL
    }
}

fn hashed_form(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 3);
    out.push(0x99);
    // Bodies are far below 64 KiB: two MPIs of at most 8 KiB each, or a curve point.
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// The v4 fingerprint: SHA-1 over the hashed form (RFC 4880 §12.2).
fn fingerprint(body: &[u8]) -> Result<[u8; 20], PgpError> {
    if body.len() > usize::from(u16::MAX) {
        return Err(structural("public key packet too long"));
    }
    let mut h = HashAlgorithm::Sha1.hasher()?;
    h.update(&hashed_form(body));
    let digest = h.finish();
    let mut fpr = [0u8; 20];
    fpr.copy_from_slice(&digest);
    Ok(fpr)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn rsa_body(n_len: usize, e: &[u8]) -> Vec<u8> {
        let mut b = vec![4, 0x60, 0, 0, 0, algorithm::RSA];
        b.extend_from_slice(&((n_len * 8) as u16).to_be_bytes());
        b.push(0xc1);
        b.extend(std::iter::repeat_n(0x11u8, n_len - 1));
        b.extend_from_slice(&((e.len() * 8) as u16).to_be_bytes());
        b.extend_from_slice(e);
        b
    }

    #[test]
    fn rsa_keys_parse_and_serialize_unchanged() {
        let body = rsa_body(256, &[1, 0, 1]);
        let key = PublicKey::parse(&body, false).unwrap();
        assert_eq!(key.key_id().to_be_bytes(), key.fingerprint[12..]);
        let mut out = Vec::new();
        key.serialize(&mut out);
        assert_eq!(&out[..3], &[0xc6, 0xc0, 0x4d]);
        assert_eq!(&out[3..], body.as_slice());
        assert!(key.algorithm_can_sign());
    }

    #[test]
    fn refusals() {
        let mut v3 = rsa_body(128, &[3]);
        v3[0] = 3;
        let mut trailing = rsa_body(128, &[3]);
        trailing.push(0);
        let mut eddsa = vec![4, 0, 0, 0, 0, algorithm::EDDSA, 9];
        eddsa.extend_from_slice(&[0x2b, 6, 1, 4, 1, 0xda, 0x47, 0x0f, 1]);
        let mut dsa = vec![4, 0, 0, 0, 0, algorithm::DSA];
        dsa.extend_from_slice(&[0, 8, 1, 0, 8, 1, 0, 8, 1, 0, 8, 1]);
        let mut bad_point = vec![4, 0, 0, 0, 0, algorithm::ECDSA, 8];
        bad_point.extend_from_slice(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
        bad_point.extend_from_slice(&[0x02, 0x07]);
        bad_point.push(4);
        bad_point.extend(std::iter::repeat_n(0u8, 64));
        for (body, unsupported) in [
            (v3, true),
            (rsa_body(128, &[1, 0, 0, 1]), true),
            (eddsa, true),
            (dsa, true),
            (bad_point, true),
            (trailing, false),
            (rsa_body(128, &[3])[..40].to_vec(), false),
        ] {
            let err = PublicKey::parse(&body, false).unwrap_err();
            assert_eq!(err.is_unsupported(), unsupported, "{err}");
        }
        assert!(PublicKey::parse(&[], false).is_err());
    }
}
