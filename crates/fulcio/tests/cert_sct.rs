//! Embedded SCTs: the final certificate is the precertificate with poison ↔ SCT list swapped and
//! nothing else changed, and its SCT verifies with the CT key the way clients check it — and
//! stops verifying when the SCT, the key, the issuer or the TBS is wrong.
#![allow(clippy::unwrap_used)]

mod cert_support;

use std::time::Duration;

use cert_support::{ext, issue, log_sign, now, p384_chain_ca};
use sigstack_ct::{decode_sct_list, verify_embedded_scts, EcdsaP256LogSigner, Error, PrecertEntry};
use sigstack_fulcio::cert::extensions as fx;
use sigstack_fulcio::cert::{CertificateAuthority, CertificateProfile, San};
use x509_cert::der::asn1::OctetString;
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

const POISON: &str = "1.3.6.1.4.1.11129.2.4.3";
const SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn profile() -> CertificateProfile {
    let (golden, _) = cert_support::golden_cert("leaf-v2-ecdsa-p256-token-header");
    CertificateProfile::new(
        &golden
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap(),
        San::Uri("https://github.com/org/repo/.github/workflows/build.yml@refs/heads/main".into()),
        &[
            (fx::ISSUER_V1, ISSUER),
            (fx::ISSUER_V2, ISSUER),
            (fx::TOKEN_SUBJECT, "repo:org/repo:ref:refs/heads/main"),
        ],
    )
    .unwrap()
}

#[test]
fn final_tbs_is_precert_tbs_with_poison_swapped_for_sct_list() {
    let log = EcdsaP256LogSigner::generate().unwrap().0;
    for ca in [
        p384_chain_ca(),
        CertificateAuthority::ephemeral(now() - Duration::from_secs(60)).unwrap(),
    ] {
        let issued = issue(&ca, &log, &profile());
        let mut pre = issued.precert.tbs_certificate.clone();
        let mut fin = issued.cert.tbs_certificate.clone();
        let pre_last = pre.extensions.as_mut().unwrap().pop().unwrap();
        let fin_last = fin.extensions.as_mut().unwrap().pop().unwrap();
        assert_eq!(pre_last.extn_id.to_string(), POISON);
        assert_eq!(fin_last.extn_id.to_string(), SCT_LIST);
        assert_eq!(
            pre.to_der().unwrap(),
            fin.to_der().unwrap(),
            "all else byte-identical"
        );
        assert_ne!(issued.precert.signature, issued.cert.signature);

        // The byte level: the precert DER's TBS minus its last extension's bytes is the final
        // TBS minus its last extension's bytes (only lengths change).
        let (entry, list) =
            PrecertEntry::from_final_certificate(&issued.issued.der, ca.issuer_der()).unwrap();
        assert_eq!(
            entry,
            PrecertEntry::from_precertificate(&issued.precert_der, ca.issuer_der()).unwrap()
        );
        assert_eq!(entry.tbs_certificate, pre.to_der().unwrap());
        // Issuer key hash is over the *issuing* CA's SPKI.
        let issuer = Certificate::from_der(ca.issuer_der()).unwrap();
        let spki = issuer
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap();
        assert_eq!(
            entry.issuer_key_hash.as_slice(),
            ring::digest::digest(&ring::digest::SHA256, &spki).as_ref()
        );

        // extnValue = OCTET STRING { u16 list_len, u16 sct_len, sct (v1 …) }: exactly one SCT.
        let ext_value = ext(&issued.cert, SCT_LIST).extn_value.as_bytes();
        let inner = OctetString::from_der(ext_value).unwrap();
        assert_eq!(inner.as_bytes(), &list[..]);
        let sct_bytes = issued.sct.to_bytes().unwrap();
        let mut want = ((sct_bytes.len() + 2) as u16).to_be_bytes().to_vec();
        want.extend((sct_bytes.len() as u16).to_be_bytes());
        want.extend(&sct_bytes);
        assert_eq!(list, want);
        assert_eq!(decode_sct_list(&list).unwrap(), vec![issued.sct.clone()]);
    }
}

#[test]
fn embedded_sct_verifies_with_the_ct_key() {
    let log = EcdsaP256LogSigner::generate().unwrap().0;
    let ca = p384_chain_ca();
    let issued = issue(&ca, &log, &profile());
    let scts = verify_embedded_scts(
        &issued.issued.der,
        ca.issuer_der(),
        &[log.public_key().unwrap()],
    )
    .unwrap();
    assert_eq!(scts.len(), 1, "sigstore-python wants exactly one");
    assert_eq!(scts[0], issued.sct);
    assert_eq!(scts[0].timestamp, 1_800_000_000_900);
}

