//! OpenPGP for `rekord` entries with `format: pgp`: public keys and detached signatures,
//! read, checked and re-serialized as Rekor 1.5.3 does through Go's
//! `golang.org/x/crypto/openpgp` — a small parser of our own instead of a full OpenPGP
//! implementation, because only this subset is needed and its exact behaviour decides the
//! leaf hashes of entries.
//!
//! * [`Keyring`]: an armored or binary key ring (several keys allowed, several armor blocks
//!   too), whose canonical form is Go's `Entity.Serialize` of every key, armored by Go's
//!   encoder: new-format packet headers, the primary key, each valid user ID with its
//!   self-signature and other signatures, each subkey with its binding signature.
//! * [`DetachedSignature`]: a binary or text (type 0x00 / 0x01) v4 signature, kept verbatim
//!   when armored, armored when binary.
//!
//! Supported algorithms: RSA (PKCS #1 v1.5) and ECDSA on P-256/384/521 with SHA-1, SHA-224,
//! SHA-256, SHA-384 or SHA-512 (what Go's library verifies). Refused: EdDSA and Curve25519
//! (Rekor refuses them too), DSA and ElGamal keys (Rekor accepts them), v3 signatures (Rekor
//! accepts them), packet versions other than 4, secret keys. Every refusal is an error
//! value; nothing here panics on any input.

mod armor;
mod crypto;
mod detached;
mod error;
mod key;
mod keyring;
mod packet;
mod signature;

pub(crate) use detached::DetachedSignature;
pub(crate) use error::PgpError;

use keyring::Entity;

/// Most signature checks one key ring may ask for (self-signatures, bindings,
/// back-signatures, revocations). Real keys need a handful; the bound keeps a hostile key
/// ring from costing more than a few hundred RSA verifications.
const MAX_SIGNATURE_CHECKS: usize = 256;

/// A countdown of the signature checks a key ring may still ask for.
pub(crate) struct Budget(usize);

impl Budget {
    fn new() -> Self {
        Budget(MAX_SIGNATURE_CHECKS)
    }

    /// Takes one check from the budget.
    ///
    /// # Errors
    /// [`PgpError::TooLarge`] once the budget is spent.
    fn spend(&mut self) -> Result<(), PgpError> {
        self.0 = self.0.checked_sub(1).ok_or_else(|| {
            PgpError::TooLarge(format!(
                "the key asks for more than {MAX_SIGNATURE_CHECKS} signature checks"
            ))
        })?;
        Ok(())
    }
}

/// Why a PGP key or signature of an entry was refused, worded as Rekor words it (the
/// client-facing message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refused {
    /// The signature does not decode or its first packet does not parse.
    #[error("invalid PGP signature: {0}")]
    Signature(PgpError),
    /// Armor of another type where a signature was expected.
    #[error("invalid PGP signature provided: armor type {0:?} is not \"PGP SIGNATURE\"")]
    NotSignatureArmor(String),
    /// The first packet is not a signature.
    #[error("valid PGP signature was not detected: the first packet is not a signature")]
    NoSignature,
    /// An armored key ring that does not decode as armor.
    #[error("invalid PGP public key provided: {0}")]
    KeyArmor(PgpError),
    /// Armor of another type where a public key was expected.
    #[error("invalid PGP type detected: armor type {0:?} is not \"PGP PUBLIC KEY BLOCK\"")]
    NotKeyArmor(String),
    /// A private key block: refused rather than stripped, so that nobody logs one by mistake.
    #[error("a PGP private key was given; send the public key (gpg --export --armor) instead")]
    PrivateKey,
    /// An armored key ring whose packets do not form a usable key.
    #[error("error reading PGP public key: {0}")]
    Key(PgpError),
    /// A binary key ring whose packets do not form a usable key.
    #[error("error reading binary PGP public key: {0}")]
    BinaryKey(PgpError),
    /// Nothing that could be read as a key.
    #[error("no PGP public keys could be read")]
    NoKeys,
}

impl Refused {
    /// Whether the input is valid OpenPGP using something this log does not implement.
    pub(crate) fn is_unsupported(&self) -> bool {
        match self {
            Refused::Signature(e) | Refused::Key(e) | Refused::BinaryKey(e) => e.is_unsupported(),
            _ => false,
        }
    }
}

