#!/usr/bin/env bash
# End-to-end: sigstack's RFC 3161 timestamp authority with real clients — OpenSSL's
# `ts -query | curl | ts -verify` (with and without the certificate in the token) and
# cosign 2.5 (`sign-blob --timestamp-server-url … --rfc3161-timestamp`, then `verify-blob
# --timestamp-certificate-chain … --use-signed-timestamps`), bad queries answered 4xx (never
# 5xx), the /metrics counters, the trust documents, and a data directory without TSA files
# (TSA off with a log line; `init` adds the files).
#
# Run:   bash tests/e2e/tsa.sh        (tests/all.sh runs every tests/e2e/*.sh)
# Needs: openssl, curl, cosign 2.5, python3 (free port). SQLite only: the TSA keeps no state.
#        KEEP=1 keeps the work directory; SIGSTACK_BIN=PATH uses that binary instead of
#        building the release one.
# Output: one `ok NAME` / `FAIL NAME` line per check, then `e2e: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/../.."

# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
require_prerequisites openssl curl cosign python3 timeout
use_release_binary

WORK="$(mktemp -d /tmp/sigstack-tsa.XXXXXX)"
server_pid=""
cleanup() {
  kill_children "$server_pid"
  remove_work
}
trap cleanup EXIT

data="$WORK/data"
f="$WORK/files"
mkdir -p "$f" "$WORK/home"
export HOME="$WORK/home"
port="$(free_port)"
url="http://127.0.0.1:$port"
tsa="$url/api/v1/timestamp"

"$SIGSTACK" up --data-dir "$data" --listen "127.0.0.1:$port" --hostname tsa-e2e.test \
  >"$WORK/serve.log" 2>&1 &
server_pid=$!
if wait_ready "$url" "$server_pid"; then ok "the stack is up (/readyz 200)"; else
  fail "the stack is up (/readyz 200)" "$(cat "$WORK/serve.log")"
  finish
  exit 1
fi

# --- the chain and the trust documents ---------------------------------------------------
check "GET /api/v1/timestamp/certchain" curl -fsS -o "$f/chain.pem" "$tsa/certchain"
if [ "$(grep -c 'BEGIN CERTIFICATE' "$f/chain.pem")" -eq 2 ]; then ok "the chain is leaf + root"; else
  fail "the chain is leaf + root" "$(cat "$f/chain.pem")"
fi
awk '/BEGIN/{n++} n==1' "$f/chain.pem" >"$f/leaf.pem"
awk '/BEGIN/{n++} n==2' "$f/chain.pem" >"$f/root.pem"
check_grep "the leaf's EKU is timeStamping, critical" \
  "Extended Key Usage: critical" openssl x509 -in "$f/leaf.pem" -noout -text
check "the served chain is the one in DIR/trust" cmp "$f/chain.pem" "$data/trust/tsa-chain.pem"
check_grep "trusted_root.json lists the TSA" '"timestampAuthorities"' cat "$data/trust/trusted_root.json"
check_grep "signing_config.json lists the TSA URL" "\"url\": \"$tsa\"" \
  cat "$data/trust/signing_config.json"

# --- OpenSSL ----------------------------------------------------------------------------
echo "timestamped $RANDOM$RANDOM" >"$f/file.txt"
openssl_round() { # $1 = name, $2 = extra query flag (-cert or nothing)
  local name="$1" flag="${2:-}"
  # shellcheck disable=SC2086
  openssl ts -query -data "$f/file.txt" -sha256 $flag -out "$f/$name.tsq" 2>/dev/null
  check_grep "openssl $name: application/timestamp-reply" \
    "^content-type: application/timestamp-reply" \
    curl -sS -D - -o "$f/$name.tsr" --data-binary "@$f/$name.tsq" \
    -H 'Content-Type: application/timestamp-query' "$tsa"
  check_grep "openssl ts -verify -data ($name)" "Verification: OK" \
    openssl ts -verify -data "$f/file.txt" -in "$f/$name.tsr" -CAfile "$f/root.pem" \
    -untrusted "$f/leaf.pem"
  check_grep "openssl ts -verify -queryfile ($name: nonce, imprint, policy)" "Verification: OK" \
    openssl ts -verify -queryfile "$f/$name.tsq" -in "$f/$name.tsr" -CAfile "$f/root.pem" \
    -untrusted "$f/leaf.pem"
}
openssl_round with-cert -cert
openssl_round no-cert
check_grep "openssl ts -verify with only the root (the token embeds the leaf)" "Verification: OK" \
  openssl ts -verify -data "$f/file.txt" -in "$f/with-cert.tsr" -CAfile "$f/root.pem"
