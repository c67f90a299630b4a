//! From the identity half's `Principal` to certificate bytes: SAN kinds, every extension in
//! Fulcio's order and encoding.
#![allow(clippy::unwrap_used)]

mod cert_support;

use cert_support::{ext, ext_oids, golden_cert, issue, p384_chain_ca};
use sigstack_ct::EcdsaP256LogSigner;
use sigstack_fulcio::cert::{CertificateProfile, San};
use sigstack_fulcio::identity::OTHER_NAME_USERNAME_OID;
use sigstack_fulcio::{FulcioExtensions, Principal, SubjectAltName};
use x509_cert::der::Encode;

fn spki() -> Vec<u8> {
    golden_cert("leaf-v2-ecdsa-p256-token-header")
        .0
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap()
}

fn principal(san: SubjectAltName) -> Principal {
    let iss = "https://token.actions.githubusercontent.com".to_string();
    Principal {
        name: "repo:org/repo:ref:refs/heads/main".into(),
        san,
        issuer: iss.clone(),
        extensions: FulcioExtensions {
            issuer_v1: Some(iss.clone()),
            github_workflow_ref: Some("refs/heads/main".into()),
            issuer_v2: Some(iss),
            build_signer_uri: Some(
                "https://github.com/org/repo/.github/workflows/b.yml@refs/heads/main".into(),
            ),
            source_repository_visibility_at_signing: Some("private".into()),
            subject: Some("repo:org/repo:ref:refs/heads/main".into()),
            ..Default::default()
        },
    }
}

#[test]
fn principal_becomes_profile_and_certificate() {
    let log = EcdsaP256LogSigner::generate().unwrap().0;
    let ca = p384_chain_ca();
    let p = principal(SubjectAltName::Uri(
        "https://github.com/org/repo/.github/workflows/b.yml@refs/heads/main".into(),
    ));
    let profile = CertificateProfile::for_principal(&p, &spki()).unwrap();
    assert_eq!(
        profile.san,
        San::Uri("https://github.com/org/repo/.github/workflows/b.yml@refs/heads/main".into())
    );
    let issued = issue(&ca, &log, &profile);
    let arc = |a: u32| format!("1.3.6.1.4.1.57264.1.{a}");
    assert_eq!(
        ext_oids(&issued.cert)[5..],
        [
            arc(1),
            arc(6),
            arc(8),
            arc(9),
            arc(22),
            arc(24),
            "1.3.6.1.4.1.11129.2.4.2".into()
        ]
    );
    assert_eq!(
        ext(&issued.cert, &arc(6)).extn_value.as_bytes(),
        b"refs/heads/main"
    );
    assert_eq!(
        ext(&issued.cert, &arc(22)).extn_value.as_bytes(),
        [&[0x0c, 7][..], b"private"].concat()
    );
}

#[test]
fn san_kinds() {
    for (san, want) in [
        (
            SubjectAltName::Email("a@example.com".into()),
            San::Email("a@example.com".into()),
        ),
        (
            SubjectAltName::OtherName {
                type_id: OTHER_NAME_USERNAME_OID.into(),
                value: "alice!example.com".into(),
            },
            San::Username("alice!example.com".into()),
        ),
    ] {
        let profile = CertificateProfile::for_principal(&principal(san), &spki()).unwrap();
        assert_eq!(profile.san, want);
    }
    let other = SubjectAltName::OtherName {
        type_id: "1.2.3".into(),
        value: "x".into(),
    };
    assert!(CertificateProfile::for_principal(&principal(other), &spki()).is_err());
}
