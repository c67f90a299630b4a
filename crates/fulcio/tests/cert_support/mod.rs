//! Shared helpers for the `cert_*` suites: golden Fulcio 1.6.5 certificates and keys, an
//! in-test CT log, and the full precertificate → SCT → final certificate flow.
#![allow(clippy::unwrap_used, dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sigstack_ct::{
    EcdsaP256LogSigner, LogSigner, PrecertEntry, SignedCertificateTimestamp, SignedEntry,
};
use sigstack_fulcio::cert::{
    CaKey, CaSpec, CertificateAuthority, CertificateProfile, IssuedCertificate, Precertificate,
};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::Extension;
use x509_cert::spki::ObjectIdentifier;
use x509_cert::Certificate;

pub const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/vectors/golden/fulcio-1.6.5"
);

/// 2027-01-15T08:00:00.750Z: a fixed issuance time with a sub-second part to be truncated.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_800_000_000_750)
}

pub fn golden_cert(name: &str) -> (Certificate, Vec<u8>) {
    let pem = std::fs::read(format!("{GOLDEN}/certs/{name}.pem")).unwrap();
    let cert = Certificate::load_pem_chain(&pem).unwrap().remove(0);
    let der = cert.to_der().unwrap();
    (cert, der)
}

pub fn golden_key(name: &str) -> CaKey {
    CaKey::from_pem(&std::fs::read_to_string(format!("{GOLDEN}/keys/{name}.key.pem")).unwrap())
        .unwrap()
}

pub fn ext<'a>(cert: &'a Certificate, oid: &str) -> &'a Extension {
    let oid = ObjectIdentifier::new_unwrap(oid);
    cert.tbs_certificate
        .extensions
        .as_ref()
        .unwrap()
        .iter()
        .find(|e| e.extn_id == oid)
        .unwrap_or_else(|| panic!("no extension {oid}"))
}

pub fn ext_oids(cert: &Certificate) -> Vec<String> {
    cert.tbs_certificate
        .extensions
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| e.extn_id.to_string())
        .collect()
}

/// A CA with an ECDSA P-384 root and intermediate, like the public-good CA.
pub fn p384_chain_ca() -> CertificateAuthority {
    let spec = CaSpec {
        organization: "sigstack.test".into(),
        common_name: "sigstack".into(),
        lifetime: Duration::from_secs(365 * 24 * 3600),
    };
    let root = CaKey::generate(sigstack_fulcio::cert::CaKeyAlgorithm::EcdsaP384)
        .unwrap()
        .0;
    let inter = CaKey::generate(sigstack_fulcio::cert::CaKeyAlgorithm::EcdsaP384)
        .unwrap()
        .0;
    CertificateAuthority::create(&spec, root, Some(inter), now() - Duration::from_secs(3600))
        .unwrap()
}

/// What a CT log does on `add-pre-chain`: derive the entry from the precertificate DER and the
/// chain's first CA certificate, then sign it.
pub fn log_sign(
    log: &dyn LogSigner,
    precert_der: &[u8],
    chain: &[Vec<u8>],
    timestamp: u64,
) -> SignedCertificateTimestamp {
    let entry = PrecertEntry::from_precertificate(precert_der, &chain[0]).unwrap();
    SignedCertificateTimestamp::sign(log, timestamp, &SignedEntry::Precert(entry), vec![]).unwrap()
}

pub struct Issued {
    pub precert_der: Vec<u8>,
    pub precert: Certificate,
    pub issued: IssuedCertificate,
    pub cert: Certificate,
    pub sct: SignedCertificateTimestamp,
}

/// The whole embedded-SCT issuance at [`now`].
pub fn issue(
    ca: &CertificateAuthority,
    log: &EcdsaP256LogSigner,
    profile: &CertificateProfile,
) -> Issued {
    let pre: Precertificate = ca.precertificate(profile, now()).unwrap();
    let precert_der = pre.der().to_vec();
    let sct = log_sign(log, &precert_der, ca.chain_der(), 1_800_000_000_900);
    // The CA's own view of the entry equals the log's.
    assert_eq!(
        pre.ct_entry().unwrap(),
        PrecertEntry::from_precertificate(&precert_der, ca.issuer_der()).unwrap()
    );
    let issued = ca.certificate(pre, std::slice::from_ref(&sct)).unwrap();
    Issued {
        precert: Certificate::from_der(&precert_der).unwrap(),
        precert_der,
        cert: Certificate::from_der(&issued.der).unwrap(),
        issued,
        sct,
    }
}
