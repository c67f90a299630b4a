//! pyca/cryptography — the X.509 stack under sigstore-python — accepts our certificates the way
//! sigstore-python uses it: its web-PKI client verifier (with sigstore-python's EKU override)
//! builds the chain, its own TBS re-encoding (`tbs_precertificate_bytes`) equals our precert
//! entry, and the embedded SCT verifies over the digitally-signed bytes rebuilt from it.
//!
//! `#[ignore]`d (a plain `cargo test` reports it skipped); tests/all.sh installs sigstore-python,
//! which brings `cryptography` ≥ 45, and runs it with `--ignored`, where a missing library fails.
#![allow(clippy::unwrap_used)]

mod cert_support;

use std::process::Command;

use cert_support::{golden_cert, issue, p384_chain_ca};
use sigstack_ct::{EcdsaP256LogSigner, PrecertEntry};
use sigstack_fulcio::cert::extensions as fx;
use sigstack_fulcio::cert::{CertificateProfile, San};
use x509_cert::der::Encode;

const SCRIPT: &str = r#"
import sys, struct, hashlib, datetime
from cryptography import x509
from cryptography.x509 import ExtendedKeyUsage
from cryptography.x509.verification import PolicyBuilder, Store, ExtensionPolicy, Criticality
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.asymmetric import ec
d = sys.argv[1]
r = lambda n: open(f"{d}/{n}", "rb").read()
leaf, inter, root = (x509.load_der_x509_certificate(r(n)) for n in ("leaf.der", "inter.der", "root.der"))
log_key = serialization.load_der_public_key(r("log.der"))
tbs = leaf.tbs_precertificate_bytes
assert tbs == r("tbs.der"), "pyca's precert TBS differs from ours"
scts = leaf.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps).value
assert len(scts) == 1, "sigstore-python wants exactly one SCT"
sct = scts[0]
assert isinstance(sct.signature_hash_algorithm, hashes.SHA256)
assert sct.entry_type == x509.certificate_transparency.LogEntryType.PRE_CERTIFICATE
assert sct.log_id == hashlib.sha256(r("log.der")).digest()
spki = inter.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
ts = int(sct.timestamp.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
msg = struct.pack(">BBQH", 0, 0, ts, 1) + hashlib.sha256(spki).digest() + len(tbs).to_bytes(3, "big") + tbs
msg += struct.pack(">H", len(sct.extension_bytes)) + sct.extension_bytes
log_key.verify(sct.signature, msg, ec.ECDSA(hashes.SHA256()))
ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(ExtendedKeyUsage, Criticality.NON_CRITICAL, None)
ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(ExtendedKeyUsage, Criticality.NON_CRITICAL, None)
at = datetime.datetime(2027, 1, 15, 8, 0, 30, tzinfo=datetime.timezone.utc)
verifier = PolicyBuilder().store(Store([root])).time(at).extension_policies(ca_policy=ca_policy, ee_policy=ee_policy).build_client_verifier()
chain = verifier.verify(leaf, [inter]).chain
assert len(chain) == 3, chain
print("pyca OK")
"#;

fn have_pyca() -> bool {
    Command::new("python3")
        .args([
            "-c",
            "import cryptography.x509.verification as v; v.ExtensionPolicy",
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
#[ignore = "needs real clients installed (tests/install-clients.sh); tests/all.sh runs it with --ignored"]
fn pyca_accepts_chain_and_embedded_sct() {
    assert!(
        have_pyca(),
        "python3 with cryptography >= 45 is missing: run tests/install-clients.sh"
    );
    let dir = std::env::temp_dir().join(format!("sigstack-cert-pyca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = EcdsaP256LogSigner::generate().unwrap().0;
    let ca = p384_chain_ca();
    for key in [
        "leaf-v2-ecdsa-p256-token-header",
        "leaf-v2-rsa2048-alg-RSA-unknown-enum",
    ] {
        let (golden, _) = golden_cert(key);
        let spki = golden
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap();
        for san in [
            San::Email("alice@example.com".into()),
            San::Uri(
                "https://github.com/org/repo/.github/workflows/build.yml@refs/heads/main".into(),
            ),
            San::Username("alice!example.com".into()),
        ] {
            let profile = CertificateProfile::new(
                &spki,
                san,
                &[
                    (fx::ISSUER_V1, "https://issuer.example"),
                    (fx::ISSUER_V2, "https://issuer.example"),
                ],
            )
            .unwrap();
            let issued = issue(&ca, &log, &profile);
            let (entry, _) =
                PrecertEntry::from_final_certificate(&issued.issued.der, ca.issuer_der()).unwrap();
            for (name, der) in [
                ("leaf.der", &issued.issued.der[..]),
                ("inter.der", &ca.chain_der()[0][..]),
                ("root.der", &ca.chain_der()[1][..]),
                ("log.der", log.public_key().unwrap().spki_der()),
                ("tbs.der", &entry.tbs_certificate[..]),
            ] {
                std::fs::write(dir.join(name), der).unwrap();
            }
            let out = Command::new("python3")
                .args(["-c", SCRIPT, dir.to_str().unwrap()])
                .output()
                .unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                out.status.success() && text.contains("pyca OK"),
                "{key}: {text}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
