//! JSON Web Keys and the explicit JWS algorithm allow-list (step 4).
//!
//! The allow-list is a closed enum: `none`, every HMAC algorithm and anything unknown fail to
//! parse, so no code path can verify with them. Each algorithm names the one key type it
//! accepts; a key of another type is a [`Error::KeyAlgorithmMismatch`] (the classic key
//! confusion — e.g. an ES256 token presented against an RSA key, or HS256 keyed with an RSA
//! public key — is impossible by construction). Verification is ring's.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::Deserialize;

use crate::error::{Error, Result};

/// An allow-listed JWS algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// ECDSA P-384 with SHA-384.
    Es384,
    /// Ed25519.
    EdDsa,
}

impl Algorithm {
    /// Every allow-listed algorithm.
    pub const ALL: [Algorithm; 9] = [
        Algorithm::Rs256,
        Algorithm::Rs384,
        Algorithm::Rs512,
        Algorithm::Ps256,
        Algorithm::Ps384,
        Algorithm::Ps512,
        Algorithm::Es256,
        Algorithm::Es384,
        Algorithm::EdDsa,
    ];

    /// Parses a header `alg`; `None` for anything outside the allow-list (incl. `none`,
    /// `HS256`, `ES512`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The JOSE name.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Rs384 => "RS384",
            Algorithm::Rs512 => "RS512",
            Algorithm::Ps256 => "PS256",
            Algorithm::Ps384 => "PS384",
            Algorithm::Ps512 => "PS512",
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::EdDsa => "EdDSA",
        }
    }
}

/// One JWK as published in a JWKS. Unknown members are ignored; private members are never
/// read.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Jwk {
    /// Key type: `RSA`, `EC`, `OKP`.
    pub kty: String,
    /// Key ID.
    #[serde(default)]
    pub kid: Option<String>,
    /// Intended algorithm, if the issuer pins one.
    #[serde(default)]
    pub alg: Option<String>,
    /// Intended use; only `sig` (or absent) keys verify tokens.
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    /// RSA modulus.
    #[serde(default)]
    pub n: Option<String>,
    /// RSA exponent.
    #[serde(default)]
    pub e: Option<String>,
    /// Curve (`P-256`, `P-384`, `Ed25519`).
    #[serde(default)]
    pub crv: Option<String>,
    /// EC x / OKP public key.
    #[serde(default)]
    pub x: Option<String>,
    /// EC y.
    #[serde(default)]
    pub y: Option<String>,
}

/// A JWKS document.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// Parses a JWKS JSON document. Keys of unknown types are kept (and never match).
    pub fn from_json(bytes: &[u8]) -> std::result::Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("not a JWKS: {e}"))
    }
}

impl Jwk {
    fn kid_display(&self) -> String {
        self.kid.clone().unwrap_or_else(|| "(none)".into())
    }

    fn member(&self, v: &Option<String>, name: &str) -> Result<Vec<u8>> {
        let s = v.as_deref().ok_or_else(|| Error::BadKey {
            kid: self.kid_display(),
            reason: format!("missing {name}"),
        })?;
        URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .map_err(|_| Error::BadKey {
                kid: self.kid_display(),
                reason: format!("{name} is not base64url"),
            })
    }

    /// Whether this key may verify `alg` at all (type, curve, pinned `alg`, `use`).
    pub fn suits(&self, alg: Algorithm) -> bool {
        self.check_suits(alg).is_ok()
    }

    fn check_suits(&self, alg: Algorithm) -> Result<()> {
        let mismatch = || Error::KeyAlgorithmMismatch {
            kid: self.kid_display(),
            kty: format!(
                "{}{}",
                self.kty,
                self.crv
                    .as_deref()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default()
            ),
            alg: alg.name().to_owned(),
        };
        let type_ok = match alg {
            Algorithm::Rs256
            | Algorithm::Rs384
            | Algorithm::Rs512
            | Algorithm::Ps256
            | Algorithm::Ps384
            | Algorithm::Ps512 => self.kty == "RSA",
            Algorithm::Es256 => self.kty == "EC" && self.crv.as_deref() == Some("P-256"),
            Algorithm::Es384 => self.kty == "EC" && self.crv.as_deref() == Some("P-384"),
            Algorithm::EdDsa => self.kty == "OKP" && self.crv.as_deref() == Some("Ed25519"),
        };
        if !type_ok {
            return Err(mismatch());
        }
        if let Some(pinned) = &self.alg {
            if pinned != alg.name() {
                return Err(mismatch());
            }
        }
        if let Some(u) = &self.use_ {
            if u != "sig" {
                return Err(Error::BadKey {
                    kid: self.kid_display(),
                    reason: format!("use is {u:?}, not sig"),
                });
            }
        }
        Ok(())
    }

    /// Verifies `signature` over `message` with this key and `alg`.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> Result<()> {
        self.check_suits(alg)?;
        let ok = match alg {
            Algorithm::Rs256
            | Algorithm::Rs384
            | Algorithm::Rs512
            | Algorithm::Ps256
            | Algorithm::Ps384
            | Algorithm::Ps512 => {
                let params: &signature::RsaParameters = match alg {
                    Algorithm::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Algorithm::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Algorithm::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Algorithm::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
                    Algorithm::Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
                    _ => &signature::RSA_PSS_2048_8192_SHA512,
                };
                let n = self.member(&self.n, "n")?;
                let e = self.member(&self.e, "e")?;
                let n = strip_leading_zeros(&n);
                if n.len() * 8 < 2048 {
                    return Err(Error::BadKey {
                        kid: self.kid_display(),
                        reason: format!("RSA modulus of {} bits is below 2048", n.len() * 8),
                    });
                }
                RsaPublicKeyComponents { n, e: &e[..] }
                    .verify(params, message, signature)
                    .is_ok()
            }
            Algorithm::Es256 | Algorithm::Es384 => {
                let (params, len): (&'static signature::EcdsaVerificationAlgorithm, usize) =
                    if alg == Algorithm::Es256 {
                        (&signature::ECDSA_P256_SHA256_FIXED, 32)
                    } else {
                        (&signature::ECDSA_P384_SHA384_FIXED, 48)
                    };
                let x = self.member(&self.x, "x")?;
                let y = self.member(&self.y, "y")?;
                if x.len() != len || y.len() != len {
                    return Err(Error::BadKey {
                        kid: self.kid_display(),
                        reason: "EC coordinates have the wrong length".into(),
                    });
                }
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                UnparsedPublicKey::new(params, &point)
                    .verify(message, signature)
                    .is_ok()
            }
            Algorithm::EdDsa => {
                let x = self.member(&self.x, "x")?;
                if x.len() != 32 {
                    return Err(Error::BadKey {
                        kid: self.kid_display(),
                        reason: "Ed25519 key is not 32 bytes".into(),
                    });
                }
                UnparsedPublicKey::new(&signature::ED25519, &x)
                    .verify(message, signature)
                    .is_ok()
            }
        };
        if ok {
            Ok(())
        } else {
            Err(Error::BadSignature)
        }
    }
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[i..]
}
