//! An RFC 3161 timestamp authority, as Sigstore clients use it (timestamp-authority's API).
//!
//! - [`Request`] reads and checks a query (DER `TimeStampReq` or timestamp-authority's JSON
//!   form) without touching any key;
//! - [`Authority`] holds the signing key and chain and turns a checked request into a DER
//!   `TimeStampResp` (CMS SignedData over a TSTInfo, built with RustCrypto's `x509-tsp`,
//!   `cms` and `der` — no hand-written DER);
//! - [`chain`] makes the TSA's own root and timestamping leaf (`sigstack init`);
//! - [`server`] is the HTTP API: `POST /api/v1/timestamp`, `GET /api/v1/timestamp/certchain`.
//!
//! Serial numbers are 20 random bytes with 158 random bits (the top two bits fixed so the
//! INTEGER is positive and minimally encoded), as timestamp-authority does. The TSA keeps no
//! state, so there is no counter to lose or roll back on restore; two equal serials need
//! about 2^79 timestamps by the birthday bound.

pub mod chain;
mod error;
mod request;
mod response;
pub mod server;

use std::time::SystemTime;

use der::oid::ObjectIdentifier;
use der::pem::LineEnding;
use der::{Decode as _, Encode as _, EncodePem as _};
use ring::rand::SystemRandom;
use sigstack_merkle::signature::{EcdsaP256Signer, Signer as _};
use x509_cert::Certificate;

pub use error::TsaError;
pub use request::{ImprintHash, Request, MAX_DER_REQUEST, MAX_JSON_REQUEST};
pub use response::{ID_CT_TST_INFO, ID_SIGNED_DATA};

/// timestamp-authority's default (and only accepted) policy, Sigstore's arc
/// `1.3.6.1.4.1.57264.2`: tokens name it when the request names none.
pub const DEFAULT_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.2");

/// The signing key, its chain, and the policy the TSA stamps under.
pub struct Authority {
    key: EcdsaP256Signer,
    leaf: Certificate,
    chain_der: Vec<Vec<u8>>,
    policy: ObjectIdentifier,
    rng: SystemRandom,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("chain_len", &self.chain_der.len())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// An authority for the PKCS#8 (ECDSA P-256) `key` and `chain_der` = `[leaf, …, root]`.
    /// Refuses a key that is not the leaf's, a leaf that may not sign timestamps, or a chain
    /// in which a certificate is not issued by the next.
    pub fn new(key_pkcs8: &[u8], chain_der: Vec<Vec<u8>>) -> Result<Self, TsaError> {
        let key = EcdsaP256Signer::from_pkcs8_der(key_pkcs8)
            .map_err(|e| TsaError::Material(format!("the TSA key: {e}")))?;
        let certs = chain_der
            .iter()
            .map(|d| Certificate::from_der(d))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TsaError::Material(format!("the TSA chain: {e}")))?;
        let leaf = certs
            .first()
            .cloned()
            .ok_or_else(|| TsaError::Material("the TSA chain is empty".into()))?;
        if certs.len() < 2 {
            return Err(TsaError::Material(
                "the TSA chain needs the leaf and its root (at least two certificates)".into(),
            ));
        }
        if leaf.tbs_certificate.subject_public_key_info.to_der()? != key.public_key_spki_der() {
            return Err(TsaError::Material(
                "the TSA key is not the key of the chain's first certificate".into(),
            ));
        }
        chain::check_leaf(&leaf)?;
        for pair in certs.windows(2) {
            if let [child, parent] = pair {
                if child.tbs_certificate.issuer != parent.tbs_certificate.subject {
                    return Err(TsaError::Material(
                        "a TSA chain certificate is not issued by the next one".into(),
                    ));
                }
            }
        }
        Ok(Self {
            key,
            leaf,
            chain_der,
            policy: DEFAULT_POLICY,
            rng: SystemRandom::new(),
        })
    }

    /// Like [`Authority::new`], from a PEM `PRIVATE KEY` and a PEM chain.
    pub fn from_pem(key_pem: &str, chain_pem: &str) -> Result<Self, TsaError> {
        let (label, key) = der::pem::decode_vec(key_pem.as_bytes())
            .map_err(|e| TsaError::Material(format!("the TSA key is not PEM: {e}")))?;
        if label != "PRIVATE KEY" {
            return Err(TsaError::Material(format!(
                "the TSA key is a {label}, not an unencrypted PKCS#8 PRIVATE KEY"
            )));
        }
        if chain_pem.trim().is_empty() {
            return Err(TsaError::Material("the TSA chain is empty".into()));
        }
        let certs = Certificate::load_pem_chain(chain_pem.as_bytes())
            .map_err(|e| TsaError::Material(format!("the TSA chain: {e}")))?;
        let chain = certs
            .iter()
            .map(|c| c.to_der())
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(&key, chain)
    }

    /// The chain `[leaf, …, root]` in DER.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain_der
    }

    /// The chain as PEM blocks, leaf first, each ending in a newline (what
    /// `GET /api/v1/timestamp/certchain` serves and `--timestamp-certificate-chain` reads).
    pub fn chain_pem(&self) -> Result<String, TsaError> {
        let mut out = String::new();
        for der in &self.chain_der {
            out.push_str(&Certificate::from_der(der)?.to_pem(LineEnding::LF)?);
        }
        Ok(out)
    }

    /// The leaf's validity start: the earliest time a token can carry (`validFor.start` in
    /// trusted_root.json).
    pub fn not_before(&self) -> std::time::Duration {
        self.leaf
            .tbs_certificate
            .validity
            .not_before
            .to_unix_duration()
    }

    /// The DER `TimeStampResp` for a checked `request` at `now`.
    pub fn timestamp(&self, request: &Request, now: SystemTime) -> Result<Vec<u8>, TsaError> {
        let policy = match request.policy {
            None => self.policy,
            Some(p) if p == self.policy => p,
            Some(_) => return Err(TsaError::Policy),
        };
        let serial = chain::positive_random::<20>(&self.rng)?;
        let leaf_der = self
            .chain_der
            .first()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let signing = response::Signing {
            key: &self.key,
            leaf: &self.leaf,
            leaf_der,
        };
        response::build(&signing, request, policy, &serial, now)
    }
}
