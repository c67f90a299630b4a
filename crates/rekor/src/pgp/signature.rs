//! Version 4 signature packets (RFC 4880 §5.2.3): parsing with the subpacket rules of Go's
//! `openpgp/packet`, the hashed trailer, and re-serialization as Go writes it.
//!
//! What Go checks, and so what we check: the creation time must be in the hashed area;
//! the subpackets Go knows must have their lengths (issuer 8 octets, key flags not empty,
//! and so on); an unknown subpacket marked critical is refused; an embedded signature must
//! be a primary-key binding. Go keeps the hashed area verbatim but rebuilds the unhashed
//! one from its parsed subpackets, with minimal length encodings and without their
//! critical bits; [`Signature::serialize`] does the same, which matters because Rekor
//! stores keys (and so their self-signatures) in that re-serialized form.
//!
//! Accepted signature algorithms are Go's: RSA (1, 3), DSA (17) and ECDSA (19). A DSA
//! signature can only be carried (a third-party certification on a key); nothing verifies
//! one, since DSA keys are refused.

use super::crypto::HashAlgorithm;
use super::error::{structural, unsupported, PgpError};
use super::key::algorithm;
use super::packet::{tag, write_header, Mpi, Reader};

/// Signature types of RFC 4880 §5.2.1 used here.
pub(crate) mod sig_type {
    pub(crate) const BINARY: u8 = 0x00;
    pub(crate) const TEXT: u8 = 0x01;
    pub(crate) const GENERIC_CERT: u8 = 0x10;
    pub(crate) const POSITIVE_CERT: u8 = 0x13;
    pub(crate) const SUBKEY_BINDING: u8 = 0x18;
    pub(crate) const PRIMARY_KEY_BINDING: u8 = 0x19;
    pub(crate) const DIRECT_KEY: u8 = 0x1f;
    pub(crate) const KEY_REVOCATION: u8 = 0x20;
    pub(crate) const SUBKEY_REVOCATION: u8 = 0x28;
}

/// Signature subpacket types of RFC 4880 §5.2.3.1 that Go's library interprets.
mod subpacket {
    pub(super) const CREATION_TIME: u8 = 2;
    pub(super) const SIGNATURE_EXPIRATION: u8 = 3;
    pub(super) const KEY_EXPIRATION: u8 = 9;
    pub(super) const PREFERRED_SYMMETRIC: u8 = 11;
    pub(super) const ISSUER: u8 = 16;
    pub(super) const PREFERRED_HASH: u8 = 21;
    pub(super) const PREFERRED_COMPRESSION: u8 = 22;
    pub(super) const PRIMARY_USER_ID: u8 = 25;
    pub(super) const KEY_FLAGS: u8 = 27;
    pub(super) const REVOCATION_REASON: u8 = 29;
    pub(super) const FEATURES: u8 = 30;
    pub(super) const EMBEDDED_SIGNATURE: u8 = 32;
    /// Not known to Go's library; read here only as a fallback issuer.
    pub(super) const ISSUER_FINGERPRINT: u8 = 33;
}

/// Key flag: this key may sign data (RFC 4880 §5.2.3.21).
pub(crate) const KEY_FLAG_SIGN: u8 = 0x02;

/// A subpacket of the unhashed area, kept for re-serialization.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Unhashed {
    kind: u8,
    contents: Vec<u8>,
}

/// A parsed v4 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signature {
    pub(crate) sig_type: u8,
    pub(crate) pubkey_algo: u8,
    pub(crate) hash: HashAlgorithm,
    pub(crate) hash_tag: [u8; 2],
    /// The signature value: one MPI for RSA, `r` and `s` for DSA and ECDSA.
    pub(crate) values: Vec<Mpi>,
    pub(crate) issuer: Option<u64>,
    pub(crate) issuer_fingerprint: Option<[u8; 20]>,
    pub(crate) key_flags: Option<u8>,
    pub(crate) revocation_reason: Option<u8>,
    pub(crate) primary_user_id: Option<bool>,
    pub(crate) embedded: Option<Box<Signature>>,
    /// Version, type, algorithms, hashed-area length and the hashed area: the signed part
    /// of the packet, kept verbatim.
    hashed_part: Vec<u8>,
    unhashed: Vec<Unhashed>,
}

