//! Property tests for checkpoints: format/parse round trips, sign/parse/verify round trips,
//! and the exact edges of the body grammar.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use sigstack_merkle::checkpoint::{
    rekor_v1_origin, split_rekor_v1_origin, Checkpoint, CheckpointError, SignedCheckpoint,
};
use sigstack_merkle::note::{NamedSigner, Note, NoteSigner};
use sigstack_merkle::signature::Ed25519Signer;

/// One checkpoint line: non-empty, no control characters, any other Unicode.
fn line() -> impl Strategy<Value = String> {
    "[^\\x00-\\x1f]{1,40}"
}

fn checkpoint() -> impl Strategy<Value = Checkpoint> {
    (
        line(),
        any::<u64>(),
        any::<[u8; 32]>(),
        prop::collection::vec(line(), 0..4),
    )
        .prop_map(|(origin, size, root_hash, extension_lines)| Checkpoint {
            origin,
            size,
            root_hash,
            extension_lines,
        })
}

const ROOT: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

proptest! {
    #[test]
    fn format_then_parse_is_identity(cp in checkpoint()) {
        cp.validate().unwrap();
        let text = cp.to_text();
        prop_assert!(text.ends_with('\n'));
        prop_assert_eq!(text.matches('\n').count(), 3 + cp.extension_lines.len());
        prop_assert_eq!(Checkpoint::parse(&text).unwrap(), cp);
    }

    #[test]
    fn parse_then_format_is_identity_for_canonical_text(cp in checkpoint()) {
        let text = cp.to_text();
        let parsed = Checkpoint::parse(&text).unwrap();
        prop_assert_eq!(parsed.to_text(), text);
    }

    #[test]
    fn signed_checkpoints_round_trip_and_verify(cp in checkpoint(), seed in any::<[u8; 32]>()) {
        let signer = NamedSigner::new("log.example", Ed25519Signer::from_seed(&seed).unwrap())
            .unwrap();
        let signed = SignedCheckpoint::sign(cp.clone(), &[&signer]).unwrap();
        let encoded = signed.encode();
        let (reparsed, verification) =
            SignedCheckpoint::open(encoded.as_bytes(), &[&signer.verifier()]).unwrap();
        prop_assert_eq!(reparsed.checkpoint(), &cp);
        prop_assert_eq!(reparsed.encode(), encoded);
        prop_assert!(verification.is_verified_by("log.example", signer.key_id()));
    }

    #[test]
    fn arbitrary_text_never_panics(s in "(?s).{0,200}") {
        let _ = Checkpoint::parse(&s);
        let _ = SignedCheckpoint::parse(s.as_bytes());
        let _ = Note::parse(s.as_bytes());
    }

    #[test]
    fn checkpoint_shaped_text_never_panics(
        origin in "[ -~]{0,12}",
        size in "[-+0-9a-f]{0,22}",
        root in "[A-Za-z0-9+/=]{0,48}",
        ext in prop::collection::vec("[ -~]{0,8}", 0..3),
    ) {
        let mut text = format!("{origin}\n{size}\n{root}\n");
        for e in &ext {
            text.push_str(e);
            text.push('\n');
        }
        if let Ok(cp) = Checkpoint::parse(&text) {
            prop_assert_eq!(Checkpoint::parse(&cp.to_text()).unwrap(), cp);
        }
    }

    #[test]
    fn sizes_round_trip(size in any::<u64>()) {
        let cp = Checkpoint::parse(&format!("o\n{size}\n{ROOT}\n")).unwrap();
        prop_assert_eq!(cp.size, size);
    }

    #[test]
    fn rekor_v1_origins_split_back(host in "[a-z0-9.-]{1,30}", tree_id in any::<u64>()) {
        let origin = rekor_v1_origin(&host, tree_id);
        prop_assert_eq!(split_rekor_v1_origin(&origin), Some((host.as_str(), tree_id)));
    }
}

