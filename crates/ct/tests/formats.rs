//! Byte layouts of the RFC 6962 structures, written out by hand from the RFC, and the failure
//! modes of their parsers and of SCT verification.
#![allow(clippy::unwrap_used)]

use base64::Engine;
use sigstack_ct::leaf::{certificate_chain, precert_chain_entry};
use sigstack_ct::sct::{HASH_SHA256, SIGNATURE_ECDSA};
use sigstack_ct::{
    decode_sct_list, encode_sct_list, sct_list_extension, signed_data, DigitallySigned,
    EcdsaP256LogSigner, Error, LogPublicKey, LogSigner, MerkleTreeLeaf, PrecertEntry,
    SignedCertificateTimestamp, SignedEntry, TimestampedEntry, CT_POISON_OID, SCT_LIST_OID,
};
use x509_cert::der::asn1::OctetString;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::Extension;
use x509_cert::Certificate;

const TS: u64 = 0x0102_0304_0506_0708;

fn precert_entry() -> PrecertEntry {
    PrecertEntry {
        issuer_key_hash: [0xab; 32],
        tbs_certificate: vec![0x30, 0x03, 0x02, 0x01, 0x05],
    }
}

#[test]
fn precert_leaf_layout() {
    let leaf = MerkleTreeLeaf {
        entry: TimestampedEntry {
            timestamp: TS,
            entry: SignedEntry::Precert(precert_entry()),
            extensions: vec![],
        },
    };
    let mut want = vec![0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1];
    want.extend([0xab; 32]);
    want.extend([0, 0, 5, 0x30, 0x03, 0x02, 0x01, 0x05, 0, 0]);
    let bytes = leaf.to_bytes().unwrap();
    assert_eq!(bytes, want);
    assert_eq!(MerkleTreeLeaf::from_bytes(&bytes).unwrap(), leaf);
    // The SCT signs the same bytes the log stores.
    assert_eq!(signed_data(&leaf.entry).unwrap(), bytes);
    // RFC 6962 leaf hash.
    let mut prefixed = vec![0u8];
    prefixed.extend(&bytes);
    let h = ring::digest::digest(&ring::digest::SHA256, &prefixed);
    assert_eq!(leaf.leaf_hash().unwrap().as_slice(), h.as_ref());
}

#[test]
fn x509_leaf_layout_with_extensions() {
    let leaf = MerkleTreeLeaf {
        entry: TimestampedEntry {
            timestamp: 1,
            entry: SignedEntry::X509(vec![9, 9]),
            extensions: vec![0, 0, 5, 1, 2, 3, 4, 5],
        },
    };
    let want = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 9, 9, 0, 8, 0, 0, 5, 1, 2, 3, 4, 5,
    ];
    assert_eq!(leaf.to_bytes().unwrap(), want);
    assert_eq!(MerkleTreeLeaf::from_bytes(&want).unwrap(), leaf);
}

#[test]
fn leaf_parser_rejects_malformed_input() {
    let leaf = MerkleTreeLeaf {
        entry: TimestampedEntry {
            timestamp: TS,
            entry: SignedEntry::Precert(precert_entry()),
            extensions: vec![],
        },
    };
    let bytes = leaf.to_bytes().unwrap();
    let mut trailing = bytes.clone();
    trailing.push(0);
    for bad in [
        &bytes[..bytes.len() - 1],
        &trailing[..],
        &[&[1u8][..], &bytes[1..]].concat()[..],
        &[&[0u8, 1][..], &bytes[2..]].concat()[..],
        &[],
    ] {
        assert!(matches!(
            MerkleTreeLeaf::from_bytes(bad),
            Err(Error::Malformed { .. })
        ));
    }
    // Unknown entry type 2.
    let mut bad_type = bytes.clone();
    bad_type[11] = 2;
    assert!(MerkleTreeLeaf::from_bytes(&bad_type).is_err());
}

#[test]
fn extra_data_layouts() {
    let chain = vec![vec![1u8, 2], vec![3u8]];
    assert_eq!(
        certificate_chain(&chain).unwrap(),
        [0, 0, 9, 0, 0, 2, 1, 2, 0, 0, 1, 3]
    );
    assert_eq!(
        precert_chain_entry(&[7, 7, 7], &chain).unwrap(),
        [0, 0, 3, 7, 7, 7, 0, 0, 9, 0, 0, 2, 1, 2, 0, 0, 1, 3]
    );
}

