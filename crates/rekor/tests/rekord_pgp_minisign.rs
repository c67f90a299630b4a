//! `rekord` entries with `format: pgp` and `format: minisign`, on keys and signatures made
//! by real gpg 2.2 and minisign 0.11 (`tests/data/pgp/regenerate.sh`): what verifies, the
//! canonical forms and search keys, every refusal we promise, and that no truncated or
//! mutated input makes the parsers panic.
#![allow(clippy::unwrap_used)]

mod common;

use std::ops::Range;
use std::path::{Path, PathBuf};

use common::*;
use proptest::prelude::*;
use serde_json::Value;
use sha2::Digest as _;
use sigstack_rekor::{canonicalize, parse_stored, CanonicalEntry, Error, KeyFormat, Options};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pgp")
}

fn data(name: &str) -> Vec<u8> {
    read(&data_dir().join(name))
}

fn artifact() -> Vec<u8> {
    data("artifact.txt")
}

fn submit(format: &str, key: &[u8], sig: &[u8], artifact: &[u8]) -> Result<CanonicalEntry, Error> {
    canonicalize(&rekord(format, key, sig, artifact), &Options::default())
}

fn pgp(key: &str, sig: &str) -> Result<CanonicalEntry, Error> {
    submit("pgp", &data(key), &data(sig), &artifact())
}

/// The decoded `spec.signature` contents of a canonical body: (signature, key).
fn stored_material(entry: &CanonicalEntry) -> (Vec<u8>, Vec<u8>) {
    let v: Value = serde_json::from_slice(entry.body()).unwrap();
    let sig = &v["spec"]["signature"];
    (
        b64(sig["content"].as_str().unwrap()),
        b64(sig["publicKey"]["content"].as_str().unwrap()),
    )
}

fn invalid_signature(result: Result<CanonicalEntry, Error>) -> String {
    match result {
        Err(Error::InvalidSignature(why)) => why,
        other => panic!("expected InvalidSignature, got {other:?}"),
    }
}

fn malformed(result: Result<CanonicalEntry, Error>) -> String {
    match result {
        Err(Error::Malformed { why, .. }) => why,
        other => panic!("expected Malformed, got {other:?}"),
    }
}

/// A stored body re-checks and is a fixed point (the canonical key re-canonicalizes to
/// itself).
fn assert_stored_fixed_point(entry: &CanonicalEntry) {
    let again = parse_stored(entry.body()).unwrap();
    assert_eq!(again.body(), entry.body());
    assert_eq!(again.search_keys(), entry.search_keys());
}

