//! `rekord` entries with PGP and minisign signatures through the HTTP API: the golden PGP
//! capture of Rekor 1.5.3 gets Rekor's entry ID, is found again by its key (as sent, as
//! stored, armored or binary), by its user ID e-mail and by the proposed entry; the EdDSA
//! capture gets Rekor's 400; gpg and minisign fixtures (`tests/data/pgp/`) behave the same
//! way end to end; refused entries write nothing.
#![allow(clippy::unwrap_used)]

mod api_support;

use api_support::*;
use base64::Engine as _;
use serde_json::{json, Value};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/pgp")
            .join(name),
    )
    .unwrap()
}

fn enc(b: &[u8]) -> String {
    b64().encode(b)
}

fn rekord(format: &str, key: &[u8], sig: &[u8], artifact: &[u8]) -> Value {
    json!({
        "apiVersion": "0.0.1",
        "kind": "rekord",
        "spec": {
            "signature": {"format": format, "content": enc(sig), "publicKey": {"content": enc(key)}},
            "data": {"content": enc(artifact)}
        }
    })
}

async fn create(server: &Server, entry: &Value) -> Resp {
    server
        .post_json("/api/v1/log/entries", entry.to_string().as_bytes())
        .await
}

/// Entry IDs of `POST /api/v1/index/retrieve` with `query`.
async fn search(server: &Server, query: Value) -> Vec<String> {
    let resp = server
        .post_json("/api/v1/index/retrieve", query.to_string().as_bytes())
        .await;
    assert_eq!(resp.status, 200, "{query}: {}", resp.text());
    resp.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

async fn search_key(server: &Server, format: &str, key: &[u8]) -> Vec<String> {
    search(
        server,
        json!({"publicKey": {"format": format, "content": enc(key)}}),
    )
    .await
}

/// The entry IDs a retrieve by proposed entry answers.
async fn retrieve(server: &Server, proposed: &Value) -> Vec<String> {
    let q = json!({ "entries": [proposed] });
    let resp = server
        .post_json("/api/v1/log/entries/retrieve", q.to_string().as_bytes())
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    resp.json()
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m.as_object().unwrap().keys().cloned().collect::<Vec<_>>())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_pgp_entry_is_created_and_found() {
    let server = start().await;
    let record = golden("create/rekord-pgp-rsa2048-armored.json");
    let resp = replay(&server, &record).await;
    assert_eq!(resp.status, 201, "{}", resp.text());
    let id = golden_header(&record, "Etag").unwrap().to_owned();
    assert_eq!(resp.header("etag"), Some(id.as_str()));
    let (_, body) = verify_entry_map(&server, &resp.json());
    let stored =
        std::fs::read(golden_dir().join("create/rekord-pgp-rsa2048-armored.canonical-body.json"))
            .unwrap();
    assert_eq!(body, stored, "Rekor's canonical body");

    // By the key file as the client sent it, and by the key as the log stored it.
    let key_file = std::fs::read(golden_dir().join("keys/rekord-pgp-rsa2048.pub.asc")).unwrap();
    assert_eq!(
        search_key(&server, "pgp", &key_file).await,
        vec![id.clone()]
    );
    let stored_key: Value = serde_json::from_slice(&stored).unwrap();
    let stored_key = b64()
        .decode(
            stored_key["spec"]["signature"]["publicKey"]["content"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    assert_eq!(
        search_key(&server, "pgp", &stored_key).await,
        vec![id.clone()]
    );
    // By the user ID's e-mail, in any case.
    for email in ["golden-pgp@example.com", "Golden-PGP@Example.COM"] {
        assert_eq!(
            search(&server, json!({ "email": email })).await,
            vec![id.clone()]
        );
    }
    // By the proposed entry, as `rekor-cli verify` asks.
    let proposed: Value = serde_json::from_slice(&request_body(&record)).unwrap();
    assert_eq!(retrieve(&server, &proposed).await, vec![id.clone()]);
    // The same request again is a duplicate.
    let again = replay(&server, &record).await;
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(server.tree_size().await, 1);
    server.assert_fsck_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_eddsa_pgp_key_is_a_400_like_rekors() {
    let server = start().await;
    let record = golden("errors/e51-rekord-pgp-eddsa-key.json");
    let resp = replay(&server, &record).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.text(),
        record["response"]["body_text"].as_str().unwrap()
    );
    assert_eq!(server.tree_size().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpg_entries_armored_and_binary() {
    let server = start().await;
    let artifact = data("artifact.txt");
    let armored = rekord("pgp", &data("rsa.pub.asc"), &data("rsa.asc"), &artifact);
    let binary = rekord("pgp", &data("rsa.pub.gpg"), &data("rsa.sig"), &artifact);
    let subkey = rekord(
        "pgp",
        &data("rsa.pub.asc"),
        &data("rsa-subkey.asc"),
        &artifact,
    );
    let mut ids = Vec::new();
    for entry in [&armored, &binary, &subkey] {
        let resp = create(&server, entry).await;
        assert_eq!(resp.status, 201, "{}", resp.text());
        verify_entry_map(&server, &resp.json());
        ids.push(resp.header("etag").unwrap().to_owned());
    }
    ids.sort();
    // One canonical key, whichever form it was sent in.
    for key in [data("rsa.pub.asc"), data("rsa.pub.gpg")] {
        assert_eq!(search_key(&server, "pgp", &key).await, ids);
    }
    assert_eq!(
        search(&server, json!({"email": "second.mixed@example.com"})).await,
        ids
    );
    for entry in [&armored, &binary] {
        assert_eq!(retrieve(&server, entry).await.len(), 1);
    }
    // A tampered artifact is a 400 that says why, and is not logged.
    let mut other = artifact.clone();
    other.push(b'!');
    let resp = create(
        &server,
        &rekord("pgp", &data("rsa.pub.asc"), &data("rsa.asc"), &other),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.json()["message"],
        "error processing entry: openpgp: invalid signature: hash tag doesn't match"
    );
    // A key that did not sign it.
    let resp = create(
        &server,
        &rekord(
            "pgp",
            &data("ecdsa-nistp384.pub.asc"),
            &data("rsa.asc"),
            &artifact,
        ),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.json()["message"],
        "error processing entry: openpgp: signature made by unknown entity"
    );
    // An EdDSA key made by gpg.
    let resp = create(
        &server,
        &rekord("pgp", &data("eddsa.pub.asc"), &data("eddsa.asc"), &artifact),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert!(resp.json()["message"]
        .as_str()
        .unwrap()
        .contains("public key algorithm 22"));
    assert_eq!(server.tree_size().await, 3);
    server.assert_fsck_clean().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minisign_entries() {
    let server = start().await;
    let artifact = data("artifact.txt");
    let key = data("minisign.pub");
    let mut ids = Vec::new();
    for sig in ["minisign.minisig", "minisign-legacy.minisig"] {
        let entry = rekord("minisign", &key, &data(sig), &artifact);
        let resp = create(&server, &entry).await;
        assert_eq!(resp.status, 201, "{sig}: {}", resp.text());
        verify_entry_map(&server, &resp.json());
        let id = resp.header("etag").unwrap().to_owned();
        assert_eq!(retrieve(&server, &entry).await, vec![id.clone()]);
        ids.push(id);
    }
    ids.sort();
    let line = String::from_utf8(key.clone())
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
    assert_eq!(search_key(&server, "minisign", &key).await, ids);
    assert_eq!(search_key(&server, "minisign", line.as_bytes()).await, ids);
    assert!(search_key(&server, "minisign", &data("minisign-other.pub"))
        .await
        .is_empty());
    // Another key: its key ID differs.
    let resp = create(
        &server,
        &rekord(
            "minisign",
            &data("minisign-other.pub"),
            &data("minisign.minisig"),
            &artifact,
        ),
    )
    .await;
    assert_eq!(resp.status, 400);
    assert!(resp.json()["message"]
        .as_str()
        .unwrap()
        .contains("key ID mismatch"));
    assert_eq!(server.tree_size().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unparsable_search_keys_are_400s_with_a_reason() {
    let server = start().await;
    for (format, content) in [
        ("pgp", &b"garbage"[..]),
        ("pgp", &data("eddsa.pub.asc")[..]),
        ("minisign", &b"garbage"[..]),
        ("minisign", &data("rsa.pub.asc")[..]),
    ] {
        let q = json!({"publicKey": {"format": format, "content": enc(content)}});
        let resp = server
            .post_json("/api/v1/index/retrieve", q.to_string().as_bytes())
            .await;
        assert_eq!(resp.status, 400, "{format}: {}", resp.text());
        let message = resp.json()["message"].as_str().unwrap().to_owned();
        assert!(
            message.starts_with("public key provided could not be parsed: "),
            "{message}"
        );
    }
}
