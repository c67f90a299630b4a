//! Fulcio's config format: the example file, JSON vs YAML spellings, and bad configs refused
//! with errors that name the issuer and the field.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use common::{block_on, example_config, NOW};
use sigstack_fulcio::config::IssuerType;
use sigstack_fulcio::oidc::{KeyStore, LayeredKeyStore, StaticKeyStore};
use sigstack_fulcio::{Config, Error, Verifier};
use sigstack_test_oidc::TestIssuer;

#[test]
fn example_config_loads_without_warnings() {
    let cfg = example_config();
    assert!(cfg.warnings().is_empty(), "{:?}", cfg.warnings());
    let gh = &cfg.oidc_issuers["https://token.actions.githubusercontent.com"];
    assert_eq!(gh.issuer_type, IssuerType::CiProvider);
    assert_eq!(gh.ci_provider.as_deref(), Some("github-workflow"));
    assert_eq!(gh.client_id, "sigstore");
    assert_eq!(gh.challenge_claim(), "sub");
    let dex = &cfg.oidc_issuers["https://dex.example.com"];
    assert_eq!(
        dex.issuer_claim.as_ref().unwrap().source(),
        "$.federated_claims.connector_id"
    );
    assert_eq!(dex.challenge_claim(), "email");
    assert_eq!(cfg.meta_issuers.len(), 1);
    assert_eq!(cfg.meta_issuers[0].1.issuer_type, IssuerType::Kubernetes);
    for p in [
        "github-workflow",
        "github-enterprise",
        "gitlab-pipeline",
        "buildkite-job",
    ] {
        assert!(cfg.ci_provider(p).is_some(), "{p}");
    }
    let md = cfg.ci_provider("gitlab-pipeline").unwrap();
    assert_eq!(md.default_template_values["url"], "https://gitlab.com");
    assert!(md
        .extension_templates
        .source_repository_ref
        .as_ref()
        .unwrap()
        .is_template());
}

#[test]
fn json_and_yaml_spellings_are_equivalent() {
    let json = br#"{
      "OIDCIssuers": {
        "https://token.actions.githubusercontent.com": {
          "IssuerURL": "https://token.actions.githubusercontent.com",
          "ClientID": "sigstore", "Type": "ci-provider", "CIProvider": "github-workflow",
          "Contact": "tac@sigstore.dev", "Description": "GitHub Actions"
        }
      },
      "MetaIssuers": {
        "https://oidc.eks.*.amazonaws.com/id/*": {"ClientID": "sigstore", "Type": "kubernetes"}
      },
      "CIIssuerMetadata": {
        "github-workflow": {
          "DefaultTemplateValues": {"url": "https://github.com"},
          "ExtensionTemplates": {"GithubWorkflowSHA": "sha", "BuildSignerURI": "{{ .url }}/{{ .job_workflow_ref }}",
                                 "SourceRepositoryVisibilityAtSigning": "repository_visibility"},
          "SubjectAlternativeNameTemplate": "{{ .url }}/{{ .job_workflow_ref }}"
        }
      }
    }"#;
    let yaml = br#"
oidc-issuers:
  https://token.actions.githubusercontent.com:
    issuer-url: https://token.actions.githubusercontent.com
    client-id: sigstore
    type: ci-provider
    ci-provider: github-workflow
    contact: tac@sigstore.dev
    description: GitHub Actions
meta-issuers:
  https://oidc.eks.*.amazonaws.com/id/*:
    client-id: sigstore
    type: kubernetes
ci-issuer-metadata:
  github-workflow:
    default-template-values:
      url: https://github.com
    extension-templates:
      github-workflow-sha: sha
      build-signer-uri: "{{ .url }}/{{ .job_workflow_ref }}"
      source-repository-visibility-at-signing: repository_visibility
    subject-alternative-name-template: "{{ .url }}/{{ .job_workflow_ref }}"
"#;
    let a = Config::parse(json).unwrap();
    let b = Config::parse(yaml).unwrap();
    assert_eq!(a.oidc_issuers, b.oidc_issuers);
    assert_eq!(a.meta_issuers, b.meta_issuers);
    assert_eq!(a.ci_issuer_metadata, b.ci_issuer_metadata);
    assert!(a.warnings().is_empty() && b.warnings().is_empty());
    let t = &a
        .ci_provider("github-workflow")
        .unwrap()
        .extension_templates;
    assert_eq!(t.github_workflow_sha.as_ref().unwrap().source(), "sha");
    assert_eq!(
        t.source_repository_visibility_at_signing
            .as_ref()
            .unwrap()
            .source(),
        "repository_visibility"
    );
    // Go's JSON decoder matches field names case-insensitively.
    let c = Config::parse(
        br#"{"oidcissuers": {"https://a.example.com": {"issuerurl": "https://a.example.com", "TYPE": "email"}}}"#,
    )
    .unwrap();
    assert_eq!(
        c.oidc_issuers["https://a.example.com"].issuer_type,
        IssuerType::Email
    );
}