#[test]
fn gpg_rsa_key_with_two_user_ids_and_a_signing_subkey() {
    let entry = pgp("rsa.pub.asc", "rsa.asc").unwrap();
    let (sig, key) = stored_material(&entry);
    // An armored signature is stored exactly as sent.
    assert_eq!(sig, data("rsa.asc"));
    let key = String::from_utf8(key).unwrap();
    assert!(key.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"));
    assert!(key.ends_with("\n-----END PGP PUBLIC KEY BLOCK-----"));
    assert_ne!(
        key.as_bytes(),
        data("rsa.pub.asc"),
        "re-serialized, not stored as sent"
    );
    let keys = entry.search_keys();
    let mut ids = keys.identities.clone();
    ids.sort();
    assert_eq!(ids, vec!["rsa@example.com", "second.mixed@example.com"]);
    assert_eq!(keys.public_keys.len(), 1);
    assert_eq!(keys.public_keys[0].format, KeyFormat::Pgp);
    assert_eq!(keys.public_keys[0].canonical, key.as_bytes());
    // Rekor's index order: key hash, subjects, artifact digest.
    let index = keys.rekor_index_keys();
    assert_eq!(index[0], hex::encode(sha2::Sha256::digest(key.as_bytes())));
    assert_eq!(
        index.last().unwrap(),
        &format!("sha256:{}", hex::encode(sha2::Sha256::digest(artifact())))
    );
    assert_stored_fixed_point(&entry);
    // The same key given in binary has the same canonical form; so does the canonical form.
    let binary = pgp("rsa.pub.gpg", "rsa.asc").unwrap();
    assert_eq!(binary.body(), entry.body());
    let again = submit("pgp", key.as_bytes(), &data("rsa.asc"), &artifact()).unwrap();
    assert_eq!(again.body(), entry.body());
}

#[test]
fn binary_signatures_are_stored_armored() {
    let entry = pgp("rsa.pub.asc", "rsa.sig").unwrap();
    let (sig, _) = stored_material(&entry);
    let sig = String::from_utf8(sig).unwrap();
    assert!(
        sig.starts_with("-----BEGIN PGP SIGNATURE-----\n\n"),
        "{sig}"
    );
    assert!(
        sig.ends_with("\n-----END PGP SIGNATURE-----"),
        "no final newline, as Go"
    );
    assert!(sig.lines().all(|l| l.len() <= 64));
    assert_stored_fixed_point(&entry);
    // The stored (armored) form is accepted as input and stays the same.
    let again = submit("pgp", &data("rsa.pub.asc"), sig.as_bytes(), &artifact()).unwrap();
    assert_eq!(again.body(), entry.body());
}

#[test]
fn every_gpg_signature_kind_verifies() {
    for (key, sig) in [
        ("rsa.pub.asc", "rsa-subkey.asc"),
        ("rsa.pub.asc", "rsa-text.asc"),
        ("rsa.pub.asc", "rsa-sha1.asc"),
        ("rsa.pub.asc", "rsa-sha224.asc"),
        ("rsa.pub.asc", "rsa-sha512.asc"),
        ("ecdsa-nistp256.pub.asc", "ecdsa-nistp256.asc"),
        ("ecdsa-nistp256.pub.asc", "ecdsa-nistp256-sha512.asc"),
        ("ecdsa-nistp384.pub.asc", "ecdsa-nistp384.asc"),
        ("ecdsa-nistp521.pub.asc", "ecdsa-nistp521.asc"),
        ("two-keys.pub.asc", "rsa.asc"),
        ("two-keys.pub.asc", "ecdsa-nistp384.asc"),
        ("two-blocks.pub.asc", "rsa-subkey.asc"),
        ("two-blocks.pub.asc", "ecdsa-nistp521.asc"),
        // Rekor's library does not check expiry, so neither do we.
        ("expired.pub.asc", "expired.asc"),
    ] {
        let entry = pgp(key, sig).unwrap_or_else(|e| panic!("{key} {sig}: {e}"));
        assert_stored_fixed_point(&entry);
    }
}

#[test]
fn ecdsa_key_keeps_its_ecdh_subkey() {
    let entry = pgp("ecdsa-nistp256.pub.asc", "ecdsa-nistp256.asc").unwrap();
    let (_, key) = stored_material(&entry);
    // Reading the canonical key back with our parser keeps both keys: a signature made by
    // the primary still verifies and the form is stable; gpg's export has the subkey too.
    let again = submit("pgp", &key, &data("ecdsa-nistp256.asc"), &artifact()).unwrap();
    assert_eq!(again.body(), entry.body());
    assert!(
        key.len() > 600,
        "primary, user ID, two signatures and the ECDH subkey"
    );
}

#[test]
fn several_keys_are_stored_in_one_armor_block() {
    let entry = pgp("two-blocks.pub.asc", "rsa.asc").unwrap();
    let (_, key) = stored_material(&entry);
    let key = String::from_utf8(key).unwrap();
    assert_eq!(key.matches("-----BEGIN").count(), 1);
    let mut ids = entry.search_keys().identities.clone();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            "nistp521@example.com",
            "rsa@example.com",
            "second.mixed@example.com"
        ]
    );
}

#[test]
fn text_signatures_hash_canonical_line_ends() {
    let crlf = String::from_utf8(artifact())
        .unwrap()
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    // A text signature (type 0x01) covers the CRLF form of the text, whatever its line ends…
    submit(
        "pgp",
        &data("rsa.pub.asc"),
        &data("rsa-text.asc"),
        crlf.as_bytes(),
    )
    .unwrap();
    // …a binary signature covers the exact bytes.
    invalid_signature(submit(
        "pgp",
        &data("rsa.pub.asc"),
        &data("rsa.asc"),
        crlf.as_bytes(),
    ));
}

