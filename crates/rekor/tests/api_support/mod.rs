//! Shared helpers of the `api_*` tests: a real server on `127.0.0.1:0` over the in-memory
//! ledger store, a tiny raw HTTP/1.1 client (so tests can also send what no well-behaved
//! client would: truncated bodies, lying `Content-Length`s), golden-file loading, and the
//! checks a client makes on every returned entry (SET, inclusion proof, checkpoint).
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use sigstack_ledger::store::Store;
use sigstack_ledger::{fsck, LedgerConfig, MemoryStore, SystemClock};
use sigstack_merkle::checkpoint::SignedCheckpoint;
use sigstack_merkle::signature::{EcdsaP256Signer, Signer as _, Verifier as _};
use sigstack_merkle::{leaf_hash, verify_inclusion, Hash};
use sigstack_rekor::api::{router, RekorConfig, RekorService};
use sigstack_rekor::SetPayload;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The tree of the Rekor 1.5.3 captures, so our entry IDs equal theirs.
pub const GOLDEN_TREE_ID: i64 = 6_836_169_395_851_359_160;
pub const HOSTNAME: &str = "rekor.local";

pub fn b64() -> &'static base64::engine::GeneralPurpose {
    &base64::engine::general_purpose::STANDARD
}

pub struct Server<S: Store = MemoryStore> {
    pub addr: SocketAddr,
    pub service: Arc<RekorService<S>>,
    pub store: Arc<S>,
}

/// A server with the default configuration on the golden tree ID.
pub async fn start() -> Server {
    start_with(
        RekorConfig::new(HOSTNAME, GOLDEN_TREE_ID),
        LedgerConfig::new(0),
    )
    .await
}

pub async fn start_with(config: RekorConfig, ledger_config: LedgerConfig) -> Server {
    let store = Arc::new(MemoryStore::new());
    start_on(store, config, ledger_config).await
}

/// A server over an existing store (e.g. a standby next to another server).
pub async fn start_on<S: Store>(
    store: Arc<S>,
    config: RekorConfig,
    ledger_config: LedgerConfig,
) -> Server<S> {
    let pkcs8 = EcdsaP256Signer::generate_pkcs8_der().unwrap();
    start_keyed(store, config, ledger_config, &pkcs8).await
}

/// A server whose log key is `pkcs8` (a restart keeps its key).
pub async fn start_keyed<S: Store>(
    store: Arc<S>,
    config: RekorConfig,
    ledger_config: LedgerConfig,
    pkcs8: &[u8],
) -> Server<S> {
    let signer = EcdsaP256Signer::from_pkcs8_der(pkcs8).unwrap();
    let service = Arc::new(
        RekorService::open(
            Arc::clone(&store),
            config,
            signer,
            ledger_config,
            Arc::new(SystemClock),
        )
        .await
        .unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(Arc::clone(&service));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server {
        addr,
        service,
        store,
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
}

impl<S: Store> Server<S> {
    pub async fn get(&self, path: &str) -> Resp {
        self.request("GET", path, &[], b"").await
    }

    pub async fn post_json(&self, path: &str, body: &[u8]) -> Resp {
        self.request("POST", path, &[("Content-Type", "application/json")], body)
            .await
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
        self.raw(&bytes, false).await
    }

    /// Sends `bytes` as is; with `half_close` the write side is shut afterwards (a client
    /// that stops sending mid-body).
    pub async fn raw(&self, bytes: &[u8], half_close: bool) -> Resp {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        // A server may answer (413) and close before reading everything; ignore write errors.
        let _ = stream.write_all(bytes).await;
        if half_close {
            let _ = stream.shutdown().await;
        }
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut out));
        let _ = read.await.expect("server did not answer in time");
        parse_response(&out)
    }

    /// The current tree size as the ledger reports it.
    pub async fn tree_size(&self) -> u64 {
        self.service.ledger().state().await.unwrap().size
    }

    /// Runs the ledger's fsck over the store and asserts the log is clean.
    pub async fn assert_fsck_clean(&self) {
        let key = self.service.key();
        let verifier = key.note_verifier();
        let check = |note: &[u8]| -> Result<(u64, Hash), String> {
            let (cp, _) = SignedCheckpoint::open(note, &[&verifier]).map_err(|e| e.to_string())?;
            Ok((cp.checkpoint().size, cp.checkpoint().root_hash))
        };
        let report = fsck(&*self.store, GOLDEN_TREE_ID, &check).await.unwrap();
        assert!(report.is_clean(), "fsck found problems: {report:?}");
    }
}