/// Whether a signature packet body is a v4 (or later) packet, as Go decides which parser
/// to use: a version octet below 4 is a v3 signature.
pub(crate) fn is_v3(body: &[u8]) -> bool {
    body.first().is_some_and(|&v| v < 4)
}

impl Signature {
    /// Parses a signature packet body. Bytes after the signature value are an error.
    ///
    /// # Errors
    /// Go's reasons, in its order: a version other than 4 or an unknown algorithm
    /// ([`PgpError::Unsupported`]), a subpacket rule ([`PgpError::Structural`]), a body that
    /// ends early ([`PgpError::Truncated`]).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, PgpError> {
        let mut r = Reader::new(body, "signature packet");
        let sig = Self::parse_from(&mut r)?;
        if !r.is_empty() {
            return Err(structural(format!(
                "{} trailing bytes after the signature",
                r.remaining()
            )));
        }
        Ok(sig)
    }

    fn parse_from(r: &mut Reader<'_>) -> Result<Self, PgpError> {
        let version = r.u8()?;
        if version != 4 {
            return Err(unsupported(format!("signature packet version {version}")));
        }
        let head = r.take(5)?;
        let (sig_type, pubkey_algo, hash_id) = (head[0], head[1], head[2]);
        if !matches!(
            pubkey_algo,
            algorithm::RSA | algorithm::RSA_SIGN_ONLY | algorithm::DSA | algorithm::ECDSA
        ) {
            return Err(unsupported(format!("public key algorithm {pubkey_algo}")));
        }
        let hash = HashAlgorithm::from_id(hash_id)
            .ok_or_else(|| unsupported(format!("hash function {hash_id}")))?;
        let hashed_len = usize::from(u16::from_be_bytes([head[3], head[4]]));
        let hashed = r.take(hashed_len)?;
        let mut sig = Signature {
            sig_type,
            pubkey_algo,
            hash,
            hash_tag: [0; 2],
            values: Vec::new(),
            issuer: None,
            issuer_fingerprint: None,
            key_flags: None,
            revocation_reason: None,
            primary_user_id: None,
            embedded: None,
            hashed_part: [&[4u8][..], head, hashed].concat(),
            unhashed: Vec::new(),
        };
        let mut created = false;
        sig.parse_subpackets(hashed, true, &mut created)?;
        if !created {
            return Err(structural("no creation time in signature"));
        }
        let unhashed_len = usize::from(r.u16()?);
        let unhashed = r.take(unhashed_len)?;
        sig.parse_subpackets(unhashed, false, &mut created)?;
        let tag = r.take(2)?;
        sig.hash_tag = [tag[0], tag[1]];
        let count = if matches!(pubkey_algo, algorithm::RSA | algorithm::RSA_SIGN_ONLY) {
            1
        } else {
            2
        };
        for _ in 0..count {
            sig.values.push(r.mpi()?);
        }
        Ok(sig)
    }

    fn parse_subpackets(
        &mut self,
        mut area: &[u8],
        hashed: bool,
        created: &mut bool,
    ) -> Result<(), PgpError> {
        let truncated = || structural("signature subpacket truncated");
        while let Some(&first) = area.first() {
            let (len, header) = match first {
                0..=191 => (usize::from(first), 1),
                192..=254 => {
                    let second = *area.get(1).ok_or_else(truncated)?;
                    (
                        ((usize::from(first) - 192) << 8) + usize::from(second) + 192,
                        2,
                    )
                }
                255 => {
                    let b = area.get(1..5).ok_or_else(truncated)?;
                    (u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize, 5)
                }
            };
            let packet = area
                .get(header..)
                .and_then(|rest| rest.get(..len))
                .ok_or_else(truncated)?;
            area = &area[header + len..];
            let Some((&kind_byte, contents)) = packet.split_first() else {
                return Err(structural("zero length signature subpacket"));
            };
            let (kind, critical) = (kind_byte & 0x7f, kind_byte & 0x80 != 0);
            if !hashed {
                self.unhashed.push(Unhashed {
                    kind,
                    contents: contents.to_vec(),
                });
            }
            self.interpret(kind, critical, contents, hashed, created)?;
        }
        Ok(())
    }

    /// Go's per-type checks. Most informational subpackets count only in the hashed area.
    fn interpret(
        &mut self,
        kind: u8,
        critical: bool,
        contents: &[u8],
        hashed: bool,
        created: &mut bool,
    ) -> Result<(), PgpError> {
        use subpacket as sp;
        match kind {
            sp::CREATION_TIME => {
                if !hashed {
                    return Err(structural("signature creation time in non-hashed area"));
                }
                if contents.len() != 4 {
                    return Err(structural("signature creation time not four bytes"));
                }
                *created = true;
            }
            sp::SIGNATURE_EXPIRATION if hashed && contents.len() != 4 => {
                return Err(structural("expiration subpacket with bad length"));
            }
            sp::KEY_EXPIRATION if hashed && contents.len() != 4 => {
                return Err(structural("key expiration subpacket with bad length"));
            }
            sp::ISSUER => {
                let id: [u8; 8] = contents
                    .try_into()
                    .map_err(|_| structural("issuer subpacket with bad length"))?;
                self.issuer = Some(u64::from_be_bytes(id));
            }
            sp::PRIMARY_USER_ID if hashed => {
                let [flag] = contents else {
                    return Err(structural("primary user id subpacket with bad length"));
                };
                self.primary_user_id = Some(*flag > 0);
            }
            sp::KEY_FLAGS if hashed => {
                let first = contents
                    .first()
                    .ok_or_else(|| structural("empty key flags subpacket"))?;
                self.key_flags = Some(*first);
            }
            sp::REVOCATION_REASON if hashed => {
                let first = contents
                    .first()
                    .ok_or_else(|| structural("empty revocation reason subpacket"))?;
                self.revocation_reason = Some(*first);
            }
            sp::EMBEDDED_SIGNATURE => {
                if self.embedded.is_some() {
                    return Err(structural("Cannot have multiple embedded signatures"));
                }
                // Go parses it from its own buffer, so bytes after it are ignored.
                let embedded = Self::parse_from(&mut Reader::new(contents, "embedded signature"))?;
                if embedded.sig_type != sig_type::PRIMARY_KEY_BINDING {
                    return Err(structural(format!(
                        "cross-signature has unexpected type {}",
                        embedded.sig_type
                    )));
                }
                self.embedded = Some(Box::new(embedded));
            }
            sp::SIGNATURE_EXPIRATION
            | sp::KEY_EXPIRATION
            | sp::PREFERRED_SYMMETRIC
            | sp::PREFERRED_HASH
            | sp::PREFERRED_COMPRESSION
            | sp::PRIMARY_USER_ID
            | sp::KEY_FLAGS
            | sp::REVOCATION_REASON
            | sp::FEATURES => {}
            _ if critical => {
                return Err(unsupported(format!(
                    "unknown critical signature subpacket type {kind}"
                )))
            }
            sp::ISSUER_FINGERPRINT => {
                if let [4, fpr @ ..] = contents {
                    self.issuer_fingerprint = fpr.try_into().ok();
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The key ID of the issuer: the issuer subpacket, else (a fallback Go's library does
    /// not have) the low 64 bits of a v4 issuer-fingerprint subpacket.
    ///
    /// # Errors
    /// [`PgpError::Structural`] when neither is present, or when both are and disagree.
    pub(crate) fn issuer_key_id(&self) -> Result<u64, PgpError> {
        let from_fpr = self.issuer_fingerprint.map(|f| {
            let mut id = [0u8; 8];
            id.copy_from_slice(&f[12..]);
            u64::from_be_bytes(id)
        });
        match (self.issuer, from_fpr) {
            (Some(a), Some(b)) if a != b => Err(structural(
                "the issuer and issuer fingerprint subpackets name different keys",
            )),
            (Some(id), _) | (None, Some(id)) => Ok(id),
            (None, None) => Err(structural("signature doesn't have an issuer")),
        }
    }

    /// Whether the signature names `key_id` (and, when it gives one, `fingerprint`) as its
    /// issuer.
    pub(crate) fn issued_by(&self, key_id: u64, fingerprint: &[u8; 20]) -> bool {
        self.issuer_key_id().is_ok_and(|id| id == key_id)
            && self.issuer_fingerprint.is_none_or(|f| &f == fingerprint)
    }

    /// The data hashed after the signed content: the hashed part and the v4 trailer
    /// (`0x04 0xff` and the hashed part's length).
    pub(crate) fn hash_suffix(&self) -> Vec<u8> {
        let mut out = self.hashed_part.clone();
        out.extend_from_slice(&[4, 0xff]);
        out.extend_from_slice(&(self.hashed_part.len() as u32).to_be_bytes());
        out
    }

    /// Appends the packet as Go's `Signature.Serialize` writes a parsed signature.
    pub(crate) fn serialize(&self, out: &mut Vec<u8>) {
        let mut unhashed = Vec::new();
        for sp in &self.unhashed {
            write_subpacket_length(&mut unhashed, sp.contents.len() + 1);
            unhashed.push(sp.kind);
            unhashed.extend_from_slice(&sp.contents);
        }
        let values: usize = self.values.iter().map(Mpi::encoded_len).sum();
        let len = self.hashed_part.len() + 2 + unhashed.len() + 2 + values;
        write_header(out, tag::SIGNATURE, len);
        out.extend_from_slice(&self.hashed_part);
        // Never longer than the area that was read (minimal encodings), so it fits.
        out.extend_from_slice(&(unhashed.len() as u16).to_be_bytes());
        out.extend_from_slice(&unhashed);
        out.extend_from_slice(&self.hash_tag);
        for v in &self.values {
            v.write(out);
        }
    }
}

/// A subpacket length as Go writes it: one octet below 192, two below 16320, else five.
fn write_subpacket_length(out: &mut Vec<u8>, len: usize) {
    if len < 192 {
        out.push(len as u8);
    } else if len < 16320 {
        let l = len - 192;
        out.push(192 + (l >> 8) as u8);
        out.push(l as u8);
    } else {
        out.push(255);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A v4 RSA/SHA-256 signature body with the given subpacket areas.
    pub(crate) fn body(sig_type: u8, hashed: &[u8], unhashed: &[u8]) -> Vec<u8> {
        let mut b = vec![4, sig_type, algorithm::RSA, 8];
        b.extend_from_slice(&(hashed.len() as u16).to_be_bytes());
        b.extend_from_slice(hashed);
        b.extend_from_slice(&(unhashed.len() as u16).to_be_bytes());
        b.extend_from_slice(unhashed);
        b.extend_from_slice(&[0xab, 0xcd, 0, 9, 1, 0xff]);
        b
    }

    const CREATED: &[u8] = &[5, 2, 0x60, 0, 0, 0];
    const ISSUER: &[u8] = &[9, 16, 1, 2, 3, 4, 5, 6, 7, 8];

    #[test]
    fn parses_and_reserializes() {
        let b = body(0, &[CREATED, &[2, 27, 3]].concat(), ISSUER);
        let sig = Signature::parse(&b).unwrap();
        assert_eq!(sig.issuer, Some(0x0102030405060708));
        assert_eq!(sig.key_flags, Some(3));
        assert_eq!(sig.hash_tag, [0xab, 0xcd]);
        let mut out = Vec::new();
        sig.serialize(&mut out);
        assert_eq!(out[0], 0xc2);
        assert_eq!(&out[2..], b.as_slice());
        let suffix = sig.hash_suffix();
        assert_eq!(&suffix[suffix.len() - 6..], &[4, 0xff, 0, 0, 0, 6 + 9]);
    }

    #[test]
    fn unhashed_area_is_rebuilt_minimally_without_critical_bits() {
        // Issuer with a five-octet length and the critical bit set.
        let unhashed = [&[255, 0, 0, 0, 9, 0x80 | 16][..], &[1, 2, 3, 4, 5, 6, 7, 8]].concat();
        let sig = Signature::parse(&body(0, CREATED, &unhashed)).unwrap();
        let mut out = Vec::new();
        sig.serialize(&mut out);
        let expected = body(0, CREATED, ISSUER);
        assert_eq!(&out[2..], expected.as_slice());
    }

    #[test]
    fn subpacket_rules() {
        let cases: Vec<(Vec<u8>, Vec<u8>, bool)> = vec![
            (vec![], vec![], false),                                // no creation time
            (CREATED.to_vec(), CREATED.to_vec(), false),            // creation time unhashed
            ([CREATED, &[3, 2, 0]].concat(), vec![], false),        // creation time short
            (CREATED.to_vec(), vec![5, 16, 1, 2, 3, 4], false),     // short issuer
            ([CREATED, &[1, 27]].concat(), vec![], false),          // empty key flags
            ([CREATED, &[0]].concat(), vec![], false),              // zero length
            ([CREATED, &[9, 1]].concat(), vec![], false),           // length beyond the area
            ([CREATED, &[200]].concat(), vec![], false),            // two-octet length cut
            ([CREATED, &[2, 0x80 | 20, 0]].concat(), vec![], true), // critical unknown
            ([CREATED, &[2, 0x80 | 33, 0]].concat(), vec![], true), // critical fingerprint
        ];
        for (hashed, unhashed, unsupported) in cases {
            let err = Signature::parse(&body(0, &hashed, &unhashed)).unwrap_err();
            assert_eq!(
                err.is_unsupported(),
                unsupported,
                "{hashed:?} {unhashed:?}: {err}"
            );
        }
        // Informational subpackets in the unhashed area are not checked, as in Go.
        assert!(Signature::parse(&body(0, CREATED, &[1, 27])).is_ok());
        // Non-critical unknown subpackets are fine.
        assert!(Signature::parse(&body(0, &[CREATED, &[2, 99, 0]].concat(), &[])).is_ok());
    }

    #[test]
    fn versions_and_algorithms() {
        let mut b = body(0, CREATED, ISSUER);
        b[0] = 5;
        assert!(Signature::parse(&b).unwrap_err().is_unsupported());
        b[0] = 4;
        b[2] = algorithm::EDDSA;
        assert_eq!(
            Signature::parse(&b).unwrap_err().to_string(),
            "openpgp: unsupported feature: public key algorithm 22"
        );
        b[2] = algorithm::RSA;
        b[3] = 12;
        assert!(Signature::parse(&b).unwrap_err().is_unsupported());
        let mut trailing = body(0, CREATED, ISSUER);
        trailing.push(0);
        assert!(matches!(
            Signature::parse(&trailing),
            Err(PgpError::Structural(_))
        ));
        assert!(is_v3(&[3, 5]));
        assert!(!is_v3(&[4]));
    }

    #[test]
    fn issuer_from_fingerprint() {
        let mut fpr = vec![22, 33, 4];
        fpr.extend(1..=20u8);
        let sig = Signature::parse(&body(0, &[CREATED, &fpr].concat(), &[])).unwrap();
        assert_eq!(
            sig.issuer_key_id().unwrap(),
            u64::from_be_bytes([13, 14, 15, 16, 17, 18, 19, 20])
        );
        let both = Signature::parse(&body(0, &[CREATED, &fpr].concat(), ISSUER)).unwrap();
        assert!(both.issuer_key_id().is_err());
        let none = Signature::parse(&body(0, CREATED, &[])).unwrap();
        assert!(none.issuer_key_id().is_err());
    }
}
