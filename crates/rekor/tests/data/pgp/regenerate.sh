#!/bin/sh
# Regenerates the OpenPGP and minisign fixtures of tests/rekord_pgp_minisign.rs and
# tests/api_pgp_minisign.rs (run from this directory). Needs gpg (2.2+) and minisign (0.8+).
# Keys are made afresh in a temporary GNUPGHOME, without passphrases; only public keys,
# signatures and the artifact are kept.
set -eu
export GNUPGHOME="$(mktemp -d)"
MS="$(mktemp -d)"
trap 'gpgconf --kill all 2>/dev/null || true; rm -rf "$GNUPGHOME" "$MS"' EXIT
g() { gpg --batch --quiet --pinentry-mode loopback --passphrase '' "$@"; }
fpr() { g --with-colons --list-keys "$1" | awk -F: '/^fpr/ {print $10; exit}'; }
sub_fpr() { g --with-colons --list-keys "$1" | awk -F: '/^fpr/ {n++} /^fpr/ && n==2 {print $10; exit}'; }

ART=artifact.txt
printf 'sigstack pgp test artifact\nsecond line\r\nthird line\n' > $ART

# RSA-3072 primary (sign, certify), a second user ID, an RSA-2048 signing subkey.
g --quick-gen-key 'RSA Test <rsa@example.com>' rsa3072 sign never
RSA=$(fpr rsa@example.com)
g --quick-add-uid "$RSA" 'Second Identity (work) <Second.Mixed@Example.COM>'
g --quick-add-key "$RSA" rsa2048 sign never
RSA_SUB=$(sub_fpr rsa@example.com)
g --armor --export "$RSA" > rsa.pub.asc
g --export "$RSA" > rsa.pub.gpg
g --local-user "$RSA!" --armor --detach-sign --output rsa.asc $ART
g --local-user "$RSA!" --detach-sign --output rsa.sig $ART
g --local-user "$RSA_SUB!" --armor --detach-sign --output rsa-subkey.asc $ART
g --local-user "$RSA!" --textmode --armor --detach-sign --output rsa-text.asc $ART
g --local-user "$RSA!" --digest-algo SHA1 --armor --detach-sign --output rsa-sha1.asc $ART
g --local-user "$RSA!" --digest-algo SHA224 --armor --detach-sign --output rsa-sha224.asc $ART
g --local-user "$RSA!" --digest-algo SHA512 --armor --detach-sign --output rsa-sha512.asc $ART

# ECDSA keys on the three NIST curves, the P-256 one with an ECDH encryption subkey.
for c in nistp256 nistp384 nistp521; do
  g --quick-gen-key "ECDSA $c <$c@example.com>" $c sign never
  F=$(fpr $c@example.com)
  [ $c = nistp256 ] && g --quick-add-key "$F" nistp256 encr never
  g --armor --export "$F" > ecdsa-$c.pub.asc
  g --local-user "$F!" --armor --detach-sign --output ecdsa-$c.asc $ART
done
g --local-user "$(fpr nistp256@example.com)!" --digest-algo SHA512 --armor --detach-sign \
  --output ecdsa-nistp256-sha512.asc $ART

# Two keys in one armor block, and the same two as two blocks.
g --armor --export "$RSA" "$(fpr nistp384@example.com)" > two-keys.pub.asc
cat rsa.pub.asc ecdsa-nistp521.pub.asc > two-blocks.pub.asc

# An EdDSA key (Rekor's library cannot read it): refused.
g --quick-gen-key 'EdDSA Test <eddsa@example.com>' ed25519 sign never
g --armor --export eddsa@example.com > eddsa.pub.asc
g --local-user "$(fpr eddsa@example.com)!" --armor --detach-sign --output eddsa.asc $ART

# A key that expired in 2020, and its signature from then: Rekor does not check expiry.
g --faked-system-time 20200101T000000 --quick-gen-key 'Expired <expired@example.com>' rsa2048 sign 1d
EXP=$(fpr expired@example.com)
g --faked-system-time 20200101T120000 --local-user "$EXP!" --armor --detach-sign \
  --output expired.asc $ART
g --armor --export "$EXP" > expired.pub.asc

# A revoked key (its signature was made before the revocation): Rekor refuses it.
g --quick-gen-key 'Revoked <revoked@example.com>' rsa2048 sign never
REV=$(fpr revoked@example.com)
g --local-user "$REV!" --armor --detach-sign --output revoked.asc $ART
sed 's/^:-----BEGIN/-----BEGIN/' "$GNUPGHOME/openpgp-revocs.d/$REV.rev" > "$GNUPGHOME/rev.asc"
g --import "$GNUPGHOME/rev.asc"
g --armor --export "$REV" > revoked.pub.asc

# minisign: a key pair without password, a prehashed (default) and a legacy signature.
minisign -G -W -p minisign.pub -s "$MS/minisign.key" >/dev/null
minisign -S -s "$MS/minisign.key" -m $ART -x minisign.minisig >/dev/null
minisign -S -l -s "$MS/minisign.key" -m $ART -x minisign-legacy.minisig >/dev/null
minisign -G -W -p minisign-other.pub -s "$MS/other.key" >/dev/null
