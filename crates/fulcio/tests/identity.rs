//! Per identity type: realistic tokens through the whole pipeline (signature, claims,
//! principal), checking the SAN and *every* extension value.
#![allow(clippy::unwrap_used)]

mod common;

use common::{authenticate, example_config, verifier, NOW};
use serde_json::json;
use sigstack_fulcio::identity::OTHER_NAME_USERNAME_OID;
use sigstack_fulcio::server::request_status;
use sigstack_fulcio::{Config, Error, FulcioExtensions, SubjectAltName};
use sigstack_test_oidc::{presets, TestIssuer};

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

const GH_ISS: &str = "https://token.actions.githubusercontent.com";

/// The extensions the public-config GitHub template yields for `presets::github_actions`,
/// with the web base `url`.
fn github_expected(url: &str, iss: &str, deprecated_v1: bool) -> FulcioExtensions {
    let v1 = |v: &str| if deprecated_v1 { s(v) } else { None };
    FulcioExtensions {
        issuer_v1: s(iss),
        github_workflow_trigger: v1("push"),
        github_workflow_sha: v1("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"),
        github_workflow_name: v1("Release"),
        github_workflow_repository: v1("octo-org/octo-repo"),
        github_workflow_ref: v1("refs/heads/main"),
        issuer_v2: s(iss),
        build_signer_uri: s(&format!(
            "{url}/octo-org/shared/.github/workflows/build.yml@refs/tags/v1"
        )),
        build_signer_digest: s("ffeeddccbbaa99887766554433221100ffeeddcc"),
        runner_environment: s("github-hosted"),
        source_repository_uri: s(&format!("{url}/octo-org/octo-repo")),
        source_repository_digest: s("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"),
        source_repository_ref: s("refs/heads/main"),
        source_repository_identifier: s("98765432"),
        source_repository_owner_uri: s(&format!("{url}/octo-org")),
        source_repository_owner_identifier: s("5017"),
        build_config_uri: s(&format!(
            "{url}/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main"
        )),
        build_config_digest: s("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"),
        build_trigger: s("push"),
        run_invocation_uri: s(&format!(
            "{url}/octo-org/octo-repo/actions/runs/7711223344/attempts/1"
        )),
        source_repository_visibility_at_signing: s("public"),
        deployment_environment: None,
        subject: s("repo:octo-org/octo-repo:ref:refs/heads/main"),
    }
}

#[test]
fn github_actions_via_public_config_template() {
    let issuer = TestIssuer::new(GH_ISS);
    let v = verifier(example_config(), &[&issuer]);
    let token = issuer.token(NOW).claims(presets::github_actions()).build();
    let p = authenticate(&v, &token).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri(
            "https://github.com/octo-org/shared/.github/workflows/build.yml@refs/tags/v1".into()
        )
    );
    assert_eq!(p.name, "repo:octo-org/octo-repo:ref:refs/heads/main");
    assert_eq!(p.issuer, GH_ISS);
    assert_eq!(
        p.extensions,
        github_expected("https://github.com", GH_ISS, true)
    );

    // With a deployment environment, .1.23 appears.
    let token = issuer
        .token(NOW)
        .claims(presets::github_actions())
        .claim("environment", "production")
        .build();
    let p = authenticate(&v, &token).unwrap();
    assert_eq!(
        p.extensions.deployment_environment.as_deref(),
        Some("production")
    );
}

#[test]
fn github_enterprise_server_by_configuration_alone() {
    let iss = "https://ghes.example.com/_services/token";
    let issuer = TestIssuer::new(iss);
    let v = verifier(example_config(), &[&issuer]);
    let token = issuer.token(NOW).claims(presets::github_actions()).build();
    let p = authenticate(&v, &token).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri(
            "https://ghes.example.com/octo-org/shared/.github/workflows/build.yml@refs/tags/v1"
                .into()
        )
    );
    assert_eq!(
        p.extensions,
        github_expected("https://ghes.example.com", iss, false)
    );
}

fn inline(yaml: &str) -> Config {
    Config::parse(yaml.as_bytes()).unwrap()
}

