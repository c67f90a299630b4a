//! C2SP signed notes (<https://c2sp.org/signed-note>), with the semantics of Go's
//! `golang.org/x/mod/sumdb/note`, which every Sigstore client's note code descends from.
//!
//! A signed note is UTF-8 text ending in a newline, a blank line, then one or more lines
//! `— <key name> <base64(key ID ‖ signature)>` (U+2014 em dash). The signed message is the
//! text *including* its final newline and *excluding* the blank separator line; the *last*
//! blank line in the note is the separator, so the text itself may contain blank lines.
//!
//! A key is identified by the pair (name, 4-byte key ID). Opening a note against a set of
//! known keys follows the spec: signatures from unknown keys are reported but ignored, every
//! signature from a known key must verify, and at least one must.
//!
//! Key IDs used by Sigstore logs:
//!
//! * Ed25519 (type 0x01, Rekor v2): `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte key)[..4]`; the full
//!   32-byte hash is the Rekor v2 log ID.
//! * ECDSA (type 0x02, Rekor v1 and transparency-dev/formats): `SHA-256(DER SPKI)[..4]` — the
//!   name is *not* mixed in; the full hash is the Rekor v1 log ID.

use std::fmt;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use ring::digest::{digest, Context, SHA256};

use crate::signature::{
    EcdsaP256Verifier, Ed25519Signer, Ed25519Verifier, PublicKey, SignatureError, Signer, Verifier,
};

/// The most signatures a note may carry; longer notes are rejected as malformed. Go's
/// x/mod uses the same cap, and the spec requires accepting at least 16.
pub const MAX_SIGNATURES: usize = 100;

/// What starts every signature line: U+2014 EM DASH and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// The blank line that separates text from signatures (the text's own final newline plus an
/// empty line).
const SEPARATOR: &str = "\n\n";

/// Prefix of signer keys in the x/mod text encoding.
const SKEY_PREFIX: &str = "PRIVATE+KEY+";

/// Decodes base64 as Go's `base64.StdEncoding` does: padding required, non-zero trailing
/// bits tolerated. Matching Go keeps us from rejecting notes real clients accept; we always
/// *emit* canonical base64.
const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Decodes standard base64 with Go's leniency; `None` if it is not base64 at all.
pub(crate) fn decode_base64(input: &str) -> Option<Vec<u8>> {
    BASE64_LENIENT.decode(input).ok()
}

