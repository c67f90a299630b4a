//! Shared helpers of the `log_*` tests: a throw-away PKI built with x509-cert structures and
//! ring (root P-256 → intermediate P-384 → leaves), a CT log on the in-memory or SQLite
//! ledger store served on `127.0.0.1:0`, a tiny raw HTTP/1.1 client, and the checks a client
//! or monitor makes on what the log returns.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use ring::signature::{EcdsaSigningAlgorithm, ECDSA_P384_SHA384_ASN1_SIGNING};
use serde_json::Value;
use sigstack_ct::log::{router, CtConfig, CtLog, MillisClock};
use sigstack_ct::{
    DigitallySigned, EcdsaP256LogSigner, LogId, LogPublicKey, LogSigner,
    SignedCertificateTimestamp, SignedTreeHead,
};
use sigstack_ledger::store::Store;
use sigstack_ledger::{fsck, LedgerConfig, MemoryStore};
use sigstack_merkle::Hash;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use x509_cert::der::asn1::{BitString, OctetString, UtcTime};
use x509_cert::der::{Any, Decode, Encode};
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

pub const SHARD: i64 = 1_000_001;
pub const START_MS: u64 = 1_700_000_000_123;

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");

pub fn b64() -> &'static base64::engine::GeneralPurpose {
    &base64::engine::general_purpose::STANDARD
}

/// A test clock that advances one millisecond per read, so every SCT has its own time.
pub struct StepClock(pub AtomicU64);

impl StepClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self(AtomicU64::new(START_MS)))
    }
}

impl MillisClock for StepClock {
    fn now_millis(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

/// An EC key that can sign certificates.
pub struct CaKey {
    pair: EcdsaKeyPair,
    p384: bool,
}

impl CaKey {
    pub fn generate(p384: bool) -> Self {
        let alg = Self::alg(p384);
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap();
        Self { pair, p384 }
    }

    fn alg(p384: bool) -> &'static EcdsaSigningAlgorithm {
        if p384 {
            &ECDSA_P384_SHA384_ASN1_SIGNING
        } else {
            &ECDSA_P256_SHA256_ASN1_SIGNING
        }
    }

    pub fn spki(&self) -> SubjectPublicKeyInfoOwned {
        let curve = if self.p384 { SECP384R1 } else { SECP256R1 };
        SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: ID_EC_PUBLIC_KEY,
                parameters: Some(Any::encode_from(&curve).unwrap()),
            },
            subject_public_key: BitString::from_bytes(self.pair.public_key().as_ref()).unwrap(),
        }
    }

    fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: if self.p384 {
                ECDSA_WITH_SHA384
            } else {
                ECDSA_WITH_SHA256
            },
            parameters: None,
        }
    }

    /// Signs `tbs` (whose `signature` field is overwritten) into a certificate's DER.
    pub fn sign(&self, mut tbs: TbsCertificate) -> Vec<u8> {
        tbs.signature = self.signature_algorithm();
        let sig = self
            .pair
            .sign(&SystemRandom::new(), &tbs.to_der().unwrap())
            .unwrap();
        Certificate {
            tbs_certificate: tbs,
            signature_algorithm: self.signature_algorithm(),
            signature: BitString::from_bytes(sig.as_ref()).unwrap(),
        }
        .to_der()
        .unwrap()
    }
}

/// A certificate with the key that signs what it issues.
pub struct Ca {
    pub der: Vec<u8>,
    pub name: Name,
    pub key: CaKey,
}

/// Root (P-256, self-signed) → intermediate (P-384): the shape of a Fulcio CA.
pub struct Pki {
    pub root: Ca,
    pub intermediate: Ca,
    serial: AtomicU64,
}

fn extension(oid: ObjectIdentifier, critical: bool, value: Vec<u8>) -> Extension {
    Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value).unwrap(),
    }
}

fn ca_extensions() -> Vec<Extension> {
    let bc = BasicConstraints {
        ca: true,
        path_len_constraint: None,
    };
    vec![extension(BASIC_CONSTRAINTS, true, bc.to_der().unwrap())]
}

fn validity() -> Validity {
    let at = |secs| Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(secs)).unwrap());
    Validity {
        not_before: at(1_700_000_000),
        not_after: at(1_700_000_600),
    }
}

pub fn tbs(
    serial: u64,
    issuer: &Name,
    subject: &str,
    spki: SubjectPublicKeyInfoOwned,
    extensions: Vec<Extension>,
) -> TbsCertificate {
    TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&serial.to_be_bytes()[..]).unwrap(),
        signature: AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA256,
            parameters: None,
        },
        issuer: issuer.clone(),
        validity: validity(),
        subject: if subject.is_empty() {
            Name::default()
        } else {
            Name::from_str(subject).unwrap()
        },
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: (!extensions.is_empty()).then_some(extensions),
    }
}

