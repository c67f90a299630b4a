//! Key rings: transferable public keys assembled from packets the way Go's
//! `openpgp.ReadKeyRing` / `ReadEntity` do, their re-serialization (`Entity.Serialize`), and
//! the signing-key lookup a detached signature check uses (`KeysByIdUsage`).
//!
//! Rekor stores a PGP key as Go re-serializes it, so these rules decide the canonical key
//! bytes, not just acceptance:
//! * an entity is a primary key that can sign (RSA or ECDSA here), then user IDs with their
//!   signatures, then subkeys each followed by exactly one binding signature;
//! * a user ID counts only with a valid self-signature (positive or generic certification
//!   by the primary key); the last valid one is kept, earlier self-signatures are dropped,
//!   other signatures after the user ID are kept in order; a user ID without one is
//!   dropped with everything after it up to the next user ID or subkey;
//! * signatures Go cannot attach (direct-key signatures, v3 signatures) are dropped, and a
//!   signature that follows a subkey's binding signature is attached to the last user ID;
//! * an entity that breaks a rule is skipped and reading goes on at the next primary key;
//!   if no entity is left, the last reason is the error;
//! * key revocations are verified and make the entity unusable for signatures, a subkey
//!   whose binding is a revocation with a reason is unusable; expiry is not checked.
//!
//! Go keeps identities in a map, so it writes them in a random order and a key with several
//! user IDs gets a different canonical form (and hash) from run to run. We write them in the
//! order they were read, which is one of Go's possible orders and is stable.

use super::error::{structural, PgpError};
use super::key::PublicKey;
use super::packet::{tag, Packets, RawPacket};
use super::signature::{self, sig_type, Signature, KEY_FLAG_SIGN};
use super::{crypto, Budget};

/// A user ID and the signatures Go attaches to it.
#[derive(Debug, Clone)]
struct Identity {
    user_id: Vec<u8>,
    self_signature: Option<Signature>,
    signatures: Vec<Signature>,
}

/// A subkey and its binding (or revocation) signature.
#[derive(Debug, Clone)]
struct Subkey {
    key: PublicKey,
    binding: Signature,
}

/// One transferable public key.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    primary: PublicKey,
    /// Identities with a valid self-signature, in the order read.
    identities: Vec<Identity>,
    revoked: bool,
    subkeys: Vec<Subkey>,
}

/// A packet as the entity reader sees it.
enum Item {
    PublicKey(PublicKey),
    UserId(Vec<u8>),
    Signature(Signature),
    /// A packet Go parses but `ReadEntity` ignores (a v3 signature, a user attribute, …).
    Ignored,
}

/// Go's `packet.Reader` over a stream: unknown packet types are skipped, the others parsed
/// when reached; one packet can be pushed back.
struct ItemReader<'a> {
    packets: Packets<'a>,
    pushed_back: Option<Item>,
}

impl ItemReader<'_> {
    fn next(&mut self) -> Option<Result<Item, PgpError>> {
        if let Some(item) = self.pushed_back.take() {
            return Some(Ok(item));
        }
        loop {
            let RawPacket { tag: t, body } = match self.packets.next()? {
                Ok(p) => p,
                Err(e) => return Some(Err(e)),
            };
            let item = match t {
                tag::PUBLIC_KEY | tag::PUBLIC_SUBKEY => {
                    PublicKey::parse(&body, t == tag::PUBLIC_SUBKEY).map(Item::PublicKey)
                }
                tag::USER_ID => Ok(Item::UserId(body)),
                tag::SIGNATURE if signature::is_v3(&body) => Ok(Item::Ignored),
                tag::SIGNATURE => Signature::parse(&body).map(Item::Signature),
                tag::SECRET_KEY | tag::SECRET_SUBKEY => Err(PgpError::InvalidArgument(
                    "the key contains secret-key packets; send only the public key".into(),
                )),
                t if tag::known_to_go(t) => Ok(Item::Ignored),
                _ => continue,
            };
            return Some(item);
        }
    }

    fn push_back(&mut self, item: Item) {
        self.pushed_back = Some(item);
    }
}

/// What stopped an entity: the end of the stream, or a failure.
enum Stop {
    End,
    Failed(PgpError),
}

impl From<PgpError> for Stop {
    fn from(e: PgpError) -> Self {
        Stop::Failed(e)
    }
}

/// Reads every entity of a binary key ring (one armor block, or a binary key file).
///
/// # Errors
/// A failure Go does not skip (truncation, secret-key material, a bound of ours), or the
/// last skipped entity's reason when no entity was read.
pub(crate) fn read_key_ring(data: &[u8], budget: &mut Budget) -> Result<Vec<Entity>, PgpError> {
    let mut reader = ItemReader {
        packets: Packets::new(data),
        pushed_back: None,
    };
    let mut entities = Vec::new();
    let mut last_error = None;
    loop {
        match read_entity(&mut reader, budget) {
            Ok(e) => entities.push(e),
            Err(Stop::End) => break,
            Err(Stop::Failed(e)) if e.is_skippable() => {
                last_error = Some(e);
                skip_to_next_primary(&mut reader)?;
            }
            Err(Stop::Failed(e)) => return Err(e),
        }
    }
    match (entities.is_empty(), last_error) {
        (true, Some(e)) => Err(e),
        _ => Ok(entities),
    }
}

