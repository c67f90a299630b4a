"""Reads entries from a sigstack Rekor v1 API with sigstore-python's own client and runs
its own offline checks on them (SET, Merkle inclusion, signed checkpoint), exactly as
`sigstore verify` does after fetching. Usage: probe.py URL LOG_KEY_PEM ENTRY_UUID PROPOSED_JSON NEW_JSON
(a hashedrekord proposal already logged, and one to submit). Exits non-zero with a message on the first failure."""

import base64
import json
import sys

import rekor_types

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)
from sigstore._internal.merkle import verify_merkle_inclusion
from sigstore._internal.rekor.checkpoint import verify_checkpoint
from sigstore._internal.rekor.client import RekorClient
from sigstore._internal.trust import Keyring, RekorKeyring
from sigstore_models.common import v1 as common_v1

url, pem_path, uuid, proposed_path, new_path = sys.argv[1:6]
der = load_pem_public_key(open(pem_path, "rb").read()).public_bytes(
    Encoding.DER, PublicFormat.SubjectPublicKeyInfo
)
keyring = RekorKeyring(
    Keyring(
        [
            common_v1.PublicKey(
                raw_bytes=base64.b64encode(der).decode(),
                key_details=common_v1.PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
            )
        ]
    )
)
client = RekorClient(url)
info = client.log.get()
assert info.tree_size >= 1, info


def check(entry, how):
    entry._verify_set(keyring)
    verify_merkle_inclusion(entry)
    verify_checkpoint(keyring, entry)
    print(f"{how}: index {entry._inner.log_index} verified")


check(client.log.entries.get(uuid=uuid), "get by uuid")

proposed = json.load(open(proposed_path))
found = client.log.entries.retrieve.post(rekor_types.Hashedrekord.model_validate(proposed))
assert found is not None, "retrieve/ found nothing"
check(found, "retrieve/ by proposed hashedrekord")

created = client.log.entries.post(json.load(open(new_path)))
check(created, "post (create entry)")