/// Errors from parsing, signing and verifying notes and key strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The bytes are not a well-formed signed note; the reason is for logs, not for
    /// branching.
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    /// The text to be signed cannot form a note (no final newline, control characters).
    #[error("invalid note text: {0}")]
    InvalidText(&'static str),
    /// A key name is empty or contains a Unicode space or `+`.
    #[error("invalid key name {0:?}")]
    InvalidKeyName(String),
    /// No signer was given, or adding signatures would exceed [`MAX_SIGNATURES`].
    #[error("a note needs between 1 and {MAX_SIGNATURES} signatures")]
    SignatureCount,
    /// The note parsed, but no signature came from a known key.
    #[error("note has no signature from a known key")]
    UnverifiedNote,
    /// A signature carries a known key's name and ID but does not verify.
    #[error("invalid signature for key {name}+{key_id}")]
    InvalidSignature {
        /// Key name on the signature line.
        name: String,
        /// Key ID on the signature line.
        key_id: KeyId,
    },
    /// Two of the known verifiers share a name and key ID, so a signature cannot be
    /// attributed; this is a configuration error.
    #[error("ambiguous key {name}+{key_id}: several known verifiers match")]
    AmbiguousVerifier {
        /// The shared key name.
        name: String,
        /// The shared key ID.
        key_id: KeyId,
    },
    /// A verifier key string (`name+hash+base64`) is malformed.
    #[error("malformed verifier key: {0}")]
    InvalidVerifierKey(&'static str),
    /// A signer key string (`PRIVATE+KEY+name+hash+base64`) is malformed.
    #[error("malformed signer key: {0}")]
    InvalidSignerKey(&'static str),
    /// A key string's signature type byte is unknown or not usable here.
    #[error("unsupported signature type 0x{0:02x}")]
    UnsupportedKeyType(u8),
    /// A key string's key ID is not the one its key and name produce.
    #[error("key ID mismatch: string says {stated}, key hashes to {computed}")]
    KeyIdMismatch {
        /// The ID written in the key string.
        stated: KeyId,
        /// The ID computed from the name and key.
        computed: KeyId,
    },
    /// A key could not be loaded or a signer failed.
    #[error(transparent)]
    Key(#[from] SignatureError),
}

/// The 4-byte key ID ("key hash", "key hint") that starts every note signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 4]);

impl KeyId {
    /// The first four bytes of a full 32-byte key ID.
    pub fn from_full(full: &[u8; 32]) -> Self {
        Self([full[0], full[1], full[2], full[3]])
    }
}

impl fmt::Display for KeyId {
    /// Eight lowercase hex digits, as in vkeys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// The signature type identifier bytes of the signed-note spec that sigstack understands at
/// least well enough to parse and check verifier keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureType {
    /// 0x01: Ed25519 over the note text (Rekor v2 log signatures).
    Ed25519,
    /// 0x02: ECDSA with SHA-256, DER signatures, key = DER SPKI (Rekor v1).
    Ecdsa,
    /// 0x04: timestamped Ed25519 witness cosignatures (c2sp.org/tlog-cosignature).
    CosignatureV1,
    /// 0x05: RFC 6962 `TreeHeadSignature`s (c2sp.org/static-ct-api).
    Rfc6962Sth,
}

impl SignatureType {
    /// The identifier byte.
    pub fn id(self) -> u8 {
        match self {
            Self::Ed25519 => 0x01,
            Self::Ecdsa => 0x02,
            Self::CosignatureV1 => 0x04,
            Self::Rfc6962Sth => 0x05,
        }
    }

    /// The type for an identifier byte, if known.
    pub fn from_id(id: u8) -> Option<Self> {
        match id {
            0x01 => Some(Self::Ed25519),
            0x02 => Some(Self::Ecdsa),
            0x04 => Some(Self::CosignatureV1),
            0x05 => Some(Self::Rfc6962Sth),
            _ => None,
        }
    }
}

/// Whether `name` may be a key name: non-empty, no Unicode white space, no `+` (which would
/// break the `name+hash+key` encoding).
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// The full 32-byte key ID of a log key named `name`: for Ed25519
/// `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)`, for ECDSA `SHA-256(DER SPKI)`. This is the log ID
/// Sigstore clients look a log up by (v2 and v1 respectively).
pub fn full_key_id(name: &str, key: &PublicKey) -> [u8; 32] {
    match key {
        PublicKey::Ed25519(k) => typed_key_hash(name, SignatureType::Ed25519, k.public_key_bytes()),
        PublicKey::EcdsaP256(k) => sha256(k.public_key_spki_der()),
    }
}

/// The 4-byte key ID a note signature by `key` under `name` carries.
pub fn key_id(name: &str, key: &PublicKey) -> KeyId {
    KeyId::from_full(&full_key_id(name, key))
}

/// `SHA-256(name ‖ 0x0A ‖ type ‖ key)`, the spec's recommended key hash.
fn typed_key_hash(name: &str, kind: SignatureType, key: &[u8]) -> [u8; 32] {
    let mut ctx = Context::new(&SHA256);
    ctx.update(name.as_bytes());
    ctx.update(&[b'\n', kind.id()]);
    ctx.update(key);
    to_array(ctx.finish().as_ref())
}

fn sha256(data: &[u8]) -> [u8; 32] {
    to_array(digest(&SHA256, data).as_ref())
}

fn to_array(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(bytes);
    out
}

/// The key ID a vkey of type `kind` with key bytes `key` must carry, or why it cannot.
fn expected_key_id(name: &str, kind: SignatureType, key: &[u8]) -> Result<KeyId, NoteError> {
    let full = match kind {
        SignatureType::Ed25519 | SignatureType::CosignatureV1 => {
            if key.len() != 32 {
                return Err(NoteError::InvalidVerifierKey("Ed25519 key is not 32 bytes"));
            }
            typed_key_hash(name, kind, key)
        }
        SignatureType::Ecdsa => sha256(key),
        SignatureType::Rfc6962Sth => typed_key_hash(name, kind, &sha256(key)),
    };
    Ok(KeyId::from_full(&full))
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key ID (first four bytes of the decoded base64).
    pub key_id: KeyId,
    /// The signature proper (everything after the key ID).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The encoded line, `— <name> <base64(key ID ‖ signature)>\n`.
    pub fn to_line(&self) -> String {
        let mut payload = Vec::with_capacity(4 + self.signature.len());
        payload.extend_from_slice(&self.key_id.0);
        payload.extend_from_slice(&self.signature);
        format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(payload)
        )
    }

    /// Parses one line without its newline.
    fn parse_line(line: &str) -> Result<Self, NoteError> {
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or(NoteError::Malformed(
                "signature line does not start with an em dash",
            ))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or(NoteError::Malformed("signature line has no signature"))?;
        if !is_valid_key_name(name) {
            return Err(NoteError::Malformed("invalid key name on signature line"));
        }
        let payload = decode_base64(b64).ok_or(NoteError::Malformed("signature is not base64"))?;
        match payload.split_first_chunk::<4>() {
            Some((id, signature)) if !signature.is_empty() => Ok(Self {
                name: name.to_owned(),
                key_id: KeyId(*id),
                signature: signature.to_vec(),
            }),
            _ => Err(NoteError::Malformed("signature is shorter than 5 bytes")),
        }
    }

    fn same_key(&self, name: &str, key_id: KeyId) -> bool {
        self.name == name && self.key_id == key_id
    }
}

/// A key that can sign notes under a name.
pub trait NoteSigner: Send + Sync {
    /// The key name written on signature lines.
    fn name(&self) -> &str;
    /// The key ID written before the signature.
    fn key_id(&self) -> KeyId;
    /// Signs the note text (including its final newline).
    fn sign(&self, text: &[u8]) -> Result<Vec<u8>, SignatureError>;
}

/// A known key that can check note signatures carrying its name and key ID.
pub trait NoteVerifier: Send + Sync {
    /// The key name.
    fn name(&self) -> &str;
    /// The key ID.
    fn key_id(&self) -> KeyId;
    /// Whether `signature` is a valid signature over `text` (the note text including its
    /// final newline).
    fn verify(&self, text: &[u8], signature: &[u8]) -> bool;
}

/// A name plus key ID, identifying one key that verified a note.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyRef {
    /// The key name.
    pub name: String,
    /// The key ID.
    pub key_id: KeyId,
}

/// The outcome of checking a note against known keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Known keys whose signatures verified, each once, in order of first appearance.
    pub verified: Vec<KeyRef>,
    /// Signatures from unknown keys (identical lines listed once), e.g. witness
    /// cosignatures a caller has no key for.
    pub unverified: Vec<NoteSignature>,
}

