//! Writes the seed inputs of every fuzz target into `fuzz/corpus/<target>/seed-*`: valid
//! examples from the test vectors and the crates' test data, plus inputs signed here with
//! throw-away keys (tokens, certificate chains, signed challenges) so campaigns start behind
//! the signature checks. Run `cargo run -p sigstack-fuzz-targets --example seeds`, then
//! minimize with `cargo fuzz cmin` (docs/fuzzing.md).
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::{json, Value};
use sigstack_ct::{EcdsaP256LogSigner, SignedCertificateTimestamp, SignedEntry};
use sigstack_fulcio::cert::{
    CaKey, CaKeyAlgorithm, CaSpec, CertificateAuthority, CertificateProfile, San,
};
use sigstack_fuzz_targets::{join, token, TARGETS};
use sigstack_test_oidc::TestKey;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn write(target: &str, name: &str, data: &[u8]) {
    assert!(TARGETS.iter().any(|(t, _)| *t == target), "{target}");
    let dir = root().join("fuzz/corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
}

fn pem_der(pem: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(pem);
    let mut out = Vec::new();
    let mut b64 = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("-----BEGIN") {
            inside = true;
            b64.clear();
        } else if line.starts_with("-----END") {
            inside = false;
            out.push(STANDARD.decode(&b64).unwrap());
        } else if inside && !line.contains(':') {
            b64.push_str(line.trim());
        }
    }
    out
}

const GOLDEN: &str = "tests/vectors/golden/rekor-v1.5.3/create";

fn main() {
    merkle();
    entries();
    pgp();
    ssh();
    minisign();
    pkix();
    oidc_token();
    pop();
    ct();
}

