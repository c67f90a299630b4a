//! Issuance orchestration: token → principal → proof of possession → profile →
//! precertificate → CT log → final certificate with the SCT embedded.
//!
//! The order is the contract (spec §7.4): nothing is signed before the token and the proof of
//! possession both check out, and no certificate leaves [`CaService::issue`] unless the CT
//! log returned an SCT, i.e. the precertificate is durable in the log. The CA keeps no state
//! of its own: the only record of an issued certificate is its precertificate in the log.
//!
//! Time comes from an injected [`Clock`], read once per request, so the token's `exp`/`nbf`
//! checks and the certificate's ten-minute validity use the same instant.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use sigstack_ct::{LogPublicKey, SignedCertificateTimestamp, SignedEntry};

use crate::cert::{CertError, CertificateAuthority, CertificateProfile, IssuedCertificate};
use crate::config::Config;
use crate::error::Error;
use crate::identity::Principal;
use crate::metrics::CaMetrics;
use crate::oidc::Verifier;
use crate::pop::{self, RequestKey};

/// The future an [`SctSource`] returns (boxed so the trait is object-safe).
pub type SctFuture<'a> =
    Pin<Box<dyn Future<Output = Result<SignedCertificateTimestamp, String>> + Send + 'a>>;

/// Where precertificates go to be logged: the embedded CT log in `sigstack serve`, or a fake
/// in tests.
///
/// Contract: `chain` is `[precertificate DER, issuing CA DER, …, root DER]` (the
/// `add-pre-chain` chain, root included). `Ok` means the precertificate entry is **durable**
/// in the log and the SCT signs exactly that entry; the CA embeds it and hands the certificate
/// out. `Err` (its text is logged, never sent) means nothing may be issued; the request gets
/// 503 and the client may retry — a retry issues a fresh precertificate, so a log that fails
/// after persisting only leaves an unused entry behind. Must be safe to call concurrently.
pub trait SctSource: Send + Sync {
    /// Logs the precertificate chain and returns its SCT once the entry is durable.
    fn submit_precert(&self, chain: Vec<Vec<u8>>) -> SctFuture<'_>;
}

/// The CA's clock. Injected so tests are reproducible; the binary passes
/// `Arc::new(SystemTime::now)` (any `Fn() -> SystemTime` is a clock).
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<F: Fn() -> SystemTime + Send + Sync> Clock for F {
    fn now(&self) -> SystemTime {
        self()
    }
}

/// How the requester proves it holds the private key to be certified (spec §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyProof {
    /// A public key (PEM or DER SPKI) and a signature over the principal's name.
    SignedChallenge {
        /// The key as sent (`publicKey.content`, already base64-decoded for v1).
        public_key: Vec<u8>,
        /// `proofOfPossession` / `signedEmailAddress`, base64-decoded.
        signature: Vec<u8>,
    },
    /// A PEM PKCS#10 request; its self-signature is the proof.
    Csr(Vec<u8>),
    /// The request carried neither (Fulcio answers "public key could not be parsed", after
    /// checking the token).
    Missing,
}

/// Why issuance failed. The HTTP layer maps each variant to one status and message.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// Token, identity or proof-of-possession refusal (or the issuer's keys unreachable);
    /// [`Error::client_message`] says what the client sees; the HTTP layer picks the status.
    #[error(transparent)]
    Request(#[from] Error),
    /// The principal cannot be put in a certificate (Fulcio shows this text, 400).
    #[error("{0}")]
    Unembeddable(String),
    /// The CT log did not return an SCT: nothing was issued (503, retryable).
    #[error("CT log submission failed: {0}")]
    CtLog(String),
    /// The CA could not sign (a server fault, 500).
    #[error("CA failure: {0}")]
    Ca(CertError),
    /// The caller's gate refused the authenticated identity (a rate limit; 429 with
    /// `Retry-After`). Nothing was signed.
    #[error("too many certificate requests for this identity, retry later")]
    Throttled {
        /// How long until the identity may ask again.
        retry_after: std::time::Duration,
    },
}

impl From<CertError> for IssueError {
    fn from(e: CertError) -> Self {
        match e {
            CertError::InvalidRequest(why) => IssueError::Unembeddable(why),
            other => IssueError::Ca(other),
        }
    }
}

