//! Fulcio's deprecated built-in CI types (`github-workflow`, `gitlab-pipeline`,
//! `buildkite-job`, `codefresh-workflow`), kept for configs that still use them.
//!
//! Fulcio hard-codes `https://github.com/`, `https://gitlab.com/` and `https://buildkite.com`;
//! here the web URL is the issuer's `BaseURL` when configured, else for GitLab the token's
//! `iss` (a GitLab instance is its own issuer), for GitHub Enterprise Server the origin of an
//! `…/_services/token` issuer, and only then the public SaaS URL.

use super::claims::{self, Claims};
use super::url::{go_escaped_path, BaseUrl};
use super::{FulcioExtensions, Principal, SubjectAltName};
use crate::config::ResolvedIssuer;
use crate::error::{Error, Result};

fn base(issuer: &ResolvedIssuer, fallback: &str) -> Result<BaseUrl> {
    let s = issuer.config.base_url.as_deref().unwrap_or(fallback);
    BaseUrl::parse(s).ok_or_else(|| Error::Template(format!("base URL {s:?} is not a URL")))
}

fn github_base(issuer: &ResolvedIssuer) -> Result<BaseUrl> {
    if issuer.config.base_url.is_none() && issuer.url.ends_with("/_services/token") {
        if let Some(iss) = BaseUrl::parse(&issuer.url) {
            return Ok(BaseUrl {
                path: String::new(),
                ..iss
            });
        }
    }
    base(issuer, "https://github.com/")
}

/// GitHub Actions (§6.4): every listed claim required; SAN = base + `job_workflow_ref`.
pub(crate) fn github(issuer: &ResolvedIssuer, c: &Claims) -> Result<Principal> {
    let sub = claims::sub(c)?;
    let get = |n: &str| claims::required(c, n);
    let (job_workflow_ref, sha, event_name, repository, workflow, git_ref) = (
        get("job_workflow_ref")?,
        get("sha")?,
        get("event_name")?,
        get("repository")?,
        get("workflow")?,
        get("ref")?,
    );
    let (job_workflow_sha, runner_environment, repository_id, repository_owner) = (
        get("job_workflow_sha")?,
        get("runner_environment")?,
        get("repository_id")?,
        get("repository_owner")?,
    );
    let (repository_owner_id, repository_visibility, workflow_ref, workflow_sha) = (
        get("repository_owner_id")?,
        get("repository_visibility")?,
        get("workflow_ref")?,
        get("workflow_sha")?,
    );
    let (run_id, run_attempt) = (get("run_id")?, get("run_attempt")?);

    let b = github_base(issuer)?;
    let signer = b.join(&[job_workflow_ref]);
    let s = |v: &str| Some(v.to_owned());
    let ext = FulcioExtensions {
        github_workflow_trigger: s(event_name),
        github_workflow_sha: s(sha),
        github_workflow_name: s(workflow),
        github_workflow_repository: s(repository),
        github_workflow_ref: s(git_ref),
        build_signer_uri: s(&signer),
        build_signer_digest: s(job_workflow_sha),
        runner_environment: s(runner_environment),
        source_repository_uri: s(&b.join(&[repository])),
        source_repository_digest: s(sha),
        source_repository_ref: s(git_ref),
        source_repository_identifier: s(repository_id),
        source_repository_owner_uri: s(&b.join(&[repository_owner])),
        source_repository_owner_identifier: s(repository_owner_id),
        build_config_uri: s(&b.join(&[workflow_ref])),
        build_config_digest: s(workflow_sha),
        build_trigger: s(event_name),
        run_invocation_uri: s(&b.join(&[
            repository,
            "actions/runs",
            run_id,
            "attempts",
            run_attempt,
        ])),
        source_repository_visibility_at_signing: s(repository_visibility),
        ..FulcioExtensions::default()
    };
    Ok(Principal::new(
        sub.to_owned(),
        SubjectAltName::Uri(signer),
        issuer.url.clone(),
        Some(sub),
        ext,
    ))
}

