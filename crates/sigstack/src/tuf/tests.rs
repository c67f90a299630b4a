//! The repository as a client sees it: every check loads the published files with tough's
//! own client-side loader (signatures, thresholds, versions, expiry, hashes), so a test fails
//! when a real TUF client would refuse the repository.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use tough::IntoVec as _;

use super::keys::FileKey;
use super::repo::{self, Action, Published};
use super::{now, Layout, Lifetimes};
use crate::trust::Documents;

const LIFETIMES: Lifetimes = Lifetimes {
    timestamp: 100,
    metadata: 1000,
    root: 100_000,
};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sigstack-tuf-test-{name}-{}-{}",
        std::process::id(),
        now()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A client's state directory, inside the test's own (removed with it).
fn client_dir(dir: &Path, name: &str) -> PathBuf {
    let client = dir.join(name);
    fs::create_dir_all(&client).unwrap();
    client
}

fn documents(generation: &str) -> Documents {
    Documents {
        trusted_root: format!("{{\"generation\": \"{generation}\"}}\n"),
        signing_config: "{\"mediaType\": \"signing\"}\n".into(),
        client_trust_config: "{}\n".into(),
        ca_chain: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n".into(),
        ct_key: "ct\n".into(),
        rekor_key: "rekor\n".into(),
        tsa_chain: None,
    }
}

/// A repository with three root keys (threshold 2), created at `at`.
async fn repository(name: &str, at: u64) -> (PathBuf, Layout, Vec<FileKey>) {
    let dir = temp_dir(name);
    let layout = Layout::new(&dir);
    fs::create_dir_all(&layout.keys).unwrap();
    let roots: Vec<_> = (1..=3)
        .map(|n| FileKey::generate(&layout.root_key(n).path).unwrap())
        .collect();
    for key in layout.online_keys() {
        FileKey::generate(&key.path).unwrap();
    }
    repo::create_root(&layout, &roots, 2, &LIFETIMES, at)
        .await
        .unwrap();
    let wanted = repo::targets(&documents("one"), "http://sigstack.test");
    assert_eq!(
        repo::publish(&layout, &wanted, &LIFETIMES, at)
            .await
            .unwrap(),
        Action::All
    );
    (dir, layout, roots)
}

fn first_root(layout: &Layout) -> Vec<u8> {
    fs::read(layout.repository.join("1.root.json")).unwrap()
}

async fn client_load(layout: &Layout, datastore: &Path) -> anyhow::Result<tough::Repository> {
    repo::verify(&layout.repository, &first_root(layout), datastore).await
}

fn versions(layout: &Layout) -> (u64, u64, u64) {
    let (ts, snap, targets) = Published::read(layout).unwrap().top.unwrap();
    (
        ts.signed.version.get(),
        snap.signed.version.get(),
        targets.signed.version.get(),
    )
}

#[tokio::test]
async fn created_repository_publishes_the_trust_documents_to_clients() {
    let (dir, layout, _) = repository("create", now()).await;
    let client = client_load(&layout, &client_dir(&dir, "create-client"))
        .await
        .unwrap();
    let docs = documents("one");
    for (name, want) in [
        ("trusted_root.json", &docs.trusted_root),
        ("signing_config.v0.2.json", &docs.signing_config),
        ("fulcio_v1.crt.pem", &docs.ca_chain),
        ("ctfe.pub", &docs.ct_key),
        ("rekor.pub", &docs.rekor_key),
    ] {
        let target = tough::TargetName::new(name).unwrap();
        let bytes = client
            .read_target(&target)
            .await
            .unwrap()
            .unwrap()
            .into_vec()
            .await
            .unwrap();
        assert_eq!(bytes, want.as_bytes(), "{name}");
        let hash = hex::encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            want.as_bytes(),
        ));
        assert!(
            layout
                .repository
                .join(format!("targets/{hash}.{name}"))
                .exists(),
            "consistent-snapshot name of {name}"
        );
    }
    // Cosign's legacy discovery reads `custom.sigstore.usage`.
    let ctfe = &client.targets().signed.targets[&tough::TargetName::new("ctfe.pub").unwrap()];
    assert_eq!(ctfe.custom["sigstore"]["usage"], "CTFE");
    assert!(client.root().signed.consistent_snapshot);
    let (_, snapshot, targets) = versions(&layout);
    for file in [
        "1.root.json".to_owned(),
        format!("{targets}.targets.json"),
        format!("{snapshot}.snapshot.json"),
        "timestamp.json".to_owned(),
    ] {
        assert!(layout.repository.join(&file).exists(), "{file}");
    }
    let root = &client.root().signed.roles[&tough::schema::RoleType::Root];
    assert_eq!((root.threshold.get(), root.keyids.len()), (2, 3));
    let _ = fs::remove_dir_all(dir);
}

