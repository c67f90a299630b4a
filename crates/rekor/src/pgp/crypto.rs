//! The cryptography behind OpenPGP signatures: the hash algorithms, text canonicalization,
//! and RSA PKCS #1 v1.5 / ECDSA verification of a finished digest, with the checks Go's
//! `PublicKey.VerifySignature` makes, in its order (key can sign, hash prefix, algorithm
//! match, then the signature itself).
//!
//! Digests come from aws-lc (SHA-1 included: Go's library accepts SHA-1 signatures, and
//! so does Rekor). ECDSA also runs on aws-lc, over the digest: Go uses the leftmost bits
//! of a digest longer than the curve order and the whole value of a shorter one, so a
//! short digest (SHA-1 or SHA-224 on P-256, anything up to SHA-384 on P-521) is left-padded
//! with zeros to a length aws-lc takes, which leaves its value unchanged.

use aws_lc_rs::digest;
use sha2::{Sha224, Sha256, Sha384, Sha512};

use super::error::{unsupported, PgpError};
use super::key::{Curve, KeyMaterial, PublicKey};
use super::signature::Signature;

/// The hash algorithms of RFC 4880 §9.4 that Go's library knows. MD5 and RIPEMD-160 parse
/// (a key may carry old third-party signatures that use them) but never verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashAlgorithm {
    Md5,
    Sha1,
    Ripemd160,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    /// The algorithm with OpenPGP ID `id`, if Go's library knows it.
    pub(crate) fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            1 => Self::Md5,
            2 => Self::Sha1,
            3 => Self::Ripemd160,
            8 => Self::Sha256,
            9 => Self::Sha384,
            10 => Self::Sha512,
            11 => Self::Sha224,
            _ => return None,
        })
    }

    /// The name Go's `crypto.Hash` prints.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha1 => "SHA-1",
            Self::Ripemd160 => "RIPEMD-160",
            Self::Sha224 => "SHA-224",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    /// A fresh hasher.
    ///
    /// # Errors
    /// [`PgpError::Unsupported`] for MD5 and RIPEMD-160, which this log does not verify.
    pub(crate) fn hasher(self) -> Result<Hasher, PgpError> {
        let alg = match self {
            Self::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha224 => &digest::SHA224,
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
            Self::Md5 | Self::Ripemd160 => {
                return Err(unsupported(format!(
                    "hash function {} is not supported",
                    self.name()
                )))
            }
        };
        Ok(Hasher(digest::Context::new(alg)))
    }

    /// The DER `DigestInfo` prefix of PKCS #1 v1.5 and the digest length.
    fn pkcs1(self) -> Option<rsa::Pkcs1v15Sign> {
        /// SHA-1's DigestInfo prefix (RFC 8017 §9.2, note 1).
        const SHA1_PREFIX: [u8; 15] = [
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
            0x14,
        ];
        Some(match self {
            Self::Sha1 => rsa::Pkcs1v15Sign {
                hash_len: Some(20),
                prefix: SHA1_PREFIX.into(),
            },
            Self::Sha224 => rsa::Pkcs1v15Sign::new::<Sha224>(),
            Self::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
            Self::Sha384 => rsa::Pkcs1v15Sign::new::<Sha384>(),
            Self::Sha512 => rsa::Pkcs1v15Sign::new::<Sha512>(),
            Self::Md5 | Self::Ripemd160 => return None,
        })
    }
}

/// An incremental digest.
pub(crate) struct Hasher(digest::Context);

impl Hasher {
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        self.0.finish().as_ref().to_vec()
    }
}

/// Feeds `data` to `hasher` in OpenPGP canonical text form, exactly as Go's
/// `canonicalTextHash` does: every LF not preceded by CR becomes CRLF. (Go's state machine
/// passes the byte after any CR through unchanged, so `\r\r\n` becomes `\r\r\r\n`; the
/// signer's text is hashed the same way by gpg, which only converts bare LFs too.)
pub(crate) fn hash_canonical_text(hasher: &mut Hasher, data: &[u8]) {
    let mut after_cr = false;
    let mut start = 0;
    for (i, &b) in data.iter().enumerate() {
        if after_cr {
            after_cr = false;
        } else if b == b'\r' {
            after_cr = true;
        } else if b == b'\n' {
            hasher.update(&data[start..i]);
            hasher.update(b"\r\n");
            start = i + 1;
        }
    }
    hasher.update(&data[start..]);
}

