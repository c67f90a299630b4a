//! Signing keys of the test issuer: their JWK, their SPKI PEM, JWS signatures and plain
//! (proof-of-possession style, DER-encoded ECDSA) signatures.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use serde_json::{json, Value};

use crate::der;

/// Fixed throw-away RSA-2048 keys (PKCS#8): RSA generation is too slow for debug-build tests.
const RSA_A: &str = include_str!("keys/rsa2048-a.pk8.pem");
const RSA_B: &str = include_str!("keys/rsa2048-b.pk8.pem");

/// The kind of a test key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA-2048: signs RS256/384/512 and PS256/384/512.
    Rsa,
    /// ECDSA P-256: signs ES256.
    EcP256,
    /// ECDSA P-384: signs ES384.
    EcP384,
    /// Ed25519: signs EdDSA.
    Ed25519,
}

impl KeyKind {
    /// The JWS algorithm a token signed by this kind of key uses by default.
    pub fn default_alg(self) -> &'static str {
        self.default_algs()[0]
    }

    pub(crate) fn default_algs(self) -> &'static [&'static str] {
        match self {
            KeyKind::Rsa => &["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
            KeyKind::EcP256 => &["ES256"],
            KeyKind::EcP384 => &["ES384"],
            KeyKind::Ed25519 => &["EdDSA"],
        }
    }
}

/// A signing key with a `kid`.
pub struct TestKey {
    kid: String,
    kind: KeyKind,
    /// PKCS#8 DER of the private key.
    pkcs8: Vec<u8>,
}

impl TestKey {
    /// The fixed RSA-2048 key "A" under `kid`.
    pub fn rsa(kid: &str) -> Self {
        Self::from_pkcs8(kid, KeyKind::Rsa, der::pem_decode(RSA_A))
    }

    /// The fixed RSA-2048 key "B" (a different key) under `kid`.
    pub fn rsa_b(kid: &str) -> Self {
        Self::from_pkcs8(kid, KeyKind::Rsa, der::pem_decode(RSA_B))
    }

    /// A fresh ECDSA P-256 key.
    pub fn es256(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("P-256 key generation");
        Self::from_pkcs8(kid, KeyKind::EcP256, doc.as_ref().to_vec())
    }

    /// A fresh ECDSA P-384 key.
    pub fn es384(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
            .expect("P-384 key generation");
        Self::from_pkcs8(kid, KeyKind::EcP384, doc.as_ref().to_vec())
    }

