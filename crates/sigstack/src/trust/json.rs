//! The JSON documents clients load to trust a private instance: the `TrustedRoot`, the
//! `SigningConfig` v0.2 and sigstore-python's `ClientTrustConfig` (spec §8.1–8.2).
//!
//! These are protobuf-JSON documents that clients parse strictly in places that are easy to
//! get wrong, so the rules live here in one place: the media types are the exact strings
//! sigstore-go and sigstore-python accept (not the `…v0.2+json` form the proto comments
//! mention), a log's `keyId` is SHA-256 of its DER SPKI (sigstore-go indexes CT logs by the
//! SCT's log ID), CA chains run issuing certificate first and root last, and every key carries
//! `validFor.start`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::digest::{digest, SHA256};
use serde_json::{json, Value};

/// `TrustedRoot.mediaType`.
pub const TRUSTED_ROOT_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
/// `SigningConfig.mediaType` (v0.2: service lists with versions and validity).
pub const SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
/// `ClientTrustConfig.mediaType` (sigstore-python's `--trust-config`).
pub const CLIENT_TRUST_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";
/// `PublicKeyDetails` of every key sigstack makes.
pub const P256_KEY_DETAILS: &str = "PKIX_ECDSA_P256_SHA_256";

/// A transparency or CT log as the trusted root lists it.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// Base URL (a CT log's API is under `<base>/ct/v1/`, Rekor's under `<base>/api/v1/`).
    pub base_url: String,
    /// DER SubjectPublicKeyInfo (ECDSA P-256).
    pub spki_der: Vec<u8>,
    /// RFC 3339 start of the key's validity.
    pub valid_from: String,
}

/// The CA as the trusted root lists it.
#[derive(Debug, Clone)]
pub struct CaEntry {
    /// Where clients request certificates.
    pub uri: String,
    /// `O=` of the root.
    pub organization: String,
    /// `CN=` of the root.
    pub common_name: String,
    /// DER certificates, issuing first, root last (the leaf never included).
    pub chain_der: Vec<Vec<u8>>,
    /// RFC 3339 start of the CA's validity (leaves issued before it are refused).
    pub valid_from: String,
}

/// Everything the documents are made from.
#[derive(Debug, Clone)]
pub struct Instance {
    /// The Rekor v1 log.
    pub tlog: LogEntry,
    /// The CA.
    pub ca: CaEntry,
    /// The CT log.
    pub ctlog: LogEntry,
    /// The timestamp authority, when the data directory has one: `uri` is the full
    /// `…/api/v1/timestamp` URL, the chain `[leaf, root]` (leaf first, unlike a CA's), the
    /// names those of the root, `valid_from` the leaf's start.
    pub tsa: Option<CaEntry>,
    /// `operator` of every signing-config service (clients keep one service per operator).
    pub operator: String,
}

/// The SHA-256 key ID clients compute for a log key, base64.
pub fn key_id(spki_der: &[u8]) -> String {
    STANDARD.encode(digest(&SHA256, spki_der).as_ref())
}

fn log_json(log: &LogEntry) -> Value {
    json!({
        "baseUrl": log.base_url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": STANDARD.encode(&log.spki_der),
            "keyDetails": P256_KEY_DETAILS,
            "validFor": { "start": log.valid_from },
        },
        "logId": { "keyId": key_id(&log.spki_der) },
    })
}