fn parse_response(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
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

/// The directory of the Rekor 1.5.3 captures.
pub fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/golden/rekor-v1.5.3")
}

pub fn golden(rel: &str) -> Value {
    let path = golden_dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The golden records in `dir`, sorted by name (`*.canonical-body.json` and such excluded).
pub fn golden_cases(dir: &str) -> Vec<(String, Value)> {
    let mut names: Vec<String> = std::fs::read_dir(golden_dir().join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| {
            n.ends_with(".json")
                && !n.ends_with(".canonical-body.json")
                && !n.ends_with(".envelope.json")
        })
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

/// The exact request body bytes of a golden record.
pub fn request_body(record: &Value) -> Vec<u8> {
    let req = &record["request"];
    if let Some(t) = req["body_text"].as_str() {
        t.as_bytes().to_vec()
    } else if let Some(b) = req["body_b64"].as_str() {
        b64().decode(b).unwrap()
    } else {
        Vec::new()
    }
}

/// Replays a golden request: same method, path, content type and body.
pub async fn replay<S: Store>(server: &Server<S>, record: &Value) -> Resp {
    let req = &record["request"];
    let method = req["method"].as_str().unwrap();
    let path = req["path"].as_str().unwrap();
    let mut headers = Vec::new();
    for h in req["headers"].as_array().unwrap() {
        let (k, v) = (h[0].as_str().unwrap(), h[1].as_str().unwrap());
        if [
            "content-type",
            "accept",
            "origin",
            "access-control-request-method",
            "access-control-request-headers",
        ]
        .contains(&k.to_ascii_lowercase().as_str())
        {
            headers.push((k, v));
        }
    }
    server
        .request(method, path, &headers, &request_body(record))
        .await
}

/// The golden response header `name`.
pub fn golden_header<'a>(record: &'a Value, name: &str) -> Option<&'a str> {
    record["response"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
        .map(|h| h[1].as_str().unwrap())
}

/// Everything a client checks on one returned entry `(entry ID, value)`: the UUID is the
/// leaf hash of the body, the tree part is ours, the SET verifies over the RFC 8785 payload
/// with the log key, the inclusion proof leads to `rootHash`, and the checkpoint is signed by
/// the log key and commits to the same size and root. Returns the decoded body.
pub fn verify_entry<S: Store>(server: &Server<S>, id: &str, e: &Value) -> Vec<u8> {
    let key = server.service.key();
    let body = b64().decode(e["body"].as_str().unwrap()).unwrap();
    let leaf = leaf_hash(&body);
    assert_eq!(id.len(), 80, "entry ID {id}");
    assert_eq!(&id[16..], hex::encode(leaf), "UUID is the leaf hash");
    assert_eq!(
        &id[..16],
        format!("{:016x}", server.service.config().tree_id)
    );
    assert_eq!(e["logID"].as_str().unwrap(), key.log_id_hex());
    let log_index = e["logIndex"].as_i64().unwrap();
    let integrated_time = e["integratedTime"].as_i64().unwrap();

    let set = b64()
        .decode(e["verification"]["signedEntryTimestamp"].as_str().unwrap())
        .unwrap();
    let payload = SetPayload {
        body: &body,
        integrated_time,
        log_id: key.log_id_hex(),
        log_index,
    }
    .to_bytes()
    .unwrap();
    key.public_key()
        .verify(&payload, &set)
        .expect("SET verifies with the log key");

    let proof = &e["verification"]["inclusionProof"];
    let hashes: Vec<Hash> = proof["hashes"]
        .as_array()
        .expect("hashes is an array")
        .iter()
        .map(|h| {
            hex::decode(h.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect();
    let root: Hash = hex::decode(proof["rootHash"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let size = proof["treeSize"].as_u64().unwrap();
    let index = proof["logIndex"].as_u64().unwrap();
    assert_eq!(
        index as i64, log_index,
        "one shard: local index = global index"
    );
    verify_inclusion(&leaf, index, size, &hashes, &root).expect("inclusion proof verifies");

    let cp = proof["checkpoint"].as_str().unwrap();
    let verifier = key.note_verifier();
    let (signed, _) =
        SignedCheckpoint::open(cp.as_bytes(), &[&verifier]).expect("checkpoint verifies");
    assert_eq!(signed.checkpoint().size, size);
    assert_eq!(signed.checkpoint().root_hash, root);
    assert_eq!(
        signed.checkpoint().origin,
        format!(
            "{} - {}",
            server.service.config().hostname,
            server.service.config().tree_id
        )
    );
    assert_eq!(
        signed.note().signatures().len(),
        1,
        "exactly one signature line"
    );
    body
}

/// Verifies a one-entry map response and returns `(entry ID, body)`.
pub fn verify_entry_map<S: Store>(server: &Server<S>, v: &Value) -> (String, Vec<u8>) {
    let map = v.as_object().expect("an object");
    assert_eq!(map.len(), 1, "exactly one key");
    let (id, e) = map.iter().next().unwrap();
    (id.clone(), verify_entry(server, id, e))
}

/// A fresh hashedrekord proposal signed with a new P-256 key over `artifact`.
pub fn fresh_hashedrekord(artifact: &[u8]) -> Vec<u8> {
    let pkcs8 = EcdsaP256Signer::generate_pkcs8_der().unwrap();
    let signer = EcdsaP256Signer::from_pkcs8_der(&pkcs8).unwrap();
    let sig = signer.sign(artifact).unwrap();
    let digest = sha256_hex(artifact);
    let pem = pem("PUBLIC KEY", signer.public_key_spki_der());
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": digest}},
            "signature": {"content": b64().encode(sig), "publicKey": {"content": b64().encode(pem)}}
        }
    }))
    .unwrap()
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(data))
}

pub fn pem(label: &str, der: &[u8]) -> String {
    let b = b64().encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The log after replaying every golden create, and how its indexes relate to Rekor's.
pub struct Populated {
    /// Rekor's log index of each entry we also hold → our index.
    pub index_of_golden: std::collections::HashMap<u64, u64>,
    /// Entry IDs we hold.
    pub ids: std::collections::HashSet<String>,
    /// `roots[n]` = root of the tree of size `n` (`roots[0]` unused).
    pub roots: Vec<Hash>,
}

/// Replays every golden create (those the entry kinds refuse are skipped: `api_create`
/// reports them) and records what the read tests need.
pub async fn populate<S: Store>(server: &Server<S>) -> Populated {
    let mut p = Populated {
        index_of_golden: Default::default(),
        ids: Default::default(),
        roots: vec![[0; 32]],
    };
    for (_, record) in golden_cases("create") {
        let resp = replay(server, &record).await;
        if resp.status != 201 {
            continue;
        }
        let v = resp.json();
        let (id, e) = v.as_object().unwrap().iter().next().unwrap();
        let ours = e["logIndex"].as_u64().unwrap();
        let golden_map = &record["response"]["body_json"];
        let theirs = golden_map[id.as_str()]["logIndex"].as_u64().unwrap();
        p.index_of_golden.insert(theirs, ours);
        p.ids.insert(id.clone());
        let proof = &e["verification"]["inclusionProof"];
        assert_eq!(proof["treeSize"].as_u64().unwrap() as usize, p.roots.len());
        let root = hex::decode(proof["rootHash"].as_str().unwrap()).unwrap();
        p.roots.push(root.try_into().unwrap());
    }
    p
}

/// The shape of a JSON value: objects keep their keys, every scalar becomes its type name,
/// arrays the shape of their first element. Compares responses whose values differ per run.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.first().map(shape).into_iter().collect()),
        Value::String(_) => Value::String("string".into()),
        Value::Number(_) => Value::String("number".into()),
        Value::Bool(_) => Value::String("bool".into()),
        Value::Null => Value::Null,
    }
}
