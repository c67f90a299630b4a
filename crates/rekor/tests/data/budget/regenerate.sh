#!/bin/sh
# Regenerates the fixtures of tests/api_budget.rs (run from this directory; needs openssl).
# Private keys are made afresh and deleted at the end.
#
# - dup-ca.pem: a self-issued P-256 CA "CN=dup ca"; dup-ca-N.pem: the same subject and key
#   with other serial numbers (distinct certificates that all sign each other);
# - leaf.pem: a P-256 leaf issued by that CA; leaf.sig: its ECDSA-SHA256 signature over
#   ../artifact.txt (so leaf + dup-ca is a valid chain);
# - other-root.pem: an unrelated self-signed root "CN=unrelated root".
set -eu
ART=../artifact.txt
openssl ecparam -name prime256v1 -genkey -noout -out ca.key
ca_ext='-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign'
openssl req -new -x509 -key ca.key -out dup-ca.pem -days 3650 -subj "/CN=dup ca" -set_serial 1 $ca_ext 2>/dev/null
for n in 2 3 4 5 6 7 8 9; do
  openssl req -new -x509 -key ca.key -out dup-ca-$n.pem -days 3650 -subj "/CN=dup ca" -set_serial $n $ca_ext 2>/dev/null
done
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key
openssl req -new -key leaf.key -subj "/CN=budget leaf" -out leaf.csr 2>/dev/null
printf 'subjectAltName=email:budget@example.com\nbasicConstraints=CA:FALSE\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA dup-ca.pem -CAkey ca.key -set_serial 100 -days 3650 \
  -extfile leaf.ext -out leaf.pem 2>/dev/null
openssl dgst -sha256 -sign leaf.key -out leaf.sig $ART
openssl ecparam -name prime256v1 -genkey -noout -out root.key
openssl req -new -x509 -key root.key -out other-root.pem -days 3650 -subj "/CN=unrelated root" $ca_ext 2>/dev/null
rm -f ca.key leaf.key root.key leaf.csr leaf.ext

# ring-ca-1..8.pem: eight CAs with the same subject "CN=ring ca" and their own keys, each
# signed by the next one's key (8 by 1), and ring-leaf.pem issued by ring-ca-1's key: the
# worst chain search this log can be given (every CA names every other as a possible
# issuer; only one of them is right each time).
for i in 1 2 3 4 5 6 7 8; do
  openssl ecparam -name prime256v1 -genkey -noout -out ring-$i.key
  openssl req -new -x509 -key ring-$i.key -out ring-ca-$i.self.pem -days 3650 -subj "/CN=ring ca" -set_serial $i $ca_ext 2>/dev/null
done
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n' > ca.ext
for i in 1 2 3 4 5 6 7 8; do
  j=$(( i % 8 + 1 ))
  openssl req -new -key ring-$i.key -subj "/CN=ring ca" -out ring.csr 2>/dev/null
  openssl x509 -req -in ring.csr -CA ring-ca-$j.self.pem -CAkey ring-$j.key -set_serial $((i + 10)) \
    -days 3650 -extfile ca.ext -out ring-ca-$i.pem 2>/dev/null
done
openssl ecparam -name prime256v1 -genkey -noout -out ring-leaf.key
openssl req -new -key ring-leaf.key -subj "/CN=ring leaf" -out ring.csr 2>/dev/null
printf 'basicConstraints=CA:FALSE\n' > leaf.ext
openssl x509 -req -in ring.csr -CA ring-ca-1.self.pem -CAkey ring-1.key -set_serial 200 -days 3650 \
  -extfile leaf.ext -out ring-leaf.pem 2>/dev/null
rm -f ring-*.key ring-ca-*.self.pem ring.csr ca.ext leaf.ext
