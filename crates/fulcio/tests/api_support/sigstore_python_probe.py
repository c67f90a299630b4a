"""Drives sigstore-python's own Fulcio client and verification code against sigstack.

Usage: sigstore_python_probe.py BASE_URL TOKEN CT_LOG_KEY.der IDENTITY ISSUER

Signing side as `sigstore sign` does it: a P-256 key, sigstore-python's CSR, its Fulcio
client (POST /api/v2/signingCert), then its SCT check. Verifying side as `sigstore verify`
does it for the certificate: pyca's chain building against the trust bundle, the SCT check
again, KU/EKU, and the Identity policy (SAN + OIDC issuer extension). Prints OK.
"""

import base64
import sys
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
)
from sigstore._internal.fulcio.client import FulcioClient
from sigstore._internal.sct import verify_sct
from sigstore._internal.trust import Keyring
from sigstore.oidc import IdentityToken
from sigstore.verify.policy import Identity
from sigstore_models.common import v1 as common_v1

base_url, token, ct_key_path, identity, issuer = sys.argv[1:6]

ct_keyring = Keyring(
    [
        common_v1.PublicKey(
            raw_bytes=base64.b64encode(open(ct_key_path, "rb").read()).decode(),
            key_details=common_v1.PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
        )
    ]
)

key = ec.generate_private_key(ec.SECP256R1())
csr = (
    x509.CertificateSigningRequestBuilder()
    .subject_name(x509.Name([]))
    .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    .sign(key, hashes.SHA256())
)
client = FulcioClient(base_url)
resp = client.signing_cert.post(csr, IdentityToken(token))
verify_sct(resp.cert, resp.chain, ct_keyring)
print("signed, SCT verified")

bundle = client.trust_bundle.get()
ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
    x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
)
ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
    x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
)
verifier = (
    PolicyBuilder()
    .store(Store(bundle.trust_bundle[0]))
    .time(datetime.now(timezone.utc))
    .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
    .build_client_verifier()
)
chain = verifier.verify(resp.cert, []).chain[1:]
verify_sct(resp.cert, chain, ct_keyring)
assert resp.cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
assert (
    x509.oid.ExtendedKeyUsageOID.CODE_SIGNING
    in resp.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
)
Identity(identity=identity, issuer=issuer).verify(resp.cert)
print("OK")