#[test]
fn sct_layout_sign_and_verify() {
    let (signer, _) = EcdsaP256LogSigner::generate().unwrap();
    let key = signer.public_key().unwrap();
    let entry = SignedEntry::Precert(precert_entry());
    let sct = SignedCertificateTimestamp::sign(&signer, TS, &entry, vec![]).unwrap();
    assert_eq!(sct.log_id, signer.log_id());
    assert_eq!(
        sct.log_id.0.as_slice(),
        ring::digest::digest(&ring::digest::SHA256, key.spki_der()).as_ref()
    );
    sct.verify(&entry, &key).unwrap();

    let bytes = sct.to_bytes().unwrap();
    assert_eq!(bytes[0], 0, "v1");
    assert_eq!(&bytes[1..33], &sct.log_id.0);
    assert_eq!(&bytes[33..41], &TS.to_be_bytes());
    assert_eq!(&bytes[41..43], &[0, 0], "no extensions");
    assert_eq!(&bytes[43..45], &[HASH_SHA256, SIGNATURE_ECDSA]);
    let sig_len = usize::from(u16::from_be_bytes([bytes[45], bytes[46]]));
    assert_eq!(bytes.len(), 47 + sig_len);
    assert_eq!(bytes[47], 0x30, "DER Ecdsa-Sig-Value");
    assert_eq!(SignedCertificateTimestamp::from_bytes(&bytes).unwrap(), sct);
    assert_eq!(
        DigitallySigned::from_bytes(&bytes[43..]).unwrap(),
        sct.signature
    );
    assert!(DigitallySigned::from_bytes(&[&bytes[43..], &[0][..]].concat()).is_err());
    assert!(SignedCertificateTimestamp::from_bytes(&[&[1u8][..], &bytes[1..]].concat()).is_err());
}

#[test]
fn tampered_sct_fails() {
    let (signer, _) = EcdsaP256LogSigner::generate().unwrap();
    let key = signer.public_key().unwrap();
    let entry = SignedEntry::Precert(precert_entry());
    let sct = SignedCertificateTimestamp::sign(&signer, TS, &entry, vec![]).unwrap();

    let mut t = sct.clone();
    t.timestamp += 1;
    assert!(matches!(
        t.verify(&entry, &key),
        Err(Error::InvalidSignature)
    ));

    let mut t = sct.clone();
    t.extensions = vec![0];
    assert!(matches!(
        t.verify(&entry, &key),
        Err(Error::InvalidSignature)
    ));

    let mut t = sct.clone();
    let n = t.signature.signature.len();
    t.signature.signature[n - 1] ^= 1;
    assert!(matches!(
        t.verify(&entry, &key),
        Err(Error::InvalidSignature)
    ));

    let mut t = sct.clone();
    t.signature.hash_algorithm = 5;
    assert!(matches!(
        t.verify(&entry, &key),
        Err(Error::InvalidSignature)
    ));

    let mut other = precert_entry();
    other.issuer_key_hash[0] ^= 1;
    assert!(matches!(
        sct.verify(&SignedEntry::Precert(other), &key),
        Err(Error::InvalidSignature)
    ));
    // The same bytes as an x509 entry are a different statement.
    assert!(sct
        .verify(&SignedEntry::X509(precert_entry().tbs_certificate), &key)
        .is_err());

    // Another log's key: unknown log id; forged id: bad signature.
    let (other_log, _) = EcdsaP256LogSigner::generate().unwrap();
    let other_key = other_log.public_key().unwrap();
    assert!(matches!(
        sct.verify(&entry, &other_key),
        Err(Error::UnknownLog(_))
    ));
    let mut forged = sct.clone();
    forged.log_id = other_key.log_id();
    assert!(matches!(
        forged.verify(&entry, &other_key),
        Err(Error::InvalidSignature)
    ));
}