/// GitLab CI (§6.4): SAN = `https://` + `ci_config_ref_uri` (the instance's own scheme when
/// the config lives on the issuer's host); repository URLs under the instance URL.
pub(crate) fn gitlab(issuer: &ResolvedIssuer, c: &Claims) -> Result<Principal> {
    let sub = claims::sub(c)?;
    let get = |n: &str| claims::required(c, n);
    let (project_path, pipeline_source, _pipeline_id, ci_config_ref_uri, job_id) = (
        get("project_path")?,
        get("pipeline_source")?,
        get("pipeline_id")?,
        get("ci_config_ref_uri")?,
        get("job_id")?,
    );
    let (git_ref, ref_type, namespace_path, namespace_id, project_id, sha, runner_environment) = (
        get("ref")?,
        get("ref_type")?,
        get("namespace_path")?,
        get("namespace_id")?,
        get("project_id")?,
        get("sha")?,
        get("runner_environment")?,
    );
    match c.get("runner_id") {
        Some(v) if v.as_i64().is_some_and(|n| n != 0) => {}
        Some(v) if v.is_number() => return Err(Error::MissingClaim("runner_id".into())),
        Some(_) => {
            return Err(Error::InvalidClaim {
                claim: "runner_id".into(),
                reason: "must be an integer".into(),
            })
        }
        None => return Err(Error::MissingClaim("runner_id".into())),
    }
    let full_ref = match ref_type {
        "branch" => format!("refs/heads/{git_ref}"),
        "tag" => format!("refs/tags/{git_ref}"),
        other => {
            return Err(Error::InvalidClaim {
                claim: "ref_type".into(),
                reason: format!("unexpected ref_type {other:?}"),
            })
        }
    };
    let instance = base(issuer, &issuer.url)?;
    let config_host = ci_config_ref_uri.split('/').next().unwrap_or_default();
    let scheme = if config_host == instance.authority {
        instance.scheme.as_str()
    } else {
        "https"
    };
    let config_uri = format!("{scheme}://{}", go_escaped_path(ci_config_ref_uri));
    let ci_config_sha = claims::or_empty(c, "ci_config_sha")?;
    let visibility = claims::or_empty(c, "project_visibility")?;
    let s = |v: &str| Some(v.to_owned());
    let ext = FulcioExtensions {
        build_config_uri: s(&config_uri),
        build_config_digest: s(ci_config_sha),
        build_signer_uri: s(&config_uri),
        build_signer_digest: s(ci_config_sha),
        runner_environment: s(runner_environment),
        source_repository_uri: s(&instance.join(&[project_path])),
        source_repository_digest: s(sha),
        source_repository_ref: s(&full_ref),
        source_repository_identifier: s(project_id),
        source_repository_owner_uri: s(&instance.join(&[namespace_path])),
        source_repository_owner_identifier: s(namespace_id),
        build_trigger: s(pipeline_source),
        run_invocation_uri: s(&instance.join(&[project_path, "/-/jobs/", job_id])),
        source_repository_visibility_at_signing: s(visibility),
        ..FulcioExtensions::default()
    };
    Ok(Principal::new(
        sub.to_owned(),
        SubjectAltName::Uri(config_uri),
        issuer.url.clone(),
        Some(sub),
        ext,
    ))
}

/// Buildkite (§6.4): SAN = base + `organization_slug/pipeline_slug`, no extra extensions.
pub(crate) fn buildkite(issuer: &ResolvedIssuer, c: &Claims) -> Result<Principal> {
    let sub = claims::sub(c)?;
    let org = claims::required(c, "organization_slug")?;
    let pipeline = claims::required(c, "pipeline_slug")?;
    let san = base(issuer, "https://buildkite.com")?.join(&[org, pipeline]);
    Ok(Principal::new(
        sub.to_owned(),
        SubjectAltName::Uri(san),
        issuer.url.clone(),
        Some(sub),
        FulcioExtensions::default(),
    ))
}

/// Codefresh (§6.4): SAN = `platform_url/account_name/pipeline_name:account_id/pipeline_id`.
pub(crate) fn codefresh(issuer: &ResolvedIssuer, c: &Claims) -> Result<Principal> {
    let sub = claims::sub(c)?;
    let account_id = claims::required(c, "account_id")?;
    let pipeline_id = claims::required(c, "pipeline_id")?;
    let workflow_id = claims::required(c, "workflow_id")?;
    let account_name = claims::or_empty(c, "account_name")?;
    let pipeline_name = claims::or_empty(c, "pipeline_name")?;
    let platform = match claims::or_empty(c, "platform_url")? {
        "" => base(issuer, "https://g.codefresh.io")?,
        url => BaseUrl::parse(url).ok_or_else(|| Error::InvalidClaim {
            claim: "platform_url".into(),
            reason: "not an absolute URL".into(),
        })?,
    };
    let san = platform.join(&[
        account_name,
        &format!("{pipeline_name}:{account_id}/{pipeline_id}"),
    ]);
    let build = platform.join(&["build", workflow_id]);
    let s = |v: &str| Some(v.to_owned());
    let ext = FulcioExtensions {
        build_signer_uri: s(&build),
        runner_environment: s(claims::or_empty(c, "runner_environment")?),
        source_repository_uri: s(claims::or_empty(c, "scm_repo_url")?),
        source_repository_ref: s(claims::or_empty(c, "scm_ref")?),
        build_config_uri: s(&platform.join(&["api/pipelines", pipeline_id])),
        run_invocation_uri: s(&build),
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
