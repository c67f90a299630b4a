//! Fulcio's own configuration file (`OIDCIssuers`, `MetaIssuers`, `CIIssuerMetadata`), read
//! with Fulcio's field names and meanings so a deployment migrates by pointing at its file.
//!
//! Contract: [`Config::parse`] is pure (bytes in, validated config out) and rejects at load
//! everything Fulcio would reject, plus what Fulcio silently ignores but would surprise an
//! operator (an unknown `Type`, a `ci-provider` naming no metadata). Errors name the issuer
//! and the field. Unknown keys are ignored, as in Fulcio, but listed in
//! [`Config::warnings`] so a typo does not go unnoticed.
//!
//! Two per-issuer fields are ours (Fulcio ignores them, so the file stays valid for Fulcio):
//! `StaticJWKSFile` / `static-jwks-file`, a JWKS file for issuers the CA cannot reach, and
//! `BaseURL` / `base-url`, the web URL of a self-hosted GitHub/GitLab/Buildkite for the
//! deprecated built-in types (templates use `DefaultTemplateValues` instead).

mod claim_path;
mod meta;
mod source;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

pub use self::claim_path::ClaimPath;
pub use self::meta::MetaPattern;
use self::source::norm;
use crate::error::{Error, Result};
use crate::identity::template::Template;
use crate::identity::url::BaseUrl;

/// The audience Fulcio's public deployment uses, and our default `ClientID`.
pub const DEFAULT_CLIENT_ID: &str = "sigstore";

/// The identity type of an issuer (`Type`): decides the SAN and the extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IssuerType {
    /// `email`: rfc822Name SAN from the `email` claim.
    Email,
    /// `github-workflow` (deprecated built-in GitHub Actions type).
    GithubWorkflow,
    /// `gitlab-pipeline` (deprecated built-in GitLab CI type).
    GitlabPipeline,
    /// `buildkite-job` (deprecated built-in Buildkite type).
    BuildkiteJob,
    /// `codefresh-workflow` (deprecated built-in Codefresh type).
    CodefreshWorkflow,
    /// `chainguard-identity`.
    ChainguardIdentity,
    /// `kubernetes`: service-account tokens.
    Kubernetes,
    /// `spiffe`: SPIFFE JWT-SVIDs.
    Spiffe,
    /// `uri`: `sub` is a URI under `SubjectDomain`.
    Uri,
    /// `username`: otherName SAN `sub!SubjectDomain`.
    Username,
    /// `ci-provider`: SAN and extensions from `CIIssuerMetadata` templates.
    CiProvider,
}

impl IssuerType {
    /// Parses Fulcio's type name.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "email" => Self::Email,
            "github-workflow" => Self::GithubWorkflow,
            "gitlab-pipeline" => Self::GitlabPipeline,
            "buildkite-job" => Self::BuildkiteJob,
            "codefresh-workflow" => Self::CodefreshWorkflow,
            "chainguard-identity" => Self::ChainguardIdentity,
            "kubernetes" => Self::Kubernetes,
            "spiffe" => Self::Spiffe,
            "uri" => Self::Uri,
            "username" => Self::Username,
            "ci-provider" => Self::CiProvider,
            _ => return None,
        })
    }

    /// Fulcio's type name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::GithubWorkflow => "github-workflow",
            Self::GitlabPipeline => "gitlab-pipeline",
            Self::BuildkiteJob => "buildkite-job",
            Self::CodefreshWorkflow => "codefresh-workflow",
            Self::ChainguardIdentity => "chainguard-identity",
            Self::Kubernetes => "kubernetes",
            Self::Spiffe => "spiffe",
            Self::Uri => "uri",
            Self::Username => "username",
            Self::CiProvider => "ci-provider",
        }
    }
}