/// RSA moduli this log checks: Go refuses keys under 1024 bits since Go 1.24, and 16384 bits
/// bounds the work one signature can ask for.
const RSA_MIN_BITS: usize = 1024;
const RSA_MAX_BITS: usize = 16384;

/// Verifies `sig` by `key` over the data already fed to `hasher`, which must be a hasher of
/// `sig`'s hash algorithm. Appends the signature's hashed trailer first, as Go does.
///
/// # Errors
/// Go's reasons: the key cannot sign, the two-octet hash prefix differs, the algorithms
/// differ, or the signature does not verify.
pub(crate) fn verify(key: &PublicKey, sig: &Signature, mut hasher: Hasher) -> Result<(), PgpError> {
    if !key.can_sign() {
        return Err(PgpError::InvalidArgument(
            "public key cannot generate signatures".into(),
        ));
    }
    hasher.update(&sig.hash_suffix());
    let digest = hasher.finish();
    if digest.get(..2) != Some(&sig.hash_tag[..]) {
        return Err(PgpError::BadSignature("hash tag doesn't match".into()));
    }
    if key.algorithm != sig.pubkey_algo {
        return Err(PgpError::InvalidArgument(
            "public key and signature use different algorithms".into(),
        ));
    }
    match (&key.material, sig.values.as_slice()) {
        (KeyMaterial::Rsa { n, e }, [s]) => verify_rsa(
            n.magnitude(),
            e.magnitude(),
            sig.hash,
            &digest,
            s.magnitude(),
        )
        .map_err(|()| PgpError::BadSignature("RSA verification failure".into())),
        (KeyMaterial::Ec { curve, point }, [r, s]) => {
            verify_ecdsa(*curve, point, &digest, r.magnitude(), s.magnitude())
                .map_err(|()| PgpError::BadSignature("ECDSA verification failure".into()))
        }
        _ => Err(PgpError::BadSignature(
            "Unsupported public key algorithm used in signature".into(),
        )),
    }
}

fn verify_rsa(
    n: &[u8],
    e: &[u8],
    hash: HashAlgorithm,
    digest: &[u8],
    sig: &[u8],
) -> Result<(), ()> {
    let n = rsa::BigUint::from_bytes_be(n);
    let bits = n.bits();
    if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
        return Err(());
    }
    let key = rsa::RsaPublicKey::new_with_max_size(n, rsa::BigUint::from_bytes_be(e), RSA_MAX_BITS)
        .map_err(|_| ())?;
    let scheme = hash.pkcs1().ok_or(())?;
    // OpenPGP strips leading zeros from the signature; PKCS #1 wants it at full length.
    let size = bits.div_ceil(8);
    if sig.len() > size {
        return Err(());
    }
    let mut padded = vec![0u8; size - sig.len()];
    padded.extend_from_slice(sig);
    key.verify(scheme, digest, &padded).map_err(|_| ())
}

fn verify_ecdsa(curve: Curve, point: &[u8], digest: &[u8], r: &[u8], s: &[u8]) -> Result<(), ()> {
    use aws_lc_rs::signature as lc;
    // The aws-lc algorithm that takes a digest of the wanted length, and that length: the
    // digest itself where aws-lc has the combination, else zero-padded on the left.
    let (alg, len): (&'static lc::EcdsaVerificationAlgorithm, usize) = match (curve, digest.len()) {
        (Curve::P256, 0..=32) => (&lc::ECDSA_P256_SHA256_ASN1, 32),
        (Curve::P256, 33..=48) => (&lc::ECDSA_P256_SHA384_ASN1, 48),
        (Curve::P256, _) => (&lc::ECDSA_P256_SHA512_ASN1, 64),
        (Curve::P384, 0..=48) => (&lc::ECDSA_P384_SHA384_ASN1, 48),
        (Curve::P384, _) => (&lc::ECDSA_P384_SHA512_ASN1, 64),
        (Curve::P521, _) => (&lc::ECDSA_P521_SHA512_ASN1, 64),
    };
    let hash = match len {
        32 => &digest::SHA256,
        48 => &digest::SHA384,
        _ => &digest::SHA512,
    };
    if digest.len() > len {
        return Err(());
    }
    let mut value = vec![0u8; len - digest.len()];
    value.extend_from_slice(digest);
    let digest = digest::Digest::import_less_safe(&value, hash).map_err(|_| ())?;
    let der = der_signature(r, s).ok_or(())?;
    lc::UnparsedPublicKey::new(alg, point)
        .verify_digest(&digest, &der)
        .map_err(|_| ())
}

