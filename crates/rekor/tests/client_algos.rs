//! Rekor's client-algorithms end-to-end vectors (`tests/vectors/rekor-v1/client-algos/`):
//! which key type and digest a hashedrekord entry may use.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use sigstack_rekor::{canonicalize, AlgorithmPolicy, Error, Mode, Options};

fn outcome(
    policy: AlgorithmPolicy,
    key: &str,
    sig: &str,
    file: &str,
    alg: &str,
) -> Result<(), Error> {
    let dir = vectors().join("rekor-v1/client-algos");
    let manifest = read_json(&dir.join("manifest.json"));
    let digest = manifest["digests"][file][alg].as_str().unwrap();
    assert_eq!(
        digest,
        sha_hex(alg, &read(&dir.join(file))),
        "manifest digest"
    );
    let body = hashedrekord(&read(&dir.join(key)), &read(&dir.join(sig)), alg, digest);
    canonicalize(
        &body,
        &Options {
            mode: Mode::Insert,
            algorithms: policy,
        },
    )
    .map(|_| ())
}

#[test]
fn default_server_outcomes() {
    let d = AlgorithmPolicy::RekorDefault;
    outcome(d, "ec_public.pem", "file1.ec.sig", "file1", "sha256").unwrap();
    outcome(d, "ec_public.pem", "file2.ec.sig", "file2", "sha256").unwrap();
    outcome(d, "rsa_public.pem", "file1.rsa.sig", "file1", "sha256").unwrap();
    outcome(d, "rsa_public.pem", "file2.rsa.sig", "file2", "sha256").unwrap();
    outcome(
        d,
        "ed25519_public.pem",
        "file1.ed25519ph.sig",
        "file1",
        "sha512",
    )
    .unwrap();
    // RSA with SHA-512 verifies, but the default allow-list only has RSA with SHA-256.
    assert_eq!(
        outcome(d, "rsa_public.pem", "file2.rsa512.sig", "file2", "sha512"),
        Err(Error::AlgorithmNotAllowed)
    );
    // Pure Ed25519 over the file: hashedrekord verifies Ed25519 keys as Ed25519ph only.
    assert!(matches!(
        outcome(
            d,
            "ed25519_public.pem",
            "file1.ed25519.sig",
            "file1",
            "sha512"
        ),
        Err(Error::InvalidSignature(_))
    ));
}

#[test]
fn rekor_1_3_9_had_no_allow_list() {
    let any = AlgorithmPolicy::AnyVerified;
    outcome(any, "rsa_public.pem", "file2.rsa512.sig", "file2", "sha512").unwrap();
    assert!(outcome(
        any,
        "ed25519_public.pem",
        "file1.ed25519.sig",
        "file1",
        "sha512"
    )
    .is_err());
}

#[test]
fn wrong_file_or_wrong_digest_algorithm_fails() {
    let d = AlgorithmPolicy::RekorDefault;
    assert!(matches!(
        outcome(d, "ec_public.pem", "file1.ec.sig", "file2", "sha256"),
        Err(Error::InvalidSignature(_))
    ));
    assert!(matches!(
        outcome(d, "rsa_public.pem", "file2.rsa512.sig", "file2", "sha256"),
        Err(Error::InvalidSignature(_))
    ));
    // The lookup path skips the allow-list, as Rekor's retrieve does.
    let dir = vectors().join("rekor-v1/client-algos");
    let body = hashedrekord(
        &read(&dir.join("rsa_public.pem")),
        &read(&dir.join("file2.rsa512.sig")),
        "sha512",
        &sha_hex("sha512", &read(&dir.join("file2"))),
    );
    canonicalize(&body, &Options::lookup()).unwrap();
}