#[test]
fn unknown_keys_are_ignored_but_reported() {
    let cfg = Config::parse(
        br#"
define: [1, 2]
oidc-issuers:
  https://a.example.com:
    issuer-url: https://a.example.com
    type: email
    client-idd: typo
unrelated: true
"#,
    )
    .unwrap();
    let w = cfg.warnings().join("\n");
    assert!(
        w.contains("https://a.example.com") && w.contains("clientidd"),
        "{w}"
    );
    assert!(w.contains("unrelated"), "{w}");
    assert_eq!(
        cfg.oidc_issuers["https://a.example.com"].client_id,
        "sigstore"
    );
}

#[test]
fn yaml_anchors_and_merge_keys() {
    let cfg = Config::parse(
        br#"
define:
  - &email-issuer
    client-id: sigstore
    type: email
oidc-issuers:
  https://a.example.com:
    <<: *email-issuer
    issuer-url: https://a.example.com
  https://b.example.com:
    <<: *email-issuer
    issuer-url: https://b.example.com
    client-id: other
"#,
    )
    .unwrap();
    assert_eq!(
        cfg.oidc_issuers["https://a.example.com"].client_id,
        "sigstore"
    );
    assert_eq!(cfg.oidc_issuers["https://b.example.com"].client_id, "other");
    assert_eq!(
        cfg.oidc_issuers["https://b.example.com"].issuer_type,
        IssuerType::Email
    );
}

fn bad(yaml: &str, issuer: &str, field: &str) {
    match Config::parse(yaml.as_bytes()) {
        Err(e @ Error::Config { .. }) => {
            let Error::Config {
                issuer: i,
                field: f,
                ..
            } = &e
            else {
                unreachable!()
            };
            assert!(i.contains(issuer), "issuer {i:?} for {yaml}");
            assert_eq!(*f, field, "{e}");
            let msg = e.to_string();
            assert!(msg.contains(issuer) && msg.contains(field), "{msg}");
        }
        other => panic!("expected a config error naming {issuer}/{field}, got {other:?}\n{yaml}"),
    }
}

fn one(url: &str, body: &str) -> String {
    format!("oidc-issuers:\n  {url}:\n    issuer-url: {url}\n{body}")
}