#[test]
fn wrong_ct_key_or_issuer_fails() {
    let log = EcdsaP256LogSigner::generate().unwrap().0;
    let other = EcdsaP256LogSigner::generate().unwrap().0;
    let ca = p384_chain_ca();
    let issued = issue(&ca, &log, &profile());
    let der = &issued.issued.der;
    assert!(matches!(
        verify_embedded_scts(der, ca.issuer_der(), &[other.public_key().unwrap()]),
        Err(Error::UnknownLog(_))
    ));
    assert!(matches!(
        verify_embedded_scts(der, ca.issuer_der(), &[]),
        Err(Error::UnknownLog(_))
    ));
    // The root is not the issuer: its key hash is not what the log signed.
    assert!(matches!(
        verify_embedded_scts(der, ca.root_der(), &[log.public_key().unwrap()]),
        Err(Error::InvalidSignature)
    ));
    // A precertificate has no SCT list to verify.
    assert!(verify_embedded_scts(
        &issued.precert_der,
        ca.issuer_der(),
        &[log.public_key().unwrap()]
    )
    .is_err());
}

/// Replaces the first occurrence of `from` in `der` (same length) and returns the copy.
fn patch(der: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = der.windows(from.len()).position(|w| w == from).unwrap();
    let mut out = der.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[test]
fn tampered_sct_or_tbs_fails() {
    let log = EcdsaP256LogSigner::generate().unwrap().0;
    let ca = p384_chain_ca();
    let issued = issue(&ca, &log, &profile());
    let keys = [log.public_key().unwrap()];
    let der = &issued.issued.der;
    verify_embedded_scts(der, ca.issuer_der(), &keys).unwrap();

    // One bit of the SCT's signature.
    let sct = issued.sct.to_bytes().unwrap();
    let mut bad_sct = sct.clone();
    *bad_sct.last_mut().unwrap() ^= 1;
    let bad = patch(der, &sct, &bad_sct);
    assert!(matches!(
        verify_embedded_scts(&bad, ca.issuer_der(), &keys),
        Err(Error::InvalidSignature)
    ));
    // The SCT timestamp.
    let mut bad_ts = sct.clone();
    bad_ts[40] ^= 1;
    let bad = patch(der, &sct, &bad_ts);
    assert!(verify_embedded_scts(&bad, ca.issuer_der(), &keys).is_err());

    // The TBS outside the SCT list: one character of the issuer extension, the serial, the SAN.
    let serial = issued
        .cert
        .tbs_certificate
        .serial_number
        .as_bytes()
        .to_vec();
    let mut other_serial = serial.clone();
    *other_serial.last_mut().unwrap() ^= 1;
    for (from, to) in [
        (
            ISSUER.as_bytes().to_vec(),
            ISSUER.replace("token", "tokem").into_bytes(),
        ),
        (serial, other_serial),
        (b"refs/heads/main".to_vec(), b"refs/heads/mein".to_vec()),
    ] {
        let bad = patch(der, &from, &to);
        assert!(matches!(
            verify_embedded_scts(&bad, ca.issuer_der(), &keys),
            Err(Error::InvalidSignature)
        ));
    }
}

#[test]
fn sct_for_another_precertificate_fails() {
    let log = EcdsaP256LogSigner::generate().unwrap().0;
    let ca = p384_chain_ca();
    let a = ca.precertificate(&profile(), now()).unwrap();
    let b = ca.precertificate(&profile(), now()).unwrap();
    let sct_for_a = log_sign(&log, a.der(), ca.chain_der(), 1);
    let cert = ca.certificate(b, &[sct_for_a]).unwrap();
    assert!(matches!(
        verify_embedded_scts(&cert.der, ca.issuer_der(), &[log.public_key().unwrap()]),
        Err(Error::InvalidSignature)
    ));
}

#[test]
fn every_embedded_sct_must_verify() {
    // Two logs' SCTs; a verifier that knows only one log rejects the certificate (sigstore-js).
    let (log_a, log_b) = (
        EcdsaP256LogSigner::generate().unwrap().0,
        EcdsaP256LogSigner::generate().unwrap().0,
    );
    let ca = p384_chain_ca();
    let pre = ca.precertificate(&profile(), now()).unwrap();
    let scts = [
        log_sign(&log_a, pre.der(), ca.chain_der(), 1),
        log_sign(&log_b, pre.der(), ca.chain_der(), 2),
    ];
    let cert = ca.certificate(pre, &scts).unwrap();
    let both = [log_a.public_key().unwrap(), log_b.public_key().unwrap()];
    assert_eq!(
        verify_embedded_scts(&cert.der, ca.issuer_der(), &both)
            .unwrap()
            .len(),
        2
    );
    assert!(verify_embedded_scts(&cert.der, ca.issuer_der(), &both[..1]).is_err());
    // A precertificate can only be finished by the CA that issued it.
    let other_ca = p384_chain_ca();
    let pre = ca.precertificate(&profile(), now()).unwrap();
    let sct = log_sign(&log_a, pre.der(), ca.chain_der(), 3);
    assert!(other_ca.certificate(pre, &[sct]).is_err());
    // And no SCT at all is refused at issuance.
    let pre = ca.precertificate(&profile(), now()).unwrap();
    assert!(ca.certificate(pre, &[]).is_err());
}