/// Go's `readToNextPublicKey`: skips to the next primary key, stepping over packets that use
/// unsupported features but stopping at any other failure.
fn skip_to_next_primary(reader: &mut ItemReader<'_>) -> Result<(), PgpError> {
    loop {
        match reader.next() {
            None => return Ok(()),
            Some(Err(e)) if e.is_unsupported() => continue,
            Some(Err(e)) => return Err(e),
            Some(Ok(Item::PublicKey(k))) if !k.is_subkey => {
                reader.push_back(Item::PublicKey(k));
                return Ok(());
            }
            Some(Ok(_)) => {}
        }
    }
}

fn read_entity(reader: &mut ItemReader<'_>, budget: &mut Budget) -> Result<Entity, Stop> {
    let primary = match reader.next() {
        None => return Err(Stop::End),
        Some(Err(e)) => return Err(e.into()),
        Some(Ok(Item::PublicKey(k))) if !k.is_subkey => k,
        Some(Ok(other)) => {
            reader.push_back(other);
            return Err(structural("first packet was not a public/private key").into());
        }
    };
    if !primary.algorithm_can_sign() {
        return Err(structural("primary key cannot be used for signatures").into());
    }
    let mut drafts: Vec<Identity> = Vec::new();
    let mut registered: Vec<usize> = Vec::new();
    let mut current: Option<usize> = None;
    let mut revocations = Vec::new();
    let mut subkeys = Vec::new();
    'packets: loop {
        let item = match reader.next() {
            None => break,
            Some(item) => item?,
        };
        match item {
            Item::UserId(user_id) => {
                drafts.push(Identity {
                    user_id,
                    self_signature: None,
                    signatures: Vec::new(),
                });
                let id = drafts.len() - 1;
                current = Some(id);
                loop {
                    let sig = match reader.next() {
                        None => break 'packets,
                        Some(Err(e)) => return Err(e.into()),
                        Some(Ok(Item::Signature(sig))) => sig,
                        Some(Ok(other)) => {
                            reader.push_back(other);
                            continue 'packets;
                        }
                    };
                    let is_self = matches!(
                        sig.sig_type,
                        sig_type::POSITIVE_CERT | sig_type::GENERIC_CERT
                    ) && sig.issued_by(primary.key_id(), &primary.fingerprint);
                    if is_self {
                        verify_user_id(&primary, &drafts[id].user_id, &sig, budget).map_err(
                            |e| structural(format!("user ID self-signature invalid: {e}")),
                        )?;
                        drafts[id].self_signature = Some(sig);
                        register(&drafts, &mut registered, id);
                    } else {
                        drafts[id].signatures.push(sig);
                    }
                }
            }
            Item::Signature(sig) => match sig.sig_type {
                sig_type::KEY_REVOCATION => revocations.push(sig),
                sig_type::DIRECT_KEY => {}
                _ => match current {
                    Some(id) => drafts[id].signatures.push(sig),
                    None => {
                        return Err(
                            structural("signature packet found before user id packet").into()
                        )
                    }
                },
            },
            Item::PublicKey(key) if !key.is_subkey => {
                reader.push_back(Item::PublicKey(key));
                break;
            }
            Item::PublicKey(key) => subkeys.push(read_binding(reader, &primary, key, budget)?),
            Item::Ignored => {}
        }
    }
    if registered.is_empty() {
        return Err(structural("entity without any identities").into());
    }
    let mut revoked = false;
    for revocation in &revocations {
        verify_direct(&primary, revocation, budget)
            .map_err(|_| structural("revocation signature signed by alternate key"))?;
        revoked = true;
    }
    let mut identities = Vec::with_capacity(registered.len());
    for id in registered {
        identities.push(drafts[id].clone());
    }
    Ok(Entity {
        primary,
        identities,
        revoked,
        subkeys,
    })
}

/// Records identity `id` as valid. A user ID already registered by an earlier packet is
/// replaced in place (Go's map is keyed by the user ID).
fn register(drafts: &[Identity], registered: &mut Vec<usize>, id: usize) {
    if registered.contains(&id) {
        return;
    }
    match registered
        .iter()
        .position(|&j| drafts[j].user_id == drafts[id].user_id)
    {
        Some(slot) => registered[slot] = id,
        None => registered.push(id),
    }
}