/// One issuer (`OIDCIssuer`), fixed or meta.
#[derive(Clone, Debug, PartialEq)]
pub struct IssuerConfig {
    /// `IssuerURL`: for fixed issuers equal to the map key; for meta issuers the pattern.
    pub issuer_url: String,
    /// `ClientID`: the audience the token must carry (default `sigstore`).
    pub client_id: String,
    /// `Type`.
    pub issuer_type: IssuerType,
    /// `CIProvider`: key into `CIIssuerMetadata` (type `ci-provider` only).
    pub ci_provider: Option<String>,
    /// `IssuerClaim`: where the Issuer extension value comes from (type `email` only).
    pub issuer_claim: Option<ClaimPath>,
    /// `SubjectDomain` (types `uri` and `username`).
    pub subject_domain: Option<String>,
    /// `SPIFFETrustDomain` (type `spiffe`).
    pub spiffe_trust_domain: Option<String>,
    /// `ChallengeClaim`: only advertised by `/api/v2/configuration`; see
    /// [`IssuerConfig::challenge_claim`].
    pub challenge_claim: Option<String>,
    /// `Description` (informational).
    pub description: Option<String>,
    /// `Contact` (informational).
    pub contact: Option<String>,
    /// `Environment` (informational).
    pub environment: Option<String>,
    /// `CACert`: PEM trusted for TLS to this issuer's discovery and JWKS.
    pub ca_cert: Option<String>,
    /// `SkipEmailVerification` (type `email`).
    pub skip_email_verification: bool,
    /// Ours — `StaticJWKSFile`: keys from this file instead of discovery (air-gapped).
    pub static_jwks_file: Option<PathBuf>,
    /// Ours — `BaseURL`: web URL of a self-hosted CI for the deprecated built-in types.
    pub base_url: Option<String>,
}

impl IssuerConfig {
    /// The claim a client signs for proof of possession (what `/api/v2/configuration` shows):
    /// the configured `ChallengeClaim`, else `email` for e-mail issuers and `sub` otherwise.
    pub fn challenge_claim(&self) -> &str {
        match (&self.challenge_claim, self.issuer_type) {
            (Some(c), _) => c,
            (None, IssuerType::Email) => "email",
            (None, _) => "sub",
        }
    }
}

/// The extension templates of a CI provider (`ExtensionTemplates`); one per Fulcio extension
/// that a template may set. `None` or empty = not emitted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExtensionTemplates {
    /// `GithubWorkflowTrigger` (.1.2).
    pub github_workflow_trigger: Option<Template>,
    /// `GithubWorkflowSHA` (.1.3).
    pub github_workflow_sha: Option<Template>,
    /// `GithubWorkflowName` (.1.4).
    pub github_workflow_name: Option<Template>,
    /// `GithubWorkflowRepository` (.1.5).
    pub github_workflow_repository: Option<Template>,
    /// `GithubWorkflowRef` (.1.6).
    pub github_workflow_ref: Option<Template>,
    /// `BuildSignerURI` (.1.9).
    pub build_signer_uri: Option<Template>,
    /// `BuildSignerDigest` (.1.10).
    pub build_signer_digest: Option<Template>,
    /// `RunnerEnvironment` (.1.11).
    pub runner_environment: Option<Template>,
    /// `SourceRepositoryURI` (.1.12).
    pub source_repository_uri: Option<Template>,
    /// `SourceRepositoryDigest` (.1.13).
    pub source_repository_digest: Option<Template>,
    /// `SourceRepositoryRef` (.1.14).
    pub source_repository_ref: Option<Template>,
    /// `SourceRepositoryIdentifier` (.1.15).
    pub source_repository_identifier: Option<Template>,
    /// `SourceRepositoryOwnerURI` (.1.16).
    pub source_repository_owner_uri: Option<Template>,
    /// `SourceRepositoryOwnerIdentifier` (.1.17).
    pub source_repository_owner_identifier: Option<Template>,
    /// `BuildConfigURI` (.1.18).
    pub build_config_uri: Option<Template>,
    /// `BuildConfigDigest` (.1.19).
    pub build_config_digest: Option<Template>,
    /// `BuildTrigger` (.1.20).
    pub build_trigger: Option<Template>,
    /// `RunInvocationURI` (.1.21).
    pub run_invocation_uri: Option<Template>,
    /// `SourceRepositoryVisibilityAtSigning` (.1.22).
    pub source_repository_visibility_at_signing: Option<Template>,
    /// `DeploymentEnvironment` (.1.23).
    pub deployment_environment: Option<Template>,
}

