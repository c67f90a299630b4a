//! Identity types: from verified token claims to a [`Principal`] — the name the client signs
//! for proof of possession, the SAN, and every Fulcio extension value (§6.4, §7.3).
//!
//! This module decides *values* only; encoding them into DER (RAW for .1.1–.1.6, UTF8String
//! for .1.8 and later) belongs to the certificate module, which sees nothing but
//! [`Principal`]. No URL base is hard-coded for self-hostable systems: GitLab's comes from
//! `iss`, the others from the issuer's `BaseURL` or the ci-provider template defaults, with the
//! public SaaS URL only as the fallback Fulcio also uses.

mod builtin;
mod ci_provider;
mod claims;
mod email;
mod generic;
pub mod template;
pub(crate) mod url;

use crate::config::{Config, IssuerType, ResolvedIssuer};
use crate::error::Result;

pub(crate) use self::claims::Claims;

/// OID arc of Fulcio's extensions; extension `.1.N` is `1.3.6.1.4.1.57264.1.N`.
pub const FULCIO_OID_ARC: &str = "1.3.6.1.4.1.57264.1";
/// type-id of the `username` otherName SAN (`1.3.6.1.4.1.57264.1.7`).
pub const OTHER_NAME_USERNAME_OID: &str = "1.3.6.1.4.1.57264.1.7";

/// The one subject alternative name of a leaf certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectAltName {
    /// rfc822Name.
    Email(String),
    /// uniformResourceIdentifier.
    Uri(String),
    /// otherName: `type_id` (dotted OID) with an `[0] EXPLICIT UTF8String` value.
    OtherName {
        /// The type-id OID, [`OTHER_NAME_USERNAME_OID`].
        type_id: String,
        /// The value, `sub!SubjectDomain`.
        value: String,
    },
}

/// Every Fulcio extension value (§7.3). `None` = not emitted; values are never empty.
/// .1.1–.1.6 are encoded RAW (the UTF-8 bytes are the extnValue), .1.8 onwards as a DER
/// UTF8String inside the extnValue; .1.7 is the otherName type-id, not an extension.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FulcioExtensions {
    /// 1.3.6.1.4.1.57264.1.1 — Issuer (deprecated, RAW). Always set, equal to `issuer_v2`.
    pub issuer_v1: Option<String>,
    /// 1.3.6.1.4.1.57264.1.2 — GitHub Workflow Trigger (deprecated, RAW).
    pub github_workflow_trigger: Option<String>,
    /// 1.3.6.1.4.1.57264.1.3 — GitHub Workflow SHA (deprecated, RAW).
    pub github_workflow_sha: Option<String>,
    /// 1.3.6.1.4.1.57264.1.4 — GitHub Workflow Name (deprecated, RAW).
    pub github_workflow_name: Option<String>,
    /// 1.3.6.1.4.1.57264.1.5 — GitHub Workflow Repository (deprecated, RAW).
    pub github_workflow_repository: Option<String>,
    /// 1.3.6.1.4.1.57264.1.6 — GitHub Workflow Ref (deprecated, RAW).
    pub github_workflow_ref: Option<String>,
    /// 1.3.6.1.4.1.57264.1.8 — Issuer (V2). Always set.
    pub issuer_v2: Option<String>,
    /// 1.3.6.1.4.1.57264.1.9 — Build Signer URI.
    pub build_signer_uri: Option<String>,
    /// 1.3.6.1.4.1.57264.1.10 — Build Signer Digest.
    pub build_signer_digest: Option<String>,
    /// 1.3.6.1.4.1.57264.1.11 — Runner Environment.
    pub runner_environment: Option<String>,
    /// 1.3.6.1.4.1.57264.1.12 — Source Repository URI.
    pub source_repository_uri: Option<String>,
    /// 1.3.6.1.4.1.57264.1.13 — Source Repository Digest.
    pub source_repository_digest: Option<String>,
    /// 1.3.6.1.4.1.57264.1.14 — Source Repository Ref.
    pub source_repository_ref: Option<String>,
    /// 1.3.6.1.4.1.57264.1.15 — Source Repository Identifier.
    pub source_repository_identifier: Option<String>,
    /// 1.3.6.1.4.1.57264.1.16 — Source Repository Owner URI.
    pub source_repository_owner_uri: Option<String>,
    /// 1.3.6.1.4.1.57264.1.17 — Source Repository Owner Identifier.
    pub source_repository_owner_identifier: Option<String>,
    /// 1.3.6.1.4.1.57264.1.18 — Build Config URI.
    pub build_config_uri: Option<String>,
    /// 1.3.6.1.4.1.57264.1.19 — Build Config Digest.
    pub build_config_digest: Option<String>,
    /// 1.3.6.1.4.1.57264.1.20 — Build Trigger.
    pub build_trigger: Option<String>,
    /// 1.3.6.1.4.1.57264.1.21 — Run Invocation URI.
    pub run_invocation_uri: Option<String>,
    /// 1.3.6.1.4.1.57264.1.22 — Source Repository Visibility At Signing.
    pub source_repository_visibility_at_signing: Option<String>,
    /// 1.3.6.1.4.1.57264.1.23 — Deployment Environment.
    pub deployment_environment: Option<String>,
    /// 1.3.6.1.4.1.57264.1.24 — Token Subject (the token's `sub`).
    pub subject: Option<String>,
}

