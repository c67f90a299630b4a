//! The real clients against the real router: `rekor-cli` (upload rekord / hashedrekord, 409,
//! get, verify, search, loginfo twice with its consistency check, logproof) and `cosign`
//! (`sign-blob --key` with tlog upload, `verify-blob` online and offline with the log key
//! pinned, `attest-blob` dsse and intoto + `verify-blob-attestation` with the bundle), and
//! sigstore-python's own Rekor v1 client and checks (create, get, `retrieve/`; SET, Merkle
//! inclusion, checkpoint) through `api_support/sigstore_python_probe.py`.
//!
//! These tests are `#[ignore]`d, so a plain `cargo test` reports them as skipped rather than
//! passed; `tests/all.sh` installs the clients and runs them with `--ignored`, where a missing
//! client is a failure. Every command gets a throw-away `HOME` and
//! `TUF_ROOT`, and talks only to the loopback server.
#![allow(clippy::unwrap_used)]

mod api_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use api_support::*;
use sigstack_merkle::signature::{EcdsaP256Signer, Signer as _};

/// Checks that a client is installed, failing the test loudly if it is not.
fn require(tool: &str) {
    let found = Command::new(tool).arg("version").output().is_ok();
    assert!(
        found,
        "{tool} is not installed: run tests/install-clients.sh"
    );
}

/// A fresh scratch directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sigstack-api-clients-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("home")).unwrap();
    dir
}

struct Run {
    ok: bool,
    out: String,
}