/// `(JSON name, accessor)` of every template field, in extension order.
type TemplateSlot = (
    &'static str,
    fn(&mut ExtensionTemplates) -> &mut Option<Template>,
);

pub(crate) const TEMPLATE_FIELDS: &[TemplateSlot] = &[
    ("GithubWorkflowTrigger", |t| &mut t.github_workflow_trigger),
    ("GithubWorkflowSHA", |t| &mut t.github_workflow_sha),
    ("GithubWorkflowName", |t| &mut t.github_workflow_name),
    ("GithubWorkflowRepository", |t| {
        &mut t.github_workflow_repository
    }),
    ("GithubWorkflowRef", |t| &mut t.github_workflow_ref),
    ("BuildSignerURI", |t| &mut t.build_signer_uri),
    ("BuildSignerDigest", |t| &mut t.build_signer_digest),
    ("RunnerEnvironment", |t| &mut t.runner_environment),
    ("SourceRepositoryURI", |t| &mut t.source_repository_uri),
    ("SourceRepositoryDigest", |t| {
        &mut t.source_repository_digest
    }),
    ("SourceRepositoryRef", |t| &mut t.source_repository_ref),
    ("SourceRepositoryIdentifier", |t| {
        &mut t.source_repository_identifier
    }),
    ("SourceRepositoryOwnerURI", |t| {
        &mut t.source_repository_owner_uri
    }),
    ("SourceRepositoryOwnerIdentifier", |t| {
        &mut t.source_repository_owner_identifier
    }),
    ("BuildConfigURI", |t| &mut t.build_config_uri),
    ("BuildConfigDigest", |t| &mut t.build_config_digest),
    ("BuildTrigger", |t| &mut t.build_trigger),
    ("RunInvocationURI", |t| &mut t.run_invocation_uri),
    ("SourceRepositoryVisibilityAtSigning", |t| {
        &mut t.source_repository_visibility_at_signing
    }),
    ("DeploymentEnvironment", |t| &mut t.deployment_environment),
];

/// `IssuerMetadata` of one CI provider.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CiProviderMetadata {
    /// `DefaultTemplateValues`: template data used when the token lacks the claim.
    pub default_template_values: BTreeMap<String, String>,
    /// `ExtensionTemplates`.
    pub extension_templates: ExtensionTemplates,
    /// `SubjectAlternativeNameTemplate` (required, renders to a URI).
    pub subject_alternative_name_template: Option<Template>,
}

/// A validated configuration.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// `OIDCIssuers`, by exact issuer URL.
    pub oidc_issuers: BTreeMap<String, Arc<IssuerConfig>>,
    /// `MetaIssuers`, most specific pattern first (Fulcio iterates a Go map, so its order
    /// is unspecified; ours is deterministic).
    pub meta_issuers: Vec<(MetaPattern, Arc<IssuerConfig>)>,
    /// `CIIssuerMetadata`, by provider name.
    pub ci_issuer_metadata: BTreeMap<String, Arc<CiProviderMetadata>>,
    warnings: Vec<String>,
}

/// The issuer a token's `iss` resolved to.
#[derive(Clone, Debug)]
pub struct ResolvedIssuer {
    /// The exact issuer URL (for meta issuers, the token's `iss`).
    pub url: String,
    /// Its configuration.
    pub config: Arc<IssuerConfig>,
    /// Whether it came from `MetaIssuers`.
    pub meta: bool,
}