#[test]
fn deprecated_github_workflow_type_public_and_ghes() {
    let ghes = "https://ghes.example.com/_services/token";
    let cfg = inline(&format!(
        "oidc-issuers:\n  {GH_ISS}:\n    issuer-url: {GH_ISS}\n    type: github-workflow\n  \
         {ghes}:\n    issuer-url: {ghes}\n    type: github-workflow\n"
    ));
    let (a, b) = (TestIssuer::new(GH_ISS), TestIssuer::new(ghes));
    let v = verifier(cfg, &[&a, &b]);
    for (issuer, url) in [(&a, "https://github.com"), (&b, "https://ghes.example.com")] {
        let token = issuer.token(NOW).claims(presets::github_actions()).build();
        let p = authenticate(&v, &token).unwrap();
        assert_eq!(p.extensions, github_expected(url, issuer.issuer(), true));
        assert_eq!(
            p.san,
            SubjectAltName::Uri(p.extensions.build_signer_uri.clone().unwrap())
        );
    }
    // Every listed claim is required by the built-in type.
    for claim in [
        "job_workflow_ref",
        "run_attempt",
        "repository_visibility",
        "workflow_sha",
    ] {
        let token = a
            .token(NOW)
            .claims(presets::github_actions())
            .without_claim(claim)
            .build();
        match authenticate(&v, &token) {
            Err(Error::MissingClaim(c)) => assert_eq!(c, claim),
            other => panic!("{claim}: {other:?}"),
        }
    }
    // GitHub sends IDs as strings; a number is a decoding error in Fulcio too.
    let token = a
        .token(NOW)
        .claims(presets::github_actions())
        .claim("run_id", 7711223344u64)
        .build();
    assert!(matches!(
        authenticate(&v, &token),
        Err(Error::InvalidClaim { .. })
    ));
}

fn gitlab_expected(base: &str, config_uri: &str, iss: &str) -> FulcioExtensions {
    FulcioExtensions {
        issuer_v1: s(iss),
        issuer_v2: s(iss),
        build_signer_uri: s(config_uri),
        build_signer_digest: s("0123456789abcdef0123456789abcdef01234567"),
        runner_environment: s("gitlab-hosted"),
        source_repository_uri: s(&format!("{base}/my-group/my-project")),
        source_repository_digest: s("0123456789abcdef0123456789abcdef01234567"),
        source_repository_ref: s("refs/heads/main"),
        source_repository_identifier: s("20210"),
        source_repository_owner_uri: s(&format!("{base}/my-group")),
        source_repository_owner_identifier: s("4242"),
        build_config_uri: s(config_uri),
        build_config_digest: s("0123456789abcdef0123456789abcdef01234567"),
        build_trigger: s("push"),
        run_invocation_uri: s(&format!("{base}/my-group/my-project/-/jobs/987654321")),
        source_repository_visibility_at_signing: s("private"),
        subject: s("project_path:my-group/my-project:ref_type:branch:ref:main"),
        ..FulcioExtensions::default()
    }
}

#[test]
fn gitlab_ci_via_public_config_template() {
    let issuer = TestIssuer::new("https://gitlab.com");
    let v = verifier(example_config(), &[&issuer]);
    let token = issuer.token(NOW).claims(presets::gitlab_ci()).build();
    let p = authenticate(&v, &token).unwrap();
    let cfg_uri = "https://gitlab.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main";
    assert_eq!(p.san, SubjectAltName::Uri(cfg_uri.into()));
    assert_eq!(
        p.extensions,
        gitlab_expected("https://gitlab.com", cfg_uri, "https://gitlab.com")
    );
    // The `if eq .ref_type "branch"` template picks refs/tags/ for tags.
    let token = issuer
        .token(NOW)
        .claims(presets::gitlab_ci())
        .claim("ref_type", "tag")
        .claim("ref", "v1.2.3")
        .build();
    let p = authenticate(&v, &token).unwrap();
    assert_eq!(
        p.extensions.source_repository_ref.as_deref(),
        Some("refs/tags/v1.2.3")
    );
}

#[test]
fn deprecated_gitlab_type_uses_the_instance_url_not_gitlab_com() {
    let iss = "https://gitlab.example.com";
    let cfg = inline(&format!(
        "oidc-issuers:\n  {iss}:\n    issuer-url: {iss}\n    type: gitlab-pipeline\n"
    ));
    let issuer = TestIssuer::new(iss);
    let v = verifier(cfg, &[&issuer]);
    let token = issuer
        .token(NOW)
        .claims(presets::gitlab_ci())
        .claim(
            "ci_config_ref_uri",
            "gitlab.example.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main",
        )
        .build();
    let p = authenticate(&v, &token).unwrap();
    let cfg_uri = "https://gitlab.example.com/my-group/my-project//.gitlab-ci.yml@refs/heads/main";
    assert_eq!(p.san, SubjectAltName::Uri(cfg_uri.into()));
    assert_eq!(p.extensions, gitlab_expected(iss, cfg_uri, iss));

    // runner_id is required (an integer) by the built-in type.
    let token = issuer
        .token(NOW)
        .claims(presets::gitlab_ci())
        .without_claim("runner_id")
        .build();
    assert!(matches!(authenticate(&v, &token), Err(Error::MissingClaim(c)) if c == "runner_id"));
}

