//! Detached signatures: reading one as Rekor's `pgp.NewSignature` does, its canonical form,
//! and the check Go's `openpgp.CheckDetachedSignature` makes.
//!
//! Rekor keeps an armored signature exactly as it was sent (every byte, text around the
//! block included) and armors a binary one with Go's encoder; it checks only that the first
//! packet is a signature when reading, and reads further packets only while looking for one
//! whose issuer is in the key ring.

use super::armor::{self, SIGNATURE};
use super::crypto::hash_canonical_text;
use super::error::{structural, unsupported, PgpError};
use super::keyring::Entity;
use super::packet::{tag, Packets};
use super::signature::{self, sig_type, Signature};
use super::{crypto, Keyring, Refused};

/// A detached OpenPGP signature as a `rekord` entry carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DetachedSignature {
    /// The bytes as received.
    input: Vec<u8>,
    armored: bool,
    /// The binary packets (the armor body, or the input itself).
    packets: Vec<u8>,
}

/// The signature packets of a stream as Go's reader yields them: packets of types Go does
/// not know are skipped.
enum Next {
    Signature(Signature),
    V3,
    Other,
}

fn next_signature(packets: &mut Packets<'_>) -> Option<Result<Next, PgpError>> {
    loop {
        let p = match packets.next()? {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        return Some(match p.tag {
            tag::SIGNATURE if signature::is_v3(&p.body) => Ok(Next::V3),
            tag::SIGNATURE => Signature::parse(&p.body).map(Next::Signature),
            t if tag::known_to_go(t) => Ok(Next::Other),
            _ => continue,
        });
    }
}

fn v3_refused() -> PgpError {
    unsupported("signature packet version 3 (v3 signatures are not supported by this log)")
}

impl DetachedSignature {
    /// Reads a signature, armored or binary.
    ///
    /// # Errors
    /// [`Refused`] in Rekor's words: not a signature armor block, undecodable armor, a
    /// first packet that is not a (v4) signature or that does not parse.
    pub(crate) fn parse(input: &[u8]) -> Result<Self, Refused> {
        let (armored, packets) = match armor::decode(input, 0) {
            Ok(Some(block)) => {
                if block.kind != SIGNATURE {
                    return Err(Refused::NotSignatureArmor(block.kind));
                }
                (true, block.body)
            }
            Ok(None) => (false, input.to_vec()),
            Err(e) => return Err(Refused::Signature(e)),
        };
        match next_signature(&mut Packets::new(&packets)) {
            None => return Err(Refused::Signature(structural("no signature packet found"))),
            Some(Err(e)) => return Err(Refused::Signature(e)),
            Some(Ok(Next::V3)) => return Err(Refused::Signature(v3_refused())),
            Some(Ok(Next::Other)) => return Err(Refused::NoSignature),
            Some(Ok(Next::Signature(_))) => {}
        }
        Ok(DetachedSignature {
            input: input.to_vec(),
            armored,
            packets,
        })
    }

    /// The form Rekor stores: the input itself if it was armored, else Go's armoring of it.
    pub(crate) fn canonical(&self) -> Vec<u8> {
        if self.armored {
            self.input.clone()
        } else {
            armor::encode(SIGNATURE, &self.input)
        }
    }

    /// Checks the signature over `artifact` with the first signature packet whose issuer
    /// has a signing key in `keyring`, trying each such key.
    ///
    /// # Errors
    /// Go's reasons: no usable key for any issuer, a non-signature packet, an unsupported
    /// signature type or hash, or a signature that does not verify.
    pub(crate) fn verify(&self, artifact: &[u8], keyring: &Keyring) -> Result<(), PgpError> {
        let mut packets = Packets::new(&self.packets);
        let (sig, keys) = loop {
            let sig = match next_signature(&mut packets) {
                None => return Err(PgpError::UnknownIssuer),
                Some(Err(e)) => return Err(e),
                Some(Ok(Next::V3)) => return Err(v3_refused()),
                Some(Ok(Next::Other)) => return Err(structural("non signature packet found")),
                Some(Ok(Next::Signature(sig))) => sig,
            };
            let issuer = sig.issuer_key_id()?;
            let keys: Vec<_> = keyring
                .entities
                .iter()
                .flat_map(|e: &Entity| e.signing_keys(issuer))
                .filter(|k| sig.issuer_fingerprint.is_none_or(|f| f == k.fingerprint))
                .collect();
            if !keys.is_empty() {
                break (sig, keys);
            }
        };
        if !matches!(sig.sig_type, sig_type::BINARY | sig_type::TEXT) {
            return Err(unsupported(format!(
                "unsupported signature type: {}",
                sig.sig_type
            )));
        }
        let mut last = PgpError::UnknownIssuer;
        for key in keys {
            let mut h = sig
                .hash
                .hasher()
                .map_err(|_| unsupported(format!("hash not available: {}", sig.hash.name())))?;
            if sig.sig_type == sig_type::TEXT {
                hash_canonical_text(&mut h, artifact);
            } else {
                h.update(artifact);
            }
            match crypto::verify(key, &sig, h) {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}