impl Config {
    /// Reads and validates a config file (JSON or YAML).
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&bytes)
    }

    /// Parses and validates config bytes: JSON first, then YAML, as Fulcio does.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let root = source::parse(bytes)?;
        let mut warnings = Vec::new();
        let top = Fields::new("(top level)", &root, &mut warnings)?;
        let known = ["oidcissuers", "metaissuers", "ciissuermetadata", "define"];
        let top = top.only(&known);

        let mut ci_issuer_metadata = BTreeMap::new();
        for (name, v) in top.map("CIIssuerMetadata")? {
            let md = parse_metadata(name, v, top.warnings)?;
            ci_issuer_metadata.insert(name.clone(), Arc::new(md));
        }

        let mut oidc_issuers = BTreeMap::new();
        for (url, v) in top.map("OIDCIssuers")? {
            let cfg = parse_issuer(url, v, false, top.warnings)?;
            validate_issuer(url, &cfg, false, &ci_issuer_metadata)?;
            oidc_issuers.insert(url.clone(), Arc::new(cfg));
        }

        let mut meta_issuers = Vec::new();
        for (pattern, v) in top.map("MetaIssuers")? {
            let cfg = parse_issuer(pattern, v, true, top.warnings)?;
            validate_issuer(pattern, &cfg, true, &ci_issuer_metadata)?;
            meta_issuers.push((MetaPattern::new(pattern), Arc::new(cfg)));
        }
        meta_issuers.sort_by(|(a, _), (b, _)| {
            b.literal_len()
                .cmp(&a.literal_len())
                .then_with(|| a.source().cmp(b.source()))
        });

        Ok(Self {
            oidc_issuers,
            meta_issuers,
            ci_issuer_metadata,
            warnings,
        })
    }

    /// Fulcio's built-in configuration when no file exists: Sigstore's Dex, Google, and
    /// GitHub Actions (deprecated built-in type).
    pub fn fulcio_default() -> Self {
        let json = r#"{
          "OIDCIssuers": {
            "https://oauth2.sigstore.dev/auth": {"IssuerURL": "https://oauth2.sigstore.dev/auth",
              "ClientID": "sigstore", "Type": "email", "IssuerClaim": "$.federated_claims.connector_id"},
            "https://accounts.google.com": {"IssuerURL": "https://accounts.google.com",
              "ClientID": "sigstore", "Type": "email"},
            "https://token.actions.githubusercontent.com": {"IssuerURL": "https://token.actions.githubusercontent.com",
              "ClientID": "sigstore", "Type": "github-workflow"}
          }
        }"#;
        Self::parse(json.as_bytes()).unwrap_or_default()
    }

    /// Unknown keys that were ignored (Fulcio ignores them too).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Step 2 of token checks: the issuer for `iss` — an exact `OIDCIssuers` key, else the
    /// most specific matching `MetaIssuers` pattern.
    pub fn issuer_for(&self, iss: &str) -> Option<ResolvedIssuer> {
        if let Some(cfg) = self.oidc_issuers.get(iss) {
            return Some(ResolvedIssuer {
                url: iss.to_owned(),
                config: cfg.clone(),
                meta: false,
            });
        }
        self.meta_issuers
            .iter()
            .find(|(p, _)| p.matches(iss))
            .map(|(_, cfg)| ResolvedIssuer {
                url: iss.to_owned(),
                config: cfg.clone(),
                meta: true,
            })
    }

    /// The body of `GET /api/v2/configuration`: one entry per fixed issuer (`issuerUrl`) and
    /// per meta issuer (`wildcardIssuerUrl`), with every scalar emitted as protojson does.
    pub fn public_configuration(&self) -> Value {
        let entry = |key: &str, url: &str, c: &IssuerConfig| {
            serde_json::json!({
                key: url,
                "audience": c.client_id,
                "challengeClaim": c.challenge_claim(),
                "spiffeTrustDomain": c.spiffe_trust_domain.clone().unwrap_or_default(),
                "issuerType": c.issuer_type.name(),
                "subjectDomain": c.subject_domain.clone().unwrap_or_default(),
                "skipEmailVerification": c.skip_email_verification,
            })
        };
        let mut issuers: Vec<Value> = self
            .oidc_issuers
            .iter()
            .map(|(url, c)| entry("issuerUrl", url, c))
            .collect();
        issuers.extend(
            self.meta_issuers
                .iter()
                .map(|(p, c)| entry("wildcardIssuerUrl", p.source(), c)),
        );
        serde_json::json!({ "issuers": issuers })
    }

    /// The metadata of a `ci-provider` issuer (validated to exist at load).
    pub fn ci_provider(&self, name: &str) -> Option<&CiProviderMetadata> {
        self.ci_issuer_metadata.get(name).map(|m| m.as_ref())
    }
}