/// The certificate authority as a service: the token verifier, the CA, the CT log and the
/// clock. Cheap to share (`Arc<CaService>`); all methods take `&self`.
pub struct CaService {
    verifier: Verifier,
    ca: Arc<CertificateAuthority>,
    sct: Arc<dyn SctSource>,
    clock: Arc<dyn Clock>,
    log_key: Option<LogPublicKey>,
    metrics: CaMetrics,
}

impl std::fmt::Debug for CaService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaService")
            .field("ca", &self.ca)
            .finish_non_exhaustive()
    }
}

impl CaService {
    /// A service issuing with `ca` for tokens `verifier` accepts, logging every
    /// precertificate to `sct`, at the time `clock` tells.
    pub fn new(
        verifier: Verifier,
        ca: Arc<CertificateAuthority>,
        sct: Arc<dyn SctSource>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            verifier,
            ca,
            sct,
            clock,
            log_key: None,
            metrics: CaMetrics::default(),
        }
    }

    /// Verifies every SCT with the CT log's public key before embedding it, so a log that
    /// signs with the wrong key or over the wrong entry yields 503 instead of certificates
    /// that every client rejects.
    pub fn with_log_key(mut self, key: LogPublicKey) -> Self {
        self.log_key = Some(key);
        self
    }

    /// The Fulcio configuration (issuers) this service accepts tokens for.
    pub fn config(&self) -> &Config {
        self.verifier.config()
    }

    /// What the HTTP layer counted (certificate requests, token rejections), for export.
    pub fn metrics(&self) -> &CaMetrics {
        &self.metrics
    }

    /// The certificate authority.
    pub fn ca(&self) -> &CertificateAuthority {
        &self.ca
    }

    /// Issues a certificate for the holder of `token` and the key `proof` proves.
    ///
    /// Steps, each a gate for the next: authenticate the token at the clock's time; verify
    /// the proof of possession against the principal's name; build the profile; sign the
    /// precertificate; get the SCT from the CT log (and check it, see
    /// [`CaService::with_log_key`]); sign the final certificate with the SCT embedded.
    /// Returns the leaf and its chain (issuing CA first, root last).
    pub async fn issue(
        &self,
        token: &str,
        proof: KeyProof,
    ) -> Result<IssuedCertificate, IssueError> {
        self.issue_gated(token, proof, |_| Ok(())).await
    }

    /// [`CaService::issue`], with `gate` asked about the authenticated principal before
    /// anything else is done: a per-identity rate limit answers there, after the token has
    /// been verified (so nobody can spend another identity's allowance) and before any
    /// signing or CT log work.
    pub async fn issue_gated(
        &self,
        token: &str,
        proof: KeyProof,
        gate: impl FnOnce(&Principal) -> Result<(), IssueError>,
    ) -> Result<IssuedCertificate, IssueError> {
        let now = self.clock.now();
        let now_unix = unix_seconds(now);
        let principal = self.verifier.authenticate(token, now_unix).await?;
        gate(&principal)?;
        let key = prove_possession(&proof, &principal.name)?;
        let profile = CertificateProfile::for_principal(&principal, &key.spki_der)?;
        let pre = self.ca.precertificate(&profile, now)?;
        let mut chain = Vec::with_capacity(1 + self.ca.chain_der().len());
        chain.push(pre.der().to_vec());
        chain.extend(self.ca.chain_der().iter().cloned());
        let sct = self
            .sct
            .submit_precert(chain)
            .await
            .map_err(IssueError::CtLog)?;
        if let Some(key) = &self.log_key {
            let entry = SignedEntry::Precert(pre.ct_entry()?);
            sct.verify(&entry, key)
                .map_err(|e| IssueError::CtLog(format!("the SCT does not verify: {e}")))?;
        }
        Ok(self.ca.certificate(pre, std::slice::from_ref(&sct))?)
    }
}

/// Step 2: the key whose possession `proof` shows, for the principal named `name`.
fn prove_possession(proof: &KeyProof, name: &str) -> Result<RequestKey, Error> {
    match proof {
        KeyProof::SignedChallenge {
            public_key,
            signature,
        } => pop::verify_signed_challenge(public_key, signature, name),
        KeyProof::Csr(csr) => pop::verify_csr(csr),
        KeyProof::Missing => Err(Error::PublicKeyUnparsable(
            "the request has neither a public key nor a CSR".into(),
        )),
    }
}

/// Whole seconds since the epoch (a clock before 1970 reads as 0, which every token fails).
fn unix_seconds(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0)
}