impl Verification {
    /// Whether the key `name` + `key_id` is among those that verified.
    pub fn is_verified_by(&self, name: &str, key_id: KeyId) -> bool {
        self.verified
            .iter()
            .any(|k| k.name == name && k.key_id == key_id)
    }
}

/// A parsed signed note: its text and its signature lines, in order.
///
/// Invariant: the text is valid note text and there are 1 to [`MAX_SIGNATURES`] signatures,
/// so [`Note::encode`] always yields a note that [`Note::parse`] accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    text: String,
    signatures: Vec<NoteSignature>,
}

impl Note {
    /// Parses a signed note, rejecting exactly what the spec and Go's x/mod reject: invalid
    /// UTF-8, ASCII control characters other than newline, no blank separator line, a
    /// signature block that is empty or lacks its final newline, a line not of the form
    /// `— name base64`, an invalid key name, a signature shorter than five bytes, or more
    /// than [`MAX_SIGNATURES`] lines. Signatures are not checked here; see [`Note::verify`].
    ///
    /// There is no byte limit: callers reading notes from the network cap the body size.
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        let msg = std::str::from_utf8(bytes).map_err(|_| NoteError::Malformed("not UTF-8"))?;
        if has_forbidden_control(msg) {
            return Err(NoteError::Malformed("contains a control character"));
        }
        let split = msg
            .rfind(SEPARATOR)
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let (text, block) = (&msg[..=split], &msg[split + SEPARATOR.len()..]);
        let lines = block.strip_suffix('\n').ok_or(NoteError::Malformed(
            "signature block is empty or unterminated",
        ))?;
        let signatures = lines
            .split('\n')
            .map(NoteSignature::parse_line)
            .take(MAX_SIGNATURES + 1)
            .collect::<Result<Vec<_>, _>>()?;
        if signatures.len() > MAX_SIGNATURES {
            return Err(NoteError::Malformed("too many signatures"));
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Signs `text` with every signer, in order, producing a new note.
    pub fn sign(text: impl Into<String>, signers: &[&dyn NoteSigner]) -> Result<Self, NoteError> {
        let text = text.into();
        validate_text(&text)?;
        if signers.is_empty() {
            return Err(NoteError::SignatureCount);
        }
        let mut note = Self {
            text,
            signatures: Vec::new(),
        };
        note.add_signatures(signers)?;
        Ok(note)
    }

    /// Adds signatures (e.g. a cosignature) to the note. As in x/mod, an existing signature
    /// by the same name and key ID is replaced, and new signatures follow the kept ones.
    pub fn add_signatures(&mut self, signers: &[&dyn NoteSigner]) -> Result<(), NoteError> {
        let mut fresh = Vec::with_capacity(signers.len());
        for signer in signers {
            fresh.push(self.signature_by(*signer)?);
        }
        let mut kept: Vec<NoteSignature> = self
            .signatures
            .iter()
            .filter(|old| !fresh.iter().any(|new| old.same_key(&new.name, new.key_id)))
            .cloned()
            .collect();
        if kept.len() + fresh.len() > MAX_SIGNATURES {
            return Err(NoteError::SignatureCount);
        }
        kept.append(&mut fresh);
        self.signatures = kept;
        Ok(())
    }

    fn signature_by(&self, signer: &dyn NoteSigner) -> Result<NoteSignature, NoteError> {
        let name = signer.name();
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidKeyName(name.to_owned()));
        }
        let signature = signer.sign(self.text.as_bytes())?;
        if signature.is_empty() {
            return Err(NoteError::Key(SignatureError::SigningFailed));
        }
        Ok(NoteSignature {
            name: name.to_owned(),
            key_id: signer.key_id(),
            signature,
        })
    }

    /// Checks the signatures against `known` keys (matched by name *and* key ID).
    ///
    /// Fails with [`NoteError::InvalidSignature`] if any signature from a known key does
    /// not verify — every such line is checked, duplicates included (the spec says MUST
    /// verify; x/mod skips repeats) — and with [`NoteError::UnverifiedNote`] if none
    /// verified. Signatures from unknown keys are returned in
    /// [`Verification::unverified`].
    pub fn verify(&self, known: &[&dyn NoteVerifier]) -> Result<Verification, NoteError> {
        let mut verification = Verification {
            verified: Vec::new(),
            unverified: Vec::new(),
        };
        for sig in &self.signatures {
            match find_verifier(known, &sig.name, sig.key_id)? {
                None => {
                    if !verification.unverified.contains(sig) {
                        verification.unverified.push(sig.clone());
                    }
                }
                Some(verifier) => {
                    if !verifier.verify(self.text.as_bytes(), &sig.signature) {
                        return Err(NoteError::InvalidSignature {
                            name: sig.name.clone(),
                            key_id: sig.key_id,
                        });
                    }
                    if !verification.is_verified_by(&sig.name, sig.key_id) {
                        verification.verified.push(KeyRef {
                            name: sig.name.clone(),
                            key_id: sig.key_id,
                        });
                    }
                }
            }
        }
        if verification.verified.is_empty() {
            return Err(NoteError::UnverifiedNote);
        }
        Ok(verification)
    }

    /// The signed text, including its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in note order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// The encoded note: text, blank line, signature lines.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 1 + 128 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for sig in &self.signatures {
            out.push_str(&sig.to_line());
        }
        out
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