/// Go's `addSubkey`: the next packet must be the subkey's binding or revocation signature.
fn read_binding(
    reader: &mut ItemReader<'_>,
    primary: &PublicKey,
    key: PublicKey,
    budget: &mut Budget,
) -> Result<Subkey, Stop> {
    let binding = match reader.next() {
        None => return Err(PgpError::Truncated("key: a subkey has no binding signature").into()),
        Some(Err(e)) => return Err(structural(format!("subkey signature invalid: {e}")).into()),
        Some(Ok(Item::Signature(sig))) => sig,
        Some(Ok(_)) => return Err(structural("subkey packet not followed by signature").into()),
    };
    if !matches!(
        binding.sig_type,
        sig_type::SUBKEY_BINDING | sig_type::SUBKEY_REVOCATION
    ) {
        return Err(structural("subkey signature with wrong type").into());
    }
    verify_binding(primary, &key, &binding, budget)
        .map_err(|e| structural(format!("subkey signature invalid: {e}")))?;
    Ok(Subkey { key, binding })
}

/// A certification of `user_id` by `primary` (RFC 4880 §5.2.4).
fn verify_user_id(
    primary: &PublicKey,
    user_id: &[u8],
    sig: &Signature,
    budget: &mut Budget,
) -> Result<(), PgpError> {
    budget.spend()?;
    let mut h = sig.hash.hasher()?;
    h.update(&primary.hashed_form());
    h.update(&[0xb4]);
    h.update(&(user_id.len() as u32).to_be_bytes());
    h.update(user_id);
    crypto::verify(primary, sig, h)
}

/// A signature over the primary key alone (a key revocation).
fn verify_direct(
    primary: &PublicKey,
    sig: &Signature,
    budget: &mut Budget,
) -> Result<(), PgpError> {
    budget.spend()?;
    let mut h = sig.hash.hasher()?;
    h.update(&primary.hashed_form());
    crypto::verify(primary, sig, h)
}

/// Go's `VerifyKeySignature`: the binding by the primary key and, for a signing subkey, the
/// embedded back-signature by the subkey over the same data.
fn verify_binding(
    primary: &PublicKey,
    subkey: &PublicKey,
    sig: &Signature,
    budget: &mut Budget,
) -> Result<(), PgpError> {
    let hashed = |sig: &Signature| -> Result<crypto::Hasher, PgpError> {
        let mut h = sig.hash.hasher()?;
        h.update(&primary.hashed_form());
        h.update(&subkey.hashed_form());
        Ok(h)
    };
    budget.spend()?;
    crypto::verify(primary, sig, hashed(sig)?)?;
    if sig.key_flags.is_some_and(|f| f & KEY_FLAG_SIGN != 0) {
        let back = sig
            .embedded
            .as_deref()
            .ok_or_else(|| structural("signing subkey is missing cross-signature"))?;
        budget.spend()?;
        let h = hashed(back)
            .map_err(|e| structural(format!("error while hashing for cross-signature: {e}")))?;
        crypto::verify(subkey, back, h)
            .map_err(|e| structural(format!("error while verifying cross-signature: {e}")))?;
    }
    Ok(())
}

impl Entity {
    /// Appends the entity as Go's `Entity.Serialize` writes it: the primary key, each
    /// identity's user ID, self-signature and other signatures, each subkey and its binding.
    pub(crate) fn serialize(&self, out: &mut Vec<u8>) {
        self.primary.serialize(out);
        for ident in &self.identities {
            super::packet::write_header(out, tag::USER_ID, ident.user_id.len());
            out.extend_from_slice(&ident.user_id);
            if let Some(sig) = &ident.self_signature {
                sig.serialize(out);
            }
            for sig in &ident.signatures {
                sig.serialize(out);
            }
        }
        for sub in &self.subkeys {
            sub.key.serialize(out);
            sub.binding.serialize(out);
        }
    }

    /// The user ID strings, in order.
    pub(crate) fn user_ids(&self) -> impl Iterator<Item = &[u8]> {
        self.identities.iter().map(|i| i.user_id.as_slice())
    }

    /// Go's `KeysByIdUsage(id, KeyFlagSign)`: the keys of this entity with key ID `id` that
    /// may verify data signatures.
    pub(crate) fn signing_keys(&self, id: u64) -> Vec<&PublicKey> {
        let mut keys = Vec::new();
        if self.revoked {
            return keys;
        }
        if self.primary.key_id() == id {
            // The self-signature of the primary user ID (or of the first one) speaks for
            // the primary key.
            let selfsig = self
                .identities
                .iter()
                .filter_map(|i| i.self_signature.as_ref())
                .find(|s| s.primary_user_id == Some(true))
                .or_else(|| {
                    self.identities
                        .first()
                        .and_then(|i| i.self_signature.as_ref())
                });
            if selfsig.is_some_and(may_sign) {
                keys.push(&self.primary);
            }
        }
        for sub in &self.subkeys {
            if sub.key.key_id() == id && may_sign(&sub.binding) {
                keys.push(&sub.key);
            }
        }
        keys
    }
}

/// Whether a key's self-signature lets it sign data: not a revocation with a reason, and
/// either no key flags or the signing flag.
fn may_sign(selfsig: &Signature) -> bool {
    selfsig.revocation_reason.is_none() && selfsig.key_flags.is_none_or(|f| f & KEY_FLAG_SIGN != 0)
}