    /// A fresh Ed25519 key.
    pub fn ed25519(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng).expect("Ed25519 key generation");
        Self::from_pkcs8(kid, KeyKind::Ed25519, doc.as_ref().to_vec())
    }

    /// A key from PKCS#8 PEM text (e.g. the golden capture keys), ECDSA or Ed25519 or RSA.
    ///
    /// # Panics
    /// If the PEM is not a PKCS#8 key of `kind`.
    pub fn from_pkcs8_pem(kid: &str, kind: KeyKind, pem: &str) -> Self {
        let key = Self::from_pkcs8(kid, kind, der::pem_decode(pem));
        // Fail now rather than at first use.
        let _ = key.sign_raw(b"probe");
        key
    }

    fn from_pkcs8(kid: &str, kind: KeyKind, pkcs8: Vec<u8>) -> Self {
        Self {
            kid: kid.to_owned(),
            kind,
            pkcs8,
        }
    }

    /// The same key material under another `kid`.
    pub fn with_kid(&self, kid: &str) -> Self {
        Self::from_pkcs8(kid, self.kind, self.pkcs8.clone())
    }

    /// The key ID.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key kind.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    fn rsa_pair(&self) -> RsaKeyPair {
        RsaKeyPair::from_pkcs8(&self.pkcs8).expect("valid RSA PKCS#8")
    }

    fn ec_pair(&self, asn1: bool) -> EcdsaKeyPair {
        let alg = match (self.kind, asn1) {
            (KeyKind::EcP256, false) => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            (KeyKind::EcP256, true) => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            (KeyKind::EcP384, false) => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            (KeyKind::EcP384, true) => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            _ => panic!("not an ECDSA key"),
        };
        EcdsaKeyPair::from_pkcs8(alg, &self.pkcs8, &SystemRandom::new()).expect("valid EC PKCS#8")
    }

    fn ed_pair(&self) -> Ed25519KeyPair {
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(&self.pkcs8).expect("valid Ed25519 PKCS#8")
    }

    /// Raw public key bytes: RSAPublicKey DER, the uncompressed EC point, or the Ed25519 key.
    fn public_raw(&self) -> Vec<u8> {
        match self.kind {
            KeyKind::Rsa => self.rsa_pair().public().as_ref().to_vec(),
            KeyKind::EcP256 | KeyKind::EcP384 => self.ec_pair(false).public_key().as_ref().to_vec(),
            KeyKind::Ed25519 => self.ed_pair().public_key().as_ref().to_vec(),
        }
    }

    /// DER SubjectPublicKeyInfo of the public key.
    pub fn public_key_der(&self) -> Vec<u8> {
        let alg = match self.kind {
            KeyKind::Rsa => der::RSA_ALG_ID,
            KeyKind::EcP256 => der::P256_ALG_ID,
            KeyKind::EcP384 => der::P384_ALG_ID,
            KeyKind::Ed25519 => der::ED25519_ALG_ID,
        };
        der::spki(alg, &self.public_raw())
    }

    /// PEM (`PUBLIC KEY`) of the public key, as clients send it and as key-confusion attacks
    /// use it for an HMAC secret.
    pub fn public_key_pem(&self) -> String {
        der::pem("PUBLIC KEY", &self.public_key_der())
    }

    /// The public JWK, with `kid`, `use: sig` and (except for RSA) the key's `alg`.
    pub fn jwk(&self) -> Value {
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        match self.kind {
            KeyKind::Rsa => {
                let pair = self.rsa_pair();
                let c: signature::RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
                // No `alg`: one RSA key may sign RS* and PS* tokens.
                json!({"kty": "RSA", "kid": self.kid, "use": "sig",
                       "n": b64(&c.n), "e": b64(&c.e)})
            }
            KeyKind::EcP256 | KeyKind::EcP384 => {
                let point = self.public_raw();
                let n = (point.len() - 1) / 2;
                let (crv, alg) = if self.kind == KeyKind::EcP256 {
                    ("P-256", "ES256")
                } else {
                    ("P-384", "ES384")
                };
                json!({"kty": "EC", "kid": self.kid, "use": "sig", "alg": alg, "crv": crv,
                       "x": b64(&point[1..1 + n]), "y": b64(&point[1 + n..])})
            }
            KeyKind::Ed25519 => {
                json!({"kty": "OKP", "kid": self.kid, "use": "sig", "alg": "EdDSA",
                       "crv": "Ed25519", "x": b64(&self.public_raw())})
            }
        }
    }

    /// A JWS signature over `signing_input` with `alg` (which must suit the key kind).
    ///
    /// # Panics
    /// If `alg` does not suit the key (test support: build mismatches by hand instead).
    pub fn sign_jws(&self, alg: &str, signing_input: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match (self.kind, alg) {
            (KeyKind::Rsa, _) => {
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    "RS256" => &signature::RSA_PKCS1_SHA256,
                    "RS384" => &signature::RSA_PKCS1_SHA384,
                    "RS512" => &signature::RSA_PKCS1_SHA512,
                    "PS256" => &signature::RSA_PSS_SHA256,
                    "PS384" => &signature::RSA_PSS_SHA384,
                    "PS512" => &signature::RSA_PSS_SHA512,
                    other => panic!("RSA key cannot sign {other}"),
                };
                let pair = self.rsa_pair();
                let mut sig = vec![0u8; pair.public().modulus_len()];
                pair.sign(padding, &rng, signing_input, &mut sig)
                    .expect("RSA signing");
                sig
            }
            (KeyKind::EcP256, "ES256") | (KeyKind::EcP384, "ES384") => self
                .ec_pair(false)
                .sign(&rng, signing_input)
                .expect("ECDSA signing")
                .as_ref()
                .to_vec(),
            (KeyKind::Ed25519, "EdDSA") => self.ed_pair().sign(signing_input).as_ref().to_vec(),
            (kind, alg) => panic!("{kind:?} key cannot sign {alg}"),
        }
    }

    /// A plain signature over `message` as Sigstore clients make proofs of possession:
    /// ECDSA (DER `Ecdsa-Sig-Value`) with the curve's hash, RSA PKCS#1 v1.5 SHA-256, or pure
    /// Ed25519.
    pub fn sign_raw(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self.kind {
            KeyKind::Rsa => {
                let pair = self.rsa_pair();
                let mut sig = vec![0u8; pair.public().modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .expect("RSA signing");
                sig
            }
            KeyKind::EcP256 | KeyKind::EcP384 => self
                .ec_pair(true)
                .sign(&rng, message)
                .expect("ECDSA signing")
                .as_ref()
                .to_vec(),
            KeyKind::Ed25519 => self.ed_pair().sign(message).as_ref().to_vec(),
        }
    }
}