#[test]
fn buildkite_template_and_builtin() {
    let iss = "https://agent.buildkite.com";
    let issuer = TestIssuer::new(iss);
    let v = verifier(example_config(), &[&issuer]);
    let token = issuer.token(NOW).claims(presets::buildkite()).build();
    let p = authenticate(&v, &token).unwrap();
    let sub = presets::buildkite()["sub"].as_str().unwrap().to_owned();
    assert_eq!(
        p.san,
        SubjectAltName::Uri("https://buildkite.com/acme/deploy".into())
    );
    assert_eq!(
        p.extensions,
        FulcioExtensions {
            issuer_v1: s(iss),
            issuer_v2: s(iss),
            runner_environment: s("buildkite-hosted"),
            source_repository_digest: s("abcdef0123456789abcdef0123456789abcdef01"),
            build_trigger: s("webhook"),
            // build_number is a JSON number: stringified without exponent.
            run_invocation_uri: s(
                "https://buildkite.com/acme/deploy/builds/1337#0184990a-477b-4fa8-9968-496074483cee"
            ),
            subject: s(&sub),
            ..FulcioExtensions::default()
        }
    );

    let cfg = inline(&format!(
        "oidc-issuers:\n  {iss}:\n    issuer-url: {iss}\n    type: buildkite-job\n    base-url: https://buildkite.internal.example\n"
    ));
    let v = verifier(cfg, &[&issuer]);
    let p = authenticate(&v, &token).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri("https://buildkite.internal.example/acme/deploy".into())
    );
    assert_eq!(
        p.extensions,
        FulcioExtensions {
            issuer_v1: s(iss),
            issuer_v2: s(iss),
            subject: s(&sub),
            ..FulcioExtensions::default()
        }
    );
}

#[test]
fn codefresh_builtin() {
    let iss = "https://oidc.codefresh.io";
    let cfg = inline(&format!(
        "oidc-issuers:\n  {iss}:\n    issuer-url: {iss}\n    type: codefresh-workflow\n"
    ));
    let issuer = TestIssuer::new(iss);
    let v = verifier(cfg, &[&issuer]);
    let p = authenticate(&v, &issuer.token(NOW).claims(presets::codefresh()).build()).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri(
            "https://g.codefresh.io/codefresh-account/oidc-test/get-token:628a80b693a15c0f9c13ab75/65e5a53e52853dc51a5b0cc1".into()
        )
    );
    let build = "https://g.codefresh.io/build/65e6d5551e3b0d3d1f0a1e0b";
    assert_eq!(
        p.extensions,
        FulcioExtensions {
            issuer_v1: s(iss),
            issuer_v2: s(iss),
            build_signer_uri: s(build),
            runner_environment: s("saas"),
            source_repository_uri: s("https://github.com/codefresh-user/oidc-test"),
            source_repository_ref: s("main"),
            build_config_uri: s("https://g.codefresh.io/api/pipelines/65e5a53e52853dc51a5b0cc1"),
            run_invocation_uri: s(build),
            subject: p.extensions.subject.clone(),
            ..FulcioExtensions::default()
        }
    );
}

#[test]
fn kubernetes_meta_issuer() {
    let iss = "https://oidc.eks.us-west-2.amazonaws.com/id/ABCDEF0123456789";
    let issuer = TestIssuer::new(iss);
    let v = verifier(example_config(), &[&issuer]);
    let p = authenticate(&v, &issuer.token(NOW).claims(presets::kubernetes()).build()).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri(
            "https://kubernetes.io/namespaces/default/serviceaccounts/builder".into()
        )
    );
    assert_eq!(p.name, "system:serviceaccount:default:builder");
    assert_eq!(
        p.extensions,
        FulcioExtensions {
            issuer_v1: s(iss),
            issuer_v2: s(iss),
            subject: s("system:serviceaccount:default:builder"),
            ..FulcioExtensions::default()
        }
    );
    // Hosts that only *contain* the pattern do not match it.
    for evil in [
        "https://oidc.eks.us-west-2.amazonaws.com.evil.com/id/ABC",
        "https://oidc.eks.us.west.amazonaws.com/id/ABC",
        "https://oidc.eks.x.amazonaws.com/id/ABC/../../x",
    ] {
        let e = TestIssuer::new(evil);
        let token = e.token(NOW).claims(presets::kubernetes()).build();
        assert!(
            matches!(authenticate(&v, &token), Err(Error::UnknownIssuer(_))),
            "{evil}"
        );
    }
}

