//! Realistic claim sets of the CI systems and identity providers the CA serves, shaped like
//! the real tokens (claim names, string-typed IDs, nested Kubernetes claims). Add them to a
//! token with [`crate::TokenBuilder::claims`]; `iss`, `aud`, and the times come from the builder.

use serde_json::{json, Map, Value};

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// A GitHub Actions job in `octo-org/octo-repo`, on a push to `main`, running the reusable
/// workflow `octo-org/shared/.github/workflows/build.yml@refs/tags/v1`.
pub fn github_actions() -> Map<String, Value> {
    object(json!({
        "sub": "repo:octo-org/octo-repo:ref:refs/heads/main",
        "jti": "0c4a2d6e-5b8a-4f7c-9c1e-2d3f4a5b6c7d",
        "ref": "refs/heads/main",
        "sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        "repository": "octo-org/octo-repo",
        "repository_owner": "octo-org",
        "repository_owner_id": "5017",
        "repository_id": "98765432",
        "repository_visibility": "public",
        "run_id": "7711223344",
        "run_number": "42",
        "run_attempt": "1",
        "runner_environment": "github-hosted",
        "actor": "octocat",
        "actor_id": "583231",
        "workflow": "Release",
        "workflow_ref": "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
        "workflow_sha": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        "head_ref": "",
        "base_ref": "",
        "event_name": "push",
        "ref_type": "branch",
        "ref_protected": "true",
        "job_workflow_ref": "octo-org/shared/.github/workflows/build.yml@refs/tags/v1",
        "job_workflow_sha": "ffeeddccbbaa99887766554433221100ffeeddcc",
    }))
}

/// A GitLab CI job of `my-group/my-project` on branch `main`.
pub fn gitlab_ci() -> Map<String, Value> {
    object(json!({
        "sub": "project_path:my-group/my-project:ref_type:branch:ref:main",
        "namespace_id": "4242",
        "namespace_path": "my-group",
        "project_id": "20210",
        "project_path": "my-group/my-project",
        "project_visibility": "private",
        "user_id": "1",
        "user_login": "alice",
        "user_email": "alice@example.com",
        "pipeline_id": "1234567",
        "pipeline_source": "push",
        "job_id": "987654321",
        "ref": "main",
        "ref_type": "branch",
        "ref_path": "refs/heads/main",
        "ref_protected": "true",
        "runner_id": 12270857,
        "runner_environment": "gitlab-hosted",
        "sha": "0123456789abcdef0123456789abcdef01234567",
        "ci_config_ref_uri": "gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main",
        "ci_config_sha": "0123456789abcdef0123456789abcdef01234567",
        "jti": "2a3b4c5d-1111-2222-3333-444455556666",
    }))
}

/// A Buildkite job of pipeline `acme/deploy`, build 1337.
pub fn buildkite() -> Map<String, Value> {
    object(json!({
        "sub": "organization:acme:pipeline:deploy:ref:refs/heads/main:commit:abcdef0123456789abcdef0123456789abcdef01:step:build",
        "organization_slug": "acme",
        "pipeline_slug": "deploy",
        "build_number": 1337,
        "build_branch": "main",
        "build_tag": null,
        "build_commit": "abcdef0123456789abcdef0123456789abcdef01",
        "build_source": "webhook",
        "step_key": "build",
        "job_id": "0184990a-477b-4fa8-9968-496074483cee",
        "agent_id": "0184990a-4782-42b5-afc1-16715b10b8ff",
        "runner_environment": "buildkite-hosted",
    }))
}

/// A Codefresh workflow.
pub fn codefresh() -> Map<String, Value> {
    object(json!({
        "sub": "account:628a80b693a15c0f9c13ab75:pipeline:65e5a53e52853dc51a5b0cc1:scm_repo_url:https://github.com/codefresh-user/oidc-test:scm_user_name:cf-user:scm_ref:main:scm_pull_request_target_branch:",
        "account_id": "628a80b693a15c0f9c13ab75",
        "account_name": "codefresh-account",
        "pipeline_id": "65e5a53e52853dc51a5b0cc1",
        "pipeline_name": "oidc-test/get-token",
        "workflow_id": "65e6d5551e3b0d3d1f0a1e0b",
        "initiator": "cf-user",
        "scm_user_name": "cf-user",
        "scm_repo_url": "https://github.com/codefresh-user/oidc-test",
        "scm_ref": "main",
        "scm_pull_request_target_branch": "",
        "runner_environment": "saas",
        "platform_url": "https://g.codefresh.io",
    }))
}

/// A Kubernetes projected service-account token for `default/builder`.
pub fn kubernetes() -> Map<String, Value> {
    object(json!({
        "sub": "system:serviceaccount:default:builder",
        "kubernetes.io": {
            "namespace": "default",
            "pod": {"name": "build-7d9f8", "uid": "49ad3572-b3dd-43a6-8d77-5858d3660275"},
            "serviceaccount": {"name": "builder", "uid": "f5720c1d-e152-4356-a897-11b07aff165d"}
        },
    }))
}

/// A SPIFFE JWT-SVID in trust domain `example.org`.
pub fn spiffe() -> Map<String, Value> {
    object(json!({ "sub": "spiffe://example.org/ns/build/sa/builder" }))
}

/// An interactive user with a verified e-mail address (Dex/Keycloak/Google shape).
pub fn email(address: &str) -> Map<String, Value> {
    object(json!({
        "sub": "CgVhbGljZRIEZmFrZQ",
        "email": address,
        "email_verified": true,
    }))
}
