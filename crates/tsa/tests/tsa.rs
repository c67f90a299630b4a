//! The TSA end to end inside the crate: requests built with x509-tsp, responses taken apart
//! with x509-tsp/cms and their signatures checked with ring against the chain's leaf.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{header, Request as HttpRequest, StatusCode};
use cms::signed_data::SignedData;
use der::asn1::{Int, OctetString};
use der::oid::db::rfc5912::{ID_SHA_1, ID_SHA_224, ID_SHA_256, ID_SHA_384};
use der::oid::ObjectIdentifier;
use der::{Any, Decode, Encode};
use http_body_util::BodyExt as _;
use ring::digest::{digest, SHA256};
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
use sigstack_tsa::server::{router, TsaService};
use sigstack_tsa::{chain, Authority, Request, TsaError, DEFAULT_POLICY, ID_CT_TST_INFO};
use tower::ServiceExt as _;
use x509_cert::spki::AlgorithmIdentifier;
use x509_cert::Certificate;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

fn authority() -> Authority {
    let made = chain::create(
        "sigstack-test",
        "tsa.test",
        SystemTime::now() - Duration::from_secs(60),
    )
    .unwrap();
    Authority::new(&made.leaf_key_pkcs8, made.chain_der).unwrap()
}

struct Query {
    hash: ObjectIdentifier,
    digest: Vec<u8>,
    nonce: Option<Vec<u8>>,
    policy: Option<ObjectIdentifier>,
    cert_req: bool,
}

impl Query {
    fn sha256(data: &[u8]) -> Self {
        Self {
            hash: ID_SHA_256,
            digest: digest(&SHA256, data).as_ref().to_vec(),
            nonce: Some(vec![0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]),
            policy: None,
            cert_req: true,
        }
    }

    fn der(&self) -> Vec<u8> {
        TimeStampReq {
            version: TspVersion::V1,
            message_imprint: MessageImprint {
                hash_algorithm: AlgorithmIdentifier {
                    oid: self.hash,
                    parameters: Some(Any::null()),
                },
                hashed_message: OctetString::new(self.digest.clone()).unwrap(),
            },
            req_policy: self.policy,
            nonce: self.nonce.as_ref().map(|n| Int::new(n).unwrap()),
            cert_req: self.cert_req,
            extensions: None,
        }
        .to_der()
        .unwrap()
    }
}

/// The parts of a response a client checks, after checking the CMS signature and the
/// messageDigest attribute against the leaf.
struct Parsed {
    tst: TstInfo,
    certificates: usize,
}

fn parse_and_verify(resp: &[u8], authority: &Authority) -> Parsed {
    let resp = TimeStampResp::from_der(resp).unwrap();
    assert_eq!(resp.status.status, cmpv2::status::PkiStatus::Accepted);
    let token = resp.time_stamp_token.unwrap();
    assert_eq!(token.content_type, sigstack_tsa::ID_SIGNED_DATA);
    let sd = SignedData::from_der(&token.content.to_der().unwrap()).unwrap();
    assert_eq!(sd.encap_content_info.econtent_type, ID_CT_TST_INFO);
    let tst_der = sd
        .encap_content_info
        .econtent
        .as_ref()
        .unwrap()
        .value()
        .to_vec();
    let tst = TstInfo::from_der(&tst_der).unwrap();
    let signer = sd.signer_infos.0.as_slice().first().unwrap();
    let attrs = signer.signed_attrs.as_ref().unwrap();
    let md = attrs
        .iter()
        .find(|a| a.oid.to_string() == "1.2.840.113549.1.9.4")
        .unwrap();
    let md = md
        .values
        .get(0)
        .unwrap()
        .decode_as::<OctetString>()
        .unwrap();
    assert_eq!(md.as_bytes(), digest(&SHA256, &tst_der).as_ref());
    let leaf = Certificate::from_der(&authority.chain_der()[0]).unwrap();
    let point = leaf
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes()
        .to_vec();
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point)
        .verify(&attrs.to_der().unwrap(), signer.signature.as_bytes())
        .expect("the CMS signature verifies with the leaf key");
    Parsed {
        tst,
        certificates: sd.certificates.map(|c| c.0.len()).unwrap_or(0),
    }
}

#[test]
fn a_token_carries_the_imprint_nonce_default_policy_and_accuracy() {
    let authority = authority();
    let q = Query::sha256(b"artifact");
    let request = Request::from_der(&q.der()).unwrap();
    let resp = authority.timestamp(&request, SystemTime::now()).unwrap();
    let parsed = parse_and_verify(&resp, &authority);
    let tst = parsed.tst;
    assert_eq!(tst.message_imprint.hash_algorithm.oid, ID_SHA_256);
    assert_eq!(tst.message_imprint.hashed_message.as_bytes(), &q.digest[..]);
    assert_eq!(tst.nonce.unwrap().as_bytes(), &q.nonce.unwrap()[..]);
    assert_eq!(tst.policy, DEFAULT_POLICY);
    assert_eq!(tst.accuracy.unwrap().seconds, Some(1));
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap();
    let gen = tst.gen_time.to_unix_duration();
    assert!(gen <= now && now - gen < Duration::from_secs(60));
    assert_eq!(parsed.certificates, 1, "certReq TRUE embeds the leaf");
}

