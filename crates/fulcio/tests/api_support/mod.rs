//! Shared helpers of the `api_*` tests: the real router on `127.0.0.1:0` over a CA with an
//! intermediate, a fake CT log, static keys of the test OIDC issuers and a fixed clock; a tiny
//! raw HTTP/1.1 client (so tests can send what no client would: truncated JSON, lying
//! lengths); golden-record loading; and the checks a client makes on every issued chain.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::Value;
use sigstack_ct::{
    verify_embedded_scts, EcdsaP256LogSigner, LogPublicKey, PrecertEntry,
    SignedCertificateTimestamp, SignedEntry,
};
use sigstack_fulcio::cert::{
    verify_signature, CaKey, CaKeyAlgorithm, CaSpec, CertificateAuthority,
};
use sigstack_fulcio::oidc::{KeyStore, StaticKeyStore};
use sigstack_fulcio::server::{router_with, HttpOptions};
use sigstack_fulcio::{CaService, Clock, Config, SctFuture, SctSource, Verifier};
use sigstack_test_oidc::{TestIssuer, TestKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

/// The service's clock: the golden captures' time, so re-minted tokens look like theirs.
pub const NOW: i64 = 1_795_659_173;
/// The e-mail issuer of the Fulcio 1.6.5 captures (same URL, our keys).
pub const EMAIL_ISSUER: &str = "http://127.0.0.1:8180";
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// Configured, but the key store has no keys for it: key fetching "fails".
pub const KEYLESS_ISSUER: &str = "https://keys-down.example";
pub const ALICE: &str = "alice@example.com";

pub fn b64() -> &'static base64::engine::GeneralPurpose {
    &base64::engine::general_purpose::STANDARD
}

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW as u64)
}

/// How the fake CT log answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogMode {
    Ok,
    Fail,
    /// Never answers (for the request timeout).
    Hang,
    /// Answers with an SCT signed by a key that is not the log's.
    WrongKey,
}

/// An in-memory CT log: the precert entry is appended to `entries` ("durable") before the
/// SCT is signed, as the real log's contract demands.
pub struct FakeLog {
    signer: EcdsaP256LogSigner,
    mode: LogMode,
    timestamp_ms: u64,
    pub entries: Mutex<Vec<PrecertEntry>>,
    pub calls: AtomicUsize,
}

impl FakeLog {
    /// A log whose SCTs carry `now` (+250 ms).
    pub fn new(mode: LogMode, now: SystemTime) -> Self {
        Self {
            signer: EcdsaP256LogSigner::generate().unwrap().0,
            mode,
            timestamp_ms: now.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64 + 250,
            entries: Mutex::new(Vec::new()),
            calls: AtomicUsize::new(0),
        }
    }

    pub fn public_key(&self) -> LogPublicKey {
        self.signer.public_key().unwrap()
    }

    /// The log key as PEM (`SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`).
    pub fn public_key_pem(&self) -> String {
        x509_cert::der::pem::encode_string(
            "PUBLIC KEY",
            x509_cert::der::pem::LineEnding::LF,
            self.public_key().spki_der(),
        )
        .unwrap()
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn add_pre_chain(&self, chain: &[Vec<u8>]) -> Result<SignedCertificateTimestamp, String> {
        if self.mode == LogMode::Fail {
            return Err("the log is down".into());
        }
        if chain.len() < 2 {
            return Err("chain without issuer".into());
        }
        let entry =
            PrecertEntry::from_precertificate(&chain[0], &chain[1]).map_err(|e| e.to_string())?;
        self.entries.lock().unwrap().push(entry.clone());
        let ts = self.timestamp_ms;
        let other;
        let signer = if self.mode == LogMode::WrongKey {
            other = EcdsaP256LogSigner::generate().unwrap().0;
            &other
        } else {
            &self.signer
        };
        SignedCertificateTimestamp::sign(signer, ts, &SignedEntry::Precert(entry), vec![])
            .map_err(|e| e.to_string())
    }
}

impl SctSource for FakeLog {
    fn submit_precert(&self, chain: Vec<Vec<u8>>) -> SctFuture<'_> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            // "Durability" takes a scheduling round trip, like a batch commit.
            tokio::task::yield_now().await;
            if self.mode == LogMode::Hang {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            self.add_pre_chain(&chain)
        })
    }
}

/// The issuers the server trusts: e-mail (RSA + ES256 keys) and GitHub Actions.
pub struct Issuers {
    pub email: TestIssuer,
    pub github: TestIssuer,
    /// Signs tokens as the e-mail issuer but is not published.
    pub stranger: TestKey,
}