/// How an extension's value is placed in its extnValue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtensionEncoding {
    /// The UTF-8 bytes directly (.1.1–.1.6; non-conformant, kept for old clients).
    Raw,
    /// A DER UTF8String (.1.8 onwards).
    Utf8String,
}

impl FulcioExtensions {
    /// `(last OID arc, encoding, value)` of every set extension, in the order Fulcio emits
    /// them (§7.1 item 6: .1.1, .1.2–.1.6, .1.8, .1.9–.1.23, .1.24).
    pub fn entries(&self) -> Vec<(u32, ExtensionEncoding, &str)> {
        use ExtensionEncoding::{Raw, Utf8String as Der};
        let all: [(u32, ExtensionEncoding, &Option<String>); 23] = [
            (1, Raw, &self.issuer_v1),
            (2, Raw, &self.github_workflow_trigger),
            (3, Raw, &self.github_workflow_sha),
            (4, Raw, &self.github_workflow_name),
            (5, Raw, &self.github_workflow_repository),
            (6, Raw, &self.github_workflow_ref),
            (8, Der, &self.issuer_v2),
            (9, Der, &self.build_signer_uri),
            (10, Der, &self.build_signer_digest),
            (11, Der, &self.runner_environment),
            (12, Der, &self.source_repository_uri),
            (13, Der, &self.source_repository_digest),
            (14, Der, &self.source_repository_ref),
            (15, Der, &self.source_repository_identifier),
            (16, Der, &self.source_repository_owner_uri),
            (17, Der, &self.source_repository_owner_identifier),
            (18, Der, &self.build_config_uri),
            (19, Der, &self.build_config_digest),
            (20, Der, &self.build_trigger),
            (21, Der, &self.run_invocation_uri),
            (22, Der, &self.source_repository_visibility_at_signing),
            (23, Der, &self.deployment_environment),
            (24, Der, &self.subject),
        ];
        all.into_iter()
            .filter_map(|(arc, enc, v)| v.as_deref().map(|v| (arc, enc, v)))
            .collect()
    }

    /// Replaces empty strings by `None` (Fulcio emits only non-empty values).
    pub(crate) fn drop_empty(mut self) -> Self {
        for v in [
            &mut self.issuer_v1,
            &mut self.github_workflow_trigger,
            &mut self.github_workflow_sha,
            &mut self.github_workflow_name,
            &mut self.github_workflow_repository,
            &mut self.github_workflow_ref,
            &mut self.issuer_v2,
            &mut self.build_signer_uri,
            &mut self.build_signer_digest,
            &mut self.runner_environment,
            &mut self.source_repository_uri,
            &mut self.source_repository_digest,
            &mut self.source_repository_ref,
            &mut self.source_repository_identifier,
            &mut self.source_repository_owner_uri,
            &mut self.source_repository_owner_identifier,
            &mut self.build_config_uri,
            &mut self.build_config_digest,
            &mut self.build_trigger,
            &mut self.run_invocation_uri,
            &mut self.source_repository_visibility_at_signing,
            &mut self.deployment_environment,
            &mut self.subject,
        ] {
            if v.as_deref() == Some("") {
                *v = None;
            }
        }
        self
    }
}

/// Who the certificate is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The string the client signed as proof of possession (§4.1 step 3): the `email` claim
    /// for e-mail issuers (and Chainguard tokens with a verified e-mail), else `sub`.
    pub name: String,
    /// The subject alternative name.
    pub san: SubjectAltName,
    /// The Issuer extension value (.1.1 and .1.8): the token's `iss`, or for e-mail issuers
    /// with `IssuerClaim` the claim at that path.
    pub issuer: String,
    /// Every extension value, `issuer_v1`/`issuer_v2` included.
    pub extensions: FulcioExtensions,
}

impl Principal {
    /// Builds a principal, filling both issuer extensions and the subject extension and
    /// dropping empty values.
    pub(crate) fn new(
        name: String,
        san: SubjectAltName,
        issuer: String,
        sub: Option<&str>,
        mut extensions: FulcioExtensions,
    ) -> Self {
        extensions.issuer_v1 = Some(issuer.clone());
        extensions.issuer_v2 = Some(issuer.clone());
        extensions.subject = sub.map(str::to_owned);
        Self {
            name,
            san,
            issuer,
            extensions: extensions.drop_empty(),
        }
    }
}

/// Step 5 of token checks: the principal of a verified token (claims already checked for
/// signature, issuer, audience and time).
pub fn principal(issuer: &ResolvedIssuer, claims: &Claims, config: &Config) -> Result<Principal> {
    let cfg = issuer.config.as_ref();
    match cfg.issuer_type {
        IssuerType::Email => email::principal(issuer, claims),
        IssuerType::CiProvider => ci_provider::principal(issuer, claims, config),
        IssuerType::GithubWorkflow => builtin::github(issuer, claims),
        IssuerType::GitlabPipeline => builtin::gitlab(issuer, claims),
        IssuerType::BuildkiteJob => builtin::buildkite(issuer, claims),
        IssuerType::CodefreshWorkflow => builtin::codefresh(issuer, claims),
        IssuerType::ChainguardIdentity => generic::chainguard(issuer, claims),
        IssuerType::Kubernetes => generic::kubernetes(issuer, claims),
        IssuerType::Spiffe => generic::spiffe(issuer, claims),
        IssuerType::Uri => generic::uri(issuer, claims),
        IssuerType::Username => generic::username(issuer, claims),
    }
}