fn merkle() {
    let mut input = Vec::new();
    input.extend_from_slice(&3u64.to_le_bytes());
    input.extend_from_slice(&7u64.to_le_bytes());
    input.extend_from_slice(&[0x11; 32]);
    input.extend_from_slice(&[0x22; 32]);
    input.extend_from_slice(&[0x33; 96]);
    write("proof_verify", "3-of-7", &input);
    let mut edge = Vec::new();
    edge.extend_from_slice(&u64::MAX.to_le_bytes());
    edge.extend_from_slice(&u64::MAX.to_le_bytes());
    edge.extend_from_slice(&[0; 64]);
    write("proof_verify", "max", &edge);

    // Every multi-line string of the signed-note vectors: notes, checkpoints, vkeys.
    let mut n = 0;
    for file in [
        "c2sp-spec-examples.json",
        "formats-checkpoints-and-vkeys.json",
        "x-mod-sumdb-note.json",
    ] {
        let v: Value =
            serde_json::from_slice(&read(&format!("tests/vectors/signed-note/{file}"))).unwrap();
        let mut strings = Vec::new();
        collect_strings(&v, &mut strings);
        for s in strings.iter().filter(|s| s.contains('\n')).take(12) {
            n += 1;
            write("note_parse", &format!("{file}-{n}"), s.as_bytes());
        }
    }
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(o) => o.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// The golden create requests (and canonical bodies, lookup's input), by kind, as specs.
fn entries() {
    let dir = root().join(GOLDEN);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json") && !n.ends_with(".envelope.json"))
        .collect();
    names.sort();
    for name in names {
        let v: Value = serde_json::from_slice(&std::fs::read(dir.join(&name)).unwrap()).unwrap();
        let body: Value = match v.get("request") {
            Some(req) => serde_json::from_str(req["body_text"].as_str().unwrap()).unwrap(),
            None => v,
        };
        let kind = body["kind"].as_str().unwrap();
        let spec = serde_json::to_vec(&body["spec"]).unwrap();
        write(&format!("entry_{kind}"), &name, &spec);
    }
    for name in ["hashedrekord-v001.proposed.json", "dsse-v001.proposed.json"] {
        let body: Value = serde_json::from_slice(&read(&format!(
            "tests/vectors/rekor-v1/proposed-entries/{name}"
        )))
        .unwrap();
        let kind = body["kind"].as_str().unwrap();
        write(
            &format!("entry_{kind}"),
            name,
            &serde_json::to_vec(&body["spec"]).unwrap(),
        );
    }
}

/// The parts of a golden `rekord` request: decoded key, signature and artifact.
fn golden_rekord(name: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let v: Value = serde_json::from_slice(&read(&format!("{GOLDEN}/{name}"))).unwrap();
    let body: Value = serde_json::from_str(v["request"]["body_text"].as_str().unwrap()).unwrap();
    let spec = &body["spec"];
    let d = |v: &Value| STANDARD.decode(v.as_str().unwrap()).unwrap();
    (
        d(&spec["signature"]["publicKey"]["content"]),
        d(&spec["signature"]["content"]),
        d(&spec["data"]["content"]),
    )
}

fn pgp() {
    let (k, s, a) = golden_rekord("rekord-pgp-rsa2048-armored.json");
    write("pgp", "golden-rsa2048", &join(&[&k, &s, &a]));
    let data = "crates/rekor/tests/data/pgp";
    let artifact = read(&format!("{data}/artifact.txt"));
    for (key, sig) in [
        ("rsa.pub.asc", "rsa.asc"),
        ("rsa.pub.gpg", "rsa.sig"),
        ("rsa.pub.asc", "rsa-subkey.asc"),
        ("ecdsa-nistp256.pub.asc", "ecdsa-nistp256.asc"),
        ("ecdsa-nistp384.pub.asc", "ecdsa-nistp384.asc"),
        ("ecdsa-nistp521.pub.asc", "ecdsa-nistp521.asc"),
        ("eddsa.pub.asc", "eddsa.asc"),
        ("expired.pub.asc", "expired.asc"),
        ("revoked.pub.asc", "revoked.asc"),
        ("two-keys.pub.asc", "rsa.asc"),
        ("two-blocks.pub.asc", "rsa-text.asc"),
    ] {
        let k = read(&format!("{data}/{key}"));
        let s = read(&format!("{data}/{sig}"));
        write("pgp", &format!("{key}-{sig}"), &join(&[&k, &s, &artifact]));
    }
}

fn ssh() {
    let (k, s, a) = golden_rekord("rekord-ssh-ed25519.json");
    write("ssh", "golden-ed25519", &join(&[&k, &s, &a]));
    // Binary forms: the key blob and the raw SSHSIG blob (the target wraps them).
    let line = String::from_utf8(k.clone()).unwrap();
    let blob = STANDARD
        .decode(line.split_whitespace().nth(1).unwrap())
        .unwrap();
    let sig_blob = pem_der(&s).remove(0);
    write(
        "ssh",
        "golden-ed25519-binary",
        &join(&[&blob, &sig_blob, &a]),
    );
    let data = "crates/rekor/tests/data";
    let artifact = read(&format!("{data}/artifact.txt"));
    for sig in ["ssh-sha256.sig", "ssh-sha512.sig"] {
        write(
            "ssh",
            sig,
            &join(&[&k, &read(&format!("{data}/{sig}")), &artifact]),
        );
    }
}

fn minisign() {
    let data = "crates/rekor/tests/data/pgp";
    let artifact = read(&format!("{data}/artifact.txt"));
    for (key, sig) in [
        ("minisign.pub", "minisign.minisig"),
        ("minisign.pub", "minisign-legacy.minisig"),
        ("minisign-other.pub", "minisign.minisig"),
    ] {
        let k = read(&format!("{data}/{key}"));
        let s = read(&format!("{data}/{sig}"));
        write(
            "minisign",
            &format!("{key}-{sig}"),
            &join(&[&k, &s, &artifact]),
        );
    }
    // Binary form: key line, signature line, trusted comment, global signature.
    let k = read(&format!("{data}/minisign.pub"));
    let s = String::from_utf8(read(&format!("{data}/minisign.minisig"))).unwrap();
    let kl = String::from_utf8(k).unwrap();
    let key_blob = STANDARD.decode(kl.lines().nth(1).unwrap().trim()).unwrap();
    let lines: Vec<&str> = s.lines().collect();
    let sig_blob = STANDARD.decode(lines[1].trim()).unwrap();
    let trusted = lines[2].trim_start_matches("trusted comment: ");
    let global = STANDARD.decode(lines[3].trim()).unwrap();
    write(
        "minisign",
        "binary",
        &join(&[&key_blob, &sig_blob, &artifact, trusted.as_bytes(), &global]),
    );
}

fn pkix() {
    let algos = "tests/vectors/rekor-v1/client-algos";
    for (key, sig, file) in [
        ("ec_public.pem", "file1.ec.sig", "file1"),
        ("rsa_public.pem", "file1.rsa.sig", "file1"),
        ("ed25519_public.pem", "file1.ed25519ph.sig", "file1"),
        ("ed25519_public.pem", "file1.ed25519.sig", "file1"),
    ] {
        let k = read(&format!("{algos}/{key}"));
        let s = read(&format!("{algos}/{sig}"));
        let a = read(&format!("{algos}/{file}"));
        write("pkix", sig, &join(&[&k, &s, &a]));
        // DER form of the same key.
        let der = pem_der(&k).remove(0);
        write("pkix", &format!("{sig}-der"), &join(&[&der, &s, &a]));
    }
    let data = "crates/rekor/tests/data";
    let artifact = read(&format!("{data}/artifact.txt"));
    for (key, sig) in [
        ("leaf.cert.pem", "leaf.sig"),
        ("chain.pem", "leaf.sig"),
        ("nosan.cert.pem", "nosan.sig"),
        ("p521.pub.pem", "p521-sha512.sig"),
        ("rsa.pub.pem", "rsa-pkcs1.sig"),
    ] {
        let k = read(&format!("{data}/{key}"));
        let s = read(&format!("{data}/{sig}"));
        write("pkix", key, &join(&[&k, &s, &artifact]));
    }
    // The chain as DER parts (leaf, CA).
    let chain = pem_der(&read(&format!("{data}/chain.pem")));
    let s = read(&format!("{data}/leaf.sig"));
    let mut p: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
    p.push(&s);
    p.push(&artifact);
    write("pkix", "chain-der", &join(&p));
}

fn oidc_token() {
    let now = token::NOW;
    let base = |iss: &str| json!({"iss": iss, "aud": "sigstore", "sub": "fuzz-subject", "iat": now, "nbf": now, "exp": now + 600});
    let mut cases: Vec<(&str, Value, Value)> = Vec::new();
    let mut email = base("https://email.example.com");
    email["email"] = json!("alice@example.com");
    email["email_verified"] = json!(true);
    cases.push((
        "email-es256",
        json!({"alg": "ES256", "kid": "es256", "typ": "JWT"}),
        email.clone(),
    ));
    cases.push((
        "email-rs256",
        json!({"alg": "RS256", "kid": "rsa"}),
        email.clone(),
    ));
    cases.push(("email-eddsa-nokid", json!({"alg": "EdDSA"}), email.clone()));
    let mut lax = base("https://lax.example.com");
    lax["email"] = json!("bob@example.com");
    lax["federated"] = json!({"connector": "https://upstream.example.com"});
    cases.push(("lax", json!({"alg": "ES384", "kid": "es384"}), lax));
    for (name, iss, preset) in [
        (
            "github",
            "https://gh.example.com",
            sigstack_test_oidc::presets::github_actions(),
        ),
        (
            "gitlab",
            "https://gl.example.com",
            sigstack_test_oidc::presets::gitlab_ci(),
        ),
        (
            "buildkite",
            "https://bk.example.com",
            sigstack_test_oidc::presets::buildkite(),
        ),
        (
            "codefresh",
            "https://cf.example.com",
            sigstack_test_oidc::presets::codefresh(),
        ),
        (
            "kubernetes",
            "https://k8s.eu-1.example.com/id/abc",
            sigstack_test_oidc::presets::kubernetes(),
        ),
        (
            "spiffe",
            "https://spiffe.example.com",
            sigstack_test_oidc::presets::spiffe(),
        ),
        (
            "ci-provider",
            "https://ci.example.com",
            sigstack_test_oidc::presets::github_actions(),
        ),
    ] {
        let mut claims = base(iss);
        for (k, v) in preset {
            claims[k] = v;
        }
        cases.push((name, json!({"alg": "ES256", "kid": "es256"}), claims));
    }
    let mut uri = base("https://uri.example.com");
    uri["sub"] = json!("https://uri.example.com/users/alice");
    cases.push(("uri", json!({"alg": "ES256"}), uri));
    let mut cg = base("https://cg.example.com");
    cg["sub"] = json!("identity-id");
    cases.push(("chainguard", json!({"alg": "ES256"}), cg));
    cases.push((
        "username",
        json!({"alg": "PS256", "kid": "rsa"}),
        base("https://user.example.com"),
    ));
    for (name, header, claims) in &cases {
        let h = serde_json::to_vec(header).unwrap();
        let c = serde_json::to_vec(claims).unwrap();
        write("oidc_token", name, &join(&[&h, &c]));
    }
    // Whole tokens, as a client sends them.
    for (name, header, claims) in cases.iter().take(3) {
        let t = token::sign_token(
            &serde_json::to_vec(header).unwrap(),
            &serde_json::to_vec(claims).unwrap(),
        );
        write("oidc_token", &format!("{name}-token"), t.as_bytes());
    }
}

fn pop() {
    let fixtures = "crates/fulcio/tests/fixtures";
    for csr in [
        "csr-ed25519.pem",
        "csr-p256-email-subject.pem",
        "csr-p256-sha512.pem",
        "csr-p384-sha256.pem",
        "csr-p384-sha384.pem",
        "csr-p521-sha512.pem",
        "csr-rsa1024.pem",
        "csr-rsa2048-sha256.pem",
        "csr-secp256k1.pem",
    ] {
        let pem = read(&format!("{fixtures}/{csr}"));
        write("pop_csr", csr, &pem);
        write("pop_csr", &format!("{csr}-der"), &pem_der(&pem).remove(0));
    }
    let challenge = b"alice@example.com";
    for key in [
        TestKey::es256("k"),
        TestKey::es384("k"),
        TestKey::ed25519("k"),
        TestKey::rsa("k"),
    ] {
        let sig = key.sign_raw(challenge);
        let name = format!("challenge-{:?}", key.kind());
        write(
            "pop_csr",
            &name,
            &join(&[key.public_key_pem().as_bytes(), &sig, challenge]),
        );
        write(
            "pop_csr",
            &format!("{name}-der"),
            &join(&[&key.public_key_der(), &sig, challenge]),
        );
    }
}

fn ct() {
    // A Fulcio-shaped CA (root + intermediate), a precertificate and its final certificate.
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(token::NOW as u64);
    let (root_key, _) = CaKey::generate(CaKeyAlgorithm::EcdsaP384).unwrap();
    let (int_key, _) = CaKey::generate(CaKeyAlgorithm::EcdsaP256).unwrap();
    let spec = CaSpec {
        organization: "sigstack-fuzz".into(),
        common_name: "fuzz".into(),
        lifetime: Duration::from_secs(3650 * 86400),
    };
    let ca = CertificateAuthority::create(&spec, root_key, Some(int_key), now).unwrap();
    let leaf_key = TestKey::es256("leaf");
    let profile = CertificateProfile::new(
        &leaf_key.public_key_der(),
        San::Email("alice@example.com".into()),
        &[],
    )
    .unwrap();
    let precert = ca.precertificate(&profile, now).unwrap();
    let pre_der = precert.der().to_vec();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &SystemRandom::new())
        .unwrap();
    let signer = EcdsaP256LogSigner::from_pkcs8(pkcs8.as_ref()).unwrap();
    let entry = SignedEntry::Precert(precert.ct_entry().unwrap());
    let sct = SignedCertificateTimestamp::sign(&signer, 1, &entry, Vec::new()).unwrap();
    let issued = ca.certificate(precert, &[sct]).unwrap();
    let chain = ca.chain_der().to_vec();

    let body = |certs: &[&[u8]]| {
        serde_json::to_vec(
            &json!({"chain": certs.iter().map(|c| STANDARD.encode(c)).collect::<Vec<_>>()}),
        )
        .unwrap()
    };
    let pre: Vec<&[u8]> = [pre_der.as_slice()]
        .into_iter()
        .chain(chain.iter().map(Vec::as_slice))
        .collect();
    let fin: Vec<&[u8]> = [issued.der.as_slice()]
        .into_iter()
        .chain(chain.iter().map(Vec::as_slice))
        .collect();
    write("ct_add_chain", "pre-chain.json", &body(&pre));
    write("ct_add_chain", "final-chain.json", &body(&fin));
    write("ct_add_chain", "pre-chain-der", &join(&pre));
    write("ct_add_chain", "final-chain-der", &join(&fin));
    write("ct_add_chain", "final-no-root-der", &join(&fin[..2]));
    // A golden Fulcio leaf with the fixed root (issued directly by it).
    let golden = "tests/vectors/golden/fulcio-1.6.5/certs";
    let leaf = pem_der(&read(&format!(
        "{golden}/leaf-v2-ecdsa-p256-token-header.pem"
    )));
    let groot = pem_der(&read(&format!("{golden}/ephemeral-root.pem")));
    write(
        "ct_add_chain",
        "golden-fulcio.json",
        &body(&[&leaf[0], &groot[0]]),
    );
    write("ct_add_chain", "golden-fulcio-der", &join(&[&leaf[0]]));
}