impl Issuers {
    pub fn new() -> Self {
        Self {
            email: TestIssuer::new(EMAIL_ISSUER).with_key(TestKey::es256("es-1")),
            github: TestIssuer::new(GITHUB_ISSUER),
            stranger: TestKey::rsa_b("rsa-1"),
        }
    }

    /// A valid token of the e-mail issuer for `email`.
    pub fn email_token(&self, email: &str) -> String {
        self.email_token_at(email, NOW)
    }

    /// A token of the e-mail issuer for `email`, issued at `t`.
    pub fn email_token_at(&self, email: &str, t: i64) -> String {
        self.email
            .token(t)
            .claims(sigstack_test_oidc::presets::email(email))
            .build()
    }

    pub fn github_token(&self) -> String {
        self.github
            .token(NOW)
            .claims(sigstack_test_oidc::presets::github_actions())
            .build()
    }
}

pub fn config() -> Config {
    let json = serde_json::json!({
        "OIDCIssuers": {
            EMAIL_ISSUER: {"IssuerURL": EMAIL_ISSUER, "ClientID": "sigstore", "Type": "email"},
            GITHUB_ISSUER: {
                "IssuerURL": GITHUB_ISSUER, "ClientID": "sigstore", "Type": "github-workflow"
            },
            KEYLESS_ISSUER: {"IssuerURL": KEYLESS_ISSUER, "ClientID": "sigstore", "Type": "email"},
        }
    });
    Config::parse(json.to_string().as_bytes()).unwrap()
}

/// A root + intermediate CA (P-256), valid around [`NOW`].
pub fn ca() -> CertificateAuthority {
    ca_at(now())
}

/// A root + intermediate CA (P-256), valid from an hour before `t`.
pub fn ca_at(t: SystemTime) -> CertificateAuthority {
    let spec = CaSpec {
        organization: "sigstack.test".into(),
        common_name: "sigstack".into(),
        lifetime: Duration::from_secs(365 * 24 * 3600),
    };
    let root = CaKey::generate(CaKeyAlgorithm::EcdsaP256).unwrap().0;
    let inter = CaKey::generate(CaKeyAlgorithm::EcdsaP256).unwrap().0;
    CertificateAuthority::create(&spec, root, Some(inter), t - Duration::from_secs(3600)).unwrap()
}

pub struct Server {
    pub addr: SocketAddr,
    pub issuers: Issuers,
    pub log: Arc<FakeLog>,
    pub service: Arc<CaService>,
}

pub async fn start() -> Server {
    start_with(LogMode::Ok, HttpOptions::default()).await
}

pub async fn start_with(mode: LogMode, options: HttpOptions) -> Server {
    start_at(mode, options, Arc::new(now)).await
}

/// A server whose CA and issuance use `clock` (the real one for tests with real clients,
/// which check certificate validity against the wall clock).
pub async fn start_at(mode: LogMode, options: HttpOptions, clock: Arc<dyn Clock>) -> Server {
    let issuers = Issuers::new();
    let mut store = StaticKeyStore::new();
    for i in [&issuers.email, &issuers.github] {
        store
            .insert_jwks(i.issuer(), i.jwks().to_string().as_bytes())
            .unwrap();
    }
    let keys: Arc<dyn KeyStore> = Arc::new(store);
    let verifier = Verifier::new(Arc::new(config()), keys);
    let log = Arc::new(FakeLog::new(mode, clock.now()));
    let service = Arc::new(
        CaService::new(
            verifier,
            Arc::new(ca_at(clock.now())),
            Arc::clone(&log) as Arc<dyn SctSource>,
            clock,
        )
        .with_log_key(log.public_key()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router_with(Arc::clone(&service), options);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server {
        addr,
        issuers,
        log,
        service,
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// Asserts a Fulcio error body: `{"code":…, "message":…, "details":[]}`, JSON type.
    pub fn assert_error(&self, status: u16, code: i64, message: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/json"));
        let j = self.json();
        assert_eq!(j["code"], code, "{j}");
        assert_eq!(j["message"], message, "{j}");
        assert_eq!(j["details"], serde_json::json!([]), "{j}");
    }

    /// The PEM blocks of a v1 (201, PEM) answer.
    pub fn v1_chain(&self) -> Vec<String> {
        assert_eq!(self.status, 201, "{}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/pem-certificate-chain")
        );
        let text = self.text();
        assert!(!text.ends_with('\n'), "no trailing newline");
        split_pem(&text)
    }

    /// The certificates of a v2 (200, JSON, embedded SCT) answer.
    pub fn v2_chain(&self) -> Vec<String> {
        assert_eq!(self.status, 200, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/json"));
        let j = self.json();
        assert!(j.get("signedCertificateDetachedSct").is_none());
        j["signedCertificateEmbeddedSct"]["chain"]["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let s = c.as_str().unwrap().to_owned();
                assert!(!s.ends_with('\n'));
                s
            })
            .collect()
    }
}

/// Splits a PEM text into its blocks (each without trailing newline).
pub fn split_pem(text: &str) -> Vec<String> {
    const END: &str = "-----END CERTIFICATE-----";
    text.split_inclusive(END)
        .map(|b| b.trim().to_owned())
        .filter(|b| !b.is_empty())
        .collect()
}

impl Server {
    pub async fn get(&self, path: &str) -> Resp {
        self.request("GET", path, &[], b"").await
    }

    /// POST JSON with `Authorization: Bearer token` when a token is given.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &[u8]) -> Resp {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("Authorization", a.as_str()));
        }
        self.request("POST", path, &headers, body).await
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("Connection: close\r\n\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.raw(&bytes).await
    }

    pub async fn raw(&self, bytes: &[u8]) -> Resp {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        // A server may answer (413) and close before reading everything; ignore write errors.
        let _ = stream.write_all(bytes).await;
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut out));
        let _ = read.await.expect("server did not answer in time");
        parse_response(&out)
    }

    /// Checks an issued chain the way clients do and returns the leaf.
    pub fn check_chain(&self, pems: &[String], expect: &Expect) -> Certificate {
        check_chain(pems, self.service.ca(), &self.log.public_key(), expect)
    }
}

