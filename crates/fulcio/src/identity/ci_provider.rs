//! `ci-provider` issuers: SAN and extensions rendered from the provider's
//! `CIIssuerMetadata` templates (§6.3), the way Fulcio's public configuration describes GitHub,
//! GitLab, Buildkite, Codefresh and CircleCI.

use std::collections::BTreeMap;

use super::claims::{self, template_data, Claims};
use super::template::Template;
use super::url::uri_san;
use super::{FulcioExtensions, Principal, SubjectAltName};
use crate::config::{Config, ExtensionTemplates, ResolvedIssuer};
use crate::error::{Error, Result};

/// One value: a template is rendered; a plain string is a claim (or default) *name*.
fn apply(t: &Template, data: &BTreeMap<String, String>, what: &str) -> Result<String> {
    if t.is_template() {
        t.render(data)
            .map_err(|e| Error::Template(format!("{what}: template {:?}: {e}", t.source())))
    } else {
        data.get(t.source()).cloned().ok_or_else(|| {
            Error::Template(format!(
                "{what}: value <{}> not present in either claims or defaults",
                t.source()
            ))
        })
    }
}

pub(crate) fn principal(
    issuer: &ResolvedIssuer,
    claims: &Claims,
    config: &Config,
) -> Result<Principal> {
    let cfg = issuer.config.as_ref();
    let name = cfg.ci_provider.as_deref().unwrap_or_default();
    let md = config.ci_provider(name).ok_or_else(|| {
        // Unreachable for validated configs; a clear error rather than a panic.
        Error::Template(format!("CI provider {name:?} is not configured"))
    })?;
    let sub = claims::sub(claims)?;
    let data = template_data(&md.default_template_values, claims);

    let san_template = md
        .subject_alternative_name_template
        .as_ref()
        .ok_or_else(|| Error::Template(format!("CI provider {name:?} has no SAN template")))?;
    let san = apply(san_template, &data, "SubjectAlternativeName")?;
    if san.is_empty() {
        return Err(Error::Template(
            "SubjectAlternativeName: template rendered an empty value".into(),
        ));
    }
    let san = uri_san(&san)?;

    let t: &ExtensionTemplates = &md.extension_templates;
    let r = |slot: &Option<Template>, what: &str| -> Result<Option<String>> {
        slot.as_ref().map(|t| apply(t, &data, what)).transpose()
    };
    let ext = FulcioExtensions {
        github_workflow_trigger: r(&t.github_workflow_trigger, "GithubWorkflowTrigger")?,
        github_workflow_sha: r(&t.github_workflow_sha, "GithubWorkflowSHA")?,
        github_workflow_name: r(&t.github_workflow_name, "GithubWorkflowName")?,
        github_workflow_repository: r(&t.github_workflow_repository, "GithubWorkflowRepository")?,
        github_workflow_ref: r(&t.github_workflow_ref, "GithubWorkflowRef")?,
        build_signer_uri: r(&t.build_signer_uri, "BuildSignerURI")?,
        build_signer_digest: r(&t.build_signer_digest, "BuildSignerDigest")?,
        runner_environment: r(&t.runner_environment, "RunnerEnvironment")?,
        source_repository_uri: r(&t.source_repository_uri, "SourceRepositoryURI")?,
        source_repository_digest: r(&t.source_repository_digest, "SourceRepositoryDigest")?,
        source_repository_ref: r(&t.source_repository_ref, "SourceRepositoryRef")?,
        source_repository_identifier: r(
            &t.source_repository_identifier,
            "SourceRepositoryIdentifier",
        )?,
        source_repository_owner_uri: r(&t.source_repository_owner_uri, "SourceRepositoryOwnerURI")?,
        source_repository_owner_identifier: r(
            &t.source_repository_owner_identifier,
            "SourceRepositoryOwnerIdentifier",
        )?,
        build_config_uri: r(&t.build_config_uri, "BuildConfigURI")?,
        build_config_digest: r(&t.build_config_digest, "BuildConfigDigest")?,
        build_trigger: r(&t.build_trigger, "BuildTrigger")?,
        run_invocation_uri: r(&t.run_invocation_uri, "RunInvocationURI")?,
        source_repository_visibility_at_signing: r(
            &t.source_repository_visibility_at_signing,
            "SourceRepositoryVisibilityAtSigning",
        )?,
        deployment_environment: r(&t.deployment_environment, "DeploymentEnvironment")?,
        ..FulcioExtensions::default()
    };
    Ok(Principal::new(
        sub.to_owned(),
        SubjectAltName::Uri(san),
        issuer.url.clone(),
        Some(sub),
        ext,
    ))
}
