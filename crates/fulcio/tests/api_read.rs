//! The read-only endpoints against the Fulcio 1.6.5 captures: `trustBundle`, `rootCert`,
//! `configuration`, `healthz` — status, content type, shape and PEM framing — and CORS.
#![allow(clippy::unwrap_used)]

mod api_support;

use api_support::*;
use x509_cert::der::Encode;

fn golden_content_type(record: &serde_json::Value) -> String {
    record["response"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("content-type"))
        .map(|h| h[1].as_str().unwrap().to_owned())
        .unwrap()
}

fn ders(pems: &[String]) -> Vec<Vec<u8>> {
    pems.iter()
        .map(|p| {
            x509_cert::Certificate::load_pem_chain(p.as_bytes())
                .unwrap()
                .remove(0)
                .to_der()
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn trust_bundle() {
    let s = start().await;
    let golden = golden("read/GET-api-v2-trustBundle.json");
    let r = s.get("/api/v2/trustBundle").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").unwrap(),
        golden_content_type(&golden)
    );
    let j = r.json();
    let chains = j["chains"].as_array().unwrap();
    assert_eq!(chains.len(), 1);
    let pems: Vec<String> = chains[0]["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    // Like Fulcio's, every PEM string of the trust bundle ends with a newline.
    let gpem = golden["response"]["body_json"]["chains"][0]["certificates"][0]
        .as_str()
        .unwrap();
    assert!(gpem.ends_with("-----END CERTIFICATE-----\n"));
    assert!(pems
        .iter()
        .all(|p| p.ends_with("-----END CERTIFICATE-----\n")));
    assert_eq!(
        ders(&pems),
        s.service.ca().chain_der(),
        "intermediate first, root last"
    );
}

#[tokio::test]
async fn root_cert_with_and_without_accept() {
    let s = start().await;
    for (case, accept) in [
        ("read/GET-api-v1-rootCert.json", None),
        (
            "read/GET-api-v1-rootCert-accept-pem.json",
            Some("application/pem-certificate-chain"),
        ),
    ] {
        let golden = golden(case);
        let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
        let r = s.request("GET", "/api/v1/rootCert", &headers, b"").await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-type").unwrap(),
            golden_content_type(&golden)
        );
        let text = r.text();
        let gtext = golden["response"]["body_text"].as_str().unwrap();
        assert_eq!(
            text.ends_with('\n'),
            gtext.ends_with('\n'),
            "trailing newline as Fulcio"
        );
        let blocks = split_pem(&text);
        assert_eq!(text, blocks.join("\n"));
        assert_eq!(ders(&blocks), s.service.ca().chain_der());
    }
}

#[tokio::test]
async fn configuration_lists_the_issuers() {
    let s = start().await;
    let golden = golden("read/GET-api-v2-configuration.json");
    let r = s.get("/api/v2/configuration").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").unwrap(),
        golden_content_type(&golden)
    );
    let j = r.json();
    let issuers = j["issuers"].as_array().unwrap();
    assert_eq!(issuers.len(), 3);
    let email = issuers
        .iter()
        .find(|i| i["issuerUrl"] == EMAIL_ISSUER)
        .unwrap();
    // The golden entry for the same issuer, plus `skipEmailVerification` (Fulcio ≥ 1.7).
    let mut expected = golden["response"]["body_json"]["issuers"][0].clone();
    expected["skipEmailVerification"] = false.into();
    assert_eq!(email, &expected);
}

#[tokio::test]
async fn healthz_is_byte_exact() {
    let s = start().await;
    let golden = golden("read/GET-healthz.json");
    let r = s.get("/healthz").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").unwrap(),
        golden_content_type(&golden)
    );
    assert_eq!(r.text(), golden["response"]["body_text"].as_str().unwrap());
}

#[tokio::test]
async fn cors_is_permissive() {
    let s = start().await;
    let r = s.get("/api/v2/trustBundle").await;
    assert_eq!(r.header("vary"), Some("Origin"));
    assert!(r.header("access-control-allow-origin").is_none());
    let r = s
        .request(
            "GET",
            "/api/v2/trustBundle",
            &[("Origin", "https://app.example")],
            b"",
        )
        .await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let r = s
        .request(
            "OPTIONS",
            "/api/v2/signingCert",
            &[
                ("Origin", "https://app.example"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
            b"",
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-methods"), Some("POST"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("content-type")
    );
}