#[test]
fn sct_list_and_extension_encoding() {
    let (signer, _) = EcdsaP256LogSigner::generate().unwrap();
    let entry = SignedEntry::Precert(precert_entry());
    let a = SignedCertificateTimestamp::sign(&signer, 1, &entry, vec![]).unwrap();
    let b = SignedCertificateTimestamp::sign(&signer, 2, &entry, vec![1, 2]).unwrap();
    let (a_bytes, b_bytes) = (a.to_bytes().unwrap(), b.to_bytes().unwrap());

    let list = encode_sct_list(&[a.clone(), b.clone()]).unwrap();
    let body_len = 2 + a_bytes.len() + 2 + b_bytes.len();
    assert_eq!(&list[..2], &(body_len as u16).to_be_bytes());
    assert_eq!(&list[2..4], &(a_bytes.len() as u16).to_be_bytes());
    assert_eq!(&list[4..4 + a_bytes.len()], &a_bytes[..]);
    assert_eq!(decode_sct_list(&list).unwrap(), vec![a.clone(), b]);
    assert!(matches!(decode_sct_list(&[0, 0]), Err(Error::SctList(_))));
    assert!(decode_sct_list(&list[..list.len() - 1]).is_err());

    let ext = sct_list_extension(std::slice::from_ref(&a)).unwrap();
    assert_eq!(ext.extn_id, SCT_LIST_OID);
    assert!(!ext.critical);
    // extnValue = OCTET STRING (the extension's) containing an OCTET STRING containing the list.
    let inner = ext.extn_value.as_bytes();
    assert_eq!(inner[0], 0x04);
    let one = encode_sct_list(&[a]).unwrap();
    assert_eq!(OctetString::from_der(inner).unwrap().as_bytes(), &one[..]);
    let der = ext.to_der().unwrap();
    assert_eq!(Extension::from_der(&der).unwrap(), ext);
}

#[test]
fn log_keys_must_be_p256_or_rsa() {
    use ring::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, ECDSA_P384_SHA384_ASN1_SIGNING};
    use x509_cert::der::asn1::{BitString, ObjectIdentifier};
    use x509_cert::der::Any;
    use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
    let rng = ring::rand::SystemRandom::new();
    let spki = |oid: &str, curve: Option<&str>, key: &[u8]| {
        SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: ObjectIdentifier::new_unwrap(oid),
                parameters: curve
                    .map(|c| Any::encode_from(&ObjectIdentifier::new_unwrap(c)).unwrap()),
            },
            subject_public_key: BitString::from_bytes(key).unwrap(),
        }
        .to_der()
        .unwrap()
    };
    let p384 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, &rng).unwrap();
    let p384 =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, p384.as_ref(), &rng).unwrap();
    let ed = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let ed = Ed25519KeyPair::from_pkcs8(ed.as_ref()).unwrap();
    let p384 = spki(
        "1.2.840.10045.2.1",
        Some("1.3.132.0.34"),
        p384.public_key().as_ref(),
    );
    let ed = spki("1.3.101.112", None, ed.public_key().as_ref());
    for bad in [p384, ed, vec![1, 2, 3]] {
        assert!(matches!(
            LogPublicKey::from_spki_der(&bad),
            Err(Error::Key(_))
        ));
    }
    let (good, _) = EcdsaP256LogSigner::generate().unwrap();
    assert!(LogPublicKey::from_spki_der(good.public_key_der()).is_ok());
}

/// The public-good leaf's TBS with its SCT list replaced by `poison`.
fn tbs_with(poison: Option<Extension>) -> x509_cert::TbsCertificate {
    let bundle: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/vectors/rekor-v1/bundles/prod-hashedrekord-Python-3.12.5.tgz.sigstore.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let der = base64::engine::general_purpose::STANDARD
        .decode(
            bundle["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let mut tbs = Certificate::from_der(&der).unwrap().tbs_certificate;
    let exts = tbs.extensions.as_mut().unwrap();
    exts.retain(|e| e.extn_id != SCT_LIST_OID);
    exts.extend(poison);
    tbs
}

#[test]
fn poison_is_checked_and_removed() {
    let good = sigstack_ct::poison_extension().unwrap();
    assert_eq!(
        good.to_der().unwrap()[2..],
        [
            0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x03, 0x01, 0x01,
            0xff, 0x04, 0x02, 0x05, 0x00
        ]
    );
    let hash = [7u8; 32];
    let entry = PrecertEntry::from_precert_tbs(&tbs_with(Some(good.clone())), &hash).unwrap();
    assert_eq!(entry.tbs_certificate, tbs_with(None).to_der().unwrap());
    assert_eq!(entry.issuer_key_hash, hash);

    let mut not_critical = good.clone();
    not_critical.critical = false;
    let mut not_null = good.clone();
    not_null.extn_value = OctetString::new(vec![0x05, 0x01, 0x00]).unwrap();
    for bad in [None, Some(not_critical), Some(not_null)] {
        assert!(matches!(
            PrecertEntry::from_precert_tbs(&tbs_with(bad), &hash),
            Err(Error::Poison(_))
        ));
    }
    let mut twice = tbs_with(Some(good.clone()));
    twice.extensions.as_mut().unwrap().push(good);
    assert!(PrecertEntry::from_precert_tbs(&twice, &hash).is_err());
    assert_eq!(CT_POISON_OID.to_string(), "1.3.6.1.4.1.11129.2.4.3");
}