// ---------------------------------------------------------------- field extraction

/// Typed access to one JSON object's fields by normalized name, with errors that name the
/// owner (issuer or provider) and the field as Fulcio's JSON spells it.
struct Fields<'a, 'w> {
    owner: &'a str,
    by_norm: BTreeMap<String, &'a Value>,
    warnings: &'w mut Vec<String>,
}

impl<'a, 'w> Fields<'a, 'w> {
    fn new(owner: &'a str, v: &'a Value, warnings: &'w mut Vec<String>) -> Result<Self> {
        let obj = v.as_object().ok_or_else(|| Error::Config {
            issuer: owner.to_owned(),
            field: "(object)",
            reason: format!("expected a mapping, found {}", kind(v)),
        })?;
        let by_norm = obj.iter().map(|(k, v)| (norm(k), v)).collect();
        Ok(Self {
            owner,
            by_norm,
            warnings,
        })
    }

    /// Records every key not in `known` (normalized names) as a warning.
    fn only(self, known: &[&str]) -> Self {
        for k in self.by_norm.keys() {
            if !known.contains(&k.as_str()) {
                self.warnings
                    .push(format!("{}: unknown field {k:?} ignored", self.owner));
            }
        }
        self
    }

    fn err(&self, field: &'static str, reason: impl Into<String>) -> Error {
        Error::Config {
            issuer: self.owner.to_owned(),
            field,
            reason: reason.into(),
        }
    }

    fn get(&self, field: &'static str) -> Option<&'a Value> {
        self.by_norm
            .get(&norm(field))
            .copied()
            .filter(|v| !v.is_null())
    }

    fn string(&self, field: &'static str) -> Result<Option<String>> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.err(field, format!("expected a string, found {}", kind(v)))),
        }
    }