fn parse_response(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_owned(), v.trim().to_owned())
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..eol]).unwrap().trim(), 16).unwrap();
        data = &data[eol + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// What an issued leaf must say.
pub struct Expect<'a> {
    /// The e-mail or URI SAN.
    pub san: &'a str,
    /// `.1.1` / `.1.8` issuer.
    pub issuer: &'a str,
    /// The requester's key, DER SPKI.
    pub spki_der: &'a [u8],
}

fn ext<'a>(cert: &'a Certificate, oid: &str) -> Option<&'a x509_cert::ext::Extension> {
    let oid = x509_cert::spki::ObjectIdentifier::new_unwrap(oid);
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == oid)
}

/// Parses `pems` (`[leaf, intermediate, root]`), and checks: the CA part equals the CA's
/// chain; each signature verifies under the next certificate; the leaf's key, SAN (critical),
/// issuer extensions in both encodings, exactly ten minutes of validity from the clock's
/// now, no poison; and exactly one embedded SCT verifying with the log key against the
/// leaf's issuer.
pub fn check_chain(
    pems: &[String],
    ca: &CertificateAuthority,
    log_key: &LogPublicKey,
    expect: &Expect,
) -> Certificate {
    let certs: Vec<Certificate> = pems
        .iter()
        .map(|p| Certificate::load_pem_chain(p.as_bytes()).unwrap().remove(0))
        .collect();
    let ders: Vec<Vec<u8>> = certs.iter().map(|c| c.to_der().unwrap()).collect();
    assert_eq!(&ders[1..], ca.chain_der(), "CA part of the chain");
    for (i, cert) in certs.iter().enumerate() {
        let parent = certs.get(i + 1).unwrap_or(cert);
        verify_signature(
            &parent.tbs_certificate.subject_public_key_info,
            &cert.signature_algorithm,
            &cert.tbs_certificate.to_der().unwrap(),
            cert.signature.raw_bytes(),
        )
        .unwrap_or_else(|e| panic!("signature of certificate {i}: {e}"));
    }
    let leaf = &certs[0];
    let tbs = &leaf.tbs_certificate;
    assert_eq!(
        tbs.subject_public_key_info.to_der().unwrap(),
        expect.spki_der,
        "leaf key"
    );
    assert_eq!(tbs.subject.0.len(), 0, "empty subject");
    let nb = tbs.validity.not_before.to_unix_duration().as_secs();
    let na = tbs.validity.not_after.to_unix_duration().as_secs();
    assert_eq!(nb, NOW as u64, "notBefore = the clock's now");
    assert_eq!(na - nb, 600, "ten minutes");
    let san_ext = ext(leaf, "2.5.29.17").expect("SAN");
    assert!(san_ext.critical);
    let san = SubjectAltName::from_der(san_ext.extn_value.as_bytes()).unwrap();
    assert_eq!(san.0.len(), 1);
    let value = match &san.0[0] {
        GeneralName::Rfc822Name(s) => s.to_string(),
        GeneralName::UniformResourceIdentifier(s) => s.to_string(),
        other => panic!("unexpected SAN {other:?}"),
    };
    assert_eq!(value, expect.san);
    let raw = ext(leaf, "1.3.6.1.4.1.57264.1.1").expect(".1.1");
    assert_eq!(raw.extn_value.as_bytes(), expect.issuer.as_bytes());
    let v2 = ext(leaf, "1.3.6.1.4.1.57264.1.8").expect(".1.8");
    let s = x509_cert::der::asn1::Utf8StringRef::from_der(v2.extn_value.as_bytes()).unwrap();
    assert_eq!(s.as_str(), expect.issuer);
    assert!(ext(leaf, "1.3.6.1.4.1.11129.2.4.3").is_none(), "no poison");
    let scts = verify_embedded_scts(&ders[0], &ders[1], std::slice::from_ref(log_key)).unwrap();
    assert_eq!(scts.len(), 1, "exactly one SCT");
    assert_eq!(scts[0].log_id, log_key.log_id());
    leaf.clone()
}

