//! Every leaf issued here is decoded again and checked field by field against spec §7.1, for
//! each CA key type, each leaf key type and each SAN kind; and compared byte for byte with the
//! leaves a real Fulcio 1.6.5 issued for the same keys and identity.
#![allow(clippy::unwrap_used)]

mod cert_support;

use std::time::{Duration, UNIX_EPOCH};

use cert_support::{ext, ext_oids, golden_cert, golden_key, issue, now, p384_chain_ca};
use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY};
use sigstack_ct::EcdsaP256LogSigner;
use sigstack_fulcio::cert::extensions::{self as fx, FulcioOid};
use sigstack_fulcio::cert::{
    verify_signature, CaSpec, CertificateAuthority, CertificateProfile, San,
};
use x509_cert::der::asn1::OctetString;
use x509_cert::der::{Decode, Encode};
use x509_cert::time::Time;
use x509_cert::{Certificate, Version};

const KU: &str = "2.5.29.15";
const EKU: &str = "2.5.29.37";
const SKI: &str = "2.5.29.14";
const AKI: &str = "2.5.29.35";
const SAN: &str = "2.5.29.17";
const POISON: &str = "1.3.6.1.4.1.11129.2.4.3";
const SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";

/// Leaf keys from the golden certificates: P-256, P-384, Ed25519, RSA-2048.
const KEYS: &[&str] = &[
    "leaf-v2-ecdsa-p256-token-header",
    "leaf-v2-ecdsa-p384-pop-sha256",
    "leaf-v2-ed25519",
    "leaf-v2-rsa2048-alg-RSA-unknown-enum",
];

fn golden_spki(name: &str) -> Vec<u8> {
    golden_cert(name)
        .0
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap()
}