/// One or more OpenPGP public keys.
#[derive(Debug, Clone)]
pub(crate) struct Keyring {
    entities: Vec<Entity>,
}

impl Keyring {
    /// Reads a key ring as Rekor's `pgp.NewPublicKey` does: armored if the input starts with
    /// `-----BEGIN PGP` (after optional whitespace, which Rekor does not allow), every armor
    /// block up to the last END line is read, else binary.
    ///
    /// # Errors
    /// [`Refused`] with the first reason that stops reading, or [`Refused::NoKeys`].
    pub(crate) fn parse(input: &[u8]) -> Result<Self, Refused> {
        let mut budget = Budget::new();
        let mut entities = Vec::new();
        if input.trim_ascii_start().starts_with(b"-----BEGIN PGP") {
            let mut from = 0;
            while let Some(block) = armor::decode(input, from).map_err(Refused::KeyArmor)? {
                from = block.end;
                match block.kind.as_str() {
                    armor::PUBLIC_KEY => {}
                    armor::PRIVATE_KEY => return Err(Refused::PrivateKey),
                    _ => return Err(Refused::NotKeyArmor(block.kind)),
                }
                entities.extend(
                    keyring::read_key_ring(&block.body, &mut budget).map_err(Refused::Key)?,
                );
            }
        } else {
            entities = keyring::read_key_ring(input, &mut budget).map_err(Refused::BinaryKey)?;
        }
        if entities.is_empty() {
            return Err(Refused::NoKeys);
        }
        Ok(Keyring { entities })
    }

    /// The canonical form Rekor stores: every key serialized as Go does, in one armor block.
    pub(crate) fn canonical(&self) -> Vec<u8> {
        let mut packets = Vec::new();
        for e in &self.entities {
            e.serialize(&mut packets);
        }
        armor::encode(armor::PUBLIC_KEY, &packets)
    }

    /// The e-mail part of every user ID (Go's `parseUserId`), in order; the caller decides
    /// which look like addresses.
    pub(crate) fn emails(&self) -> Vec<String> {
        self.entities
            .iter()
            .flat_map(Entity::user_ids)
            .filter_map(|uid| std::str::from_utf8(user_id_email(uid)).ok())
            .map(str::to_owned)
            .collect()
    }
}

/// The e-mail of a user ID conventionally written `Name (Comment) <email>`, as Go's
/// `parseUserId` finds it: the text between the first `<` after the name (and comment) and
/// the next `>`, or up to the end if there is no `>`; trimmed; empty without a `<`.
fn user_id_email(uid: &[u8]) -> &[u8] {
    #[derive(PartialEq)]
    enum State {
        Name,
        Comment,
        AfterComment,
        EmailStart,
        Email,
        Done,
    }
    let mut state = State::Name;
    let (mut start, mut end) = (0, 0);
    for (i, &b) in uid.iter().enumerate() {
        match state {
            State::Name if b == b'(' => state = State::Comment,
            State::Name | State::AfterComment if b == b'<' => state = State::EmailStart,
            State::Comment if b == b')' => state = State::AfterComment,
            State::EmailStart => {
                start = i;
                state = if b == b'>' {
                    end = i;
                    State::Done
                } else {
                    State::Email
                };
            }
            State::Email if b == b'>' => {
                end = i;
                state = State::Done;
            }
            _ => {}
        }
    }
    if state == State::Email {
        end = uid.len();
    }
    uid[start..end].trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_id_emails_as_go_parses_them() {
        let cases: [(&[u8], &[u8]); 10] = [
            (
                b"Golden rsa2048 <golden-pgp@example.com>",
                b"golden-pgp@example.com",
            ),
            (b"Name (comment) <a@b.c>", b"a@b.c"),
            (b"Name (com<ment) <a@b.c>", b"a@b.c"),
            (b"<only@example.com>", b"only@example.com"),
            (b"bare@example.com", b""),
            (
                b"Name <unterminated@example.com",
                b"unterminated@example.com",
            ),
            (b"Name < spaced@example.com >", b"spaced@example.com"),
            (b"Name <>", b""),
            (b"Name <", b""),
            (b"", b""),
        ];
        for (uid, email) in cases {
            assert_eq!(
                user_id_email(uid),
                email,
                "{}",
                String::from_utf8_lossy(uid)
            );
        }
    }
}
