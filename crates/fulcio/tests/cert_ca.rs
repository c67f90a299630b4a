//! CA certificates (spec §7.2): root and intermediate profiles, PEM round trip, and the checks
//! that refuse an unusable CA at load time.
#![allow(clippy::unwrap_used)]

mod cert_support;

use std::time::Duration;

use cert_support::{ext, ext_oids, golden_cert, golden_key, issue, now, GOLDEN};
use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY};
use sigstack_ct::{verify_embedded_scts, EcdsaP256LogSigner};
use sigstack_fulcio::cert::{
    verify_signature, CaKey, CaKeyAlgorithm, CaSpec, CertificateAuthority, CertificateProfile, San,
};
use x509_cert::der::asn1::OctetString;
use x509_cert::der::{pem, Decode, Encode};
use x509_cert::time::Time;
use x509_cert::Certificate;

const KU: &str = "2.5.29.15";
const EKU: &str = "2.5.29.37";
const BC: &str = "2.5.29.19";
const SKI: &str = "2.5.29.14";
const AKI: &str = "2.5.29.35";

fn spec() -> CaSpec {
    CaSpec {
        organization: "sigstack.test".into(),
        common_name: "sigstack".into(),
        lifetime: Duration::from_secs(10 * 365 * 24 * 3600),
    }
}

fn generated(alg: CaKeyAlgorithm) -> (CaKey, String) {
    let (key, pkcs8) = CaKey::generate(alg).unwrap();
    let pem = pem::encode_string("PRIVATE KEY", pem::LineEnding::LF, &pkcs8).unwrap();
    (key, pem)
}