/// The `TrustedRoot` document.
pub fn trusted_root(instance: &Instance) -> Value {
    let ca = &instance.ca;
    let certificates: Vec<Value> = ca
        .chain_der
        .iter()
        .map(|der| json!({ "rawBytes": STANDARD.encode(der) }))
        .collect();
    let mut root = json!({
        "mediaType": TRUSTED_ROOT_MEDIA_TYPE,
        "tlogs": [log_json(&instance.tlog)],
        "certificateAuthorities": [{
            "subject": { "organization": ca.organization, "commonName": ca.common_name },
            "uri": ca.uri,
            "certChain": { "certificates": certificates },
            "validFor": { "start": ca.valid_from },
        }],
        "ctlogs": [log_json(&instance.ctlog)],
    });
    if let (Some(tsa), Some(fields)) = (&instance.tsa, root.as_object_mut()) {
        let chain: Vec<Value> = tsa
            .chain_der
            .iter()
            .map(|der| json!({ "rawBytes": STANDARD.encode(der) }))
            .collect();
        fields.insert(
            "timestampAuthorities".into(),
            json!([{
                "subject": { "organization": tsa.organization, "commonName": tsa.common_name },
                "uri": tsa.uri,
                "certChain": { "certificates": chain },
                "validFor": { "start": tsa.valid_from },
            }]),
        );
    }
    root
}

fn service(url: &str, start: &str, operator: &str) -> Value {
    json!({
        "url": url,
        "majorApiVersion": 1,
        "validFor": { "start": start },
        "operator": operator,
    })
}

/// The `SigningConfig` v0.2 document: our CA (API v1, which is what clients call the
/// `/api/v2` Fulcio protocol) and our Rekor v1 log; no OIDC provider (there is no
/// interactive flow: tokens come from the operator's issuer) and our timestamp authority (its
/// full `…/api/v1/timestamp` URL, API v1) when there is one.
pub fn signing_config(instance: &Instance) -> Value {
    let tsa_urls: Vec<Value> = instance
        .tsa
        .iter()
        .map(|t| service(&t.uri, &t.valid_from, &instance.operator))
        .collect();
    json!({
        "mediaType": SIGNING_CONFIG_MEDIA_TYPE,
        "caUrls": [service(&instance.ca.uri, &instance.ca.valid_from, &instance.operator)],
        "oidcUrls": [],
        "rekorTlogUrls": [service(&instance.tlog.base_url, &instance.tlog.valid_from, &instance.operator)],
        "tsaUrls": tsa_urls,
        "rekorTlogConfig": { "selector": "ANY" },
        "tsaConfig": { "selector": "ANY" },
    })
}