impl Pki {
    pub fn new(name: &str) -> Self {
        let root_key = CaKey::generate(false);
        let root_name = Name::from_str(&format!("CN={name} root,O=sigstack tests")).unwrap();
        let root_tbs = tbs(
            1,
            &root_name,
            &format!("CN={name} root,O=sigstack tests"),
            root_key.spki(),
            ca_extensions(),
        );
        let root = Ca {
            der: root_key.sign(root_tbs),
            name: root_name.clone(),
            key: root_key,
        };
        let inter_key = CaKey::generate(true);
        let inter_subject = format!("CN={name} intermediate,O=sigstack tests");
        let inter_tbs = tbs(
            2,
            &root_name,
            &inter_subject,
            inter_key.spki(),
            ca_extensions(),
        );
        let intermediate = Ca {
            der: root.key.sign(inter_tbs),
            name: Name::from_str(&inter_subject).unwrap(),
            key: inter_key,
        };
        Self {
            root,
            intermediate,
            serial: AtomicU64::new(100),
        }
    }

    pub fn next_serial(&self) -> u64 {
        self.serial.fetch_add(1, Ordering::Relaxed)
    }

    /// A leaf TBS issued by the intermediate with a fresh key and serial, plus `extensions`.
    pub fn leaf_tbs(&self, extensions: Vec<Extension>) -> TbsCertificate {
        let key = CaKey::generate(false);
        let mut exts = vec![extension(
            EXT_KEY_USAGE,
            false,
            // SEQUENCE { id-kp-codeSigning }
            vec![
                0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03,
            ],
        )];
        exts.extend(extensions);
        tbs(
            self.next_serial(),
            &self.intermediate.name,
            "",
            key.spki(),
            exts,
        )
    }

    /// A precertificate: critical poison appended last, as Fulcio does.
    pub fn precert(&self) -> Vec<u8> {
        let tbs = self.leaf_tbs(vec![sigstack_ct::poison_extension().unwrap()]);
        self.intermediate.key.sign(tbs)
    }

    /// A leaf with `extensions` after the EKU, signed by the intermediate.
    pub fn leaf_with(&self, extensions: Vec<Extension>) -> Vec<u8> {
        self.intermediate.key.sign(self.leaf_tbs(extensions))
    }

    /// A final certificate (no poison, no SCTs).
    pub fn final_cert(&self) -> Vec<u8> {
        self.leaf_with(Vec::new())
    }

    /// The final certificate of `precert`: poison swapped for the SCT list in place, signed
    /// again — what the CA does with the SCT the log returned.
    pub fn embed(&self, precert: &[u8], scts: &[SignedCertificateTimestamp]) -> Vec<u8> {
        let mut tbs = Certificate::from_der(precert).unwrap().tbs_certificate;
        let exts = tbs.extensions.as_mut().unwrap();
        let at = exts
            .iter()
            .position(|e| e.extn_id == sigstack_ct::CT_POISON_OID)
            .unwrap();
        exts[at] = sigstack_ct::sct_list_extension(scts).unwrap();
        self.intermediate.key.sign(tbs)
    }

    /// `[leaf, intermediate, root]`.
    pub fn chain(&self, leaf: Vec<u8>) -> Vec<Vec<u8>> {
        vec![leaf, self.intermediate.der.clone(), self.root.der.clone()]
    }
}

/// A non-critical poison (wrong) or any extension by OID and DER value.
pub fn raw_extension(oid: ObjectIdentifier, critical: bool, value: Vec<u8>) -> Extension {
    extension(oid, critical, value)
}

/// Flips one bit in the last byte of the certificate's signature.
pub fn break_signature(der: &[u8]) -> Vec<u8> {
    let mut cert = Certificate::from_der(der).unwrap();
    let mut sig = cert.signature.raw_bytes().to_vec();
    // Inside the DER Ecdsa-Sig-Value, the last byte is part of `s`.
    *sig.last_mut().unwrap() ^= 1;
    cert.signature = BitString::from_bytes(&sig).unwrap();
    cert.to_der().unwrap()
}

pub struct TestLog<S: Store = MemoryStore> {
    pub pki: Pki,
    pub log: Arc<CtLog<S>>,
    pub store: Arc<S>,
    pub key: LogPublicKey,
    pub pkcs8: Vec<u8>,
    pub addr: SocketAddr,
    pub prefix: String,
}

pub fn ledger_config() -> LedgerConfig {
    let mut c = LedgerConfig::new(0);
    c.max_delay = Duration::from_millis(1);
    c.lease_retry = Duration::from_millis(50);
    c
}

/// A log on a fresh in-memory store, served over HTTP.
pub async fn start() -> TestLog {
    let pki = Pki::new("test");
    let config = CtConfig::new(SHARD, vec![pki.root.der.clone()]);
    let (_, pkcs8) = EcdsaP256LogSigner::generate().unwrap();
    start_on(Arc::new(MemoryStore::new()), pki, config, pkcs8).await
}

