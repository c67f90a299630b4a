//! What the binary's integration tests share: running `sigstack`, scratch directories, a
//! server that is killed if a test fails, a minimal HTTP/1.1 client, and the requests a
//! keyless client makes. Each test file uses a part of it.
#![allow(dead_code, clippy::unwrap_used)]

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING};

/// The binary under test, quiet, and blind to a developer's CA key password.
pub fn sigstack() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sigstack"));
    cmd.env("RUST_LOG", "warn")
        .env_remove("SIGSTACK_CA_KEY_PASSWORD");
    cmd
}

/// Runs `sigstack ARGS` to completion.
pub fn run(args: &[&str]) -> Output {
    sigstack().args(args).output().unwrap()
}

/// Process output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new directory whose name says which test made it.
    pub fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir = std::env::temp_dir().join(format!(
            "sigstack-test-{name}-{}-{nanos}",
            std::process::id()
        ));
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside it, as a string for command lines.
    pub fn join(&self, p: &str) -> String {
        self.0.join(p).display().to_string()
    }

    /// The conventional data directory inside it.
    pub fn data(&self) -> String {
        self.join("data")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A server process, killed if a test fails before stopping it.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An HTTP response: status, the raw head, and the body.
pub struct Response {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl Response {
    /// The first header named `name` (case-insensitive), trimmed.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

/// A minimal HTTP/1.1 request; `None` if nothing answers (a server still starting).
pub fn try_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> Option<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    Some(Response {
        status: head.split(' ').nth(1)?.parse().ok()?,
        headers: head.to_owned(),
        body: body.to_owned(),
    })
}

/// [`try_request`] to a server that must answer.
pub fn request(port: u16, method: &str, path: &str, headers: &str, body: &str) -> Response {
    try_request(port, method, path, headers, body).unwrap()
}

/// A GET that may find nobody listening yet.
pub fn try_get(port: u16, path: &str) -> Option<Response> {
    try_request(port, "GET", path, "", "")
}

/// A GET to a server that must answer.
pub fn get(port: u16, path: &str) -> Response {
    request(port, "GET", path, "", "")
}

/// Starts `serve ARGS` on a free port and waits for `/healthz`.
pub fn serve(args: &[&str]) -> (Server, u16) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let child = sigstack()
        .arg("serve")
        .args(args)
        .args(["--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if try_get(port, "/healthz").is_some_and(|r| r.status == 200) {
            break;
        }
        assert!(server.0.try_wait().unwrap().is_none(), "serve exited early");
        assert!(Instant::now() < deadline, "serve did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, port)
}

/// `init --dev-oidc` of `DIR/<name>`, returning the data directory.
pub fn init_dev(tmp: &TempDir, name: &str, hostname: &str) -> String {
    let data = tmp.join(name);
    let out = run(&[
        "init",
        "--data-dir",
        &data,
        "--dev-oidc",
        "--hostname",
        hostname,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    data
}

/// A token from the data directory's development issuer.
pub fn dev_token(data: &str, email: &str) -> String {
    let out = run(&["dev-token", "--data-dir", data, "--email", email]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

/// An ECDSA P-256 key: (pair, DER SPKI).
pub fn p256_key() -> (EcdsaKeyPair, Vec<u8>) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    // SubjectPublicKeyInfo { id-ecPublicKey, prime256v1 } header, then the point.
    let mut spki = hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200").unwrap();
    spki.extend_from_slice(pair.public_key().as_ref());
    (pair, spki)
}

/// A hashedrekord entry (Rekor v1 JSON) for a fresh key signing `artifact`.
pub fn hashedrekord(artifact: &[u8]) -> String {
    let (pair, spki) = p256_key();
    let signature = pair.sign(&SystemRandom::new(), artifact).unwrap();
    let b64 = STANDARD.encode(&spki);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    );
    serde_json::json!({
        "kind": "hashedrekord",
        "apiVersion": "0.0.1",
        "spec": {
            "signature": {
                "content": STANDARD.encode(signature.as_ref()),
                "publicKey": {"content": STANDARD.encode(pem)},
            },
            "data": {"hash": {
                "algorithm": "sha256",
                "value": hex::encode(ring::digest::digest(&ring::digest::SHA256, artifact)),
            }},
        },
    })
    .to_string()
}

/// `POST /api/v1/signingCert` as cosign 2.5 sends it, for a fresh key proving `email`.
pub fn signing_cert_v1(port: u16, token: &str, email: &str) -> Response {
    let (pair, spki) = p256_key();
    let signature = pair.sign(&SystemRandom::new(), email.as_bytes()).unwrap();
    let body = serde_json::json!({
        "publicKey": {"content": STANDARD.encode(&spki), "algorithm": "ecdsa"},
        "signedEmailAddress": STANDARD.encode(signature.as_ref()),
    })
    .to_string();
    let headers = format!("Authorization: Bearer {token}\r\nContent-Type: application/json\r\n");
    request(port, "POST", "/api/v1/signingCert", &headers, &body)
}