#[test]
fn eddsa_keys_are_refused_as_rekor_refuses_them() {
    let err = pgp("eddsa.pub.asc", "eddsa.asc").unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "invalid PGP signature: openpgp: unsupported feature: public key algorithm 22"
    );
    // The key alone (with a signature we can read) fails on the key.
    let err = pgp("eddsa.pub.asc", "rsa.asc").unwrap_err();
    assert_eq!(
        err.to_string(),
        "error reading PGP public key: openpgp: unsupported feature: public key type: 22"
    );
}

#[test]
fn wrong_keys_and_revoked_keys_are_unknown_entities() {
    for (key, sig) in [
        ("ecdsa-nistp256.pub.asc", "rsa.asc"),
        ("rsa.pub.asc", "ecdsa-nistp384.asc"),
        ("revoked.pub.asc", "revoked.asc"),
    ] {
        assert_eq!(
            invalid_signature(pgp(key, sig)),
            "openpgp: signature made by unknown entity",
            "{key} {sig}"
        );
    }
}

#[test]
fn a_tampered_artifact_fails_the_hash_prefix() {
    let mut other = artifact();
    other.push(b'!');
    assert_eq!(
        invalid_signature(submit(
            "pgp",
            &data("rsa.pub.asc"),
            &data("rsa.asc"),
            &other
        )),
        "openpgp: invalid signature: hash tag doesn't match"
    );
}

/// Where the parts of a binary v4 signature packet are.
struct Layout {
    hashed: Range<usize>,
    unhashed: Range<usize>,
    tag: usize,
    value: Range<usize>,
}