/// A log with `config` and log key `pkcs8` on `store`, served over HTTP.
pub async fn start_on<S: Store>(
    store: Arc<S>,
    pki: Pki,
    config: CtConfig,
    pkcs8: Vec<u8>,
) -> TestLog<S> {
    let signer = EcdsaP256LogSigner::from_pkcs8(&pkcs8).unwrap();
    let key = signer.public_key().unwrap();
    let log = Arc::new(
        CtLog::open(
            Arc::clone(&store),
            config,
            Arc::new(signer),
            ledger_config(),
            StepClock::new(),
        )
        .await
        .unwrap(),
    );
    let prefix = log.config().path_prefix.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(Arc::clone(&log));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    TestLog {
        pki,
        log,
        store,
        key,
        pkcs8,
        addr,
        prefix,
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
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The `message` of a JSON error body.
    pub fn message(&self) -> String {
        self.json()["message"].as_str().unwrap().to_owned()
    }
}

pub fn chain_json(chain: &[Vec<u8>]) -> Vec<u8> {
    let chain: Vec<String> = chain.iter().map(|c| b64().encode(c)).collect();
    serde_json::to_vec(&serde_json::json!({ "chain": chain })).unwrap()
}

impl<S: Store> TestLog<S> {
    pub fn path(&self, endpoint: &str) -> String {
        format!("{}/ct/v1/{endpoint}", self.prefix)
    }

    pub async fn get(&self, endpoint_and_query: &str) -> Resp {
        request(self.addr, "GET", &self.path(endpoint_and_query), b"").await
    }

    pub async fn post(&self, endpoint: &str, body: &[u8]) -> Resp {
        request(self.addr, "POST", &self.path(endpoint), body).await
    }

    /// POSTs `chain` to `endpoint`, asserts 200 and returns the SCT it carried.
    pub async fn add(&self, endpoint: &str, chain: &[Vec<u8>]) -> SignedCertificateTimestamp {
        let resp = self.post(endpoint, &chain_json(chain)).await;
        assert_eq!(resp.status, 200, "{}", resp.text());
        sct_from_json(&resp.json())
    }

    /// `get-sth`, with its signature verified with the log key.
    pub async fn sth(&self) -> SignedTreeHead {
        let resp = self.get("get-sth").await;
        assert_eq!(resp.status, 200, "{}", resp.text());
        let sth = sth_from_json(&resp.json());
        sth.verify(&self.key).unwrap();
        sth
    }

    pub async fn tree_size(&self) -> u64 {
        self.log.ledger().state().await.unwrap().size
    }

    /// The ledger's fsck over the log's shard, checking every stored tree head's signature.
    pub async fn assert_fsck_clean(&self) {
        let verify = sigstack_ct::stored_tree_head_verifier(&self.key);
        let report = fsck(&*self.store, SHARD, &verify).await.unwrap();
        assert!(report.is_clean(), "fsck found problems: {report:?}");
    }
}

pub fn sct_from_json(v: &Value) -> SignedCertificateTimestamp {
    assert_eq!(v["sct_version"], 0);
    let id: [u8; 32] = b64()
        .decode(v["id"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    SignedCertificateTimestamp {
        log_id: LogId(id),
        timestamp: v["timestamp"].as_u64().unwrap(),
        extensions: b64().decode(v["extensions"].as_str().unwrap()).unwrap(),
        // Go's CT client insists on no trailing bytes; `from_bytes` does too.
        signature: DigitallySigned::from_bytes(
            &b64().decode(v["signature"].as_str().unwrap()).unwrap(),
        )
        .unwrap(),
    }
}

pub fn sth_from_json(v: &Value) -> SignedTreeHead {
    SignedTreeHead {
        tree_size: v["tree_size"].as_u64().unwrap(),
        timestamp: v["timestamp"].as_u64().unwrap(),
        root_hash: decode_hash(&v["sha256_root_hash"]),
        signature: DigitallySigned::from_bytes(
            &b64()
                .decode(v["tree_head_signature"].as_str().unwrap())
                .unwrap(),
        )
        .unwrap(),
    }
}

pub fn decode_hash(v: &Value) -> Hash {
    b64()
        .decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

pub fn decode_path(v: &Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(decode_hash).collect()
}

/// Percent-encodes base64 for a query string, as Go's `url.Values` does.
pub fn query_escape(b64: &str) -> String {
    b64.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

/// A raw HTTP/1.1 request (`Connection: close`), so tests can also lie about lengths.
pub async fn request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Resp {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    if method == "POST" {
        req.push_str("Content-Type: application/json\r\n");
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("Connection: close\r\n\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    raw(addr, &bytes).await
}

pub async fn raw(addr: SocketAddr, bytes: &[u8]) -> Resp {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The server may answer (413) and close before reading everything.
    let _ = stream.write_all(bytes).await;
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut out));
    let _ = read.await.expect("server did not answer in time");
    parse_response(&out)
}

fn parse_response(out: &[u8]) -> Resp {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("no header end");
    let head = std::str::from_utf8(&out[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = out[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
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
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = std::str::from_utf8(&data[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// The log key as a `LogSigner`, for comparing IDs.
pub fn log_id_of(pkcs8: &[u8]) -> LogId {
    EcdsaP256LogSigner::from_pkcs8(pkcs8).unwrap().log_id()
}