/// Parses a note and verifies it against `known` in one step (x/mod's `Open`).
pub fn open(bytes: &[u8], known: &[&dyn NoteVerifier]) -> Result<(Note, Verification), NoteError> {
    let note = Note::parse(bytes)?;
    let verification = note.verify(known)?;
    Ok((note, verification))
}

/// The one verifier in `known` for (name, key ID), if any.
fn find_verifier<'a>(
    known: &[&'a dyn NoteVerifier],
    name: &str,
    key_id: KeyId,
) -> Result<Option<&'a dyn NoteVerifier>, NoteError> {
    let mut matches = known
        .iter()
        .filter(|v| v.name() == name && v.key_id() == key_id);
    let first = matches.next().copied();
    if matches.next().is_some() {
        return Err(NoteError::AmbiguousVerifier {
            name: name.to_owned(),
            key_id,
        });
    }
    Ok(first)
}

/// ASCII control characters other than newline are forbidden anywhere in a note. DEL
/// (0x7f) is allowed: the spec and x/mod only forbid code points below U+0020.
pub(crate) fn has_forbidden_control(s: &str) -> bool {
    s.bytes().any(|b| b < 0x20 && b != b'\n')
}

/// Checks that `text` can be the text of a note.
fn validate_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::InvalidText("text must end with a newline"));
    }
    if has_forbidden_control(text) {
        return Err(NoteError::InvalidText("text contains a control character"));
    }
    Ok(())
}