#[tokio::test]
async fn resigning_renews_only_what_is_due() {
    let t0 = now() - 60;
    let (dir, layout, _) = repository("resign", t0).await;
    let wanted = repo::targets(&documents("one"), "http://sigstack.test");
    let v0 = versions(&layout);
    assert_eq!(v0, (t0, t0, t0), "versions start at the signing time");

    // Timestamp has 90 of 100 s left: nothing to do.
    let act = repo::publish(&layout, &wanted, &LIFETIMES, t0 + 10)
        .await
        .unwrap();
    assert_eq!(act, Action::Nothing);
    assert_eq!(versions(&layout), v0);

    // Less than half left: a new timestamp over the same snapshot.
    let act = repo::publish(&layout, &wanted, &LIFETIMES, t0 + 55)
        .await
        .unwrap();
    assert_eq!(act, Action::Timestamp);
    assert_eq!(versions(&layout), (t0 + 55, t0, t0));
    client_load(&layout, &client_dir(&dir, "resign-1"))
        .await
        .unwrap();

    // New trust material: everything anew, and clients get the new bytes.
    let changed = repo::targets(&documents("two"), "http://sigstack.test");
    let act = repo::publish(&layout, &changed, &LIFETIMES, t0 + 56)
        .await
        .unwrap();
    assert_eq!(act, Action::All);
    assert_eq!(versions(&layout), (t0 + 56, t0 + 56, t0 + 56));
    let client = client_load(&layout, &client_dir(&dir, "resign-2"))
        .await
        .unwrap();
    let bytes = client
        .read_target(&tough::TargetName::new("trusted_root.json").unwrap())
        .await
        .unwrap()
        .unwrap()
        .into_vec()
        .await
        .unwrap();
    assert_eq!(bytes, documents("two").trusted_root.as_bytes());

    // Targets near their expiry are re-signed even when unchanged.
    let act = repo::publish(&layout, &changed, &LIFETIMES, t0 + 56 + 600)
        .await
        .unwrap();
    assert_eq!(act, Action::All);
    let v = t0 + 656;
    assert_eq!(versions(&layout), (v, v, v));
    // Two signings in one second still count up.
    let again = repo::targets(&documents("three"), "http://sigstack.test");
    repo::publish(&layout, &again, &LIFETIMES, v).await.unwrap();
    assert_eq!(versions(&layout), (v + 1, v + 1, v + 1));
    let _ = fs::remove_dir_all(dir);
}

#[tokio::test]
async fn expired_metadata_from_a_stopped_signer_is_refused_then_renewed() {
    // Published 150 s ago with a 100 s timestamp: as if the server stopped re-signing.
    let (dir, layout, _) = repository("expired", now() - 150).await;
    let err = client_load(&layout, &client_dir(&dir, "expired-1"))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("xpired"), "{err:#}");

    let wanted = repo::targets(&documents("one"), "http://sigstack.test");
    let act = repo::publish(&layout, &wanted, &LIFETIMES, now())
        .await
        .unwrap();
    assert_eq!(act, Action::Timestamp);
    client_load(&layout, &client_dir(&dir, "expired-2"))
        .await
        .unwrap();
    let _ = fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_rollback_to_an_older_timestamp_is_refused() {
    let t0 = now() - 10;
    let (dir, layout, _) = repository("rollback", t0).await;
    let old_timestamp = fs::read(layout.repository.join("timestamp.json")).unwrap();
    let backup = dir.join("backup");
    super::copy_dir(&layout.repository, &backup).unwrap();
    let wanted = repo::targets(&documents("two"), "http://sigstack.test");
    repo::publish(&layout, &wanted, &LIFETIMES, t0 + 1)
        .await
        .unwrap();
    let client_state = client_dir(&dir, "rollback-client");
    client_load(&layout, &client_state).await.unwrap();

    // A mirror (or attacker) serves the older, still unexpired, validly signed timestamp.
    fs::write(layout.repository.join("timestamp.json"), old_timestamp).unwrap();
    let err = client_load(&layout, &client_state).await.unwrap_err();
    assert!(format!("{err:#}").contains("previously fetched"), "{err:#}");

    // The operator restores the older backup of the whole repository: the next signing is
    // versioned past what the client saw, so the client accepts it again.
    fs::remove_dir_all(&layout.repository).unwrap();
    super::copy_dir(&backup, &layout.repository).unwrap();
    assert!(client_load(&layout, &client_state).await.is_err());
    let act = repo::publish(&layout, &wanted, &LIFETIMES, now() + 2)
        .await
        .unwrap();
    assert_eq!(act, Action::All);
    client_load(&layout, &client_state).await.unwrap();
    let _ = fs::remove_dir_all(dir);
}