#[test]
fn bad_configs_name_the_issuer_and_the_field() {
    let a = "https://a.example.com";
    bad(
        "oidc-issuers:\n  https://a.example.com:\n    issuer-url: https://b.example.com\n    type: email\n",
        a,
        "IssuerURL",
    );
    bad(
        "oidc-issuers:\n  https://a.example.com:\n    type: email\n",
        a,
        "IssuerURL",
    );
    bad(&one(a, "    client-id: x\n"), a, "Type");
    bad(&one(a, "    type: github\n"), a, "Type");
    bad(
        &one(a, "    type: kubernetes\n    issuer-claim: $.x\n"),
        a,
        "IssuerClaim",
    );
    bad(
        &one(
            a,
            "    type: email\n    issuer-claim: federated_claims.connector_id\n",
        ),
        a,
        "IssuerClaim",
    );
    bad(
        &one(a, "    type: email\n    issuer-claim: $..x[*]\n"),
        a,
        "IssuerClaim",
    );
    bad(&one(a, "    type: ci-provider\n"), a, "CIProvider");
    bad(
        &one(a, "    type: ci-provider\n    ci-provider: nope\n"),
        a,
        "CIProvider",
    );
    bad(
        &one(a, "    type: email\n    ci-provider: nope\n"),
        a,
        "CIProvider",
    );
    bad(
        &format!("{}ci-issuer-metadata:\n  prov:\n    extension-templates:\n      build-signer-uri: sha\n",
            one(a, "    type: ci-provider\n    ci-provider: prov\n")),
        "prov",
        "SubjectAlternativeNameTemplate",
    );
    for broken in [
        "'{{ .url '",
        "'{{ range . }}x{{ end }}'",
        "'{{ if eq .a \"b\" }}x'",
        "'{{ .a.b }}'",
        "'{{ index .a }}'",
        "'{{ printf \"%s\" .a }}'",
    ] {
        bad(
            &format!("ci-issuer-metadata:\n  prov:\n    extension-templates:\n      build-signer-uri: {broken}\n    subject-alternative-name-template: x\n"),
            "prov",
            "BuildSignerURI",
        );
        bad(
            &format!(
                "ci-issuer-metadata:\n  prov:\n    subject-alternative-name-template: {broken}\n"
            ),
            "prov",
            "SubjectAlternativeNameTemplate",
        );
    }
    bad(&one(a, "    type: uri\n"), a, "SubjectDomain");
    bad(
        &one(a, "    type: uri\n    subject-domain: example.com\n"),
        a,
        "SubjectDomain",
    );
    bad(
        &one(a, "    type: uri\n    subject-domain: http://example.com\n"),
        a,
        "SubjectDomain",
    );
    bad(
        &one(a, "    type: uri\n    subject-domain: https://evil.com\n"),
        a,
        "SubjectDomain",
    );
    bad(&one(a, "    type: username\n"), a, "SubjectDomain");
    bad(
        &one(
            a,
            "    type: username\n    subject-domain: https://example.com\n",
        ),
        a,
        "SubjectDomain",
    );
    bad(
        &one(a, "    type: username\n    subject-domain: evil.com\n"),
        a,
        "SubjectDomain",
    );
    bad(&one(a, "    type: spiffe\n"), a, "SPIFFETrustDomain");
    bad(
        &one(
            a,
            "    type: spiffe\n    spiffe-trust-domain: Example.ORG\n",
        ),
        a,
        "SPIFFETrustDomain",
    );
    bad(
        "meta-issuers:\n  https://*.example.com:\n    type: spiffe\n    spiffe-trust-domain: example.com\n",
        "https://*.example.com",
        "Type",
    );
    bad(
        "meta-issuers:\n  https://*.example.com:\n    type: email\n    static-jwks-file: /x.json\n",
        "https://*.example.com",
        "StaticJWKSFile",
    );
    bad(
        &one(a, "    type: email\n    client-id: 5\n"),
        a,
        "ClientID",
    );
    bad(
        &one(a, "    type: email\n    skip-email-verification: \"yes\"\n"),
        a,
        "SkipEmailVerification",
    );
    bad(
        &one(
            a,
            "    type: kubernetes\n    skip-email-verification: true\n",
        ),
        a,
        "SkipEmailVerification",
    );
    bad(
        &one(a, "    type: email\n    ca-cert: not a pem\n"),
        a,
        "CACert",
    );
    bad(
        &one(
            a,
            "    type: github-workflow\n    base-url: github.example.com\n",
        ),
        a,
        "BaseURL",
    );
    bad(
        &one("ftp://a.example.com", "    type: email\n"),
        "ftp://a.example.com",
        "IssuerURL",
    );
    bad(
        &one("not-a-url", "    type: email\n"),
        "not-a-url",
        "IssuerURL",
    );
    bad("oidc-issuers:\n  https://a.example.com: 5\n", a, "(object)");
    bad("oidc-issuers: [1]\n", "(top level)", "OIDCIssuers");

    // Valid uri/username domains: same last two labels as the issuer host.
    Config::parse(
        one(
            "https://auth.example.com",
            "    type: uri\n    subject-domain: https://users.example.com\n",
        )
        .as_bytes(),
    )
    .unwrap();
    Config::parse(
        one(
            "https://auth.example.com",
            "    type: username\n    subject-domain: example.com\n",
        )
        .as_bytes(),
    )
    .unwrap();

    assert!(matches!(
        Config::parse(b"{not json: [yaml"),
        Err(Error::ConfigSyntax(_))
    ));
    let e = Config::from_file(std::path::Path::new("/nonexistent/fulcio.yaml")).unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
}

#[test]
fn meta_issuer_resolution_prefers_the_most_specific_pattern() {
    let cfg = Config::parse(
        br#"
meta-issuers:
  https://*.example.com/*:
    type: email
  https://ci.example.com/*:
    type: kubernetes
"#,
    )
    .unwrap();
    let r = cfg.issuer_for("https://ci.example.com/cluster1").unwrap();
    assert!(r.meta);
    assert_eq!(r.url, "https://ci.example.com/cluster1");
    assert_eq!(r.config.issuer_type, IssuerType::Kubernetes);
    let r = cfg.issuer_for("https://dev.example.com/x").unwrap();
    assert_eq!(r.config.issuer_type, IssuerType::Email);
    assert!(cfg.issuer_for("https://a.b.example.com/x").is_none());
    assert!(cfg.issuer_for("https://ci.example.com/x/y").is_none());
}