/// sigstore-python's `ClientTrustConfig`: both documents in one file.
pub fn client_trust_config(instance: &Instance) -> Value {
    json!({
        "mediaType": CLIENT_TRUST_CONFIG_MEDIA_TYPE,
        "trustedRoot": trusted_root(instance),
        "signingConfig": signing_config(instance),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::PathBuf;
    use x509_cert::der::Decode as _;

    fn vectors(rel: &str) -> Vec<(String, Value)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/vectors")
            .join(rel);
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((
                path.display().to_string(),
                serde_json::from_str(&text).unwrap(),
            ));
        }
        assert!(!out.is_empty(), "no vectors in {}", dir.display());
        out
    }

    fn keys(v: &Value) -> BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    }

    fn sample() -> Instance {
        let (ca, _) = sigstack_fulcio::cert::CaKey::generate(
            sigstack_fulcio::cert::CaKeyAlgorithm::EcdsaP256,
        )
        .unwrap();
        let (int, _) = sigstack_fulcio::cert::CaKey::generate(
            sigstack_fulcio::cert::CaKeyAlgorithm::EcdsaP256,
        )
        .unwrap();
        let spec = sigstack_fulcio::cert::CaSpec {
            organization: "example".into(),
            common_name: "example".into(),
            lifetime: std::time::Duration::from_secs(3600),
        };
        let authority = sigstack_fulcio::cert::CertificateAuthority::create(
            &spec,
            ca,
            Some(int),
            std::time::SystemTime::now(),
        )
        .unwrap();
        let spki = || {
            let (signer, _) = sigstack_ct::EcdsaP256LogSigner::generate().unwrap();
            signer.public_key().unwrap().spki_der().to_vec()
        };
        Instance {
            tlog: LogEntry {
                base_url: "http://127.0.0.1:3000".into(),
                spki_der: spki(),
                valid_from: "2025-01-01T00:00:00Z".into(),
            },
            ca: CaEntry {
                uri: "http://127.0.0.1:3000".into(),
                organization: "example".into(),
                common_name: "example".into(),
                chain_der: authority.chain_der().to_vec(),
                valid_from: "2025-01-01T00:00:00Z".into(),
            },
            ctlog: LogEntry {
                base_url: "http://127.0.0.1:3000".into(),
                spki_der: spki(),
                valid_from: "2025-01-01T00:00:00Z".into(),
            },
            operator: "example".into(),
            tsa: None,
        }
    }

    /// Our trusted root has exactly the fields, at every level, that the real ones have
    /// (timestamp authorities aside: we have none), with the same enum spellings.
    #[test]
    fn trusted_root_matches_the_real_ones() {
        let ours = trusted_root(&sample());
        for (name, real) in vectors("rekor-v1/trusted-roots")
            .into_iter()
            .chain(vectors("rekor-v2/trusted-roots"))
        {
            assert_eq!(ours["mediaType"], real["mediaType"], "{name}");
            let mut top = keys(&real);
            top.remove("timestampAuthorities");
            assert_eq!(keys(&ours), top, "{name}");
            for list in ["tlogs", "ctlogs"] {
                let (o, r) = (&ours[list][0], &real[list][0]);
                assert_eq!(keys(o), keys(r), "{name} {list}");
                assert_eq!(
                    keys(&o["publicKey"]),
                    keys(&r["publicKey"]),
                    "{name} {list}"
                );
                assert_eq!(keys(&o["logId"]), keys(&r["logId"]), "{name} {list}");
                assert_eq!(o["hashAlgorithm"], r["hashAlgorithm"], "{name} {list}");
            }
            assert_eq!(
                ours["tlogs"][0]["publicKey"]["keyDetails"],
                real["tlogs"][0]["publicKey"]["keyDetails"],
                "{name}"
            );
            let r = &real["certificateAuthorities"][0];
            let o = &ours["certificateAuthorities"][0];
            assert_eq!(keys(o), keys(r), "{name}");
            // Scaffolding's root has no CN, so the subject may have fewer names than ours.
            assert!(
                keys(&r["subject"]).is_subset(&keys(&o["subject"])),
                "{name}"
            );
            assert_eq!(
                keys(&o["certChain"]["certificates"][0]),
                keys(&r["certChain"]["certificates"][0]),
                "{name}"
            );
        }
    }

    /// With a TSA, the trusted root lists it with the fields, at every level, that the real
    /// roots' `timestampAuthorities` have, chain leaf first; the signing config lists its full
    /// `…/api/v1/timestamp` URL as an API v1 service.
    #[test]
    fn the_tsa_is_listed_like_the_real_ones() {
        let made =
            sigstack_tsa::chain::create("example", "example-tsa", std::time::SystemTime::now())
                .unwrap();
        let mut instance = sample();
        instance.tsa = Some(CaEntry {
            uri: "http://127.0.0.1:3000/api/v1/timestamp".into(),
            organization: "example".into(),
            common_name: "example-tsa-root".into(),
            chain_der: made.chain_der.clone(),
            valid_from: "2025-01-01T00:00:00Z".into(),
        });
        let ours = trusted_root(&instance);
        let o = &ours["timestampAuthorities"][0];
        let mut compared = 0;
        for (name, real) in vectors("rekor-v2/trusted-roots") {
            let Some(r) = real["timestampAuthorities"].get(0) else {
                continue;
            };
            compared += 1;
            assert_eq!(keys(o), keys(r), "{name}");
            assert_eq!(keys(&o["subject"]), keys(&r["subject"]), "{name}");
            assert_eq!(keys(&o["validFor"]), keys(&r["validFor"]), "{name}");
        }
        assert!(compared > 0, "no real root with a TSA among the vectors");
        let chain = o["certChain"]["certificates"].as_array().unwrap();
        assert_eq!(chain.len(), 2);
        assert_eq!(
            chain[0]["rawBytes"],
            STANDARD.encode(&made.chain_der[0]),
            "leaf first"
        );
        let config = signing_config(&instance);
        let tsa = &config["tsaUrls"][0];
        assert_eq!(tsa["url"], "http://127.0.0.1:3000/api/v1/timestamp");
        assert_eq!(tsa["majorApiVersion"], 1);
        assert_eq!(tsa["operator"], "example");
        assert_eq!(signing_config(&sample())["tsaUrls"], serde_json::json!([]));
    }

    /// The rules we follow hold in the real roots: a P-256 log's key ID is SHA-256 of its
    /// SPKI, and each CA chain ends with its self-signed root.
    #[test]
    fn real_roots_follow_our_rules() {
        for (name, real) in vectors("rekor-v1/trusted-roots")
            .into_iter()
            .chain(vectors("rekor-v2/trusted-roots"))
        {
            for list in ["tlogs", "ctlogs"] {
                for log in real[list].as_array().unwrap() {
                    if log["publicKey"]["keyDetails"] != P256_KEY_DETAILS {
                        continue;
                    }
                    let raw = STANDARD
                        .decode(log["publicKey"]["rawBytes"].as_str().unwrap())
                        .unwrap();
                    assert_eq!(log["logId"]["keyId"], key_id(&raw).as_str(), "{name}");
                }
            }
            for ca in real["certificateAuthorities"].as_array().unwrap() {
                let certs = ca["certChain"]["certificates"].as_array().unwrap();
                let parse = |v: &Value| {
                    let der = STANDARD.decode(v["rawBytes"].as_str().unwrap()).unwrap();
                    x509_cert::Certificate::from_der(&der).unwrap()
                };
                let last = parse(certs.last().unwrap());
                assert_eq!(
                    last.tbs_certificate.issuer, last.tbs_certificate.subject,
                    "{name}: root last"
                );
                for c in &certs[..certs.len() - 1] {
                    let c = parse(c);
                    assert_ne!(
                        c.tbs_certificate.issuer, c.tbs_certificate.subject,
                        "{name}"
                    );
                }
            }
        }
        // …and ours.
        let ours = trusted_root(&sample());
        let chain = ours["certificateAuthorities"][0]["certChain"]["certificates"]
            .as_array()
            .unwrap();
        let der = STANDARD
            .decode(chain[1]["rawBytes"].as_str().unwrap())
            .unwrap();
        let root = x509_cert::Certificate::from_der(&der).unwrap();
        assert_eq!(root.tbs_certificate.issuer, root.tbs_certificate.subject);
        let spki = STANDARD
            .decode(ours["ctlogs"][0]["publicKey"]["rawBytes"].as_str().unwrap())
            .unwrap();
        let ct = sigstack_ct::LogPublicKey::from_spki_der(&spki).unwrap();
        assert_eq!(
            ours["ctlogs"][0]["logId"]["keyId"],
            STANDARD.encode(ct.log_id().0).as_str()
        );
    }

    #[test]
    fn signing_config_matches_the_real_ones() {
        let ours = signing_config(&sample());
        for (name, real) in vectors("rekor-v2/signing-config") {
            assert_eq!(keys(&ours), keys(&real), "{name}");
            assert_eq!(ours["mediaType"], real["mediaType"], "{name}");
            for list in ["caUrls", "rekorTlogUrls"] {
                assert_eq!(keys(&ours[list][0]), keys(&real[list][0]), "{name} {list}");
            }
            assert_eq!(
                ours["caUrls"][0]["majorApiVersion"],
                real["caUrls"][0]["majorApiVersion"]
            );
            assert_eq!(ours["rekorTlogConfig"], real["rekorTlogConfig"], "{name}");
        }
        assert_eq!(ours["rekorTlogUrls"][0]["majorApiVersion"], 1);
    }

    #[test]
    fn client_trust_config_wraps_both() {
        let instance = sample();
        let config = client_trust_config(&instance);
        assert_eq!(config["mediaType"], CLIENT_TRUST_CONFIG_MEDIA_TYPE);
        assert_eq!(config["trustedRoot"], trusted_root(&instance));
        assert_eq!(config["signingConfig"], signing_config(&instance));
    }
}