check_refused "openssl needs the leaf when the token does not embed it" "" \
  openssl ts -verify -data "$f/file.txt" -in "$f/no-cert.tsr" -CAfile "$f/root.pem"
check_grep "the token names our default policy and 1 s accuracy" \
  "Policy OID: 1.3.6.1.4.1.57264.2" openssl ts -reply -in "$f/with-cert.tsr" -text
echo "other" >"$f/other.txt"
check_refused "openssl refuses the token for other data" "" \
  openssl ts -verify -data "$f/other.txt" -in "$f/with-cert.tsr" -CAfile "$f/root.pem" \
  -untrusted "$f/leaf.pem"
check_refused "openssl refuses the token under another root" "" \
  openssl ts -verify -data "$f/file.txt" -in "$f/with-cert.tsr" -CAfile "$data/trust/ca-chain.pem" \
  -untrusted "$f/leaf.pem"

# --- bad queries: 4xx with timestamp-authority's message, never 5xx ----------------------
# post CONTENT-TYPE FILE: the command that POSTs FILE and prints the answer (the error
# bodies are JSON `{"code":N,"message":…}`), then the status on its own line.
post() { POST=(curl -sS -w '\n%{http_code}\n' --data-binary "@$2" -H "Content-Type: $1" "$tsa"); }
openssl ts -query -data "$f/file.txt" -sha1 -out "$f/sha1.tsq" 2>/dev/null
post application/timestamp-query "$f/sha1.tsq"
check_grep "SHA-1 query: 400 weak hash" '"code":400,"message":"Weak hash algorithm in timestamp request"' "${POST[@]}"
openssl ts -query -data "$f/file.txt" -sha224 -out "$f/sha224.tsq" 2>/dev/null
post application/timestamp-query "$f/sha224.tsq"
check_grep "SHA-224 (unknown hash) query: 400" '"code":400,"message":"Error generating timestamp response"' "${POST[@]}"
head -c 20 "$f/with-cert.tsq" >"$f/truncated.tsq"
post application/timestamp-query "$f/truncated.tsq"
check_grep "malformed DER: 400" '"code":400,"message":"Error generating timestamp response"' "${POST[@]}"
head -c 2000000 /dev/zero >"$f/big.tsq"
post application/timestamp-query "$f/big.tsq"
check_grep "oversized query (2 MB): 400" '"code":400,"message":"timestamp request is too large"' "${POST[@]}"
openssl ts -query -data "$f/file.txt" -sha256 -tspolicy 1.2.3.4 -out "$f/policy.tsq" 2>/dev/null
post application/timestamp-query "$f/policy.tsq"
check_grep "unknown policy: 400" '"code":400,"message":"unaccepted policy' "${POST[@]}"
post text/plain "$f/with-cert.tsq"
check_grep "text/plain: 415" '"code":415' "${POST[@]}"
printf '{"artifactHash":"%s","hashAlgorithm":"sha256","certificates":true}' \
  "$(openssl dgst -sha256 -binary "$f/file.txt" | base64)" >"$f/query.json"
check_grep "JSON query (sigstore-js form): 200" "^200$" curl -sS -o /dev/null -w '%{http_code}\n' \
  --data-binary "@$f/query.json" -H "Content-Type: application/json" "$tsa"

check_grep "/metrics counts issued timestamps" "^sigstack_tsa_timestamps_issued_total [1-9]" \
  curl -fsS "$url/metrics"
check_grep "/metrics counts refusals by reason" \
  'sigstack_tsa_timestamps_refused_total\{reason="weak_hash"\} 1' curl -fsS "$url/metrics"