fn ski_of(cert: &Certificate) -> Vec<u8> {
    OctetString::from_der(ext(cert, SKI).extn_value.as_bytes())
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn verify_by(cert: &Certificate, issuer: &Certificate) {
    verify_signature(
        &issuer.tbs_certificate.subject_public_key_info,
        &cert.signature_algorithm,
        &cert.tbs_certificate.to_der().unwrap(),
        cert.signature.as_bytes().unwrap(),
    )
    .unwrap();
}

#[test]
fn root_and_intermediate_profiles() {
    let (root_key, _) = generated(CaKeyAlgorithm::EcdsaP384);
    let (inter_key, _) = generated(CaKeyAlgorithm::EcdsaP384);
    let ca = CertificateAuthority::create(&spec(), root_key, Some(inter_key), now()).unwrap();
    assert_eq!(ca.chain_der().len(), 2);
    let inter = Certificate::from_der(&ca.chain_der()[0]).unwrap();
    let root = Certificate::from_der(&ca.chain_der()[1]).unwrap();
    assert_eq!(ca.issuer_der(), ca.chain_der()[0]);
    assert_eq!(ca.root_der(), ca.chain_der()[1]);

    // Root: self-signed, KU, BC (critical, CA, pathlen 1), SKI; O then CN.
    assert_eq!(root.tbs_certificate.issuer, root.tbs_certificate.subject);
    assert_eq!(ext_oids(&root), [KU, BC, SKI]);
    assert!(ext(&root, KU).critical);
    assert_eq!(
        ext(&root, KU).extn_value.as_bytes(),
        [0x03, 0x02, 0x01, 0x06]
    );
    assert!(ext(&root, BC).critical);
    assert_eq!(
        ext(&root, BC).extn_value.as_bytes(),
        [0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x01]
    );
    let bits = root
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    assert_eq!(
        ski_of(&root),
        digest(&SHA1_FOR_LEGACY_USE_ONLY, bits).as_ref()
    );
    assert_eq!(
        root.tbs_certificate.subject.to_string(),
        "CN=sigstack,O=sigstack.test"
    );
    assert_eq!(
        root.signature_algorithm.oid.to_string(),
        "1.2.840.10045.4.3.3"
    );
    verify_by(&root, &root);

    // Intermediate: KU, EKU codeSigning, BC (critical, CA, pathlen 0), SKI, AKI = root SKI.
    assert_eq!(inter.tbs_certificate.issuer, root.tbs_certificate.subject);
    assert_eq!(ext_oids(&inter), [KU, EKU, BC, SKI, AKI]);
    assert!(ext(&inter, KU).critical);
    assert_eq!(
        ext(&inter, KU).extn_value.as_bytes(),
        [0x03, 0x02, 0x01, 0x06]
    );
    assert_eq!(
        ext(&inter, EKU).extn_value.as_bytes(),
        [0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03]
    );
    assert!(ext(&inter, BC).critical);
    assert_eq!(
        ext(&inter, BC).extn_value.as_bytes(),
        [0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x00]
    );
    assert_eq!(
        ext(&inter, AKI).extn_value.as_bytes(),
        [&[0x30, 0x16, 0x80, 0x14][..], &ski_of(&root)].concat()
    );
    assert_eq!(
        inter.tbs_certificate.subject.to_string(),
        "CN=sigstack-intermediate,O=sigstack.test"
    );
    verify_by(&inter, &root);
    for c in [&root, &inter] {
        let v = c.tbs_certificate.validity;
        assert!(matches!(v.not_before, Time::UtcTime(_)));
        assert_eq!(
            v.not_before.to_unix_duration(),
            Duration::from_secs(1_800_000_000)
        );
        assert_eq!(
            v.not_after.to_unix_duration() - v.not_before.to_unix_duration(),
            spec().lifetime
        );
        let serial = c.tbs_certificate.serial_number.as_bytes();
        assert!(serial.len() <= 20 && serial[0] & 0x80 == 0);
    }
}

#[test]
fn golden_root_has_the_same_shape() {
    // Fulcio's own root: KU, BC, SKI in that order, both critical where ours are.
    let (root, _) = golden_cert("ephemeral-root");
    assert_eq!(ext_oids(&root), [KU, BC, SKI]);
    assert!(ext(&root, KU).critical && ext(&root, BC).critical);
    assert_eq!(
        ext(&root, KU).extn_value.as_bytes(),
        [0x03, 0x02, 0x01, 0x06]
    );
}

#[test]
fn pem_round_trip_and_issue_from_loaded_ca() {
    let (root_key, _) = generated(CaKeyAlgorithm::EcdsaP256);
    let (inter_key, inter_pem) = generated(CaKeyAlgorithm::EcdsaP384);
    let ca = CertificateAuthority::create(&spec(), root_key, Some(inter_key), now()).unwrap();
    let chain_pem = ca.chain_pem().unwrap();
    assert_eq!(chain_pem.matches("-----BEGIN CERTIFICATE-----").count(), 2);
    let loaded = CertificateAuthority::from_pem(&chain_pem, &inter_pem).unwrap();
    assert_eq!(loaded.chain_der(), ca.chain_der());

    let log = EcdsaP256LogSigner::generate().unwrap().0;
    let (golden, _) = golden_cert("leaf-v2-ecdsa-p256-token-header");
    let profile = CertificateProfile::new(
        &golden
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap(),
        San::Email("alice@example.com".into()),
        &[],
    )
    .unwrap();
    let issued = issue(&loaded, &log, &profile);
    verify_embedded_scts(
        &issued.issued.der,
        loaded.issuer_der(),
        &[log.public_key().unwrap()],
    )
    .unwrap();
    // Leaf signed by the P-384 intermediate, intermediate by the P-256 root.
    assert_eq!(
        issued.cert.signature_algorithm.oid.to_string(),
        "1.2.840.10045.4.3.3"
    );
    let pem_chain = issued.issued.pem_chain().unwrap();
    let certs = Certificate::load_pem_chain(pem_chain.as_bytes()).unwrap();
    assert_eq!(certs.len(), 3);
    assert_eq!(certs[0], issued.cert);
    verify_by(&certs[0], &certs[1]);
    verify_by(&certs[1], &certs[2]);
    verify_by(&certs[2], &certs[2]);
}

#[test]
fn unusable_cas_are_refused_at_load() {
    let (root_key, root_pem) = generated(CaKeyAlgorithm::EcdsaP256);
    let (inter_key, inter_pem) = generated(CaKeyAlgorithm::EcdsaP256);
    let ca = CertificateAuthority::create(&spec(), root_key, Some(inter_key), now()).unwrap();
    let pems: Vec<String> = ca
        .chain_der()
        .iter()
        .map(|d| pem::encode_string("CERTIFICATE", pem::LineEnding::LF, d).unwrap())
        .collect();
    // Key of the root with the intermediate as issuing certificate.
    assert!(CertificateAuthority::from_pem(&ca.chain_pem().unwrap(), &root_pem).is_err());
    // Chain in the wrong order.
    let reversed = format!("{}{}", pems[1], pems[0]);
    assert!(CertificateAuthority::from_pem(&reversed, &inter_pem).is_err());
    assert!(CertificateAuthority::from_pem(&reversed, &root_pem).is_err());
    // A chain missing its root cannot be checked.
    assert!(CertificateAuthority::from_pem(&pems[0], &inter_pem).is_err());
    // The root alone with its key is fine.
    assert!(CertificateAuthority::from_pem(&pems[1], &root_pem).is_ok());
    // A leaf (no basicConstraints) is not a CA.
    let leaf = std::fs::read_to_string(format!(
        "{GOLDEN}/certs/leaf-v2-ecdsa-p256-token-header.pem"
    ))
    .unwrap();
    let key = std::fs::read_to_string(format!("{GOLDEN}/keys/ecdsa-p256.key.pem")).unwrap();
    assert!(CertificateAuthority::from_pem(&leaf, &key).is_err());
    assert!(CertificateAuthority::from_pem("", &inter_pem).is_err());
}

#[test]
fn ca_key_types() {
    // Ed25519 CA keys are refused (sigstore-python's SCT code and pyca reject them).
    let ed = std::fs::read_to_string(format!("{GOLDEN}/keys/ed25519.key.pem")).unwrap();
    assert!(CaKey::from_pem(&ed).is_err());
    // SEC1 PEM needs conversion; garbage is refused.
    assert!(CaKey::from_pem(
        "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"
    )
    .is_err());
    assert!(CaKey::from_pem("not pem").is_err());
    // RSA: sha256WithRSAEncryption with NULL parameters.
    let rsa = golden_key("rsa2048");
    let alg = rsa.signature_algorithm();
    assert_eq!(alg.oid.to_string(), "1.2.840.113549.1.1.11");
    assert_eq!(alg.parameters.unwrap().to_der().unwrap(), [0x05, 0x00]);
    let p384 = golden_key("ecdsa-p384");
    assert_eq!(
        p384.signature_algorithm().oid.to_string(),
        "1.2.840.10045.4.3.3"
    );
    assert!(p384.signature_algorithm().parameters.is_none());
    // The golden P-384 leaf was issued to the golden P-384 key: same SPKI.
    let (leaf, _) = golden_cert("leaf-v2-ecdsa-p384-pop-sha256");
    assert_eq!(
        p384.public_key_info().unwrap(),
        leaf.tbs_certificate.subject_public_key_info
    );
    let (rsa_leaf, _) = golden_cert("leaf-v2-rsa2048-alg-RSA-unknown-enum");
    assert_eq!(
        rsa.public_key_info().unwrap(),
        rsa_leaf.tbs_certificate.subject_public_key_info
    );
}