#[test]
fn fulcio_default_config() {
    let cfg = Config::fulcio_default();
    assert_eq!(cfg.oidc_issuers.len(), 3);
    assert_eq!(
        cfg.oidc_issuers["https://token.actions.githubusercontent.com"].issuer_type,
        IssuerType::GithubWorkflow
    );
    assert!(cfg.oidc_issuers["https://oauth2.sigstore.dev/auth"]
        .issuer_claim
        .is_some());
}

#[test]
fn static_jwks_file_for_air_gapped_issuers() {
    let dir = std::env::temp_dir().join(format!("sigstack-fulcio-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let iss = "https://keycloak.internal.example/realms/ci";
    let issuer = TestIssuer::new(iss);
    let jwks_path = dir.join("jwks.json");
    std::fs::write(&jwks_path, issuer.jwks().to_string()).unwrap();
    let yaml = format!(
        "oidc-issuers:\n  {iss}:\n    issuer-url: {iss}\n    type: email\n    static-jwks-file: {}\n",
        jwks_path.display()
    );
    let cfg = Arc::new(Config::parse(yaml.as_bytes()).unwrap());
    let statics = StaticKeyStore::from_config(&cfg).unwrap();
    let keys: Arc<dyn KeyStore> = Arc::new(LayeredKeyStore::new(statics, None));
    let v = Verifier::new(cfg.clone(), keys);
    let t = issuer
        .token(NOW)
        .claim("email", "ci@internal.example")
        .claim("email_verified", true)
        .build();
    assert_eq!(
        block_on(v.authenticate(&t, NOW)).unwrap().name,
        "ci@internal.example"
    );

    // Issuers without static keys and without a network store fail clearly.
    let cfg2 = Arc::new(
        Config::parse(one("https://other.example", "    type: email\n").as_bytes()).unwrap(),
    );
    let keys: Arc<dyn KeyStore> = Arc::new(LayeredKeyStore::new(StaticKeyStore::new(), None));
    let v = Verifier::new(cfg2, keys);
    let o = TestIssuer::new("https://other.example");
    let e = block_on(v.authenticate(&o.token(NOW).build(), NOW)).unwrap_err();
    assert!(matches!(e, Error::KeyFetch { .. }), "{e}");

    // A broken JWKS file names the issuer and the field.
    std::fs::write(&jwks_path, "{\"keys\": 5}").unwrap();
    match StaticKeyStore::from_config(&cfg) {
        Err(Error::Config { issuer, field, .. }) => {
            assert_eq!(issuer, iss);
            assert_eq!(field, "StaticJWKSFile");
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn public_configuration_document() {
    // The golden capture of Fulcio 1.6.5's /api/v2/configuration for its one e-mail issuer.
    let cfg = Config::parse(
        br#"{"OIDCIssuers": {"http://127.0.0.1:8180": {"IssuerURL": "http://127.0.0.1:8180",
            "ClientID": "sigstore", "Type": "email"}}}"#,
    )
    .unwrap();
    let rec: serde_json::Value = serde_json::from_slice(
        &std::fs::read(common::golden("read/GET-api-v2-configuration.json")).unwrap(),
    )
    .unwrap();
    let mut expected: serde_json::Value =
        serde_json::from_str(rec["response"]["body_text"].as_str().unwrap()).unwrap();
    // 1.6.5 predates skipEmailVerification; newer Fulcio emits it.
    expected["issuers"][0]["skipEmailVerification"] = serde_json::json!(false);
    assert_eq!(cfg.public_configuration(), expected);

    let doc = example_config().public_configuration();
    let issuers = doc["issuers"].as_array().unwrap();
    assert_eq!(issuers.len(), 6);
    let meta = issuers
        .iter()
        .find(|i| i.get("wildcardIssuerUrl").is_some())
        .unwrap();
    assert_eq!(
        meta["wildcardIssuerUrl"],
        "https://oidc.eks.*.amazonaws.com/id/*"
    );
    assert_eq!(meta["issuerType"], "kubernetes");
    assert_eq!(meta["challengeClaim"], "sub");
}
