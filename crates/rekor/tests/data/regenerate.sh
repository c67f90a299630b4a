#!/bin/sh
# Regenerates the throw-away fixtures of the adversarial tests (run from this directory).
# Needs openssl and ssh-keygen. The private keys are made afresh and deleted at the end.
set -eu
ART=artifact.txt
printf 'sigstack adversarial test artifact\n' > $ART

# P-521 key, ECDSA-SHA512 signature over the artifact (hashedrekord signs the digest).
openssl ecparam -name secp521r1 -genkey -noout -out p521.key.pem
openssl ec -in p521.key.pem -pubout -out p521.pub.pem 2>/dev/null
openssl dgst -sha512 -sign p521.key.pem -out p521-sha512.sig $ART
openssl dgst -sha256 -sign p521.key.pem -out p521-sha256.sig $ART

# RSA-2048: an RSA-PSS signature (Rekor only verifies PKCS #1 v1.5 for hashedrekord).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key.pem 2>/dev/null
openssl pkey -in rsa.key.pem -pubout -out rsa.pub.pem
openssl dgst -sha256 -sign rsa.key.pem -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -out rsa-pss.sig $ART
openssl dgst -sha256 -sign rsa.key.pem -out rsa-pkcs1.sig $ART

# A P-256 certificate with no SubjectAltName at all.
openssl ecparam -name prime256v1 -genkey -noout -out nosan.key.pem
openssl req -new -x509 -key nosan.key.pem -out nosan.cert.pem -days 3650 -subj "/CN=no san" \
  -addext "basicConstraints=critical,CA:FALSE" 2>/dev/null
openssl dgst -sha256 -sign nosan.key.pem -out nosan.sig $ART

# An RSA CA and a P-256 leaf it signs with RSA-PSS, SAN URI + email (chain verification).
openssl req -new -x509 -key rsa.key.pem -out ca.cert.pem -days 3650 -subj "/CN=test ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
  -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key.pem
openssl req -new -key leaf.key.pem -subj "/CN=leaf" -out leaf.csr 2>/dev/null
printf 'subjectAltName=critical,URI:https://example.com/workflow,email:Mixed.Case@Example.com\nbasicConstraints=CA:FALSE\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.cert.pem -CAkey rsa.key.pem -CAcreateserial -days 3650 \
  -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -extfile leaf.ext -out leaf.cert.pem 2>/dev/null
cat leaf.cert.pem ca.cert.pem > chain.pem
openssl dgst -sha256 -sign leaf.key.pem -out leaf.sig $ART
rm -f leaf.csr leaf.ext ca.cert.srl

# SSHSIG over the artifact with the golden ssh key, hashed with SHA-256 (Rekor refuses it).
cp ../../../../tests/vectors/golden/rekor-v1.5.3/keys/rekord-ssh-ed25519.key ssh.key
chmod 600 ssh.key
ssh-keygen -Y sign -f ssh.key -n file -O hashalg=sha256 $ART 2>/dev/null
mv $ART.sig ssh-sha256.sig
ssh-keygen -Y sign -f ssh.key -n file $ART 2>/dev/null
mv $ART.sig ssh-sha512.sig
rm -f ssh.key
# Only public material is kept.
rm -f ./*.key.pem
