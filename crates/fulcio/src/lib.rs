//! The identity half of sigstack's Fulcio-compatible CA, as pure logic: read Fulcio's config
//! file, check an OIDC identity token, turn its claims into a [`Principal`] (SAN + Fulcio
//! extension values), and check the requester's proof of possession.
//!
//! The only I/O is behind [`oidc::KeyStore`] (OIDC discovery + JWKS over HTTP with the
//! `http-keys` feature, or static JWKS files); reading the config file is the caller's
//! choice ([`Config::from_file`] or the pure [`Config::parse`]). The clock is always an
//! argument (`now_unix`), never read here. Certificates are built in [`cert`] from a
//! [`Principal`] and a [`pop::RequestKey`] alone.
//!
//! [`issuer::CaService`] runs one issuance end to end (token → proof of possession →
//! precertificate → CT log via the [`SctSource`] trait → final certificate with the SCT
//! embedded) on an injected [`Clock`]; the `server` feature (default) serves it as Fulcio's
//! REST API ([`server::router`]).
//!
//! Typical use:
//! ```ignore
//! let principal = verifier.authenticate(token, now_unix).await?;
//! let key = pop::verify_signed_challenge(pem, signature, &principal.name)?;
//! ```
//!
//! # Where this differs from Fulcio (on purpose; no client can tell)
//! - Config: an unknown `Type`, or a `ci-provider` naming missing metadata, fails at load
//!   (Fulcio silently does not serve the issuer); a missing `ClientID` means `sigstore`;
//!   field names match case- and dash-insensitively in both JSON and YAML; unknown keys are
//!   reported in [`Config::warnings`]. Overlapping meta-issuer patterns resolve to the most
//!   specific one (Fulcio iterates a Go map).
//! - Tokens: `exp` has 60 s of leeway (go-oidc: none); ES512 is not accepted (not in our
//!   allow-list); a `crit` header is refused; key-fetch failures are 503, not 400.
//! - Identities: the deprecated GitLab type builds URLs from the issuer (Fulcio hard-codes
//!   `gitlab.com`), the deprecated GitHub type from a GHES issuer's origin or `BaseURL`;
//!   Kubernetes tokens without namespace or service-account name are refused.
//! - Proof of possession: a P-384 challenge may be hashed with SHA-384 (Fulcio ≥ 1.7) or
//!   SHA-256 (Fulcio 1.6.5).

#![forbid(unsafe_code)]

pub mod cert;
pub mod config;
pub mod error;
pub mod identity;
pub mod issuer;
pub mod metrics;
pub mod oidc;
pub mod pop;
#[cfg(feature = "server")]
pub mod server;

pub use config::{Config, IssuerConfig, IssuerType, ResolvedIssuer};
pub use error::{Error, Result};
pub use identity::{FulcioExtensions, Principal, SubjectAltName};
pub use issuer::{CaService, Clock, IssueError, KeyProof, SctFuture, SctSource};
pub use oidc::{Verifier, VerifyOptions};