#[test]
fn cert_req_false_embeds_no_certificate_and_no_nonce_is_echoed_as_none() {
    let authority = authority();
    let mut q = Query::sha256(b"artifact");
    q.cert_req = false;
    q.nonce = None;
    let resp = authority
        .timestamp(&Request::from_der(&q.der()).unwrap(), SystemTime::now())
        .unwrap();
    let parsed = parse_and_verify(&resp, &authority);
    assert_eq!(parsed.certificates, 0);
    assert!(parsed.tst.nonce.is_none());
}

#[test]
fn sha384_imprints_are_accepted() {
    let authority = authority();
    let mut q = Query::sha256(b"x");
    q.hash = ID_SHA_384;
    q.digest = vec![7; 48];
    let resp = authority
        .timestamp(&Request::from_der(&q.der()).unwrap(), SystemTime::now())
        .unwrap();
    assert_eq!(
        parse_and_verify(&resp, &authority)
            .tst
            .message_imprint
            .hash_algorithm
            .oid,
        ID_SHA_384
    );
}

#[test]
fn policy_is_echoed_when_it_is_ours_and_refused_otherwise() {
    let authority = authority();
    let mut q = Query::sha256(b"x");
    q.policy = Some(DEFAULT_POLICY);
    let resp = authority
        .timestamp(&Request::from_der(&q.der()).unwrap(), SystemTime::now())
        .unwrap();
    assert_eq!(
        parse_and_verify(&resp, &authority).tst.policy,
        DEFAULT_POLICY
    );
    q.policy = Some(ObjectIdentifier::new_unwrap("1.2.3.4"));
    let e = authority
        .timestamp(&Request::from_der(&q.der()).unwrap(), SystemTime::now())
        .unwrap_err();
    assert!(matches!(e, TsaError::Policy), "{e:?}");
    assert_eq!(e.status(), 400);
}

#[test]
fn unknown_weak_and_mismatched_hashes_are_refused_with_400() {
    let mut q = Query::sha256(b"x");
    q.hash = ID_SHA_1;
    q.digest = vec![1; 20];
    let e = Request::from_der(&q.der()).unwrap_err();
    assert!(matches!(e, TsaError::WeakHash), "{e:?}");
    q.hash = ID_SHA_224;
    q.digest = vec![1; 28];
    let e = Request::from_der(&q.der()).unwrap_err();
    assert!(matches!(e, TsaError::BadRequest(_)), "{e:?}");
    q.hash = ObjectIdentifier::new_unwrap("1.2.3.4.5");
    let e = Request::from_der(&q.der()).unwrap_err();
    assert!(matches!(e, TsaError::BadRequest(_)), "{e:?}");
    q.hash = ID_SHA_256;
    q.digest = vec![1; 31];
    let e = Request::from_der(&q.der()).unwrap_err();
    assert!(matches!(e, TsaError::DigestLength), "{e:?}");
    assert_eq!(e.status(), 400);
}

#[test]
fn malformed_der_is_refused_never_panics() {
    let good = Query::sha256(b"x").der();
    for cut in 0..good.len() {
        let e = Request::from_der(&good[..cut]).unwrap_err();
        assert_eq!(e.status(), 400, "prefix {cut}");
    }
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(Request::from_der(&trailing).is_err(), "trailing bytes");
    for i in 0..good.len() {
        let mut flipped = good.clone();
        flipped[i] ^= 0xff;
        if let Err(e) = Request::from_der(&flipped) {
            assert_eq!(e.status(), 400, "byte {i}");
        }
    }
    assert!(Request::from_der(b"not DER at all").is_err());
}

#[test]
fn serial_numbers_are_positive_20_bytes_and_do_not_repeat() {
    let authority = authority();
    let request = Request::from_der(&Query::sha256(b"x").der()).unwrap();
    let now = SystemTime::now();
    let mut seen = HashSet::new();
    for _ in 0..500 {
        let resp = authority.timestamp(&request, now).unwrap();
        let tst = parse_and_verify(&resp, &authority).tst;
        let serial = tst.serial_number.as_bytes().to_vec();
        assert_eq!(serial.len(), 20);
        assert!(serial[0] & 0x80 == 0);
        assert!(seen.insert(serial), "a serial repeated");
    }
}

