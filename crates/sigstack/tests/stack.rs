//! The whole stack from the binary, hermetically (loopback, temp directories, SQLite): `init
//! --dev-oidc`, `serve --dev-oidc`, a certificate from `POST /api/v1/signingCert` with a
//! `dev-token` token (its precertificate in the CT log), `trust-root`, and what `serve`
//! does with one component or with no issuers. The real-client version is
//! `tests/e2e/keyless.sh`.
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use support::*;

use std::fs;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

fn pem_certificates(text: &str) -> Vec<Vec<u8>> {
    text.split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .map(|block| {
            let b64: String = block
                .split("-----END CERTIFICATE-----")
                .next()
                .unwrap()
                .split_whitespace()
                .collect();
            STANDARD.decode(b64).unwrap()
        })
        .collect()
}

#[test]
fn keyless_certificate_from_a_dev_token() {
    let tmp = TempDir::new("keyless");
    let data = init_dev(&tmp, "data", "stack.test");
    let dir = Path::new(&data);
    for file in [
        "ca-root.pem",
        "ca-root-key.pem",
        "ca-intermediate.pem",
        "ca-intermediate-key.pem",
        "ct-log-key.pem",
        "ct-log-public-key.pem",
        "dev-oidc-key.pem",
        "dev-oidc-jwks.json",
    ] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    let (_server, port) = serve(&["--data-dir", &data, "--dev-oidc"]);
    let Response { status, body, .. } = get(port, "/readyz");
    assert_eq!(status, 200, "{body}");

    let Response {
        status,
        body: config,
        ..
    } = get(port, "/api/v2/configuration");
    assert_eq!(status, 200);
    assert!(config.contains("/dev-oidc"), "{config}");

    let email = "alice@stack.test";
    let token = run(&["dev-token", "--data-dir", &data, "--email", email]);
    assert!(token.status.success(), "{}", text(&token.stderr));
    let token = text(&token.stdout).trim().to_owned();
    assert_eq!(token.matches('.').count(), 2, "{token}");

    let Response {
        status,
        body: chain,
        ..
    } = signing_cert_v1(port, &token, email);
    assert_eq!(status, 201, "{chain}");
    let certs = pem_certificates(&chain);
    assert_eq!(certs.len(), 3, "{chain}");
    let root = pem_certificates(&fs::read_to_string(dir.join("ca-root.pem")).unwrap());
    assert_eq!(certs[2], root[0]);

    // The precertificate went to the CT log, which answers on the same listener.
    let Response {
        status, body: sth, ..
    } = get(port, "/ct/v1/get-sth");
    assert_eq!(status, 200, "{sth}");
    assert!(sth.contains("\"tree_size\":1"), "{sth}");

    // Trust material names this listener and these keys.
    let out_dir = tmp.join("trust");
    let url = format!("http://127.0.0.1:{port}");
    let out = run(&[
        "trust-root",
        "--data-dir",
        &data,
        "--out",
        &out_dir,
        "--url",
        &url,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let root_json: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(Path::new(&out_dir).join("trusted_root.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(root_json["tlogs"][0]["baseUrl"], url.as_str());
    let chain_json = &root_json["certificateAuthorities"][0]["certChain"]["certificates"];
    assert_eq!(
        STANDARD
            .decode(chain_json[1]["rawBytes"].as_str().unwrap())
            .unwrap(),
        root[0]
    );
    let env = fs::read_to_string(Path::new(&out_dir).join("cosign.env")).unwrap();
    assert!(env.contains("SIGSTORE_CT_LOG_PUBLIC_KEY_FILE=/"), "{env}");
    let client: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(Path::new(&out_dir).join("client_trust_config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        client["mediaType"],
        "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
    );
}

#[test]
fn a_token_from_another_dev_issuer_is_refused() {
    let tmp = TempDir::new("forged");
    let data = init_dev(&tmp, "data", "stack.test");
    // Same issuer URL (same default listen address), different key.
    let other = TempDir::new("forged-other");
    let other_data = init_dev(&other, "data", "stack.test");
    let (_server, port) = serve(&["--data-dir", &data, "--dev-oidc"]);
    let token = run(&["dev-token", "--data-dir", &other_data]);
    let token = text(&token.stdout).trim().to_owned();
    let headers = format!("Authorization: Bearer {token}\r\nContent-Type: application/json\r\n");
    let Response { status, body, .. } =
        request(port, "POST", "/api/v2/signingCert", &headers, "{}");
    assert!((400..500).contains(&status), "{status} {body}");
    assert!(!body.contains("BEGIN CERTIFICATE"), "{body}");
    let Response {
        status: _,
        body: sth,
        ..
    } = get(port, "/ct/v1/get-sth");
    assert!(sth.contains("\"tree_size\":0"), "{sth}");
}

#[test]
fn components_and_the_ca_without_issuers() {
    let tmp = TempDir::new("components");
    let data = init_dev(&tmp, "data", "stack.test");

    // The transparency log alone: the CA's paths say they are not served here.
    {
        let (_server, port) = serve(&["log", "--data-dir", &data]);
        assert_eq!(get(port, "/api/v1/log").status, 200);
        let Response { status, body, .. } = get(port, "/api/v2/configuration");
        assert_eq!(status, 404, "{body}");
        assert!(body.contains("certificate authority"), "{body}");
        assert_eq!(get(port, "/ct/v1/get-sth").status, 404);
    }
    // The CA alone uses the CT log but does not serve its API.
    {
        let (_server, port) = serve(&["ca", "--data-dir", &data]);
        assert_eq!(get(port, "/api/v2/trustBundle").status, 200);
        assert_eq!(get(port, "/ct/v1/get-sth").status, 404);
        // No --dev-oidc and no ca.config: no issuers, so every request is refused.
        let Response { status, body, .. } = get(port, "/api/v2/configuration");
        assert_eq!(status, 200);
        assert!(body.contains("\"issuers\":[]"), "{body}");
    }
    {
        let (_server, port) = serve(&["ct", "--data-dir", &data]);
        assert_eq!(get(port, "/ct/v1/get-sth").status, 200);
        assert_eq!(get(port, "/api/v1/log").status, 404);
    }

    // A data directory from before the CA existed keeps serving its log, and `init`
    // completes it without rewriting what is there.
    let old = tmp.join("old");
    assert!(run(&["init", "--data-dir", &old, "--hostname", "old.test"])
        .status
        .success());
    let path = Path::new(&old).join("sigstack.toml");
    let full = fs::read_to_string(&path).unwrap();
    let before_ca = format!("# mine\n{}", &full[..full.find("\n[ca]").unwrap() + 1]);
    fs::write(&path, &before_ca).unwrap();
    {
        let (_server, port) = serve(&["--data-dir", &old]);
        assert_eq!(get(port, "/api/v1/log").status, 200);
        assert_eq!(get(port, "/api/v2/configuration").status, 404);
    }
    let out = run(&["serve", "ca", "--data-dir", &old, "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("run `sigstack init"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["init", "--data-dir", &old]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let config = fs::read_to_string(&path).unwrap();
    assert!(config.starts_with(&before_ca), "{config}");
    assert!(
        config.contains("[ca]") && config.contains("[ct]"),
        "{config}"
    );
    assert!(!config.contains("[dev_oidc]"), "{config}");
}

#[test]
fn bad_stack_configuration_names_file_and_key() {
    let tmp = TempDir::new("badstack");
    let data = init_dev(&tmp, "data", "stack.test");
    let path = Path::new(&data).join("sigstack.toml");
    let config = fs::read_to_string(&path).unwrap();
    let tree_id = config
        .lines()
        .find_map(|l| l.strip_prefix("tree_id = "))
        .unwrap()
        .to_owned();
    // The CT log on the Rekor tree.
    let mut lines = Vec::new();
    let mut section = "";
    for line in config.lines() {
        if line.starts_with('[') {
            section = if line == "[ct]" { "ct" } else { "" };
        }
        if section == "ct" && line.starts_with("tree_id = ") {
            lines.push(format!("tree_id = {tree_id}"));
        } else {
            lines.push(line.to_owned());
        }
    }
    fs::write(&path, lines.join("\n")).unwrap();
    let out = run(&["serve", "--data-dir", &data, "--listen", "127.0.0.1:0"]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("sigstack.toml") && err.contains("ct.tree_id"),
        "{err}"
    );

    // A missing issuer file is named with its key.
    fs::write(
        &path,
        config.replace(
            "# config = \"fulcio-config.yaml\"",
            "config = \"nope.yaml\"",
        ),
    )
    .unwrap();
    let out = run(&["serve", "--data-dir", &data, "--listen", "127.0.0.1:0"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("nope.yaml") && err.contains("ca.config"),
        "{err}"
    );

    // dev-token without the dev issuer says how to make one.
    let plain = tmp.join("plain");
    assert!(run(&["init", "--data-dir", &plain]).status.success());
    let out = run(&["dev-token", "--data-dir", &plain]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("init --dev-oidc"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn issuers_from_a_fulcio_config_file_with_a_static_jwks() {
    let tmp = TempDir::new("caconfig");
    let data = init_dev(&tmp, "data", "stack.test");
    let dir = Path::new(&data);
    let config = fs::read_to_string(dir.join("sigstack.toml")).unwrap();
    let issuer = config
        .lines()
        .find_map(|l| l.strip_prefix("issuer_url = "))
        .unwrap()
        .trim_matches('"')
        .to_owned();
    // The development issuer's keys, configured the way an operator configures an issuer
    // the CA cannot reach: Fulcio's YAML with our StaticJWKSFile.
    let yaml = format!(
        "OIDCIssuers:\n  {issuer}:\n    IssuerURL: {issuer}\n    ClientID: sigstore\n    \
         Type: email\n    StaticJWKSFile: {}\n",
        dir.join("dev-oidc-jwks.json").display()
    );
    let file = tmp.join("fulcio.yaml");
    fs::write(&file, yaml).unwrap();
    let (server, port) = serve(&["--data-dir", &data, "--ca-config", &file]);
    let token = run(&[
        "dev-token",
        "--data-dir",
        &data,
        "--email",
        "carol@stack.test",
    ]);
    let token = text(&token.stdout).trim().to_owned();
    let Response {
        status,
        body: chain,
        ..
    } = signing_cert_v1(port, &token, "carol@stack.test");
    assert_eq!(status, 201, "{chain}");
    drop(server);

    // Naming the same issuer twice (file and --dev-oidc) is refused before serving.
    let out = run(&[
        "serve",
        "--data-dir",
        &data,
        "--ca-config",
        &file,
        "--dev-oidc",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("dev_oidc.issuer_url"),
        "{}",
        text(&out.stderr)
    );

    // A broken issuer file is named, with the issuer and field.
    fs::write(
        &file,
        format!("OIDCIssuers:\n  {issuer}:\n    IssuerURL: {issuer}\n    Type: nope\n"),
    )
    .unwrap();
    let out = run(&[
        "serve",
        "--data-dir",
        &data,
        "--ca-config",
        &file,
        "--listen",
        "127.0.0.1:0",
    ]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("--ca-config") && err.contains("fulcio.yaml") && err.contains("Type"),
        "{err}"
    );
}