    fn bool(&self, field: &'static str) -> Result<bool> {
        match self.get(field) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.err(field, format!("expected true or false, found {}", kind(v)))),
        }
    }

    fn map(&self, field: &'static str) -> Result<Vec<(&'a String, &'a Value)>> {
        match self.get(field) {
            None => Ok(Vec::new()),
            Some(Value::Object(m)) => Ok(m.iter().collect()),
            Some(v) => Err(self.err(field, format!("expected a mapping, found {}", kind(v)))),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

const ISSUER_FIELDS: &[&str] = &[
    "IssuerURL",
    "ClientID",
    "Type",
    "CIProvider",
    "IssuerClaim",
    "SubjectDomain",
    "SPIFFETrustDomain",
    "ChallengeClaim",
    "Description",
    "Contact",
    "Environment",
    "CACert",
    "SkipEmailVerification",
    "StaticJWKSFile",
    "BaseURL",
];

fn parse_issuer(
    owner: &str,
    v: &Value,
    meta: bool,
    warnings: &mut Vec<String>,
) -> Result<IssuerConfig> {
    let known: Vec<String> = ISSUER_FIELDS.iter().map(|f| norm(f)).collect();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let f = Fields::new(owner, v, warnings)?.only(&known);

    let type_name = f.string("Type")?.ok_or_else(|| f.err("Type", "missing"))?;
    let issuer_type = IssuerType::from_name(&type_name).ok_or_else(|| {
        f.err(
            "Type",
            format!("unknown type {type_name:?} (Fulcio would silently not serve this issuer)"),
        )
    })?;
    let issuer_url = f.string("IssuerURL")?;
    let issuer_url = match (meta, issuer_url) {
        (false, Some(u)) if u != owner => {
            return Err(f.err("IssuerURL", format!("{u:?} differs from the map key")))
        }
        (false, None) => return Err(f.err("IssuerURL", "missing")),
        (_, u) => u.unwrap_or_else(|| owner.to_owned()),
    };
    let issuer_claim = match f.string("IssuerClaim")? {
        None => None,
        Some(p) => Some(ClaimPath::parse(&p).ok_or_else(|| {
            f.err(
                "IssuerClaim",
                format!("{p:?} is not a supported JSONPath (use $.a.b or $['a'])"),
            )
        })?),
    };
    Ok(IssuerConfig {
        issuer_url,
        client_id: f
            .string("ClientID")?
            .unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned()),
        issuer_type,
        ci_provider: f.string("CIProvider")?,
        issuer_claim,
        subject_domain: f.string("SubjectDomain")?,
        spiffe_trust_domain: f.string("SPIFFETrustDomain")?,
        challenge_claim: f.string("ChallengeClaim")?,
        description: f.string("Description")?,
        contact: f.string("Contact")?,
        environment: f.string("Environment")?,
        ca_cert: f.string("CACert")?,
        skip_email_verification: f.bool("SkipEmailVerification")?,
        static_jwks_file: f.string("StaticJWKSFile")?.map(PathBuf::from),
        base_url: f.string("BaseURL")?,
    })
}

fn parse_metadata(
    owner: &str,
    v: &Value,
    warnings: &mut Vec<String>,
) -> Result<CiProviderMetadata> {
    let known = [
        "defaulttemplatevalues",
        "extensiontemplates",
        "subjectalternativenametemplate",
    ];
    let f = Fields::new(owner, v, warnings)?.only(&known);
    let mut md = CiProviderMetadata::default();
    for (k, v) in f.map("DefaultTemplateValues")? {
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            other => {
                return Err(f.err(
                    "DefaultTemplateValues",
                    format!("value of {k:?} must be a string, found {}", kind(other)),
                ))
            }
        };
        md.default_template_values.insert(k.clone(), s);
    }
    if let Some(san) = f.string("SubjectAlternativeNameTemplate")? {
        md.subject_alternative_name_template = Some(
            Template::parse(&san)
                .map_err(|e| f.err("SubjectAlternativeNameTemplate", e.to_string()))?,
        );
    }
    if let Some(ext) = f.get("ExtensionTemplates") {
        let known: Vec<String> = TEMPLATE_FIELDS
            .iter()
            .map(|(n, _)| norm(n))
            .chain(["issuer".to_owned(), "subject".to_owned()])
            .collect();
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        let owner_ext = format!("{owner}.ExtensionTemplates");
        let e = Fields::new(&owner_ext, ext, f.warnings)?.only(&known);
        for (name, slot) in TEMPLATE_FIELDS {
            if let Some(src) = e.string(name)? {
                let t = Template::parse(&src).map_err(|err| e.err(name, err.to_string()))?;
                *slot(&mut md.extension_templates) = Some(t);
            }
        }
    }
    Ok(md)
}

// ---------------------------------------------------------------- validation