/// A log or witness key bound to its note key name.
///
/// The key ID is derived from the key as the spec says for its algorithm, so the same
/// `NamedSigner` serves Rekor v1 (ECDSA, name = hostname) and Rekor v2 (Ed25519, name =
/// origin).
#[derive(Debug)]
pub struct NamedSigner<S> {
    name: String,
    key_id: KeyId,
    public_key: PublicKey,
    signer: S,
}

impl<S: Signer> NamedSigner<S> {
    /// Binds `signer` to the key name `name`.
    pub fn new(name: impl Into<String>, signer: S) -> Result<Self, NoteError> {
        let name = name.into();
        if !is_valid_key_name(&name) {
            return Err(NoteError::InvalidKeyName(name));
        }
        let public_key = signer.public_key();
        Ok(Self {
            key_id: key_id(&name, &public_key),
            name,
            public_key,
            signer,
        })
    }

    /// The verifier for this signer's notes.
    pub fn verifier(&self) -> NamedVerifier {
        NamedVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.public_key.clone(),
        }
    }

    /// The full 32-byte key ID (the log ID clients know this log by).
    pub fn full_key_id(&self) -> [u8; 32] {
        full_key_id(&self.name, &self.public_key)
    }

    /// The wrapped signer, e.g. to sign SETs with the same key.
    pub fn inner(&self) -> &S {
        &self.signer
    }
}

impl NamedSigner<Ed25519Signer> {
    /// Parses an x/mod signer key, `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 ‖ seed)>`,
    /// checking that the key ID matches the derived public key.
    pub fn from_skey(skey: &str) -> Result<Self, NoteError> {
        let rest = skey
            .strip_prefix(SKEY_PREFIX)
            .ok_or(NoteError::InvalidSignerKey("missing PRIVATE+KEY+ prefix"))?;
        let parts = split_key_string(rest).map_err(NoteError::InvalidSignerKey)?;
        if parts.kind != SignatureType::Ed25519.id() {
            return Err(NoteError::UnsupportedKeyType(parts.kind));
        }
        let signer = Ed25519Signer::from_seed(&parts.key)
            .map_err(|_| NoteError::InvalidSignerKey("Ed25519 seed is not 32 bytes"))?;
        let named = Self::new(parts.name, signer)?;
        if named.key_id != parts.key_id {
            return Err(NoteError::KeyIdMismatch {
                stated: parts.key_id,
                computed: named.key_id,
            });
        }
        Ok(named)
    }
}

impl<S: Signer> NoteSigner for NamedSigner<S> {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> KeyId {
        self.key_id
    }

    fn sign(&self, text: &[u8]) -> Result<Vec<u8>, SignatureError> {
        self.signer.sign(text)
    }
}

/// A known log key bound to its note key name: the verifier side of [`NamedSigner`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedVerifier {
    name: String,
    key_id: KeyId,
    key: PublicKey,
}

impl NamedVerifier {
    /// Binds `key` to the key name `name`. For a Rekor v1 log the name is its hostname (the
    /// origin before `" - <treeID>"`); for v2 it is the origin.
    pub fn new(name: impl Into<String>, key: PublicKey) -> Result<Self, NoteError> {
        let name = name.into();
        if !is_valid_key_name(&name) {
            return Err(NoteError::InvalidKeyName(name));
        }
        Ok(Self {
            key_id: key_id(&name, &key),
            name,
            key,
        })
    }