#[test]
fn the_chain_is_a_timestamping_leaf_under_its_root() {
    let made = chain::create("o", "cn", SystemTime::now()).unwrap();
    let leaf = Certificate::from_der(&made.chain_der[0]).unwrap();
    chain::check_leaf(&leaf).unwrap();
    let root = Certificate::from_der(&made.chain_der[1]).unwrap();
    assert_eq!(leaf.tbs_certificate.issuer, root.tbs_certificate.subject);
    // The root is a CA, so it is not a timestamping leaf.
    assert!(chain::check_leaf(&root).is_err());
    // A key that is not the leaf's is refused.
    assert!(Authority::new(&made.root_key_pkcs8, made.chain_der.clone()).is_err());
    // A chain without its root is refused.
    assert!(Authority::new(&made.leaf_key_pkcs8, made.chain_der[..1].to_vec()).is_err());
    let pem = Authority::new(&made.leaf_key_pkcs8, made.chain_der)
        .unwrap()
        .chain_pem()
        .unwrap();
    assert_eq!(pem.matches("-----BEGIN CERTIFICATE-----").count(), 2);
}

#[test]
fn json_requests_work_like_der_ones() {
    let digest_b64 = "LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=";
    let r = Request::from_json(
        format!(r#"{{"artifactHash":"{digest_b64}","hashAlgorithm":"SHA256","certificates":true,"nonce":12345}}"#)
            .as_bytes(),
    )
    .unwrap();
    assert!(r.cert_req);
    assert_eq!(r.nonce.unwrap().as_bytes(), &[0x30, 0x39]);
    let e = Request::from_json(br#"{"artifactHash":"AAAA","hashAlgorithm":"sha256"}"#).unwrap_err();
    assert!(matches!(e, TsaError::DigestLength));
    let e = Request::from_json(br#"{"artifactHash":"AAAA","hashAlgorithm":"sha1"}"#).unwrap_err();
    assert!(matches!(e, TsaError::WeakHash));
    let big = format!(r#"{{"artifactHash":"{}"}}"#, "A".repeat(2000));
    assert!(matches!(
        Request::from_json(big.as_bytes()),
        Err(TsaError::TooLarge)
    ));
}

// --- HTTP ------------------------------------------------------------------------------

async fn post(
    service: &Arc<TsaService>,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, String, Vec<u8>) {
    let response = router(Arc::clone(service))
        .oneshot(
            HttpRequest::post("/api/v1/timestamp")
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let ct = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, ct, body)
}

#[tokio::test]
async fn http_answers_like_timestamp_authority() {
    let service = Arc::new(TsaService::new(authority()).unwrap());
    let q = Query::sha256(b"http").der();

    let (status, ct, body) = post(&service, "application/timestamp-query", q.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "application/timestamp-reply");
    parse_and_verify(&body, service.authority());

    // Media type parameters are ignored.
    let (status, _, _) = post(&service, "application/timestamp-query; x=y", q.clone()).await;
    assert_eq!(status, StatusCode::OK);

    let refusals: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "application/timestamp-query",
            b"\x30\x03\x02\x01".to_vec(),
            StatusCode::BAD_REQUEST,
            "Error generating timestamp response",
        ),
        (
            "application/timestamp-query",
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "Error generating timestamp response",
        ),
        (
            "application/timestamp-query",
            vec![0x30; sigstack_tsa::MAX_DER_REQUEST + 1],
            StatusCode::BAD_REQUEST,
            "timestamp request is too large",
        ),
        (
            "application/xml",
            q.clone(),
            StatusCode::BAD_REQUEST,
            "Error generating timestamp response",
        ),
        (
            "text/plain",
            q.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Error generating timestamp response",
        ),
    ];
    for (ct, body, want, message) in refusals {
        let (status, got_ct, text) = post(&service, ct, body).await;
        assert_eq!(status, want, "{ct}");
        assert_eq!(got_ct, "application/json");
        let v: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(v["code"], want.as_u16());
        assert_eq!(v["message"], message);
    }

    let (status, _, body) = post(
        &service,
        "application/json",
        br#"{"artifactHash":"LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=","hashAlgorithm":"sha256"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(parse_and_verify(&body, service.authority()).certificates, 0);

    assert_eq!(service.metrics().issued(), 3);
    let refused: u64 = service.metrics().refused().iter().map(|(_, n)| n).sum();
    assert_eq!(refused, 5);

    let response = router(Arc::clone(&service))
        .oneshot(
            HttpRequest::get("/api/v1/timestamp/certchain")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/pem-certificate-chain"
    );
    let pem = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        std::str::from_utf8(&pem).unwrap(),
        service.authority().chain_pem().unwrap()
    );
}

#[test]
fn request_extensions_are_refused() {
    let q = Query::sha256(b"x");
    let mut req = TimeStampReq::from_der(&q.der()).unwrap();
    req.extensions = Some(vec![x509_cert::ext::Extension {
        extn_id: ObjectIdentifier::new_unwrap("1.2.3.4"),
        critical: false,
        extn_value: OctetString::new(vec![5, 0]).unwrap(),
    }]);
    let e = Request::from_der(&req.to_der().unwrap()).unwrap_err();
    assert!(matches!(e, TsaError::Extension), "{e:?}");
    assert_eq!(e.status(), 400);
}