/// A GitHub Actions principal's full extension set, every OID.
fn github_extensions() -> Vec<(FulcioOid, &'static str)> {
    vec![
        (fx::ISSUER_V1, "https://token.actions.githubusercontent.com"),
        (fx::GITHUB_WORKFLOW_TRIGGER, "push"),
        (
            fx::GITHUB_WORKFLOW_SHA,
            "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        ),
        (fx::GITHUB_WORKFLOW_NAME, "build"),
        (fx::GITHUB_WORKFLOW_REPOSITORY, "org/repo"),
        (fx::GITHUB_WORKFLOW_REF, "refs/heads/main"),
        (fx::ISSUER_V2, "https://token.actions.githubusercontent.com"),
        (
            fx::BUILD_SIGNER_URI,
            "https://github.com/org/repo/.github/workflows/build.yml@refs/heads/main",
        ),
        (
            fx::BUILD_SIGNER_DIGEST,
            "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        ),
        (fx::RUNNER_ENVIRONMENT, "github-hosted"),
        (fx::SOURCE_REPOSITORY_URI, "https://github.com/org/repo"),
        (
            fx::SOURCE_REPOSITORY_DIGEST,
            "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        ),
        (fx::SOURCE_REPOSITORY_REF, "refs/heads/main"),
        (fx::SOURCE_REPOSITORY_IDENTIFIER, "123456"),
        (fx::SOURCE_REPOSITORY_OWNER_URI, "https://github.com/org"),
        (fx::SOURCE_REPOSITORY_OWNER_IDENTIFIER, "7890"),
        (
            fx::BUILD_CONFIG_URI,
            "https://github.com/org/repo/.github/workflows/build.yml@refs/heads/main",
        ),
        (
            fx::BUILD_CONFIG_DIGEST,
            "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        ),
        (fx::BUILD_TRIGGER, "push"),
        (
            fx::RUN_INVOCATION_URI,
            "https://github.com/org/repo/actions/runs/1/attempts/1",
        ),
        (fx::SOURCE_REPOSITORY_VISIBILITY_AT_SIGNING, "public"),
        (fx::DEPLOYMENT_ENVIRONMENT, "prod"),
        (fx::TOKEN_SUBJECT, "repo:org/repo:ref:refs/heads/main"),
    ]
}

/// DER of a one-name GeneralNames, written out by hand.
fn san_der(san: &San) -> Vec<u8> {
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if body.len() < 128 {
            out.push(body.len() as u8);
        } else {
            out.extend([0x81, body.len() as u8]);
        }
        out.extend(body);
        out
    }
    let name = match san {
        San::Email(e) => tlv(0x81, e.as_bytes()),
        San::Uri(u) => tlv(0x86, u.as_bytes()),
        San::Username(n) => {
            let oid = [
                0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x07,
            ];
            tlv(
                0xa0,
                &[&oid[..], &tlv(0xa0, &tlv(0x0c, n.as_bytes()))].concat(),
            )
        }
    };
    tlv(0x30, &name)
}

fn ca_ski(ca: &CertificateAuthority) -> Vec<u8> {
    let issuer = Certificate::from_der(ca.issuer_der()).unwrap();
    let ski = ext(&issuer, SKI).extn_value.as_bytes().to_vec();
    OctetString::from_der(&ski).unwrap().as_bytes().to_vec()
}

/// The field-by-field check of one issued leaf (precertificate and final certificate).
fn check_leaf(
    ca: &CertificateAuthority,
    log: &EcdsaP256LogSigner,
    profile: &CertificateProfile,
    values: &[(FulcioOid, &str)],
    want_sig_oid: &str,
) -> cert_support::Issued {
    let issued = issue(ca, log, profile);
    let issuer = Certificate::from_der(ca.issuer_der()).unwrap();
    for cert in [&issued.precert, &issued.cert] {
        let tbs = &cert.tbs_certificate;
        assert_eq!(tbs.version, Version::V3);
        let serial = tbs.serial_number.to_der().unwrap();
        assert_eq!(serial[0], 0x02);
        let serial_body = &serial[2..];
        assert_eq!(usize::from(serial[1]), serial_body.len());
        assert!(serial_body.len() <= 20, "serial fits 20 octets");
        assert!(serial_body[0] & 0x80 == 0, "serial positive");
        assert!(serial_body.iter().any(|b| *b != 0), "serial non-zero");
        assert!(serial_body.len() >= 16, "serial carries ~159 random bits");

        assert_eq!(tbs.signature.oid.to_string(), want_sig_oid);
        assert_eq!(cert.signature_algorithm, tbs.signature);
        assert_eq!(
            tbs.issuer.to_der().unwrap(),
            issuer.tbs_certificate.subject.to_der().unwrap()
        );
        assert_eq!(tbs.subject.to_der().unwrap(), [0x30, 0x00], "empty subject");
        let (nb, na) = (tbs.validity.not_before, tbs.validity.not_after);
        assert!(matches!(nb, Time::UtcTime(_)) && matches!(na, Time::UtcTime(_)));
        assert_eq!(nb.to_unix_duration(), Duration::from_secs(1_800_000_000));
        assert_eq!(
            na.to_unix_duration() - nb.to_unix_duration(),
            Duration::from_secs(600)
        );
        assert_eq!(tbs.subject_public_key_info, profile.public_key);
        assert!(tbs.issuer_unique_id.is_none() && tbs.subject_unique_id.is_none());

        // Extensions: order, criticality and exact values.
        let mut want_order: Vec<String> = [KU, EKU, SKI, AKI, SAN]
            .iter()
            .map(|s| s.to_string())
            .collect();
        want_order.extend(profile.extensions.iter().map(|e| e.extn_id.to_string()));
        let last = if std::ptr::eq(cert, &issued.precert) {
            POISON
        } else {
            SCT_LIST
        };
        want_order.push(last.to_string());
        assert_eq!(ext_oids(cert), want_order);

        let ku = ext(cert, KU);
        assert!(ku.critical);
        assert_eq!(ku.extn_value.as_bytes(), [0x03, 0x02, 0x07, 0x80]);
        let eku = ext(cert, EKU);
        assert!(!eku.critical);
        assert_eq!(
            eku.extn_value.as_bytes(),
            [0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03]
        );
        let ski = ext(cert, SKI);
        assert!(!ski.critical);
        let key_bits = tbs.subject_public_key_info.subject_public_key.raw_bytes();
        let sha1 = digest(&SHA1_FOR_LEGACY_USE_ONLY, key_bits);
        assert_eq!(
            ski.extn_value.as_bytes(),
            [&[0x04, 0x14][..], sha1.as_ref()].concat()
        );
        let aki = ext(cert, AKI);
        assert!(!aki.critical);
        assert_eq!(
            aki.extn_value.as_bytes(),
            [&[0x30, 0x16, 0x80, 0x14][..], &ca_ski(ca)].concat(),
            "AKI = keyIdentifier of the issuing CA's SKI"
        );
        let san = ext(cert, SAN);
        assert!(san.critical, "SAN critical with an empty subject");
        assert_eq!(san.extn_value.as_bytes(), san_der(&profile.san));

        assert_eq!(
            profile.extensions.len(),
            values.iter().filter(|(_, v)| !v.is_empty()).count()
        );
        for (f, value) in values.iter().filter(|(_, v)| !v.is_empty()) {
            let got = ext(cert, &f.oid.to_string());
            assert!(!got.critical);
            let want = match f.encoding {
                fx::Encoding::Raw => value.as_bytes().to_vec(),
                fx::Encoding::Utf8String => {
                    assert!(value.len() < 128);
                    [&[0x0c, value.len() as u8][..], value.as_bytes()].concat()
                }
            };
            assert_eq!(got.extn_value.as_bytes(), want, "{}", f.name);
        }

        // The issuing CA's signature verifies.
        verify_signature(
            &issuer.tbs_certificate.subject_public_key_info,
            &cert.signature_algorithm,
            &tbs.to_der().unwrap(),
            cert.signature.as_bytes().unwrap(),
        )
        .unwrap();
    }

    let poison = ext(&issued.precert, POISON);
    assert!(poison.critical);
    assert_eq!(poison.extn_value.as_bytes(), [0x05, 0x00]);
    assert!(!ext(&issued.cert, SCT_LIST).critical);
    assert_eq!(
        issued.precert.tbs_certificate.serial_number,
        issued.cert.tbs_certificate.serial_number
    );
    assert_eq!(issued.issued.chain, ca.chain_der());
    issued
}

#[test]
fn leaf_profile_for_every_ca_and_leaf_key_type() {
    let log = EcdsaP256LogSigner::generate().unwrap().0;
    let spec = CaSpec {
        organization: "sigstack.test".into(),
        common_name: "sigstack".into(),
        lifetime: Duration::from_secs(24 * 3600),
    };
    let start = now() - Duration::from_secs(60);
    let cas = [
        (
            CertificateAuthority::ephemeral(start).unwrap(),
            "1.2.840.10045.4.3.2",
        ),
        (p384_chain_ca(), "1.2.840.10045.4.3.3"),
        (
            CertificateAuthority::create(&spec, golden_key("rsa2048"), None, start).unwrap(),
            "1.2.840.113549.1.1.11",
        ),
        (
            // RSA root, P-256 intermediate: the leaf is signed by the intermediate's algorithm.
            CertificateAuthority::create(
                &spec,
                golden_key("rsa2048"),
                Some(golden_key("ecdsa-p256")),
                start,
            )
            .unwrap(),
            "1.2.840.10045.4.3.2",
        ),
    ];
    let sans = [
        San::Email("alice@example.com".into()),
        San::Uri("https://github.com/org/repo/.github/workflows/build.yml@refs/heads/main".into()),
        San::Username("alice!example.com".into()),
    ];
    for (ca, sig_oid) in &cas {
        for key in KEYS {
            for san in &sans {
                let profile =
                    CertificateProfile::new(&golden_spki(key), san.clone(), &github_extensions())
                        .unwrap();
                check_leaf(ca, &log, &profile, &github_extensions(), sig_oid);
            }
        }
    }
    // RSA signatures carry NULL parameters; ECDSA ones none.
    let issued = issue(
        &cas[2].0,
        &log,
        &CertificateProfile::new(&golden_spki(KEYS[0]), sans[0].clone(), &[]).unwrap(),
    );
    assert_eq!(
        issued
            .cert
            .signature_algorithm
            .parameters
            .unwrap()
            .to_der()
            .unwrap(),
        [0x05, 0x00]
    );
    let issued = issue(
        &cas[1].0,
        &log,
        &CertificateProfile::new(&golden_spki(KEYS[0]), sans[0].clone(), &[]).unwrap(),
    );
    assert!(issued.cert.signature_algorithm.parameters.is_none());
}

#[test]
fn matches_golden_fulcio_leaves_byte_for_byte() {
    let log = EcdsaP256LogSigner::generate().unwrap().0;
    let ca = CertificateAuthority::ephemeral(now() - Duration::from_secs(60)).unwrap();
    for key in KEYS {
        let (golden, _) = golden_cert(key);
        let iss = "http://127.0.0.1:8180";
        let profile = CertificateProfile::new(
            &golden_spki(key),
            San::Email("alice@example.com".into()),
            &[(fx::ISSUER_V1, iss), (fx::ISSUER_V2, iss)],
        )
        .unwrap();
        let values = [(fx::ISSUER_V1, iss), (fx::ISSUER_V2, iss)];
        let issued = check_leaf(&ca, &log, &profile, &values, "1.2.840.10045.4.3.2");
        let mut golden_order = ext_oids(&golden);
        golden_order.push(SCT_LIST.into());
        assert_eq!(ext_oids(&issued.cert), golden_order, "{key}");
        for oid in [
            KU,
            EKU,
            SKI,
            SAN,
            "1.3.6.1.4.1.57264.1.1",
            "1.3.6.1.4.1.57264.1.8",
        ] {
            assert_eq!(
                ext(&issued.cert, oid).to_der().unwrap(),
                ext(&golden, oid).to_der().unwrap(),
                "{key}: extension {oid}"
            );
        }
        // Same AKI shape (keyIdentifier only), different CA.
        assert_eq!(
            ext(&golden, AKI).extn_value.as_bytes()[..4],
            ext(&issued.cert, AKI).extn_value.as_bytes()[..4]
        );
        assert_eq!(
            golden.tbs_certificate.subject.to_der().unwrap(),
            issued.cert.tbs_certificate.subject.to_der().unwrap()
        );
        assert_eq!(
            golden.tbs_certificate.version,
            issued.cert.tbs_certificate.version
        );
    }
}

#[test]
fn golden_leaf_aki_is_the_golden_root_ski() {
    let (root, root_der) = golden_cert("ephemeral-root");
    let (leaf, _) = golden_cert("leaf-v2-ecdsa-p256-token-header");
    let root_ski = OctetString::from_der(ext(&root, SKI).extn_value.as_bytes()).unwrap();
    assert_eq!(
        ext(&leaf, AKI).extn_value.as_bytes(),
        [&[0x30, 0x16, 0x80, 0x14][..], root_ski.as_bytes()].concat()
    );
    // Root SKI is the same SHA-1 method as the leaves.
    let bits = root
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    assert_eq!(
        root_ski.as_bytes(),
        digest(&SHA1_FOR_LEGACY_USE_ONLY, bits).as_ref()
    );
    // Our verifier accepts Fulcio's own signature.
    verify_signature(
        &Certificate::from_der(&root_der)
            .unwrap()
            .tbs_certificate
            .subject_public_key_info,
        &leaf.signature_algorithm,
        &leaf.tbs_certificate.to_der().unwrap(),
        leaf.signature.as_bytes().unwrap(),
    )
    .unwrap();
}

#[test]
fn serials_are_random() {
    let log = EcdsaP256LogSigner::generate().unwrap().0;
    let ca = CertificateAuthority::ephemeral(now() - Duration::from_secs(60)).unwrap();
    let profile =
        CertificateProfile::new(&golden_spki(KEYS[0]), San::Email("a@b.c".into()), &[]).unwrap();
    let a = issue(&ca, &log, &profile)
        .cert
        .tbs_certificate
        .serial_number;
    let b = issue(&ca, &log, &profile)
        .cert
        .tbs_certificate
        .serial_number;
    assert_ne!(a, b);
}

#[test]
fn after_2049_validity_is_generalized_time() {
    let log = EcdsaP256LogSigner::generate().unwrap().0;
    let t = UNIX_EPOCH + Duration::from_secs(2_600_000_000); // 2052
    let ca = CertificateAuthority::ephemeral(t).unwrap();
    let profile =
        CertificateProfile::new(&golden_spki(KEYS[0]), San::Email("a@b.c".into()), &[]).unwrap();
    let pre = ca.precertificate(&profile, t).unwrap();
    let cert = Certificate::from_der(pre.der()).unwrap();
    let v = cert.tbs_certificate.validity;
    assert!(matches!(v.not_before, Time::GeneralTime(_)));
    assert_eq!(
        v.not_after.to_unix_duration() - v.not_before.to_unix_duration(),
        Duration::from_secs(600)
    );
    let _ = log;
}

#[test]
fn bad_requests_are_rejected() {
    let ca = CertificateAuthority::ephemeral(now() - Duration::from_secs(60)).unwrap();
    let spki = golden_spki(KEYS[0]);
    // Non-ASCII e-mail cannot be an IA5String; empty SAN; garbage key; unsupported curve.
    for san in [
        San::Email("ålice@example.com".into()),
        San::Uri(String::new()),
    ] {
        let p = CertificateProfile::new(&spki, san, &[]).unwrap();
        assert!(ca.precertificate(&p, now()).is_err());
    }
    assert!(CertificateProfile::new(&[0x30, 0x00], San::Email("a@b.c".into()), &[]).is_err());
    let k256 = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/k256.pub.pem"
    ))
    .unwrap();
    let (_, k256) = x509_cert::der::pem::decode_vec(k256.as_bytes()).unwrap();
    let p = CertificateProfile::new(&k256, San::Email("a@b.c".into()), &[]).unwrap();
    assert!(
        ca.precertificate(&p, now()).is_err(),
        "secp256k1 is not a Fulcio key type"
    );
    // Only Fulcio OIDs may be added as custom extensions.
    let mut p = CertificateProfile::new(&spki, San::Email("a@b.c".into()), &[]).unwrap();
    p.extensions.push(sigstack_ct::poison_extension().unwrap());
    assert!(ca.precertificate(&p, now()).is_err());
    // A leaf may not outlive its CA.
    let short = CaSpec {
        organization: "o".into(),
        common_name: "c".into(),
        lifetime: Duration::from_secs(300),
    };
    let ca = CertificateAuthority::create(&short, golden_key("ecdsa-p256"), None, now()).unwrap();
    let p = CertificateProfile::new(&spki, San::Email("a@b.c".into()), &[]).unwrap();
    assert!(ca.precertificate(&p, now()).is_err());
}