// ------------------------------------------------------------------ golden records

/// Replays a golden request with its token(s) re-minted by our issuer.
pub async fn replay(s: &Server, record: &Value, foreign_key: bool) -> Resp {
    let req = &record["request"];
    let offset = NOW - unix_time(record["captured_at"].as_str().unwrap());
    let mut body = req["body_text"].as_str().unwrap_or_default().to_owned();
    let mut headers: Vec<(String, String)> = Vec::new();
    for h in req["headers"].as_array().unwrap() {
        let (name, value) = (h[0].as_str().unwrap(), h[1].as_str().unwrap());
        if ["host", "content-length", "accept-encoding"]
            .contains(&name.to_ascii_lowercase().as_str())
        {
            continue;
        }
        let mut value = value.to_owned();
        if name.eq_ignore_ascii_case("authorization") {
            if let Some((scheme, token)) = value.split_once(' ') {
                if let Some(new) = remint(&s.issuers, token, foreign_key, offset) {
                    value = format!("{scheme} {new}");
                }
            }
        }
        headers.push((name.to_owned(), value));
    }
    if let Some(token) = record["request"]["body_json"]["credentials"]["oidcIdentityToken"].as_str()
    {
        let new = remint(&s.issuers, token, foreign_key, offset).unwrap();
        body = body.replace(token, &new);
    }
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    s.request(
        req["method"].as_str().unwrap(),
        req["path"].as_str().unwrap(),
        &headers,
        body.as_bytes(),
    )
    .await
}

pub fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/golden/fulcio-1.6.5")
}

pub fn golden(rel: &str) -> Value {
    let path = golden_dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The `*.json` records of `dir`, sorted by name.
pub fn golden_cases(dir: &str) -> Vec<(String, Value)> {
    let mut names: Vec<String> = std::fs::read_dir(golden_dir().join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let v = golden(&format!("{dir}/{n}"));
            (n, v)
        })
        .collect()
}

/// A golden test key (PKCS#8 PEM).
pub fn golden_key(name: &str, kind: sigstack_test_oidc::KeyKind) -> TestKey {
    let pem = std::fs::read_to_string(golden_dir().join(format!("keys/{name}.key.pem"))).unwrap();
    TestKey::from_pkcs8_pem(name, kind, &pem)
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// Decodes a JWT's header and payload (no checks).
pub fn jwt_parts(token: &str) -> Option<(Value, Value)> {
    let mut it = token.split('.');
    let (h, p, _s) = (it.next()?, it.next()?, it.next()?);
    let d = |x: &str| -> Option<Value> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(x.trim_end_matches('='))
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    Some((d(h)?, d(p)?))
}

/// Re-mints a golden token with our issuer's keys: same claims and algorithm family, times
/// shifted by `offset` (the distance from the capture to [`NOW`]), so an expired token stays
/// expired and a future `nbf` stays in the future. `alg: none` stays unsigned; `foreign_key`
/// signs with a key that is not published under the header's `kid`.
pub fn remint(issuers: &Issuers, token: &str, foreign_key: bool, offset: i64) -> Option<String> {
    let (header, mut claims) = jwt_parts(token)?;
    for t in ["iat", "nbf", "exp"] {
        if let Some(v) = claims[t].as_i64() {
            claims[t] = (v + offset).into();
        }
    }
    let b = issuers.email.token(NOW);
    let b = match header["alg"].as_str()? {
        "none" => b.unsigned(),
        "ES256" => b.signed_by(issuers.email.key("es-1")),
        _ if foreign_key => b.signed_by(&issuers.stranger),
        _ => b,
    };
    // Replace every claim with the golden ones.
    let mut b = b
        .without_claim("iss")
        .without_claim("aud")
        .without_claim("sub");
    for (k, v) in claims.as_object()? {
        b = b.claim(k, v.clone());
    }
    Some(b.build())
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-11-26T02:12:54.321018Z`).
pub fn unix_time(text: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| text[r].parse::<i64>().unwrap();
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let (hh, mm, ss) = (n(11..13), n(14..16), n(17..19));
    // Days from civil (proleptic Gregorian).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hh * 3600 + mm * 60 + ss
}