    /// Parses a vkey of a type sigstack can verify (Ed25519 0x01 or ECDSA P-256 0x02).
    pub fn from_vkey(vkey: &str) -> Result<Self, NoteError> {
        let parsed = VerifierKey::parse(vkey)?;
        let key = match parsed.signature_type {
            SignatureType::Ed25519 => PublicKey::Ed25519(Ed25519Verifier::from_raw(&parsed.key)?),
            SignatureType::Ecdsa => {
                PublicKey::EcdsaP256(EcdsaP256Verifier::from_spki_der(&parsed.key)?)
            }
            other => return Err(NoteError::UnsupportedKeyType(other.id())),
        };
        Self::new(parsed.name, key)
    }

    /// This key as a vkey string.
    pub fn to_vkey(&self) -> String {
        let (signature_type, key) = match &self.key {
            PublicKey::Ed25519(k) => (SignatureType::Ed25519, k.public_key_bytes().to_vec()),
            PublicKey::EcdsaP256(k) => (SignatureType::Ecdsa, k.public_key_spki_der().to_vec()),
        };
        VerifierKey {
            name: self.name.clone(),
            key_id: self.key_id,
            signature_type,
            key,
        }
        .to_string()
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// The full 32-byte key ID (the log ID clients know this log by).
    pub fn full_key_id(&self) -> [u8; 32] {
        full_key_id(&self.name, &self.key)
    }
}

impl NoteVerifier for NamedVerifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> KeyId {
        self.key_id
    }

    fn verify(&self, text: &[u8], signature: &[u8]) -> bool {
        self.key.verify(text, signature).is_ok()
    }
}

/// A parsed verifier key string `<name>+<8 hex key ID>+<base64(type ‖ key)>`, of any type
/// whose key ID rule is known (including witness and CT types sigstack cannot verify).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    /// The key name.
    pub name: String,
    /// The key ID, already checked against the name and key.
    pub key_id: KeyId,
    /// The signature type.
    pub signature_type: SignatureType,
    /// The key bytes after the type byte (raw key for Ed25519 types, DER SPKI otherwise).
    pub key: Vec<u8>,
}

impl VerifierKey {
    /// Parses and checks a vkey: valid name, exactly eight hex digits, base64 key with a
    /// known type byte, and a key ID equal to the one the name and key produce.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let parts = split_key_string(vkey).map_err(NoteError::InvalidVerifierKey)?;
        let signature_type =
            SignatureType::from_id(parts.kind).ok_or(NoteError::UnsupportedKeyType(parts.kind))?;
        let computed = expected_key_id(&parts.name, signature_type, &parts.key)?;
        if computed != parts.key_id {
            return Err(NoteError::KeyIdMismatch {
                stated: parts.key_id,
                computed,
            });
        }
        Ok(Self {
            name: parts.name,
            key_id: parts.key_id,
            signature_type,
            key: parts.key,
        })
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut payload = Vec::with_capacity(1 + self.key.len());
        payload.push(self.signature_type.id());
        payload.extend_from_slice(&self.key);
        write!(
            f,
            "{}+{}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(payload)
        )
    }
}

/// The fields of a `name+hash+base64(type ‖ key)` string.
struct KeyStringParts {
    name: String,
    key_id: KeyId,
    kind: u8,
    key: Vec<u8>,
}

/// Splits `name+hash+base64` (shared by vkeys and the tail of skeys). Base64 may itself
/// contain `+`, so only the first two are separators.
fn split_key_string(s: &str) -> Result<KeyStringParts, &'static str> {
    let mut fields = s.splitn(3, '+');
    let (Some(name), Some(hash), Some(b64)) = (fields.next(), fields.next(), fields.next()) else {
        return Err("expected name+hash+key");
    };
    if !is_valid_key_name(name) {
        return Err("invalid key name");
    }
    let key_id = parse_key_id_hex(hash).ok_or("key ID is not 8 hex digits")?;
    let bytes = decode_base64(b64).ok_or("key is not base64")?;
    let (&kind, key) = bytes.split_first().ok_or("key is empty")?;
    if key.is_empty() {
        return Err("key is empty");
    }
    Ok(KeyStringParts {
        name: name.to_owned(),
        key_id,
        kind,
        key: key.to_vec(),
    })
}

/// Parses exactly eight hex digits (either case) as a key ID.
fn parse_key_id_hex(hex: &str) -> Option<KeyId> {
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16)
        .ok()
        .map(|v| KeyId(v.to_be_bytes()))
}