#[test]
fn tree_size_grammar() {
    let parse = |size: &str| Checkpoint::parse(&format!("o\n{size}\n{ROOT}\n")).map(|c| c.size);
    assert_eq!(parse("0"), Ok(0));
    assert_eq!(parse("18446744073709551615"), Ok(u64::MAX));
    for bad in [
        "",
        "00",
        "01",
        "+1",
        "-1",
        " 1",
        "1 ",
        "1_000",
        "0x10",
        "18446744073709551616",
        "١",
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn root_hash_grammar() {
    let parse = |root: &str| Checkpoint::parse(&format!("o\n1\n{root}\n"));
    assert!(parse(ROOT).is_ok());
    assert_eq!(
        parse("AAAA").unwrap_err(),
        CheckpointError::RootHashLength(3)
    );
    assert_eq!(
        parse(&"A".repeat(48)).unwrap_err(),
        CheckpointError::RootHashLength(36)
    );
    // Padding in the middle is not base64.
    assert!(matches!(
        parse(&format!("{ROOT}AAAA")),
        Err(CheckpointError::Malformed(_))
    ));
    for bad in [
        "",
        &ROOT[..ROOT.len() - 1],
        "not base64!",
        &ROOT.replace('=', ""),
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn body_structure() {
    let ok = format!("o\n1\n{ROOT}\n");
    assert!(Checkpoint::parse(&ok).is_ok());
    for bad in [
        format!("o\n1\n{ROOT}"),
        "o\n1\n".to_owned(),
        format!("\n1\n{ROOT}\n"),
        format!("o\n1\n{ROOT}\n\n"),
        format!("o\n1\n{ROOT}\next\n\n"),
        format!("o\n1\n{ROOT}\n\next\n"),
        format!("o\r\n1\n{ROOT}\n"),
        format!("o\t\n1\n{ROOT}\n"),
        String::new(),
    ] {
        assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
    }
}

#[test]
fn invalid_checkpoints_are_not_signed() {
    let signer =
        NamedSigner::new("log.example", Ed25519Signer::from_seed(&[1; 32]).unwrap()).unwrap();
    let root = [0u8; 32];
    let mut bad = vec![
        Checkpoint::new("", 1, root),
        Checkpoint::new("two\nlines", 1, root),
        Checkpoint::new("tab\there", 1, root),
    ];
    let mut empty_ext = Checkpoint::new("o", 1, root);
    empty_ext.extension_lines.push(String::new());
    bad.push(empty_ext);
    let mut newline_ext = Checkpoint::new("o", 1, root);
    newline_ext.extension_lines.push("a\nb".to_owned());
    bad.push(newline_ext);
    for cp in bad {
        assert!(cp.validate().is_err(), "{cp:?}");
        assert!(SignedCheckpoint::sign(cp, &[&signer]).is_err());
    }
}

#[test]
fn rekor_v1_origin_helpers() {
    assert_eq!(
        rekor_v1_origin("rekor.sigstore.dev", 1193050959916656506),
        "rekor.sigstore.dev - 1193050959916656506"
    );
    assert_eq!(
        split_rekor_v1_origin("a - b - 12"),
        Some(("a - b", 12)),
        "the tree ID is after the last separator"
    );
    for not_v1 in [
        "log2025-1.rekor.sigstore.dev",
        "rekor.sigstore.dev - ",
        "rekor.sigstore.dev - x1",
        "rekor.sigstore.dev -12",
        "rekor.sigstore.dev - -12",
        "rekor.sigstore.dev - 18446744073709551616",
    ] {
        assert_eq!(split_rekor_v1_origin(not_v1), None, "{not_v1:?}");
    }
}

#[test]
fn rekor_timestamp_extension() {
    let mut cp = Checkpoint::new("o", 1, [0; 32]);
    assert_eq!(cp.rekor_v1_timestamp_nanos(), None);
    cp.extension_lines
        .push("Timestamp: 1682468469199678948".to_owned());
    assert_eq!(cp.rekor_v1_timestamp_nanos(), Some(1682468469199678948));
    cp.extension_lines[0] = "Timestamp: soon".to_owned();
    assert_eq!(cp.rekor_v1_timestamp_nanos(), None);
}