# --- cosign 2.5 -------------------------------------------------------------------------
set -a
# shellcheck disable=SC1091
. "$data/trust/cosign.env"
set +a
export COSIGN_PASSWORD=""
(cd "$f" && timeout 60 cosign generate-key-pair >/dev/null 2>&1) || fail "cosign generate-key-pair"
check_grep "cosign sign-blob --timestamp-server-url" "Wrote signature" \
  cosign sign-blob --yes --key "$f/cosign.key" --rekor-url "$url" \
  --timestamp-server-url "$tsa" --rfc3161-timestamp "$f/ts.json" \
  --bundle "$f/blob.bundle" --output-signature "$f/blob.sig" "$f/file.txt"
check_grep "cosign verify-blob --use-signed-timestamps with the TSA chain" "Verified OK" \
  cosign verify-blob --key "$f/cosign.pub" --rekor-url "$url" --signature "$f/blob.sig" \
  --bundle "$f/blob.bundle" --rfc3161-timestamp "$f/ts.json" \
  --timestamp-certificate-chain "$data/trust/tsa-chain.pem" --use-signed-timestamps "$f/file.txt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
  -subj /CN=other-root -days 1 -out "$f/other-root.pem" 2>/dev/null
cat "$f/leaf.pem" "$f/other-root.pem" >"$f/wrong-chain.pem"
check_refused "cosign refuses the timestamp under another TSA root" "unknown authority" \
  cosign verify-blob --key "$f/cosign.pub" --rekor-url "$url" --signature "$f/blob.sig" \
  --bundle "$f/blob.bundle" --rfc3161-timestamp "$f/ts.json" \
  --timestamp-certificate-chain "$f/wrong-chain.pem" --use-signed-timestamps "$f/file.txt"

# The protobuf bundle: sigstore-go (inside cosign) checks the timestamp against
# `timestampAuthorities` in trusted_root.json.
check_grep "cosign sign-blob --new-bundle-format --timestamp-server-url" "Wrote bundle" \
  cosign sign-blob --yes --key "$f/cosign.key" --rekor-url "$url" --new-bundle-format \
  --timestamp-server-url "$tsa" --bundle "$f/new.bundle" "$f/file.txt"
check_grep "…the bundle holds our RFC 3161 timestamp" '"rfc3161Timestamps"' cat "$f/new.bundle"
check_grep "cosign verify-blob --trusted-root --use-signed-timestamps" "Verified OK" \
  cosign verify-blob --key "$f/cosign.pub" --rekor-url "$url" --new-bundle-format \
  --bundle "$f/new.bundle" --trusted-root "$data/trust/trusted_root.json" \
  --use-signed-timestamps "$f/file.txt"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r.pop("timestampAuthorities"); json.dump(r, open(sys.argv[2],"w"))' \
  "$data/trust/trusted_root.json" "$f/root-without-tsa.json"
check_refused "…refused with a trusted root that lists no TSA" "timestamp" \
  cosign verify-blob --key "$f/cosign.pub" --rekor-url "$url" --new-bundle-format \
  --bundle "$f/new.bundle" --trusted-root "$f/root-without-tsa.json" \
  --use-signed-timestamps "$f/file.txt"

# --- a data directory from before the TSA ------------------------------------------------
stop_server "$server_pid"
server_pid=""
mkdir -p "$WORK/old-tsa"
mv "$data"/tsa-*.pem "$WORK/old-tsa/"
"$SIGSTACK" serve --data-dir "$data" >"$WORK/serve2.log" 2>&1 &
server_pid=$!
if wait_ready "$url" "$server_pid"; then ok "a data directory without TSA files still serves"; else
  fail "a data directory without TSA files still serves" "$(cat "$WORK/serve2.log")"
fi
check_grep "the log says the TSA is off" "no timestamp authority" cat "$WORK/serve2.log"
post application/timestamp-query "$f/with-cert.tsq"
check_grep "without a TSA, /api/v1/timestamp is 404" '"code":404,"message":"this sigstack process does not serve the timestamp authority' "${POST[@]}"
stop_server "$server_pid"
server_pid=""
check_grep "init adds the TSA files" "created .*tsa-key.pem" \
  "$SIGSTACK" init --data-dir "$data"

finish