/// Runs `tool args` in `dir` (off the async runtime), with a scratch HOME.
async fn run(dir: &Path, tool: &str, args: &[&str], env: &[(&str, String)]) -> Run {
    let mut cmd = Command::new(tool);
    cmd.args(args)
        .current_dir(dir)
        .env("HOME", dir.join("home"))
        .env("TUF_ROOT", dir.join("home/tuf"))
        .env("COSIGN_PASSWORD", "")
        .env_remove("SIGSTORE_REKOR_PUBLIC_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("$ {tool} {}\n{out}", args.join(" "));
    Run {
        ok: output.status.success(),
        out,
    }
}

/// A P-256 key pair on disk (`<name>.key` PKCS#8 PEM, `<name>.pub` SPKI PEM) and its signer.
fn key_pair(dir: &Path, name: &str) -> EcdsaP256Signer {
    let pkcs8 = EcdsaP256Signer::generate_pkcs8_der().unwrap();
    std::fs::write(dir.join(format!("{name}.key")), pem("PRIVATE KEY", &pkcs8)).unwrap();
    let signer = EcdsaP256Signer::from_pkcs8_der(&pkcs8).unwrap();
    std::fs::write(
        dir.join(format!("{name}.pub")),
        pem("PUBLIC KEY", signer.public_key_spki_der()),
    )
    .unwrap();
    signer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs real clients installed (tests/install-clients.sh); tests/all.sh runs it with --ignored"]
async fn rekor_cli_flows() {
    require("rekor-cli");
    let server = start().await;
    let url = format!("http://{}", server.addr);
    let dir = scratch("rekor-cli");
    let signer = key_pair(&dir, "rc");
    let blob = b"hello from the sigstack api tests\n";
    std::fs::write(dir.join("blob.txt"), blob).unwrap();
    std::fs::write(dir.join("blob.sig"), signer.sign(blob).unwrap()).unwrap();
    let blob2 = b"a second artifact, logged as hashedrekord\n";
    std::fs::write(dir.join("blob2.sig"), signer.sign(blob2).unwrap()).unwrap();
    let rs = ["--rekor_server", url.as_str()];
    // `rekor-cli <command> --rekor_server URL <args…>`
    let with = |args: &[&str]| -> Vec<String> {
        let mut v = vec![args[0].to_owned()];
        v.extend(rs.iter().map(|s| s.to_string()));
        v.extend(args[1..].iter().map(|s| s.to_string()));
        v
    };
    let go = |args: Vec<String>| {
        let dir = dir.clone();
        async move {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&dir, "rekor-cli", &refs, &[]).await
        }
    };

    let r = go(with(&["loginfo"])).await;
    assert!(r.ok, "loginfo on the empty log");
    let r = go(with(&[
        "upload",
        "--artifact",
        "blob.txt",
        "--signature",
        "blob.sig",
        "--public-key",
        "rc.pub",
        "--pki-format",
        "x509",
    ]))
    .await;
    assert!(
        r.ok && r.out.contains("Created entry at index 0"),
        "upload rekord"
    );
    let r = go(with(&["loginfo"])).await;
    assert!(
        r.ok && r.out.contains("Active Tree Size:       1"),
        "loginfo stores the state"
    );
    let r = go(with(&[
        "upload",
        "--artifact",
        "blob.txt",
        "--signature",
        "blob.sig",
        "--public-key",
        "rc.pub",
        "--pki-format",
        "x509",
    ]))
    .await;
    assert!(
        r.ok && r.out.contains("Entry already exists"),
        "upload again → 409"
    );
    let hash2 = sha256_hex(blob2);
    let r = go(with(&[
        "upload",
        "--type",
        "hashedrekord",
        "--signature",
        "blob2.sig",
        "--public-key",
        "rc.pub",
        "--pki-format",
        "x509",
        "--artifact-hash",
        &hash2,
    ]))
    .await;
    assert!(
        r.ok && r.out.contains("Created entry at index 1"),
        "upload hashedrekord"
    );
    let r = go(with(&["get", "--log-index", "0"])).await;
    assert!(r.ok && r.out.contains("Index: 0"), "get --log-index");
    let r = go(with(&[
        "verify",
        "--artifact",
        "blob.txt",
        "--signature",
        "blob.sig",
        "--public-key",
        "rc.pub",
        "--pki-format",
        "x509",
    ]))
    .await;
    assert!(
        r.ok && r.out.contains("Entry Index in Current Tree: 0"),
        "verify artifact"
    );
    let r = go(with(&["search", "--sha", &hash2])).await;
    assert!(
        r.ok && r.out.contains(&format!("{:016x}", GOLDEN_TREE_ID)),
        "search --sha"
    );
    let r = go(with(&[
        "search",
        "--public-key",
        "rc.pub",
        "--pki-format",
        "x509",
    ]))
    .await;
    assert!(
        r.ok && r.out.lines().filter(|l| l.len() == 80).count() == 2,
        "search --public-key"
    );
    let r = go(with(&["loginfo"])).await;
    assert!(
        r.ok && r.out.contains("Active Tree Size:       2")
            && !r.out.contains("unable to prove consistency"),
        "loginfo again, with the consistency check from size 1"
    );
    let r = go(with(&["logproof", "--first-size", "1", "--last-size", "2"])).await;
    assert!(r.ok, "logproof");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs real clients installed (tests/install-clients.sh); tests/all.sh runs it with --ignored"]
async fn cosign_flows() {
    require("cosign");
    let server = start().await;
    let url = format!("http://{}", server.addr);
    let dir = scratch("cosign");
    std::fs::write(dir.join("log.pub"), server.service.key().public_key_pem()).unwrap();
    let pinned = [(
        "SIGSTORE_REKOR_PUBLIC_KEY",
        dir.join("log.pub").display().to_string(),
    )];
    std::fs::write(dir.join("blob.txt"), b"signed by cosign against sigstack\n").unwrap();
    std::fs::write(
        dir.join("pred.json"),
        br#"{"buildType":"https://example.com/sigstack","run":"1"}"#,
    )
    .unwrap();

    let r = run(&dir, "cosign", &["generate-key-pair"], &[]).await;
    assert!(r.ok, "generate-key-pair");
    let r = run(
        &dir,
        "cosign",
        &[
            "sign-blob",
            "--yes",
            "--key",
            "cosign.key",
            "--tlog-upload=true",
            "--rekor-url",
            &url,
            "--bundle",
            "blob.bundle",
            "--output-signature",
            "blob.sig",
            "blob.txt",
        ],
        &[],
    )
    .await;
    assert!(
        r.ok && r.out.contains("tlog entry created with index: 0"),
        "sign-blob"
    );
    let r = run(
        &dir,
        "cosign",
        &[
            "verify-blob",
            "--key",
            "cosign.pub",
            "--signature",
            "blob.sig",
            "--rekor-url",
            &url,
            "blob.txt",
        ],
        &pinned,
    )
    .await;
    assert!(r.ok && r.out.contains("Verified OK"), "verify-blob online");
    let r = run(
        &dir,
        "cosign",
        &[
            "verify-blob",
            "--key",
            "cosign.pub",
            "--bundle",
            "blob.bundle",
            "--offline",
            "blob.txt",
        ],
        &pinned,
    )
    .await;
    assert!(
        r.ok && r.out.contains("Verified OK"),
        "verify-blob --offline with the bundle"
    );
    let r = run(
        &dir,
        "cosign",
        &[
            "attest-blob",
            "--yes",
            "--key",
            "cosign.key",
            "--predicate",
            "pred.json",
            "--type",
            "https://example.com/sigstack",
            "--rekor-url",
            &url,
            "--bundle",
            "att.bundle",
            "--output-attestation",
            "att.json",
            "blob.txt",
        ],
        &[],
    )
    .await;
    assert!(
        r.ok && r.out.contains("tlog entry created with index: 1"),
        "attest-blob (dsse)"
    );
    let r = run(
        &dir,
        "cosign",
        &[
            "verify-blob-attestation",
            "--key",
            "cosign.pub",
            "--bundle",
            "att.bundle",
            "--type",
            "https://example.com/sigstack",
            "--rekor-url",
            &url,
            "blob.txt",
        ],
        &pinned,
    )
    .await;
    assert!(
        r.ok && r.out.contains("Verified OK"),
        "verify-blob-attestation with the bundle"
    );
    let r = run(
        &dir,
        "cosign",
        &[
            "verify-blob-attestation",
            "--key",
            "cosign.pub",
            "--bundle",
            "att.bundle",
            "--offline",
            "--type",
            "https://example.com/sigstack",
            "blob.txt",
        ],
        &pinned,
    )
    .await;
    assert!(
        r.ok && r.out.contains("Verified OK"),
        "verify-blob-attestation --offline"
    );
    let r = run(
        &dir,
        "cosign",
        &[
            "attest-blob",
            "--yes",
            "--key",
            "cosign.key",
            "--predicate",
            "pred.json",
            "--type",
            "https://example.com/sigstack",
            "--rekor-entry-type",
            "intoto",
            "--rekor-url",
            &url,
            "--bundle",
            "att2.bundle",
            "--output-attestation",
            "att2.json",
            "blob.txt",
        ],
        &[],
    )
    .await;
    assert!(
        r.ok && r.out.contains("tlog entry created with index: 2"),
        "attest-blob (intoto 0.0.1)"
    );
    let r = run(
        &dir,
        "cosign",
        &[
            "verify-blob-attestation",
            "--key",
            "cosign.pub",
            "--bundle",
            "att2.bundle",
            "--type",
            "https://example.com/sigstack",
            "--rekor-url",
            &url,
            "blob.txt",
        ],
        &pinned,
    )
    .await;
    assert!(
        r.ok && r.out.contains("Verified OK"),
        "verify-blob-attestation of the intoto entry"
    );

    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs real clients installed (tests/install-clients.sh); tests/all.sh runs it with --ignored"]
async fn sigstore_python_reads_and_verifies() {
    let python_has_sigstore = Command::new("python3")
        .args(["-c", "import sigstore"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        python_has_sigstore,
        "sigstore-python is not installed: run tests/install-clients.sh"
    );
    let server = start().await;
    let dir = scratch("sigstore-python");
    std::fs::write(dir.join("log.pub"), server.service.key().public_key_pem()).unwrap();
    // Two entries, so the proof of the first one is not empty.
    let proposal = fresh_hashedrekord(b"read back by sigstore-python");
    std::fs::write(dir.join("proposal.json"), &proposal).unwrap();
    std::fs::write(
        dir.join("new.json"),
        fresh_hashedrekord(b"submitted by sigstore-python"),
    )
    .unwrap();
    let first = server.post_json("/api/v1/log/entries", &proposal).await;
    assert_eq!(first.status, 201);
    let id = first.header("etag").unwrap().to_owned();
    let second = server
        .post_json("/api/v1/log/entries", &fresh_hashedrekord(b"another"))
        .await;
    assert_eq!(second.status, 201);

    let probe = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/api_support/sigstore_python_probe.py"
    );
    let url = format!("http://{}", server.addr);
    let r = run(
        &dir,
        "python3",
        &[probe, &url, "log.pub", &id, "proposal.json", "new.json"],
        &[],
    )
    .await;
    assert!(r.ok, "sigstore-python's own checks");
    assert!(r.out.contains("get by uuid: index 0 verified"));
    assert!(r
        .out
        .contains("retrieve/ by proposed hashedrekord: index 0 verified"));
    assert!(r.out.contains("post (create entry): index 2 verified"));
    let _ = std::fs::remove_dir_all(&dir);
}