#[test]
fn spiffe_uri_username_chainguard() {
    let cfg = inline(
        r#"
oidc-issuers:
  https://spire.example.org:
    issuer-url: https://spire.example.org
    type: spiffe
    spiffe-trust-domain: example.org
  https://auth.example.com:
    issuer-url: https://auth.example.com
    type: uri
    subject-domain: https://example.com
  https://login.example.com:
    issuer-url: https://login.example.com
    type: username
    subject-domain: example.com
  https://issuer.enforce.dev:
    issuer-url: https://issuer.enforce.dev
    type: chainguard-identity
"#,
    );
    let spire = TestIssuer::new("https://spire.example.org");
    let auth = TestIssuer::new("https://auth.example.com");
    let login = TestIssuer::new("https://login.example.com");
    let cg = TestIssuer::new("https://issuer.enforce.dev");
    let v = verifier(cfg, &[&spire, &auth, &login, &cg]);

    let p = authenticate(&v, &spire.token(NOW).claims(presets::spiffe()).build()).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri("spiffe://example.org/ns/build/sa/builder".into())
    );
    assert_eq!(p.name, "spiffe://example.org/ns/build/sa/builder");
    for bad in [
        "spiffe://evil.org/ns/build",
        "spiffe://example.org/ns/../x",
        "spiffe://Example.org/x",
        "https://example.org/x",
    ] {
        let t = spire.token(NOW).claim("sub", bad).build();
        assert!(
            matches!(authenticate(&v, &t), Err(Error::InvalidClaim { .. })),
            "{bad}"
        );
    }

    let t = auth
        .token(NOW)
        .claim("sub", "https://example.com/users/alice")
        .build();
    let p = authenticate(&v, &t).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri("https://example.com/users/alice".into())
    );
    assert_eq!(p.name, "https://example.com/users/alice");
    for bad in [
        "https://evil.com/users/alice",
        "http://example.com/u",
        "alice@example.com",
    ] {
        let t = auth.token(NOW).claim("sub", bad).build();
        assert!(
            matches!(authenticate(&v, &t), Err(Error::InvalidClaim { .. })),
            "{bad}"
        );
    }

    let t = login.token(NOW).claim("sub", "alice").build();
    let p = authenticate(&v, &t).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::OtherName {
            type_id: OTHER_NAME_USERNAME_OID.into(),
            value: "alice!example.com".into()
        }
    );
    assert_eq!(p.name, "alice", "PoP signs the bare sub");
    for bad in ["al!ce", "alice@example.com"] {
        let t = login.token(NOW).claim("sub", bad).build();
        assert!(
            matches!(authenticate(&v, &t), Err(Error::InvalidClaim { .. })),
            "{bad}"
        );
    }

    let t = cg.token(NOW).claim("sub", "cdb2b2a6/8f4e4d1e2c").build();
    let p = authenticate(&v, &t).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri("https://issuer.enforce.dev/cdb2b2a6/8f4e4d1e2c".into())
    );
    assert_eq!(p.name, "cdb2b2a6/8f4e4d1e2c");
    let t = cg
        .token(NOW)
        .claim("sub", "cdb2b2a6")
        .claim("email", "bot@example.com")
        .claim("email_verified", true)
        .build();
    assert_eq!(authenticate(&v, &t).unwrap().name, "bot@example.com");
}

