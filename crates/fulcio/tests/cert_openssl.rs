//! OpenSSL, an independent X.509 implementation, parses our leaf, precertificate and CA
//! certificates, and `openssl verify -x509_strict` accepts the chain (strict mode checks, among
//! others, that an empty subject comes with a critical SAN and that AKI/SKI are present).
//! Needs the `openssl` command (installed on every sigstack machine).
#![allow(clippy::unwrap_used)]

mod cert_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use cert_support::{golden_cert, issue, now, p384_chain_ca};
use sigstack_ct::EcdsaP256LogSigner;
use sigstack_fulcio::cert::extensions as fx;
use sigstack_fulcio::cert::{CertificateProfile, San};
use x509_cert::der::{pem, Encode};

fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl").args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn write_pem(dir: &Path, name: &str, der: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(
        &path,
        pem::encode_string("CERTIFICATE", pem::LineEnding::LF, der).unwrap(),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn openssl_parses_and_verifies_our_certificates() {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("sigstack-cert-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = EcdsaP256LogSigner::generate().unwrap().0;
    let ca = p384_chain_ca();
    let (golden, _) = golden_cert("leaf-v2-ecdsa-p256-token-header");
    let spki = golden
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    for (i, san) in [
        San::Email("alice@example.com".into()),
        San::Uri("https://github.com/org/repo/.github/workflows/build.yml@refs/heads/main".into()),
        San::Username("alice!example.com".into()),
    ]
    .into_iter()
    .enumerate()
    {
        let iss = "https://token.actions.githubusercontent.com";
        let profile = CertificateProfile::new(
            &spki,
            san.clone(),
            &[
                (fx::ISSUER_V1, iss),
                (fx::ISSUER_V2, iss),
                (fx::TOKEN_SUBJECT, "sub-1"),
            ],
        )
        .unwrap();
        let issued = issue(&ca, &log, &profile);
        let leaf = write_pem(&dir, &format!("leaf{i}.pem"), &issued.issued.der);
        let pre = write_pem(&dir, &format!("pre{i}.pem"), &issued.precert_der);
        let inter = write_pem(&dir, "inter.pem", &ca.chain_der()[0]);
        let root = write_pem(&dir, "root.pem", &ca.chain_der()[1]);

        let (ok, text) = openssl(&["x509", "-in", &leaf, "-text", "-noout"]);
        assert!(ok, "{text}");
        for want in [
            "Version: 3 (0x2)",
            "Signature Algorithm: ecdsa-with-SHA384",
            "Issuer: O = sigstack.test, CN = sigstack-intermediate",
            "Not Before: Jan 15 08:00:00 2027 GMT",
            "Not After : Jan 15 08:10:00 2027 GMT",
            "X509v3 Key Usage: critical\n                Digital Signature",
            "X509v3 Extended Key Usage: \n                Code Signing",
            "X509v3 Subject Key Identifier",
            "X509v3 Authority Key Identifier",
            "X509v3 Subject Alternative Name: critical",
            "1.3.6.1.4.1.57264.1.1: \n                https://token.actions.githubusercontent.com",
            "1.3.6.1.4.1.57264.1.8",
            "1.3.6.1.4.1.57264.1.24",
            "CT Precertificate SCTs",
            "Signed Certificate Timestamp:",
            "Version   : v1 (0x0)",
            "Timestamp : Jan 15 08:00:00.900 2027 GMT",
            "Signature : ecdsa-with-SHA256",
        ] {
            assert!(text.contains(want), "missing {want:?} in:\n{text}");
        }
        let san_text = match &san {
            San::Email(e) => format!("email:{e}"),
            San::Uri(u) => format!("URI:{u}"),
            San::Username(_) => "othername:".to_owned(),
        };
        assert!(text.contains(&san_text), "{san_text} in:\n{text}");
        // Empty subject: OpenSSL prints nothing after "Subject:".
        assert!(text.contains("Subject: \n"), "{text}");
        // The log id OpenSSL shows is ours.
        let id: Vec<String> = log
            .public_key()
            .unwrap()
            .log_id()
            .0
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        assert!(
            text.replace([' ', '\n'], "").contains(&id.join(":")),
            "{text}"
        );

        let (ok, text) = openssl(&["x509", "-in", &pre, "-text", "-noout"]);
        assert!(ok, "{text}");
        assert!(
            text.contains("CT Precertificate Poison: critical"),
            "{text}"
        );

        for ca_cert in [&inter, &root] {
            let (ok, text) = openssl(&["x509", "-in", ca_cert, "-text", "-noout"]);
            assert!(ok, "{text}");
            assert!(
                text.contains("X509v3 Basic Constraints: critical\n                CA:TRUE"),
                "{text}"
            );
            assert!(text.contains("Certificate Sign, CRL Sign"), "{text}");
        }

        // Verify at a moment inside the leaf's ten minutes, strictly.
        let (ok, text) = openssl(&[
            "verify",
            "-x509_strict",
            "-purpose",
            "any",
            "-attime",
            "1800000030",
            "-CAfile",
            &root,
            "-untrusted",
            &inter,
            &leaf,
        ]);
        assert!(ok && text.contains(": OK"), "{text}");
        // …and not after it.
        let (ok, text) = openssl(&[
            "verify",
            "-attime",
            "1800000601",
            "-CAfile",
            &root,
            "-untrusted",
            &inter,
            &leaf,
        ]);
        assert!(!ok, "expired leaf accepted: {text}");
    }
    let _ = now();
    std::fs::remove_dir_all(&dir).unwrap();
}