/// `SEQUENCE { INTEGER r, INTEGER s }` for big-endian magnitudes without leading zeros.
fn der_signature(r: &[u8], s: &[u8]) -> Option<Vec<u8>> {
    fn integer(out: &mut Vec<u8>, v: &[u8]) -> Option<()> {
        if v.is_empty() {
            return None; // zero is never a valid r or s
        }
        let pad = v[0] & 0x80 != 0;
        out.push(0x02);
        push_len(out, v.len() + usize::from(pad))?;
        if pad {
            out.push(0);
        }
        out.extend_from_slice(v);
        Some(())
    }
    fn push_len(out: &mut Vec<u8>, len: usize) -> Option<()> {
        match len {
            0..=0x7f => out.push(len as u8),
            0x80..=0xff => out.extend_from_slice(&[0x81, len as u8]),
            _ => return None, // no curve here has integers that long
        }
        Some(())
    }
    let mut body = Vec::with_capacity(r.len() + s.len() + 8);
    integer(&mut body, r)?;
    integer(&mut body, s)?;
    let mut out = Vec::with_capacity(body.len() + 3);
    out.push(0x30);
    push_len(&mut out, body.len())?;
    out.extend_from_slice(&body);
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn canonical(data: &[u8]) -> Vec<u8> {
        let mut plain = HashAlgorithm::Sha256.hasher().unwrap();
        let mut text = HashAlgorithm::Sha256.hasher().unwrap();
        hash_canonical_text(&mut text, data);
        let mut expected = Vec::new();
        let mut after_cr = false;
        for &b in data {
            if b == b'\n' && !after_cr {
                expected.extend_from_slice(b"\r\n");
            } else {
                expected.push(b);
            }
            after_cr = !after_cr && b == b'\r';
        }
        plain.update(&expected);
        assert_eq!(text.finish(), plain.finish(), "{data:?}");
        expected
    }

    #[test]
    fn text_canonicalization_is_gos() {
        assert_eq!(canonical(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
        assert_eq!(canonical(b"\r\r\n"), b"\r\r\r\n");
        assert_eq!(canonical(b"\n\n"), b"\r\n\r\n");
        assert_eq!(canonical(b"no newline"), b"no newline");
        assert_eq!(canonical(b"\r"), b"\r");
    }

    #[test]
    fn hash_ids() {
        for (id, name) in [
            (2, "SHA-1"),
            (8, "SHA-256"),
            (9, "SHA-384"),
            (10, "SHA-512"),
            (11, "SHA-224"),
        ] {
            let h = HashAlgorithm::from_id(id).unwrap();
            assert_eq!(h.name(), name);
            assert!(h.hasher().is_ok());
        }
        for id in [1, 3] {
            assert!(HashAlgorithm::from_id(id).unwrap().hasher().is_err());
        }
        assert_eq!(HashAlgorithm::from_id(12), None);
    }

    #[test]
    fn rsa_key_sizes_are_bounded() {
        let digest = [0u8; 32];
        for bits in [512usize, 1023, 16385] {
            let mut n = vec![0xffu8; bits.div_ceil(8)];
            if bits % 8 != 0 {
                n[0] = (1u8 << (bits % 8)) - 1;
            }
            let sig = vec![1u8; n.len()];
            assert!(
                verify_rsa(&n, &[1, 0, 1], HashAlgorithm::Sha256, &digest, &sig).is_err(),
                "{bits}"
            );
        }
        // A signature longer than the modulus is refused before any arithmetic.
        let n = vec![0xffu8; 128];
        assert!(verify_rsa(&n, &[3], HashAlgorithm::Sha256, &digest, &[1u8; 129]).is_err());
        assert!(verify_rsa(&n, &[3], HashAlgorithm::Md5, &digest, &[1u8; 128]).is_err());
    }

    #[test]
    fn der_encoding() {
        assert_eq!(
            der_signature(&[1], &[0x80]).unwrap(),
            vec![0x30, 7, 2, 1, 1, 2, 2, 0, 0x80]
        );
        assert_eq!(der_signature(&[], &[1]), None);
        let long = der_signature(&[0x7f; 66], &[0xff; 66]).unwrap();
        assert_eq!(&long[..3], &[0x30, 0x81, 2 + 66 + 2 + 67]);
    }
}