#[tokio::test]
async fn root_rotation_needs_the_old_threshold_and_clients_follow_it() {
    let at = now();
    let (dir, layout, roots) = repository("rotate", at).await;
    let client_state = client_dir(&dir, "rotate-client");
    client_load(&layout, &client_state).await.unwrap();
    let new_keys: Vec<_> = (4..=6)
        .map(|n| FileKey::generate(&layout.root_key(n).path).unwrap())
        .collect();

    // One old key is below the threshold of 2: refused, nothing written.
    let err = repo::rotate_root(&layout, &new_keys, 2, &roots[..1], &LIFETIMES, at)
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("needs 2"), "{err:#}");
    assert!(!layout.repository.join("2.root.json").exists());

    // Two old keys: version 2, and a client that trusted version 1 moves to it.
    let version = repo::rotate_root(&layout, &new_keys, 2, &roots[1..], &LIFETIMES, at)
        .await
        .unwrap();
    assert_eq!(version, 2);
    let client = client_load(&layout, &client_state).await.unwrap();
    assert_eq!(client.root().signed.version.get(), 2);
    let _ = fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_root_signed_below_threshold_is_refused_by_clients() {
    use tough::editor::signed::SignedRole;
    use tough::schema::{KeyHolder, Root, Signed};

    let (dir, layout, roots) = repository("below", now()).await;
    // Hand-craft version 2 signed by one old key only (our rotate_root refuses to).
    let mut root: Root = Published::read(&layout).unwrap().root.signed;
    root.version = std::num::NonZeroU64::new(2).unwrap();
    let signed: SignedRole<Root> = SignedRole::new(
        root.clone(),
        &KeyHolder::Root(root),
        &super::keys::sources(&roots[..1]),
        &aws_lc_rs::rand::SystemRandom::new(),
    )
    .await
    .unwrap();
    let parsed: Signed<Root> = serde_json::from_slice(signed.buffer()).unwrap();
    assert_eq!(parsed.signatures.len(), 1);
    fs::write(layout.repository.join("2.root.json"), signed.buffer()).unwrap();
    let err = client_load(&layout, &client_dir(&dir, "below-client"))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("hreshold"), "{err:#}");
    let _ = fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_failed_signing_leaves_the_published_repository_as_it_was() {
    let (dir, layout, _) = repository("failed", now()).await;
    let before = versions(&layout);
    // The timestamp key is gone (a broken disk, a wrong mount): signing new targets fails.
    fs::remove_file(layout.online_key("timestamp").path).unwrap();
    let changed = repo::targets(&documents("two"), "http://sigstack.test");
    let err = repo::publish(&layout, &changed, &LIFETIMES, now())
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("timestamp"), "{err:#}");
    assert_eq!(versions(&layout), before);
    assert_eq!(
        fs::read_dir(&layout.repository)
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".targets.json"))
            .count(),
        1,
        "no new targets.json"
    );
    let client = client_load(&layout, &client_dir(&dir, "failed-client"))
        .await
        .unwrap();
    let bytes = client
        .read_target(&tough::TargetName::new("trusted_root.json").unwrap())
        .await
        .unwrap()
        .unwrap()
        .into_vec()
        .await
        .unwrap();
    assert_eq!(bytes, documents("one").trusted_root.as_bytes());
    let _ = fs::remove_dir_all(dir);
}

#[tokio::test]
async fn add_key_then_sign_publishes_only_when_both_thresholds_are_met() {
    use super::repo::SignOutcome;

    let at = now();
    let (dir, layout, roots) = repository("addkey", at).await;
    let client_state = client_dir(&dir, "addkey-client");
    client_load(&layout, &client_state).await.unwrap();
    let added = FileKey::generate(&layout.root_key(4).path).unwrap();
    let version = repo::stage_root(
        &layout,
        std::slice::from_ref(&added),
        Some(3),
        &LIFETIMES,
        at,
    )
    .unwrap();
    assert_eq!(version, 2);
    // A second staging would fork the next root.
    assert!(repo::stage_root(&layout, &[], None, &LIFETIMES, at).is_err());

    let stranger = FileKey::generate(&dir.join("stranger.pem")).unwrap();
    let err = repo::sign_staged(&layout, &stranger).await.unwrap_err();
    assert!(format!("{err:#}").contains("not a root key"), "{err:#}");

    let pending = |old, new| SignOutcome::Pending {
        old,
        old_threshold: 2,
        new,
        new_threshold: 3,
    };
    assert_eq!(
        repo::sign_staged(&layout, &roots[0]).await.unwrap(),
        pending(1, 1)
    );
    assert_eq!(
        repo::sign_staged(&layout, &added).await.unwrap(),
        pending(1, 2)
    );
    // Signing twice with one key counts once.
    assert_eq!(
        repo::sign_staged(&layout, &added).await.unwrap(),
        pending(1, 2)
    );
    assert!(!layout.repository.join("2.root.json").exists());
    assert_eq!(
        repo::sign_staged(&layout, &roots[1]).await.unwrap(),
        SignOutcome::Published(2)
    );
    assert!(!repo::staged_root_path(&layout).exists());
    let client = client_load(&layout, &client_state).await.unwrap();
    let role = &client.root().signed.roles[&tough::schema::RoleType::Root];
    assert_eq!((role.threshold.get(), role.keyids.len()), (3, 4));
    let _ = fs::remove_dir_all(dir);
}
