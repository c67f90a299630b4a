//! Fulcio extension encodings: the OID table, raw v1 vs DER UTF8String v2, Fulcio's order, and
//! byte equality with what a real Fulcio 1.6.5 emitted.
#![allow(clippy::unwrap_used)]

mod cert_support;

use cert_support::{ext, golden_cert};
use sigstack_fulcio::cert::extensions::{self, ALL, ISSUER_V1, ISSUER_V2, TOKEN_SUBJECT};
use sigstack_fulcio::cert::{Encoding, FulcioOid};
use x509_cert::der::Encode;

const GOLDEN_LEAVES: &[&str] = &[
    "leaf-v1-csr",
    "leaf-v1-ecdsa-p256",
    "leaf-v2-csr",
    "leaf-v2-ecdsa-p256-token-header",
    "leaf-v2-ecdsa-p256-token-in-body",
    "leaf-v2-ecdsa-p384-pop-sha256",
    "leaf-v2-ed25519",
    "leaf-v2-rsa2048-alg-RSA-unknown-enum",
    "leaf-v2-snake",
];

#[test]
fn oid_table_matches_spec() {
    let arcs: Vec<u32> = ALL.iter().map(|f| f.arc).collect();
    let mut want: Vec<u32> = (1..=6).collect();
    want.extend(8..=24);
    assert_eq!(
        arcs, want,
        ".1.7 is the otherName type-id, not an extension"
    );
    for f in ALL {
        assert_eq!(f.oid.to_string(), format!("1.3.6.1.4.1.57264.1.{}", f.arc));
        let enc = if f.arc <= 6 {
            Encoding::Raw
        } else {
            Encoding::Utf8String
        };
        assert_eq!(f.encoding, enc, "{}", f.name);
        assert_eq!(FulcioOid::lookup(&f.oid), Some(*f));
    }
    assert_eq!(
        extensions::USERNAME_OTHER_NAME.to_string(),
        "1.3.6.1.4.1.57264.1.7"
    );
    assert!(FulcioOid::lookup(&extensions::USERNAME_OTHER_NAME).is_none());
}

#[test]
fn spec_byte_example() {
    let iss = "https://token.actions.githubusercontent.com";
    assert_eq!(iss.len(), 43);
    let v1 = ISSUER_V1.extension(iss).unwrap();
    let v2 = ISSUER_V2.extension(iss).unwrap();
    assert!(!v1.critical && !v2.critical);
    // extnValue as it appears on the wire: 04 2B <43 bytes> and 04 2D 0C 2B <43 bytes>.
    assert_eq!(
        v1.extn_value.to_der().unwrap(),
        [&[0x04, 0x2b][..], iss.as_bytes()].concat()
    );
    assert_eq!(
        v2.extn_value.to_der().unwrap(),
        [&[0x04, 0x2d, 0x0c, 0x2b][..], iss.as_bytes()].concat()
    );
    assert_eq!(
        ISSUER_V1.decode_value(v1.extn_value.as_bytes()).unwrap(),
        iss
    );
    assert_eq!(
        ISSUER_V2.decode_value(v2.extn_value.as_bytes()).unwrap(),
        iss
    );
    // Mixing the encodings up is detected.
    assert!(ISSUER_V2.decode_value(v1.extn_value.as_bytes()).is_err());
}

#[test]
fn long_values_use_long_form_der_lengths() {
    let v = "x".repeat(300);
    let e = TOKEN_SUBJECT.extension(&v).unwrap();
    assert_eq!(&e.extn_value.as_bytes()[..4], &[0x0c, 0x82, 0x01, 0x2c]);
    assert_eq!(
        TOKEN_SUBJECT.decode_value(e.extn_value.as_bytes()).unwrap(),
        v
    );
}

#[test]
fn golden_extension_values_re_encode_byte_for_byte() {
    for name in GOLDEN_LEAVES {
        let (cert, _) = golden_cert(name);
        for f in [ISSUER_V1, ISSUER_V2] {
            let golden = ext(&cert, &f.oid.to_string());
            let value = f.decode_value(golden.extn_value.as_bytes()).unwrap();
            assert_eq!(value, "http://127.0.0.1:8180", "{name}");
            let ours = f.extension(&value).unwrap();
            assert_eq!(
                ours.to_der().unwrap(),
                golden.to_der().unwrap(),
                "{name} {}",
                f.name
            );
        }
    }
}

#[test]
fn fulcio_order_skips_empty_and_rejects_duplicates() {
    use extensions::*;
    let exts = fulcio_extensions(&[
        (TOKEN_SUBJECT, "sub"),
        (BUILD_SIGNER_URI, "https://example/wf"),
        (ISSUER_V2, "https://iss"),
        (DEPLOYMENT_ENVIRONMENT, ""),
        (GITHUB_WORKFLOW_REF, "refs/heads/main"),
        (ISSUER_V1, "https://iss"),
    ])
    .unwrap();
    let arcs: Vec<String> = exts.iter().map(|e| e.extn_id.to_string()).collect();
    assert_eq!(
        arcs,
        ["1", "6", "8", "9", "24"].map(|a| format!("1.3.6.1.4.1.57264.1.{a}"))
    );
    assert!(fulcio_extensions(&[(ISSUER_V1, "a"), (ISSUER_V1, "b")]).is_err());
}