fn validate_issuer(
    owner: &str,
    cfg: &IssuerConfig,
    meta: bool,
    metadata: &BTreeMap<String, Arc<CiProviderMetadata>>,
) -> Result<()> {
    let err = |field: &'static str, reason: String| Error::Config {
        issuer: owner.to_owned(),
        field,
        reason,
    };
    let issuer = BaseUrl::parse(&cfg.issuer_url).ok_or_else(|| {
        err(
            if meta { "(pattern)" } else { "IssuerURL" },
            format!("{:?} is not an absolute http(s) URL", cfg.issuer_url),
        )
    })?;
    if issuer.scheme != "https" && issuer.scheme != "http" {
        return Err(err(
            "IssuerURL",
            format!("scheme {:?} is not http or https", issuer.scheme),
        ));
    }
    if cfg.issuer_claim.is_some() && cfg.issuer_type != IssuerType::Email {
        return Err(err(
            "IssuerClaim",
            format!(
                "only allowed for type email, not {}",
                cfg.issuer_type.name()
            ),
        ));
    }
    if cfg.skip_email_verification && cfg.issuer_type != IssuerType::Email {
        return Err(err(
            "SkipEmailVerification",
            format!(
                "only meaningful for type email, not {}",
                cfg.issuer_type.name()
            ),
        ));
    }
    match cfg.issuer_type {
        IssuerType::CiProvider => {
            let name = cfg
                .ci_provider
                .as_deref()
                .ok_or_else(|| err("CIProvider", "required for type ci-provider".into()))?;
            let md = metadata.get(name).ok_or_else(|| {
                err(
                    "CIProvider",
                    format!("{name:?} has no entry in CIIssuerMetadata"),
                )
            })?;
            if md.subject_alternative_name_template.is_none() {
                return Err(Error::Config {
                    issuer: name.to_owned(),
                    field: "SubjectAlternativeNameTemplate",
                    reason: "required (the certificate needs a URI SAN)".into(),
                });
            }
        }
        _ if cfg.ci_provider.is_some() => {
            return Err(err(
                "CIProvider",
                format!(
                    "only allowed for type ci-provider, not {}",
                    cfg.issuer_type.name()
                ),
            ))
        }
        IssuerType::Uri => {
            let sd = cfg
                .subject_domain
                .as_deref()
                .ok_or_else(|| err("SubjectDomain", "required for type uri".into()))?;
            let domain = BaseUrl::parse(sd).ok_or_else(|| {
                err(
                    "SubjectDomain",
                    format!("{sd:?} must be a URL with a scheme for type uri"),
                )
            })?;
            if domain.scheme != issuer.scheme {
                return Err(err(
                    "SubjectDomain",
                    format!(
                        "scheme {:?} differs from the issuer's {:?}",
                        domain.scheme, issuer.scheme
                    ),
                ));
            }
            check_same_domain(domain.host(), issuer.host()).map_err(|r| err("SubjectDomain", r))?;
        }
        IssuerType::Username => {
            let sd = cfg
                .subject_domain
                .as_deref()
                .ok_or_else(|| err("SubjectDomain", "required for type username".into()))?;
            if sd.contains("://") {
                return Err(err(
                    "SubjectDomain",
                    format!("{sd:?} must not have a scheme for type username"),
                ));
            }
            check_same_domain(sd, issuer.host()).map_err(|r| err("SubjectDomain", r))?;
        }
        IssuerType::Spiffe => {
            if meta {
                return Err(err(
                    "Type",
                    "spiffe issuers cannot be meta issuers (Fulcio does not copy SPIFFETrustDomain)"
                        .into(),
                ));
            }
            let td = cfg
                .spiffe_trust_domain
                .as_deref()
                .ok_or_else(|| err("SPIFFETrustDomain", "required for type spiffe".into()))?;
            if !valid_trust_domain(td) {
                return Err(err(
                    "SPIFFETrustDomain",
                    format!("{td:?} is not a valid SPIFFE trust domain"),
                ));
            }
        }
        _ => {}
    }
    if let Some(base) = &cfg.base_url {
        if BaseUrl::parse(base).is_none() {
            return Err(err("BaseURL", format!("{base:?} is not an absolute URL")));
        }
    }
    if let Some(pem) = &cfg.ca_cert {
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(err("CACert", "must be a PEM certificate".into()));
        }
    }
    if meta && cfg.static_jwks_file.is_some() {
        return Err(err(
            "StaticJWKSFile",
            "not supported for meta issuers (one file cannot serve many issuers)".into(),
        ));
    }
    Ok(())
}

/// Fulcio's rule for `uri`/`username` subject domains: the last two DNS labels must match
/// the issuer's host, so an issuer cannot mint identities under someone else's domain.
fn check_same_domain(domain_host: &str, issuer_host: &str) -> std::result::Result<(), String> {
    let last_two = |h: &str| -> Option<String> {
        let labels: Vec<&str> = h.split('.').collect();
        if labels.len() < 2 || labels.iter().any(|l| l.is_empty()) {
            return None;
        }
        Some(labels[labels.len() - 2..].join(".").to_ascii_lowercase())
    };
    match (last_two(domain_host), last_two(issuer_host)) {
        (Some(a), Some(b)) if a == b => Ok(()),
        (Some(a), Some(b)) => Err(format!(
            "domain {a:?} does not match the issuer's domain {b:?}"
        )),
        _ => Err(format!(
            "{domain_host:?} and the issuer host {issuer_host:?} need at least two DNS labels"
        )),
    }
}

/// SPIFFE trust-domain syntax: lower-case letters, digits, `.`, `-`, `_`.
pub(crate) fn valid_trust_domain(td: &str) -> bool {
    !td.is_empty()
        && td.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        })
}
