//! Real clients against the real router: cosign (v1 `signingCert`, SCT checked at sign time
//! with `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`, no insecure flag) and, when installed,
//! sigstore-python's Fulcio client and SCT verifier (v2 with a CSR).
//!
//! Not hermetic (needs `cosign` / `python3 -m sigstore` on `PATH`, uses the wall clock
//! because clients check validity against it), so these are `#[ignore]`d: a plain
//! `cargo test` reports them as skipped, and `tests/all.sh` installs the clients and runs them
//! with `--ignored`, where a missing client fails the test.
#![allow(clippy::unwrap_used)]

mod api_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use api_support::*;
use sigstack_fulcio::server::HttpOptions;

/// The wall clock: these clients check certificate validity against it.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> SystemTime {
    SystemTime::now()
}

fn unix_now() -> i64 {
    wall_clock().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sigstack-fulcio-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn have(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run(mut cmd: Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    eprintln!(
        "{:?}\n--- stdout\n{}\n--- stderr\n{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

async fn live_server() -> Server {
    start_at(LogMode::Ok, HttpOptions::default(), Arc::new(wall_clock)).await
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs real clients installed (tests/install-clients.sh); tests/all.sh runs it with --ignored"]
async fn cosign_sign_blob_keyless() {
    assert!(have("cosign", &["version"]), "cosign not installed");
    let s = live_server().await;
    let dir = scratch("cosign");
    let blob = write(&dir, "blob.txt", "hello sigstack\n");
    let ct_key = write(&dir, "ctlog.pem", s.log.public_key_pem());
    let root = write(&dir, "root.pem", s.get("/api/v1/rootCert").await.body);
    let token = s.issuers.email_token_at(ALICE, unix_now());
    let url = format!("http://{}", s.addr);
    let (cert, sig) = (dir.join("cert.pem"), dir.join("blob.sig"));
    let mut sign = Command::new("cosign");
    sign.env("SIGSTORE_CT_LOG_PUBLIC_KEY_FILE", &ct_key)
        .env("SIGSTORE_ROOT_FILE", &root)
        .env("TUF_ROOT", dir.join("tuf"))
        .args(["sign-blob", "--yes", "--tlog-upload=false"])
        .args(["--fulcio-url", &url, "--identity-token", &token])
        .arg("--output-certificate")
        .arg(&cert)
        .arg("--output-signature")
        .arg(&sig)
        .arg(&blob);
    let out = tokio::task::spawn_blocking(move || run(sign))
        .await
        .unwrap();
    assert!(out.status.success(), "cosign sign-blob failed");
    assert_eq!(s.log.calls(), 1);

    // Verify (the tlog is not part of this test: no Rekor here).
    let verify = |identity: &str, issuer: &str| {
        let mut v = Command::new("cosign");
        v.env("SIGSTORE_CT_LOG_PUBLIC_KEY_FILE", &ct_key)
            .env("SIGSTORE_ROOT_FILE", &root)
            .env("TUF_ROOT", dir.join("tuf"))
            .args(["verify-blob", "--insecure-ignore-tlog=true"])
            .arg("--certificate")
            .arg(&cert)
            .arg("--signature")
            .arg(&sig)
            .args(["--certificate-identity", identity])
            .args(["--certificate-oidc-issuer", issuer])
            .arg(&blob);
        v
    };
    let ok = verify(ALICE, EMAIL_ISSUER);
    let out = tokio::task::spawn_blocking(move || run(ok)).await.unwrap();
    assert!(out.status.success(), "cosign verify-blob failed");
    for (identity, issuer) in [("bob@example.com", EMAIL_ISSUER), (ALICE, GITHUB_ISSUER)] {
        let bad = verify(identity, issuer);
        let out = tokio::task::spawn_blocking(move || run(bad)).await.unwrap();
        assert!(
            !out.status.success(),
            "verify-blob accepted {identity} / {issuer}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs real clients installed (tests/install-clients.sh); tests/all.sh runs it with --ignored"]
async fn sigstore_python_sign_and_verify_certificate() {
    assert!(
        have("python3", &["-c", "import sigstore"]),
        "sigstore-python not installed"
    );
    let s = live_server().await;
    let dir = scratch("sigstore-python");
    let ct_key = write(&dir, "ctlog.der", s.log.public_key().spki_der());
    let probe = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/api_support/sigstore_python_probe.py");
    let token = s.issuers.email_token_at(ALICE, unix_now());
    let mut cmd = Command::new("python3");
    cmd.arg(&probe)
        .arg(format!("http://{}", s.addr))
        .arg(&token)
        .arg(&ct_key)
        .args([ALICE, EMAIL_ISSUER]);
    let out = tokio::task::spawn_blocking(move || run(cmd)).await.unwrap();
    assert!(out.status.success(), "sigstore-python probe failed");
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("OK\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
