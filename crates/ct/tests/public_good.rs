//! The SCT embedded in a real public-good Fulcio certificate (Python 3.12.5's release signature)
//! verifies with the production CT log key from the public-good trusted root — exactly the
//! reconstruction every client performs — and stops verifying when anything is changed.
#![allow(clippy::unwrap_used)]

use base64::Engine;
use sigstack_ct::{
    decode_sct_list, verify_embedded_scts, Error, LogPublicKey, PrecertEntry, SignedEntry,
};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/rekor-v1");

fn b64(s: &serde_json::Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s.as_str().unwrap())
        .unwrap()
}

fn read_json(path: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(format!("{VECTORS}/{path}")).unwrap()).unwrap()
}

/// (leaf DER, issuing intermediate DER, production ctlog keys)
fn fixture() -> (Vec<u8>, Vec<u8>, Vec<LogPublicKey>) {
    let bundle = read_json("bundles/prod-hashedrekord-Python-3.12.5.tgz.sigstore.json");
    let leaf =
        b64(&bundle["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"]);
    let root = read_json("trusted-roots/public-good.trusted_root.json");
    let ca = root["certificateAuthorities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ca| ca["validFor"]["end"].is_null())
        .unwrap();
    let intermediate = b64(&ca["certChain"]["certificates"][0]["rawBytes"]);
    let logs = root["ctlogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| LogPublicKey::from_spki_der(&b64(&l["publicKey"]["rawBytes"])).unwrap())
        .collect();
    (leaf, intermediate, logs)
}

#[test]
fn real_embedded_sct_verifies_like_clients_do() {
    let (leaf, intermediate, logs) = fixture();
    let scts = verify_embedded_scts(&leaf, &intermediate, &logs).unwrap();
    assert_eq!(scts.len(), 1, "public-good embeds exactly one SCT");
    let expected_id = base64::engine::general_purpose::STANDARD
        .decode("3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4=")
        .unwrap();
    assert_eq!(scts[0].log_id.0.to_vec(), expected_id);
    assert!(scts[0].extensions.is_empty());
    // The log id is the SHA-256 of the key, as the trusted root says.
    assert!(logs.iter().any(|l| l.log_id().0.to_vec() == expected_id));
}

#[test]
fn real_sct_list_round_trips_byte_for_byte() {
    let (leaf, intermediate, _) = fixture();
    let (_, list) = PrecertEntry::from_final_certificate(&leaf, &intermediate).unwrap();
    let scts = decode_sct_list(&list).unwrap();
    assert_eq!(sigstack_ct::encode_sct_list(&scts).unwrap(), list);
}

#[test]
fn wrong_issuer_fails() {
    let (leaf, _, logs) = fixture();
    // The leaf is not issued by itself: the issuer key hash differs, so the signature fails.
    assert!(matches!(
        verify_embedded_scts(&leaf, &leaf, &logs),
        Err(Error::InvalidSignature)
    ));
}

#[test]
fn unknown_log_fails() {
    let (leaf, intermediate, logs) = fixture();
    let others: Vec<_> = logs
        .into_iter()
        .filter(|l| !l.log_id().0.starts_with(&[0xdd, 0x3d]))
        .collect();
    assert!(matches!(
        verify_embedded_scts(&leaf, &intermediate, &others),
        Err(Error::UnknownLog(_))
    ));
}

#[test]
fn altered_tbs_fails() {
    let (leaf, intermediate, logs) = fixture();
    let (mut entry, list) = PrecertEntry::from_final_certificate(&leaf, &intermediate).unwrap();
    let sct = decode_sct_list(&list).unwrap().remove(0);
    let key = logs.iter().find(|l| l.log_id() == sct.log_id).unwrap();
    sct.verify(&SignedEntry::Precert(entry.clone()), key)
        .unwrap();
    let last = entry.tbs_certificate.len() - 1;
    entry.tbs_certificate[last] ^= 1;
    assert!(matches!(
        sct.verify(&SignedEntry::Precert(entry), key),
        Err(Error::InvalidSignature)
    ));
}