#[test]
fn email_with_dex_issuer_claim() {
    let issuer = TestIssuer::new("https://dex.example.com");
    let v = verifier(example_config(), &[&issuer]);
    let token = issuer
        .token(NOW)
        .claims(presets::email("alice@example.com"))
        .claim(
            "federated_claims",
            json!({"connector_id": "https://github.com/login/oauth", "user_id": "1"}),
        )
        .build();
    let p = authenticate(&v, &token).unwrap();
    assert_eq!(p.san, SubjectAltName::Email("alice@example.com".into()));
    assert_eq!(p.name, "alice@example.com");
    assert_eq!(p.issuer, "https://github.com/login/oauth");
    assert_eq!(
        p.extensions,
        FulcioExtensions {
            issuer_v1: s("https://github.com/login/oauth"),
            issuer_v2: s("https://github.com/login/oauth"),
            subject: s("CgVhbGljZRIEZmFrZQ"),
            ..FulcioExtensions::default()
        }
    );
    // Without the claim at the JSONPath the token is refused.
    let token = issuer
        .token(NOW)
        .claims(presets::email("alice@example.com"))
        .build();
    assert!(matches!(
        authenticate(&v, &token),
        Err(Error::MissingClaim(_))
    ));
}

#[test]
fn ci_provider_template_language() {
    // CircleCI-style: keys with dots and slashes via `index`, and a conditional.
    let cfg = inline(
        r#"
oidc-issuers:
  https://oidc.circleci.com/org/abc:
    issuer-url: https://oidc.circleci.com/org/abc
    type: ci-provider
    ci-provider: circleci
ci-issuer-metadata:
  circleci:
    default-template-values:
      api_url: https://circleci.com/api/v2
    extension-templates:
      runner-environment: '{{if eq (index . "oidc.circleci.com/ssh-rerun") "true"}}ssh-rerun{{ else }}""{{end}}'
      source-repository-ref: '{{ index . "oidc.circleci.com/vcs-ref" }}'
      build-config-uri: '{{ .api_url }}/pipeline/{{ index . "oidc.circleci.com/pipeline-id" }}/config'
      source-repository-identifier: project_number
      build-trigger: '{{ .trigger }}'
    subject-alternative-name-template: '{{ .api_url }}/projects/{{ index . "oidc.circleci.com/project-id" }}'
"#,
    );
    let issuer = TestIssuer::new("https://oidc.circleci.com/org/abc");
    let v = verifier(cfg, &[&issuer]);
    let base = |rerun: serde_json::Value| {
        issuer
            .token(NOW)
            .claim("sub", "org/abc/project/def/user/ghi")
            .claim("oidc.circleci.com/project-id", "def")
            .claim("oidc.circleci.com/pipeline-id", "p-1")
            .claim("oidc.circleci.com/vcs-ref", "refs/heads/main")
            .claim("oidc.circleci.com/ssh-rerun", rerun)
            .claim("project_number", 12345678901234u64)
            .claim("trigger", "push")
            .build()
    };
    let p = authenticate(&v, &base(json!(true))).unwrap();
    assert_eq!(
        p.san,
        SubjectAltName::Uri("https://circleci.com/api/v2/projects/def".into())
    );
    assert_eq!(
        p.extensions.runner_environment.as_deref(),
        Some("ssh-rerun")
    );
    assert_eq!(
        p.extensions.source_repository_identifier.as_deref(),
        Some("12345678901234")
    );
    assert_eq!(
        p.extensions.build_config_uri.as_deref(),
        Some("https://circleci.com/api/v2/pipeline/p-1/config")
    );
    // The upstream template's quirk: the else branch is the two characters `""`.
    let p = authenticate(&v, &base(json!(false))).unwrap();
    assert_eq!(p.extensions.runner_environment.as_deref(), Some("\"\""));

    // `index` of an absent key is "" (Go's zero value), not an error...
    let t = issuer
        .token(NOW)
        .claim("sub", "x")
        .claim("oidc.circleci.com/project-id", "def")
        .claim("project_number", "1")
        .claim("trigger", "push")
        .build();
    let p = authenticate(&v, &t).unwrap();
    assert_eq!(
        p.extensions.build_config_uri.as_deref(),
        Some("https://circleci.com/api/v2/pipeline//config")
    );
    assert_eq!(
        p.extensions.source_repository_ref, None,
        "empty values are not emitted"
    );
    // ...but `.field` of an absent key is (missingkey=error), and so is an absent claim name.
    for (drop, needle) in [("trigger", "trigger"), ("project_number", "project_number")] {
        let t = issuer
            .token(NOW)
            .claim("sub", "x")
            .claim("oidc.circleci.com/project-id", "def")
            .claim("project_number", "1")
            .claim("trigger", "push")
            .without_claim(drop)
            .build();
        match authenticate(&v, &t) {
            Err(e @ Error::Template(_)) => {
                assert!(e.client_message().contains(needle), "{e}");
                assert_eq!(request_status(&e).as_u16(), 400);
            }
            other => panic!("{other:?}"),
        }
    }
}