fn layout(sig: &[u8]) -> Layout {
    let body = match sig[0] {
        0x88 => 2,
        0x89 => 3,
        0xc2 if sig[1] < 192 => 2,
        0xc2 => 3,
        other => panic!("unexpected header {other:#x}"),
    };
    let at = |i: usize| usize::from(u16::from_be_bytes([sig[i], sig[i + 1]]));
    let hashed = body + 6..body + 6 + at(body + 4);
    let unhashed = hashed.end + 2..hashed.end + 2 + at(hashed.end);
    Layout {
        tag: unhashed.end,
        value: unhashed.end + 2..sig.len(),
        hashed,
        unhashed,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
}

#[test]
fn tampered_signature_packets() {
    let key = data("rsa.pub.asc");
    let sig = data("rsa.sig");
    let l = layout(&sig);
    let run = |s: &[u8]| submit("pgp", &key, s, &artifact());

    // The RSA value.
    let mut bad = sig.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(
        invalid_signature(run(&bad)),
        "openpgp: invalid signature: RSA verification failure"
    );
    // The two-octet hash prefix.
    let mut bad = sig.clone();
    bad[l.tag] ^= 0xff;
    assert_eq!(
        invalid_signature(run(&bad)),
        "openpgp: invalid signature: hash tag doesn't match"
    );
    // A hashed subpacket (the creation time): the digest changes.
    let mut bad = sig.clone();
    let created = l.hashed.start + find(&sig[l.hashed.clone()], &[5, 2]) + 5;
    bad[created] ^= 1;
    assert!(invalid_signature(run(&bad)).contains("invalid signature"));
    // The issuer key ID (unhashed) no longer matches the issuer fingerprint (hashed).
    let issuer = l.unhashed.start + find(&sig[l.unhashed.clone()], &[9, 16]) + 2;
    let mut bad = sig.clone();
    bad[issuer + 7] ^= 1;
    assert!(invalid_signature(run(&bad)).contains("name different keys"));
    // Both issuer fields name another key: nobody in the key ring.
    let fpr = l.hashed.start + find(&sig[l.hashed.clone()], &[22, 33, 4]) + 3;
    let mut bad = sig.clone();
    bad[fpr + 19] ^= 1;
    bad[issuer + 7] ^= 1;
    assert_eq!(
        invalid_signature(run(&bad)),
        "openpgp: signature made by unknown entity"
    );
    // A signature type that is not binary or text.
    let mut bad = sig.clone();
    bad[l.hashed.start - 5] = 0x13;
    assert_eq!(
        invalid_signature(run(&bad)),
        "openpgp: unsupported feature: unsupported signature type: 19"
    );
    assert!(l.value.len() > 2);
}

#[test]
fn partial_body_lengths_are_read() {
    // The same signature re-framed with a new-format header and a 256-octet partial chunk.
    let sig = data("rsa.sig");
    let body_start = if sig[0] == 0x89 { 3 } else { 2 };
    let body = &sig[body_start..];
    assert!(body.len() > 256 && body.len() - 256 < 192);
    let mut framed = vec![0xc2, 0xe8];
    framed.extend_from_slice(&body[..256]);
    framed.push((body.len() - 256) as u8);
    framed.extend_from_slice(&body[256..]);
    let entry = submit("pgp", &data("rsa.pub.asc"), &framed, &artifact()).unwrap();
    // Stored as Go armors the bytes as sent.
    let (stored, _) = stored_material(&entry);
    assert!(stored.starts_with(b"-----BEGIN PGP SIGNATURE-----"));
    // A chunk that runs past the end.
    let mut cut = framed.clone();
    cut.truncate(200);
    assert!(
        malformed(submit("pgp", &data("rsa.pub.asc"), &cut, &artifact())).contains("truncated")
    );
}

#[test]
fn damaged_armor_is_refused() {
    let sig = String::from_utf8(data("rsa.asc")).unwrap();
    let crc_line = sig
        .lines()
        .find(|l| l.len() == 5 && l.starts_with('='))
        .unwrap();
    let flipped = if crc_line == "=AAAA" {
        "=BBBB"
    } else {
        "=AAAA"
    };
    let cases = [
        (sig.replace(crc_line, flipped), "checksum mismatch"),
        (sig.replace("-----END PGP SIGNATURE-----", ""), "END line"),
        (
            "-----BEGIN PGP SIGNATURE-----\n\n!!!!\n-----END PGP SIGNATURE-----\n".to_owned(),
            "not base64",
        ),
        (
            "-----BEGIN PGP SIGNATURE-----\nno blank line\n".to_owned(),
            "armor",
        ),
        (sig.replace("SIGNATURE", "MESSAGE"), "not \"PGP SIGNATURE\""),
    ];
    for (case, why) in cases {
        let err = malformed(submit(
            "pgp",
            &data("rsa.pub.asc"),
            case.as_bytes(),
            &artifact(),
        ));
        assert!(err.contains(why), "{why}: {err}");
    }
    let key = String::from_utf8(data("rsa.pub.asc")).unwrap();
    let crc = key
        .lines()
        .find(|l| l.len() == 5 && l.starts_with('='))
        .unwrap();
    let bad_key = key.replace(crc, if crc == "=AAAA" { "=BBBB" } else { "=AAAA" });
    let err = malformed(submit(
        "pgp",
        bad_key.as_bytes(),
        &data("rsa.asc"),
        &artifact(),
    ));
    assert!(err.starts_with("invalid PGP public key provided:"), "{err}");
    // A signature where a key belongs, and the other way round.
    let err = malformed(submit(
        "pgp",
        &data("rsa.asc"),
        &data("rsa.asc"),
        &artifact(),
    ));
    assert!(err.contains("invalid PGP type detected"), "{err}");
    let err = malformed(submit(
        "pgp",
        &data("rsa.pub.asc"),
        &data("rsa.pub.asc"),
        &artifact(),
    ));
    assert!(err.contains("PGP SIGNATURE"), "{err}");
    let private = key.replace("PUBLIC KEY", "PRIVATE KEY");
    let err = malformed(submit(
        "pgp",
        private.as_bytes(),
        &data("rsa.asc"),
        &artifact(),
    ));
    assert!(err.contains("private key"), "{err}");
}

#[test]
fn huge_mpis_and_bogus_keys_are_refused_without_panicking() {
    // A public-key packet claiming a 65535-bit modulus with nothing behind it.
    let claimed = [0x99, 0x00, 0x08, 4, 0, 0, 0, 0, 1, 0xff, 0xff];
    let err = malformed(submit("pgp", &claimed, &data("rsa.sig"), &artifact()));
    assert!(err.contains("truncated"), "{err}");
    // A complete 65535-bit modulus, a user ID and a self-signature that cannot verify.
    let mut key = Vec::new();
    let mut body = vec![4, 0x60, 0, 0, 0, 1, 0xff, 0xff];
    body.extend(std::iter::repeat_n(0xffu8, 8192));
    body.extend_from_slice(&[0, 17, 1, 0, 1]);
    key.extend_from_slice(&[0x99]);
    key.extend_from_slice(&(body.len() as u16).to_be_bytes());
    key.extend_from_slice(&body);
    key.extend_from_slice(&[0xb4, 5]);
    key.extend_from_slice(b"a@b.c");
    let sig = data("rsa.sig");
    let sig_body = &sig[3..];
    let mut selfsig = sig_body.to_vec();
    selfsig[1] = 0x13;
    key.push(0x89);
    key.extend_from_slice(&(selfsig.len() as u16).to_be_bytes());
    key.extend_from_slice(&selfsig);
    let err = submit("pgp", &key, &sig, &artifact()).unwrap_err();
    assert!(
        err.to_string()
            .contains("error reading binary PGP public key"),
        "{err}"
    );
}

/// The binary packets of an armored file (the base64 lines between the header's empty line
/// and the checksum).
fn dearmor(text: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(text.to_vec()).unwrap();
    let body: String = text
        .split("\n\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with('='))
        .collect();
    b64(&body)
}

#[test]
fn every_truncation_is_refused_cleanly() {
    let art = artifact();
    // Binary material, cut everywhere. Signature first: no prefix is a signature.
    let key = dearmor(&data("ecdsa-nistp256.pub.asc"));
    let sig = dearmor(&data("ecdsa-nistp256.asc"));
    submit("pgp", &key, &sig, &art).unwrap();
    for n in 0..sig.len() {
        assert!(
            submit("pgp", &key, &sig[..n], &art).is_err(),
            "signature cut at {n}"
        );
    }
    // A key cut at a packet boundary can be a smaller valid key ring; whatever parses must
    // re-canonicalize to itself.
    for n in 0..key.len() {
        if let Ok(entry) = submit("pgp", &key[..n], &sig, &art) {
            assert_stored_fixed_point(&entry);
        }
    }
    let rsa_sig = data("rsa.sig");
    for n in 0..rsa_sig.len() {
        assert!(
            submit("pgp", &data("rsa.pub.asc"), &rsa_sig[..n], &art).is_err(),
            "{n}"
        );
    }
    // Armored material: every cut before the END line's "-----END " is refused.
    for (key, sig, cut_key) in [
        ("ecdsa-nistp256.pub.asc", "ecdsa-nistp256.asc", true),
        ("rsa.pub.asc", "rsa.asc", false),
    ] {
        let (k, s) = (data(key), data(sig));
        let text = if cut_key { &k } else { &s };
        let end = find(text, b"-----END ") + "-----END ".len();
        for n in 0..end {
            let result = if cut_key {
                submit("pgp", &text[..n], &s, &art)
            } else {
                submit("pgp", &k, &text[..n], &art)
            };
            assert!(
                result.is_err(),
                "{} cut at {n}",
                if cut_key { key } else { sig }
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(key in proptest::collection::vec(any::<u8>(), 0..600),
                                sig in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = submit("pgp", &key, &sig, b"x");
        let _ = submit("minisign", &key, &sig, b"x");
    }

    #[test]
    fn mutated_gpg_ecdsa_material_never_panics(
        edits in proptest::collection::vec(
            (any::<proptest::sample::Index>(), any::<u8>(), 0u8..3),
            1..8,
        ),
        in_key in any::<bool>(),
    ) {
        let mut key = dearmor(&data("ecdsa-nistp256.pub.asc"));
        let mut sig = dearmor(&data("ecdsa-nistp256.asc"));
        let target = if in_key { &mut key } else { &mut sig };
        for (at, byte, op) in edits {
            if target.is_empty() { break; }
            let i = at.index(target.len());
            match op {
                0 => target[i] = byte,
                1 => { target.remove(i); }
                _ => target.insert(i, byte),
            }
        }
        if let Ok(entry) = submit("pgp", &key, &sig, &artifact()) {
            assert_stored_fixed_point(&entry);
        }
    }

    #[test]
    fn mutated_minisign_material_never_panics(
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..6),
        in_key in any::<bool>(),
    ) {
        let mut key = data("minisign.pub");
        let mut sig = data("minisign.minisig");
        let target = if in_key { &mut key } else { &mut sig };
        for (at, byte) in edits {
            let i = at.index(target.len());
            target[i] = byte;
        }
        let _ = submit("minisign", &key, &sig, &artifact());
    }
}

// --- minisign -----------------------------------------------------------------------------

fn minisign(key: &[u8], sig: &[u8]) -> Result<CanonicalEntry, Error> {
    submit("minisign", key, sig, &artifact())
}

fn second_line(file: &[u8]) -> String {
    String::from_utf8(file.to_vec())
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned()
}

#[test]
fn minisign_prehashed_and_legacy_signatures_verify() {
    let key_file = data("minisign.pub");
    for sig_file in ["minisign.minisig", "minisign-legacy.minisig"] {
        let sig = data(sig_file);
        let entry = minisign(&key_file, &sig).unwrap_or_else(|e| panic!("{sig_file}: {e}"));
        let (stored_sig, stored_key) = stored_material(&entry);
        assert_eq!(
            stored_sig,
            format!("untrusted comment:\n{}", second_line(&sig)).into_bytes()
        );
        assert_eq!(stored_key, second_line(&key_file).into_bytes());
        let keys = entry.search_keys();
        assert_eq!(keys.public_keys[0].format, KeyFormat::Minisign);
        assert_eq!(
            keys.rekor_index_keys()[0],
            hex::encode(sha2::Sha256::digest(second_line(&key_file)))
        );
        assert!(keys.identities.is_empty());
        assert_stored_fixed_point(&entry);
        // The bare base64 key line and the canonical signature are accepted as input.
        let again = minisign(second_line(&key_file).as_bytes(), &stored_sig).unwrap();
        assert_eq!(again.body(), entry.body());
    }
    // The legacy raw 32-byte key still verifies (its key ID is unknown).
    let raw = b64(&second_line(&key_file))[10..].to_vec();
    minisign(&raw, &data("minisign.minisig")).unwrap();
}

#[test]
fn minisign_refusals() {
    let key = data("minisign.pub");
    let sig = data("minisign.minisig");
    let err = invalid_signature(minisign(&data("minisign-other.pub"), &sig));
    assert!(err.contains("key ID mismatch"), "{err}");
    let mut other = artifact();
    other.push(b'!');
    assert_eq!(
        invalid_signature(submit("minisign", &key, &sig, &other)),
        "failed to verify signature"
    );
    // A prehashed signature whose algorithm is changed to pure no longer verifies.
    let line = second_line(&sig);
    let mut bin = b64(&line);
    bin[1] = b'd';
    let relabelled = String::from_utf8(sig.clone())
        .unwrap()
        .replace(&line, &b64e(&bin));
    invalid_signature(minisign(&key, relabelled.as_bytes()));
    for bad_sig in [
        &b""[..],
        b"untrusted comment: x\n",
        b"a\nb\nc\nd\ne\n",
        &sig[..sig.len() / 2],
    ] {
        malformed(minisign(&key, bad_sig));
    }
    for bad_key in [
        &b""[..],
        b"untrusted comment: x\n!!!\n",
        &key[..key.len() / 2],
    ] {
        malformed(minisign(bad_key, &sig));
    }
    // A PGP key is not a minisign key, nor the reverse.
    malformed(minisign(&data("rsa.pub.asc"), &sig));
    malformed(submit("pgp", &key, &sig, &artifact()));
    for n in 0..sig.len() {
        let _ = minisign(&key, &sig[..n]);
    }
    for n in 0..key.len() {
        let _ = minisign(&key[..n], &sig);
    }
}
